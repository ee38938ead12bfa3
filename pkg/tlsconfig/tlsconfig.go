// Package tlsconfig builds the TLS configurations of Yaosu's gRPC servers and clients from
// PEM files. A certificate is re-read when its files change, so a renewed certificate
// (cert-manager, a rotated Kubernetes secret, certbot) is served without a restart; a
// client verifies the server against a CA file, or the system roots when none is given.
package tlsconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// CertFiles serves the certificate and key held in two PEM files. Each handshake checks
// the files' modification time and size (two stat calls); when either changed, the pair
// is loaded again. A pair that does not load (a renewal caught half-written, a key that
// does not match the certificate yet) keeps the previous one in service and is tried
// again on the next handshake.
type CertFiles struct {
	certFile, keyFile string

	mu        sync.Mutex
	cert      *tls.Certificate
	certStamp stamp
	keyStamp  stamp
	lastErr   error
}

type stamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (stamp, error) {
	fi, err := os.Stat(path) // follows symlinks: a Kubernetes secret swaps its ..data link
	if err != nil {
		return stamp{}, err
	}
	return stamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

// LoadCertFiles loads the pair once, failing if it does not load.
func LoadCertFiles(certFile, keyFile string) (*CertFiles, error) {
	c := &CertFiles{certFile: certFile, keyFile: keyFile}
	if _, err := c.current(); err != nil {
		return nil, err
	}
	return c, nil
}

// current returns the pair in service, reloading it first if its files changed.
func (c *CertFiles) current() (*tls.Certificate, error) {
	cs, cerr := stampOf(c.certFile)
	ks, kerr := stampOf(c.keyFile)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cerr == nil && kerr == nil && c.cert != nil && cs == c.certStamp && ks == c.keyStamp {
		return c.cert, nil
	}
	err := errors.Join(cerr, kerr)
	if err == nil {
		var pair tls.Certificate
		if pair, err = tls.LoadX509KeyPair(c.certFile, c.keyFile); err == nil {
			c.cert, c.certStamp, c.keyStamp, c.lastErr = &pair, cs, ks, nil
			return c.cert, nil
		}
	}
	err = fmt.Errorf("TLS certificate %s / key %s: %w", c.certFile, c.keyFile, err)
	c.lastErr = err
	if c.cert != nil {
		return c.cert, nil // keep serving the last good pair
	}
	return nil, err
}

// LastError is the error of the last failed reload (nil after a good one), for logs and
// health.
func (c *CertFiles) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// GetCertificate is tls.Config.GetCertificate.
func (c *CertFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.current()
}

// GetClientCertificate is tls.Config.GetClientCertificate: a service presents its own
// certificate when it calls another (the certificate then needs the clientAuth usage).
func (c *CertFiles) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return c.current()
}

// Server returns the server configuration: TLS 1.2 or later with the certificate from
// certs. With clientCAFile, client certificates are verified against it: required when
// requireClientCert, else only when presented.
func Server(certs *CertFiles, clientCAFile string, requireClientCert bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.GetCertificate}
	if clientCAFile == "" {
		if requireClientCert {
			return nil, errors.New("requiring client certificates needs a client CA file")
		}
		return cfg, nil
	}
	pool, err := LoadCAs(clientCAFile)
	if err != nil {
		return nil, err
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	if requireClientCert {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// Client returns a client configuration that verifies the server against the CA
// certificates in caFile (the system roots if empty) and the name serverName (the host
// dialed if empty). With certs, the client presents that certificate when asked.
func Client(caFile, serverName string, certs *CertFiles) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile != "" {
		pool, err := LoadCAs(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certs != nil {
		cfg.GetClientCertificate = certs.GetClientCertificate
	}
	return cfg, nil
}

// LoadCAs reads PEM CA certificates into a pool; a file without one is an error.
func LoadCAs(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// IsLoopback reports whether addr (host:port, or a bare host) names this host only:
// localhost or a loopback IP. No name is resolved, so the answer costs no traffic.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckPeer checks that a process serving certs can call itself: its certificate verifies
// against the CA certificates in caFile (the system roots if empty) for serverName, and,
// when clientCAFile is set, against those as a client certificate.
func CheckPeer(certs *CertFiles, caFile, serverName, clientCAFile string) error {
	pair, err := certs.current()
	if err != nil {
		return err
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return err
		}
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{DNSName: serverName, Intermediates: inter}
	if caFile != "" {
		if opts.Roots, err = LoadCAs(caFile); err != nil {
			return err
		}
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("own certificate does not verify as server %q: %w", serverName, err)
	}
	if clientCAFile != "" {
		roots, err := LoadCAs(clientCAFile)
		if err != nil {
			return err
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			return fmt.Errorf("own certificate does not verify as a client against YAOSU_TLS_CLIENT_CA_FILE: %w", err)
		}
	}
	return nil
}
