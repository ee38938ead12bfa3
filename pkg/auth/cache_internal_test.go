package auth

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
)

// A verified token is served from the cache until it expires; expiry is still enforced.
func TestVerifiedTokensAreCachedUntilTheyExpire(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := newEd25519Verifier(pub, "test", clock)
	tok, err := Mint(key, "test", Principal{Subject: "s", Organisation: "o", Roles: []Role{RoleService}}, time.Minute)
	require.NoError(t, err)
	p, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, "s", p.Subject)
	require.Len(t, v.verified, 1)
	p2, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, p, p2)
	// A tampered token is never served from the cache of the genuine one.
	_, err = v.Verify(context.Background(), tok[:len(tok)-4]+"AAAA")
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err))

	mu.Lock()
	now = now.Add(time.Minute + leeway + time.Second)
	mu.Unlock()
	_, err = v.Verify(context.Background(), tok)
	require.Equal(t, errs.KindUnauthenticated, errs.KindOf(err), "a cached token expires like any other")
	require.Empty(t, v.verified)

}
