package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Regression (issue 13 review): the record was written to the fixed name
// dev-server.json.tmp with os.WriteFile, which follows a symlink: another user of a shared
// config directory could plant one there and have `yaosu dev` overwrite any file its user
// can write. The temporary file is now created exclusively under a random name.
func TestRecordDevServerDoesNotFollowAPlantedSymlink(t *testing.T) {
	configDir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious\n"), 0o600))
	if err := os.Symlink(victim, filepath.Join(configDir, devServerFile+".tmp")); err != nil {
		t.Skipf("cannot create a symlink here: %v", err)
	}
	getenv := func(k string) string {
		if k == "YAOSU_CONFIG_DIR" {
			return configDir
		}
		return ""
	}

	want := devServer{DataDir: "/srv/yaosu/var", Addr: "127.0.0.1:7400", TLS: true}
	path, err := recordDevServer(getenv, want)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(configDir, devServerFile), path)

	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	require.Equal(t, "precious\n", string(got), "the symlink's target is untouched")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var rec devServer
	require.NoError(t, json.Unmarshal(raw, &rec))
	require.Equal(t, want, rec)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular(), "the record is a file of its own, not the symlink renamed")
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.ElementsMatch(t, []string{devServerFile, devServerFile + ".tmp"}, dirNames(t, configDir),
		"no temporary file is left behind")
}

// A record that cannot be put in place (here a directory holds its name) is an error and
// leaves no temporary file in the config directory.
func TestRecordDevServerFailureLeavesNoTemporaryFile(t *testing.T) {
	configDir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(configDir, devServerFile, "occupied"), 0o700))
	getenv := func(k string) string {
		if k == "YAOSU_CONFIG_DIR" {
			return configDir
		}
		return ""
	}
	_, err := recordDevServer(getenv, devServer{DataDir: "/srv/yaosu/var", Addr: "127.0.0.1:7400"})
	require.Error(t, err)
	require.Equal(t, []string{devServerFile}, dirNames(t, configDir))
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
