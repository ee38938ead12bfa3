package tlog_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/tlog"
)

// honestProver plays the audit service and the client side together: the service answers a
// root for size n and a consistency proof from n to the checkpoint, built from its node
// store; the client checks the proof against the trusted checkpoint before believing it.
type honestProver struct {
	t      testing.TB
	leaves [][]byte // the service's copy of the log
	store  nodeStore
	cp     tlog.Checkpoint
	sizes  []uint64
}

func newHonestProver(t testing.TB, leaves [][]byte, cp tlog.Checkpoint) *honestProver {
	return &honestProver{t: t, leaves: leaves, store: buildStore(t, leaves), cp: cp}
}

func (p *honestProver) ProvenRoot(_ context.Context, size uint64) ([]byte, error) {
	p.sizes = append(p.sizes, size)
	if size < 1 || size >= p.cp.Size {
		return nil, fmt.Errorf("size %d outside [1, %d)", size, p.cp.Size)
	}
	claimed := tlog.RootOf(p.leaves[:size])
	proof := p.store.consistencyProof(p.t, size, p.cp.Size)
	if err := tlog.VerifyConsistency(size, p.cp.Size, proof, claimed, p.cp.Hash); err != nil {
		return nil, err
	}
	return claimed, nil
}

type failingProver struct{}

func (failingProver) ProvenRoot(context.Context, uint64) ([]byte, error) {
	return nil, errors.New("audit service unavailable")
}

// bodies returns n distinct event payloads.
func bodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"id":"evt-%d","type":"asset.updated"}`, i)
	}
	return out
}

func hashAll(bodies [][]byte) [][]byte {
	out := make([][]byte, len(bodies))
	for i, b := range bodies {
		out[i] = tlog.LeafHash(b)
	}
	return out
}

func checkpointOf(leaves [][]byte) tlog.Checkpoint {
	return tlog.Checkpoint{Origin: origin, Size: uint64(len(leaves)), Hash: tlog.RootOf(leaves), Time: time.Unix(1_700_000_000, 0)}
}

func TestVerifyLocatesTampering(t *testing.T) {
	t.Parallel()
	const n = 200
	ref := bodies(n)
	cp := checkpointOf(hashAll(ref))

	const (
		mismatch  = "entry does not match the signed log"
		truncated = "log truncated: checkpoint has 200 entries, replay has"
	)
	tests := []struct {
		name       string
		tamper     func(b [][]byte) [][]byte
		wantIndex  uint64
		wantReason string // empty: no problem
	}{
		{name: "untampered", tamper: func(b [][]byte) [][]byte { return b }},
		{name: "entries after the checkpoint", tamper: func(b [][]byte) [][]byte { return append(b, bodies(n + 5)[n:]...) }},
		{name: "payload of 57 altered", tamper: func(b [][]byte) [][]byte {
			b[57] = append(append([]byte(nil), b[57]...), ' ')
			return b
		}, wantIndex: 57, wantReason: mismatch},
		{name: "first entry altered", tamper: func(b [][]byte) [][]byte { b[0] = []byte("x"); return b }, wantIndex: 0, wantReason: mismatch},
		{name: "last entry altered", tamper: func(b [][]byte) [][]byte { b[n-1] = []byte("x"); return b }, wantIndex: n - 1, wantReason: mismatch},
		{name: "entry 80 deleted", tamper: func(b [][]byte) [][]byte { return slices.Delete(b, 80, 81) }, wantIndex: 80, wantReason: mismatch},
		{name: "entries 120 and 121 swapped", tamper: func(b [][]byte) [][]byte {
			b[120], b[121] = b[121], b[120]
			return b
		}, wantIndex: 120, wantReason: mismatch},
		{name: "entry inserted before 33", tamper: func(b [][]byte) [][]byte { return slices.Insert(b, 33, []byte("forged")) }, wantIndex: 33, wantReason: mismatch},
		{name: "entry 33 duplicated", tamper: func(b [][]byte) [][]byte { return slices.Insert(b, 33, b[33]) }, wantIndex: 34, wantReason: mismatch},
		{name: "tail truncated to 150", tamper: func(b [][]byte) [][]byte { return b[:150] }, wantIndex: 150, wantReason: truncated + " 150"},
		{name: "last entry deleted", tamper: func(b [][]byte) [][]byte { return b[:n-1] }, wantIndex: n - 1, wantReason: truncated + " 199"},
		{name: "empty replay", tamper: func([][]byte) [][]byte { return nil }, wantIndex: 0, wantReason: truncated + " 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			replay := hashAll(tt.tamper(slices.Clone(ref)))
			prover := newHonestProver(t, hashAll(ref), cp)

			problem, err := tlog.Verify(t.Context(), replay, cp, prover)
			require.NoError(t, err)
			if tt.wantReason == "" {
				require.Nil(t, problem)
				require.Empty(t, prover.sizes, "a matching log needs no prover")
				return
			}
			require.NotNil(t, problem)
			require.True(t, problem.Located)
			require.Equal(t, tt.wantIndex, problem.Index, problem.Error())
			require.Contains(t, problem.Reason, tt.wantReason)
			require.Equal(t, fmt.Sprintf("index %d: %s", tt.wantIndex, problem.Reason), problem.Error())
			require.LessOrEqual(t, len(prover.sizes), 9, "binary search asks O(log n) roots, asked %v", prover.sizes)
		})
	}
}

func TestVerifyWithoutProver(t *testing.T) {
	t.Parallel()
	ref := hashAll(bodies(200))
	cp := checkpointOf(ref)

	problem, err := tlog.Verify(t.Context(), ref, cp, nil)
	require.NoError(t, err)
	require.Nil(t, problem)

	altered := slices.Clone(ref)
	altered[57] = tlog.LeafHash([]byte("x"))
	problem, err = tlog.Verify(t.Context(), altered, cp, nil)
	require.NoError(t, err)
	require.NotNil(t, problem)
	require.False(t, problem.Located, "without a prover the bad entry cannot be located")
	require.Equal(t, uint64(199), problem.Index, "an upper bound only")
	require.Contains(t, problem.Reason, "root mismatch")
	require.Contains(t, problem.Reason, "run against the audit service")
	require.Equal(t, "at or before index 199: "+problem.Reason, problem.Error())

	// A short replay is certainly truncated, but an earlier entry may be bad as well.
	problem, err = tlog.Verify(t.Context(), altered[:150], cp, nil)
	require.NoError(t, err)
	require.Equal(t, &tlog.Problem{Index: 150, Reason: "log truncated: checkpoint has 200 entries, replay has 150"}, problem)
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	ref := hashAll(bodies(50))
	cp := checkpointOf(ref)
	altered := slices.Clone(ref)
	altered[3] = tlog.LeafHash(nil)

	badLeaf := slices.Clone(ref)
	badLeaf[7] = badLeaf[7][:31]
	badCP := cp
	badCP.Hash = cp.Hash[:20]
	emptyCP := tlog.Checkpoint{Origin: origin, Hash: ref[0]}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		leaves  [][]byte
		cp      tlog.Checkpoint
		prover  tlog.Prover
		wantErr string
	}{
		{name: "prover fails", leaves: altered, cp: cp, prover: failingProver{}, wantErr: "audit service unavailable"},
		{name: "short leaf hash", leaves: badLeaf, cp: cp, wantErr: "leaf hash 7 has 31 bytes"},
		{name: "short checkpoint root", leaves: ref, cp: badCP, wantErr: "checkpoint root has 20 bytes"},
		{name: "empty checkpoint with a root", leaves: ref, cp: emptyCP, wantErr: "not the empty root"},
		{name: "cancelled", ctx: cancelled, leaves: altered, cp: cp, prover: newHonestProver(t, ref, cp), wantErr: "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			problem, err := tlog.Verify(ctx, tt.leaves, tt.cp, tt.prover)
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, problem)
		})
	}
}

func TestVerifyConsistencyWithTrusted(t *testing.T) {
	t.Parallel()
	ref := hashAll(bodies(200))
	latest := checkpointOf(ref)
	trusted := checkpointOf(ref[:120])

	forkedHistory := hashAll(bodies(120))
	forkedHistory[10] = tlog.LeafHash([]byte("the entry the log later rewrote"))
	forked := checkpointOf(forkedHistory)

	tests := []struct {
		name       string
		leaves     [][]byte
		trusted    tlog.Checkpoint
		latest     tlog.Checkpoint
		wantIndex  uint64
		wantReason string // empty: consistent
		wantErr    string
	}{
		{name: "extends trusted", leaves: ref, trusted: trusted, latest: latest},
		{name: "same checkpoint", leaves: ref, trusted: latest, latest: latest},
		{name: "empty trusted", leaves: ref, trusted: checkpointOf(nil), latest: latest},
		{name: "forked history", leaves: ref, trusted: forked, latest: latest, wantIndex: 119, wantReason: "log forked: its first 120 entries"},
		{name: "rolled back", leaves: ref[:150], trusted: latest, latest: checkpointOf(ref[:150]), wantIndex: 150, wantReason: "log rolled back: trusted checkpoint has 200 entries, new checkpoint 150"},
		{name: "replay shorter than trusted", leaves: ref[:100], trusted: trusted, latest: latest, wantIndex: 100, wantReason: "log truncated: trusted checkpoint has 120 entries, replay has 100"},
		{name: "other origin", leaves: ref, trusted: tlog.Checkpoint{Origin: "other.example/audit", Size: 1, Hash: ref[0]}, latest: latest, wantErr: "origin"},
		{name: "bad empty trusted", leaves: ref, trusted: tlog.Checkpoint{Origin: origin, Hash: ref[0]}, latest: latest, wantErr: "size 0 has a non-empty root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			problem, err := tlog.VerifyConsistencyWithTrusted(tt.leaves, tt.trusted, tt.latest)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.wantReason == "" {
				require.Nil(t, problem)
				return
			}
			require.NotNil(t, problem)
			require.False(t, problem.Located)
			require.Equal(t, tt.wantIndex, problem.Index)
			require.Contains(t, problem.Reason, tt.wantReason)
		})
	}
}

// BenchmarkVerify1M is the common case of `yaosuctl audit verify`: an untouched log, checked
// against its checkpoint without asking the service anything.
func BenchmarkVerify1M(b *testing.B) {
	leaves := leafHashes(1 << 20)
	cp := checkpointOf(leaves)
	b.ReportAllocs()
	for b.Loop() {
		problem, err := tlog.Verify(b.Context(), leaves, cp, nil)
		if err != nil || problem != nil {
			b.Fatal(problem, err)
		}
	}
}

// rootTable answers roots it was given up front; it stands in for the audit service in
// BenchmarkVerifyLocate1M so the benchmark measures Verify's own hashing, not the prover's.
type rootTable map[uint64][]byte

func (r rootTable) ProvenRoot(_ context.Context, size uint64) ([]byte, error) {
	root, ok := r[size]
	if !ok {
		return nil, fmt.Errorf("no root for size %d", size)
	}
	return root, nil
}

// recordingProver computes each root from the reference leaves and remembers it.
type recordingProver struct {
	leaves [][]byte
	table  rootTable
}

func (p recordingProver) ProvenRoot(_ context.Context, size uint64) ([]byte, error) {
	p.table[size] = tlog.RootOf(p.leaves[:size])
	return p.table[size], nil
}

// BenchmarkVerifyLocate1M locates an altered entry in a log of 2^20 entries: one pass for
// the mismatching root, then the binary search's incremental hashing.
func BenchmarkVerifyLocate1M(b *testing.B) {
	const n, bad = 1 << 20, 777_777
	ref := leafHashes(n)
	cp := checkpointOf(ref)
	replay := slices.Clone(ref)
	replay[bad] = tlog.LeafHash([]byte("altered"))

	table := rootTable{}
	problem, err := tlog.Verify(b.Context(), replay, cp, recordingProver{leaves: ref, table: table})
	require.NoError(b, err)
	require.Equal(b, uint64(bad), problem.Index)

	b.ReportAllocs()
	for b.Loop() {
		problem, err := tlog.Verify(b.Context(), replay, cp, table)
		if err != nil || problem.Index != bad {
			b.Fatal(problem, err)
		}
	}
}
