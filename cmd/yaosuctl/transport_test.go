package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/tlsconfig"
)

// countingListener counts the connections it accepts: proof that a refused command sent
// nothing.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// serveCatalog serves f on host with the given server options; it returns the address
// and the listener's count.
func serveCatalog(t *testing.T, host string, f *fakeCatalog, opts ...grpc.ServerOption) (string, *countingListener) {
	t.Helper()
	lis, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	require.NoError(t, err)
	cl := &countingListener{Listener: lis}
	srv := grpc.NewServer(opts...)
	catalogv1.RegisterCatalogServiceServer(srv, f)
	go func() { _ = srv.Serve(cl) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), cl
}

// nonLoopbackIP is an address of this host other than loopback, or "" if it has none.
func nonLoopbackIP(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	require.NoError(t, err)
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// Regression (issue 12): through a non-loopback address the CLI sent its bearer token in
// plaintext h2c frames, without a warning. It now refuses before dialing, and says why.
func TestPlaintextTokenIsRefusedBeyondLoopback(t *testing.T) {
	isolate(t)
	for _, addr := range []string{"10.255.255.1:7400", "yaosu.example.org:7400", "[2001:db8::1]:7400"} {
		start := time.Now()
		_, _, err := runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr, "--timeout", "1m")
		require.ErrorContains(t, err, "refusing to send your bearer token in plaintext to "+addr)
		require.ErrorContains(t, err, "拒绝以明文向非本机地址")
		require.ErrorContains(t, err, "--insecure")
		// A dial to 10.255.255.1 would hang until the minute's timeout.
		require.Less(t, time.Since(start), 20*time.Second, "refused before any dial")
	}

	// Loopback stays plaintext, as `yaosu dev` serves it.
	f := &fakeCatalog{assets: testAssets(1)}
	addr, _ := serveCatalog(t, "127.0.0.1", f)
	_, port, _ := net.SplitHostPort(addr)
	for _, a := range []string{addr, "localhost:" + port} {
		out, _, err := runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", a)
		require.NoError(t, err)
		require.Contains(t, out, "数据集 1")
	}

	ip := nonLoopbackIP(t)
	if ip == "" {
		t.Skip("no non-loopback address on this host for the no-traffic check")
	}
	f = &fakeCatalog{assets: testAssets(1)}
	addr, lis := serveCatalog(t, ip, f)
	_, _, err := runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr)
	require.ErrorContains(t, err, "refusing to send your bearer token in plaintext")
	require.Zero(t, lis.accepted.Load(), "nothing reached the server")
	require.Empty(t, f.auth)

	// --insecure is the explicit way round it, with a warning.
	out, stderr, err := runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr, "--insecure")
	require.NoError(t, err)
	require.Contains(t, out, "数据集 1")
	require.Contains(t, stderr, "plaintext")
	require.Equal(t, []string{"Bearer t.o.k"}, f.auth)
}

func TestTLSVerifiesTheServerAgainstTheCAFile(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	ca, err := tlsconfig.NewCA("test CA", time.Now(), time.Hour)
	require.NoError(t, err)
	ip := nonLoopbackIP(t)
	hosts := []string{"127.0.0.1"}
	if ip != "" {
		hosts = append(hosts, ip)
	}
	certPEM, keyPEM, err := ca.Issue("server", hosts, time.Now(), time.Hour)
	require.NoError(t, err)
	caFile, certFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(caFile, ca.CertPEM(), 0o644))
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o644))
	require.NoError(t, os.WriteFile(keyFile, keyPEM, 0o600))
	certs, err := tlsconfig.LoadCertFiles(certFile, keyFile)
	require.NoError(t, err)
	srvTLS, err := tlsconfig.Server(certs, "", false)
	require.NoError(t, err)

	host := "127.0.0.1"
	if ip != "" {
		host = ip // TLS lifts the loopback restriction
	}
	f := &fakeCatalog{assets: testAssets(1)}
	addr, _ := serveCatalog(t, host, f, grpc.Creds(credentials.NewTLS(srvTLS)))

	out, _, err := runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr, "--ca-file", caFile)
	require.NoError(t, err)
	require.Contains(t, out, "数据集 1")
	require.Equal(t, []string{"Bearer t.o.k"}, f.auth)

	t.Setenv(envCAFile, caFile)
	_, _, err = runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr)
	require.NoError(t, err, "$YAOSU_TLS_CA_FILE turns TLS on")
	t.Setenv(envCAFile, "")

	// The system roots do not know the test CA: the handshake fails, with a hint. (A failed
	// handshake is UNAVAILABLE, so the retry policy tries it again: the default --timeout
	// outlasts every attempt, and the last one's cause is reported.)
	_, _, err = runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr, "--tls")
	require.ErrorContains(t, err, "certificate")
	require.ErrorContains(t, err, "--ca-file")
	require.Len(t, f.auth, 2, "no token was sent to an unverified server")

	_, _, err = runCLI(t, context.Background(), "asset", "list", "--token", "t.o.k", "--addr", addr, "--tls", "--insecure")
	require.ErrorContains(t, err, "contradicts")
}

func TestTokenRequiresTransportSecurityUnlessPlaintextIsAllowed(t *testing.T) {
	require.True(t, bearerToken{token: "x"}.RequireTransportSecurity())
	require.False(t, bearerToken{token: "x", plaintextAllowed: true}.RequireTransportSecurity())
}
