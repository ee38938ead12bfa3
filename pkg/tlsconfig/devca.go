package tlsconfig

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a small certificate authority for development and tests: ECDSA P-256 keys, no
// revocation, nothing a production deployment should rely on.
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// NewCA creates a self-signed CA valid from now for validity.
func NewCA(name string, now time.Time, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Yaosu development"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// CertPEM is the CA certificate, what clients trust.
func (ca *CA) CertPEM() []byte { return ca.pem }

// Issue signs a leaf certificate for hosts (DNS names or IP addresses) valid from now for
// validity, usable by servers and, between services, as a client certificate.
func (ca *CA) Issue(commonName string, hosts []string, now time.Time, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// DevFiles are the files `yaosu dev --tls` serves and trusts.
type DevFiles struct {
	CAFile   string // give it to clients: yaosuctl --ca-file, YAOSU_TLS_CA_FILE
	CertFile string
	KeyFile  string
}

// DevHosts are the names the development server certificate is valid for.
var DevHosts = []string{"localhost", "127.0.0.1", "::1"}

// EnsureDevCertificates returns a local CA and a server certificate for DevHosts under
// dir, creating them (keys 0600) when missing or when the certificate expires within a
// day. The CA's key is not kept: a new CA comes with each new certificate, so nothing
// lying around can sign for localhost later.
func EnsureDevCertificates(dir string, now time.Time) (DevFiles, error) {
	f := DevFiles{
		CAFile:   filepath.Join(dir, "ca.pem"),
		CertFile: filepath.Join(dir, "server.pem"),
		KeyFile:  filepath.Join(dir, "server-key.pem"),
	}
	if pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile); err == nil {
		if _, err := LoadCAs(f.CAFile); err == nil && pair.Leaf != nil && now.Add(24*time.Hour).Before(pair.Leaf.NotAfter) {
			return f, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return DevFiles{}, fmt.Errorf("dev TLS certificate: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return DevFiles{}, err
	}
	ca, err := NewCA("Yaosu dev CA", now, 90*24*time.Hour)
	if err != nil {
		return DevFiles{}, err
	}
	certPEM, keyPEM, err := ca.Issue("localhost", DevHosts, now, 90*24*time.Hour)
	if err != nil {
		return DevFiles{}, err
	}
	// Key before certificate: a server reloading in between finds a mismatch and keeps
	// its previous pair rather than serving a certificate without its key.
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{f.KeyFile, keyPEM, 0o600}, {f.CertFile, certPEM, 0o644}, {f.CAFile, ca.CertPEM(), 0o644}} {
		if err := WriteFileAtomic(w.path, w.data, w.mode); err != nil {
			return DevFiles{}, err
		}
	}
	return f, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it over path,
// so a reader sees the old file or the new one, never half of one.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // no-op after the rename
	if err := tmp.Chmod(mode); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
