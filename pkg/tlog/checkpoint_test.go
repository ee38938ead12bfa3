package tlog_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"yaosu.dev/pkg/tlog"
)

const origin = "yaosu.example/audit"

// testKey derives a deterministic Ed25519 key, so failures reproduce.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testSigner(t *testing.T, origin, keyName string) *tlog.Signer {
	t.Helper()
	s, err := tlog.NewSigner(origin, testKey(keyName))
	require.NoError(t, err)
	return s
}

func TestCheckpointRoundTrip(t *testing.T) {
	t.Parallel()
	s := testSigner(t, origin, "log")
	signedAt := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))
	cp := tlog.Checkpoint{Origin: origin, Size: 200, Hash: naiveRoot(leafHashes(200)), Time: signedAt}

	signed, err := s.Sign(cp)
	require.NoError(t, err)
	wantHead := fmt.Sprintf("%s\n200\n%s\ntime 2026-03-14T14:09:26.535897932Z\n\n— %s ",
		origin, base64.StdEncoding.EncodeToString(cp.Hash), origin)
	require.True(t, strings.HasPrefix(string(signed), wantHead), "note text:\n%s", signed)

	got, err := tlog.OpenCheckpoint(signed, s.VerifierKey())
	require.NoError(t, err)
	require.Equal(t, cp.Origin, got.Origin)
	require.Equal(t, cp.Size, got.Size)
	require.Equal(t, cp.Hash, got.Hash)
	require.True(t, signedAt.Equal(got.Time), "time %s, want %s", got.Time, signedAt)
	require.Equal(t, time.UTC, got.Time.Location())

	v, err := note.NewVerifier(s.VerifierKey())
	require.NoError(t, err)
	require.Equal(t, origin, v.Name())
}

func TestOpenCheckpointRejects(t *testing.T) {
	t.Parallel()
	s := testSigner(t, origin, "log")
	cp := tlog.Checkpoint{Origin: origin, Size: 200, Hash: naiveRoot(leafHashes(200)), Time: time.Unix(1_700_000_000, 0)}
	signed, err := s.Sign(cp)
	require.NoError(t, err)

	sign := func(s *tlog.Signer, cp tlog.Checkpoint) []byte {
		out, err := s.Sign(cp)
		require.NoError(t, err)
		return out
	}
	otherOrigin := cp
	otherOrigin.Origin = "other.example/audit"

	// rawSigned signs arbitrary text with the log's name and a key pinned below as rawKey,
	// to check that a valid signature does not make a malformed body acceptable.
	skey, rawKey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)), origin)
	require.NoError(t, err)
	rawSigner, err := note.NewSigner(skey)
	require.NoError(t, err)
	rawSigned := func(text string) []byte {
		out, err := note.Sign(&note.Note{Text: text}, rawSigner)
		require.NoError(t, err)
		return out
	}
	hash64 := base64.StdEncoding.EncodeToString(cp.Hash)

	tests := []struct {
		name    string
		signed  []byte
		key     string
		wantErr string
	}{
		{name: "forged: same origin, other key", signed: sign(testSigner(t, origin, "attacker"), cp), key: s.VerifierKey(), wantErr: "no verifiable signatures"},
		{name: "tampered size", signed: bytes.Replace(signed, []byte("\n200\n"), []byte("\n201\n"), 1), key: s.VerifierKey(), wantErr: "invalid signature"},
		{name: "another origin", signed: sign(testSigner(t, otherOrigin.Origin, "log"), otherOrigin), key: s.VerifierKey(), wantErr: "no verifiable signatures"},
		{name: "bad verifier key", signed: signed, key: "not-a-key", wantErr: "bad verifier key"},
		{name: "not a note", signed: []byte("hello"), key: s.VerifierKey(), wantErr: "failed to verify"},
		{name: "body of another origin under our key", signed: rawSigned("other.example/audit\n1\n" + hash64 + "\ntime 2026-01-01T00:00:00Z\n"), key: rawKey, wantErr: "expected"},
		{name: "no time line", signed: rawSigned(origin + "\n1\n" + hash64 + "\n"), key: rawKey, wantErr: "exactly one extension line"},
		{name: "two extension lines", signed: rawSigned(origin + "\n1\n" + hash64 + "\ntime 2026-01-01T00:00:00Z\nextra\n"), key: rawKey, wantErr: "exactly one extension line"},
		{name: "not a time line", signed: rawSigned(origin + "\n1\n" + hash64 + "\nwhen 2026-01-01T00:00:00Z\n"), key: rawKey, wantErr: "is not"},
		{name: "bad time", signed: rawSigned(origin + "\n1\n" + hash64 + "\ntime yesterday\n"), key: rawKey, wantErr: "time"},
		{name: "short root", signed: rawSigned(origin + "\n1\nAAAA\ntime 2026-01-01T00:00:00Z\n"), key: rawKey, wantErr: "root hash has 3 bytes"},
		{name: "bad size", signed: rawSigned(origin + "\n-1\n" + hash64 + "\ntime 2026-01-01T00:00:00Z\n"), key: rawKey, wantErr: "size invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tlog.OpenCheckpoint(tt.signed, tt.key)
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, got)
		})
	}

	// The raw signer itself is sound: a well-formed body under it opens.
	_, err = tlog.OpenCheckpoint(rawSigned(origin+"\n1\n"+hash64+"\ntime 2026-01-01T00:00:00Z\n"), rawKey)
	require.NoError(t, err)
}

func TestSignerRejects(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "has space", "a+b", "line\nbreak"} {
		_, err := tlog.NewSigner(bad, testKey("log"))
		require.Error(t, err, "origin %q", bad)
	}
	_, err := tlog.NewSigner(origin, ed25519.PrivateKey{1, 2, 3})
	require.Error(t, err)

	s := testSigner(t, origin, "log")
	good := tlog.Checkpoint{Origin: origin, Size: 1, Hash: leafHashes(1)[0], Time: time.Unix(1, 0)}
	tests := []struct {
		name   string
		mutate func(*tlog.Checkpoint)
	}{
		{name: "other origin", mutate: func(c *tlog.Checkpoint) { c.Origin = "other.example/audit" }},
		{name: "short hash", mutate: func(c *tlog.Checkpoint) { c.Hash = c.Hash[:16] }},
		{name: "no time", mutate: func(c *tlog.Checkpoint) { c.Time = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := good
			tt.mutate(&c)
			_, err := s.Sign(c)
			require.Error(t, err)
		})
	}
}
