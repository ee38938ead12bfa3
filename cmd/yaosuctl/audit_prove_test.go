package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
)

// testBundle builds the proof bundle of entry index in a log of size entries from tlog
// primitives alone.
func testBundle(t *testing.T, size, index int) (*testLog, *proofBundle, []*eventsv1.Event) {
	t.Helper()
	l := newTestLog(t)
	var evs []*eventsv1.Event
	for i := range size {
		evs = append(evs, l.event(t, "assets/x", int64(i+1)))
	}
	cp, _ := l.sign(t, uint64(size))
	return l, &proofBundle{
		EventID:    evs[index].GetId(),
		Index:      uint64(index),
		TreeSize:   uint64(size),
		LeafData:   l.bodies[index],
		Hashes:     l.inclusionProof(t, uint64(index), uint64(size)),
		Checkpoint: newCheckpointJSON(cp, l.signer.VerifierKey()),
	}, evs
}

func TestCheckProof(t *testing.T) {
	for _, tc := range []struct{ size, index int }{{1, 0}, {2, 1}, {7, 3}, {31, 30}, {32, 0}} {
		_, b, evs := testBundle(t, tc.size, tc.index)
		cp, ev, err := checkProof(b, b.Checkpoint.VerifierKey)
		require.NoError(t, err, "%+v", tc)
		require.EqualValues(t, tc.size, cp.Size)
		require.Equal(t, evs[tc.index].GetId(), ev.GetId())
	}

	fresh := func() (*testLog, *proofBundle, []*eventsv1.Event) { return testBundle(t, 13, 5) }
	l, b, _ := fresh()
	key := l.signer.VerifierKey()

	b.Hashes[1][7] ^= 0x80
	_, _, err := checkProof(b, key)
	require.ErrorContains(t, err, "inclusion of leaf 5 in tree of size 13")

	l, b, _ = fresh()
	b.LeafData = append([]byte(nil), b.LeafData...)
	b.LeafData[len(b.LeafData)-1] ^= 0x01 // still decodes: the last byte is in a payload string
	_, _, err = checkProof(b, l.signer.VerifierKey())
	require.ErrorContains(t, err, "inclusion of leaf 5")

	l, b, evs := fresh()
	b.LeafData = l.bodies[6] // another event's bytes under this event's id
	_, _, err = checkProof(b, l.signer.VerifierKey())
	require.ErrorContains(t, err, `leaf_data is event "`+evs[6].GetId()+`", not "`+evs[5].GetId()+`"`)

	l, b, _ = fresh()
	b.Index = 4
	_, _, err = checkProof(b, l.signer.VerifierKey())
	require.Error(t, err, "the path of leaf 5 does not prove leaf 4")

	_, b, _ = fresh()
	other := newTestLog(t)
	_, _, err = checkProof(b, other.signer.VerifierKey())
	require.ErrorContains(t, err, "the bundle's checkpoint does not verify with key "+keyName(other.signer.VerifierKey()))

	// A checkpoint of another size: the path leads nowhere it can be checked.
	l, b, _ = fresh()
	l.event(t, "assets/x", 14)
	cp, _ := l.sign(t, 14)
	b.Checkpoint = newCheckpointJSON(cp, key)
	_, _, err = checkProof(b, l.signer.VerifierKey())
	require.ErrorContains(t, err, "the proof is for tree size 13 but the signed checkpoint covers 14 entries")

	_, b, _ = fresh()
	b.Checkpoint = nil
	_, _, err = checkProof(b, key)
	require.ErrorContains(t, err, "no checkpoint")
}

func TestAuditProveAndCheckProof(t *testing.T) {
	isolate(t)
	l := newTestLog(t)
	var evs []*eventsv1.Event
	for i := range 21 {
		evs = append(evs, l.event(t, "assets/y", int64(i+1)))
	}
	f := &fakeAudit{t: t, log: l}
	addr := f.serve(t)
	dir := t.TempDir()
	key := l.signer.VerifierKey()
	path := filepath.Join(dir, "proof.json")

	_, stderr, err := auditCLI(t, addr, "audit", "prove", evs[11].GetId(), "-f", path)
	require.NoError(t, err, stderr)
	require.Contains(t, stderr, "is entry 11 of yaosu.test/audit (tree size 21)")
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var bundle map[string]any
	require.NoError(t, json.Unmarshal(raw, &bundle))
	for _, k := range []string{"event_id", "index", "tree_size", "leaf_data", "hashes", "checkpoint", "event"} {
		require.Contains(t, bundle, k)
	}
	require.Equal(t, evs[11].GetId(), bundle["event_id"])
	require.EqualValues(t, 11, bundle["index"])
	require.EqualValues(t, 21, bundle["tree_size"])
	cp := bundle["checkpoint"].(map[string]any)
	require.Equal(t, key, cp["verifier_key"])
	require.NotEmpty(t, cp["signed_note"])

	// Offline: no --addr needed, nothing is asked of a server.
	stdout, stderr, err := auditCLI(t, "127.0.0.1:1", "audit", "check-proof", path, "--key", key)
	require.NoError(t, err, stderr)
	require.True(t, strings.HasPrefix(stdout, "OK: event "+evs[11].GetId()+" (catalog.asset.created assets/y) is entry 11"), stdout)
	require.Contains(t, stdout, "(pinned)")
	require.Empty(t, stderr)

	_, stderr, err = auditCLI(t, "127.0.0.1:1", "audit", "check-proof", path)
	require.NoError(t, err)
	require.Contains(t, stderr, "warning: verifier key not pinned")

	stdout, _, err = auditCLI(t, "127.0.0.1:1", "audit", "check-proof", path, "--key", key, "-o", "json")
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, true, rep["ok"])
	require.EqualValues(t, 11, rep["index"])
	require.Equal(t, true, rep["key_pinned"])

	// Tampered: one bit of one hash of the path.
	hashes := bundle["hashes"].([]any)
	hashes[2] = b64Flip(t, hashes[2].(string))
	tampered, err := json.Marshal(bundle)
	require.NoError(t, err)
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, tampered, 0o600))
	stdout, _, err = auditCLI(t, "127.0.0.1:1", "audit", "check-proof", bad, "--key", key)
	require.ErrorContains(t, err, "proof check failed")
	require.True(t, strings.HasPrefix(stdout, "FAIL: tlog: inclusion of leaf 11 in tree of size 21"), stdout)

	stdout, _, err = auditCLI(t, "127.0.0.1:1", "audit", "check-proof", bad, "--key", key, "-o", "json")
	require.Error(t, err)
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, false, rep["ok"])
	require.Contains(t, rep["error"], "inclusion of leaf 11")

	// A pinned key that is not the log's.
	_, _, err = auditCLI(t, "127.0.0.1:1", "audit", "check-proof", path, "--key", newTestLog(t).signer.VerifierKey())
	require.ErrorContains(t, err, "does not verify with key")

	_, _, err = auditCLI(t, addr, "audit", "prove", "01234567-89ab-7def-8123-456789abcdef")
	require.ErrorContains(t, err, "NOT_FOUND")
}
