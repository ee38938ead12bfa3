package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"yaosu.dev/cmd/yaosu/internal/server"
	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/pkg/tlsconfig"
)

// clearEnv unsets every variable yaosu reads, so the developer's environment stays out.
func clearEnv(t *testing.T) {
	for _, v := range config.Vars {
		t.Setenv(v.Name, "")
	}
}

// Regression (issue 12): `yaosu serve` ran with dev authentication when nothing was
// configured. It now refuses to start, naming the variable and its choices.
func TestServeRefusesToStartWithoutAnAuthMode(t *testing.T) {
	clearEnv(t)
	t.Setenv("DATABASE_URL", "postgres://127.0.0.1:1/none")
	t.Setenv("NATS_URL", "nats://127.0.0.1:1")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"serve", "all"}, &stdout, &stderr)
	require.ErrorContains(t, err, `YAOSU_AUTH_MODE is required: "public-key"`)
	require.ErrorContains(t, err, `"dev"`)
	require.ErrorContains(t, err, "YAOSU_PAGE_TOKEN_KEY_FILE is required")

	t.Setenv("YAOSU_AUTH_MODE", "public-key")
	err = run(context.Background(), []string{"serve", "all"}, &stdout, &stderr)
	require.ErrorContains(t, err, "YAOSU_JWT_PUBLIC_KEY_FILE is required")
	require.NotContains(t, err.Error(), "YAOSU_AUTH_MODE is required")

	t.Setenv("YAOSU_TLS_CERT_FILE", "/nonexistent/cert.pem")
	err = run(context.Background(), []string{"serve", "all"}, &stdout, &stderr)
	require.ErrorContains(t, err, "YAOSU_TLS_CERT_FILE and YAOSU_TLS_KEY_FILE go together")
}

// A TLS configuration under which the process could not call its own services (scenario
// → rights) fails at start with the reason, not at the first LinkAsset.
func TestServeRefusesATLSConfigurationItCannotUse(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	files, err := tlsconfig.EnsureDevCertificates(dir, time.Now())
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "page-token.key")
	_, err = paging.LoadOrCreateKey(keyFile)
	require.NoError(t, err)
	for k, v := range map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/none", "NATS_URL": "nats://127.0.0.1:1",
		"YAOSU_AUTH_MODE": "dev", "YAOSU_DATA_DIR": dir, "YAOSU_PAGE_TOKEN_KEY_FILE": keyFile, "YAOSU_GRPC_ADDR": "127.0.0.1:0",
		"YAOSU_NATS_CREDENTIALS_DIR": filepath.Join(dir, "nats"),
		"YAOSU_TLS_CERT_FILE":        files.CertFile, "YAOSU_TLS_KEY_FILE": files.KeyFile} {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"serve", "all"}, &stdout, &stderr)
	require.ErrorContains(t, err, "own certificate does not verify as server \"127.0.0.1\"")
	require.ErrorContains(t, err, "YAOSU_TLS_CA_FILE")
	require.Contains(t, stdout.String(), "dev authentication", "an explicit dev mode on serve warns")
}

// syncBuffer is a bytes.Buffer safe to read while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `yaosu dev --tls` end to end: it creates a local CA and a certificate for localhost,
// serves TLS with it, says how to point yaosuctl at the CA, and logs the dev-mode warning.
func TestDevWithTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole dev server")
	}
	clearEnv(t)
	dataDir := t.TempDir()
	t.Setenv("DATABASE_URL", testkit.Database(t, testkit.Schemas(server.MigrationSets(server.ServiceNames()))))
	t.Setenv("NATS_URL", testkit.StartNATS(t).URL())
	t.Setenv("YAOSU_DATA_DIR", dataDir)
	t.Setenv("YAOSU_GRPC_ADDR", "127.0.0.1:0")
	configDir := t.TempDir() // where yaosuctl keeps its state, and dev records itself
	t.Setenv("YAOSU_CONFIG_DIR", configDir)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"dev", "--tls"}, &stdout, &stderr) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	endpoint := regexp.MustCompile(`gRPC endpoint: (\S+)`)
	require.Eventually(t, func() bool {
		select {
		case err := <-done:
			require.NoError(t, err, "dev stopped early: %s", stdout.String())
		default:
		}
		return endpoint.MatchString(stderr.String())
	}, time.Minute, 20*time.Millisecond)
	addr := endpoint.FindStringSubmatch(stderr.String())[1]
	caFile := filepath.Join(dataDir, "tls", "ca.pem")
	require.Contains(t, stderr.String(), "export YAOSU_TLS_CA_FILE="+caFile)
	require.Contains(t, stdout.String(), "dev authentication", "dev mode warns at start")

	// Recorded for `yaosuctl login --dev` from any directory (issue 13).
	raw, err := os.ReadFile(filepath.Join(configDir, devServerFile))
	require.NoError(t, err)
	var rec devServer
	require.NoError(t, json.Unmarshal(raw, &rec))
	require.Equal(t, devServer{DataDir: dataDir, Addr: addr, TLS: true}, rec)

	key, err := auth.LoadPrivateKey(filepath.Join(dataDir, auth.DevKeyFile))
	require.NoError(t, err)
	tok, err := auth.Mint(key, "yaosu-dev", auth.Principal{Subject: "dev", Organisation: "91350100M000100Y43", Roles: []auth.Role{auth.RoleRegistrar}}, time.Hour)
	require.NoError(t, err)
	call := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		require.NoError(t, err)
		defer conn.Close()
		cctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok), 10*time.Second)
		defer cancel()
		_, err = catalogv1.NewCatalogServiceClient(conn).ListAssets(cctx, &catalogv1.ListAssetsRequest{})
		return err
	}
	for _, name := range []string{"localhost", ""} { // by name and by the IP dialed
		cfg, err := tlsconfig.Client(caFile, name, nil)
		require.NoError(t, err)
		require.NoError(t, call(credentials.NewTLS(cfg)))
	}
	require.Equal(t, codes.Unavailable, status.Code(call(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12}))), "system roots do not trust the dev CA")
	require.Equal(t, codes.Unavailable, status.Code(call(insecure.NewCredentials())), "no plaintext on a TLS port")
}
