package messaging_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/testkit"
)

// writeCert issues a certificate (self-signed when parent is nil) and writes it and its key
// as PEM files in dir; it returns the certificate, its key and the two paths.
func writeCert(t *testing.T, dir, name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return cert, key, certPath, keyPath
}

// With TLS in the generated configuration (server certificate, client certificates
// verified against the CA), a client needs the CA, its certificate and its seed.
func TestNATSOverTLSWithClientCertificates(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, caKey, caPath, _ := writeCert(t, dir, "ca", &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "yaosu test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	_, _, srvCert, srvKey := writeCert(t, dir, "server", &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "nats"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, caKey)
	_, _, cliCert, cliKey := writeCert(t, dir, "client", &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "catalog"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, caKey)

	creds := t.TempDir()
	users := messaging.NATSUsers([]messaging.ServiceAccess{{Service: "catalog"}})
	pubs := map[string]string{}
	for _, u := range users {
		pub, err := messaging.LoadOrCreateSeed(creds, u.Name, true)
		require.NoError(t, err)
		pubs[u.Name] = pub
	}
	text, err := messaging.NATSServerConfig{Users: users, PublicKeys: pubs,
		TLSCertFile: srvCert, TLSKeyFile: srvKey, TLSCAFile: caPath}.Text()
	require.NoError(t, err)
	n := testkit.StartNATSWithConfig(t, text)

	connect := func(tls messaging.NATSTLS) error {
		opts, err := messaging.NATSConnectOptions(creds, "catalog", tls)
		require.NoError(t, err)
		nc, err := nats.Connect(n.URL(), append(opts, nats.Timeout(2*time.Second))...)
		if err == nil {
			require.True(t, nc.TLSRequired())
			nc.Close()
		}
		return err
	}
	require.NoError(t, connect(messaging.NATSTLS{CAFile: caPath, CertFile: cliCert, KeyFile: cliKey}))
	require.Error(t, connect(messaging.NATSTLS{CAFile: caPath}), "no client certificate")
	require.Error(t, connect(messaging.NATSTLS{CertFile: cliCert, KeyFile: cliKey}), "the server's certificate is not from a CA the system trusts")
	_, err = messaging.NATSConnectOptions(creds, "catalog", messaging.NATSTLS{CertFile: cliCert})
	require.ErrorContains(t, err, "both")
}
