package tlsconfig_test

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/tlsconfig"
)

type files struct{ dir, ca, cert, key string }

// issue writes a fresh CA and a certificate for 127.0.0.1 signed by it into dir.
func issue(t *testing.T, dir, name string) (files, *tlsconfig.CA) {
	t.Helper()
	ca, err := tlsconfig.NewCA(name, time.Now(), time.Hour)
	require.NoError(t, err)
	certPEM, keyPEM, err := ca.Issue("server", []string{"127.0.0.1", "localhost"}, time.Now(), time.Hour)
	require.NoError(t, err)
	f := files{dir: dir, ca: filepath.Join(dir, name+"-ca.pem"), cert: filepath.Join(dir, "server.pem"), key: filepath.Join(dir, "server-key.pem")}
	require.NoError(t, os.WriteFile(f.ca, ca.CertPEM(), 0o644))
	require.NoError(t, tlsconfig.WriteFileAtomic(f.key, keyPEM, 0o600))
	require.NoError(t, tlsconfig.WriteFileAtomic(f.cert, certPEM, 0o644))
	return f, ca
}

// serve runs a real Yaosu gRPC server with TLS from f on a loopback port.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s, err := grpcserver.New(slog.New(slog.NewJSONHandler(io.Discard, nil)), auth.NewEd25519Verifier(pub, "t"), time.Second,
		grpc.Creds(credentials.NewTLS(cfg)))
	require.NoError(t, err)
	s.SetServing("", true)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return lis.Addr().String()
}

// check calls Health.Check on a new connection with the client configuration.
func check(t *testing.T, addr string, cfg *tls.Config) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func client(t *testing.T, caFile string, certs *tlsconfig.CertFiles) *tls.Config {
	t.Helper()
	c, err := tlsconfig.Client(caFile, "", certs)
	require.NoError(t, err)
	return c
}

func TestServerIsVerifiedAgainstTheCAFile(t *testing.T) {
	f, _ := issue(t, t.TempDir(), "one")
	certs, err := tlsconfig.LoadCertFiles(f.cert, f.key)
	require.NoError(t, err)
	srv, err := tlsconfig.Server(certs, "", false)
	require.NoError(t, err)
	addr := serve(t, srv)

	require.NoError(t, check(t, addr, client(t, f.ca, nil)), "a client trusting the CA connects")

	// Without the CA (system roots) the handshake fails: the server is not trusted.
	err = check(t, addr, client(t, "", nil))
	require.Equal(t, codes.Unavailable, status.Code(err))
	require.Contains(t, err.Error(), "certificate")

	other, _ := issue(t, t.TempDir(), "other")
	err = check(t, addr, client(t, other.ca, nil))
	require.Equal(t, codes.Unavailable, status.Code(err), "a client trusting another CA is refused")
}

// A certificate replaced on disk is served on the next handshake, without a restart; a
// broken replacement keeps the previous pair in service.
func TestReplacedCertificateIsServedWithoutRestart(t *testing.T) {
	dir := t.TempDir()
	f1, _ := issue(t, dir, "first")
	certs, err := tlsconfig.LoadCertFiles(f1.cert, f1.key)
	require.NoError(t, err)
	srv, err := tlsconfig.Server(certs, "", false)
	require.NoError(t, err)
	addr := serve(t, srv)
	require.NoError(t, check(t, addr, client(t, f1.ca, nil)))

	f2, _ := issue(t, dir, "second") // same cert and key paths, new CA
	require.NoError(t, check(t, addr, client(t, f2.ca, nil)), "the renewed certificate is served")
	require.Equal(t, codes.Unavailable, status.Code(check(t, addr, client(t, f1.ca, nil))), "the old one is not")

	// A half-written renewal: a certificate whose key is not there yet.
	require.NoError(t, tlsconfig.WriteFileAtomic(f2.cert, []byte("-----BEGIN CERTIFICATE-----\nbroken\n"), 0o644))
	require.NoError(t, check(t, addr, client(t, f2.ca, nil)), "the last good pair stays in service")
	require.Error(t, certs.LastError())
}

func TestRequiredClientCertificates(t *testing.T) {
	dir := t.TempDir()
	f, ca := issue(t, dir, "mesh")
	certs, err := tlsconfig.LoadCertFiles(f.cert, f.key)
	require.NoError(t, err)
	srv, err := tlsconfig.Server(certs, f.ca, true)
	require.NoError(t, err)
	addr := serve(t, srv)

	err = check(t, addr, client(t, f.ca, nil))
	require.Equal(t, codes.Unavailable, status.Code(err), "a client without a certificate is refused")

	// A service presents its own certificate, signed by the client CA.
	certPEM, keyPEM, err := ca.Issue("scenario", []string{"scenario.yaosu.svc"}, time.Now(), time.Hour)
	require.NoError(t, err)
	cf, kf := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	require.NoError(t, os.WriteFile(cf, certPEM, 0o644))
	require.NoError(t, os.WriteFile(kf, keyPEM, 0o600))
	clientCerts, err := tlsconfig.LoadCertFiles(cf, kf)
	require.NoError(t, err)
	require.NoError(t, check(t, addr, client(t, f.ca, clientCerts)))

	// A certificate from another CA is refused like none.
	other, err := tlsconfig.NewCA("intruder", time.Now(), time.Hour)
	require.NoError(t, err)
	certPEM, keyPEM, err = other.Issue("scenario", nil, time.Now(), time.Hour)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cf, certPEM, 0o644))
	require.NoError(t, os.WriteFile(kf, keyPEM, 0o600))
	intruder, err := tlsconfig.LoadCertFiles(cf, kf)
	require.NoError(t, err)
	require.Equal(t, codes.Unavailable, status.Code(check(t, addr, client(t, f.ca, intruder))))
}

func TestDevCertificatesAreCreatedOnceForLocalhost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	f, err := tlsconfig.EnsureDevCertificates(dir, now)
	require.NoError(t, err)
	fi, err := os.Stat(f.KeyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	pair, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"localhost"}, pair.Leaf.DNSNames)
	require.Len(t, pair.Leaf.IPAddresses, 2)
	require.Equal(t, "ECDSA", pair.Leaf.PublicKeyAlgorithm.String())
	certs, err := tlsconfig.LoadCertFiles(f.CertFile, f.KeyFile)
	require.NoError(t, err)
	srv, err := tlsconfig.Server(certs, "", false)
	require.NoError(t, err)
	addr := serve(t, srv)
	require.NoError(t, check(t, addr, client(t, f.CAFile, nil)), "a client trusting the dev CA connects to localhost")

	again, err := tlsconfig.EnsureDevCertificates(dir, now)
	require.NoError(t, err)
	require.Equal(t, f, again)
	pair2, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	require.NoError(t, err)
	require.Equal(t, pair.Leaf.Raw, pair2.Leaf.Raw, "a valid certificate is kept")

	// Near its end a new one is made.
	_, err = tlsconfig.EnsureDevCertificates(dir, now.Add(89*24*time.Hour))
	require.NoError(t, err)
	pair3, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	require.NoError(t, err)
	require.NotEqual(t, pair.Leaf.Raw, pair3.Leaf.Raw)

}

func TestCheckPeerCatchesAConfigurationThatCannotCallItself(t *testing.T) {
	f, _ := issue(t, t.TempDir(), "own")
	certs, err := tlsconfig.LoadCertFiles(f.cert, f.key)
	require.NoError(t, err)
	require.NoError(t, tlsconfig.CheckPeer(certs, f.ca, "127.0.0.1", f.ca))
	require.NoError(t, tlsconfig.CheckPeer(certs, f.ca, "localhost", ""))
	require.ErrorContains(t, tlsconfig.CheckPeer(certs, f.ca, "yaosu.example", ""), "does not verify as server")
	require.ErrorContains(t, tlsconfig.CheckPeer(certs, "", "localhost", ""), "does not verify as server", "system roots")
	other, _ := issue(t, t.TempDir(), "other")
	require.ErrorContains(t, tlsconfig.CheckPeer(certs, f.ca, "localhost", other.ca), "as a client")
}
