package tlog_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/tlog"
)

// nodeStore is the in-memory equivalent of the audit server's node table: every complete
// node the Builder reports. Complete nodes never change as the tree grows, so a store for
// the largest tree answers proofs for every smaller size too.
type nodeStore map[tlog.NodeID][]byte

func buildStore(t testing.TB, leaves [][]byte) nodeStore {
	t.Helper()
	s := nodeStore{}
	b := tlog.NewBuilder()
	for _, l := range leaves {
		require.NoError(t, b.Append(l, func(level uint, index uint64, hash []byte) {
			s[tlog.NodeID{Level: level, Index: index}] = append([]byte(nil), hash...)
		}))
	}
	return s
}

func (s nodeStore) hashes(t testing.TB, ids []tlog.NodeID) [][]byte {
	t.Helper()
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := s[id]
		require.True(t, ok, "proof needs node %+v, which is not complete", id)
		out[i] = h
	}
	return out
}

func (s nodeStore) inclusionProof(t testing.TB, index, size uint64) [][]byte {
	t.Helper()
	ids, rehash, err := tlog.InclusionProofNodes(index, size)
	require.NoError(t, err)
	p, err := rehash(s.hashes(t, ids))
	require.NoError(t, err)
	return p
}

func (s nodeStore) consistencyProof(t testing.TB, size1, size2 uint64) [][]byte {
	t.Helper()
	ids, rehash, err := tlog.ConsistencyProofNodes(size1, size2)
	require.NoError(t, err)
	p, err := rehash(s.hashes(t, ids))
	require.NoError(t, err)
	return p
}

// flipped returns a copy of p with one bit of p[i] changed.
func flipped(p [][]byte, i int) [][]byte {
	out := append([][]byte(nil), p...)
	out[i] = append([]byte(nil), p[i]...)
	out[i][0] ^= 1
	return out
}

func TestInclusionProofs(t *testing.T) {
	t.Parallel()
	const max = 40
	leaves := leafHashes(max)
	store := buildStore(t, leaves)
	for size := uint64(1); size <= max; size++ {
		root := naiveRoot(leaves[:size])
		for index := range size {
			p := store.inclusionProof(t, index, size)
			require.NoError(t, tlog.VerifyInclusion(index, size, leaves[index], p, root), "leaf %d of %d", index, size)
			for i := range p {
				require.Error(t, tlog.VerifyInclusion(index, size, leaves[index], flipped(p, i), root), "leaf %d of %d, proof hash %d flipped", index, size, i)
			}
			other := leaves[(index+1)%max]
			require.Error(t, tlog.VerifyInclusion(index, size, other, p, root), "wrong leaf %d of %d", index, size)
		}
	}
}

func TestConsistencyProofs(t *testing.T) {
	t.Parallel()
	const max = 40
	leaves := leafHashes(max)
	store := buildStore(t, leaves)
	for size2 := uint64(0); size2 <= max; size2++ {
		root2 := naiveRoot(leaves[:size2])
		for size1 := uint64(0); size1 <= size2; size1++ {
			root1 := naiveRoot(leaves[:size1])
			p := store.consistencyProof(t, size1, size2)
			require.NoError(t, tlog.VerifyConsistency(size1, size2, p, root1, root2), "%d -> %d", size1, size2)
			for i := range p {
				require.Error(t, tlog.VerifyConsistency(size1, size2, flipped(p, i), root1, root2), "%d -> %d, proof hash %d flipped", size1, size2, i)
			}
			if size1 > 0 {
				// Every tree extends the empty one, so only non-empty old trees can be forged.
				forged := flipped([][]byte{root1}, 0)[0]
				require.Error(t, tlog.VerifyConsistency(size1, size2, p, forged, root2), "%d -> %d, forged old root", size1, size2)
			}
		}
	}
}

func TestProofNodesRejectBadArguments(t *testing.T) {
	t.Parallel()
	_, _, err := tlog.InclusionProofNodes(5, 5)
	require.Error(t, err)
	_, _, err = tlog.ConsistencyProofNodes(6, 5)
	require.Error(t, err)

	ids, rehash, err := tlog.InclusionProofNodes(3, 7)
	require.NoError(t, err)
	_, err = rehash(leafHashes(len(ids) - 1))
	require.Error(t, err, "too few hashes")
	bad := leafHashes(len(ids))
	bad[0] = bad[0][:31]
	_, err = rehash(bad)
	require.Error(t, err, "short hash")
}

func TestRehashLeavesCallerSliceAlone(t *testing.T) {
	t.Parallel()
	leaves := leafHashes(7)
	store := buildStore(t, leaves)
	// Size 7 has an incomplete right edge, so Rehash folds several hashes into one.
	ids, rehash, err := tlog.InclusionProofNodes(0, 7)
	require.NoError(t, err)
	hashes := store.hashes(t, ids)
	before := append([][]byte(nil), hashes...)
	p, err := rehash(hashes)
	require.NoError(t, err)
	require.Less(t, len(p), len(ids))
	require.Equal(t, before, hashes)
}

// TestResumeFromStoredNodes is the audit server's restart path: read the range nodes from
// the node store and resume building where the tree left off.
func TestResumeFromStoredNodes(t *testing.T) {
	t.Parallel()
	leaves := leafHashes(80)
	store := buildStore(t, leaves)
	for size := range uint64(70) {
		b := tlog.NewBuilder()
		for _, l := range leaves[:size] {
			require.NoError(t, b.Append(l, nil))
		}
		hashes := store.hashes(t, tlog.RangeNodeIDs(size))
		require.Equal(t, b.RangeHashes(), hashes, "size %d", size)
		resumed, err := tlog.ResumeBuilder(size, hashes)
		require.NoError(t, err)
		for _, l := range leaves[size:] {
			require.NoError(t, resumed.Append(l, nil))
		}
		require.Equal(t, naiveRoot(leaves), resumed.Root(), "resumed at %d", size)
	}
}
