package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/config"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := config.Load(func(string) string { return "" })
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7400", c.GRPCAddr)
	require.Equal(t, 10*time.Minute, c.StreamDuplicateWindow)
	require.Empty(t, c.AuthMode, "no authentication mode unless one is chosen")
	require.Equal(t, 12*time.Hour, c.JWTMaxLifetime)
	require.False(t, c.TLS())
	require.Error(t, c.RequireExternal(), "serve needs DATABASE_URL and NATS_URL")
}

// Regression (issue 12): serve ran with dev authentication by default and connected to
// NATS anonymously. Without YAOSU_AUTH_MODE it now names the variable and its choices;
// without NATS credentials it refuses to start.
func TestServeNeedsAnExplicitAuthModeAndPageKey(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://x", "NATS_URL": "nats://x"}
	load := func() config.Config {
		c, err := config.Load(func(k string) string { return env[k] })
		require.NoError(t, err)
		return c
	}
	err := load().RequireExternal()
	require.ErrorContains(t, err, `YAOSU_AUTH_MODE is required: "public-key"`)
	require.ErrorContains(t, err, "YAOSU_PAGE_TOKEN_KEY_FILE is required")
	require.ErrorContains(t, err, "YAOSU_NATS_CREDENTIALS_DIR is required")
	env["YAOSU_AUTH_MODE"], env["YAOSU_PAGE_TOKEN_KEY_FILE"] = "dev", "/etc/yaosu/page-token.key"
	env["YAOSU_NATS_CREDENTIALS_DIR"] = "/etc/yaosu/nats"
	require.NoError(t, load().RequireExternal(), "dev chosen explicitly is allowed")
	env["YAOSU_AUTH_MODE"] = "public-key"
	require.ErrorContains(t, load().RequireExternal(), "YAOSU_JWT_PUBLIC_KEY_FILE is required")
}

func TestTLSSettingsMustBeComplete(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"YAOSU_TLS_CERT_FILE": "c"}, "go together"},
		{map[string]string{"YAOSU_TLS_KEY_FILE": "k"}, "go together"},
		{map[string]string{"YAOSU_TLS_CLIENT_CA_FILE": "ca"}, "needs TLS"},
		{map[string]string{"YAOSU_TLS_CERT_FILE": "c", "YAOSU_TLS_KEY_FILE": "k", "YAOSU_TLS_CLIENT_AUTH": "require"}, "needs YAOSU_TLS_CLIENT_CA_FILE"},
	} {
		c, err := config.Load(func(k string) string { return tc.env[k] })
		require.NoError(t, err)
		require.ErrorContains(t, c.CheckTLS(), tc.want)
	}
	_, err := config.Load(func(k string) string {
		return map[string]string{"YAOSU_TLS_CLIENT_AUTH": "sometimes"}[k]
	})
	require.ErrorContains(t, err, "YAOSU_TLS_CLIENT_AUTH")
}

func TestInvalidValuesAreAllReported(t *testing.T) {
	env := map[string]string{"YAOSU_GRPC_ADDR": "nope", "YAOSU_RELAY_BATCH_SIZE": "-1", "YAOSU_AUTH_MODE": "magic"}
	_, err := config.Load(func(k string) string { return env[k] })
	require.Error(t, err)
	for k := range env {
		require.Contains(t, err.Error(), k)
	}
}

// The README's configuration table is generated from config.Vars; this keeps it current.
func TestREADMEListsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	require.True(t, strings.Contains(string(readme), config.Markdown()),
		"README.md's configuration table is stale: replace it with the output of `yaosu config`")
}
