package paging_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/paging"
)

func TestTokensAreBoundToTheirQuery(t *testing.T) {
	k := paging.RandomKey()
	q := k.Query("ns", "BAD_TOKEN", "org-a", []string{"x"})
	after, err := q.After(q.Token("id-42"))
	require.NoError(t, err)
	require.Equal(t, "id-42", after)

	other := k.Query("ns", "BAD_TOKEN", "org-b", []string{"x"})
	_, err = other.After(q.Token("id-42"))
	require.Equal(t, "BAD_TOKEN", errs.ReasonOf(err), "a token of another scope is refused")
	elsewhere := k.Query("other-ns", "BAD_TOKEN", "org-a", []string{"x"})
	_, err = elsewhere.After(q.Token("id-42"))
	require.Error(t, err, "a token of another namespace is refused")
	for _, bad := range []string{"", "!!", "e30", q.Token("")} {
		_, err := q.After(bad)
		require.Equal(t, errs.KindInvalidArgument, errs.KindOf(err), bad)
	}
}

// Regression (issue 12): the HMAC key was the namespace, a public constant, so anyone
// could compute a valid token for any query and position. Now a token made without the
// deployment's secret, or edited to start elsewhere, is refused.
func TestTokensCannotBeForgedOrEdited(t *testing.T) {
	k := paging.RandomKey()
	q := k.Query("yaosu.catalog.list.v1", "BAD_TOKEN", "org-a")
	// A token for the same query under another key (what an attacker can compute).
	forged := paging.RandomKey().Query("yaosu.catalog.list.v1", "BAD_TOKEN", "org-a").Token("id-1")
	_, err := q.After(forged)
	require.Equal(t, "BAD_TOKEN", errs.ReasonOf(err))

	// A genuine token whose position is edited.
	var tok map[string]any
	raw, err := base64.RawURLEncoding.DecodeString(q.Token("id-1"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &tok))
	tok["a"] = "id-0"
	raw, err = json.Marshal(tok)
	require.NoError(t, err)
	_, err = q.After(base64.RawURLEncoding.EncodeToString(raw))
	require.Equal(t, "BAD_TOKEN", errs.ReasonOf(err))
}

func TestKeyFileIsCreatedSecretOnceAndShared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", paging.DefaultKeyFile)
	k1, err := paging.LoadOrCreateKey(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	k2, err := paging.LoadKey(path) // another replica with the same file
	require.NoError(t, err)
	q1, q2 := k1.Query("ns", "R", "x"), k2.Query("ns", "R", "x")
	after, err := q2.After(q1.Token("id-7"))
	require.NoError(t, err)
	require.Equal(t, "id-7", after)

	short := filepath.Join(t.TempDir(), "short.key")
	require.NoError(t, os.WriteFile(short, []byte(strings.Repeat("a", 31)), 0o600))
	_, err = paging.LoadKey(short)
	require.ErrorContains(t, err, "at least 32")
	_, err = paging.LoadKey(filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSize(t *testing.T) {
	require.Equal(t, 50, paging.Size(0, 50, 500))
	require.Equal(t, 50, paging.Size(-3, 50, 500))
	require.Equal(t, 7, paging.Size(7, 50, 500))
	require.Equal(t, 500, paging.Size(9000, 50, 500))
}
