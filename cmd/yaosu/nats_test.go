package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/testkit"
)

// `yaosu nats-config` prints a configuration nats-server runs with: the users whose seeds it
// created are admitted, anonymous clients are not.
func TestNATSConfigCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("YAOSU_DATA_DIR", dir)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"nats-config"}, &stdout, &stderr)
	require.ErrorContains(t, err, "--create", "no seeds yet")

	require.NoError(t, run(context.Background(), []string{"nats-config", "--create", "--store-dir", "/var/lib/nats"}, &stdout, &stderr))
	text := stdout.String()
	require.Contains(t, text, `store_dir: "/var/lib/nats"`)
	creds := filepath.Join(dir, "nats-credentials")
	for _, user := range []string{"catalog", "rights", "scenario", "audit", messaging.NATSUserAdmin, messaging.NATSUserAuditor} {
		_, err := os.Stat(messaging.SeedFile(creds, user))
		require.NoError(t, err, user)
	}
	out := filepath.Join(dir, "nats.conf")
	require.NoError(t, run(context.Background(), []string{"nats-config", "--store-dir", "/var/lib/nats", "--out", out}, &stdout, &stderr))
	written, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, text, string(written), "the same seeds give the same configuration")

	n := testkit.StartNATSWithConfig(t, text)
	_, err = nats.Connect(n.URL())
	require.ErrorContains(t, err, "Authorization Violation")
	opts, err := messaging.NATSConnectOptions(creds, messaging.NATSUserAuditor, messaging.NATSTLS{})
	require.NoError(t, err)
	nc, err := nats.Connect(n.URL(), opts...)
	require.NoError(t, err)
	nc.Close()
}

func TestEventKeysCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("YAOSU_DATA_DIR", dir)
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"event-keys", "--create"}, &stdout, &stderr))
	require.Equal(t, 8, strings.Count(stdout.String(), "\n"), stdout.String()) // 4 signing, 4 trusted
	ring, err := messaging.LoadKeyring(filepath.Join(dir, "event-keys"))
	require.NoError(t, err)
	require.Len(t, ring.Keys(), 4)
	stdout.Reset()
	require.NoError(t, run(context.Background(), []string{"event-keys", "catalog"}, &stdout, &stderr))
	require.Contains(t, stdout.String(), "catalog    signs with "+ring.Keys()[1].ID)
}
