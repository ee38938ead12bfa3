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
	require.Equal(t, config.AuthModeDev, c.AuthMode)
	require.Error(t, c.RequireExternal(), "serve needs DATABASE_URL and NATS_URL")
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
