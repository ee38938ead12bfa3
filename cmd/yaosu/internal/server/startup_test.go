package server_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/cmd/yaosu/internal/server"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/testkit"
)

// `yaosu serve` (CreateEventKeys false) needs every event key present and the stream
// provisioned; without the admin's seed it does not create the stream itself, and says
// how to. Provisioned by the admin (`yaosu migrate`), it starts.
func TestServeNeedsEventKeysAndTheProvisionedStream(t *testing.T) {
	ctx := context.Background()
	creds, adminCreds := t.TempDir(), t.TempDir()
	text, err := server.NATSConfig(server.NATSConfigOptions{CredentialsDir: creds, CreateSeeds: true})
	require.NoError(t, err)
	// The admin's seed is kept apart from the servers'.
	require.NoError(t, os.Rename(messaging.SeedFile(creds, messaging.NATSUserAdmin), messaging.SeedFile(adminCreds, messaging.NATSUserAdmin)))
	n := testkit.StartNATSWithConfig(t, text)
	dataDir := t.TempDir()
	services := []string{"catalog"}
	dsn := testkit.Database(t, testkit.Schemas(server.MigrationSets(services)))
	env := map[string]string{"YAOSU_GRPC_ADDR": "127.0.0.1:0", "YAOSU_DATA_DIR": dataDir, "DATABASE_URL": dsn,
		"NATS_URL": n.URL(), "YAOSU_NATS_CREDENTIALS_DIR": creds, "YAOSU_AUTH_MODE": "dev"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func() error {
		srv, err := server.Start(ctx, server.Options{Config: cfg, Services: services, Log: quiet})
		if err == nil {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			require.NoError(t, srv.Run(cctx))
		}
		return err
	}

	require.ErrorContains(t, start(), "yaosu event-keys --create", "no key for the catalog")
	keys := filepath.Join(dataDir, "event-keys")
	_, err = messaging.LoadOrCreateSigningKey(keys, "catalog", true)
	require.NoError(t, err)
	require.ErrorContains(t, start(), "no audit.pub", "the other services' public keys are needed to verify their events")
	for _, s := range server.ServiceNames() {
		_, err = messaging.LoadOrCreateSigningKey(keys, s, true)
		require.NoError(t, err)
	}

	require.ErrorContains(t, start(), "stream YAOSU_EVENTS does not exist")

	admin := cfg
	admin.NATSCredentialsDir = adminCreds
	require.NoError(t, server.ProvisionStream(ctx, admin, quiet))
	require.NoError(t, start())
}
