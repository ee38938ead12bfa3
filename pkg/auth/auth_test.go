package auth_test

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
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

// Regression (issue 12): a token valid for ten years was accepted. The verifier bounds
// exp - iat and refuses tokens that lack either claim.
func TestTokenLifetimeIsBounded(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	p := auth.Principal{Subject: "alice", Organisation: "91350100M000100Y43", Roles: []auth.Role{auth.RoleAdmin}}
	now := time.Now()
	sign := func(c jwt.MapClaims) string {
		c["iss"], c["sub"], c["aud"], c["org"], c["roles"] = "yaosu-dev", p.Subject, auth.Audience, p.Organisation, []string{"admin"}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(key)
		require.NoError(t, err)
		return tok
	}
	v := auth.NewEd25519Verifier(pub, "yaosu-dev")
	ctx := context.Background()

	decade := sign(jwt.MapClaims{"iat": now.Unix(), "exp": now.Add(10 * 365 * 24 * time.Hour).Unix()})
	_, err = v.Verify(ctx, decade)
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err))
	require.ErrorContains(t, err, "exceeds the maximum")

	noIat := sign(jwt.MapClaims{"exp": now.Add(time.Hour).Unix()})
	_, err = v.Verify(ctx, noIat)
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err))

	noExp := sign(jwt.MapClaims{"iat": now.Unix()})
	_, err = v.Verify(ctx, noExp)
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err))

	// iat in the future would stretch the window: refused like a long lifetime.
	future := sign(jwt.MapClaims{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()})
	_, err = v.Verify(ctx, future)
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err))

	// At the limit it passes; the limit is configurable.
	tok, err := auth.Mint(key, "yaosu-dev", p, auth.DefaultMaxLifetime)
	require.NoError(t, err)
	_, err = v.Verify(ctx, tok)
	require.NoError(t, err)
	_, err = auth.NewEd25519Verifier(pub, "yaosu-dev", auth.WithMaxLifetime(time.Hour)).Verify(ctx, tok)
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err))
}
