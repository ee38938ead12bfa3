package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenStorageRoundTrip(t *testing.T) {
	dir := isolate(t)
	// A directory that does not exist yet: saveToken creates it.
	dir = filepath.Join(dir, "nested")
	t.Setenv(envConfigDir, dir)

	token, _, err := loadToken(os.Getenv)
	require.NoError(t, err)
	require.Empty(t, token, "nothing stored yet")

	path, err := saveToken(os.Getenv, "aaa.bbb.ccc")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "token"), path)

	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	token, gotPath, err := loadToken(os.Getenv)
	require.NoError(t, err)
	require.Equal(t, "aaa.bbb.ccc", token)
	require.Equal(t, path, gotPath)

	// Overwrite: the new token replaces the old one, no temporary files stay behind.
	_, err = saveToken(os.Getenv, "ddd.eee.fff")
	require.NoError(t, err)
	token, _, err = loadToken(os.Getenv)
	require.NoError(t, err)
	require.Equal(t, "ddd.eee.fff", token)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)

	removed, _, err := removeToken(os.Getenv)
	require.NoError(t, err)
	require.True(t, removed)
	removed, _, err = removeToken(os.Getenv)
	require.NoError(t, err)
	require.False(t, removed)
	token, _, err = loadToken(os.Getenv)
	require.NoError(t, err)
	require.Empty(t, token)
}

func TestTokenPrecedence(t *testing.T) {
	isolate(t)
	_, err := saveToken(os.Getenv, "stored.token.x")
	require.NoError(t, err)

	g := &globals{getenv: os.Getenv}
	tok, source, err := g.resolveToken()
	require.NoError(t, err)
	require.Equal(t, "stored.token.x", tok)
	require.Equal(t, filepath.Join(os.Getenv(envConfigDir), "token"), source)

	// $YAOSU_TOKEN beats the stored token, --token beats both (checked through whoami,
	// which reports the source).
	env := mintFor(t, "env@dev")
	flag := mintFor(t, "flag@dev")
	t.Setenv(envToken, env)
	out, _, err := runCLI(t, context.Background(), "whoami")
	require.NoError(t, err)
	require.Contains(t, out, "env@dev")
	require.Contains(t, out, "$YAOSU_TOKEN")
	out, _, err = runCLI(t, context.Background(), "whoami", "--token", flag)
	require.NoError(t, err)
	require.Contains(t, out, "flag@dev")
	require.Contains(t, out, "--token")
}

func TestNotLoggedIn(t *testing.T) {
	isolate(t)
	_, _, err := runCLI(t, context.Background(), "whoami")
	require.ErrorIs(t, err, errNotLoggedIn)
	_, _, err = runCLI(t, context.Background(), "asset", "list")
	require.ErrorIs(t, err, errNotLoggedIn)
}
