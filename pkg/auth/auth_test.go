package auth_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/auth"
)

func TestDevKeyIsCreatedOnceAndVerifiesMintedTokens(t *testing.T) {
	dir := t.TempDir()
	k1, err := auth.LoadOrCreateDevKey(dir)
	require.NoError(t, err)
	k2, err := auth.LoadOrCreateDevKey(dir)
	require.NoError(t, err)
	require.True(t, k1.Equal(k2), "the second start reuses the key")
	fi, err := os.Stat(filepath.Join(dir, auth.DevKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	p := auth.Principal{Subject: "alice", Organisation: "91350100M000100Y43", Roles: []auth.Role{auth.RoleRegistrar}}
	tok, err := auth.Mint(k1, "yaosu-dev", p, time.Hour)
	require.NoError(t, err)
	got, err := auth.NewEd25519Verifier(k1.Public().(ed25519.PublicKey), "yaosu-dev").Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, p, got)
	require.True(t, got.Has(auth.RoleRegistrar))
	require.False(t, got.ReadsAllOrganisations())

	_, other, _ := ed25519.GenerateKey(nil)
	_, err = auth.NewEd25519Verifier(other.Public().(ed25519.PublicKey), "yaosu-dev").Verify(context.Background(), tok)
	require.Error(t, err)
	_, err = auth.NewEd25519Verifier(k1.Public().(ed25519.PublicKey), "yaosu-dev").Verify(context.Background(), tok+"x")
	require.Error(t, err)
}
