package tlog_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/tlog"
)

// leafHashes returns the leaf hashes of n distinct entries.
func leafHashes(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = tlog.LeafHash(fmt.Appendf(nil, "event-%d", i))
	}
	return out
}

// naiveRoot is RFC 6962 section 2.1 written out literally, independent of the package's
// hashing, as the reference the fast implementations are checked against.
func naiveRoot(leaves [][]byte) []byte {
	switch n := len(leaves); n {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		return leaves[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		h := sha256.New()
		h.Write([]byte{1})
		h.Write(naiveRoot(leaves[:k]))
		h.Write(naiveRoot(leaves[k:]))
		return h.Sum(nil)
	}
}

func TestHashesMatchRFC6962(t *testing.T) {
	t.Parallel()
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	// Values from RFC 6962 and the Certificate Transparency reference test vectors.
	require.Equal(t, unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), tlog.EmptyRoot())
	require.Equal(t, unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"), tlog.LeafHash(nil))
	l, r := tlog.LeafHash([]byte("N123")), tlog.LeafHash([]byte("N456"))
	require.Equal(t, naiveRoot([][]byte{l, r}), tlog.HashChildren(l, r))
	// EmptyRoot hands out a fresh slice each time, so a caller cannot corrupt the next one.
	e := tlog.EmptyRoot()
	e[0] ^= 0xff
	require.NotEqual(t, e, tlog.EmptyRoot())
}

func TestBuilderRootsMatchRootOfAndNaive(t *testing.T) {
	t.Parallel()
	const max = 4100
	leaves := leafHashes(max)
	checked := map[int]bool{127: true, 128: true, 129: true, 1000: true, 1023: true, 1024: true, 1025: true, 4096: true, 4097: true, max: true}
	for n := 0; n <= 70; n++ {
		checked[n] = true
	}

	b := tlog.NewBuilder()
	for n := 0; n <= max; n++ {
		if checked[n] {
			want := naiveRoot(leaves[:n])
			require.Equal(t, uint64(n), b.Size())
			require.Equal(t, want, b.Root(), "builder root at size %d", n)
			require.Equal(t, want, tlog.RootOf(leaves[:n]), "RootOf at size %d", n)
		}
		if n < max {
			require.NoError(t, b.Append(leaves[n], nil))
		}
	}
}

func TestResumeBuilderContinuesTheSameTree(t *testing.T) {
	t.Parallel()
	leaves := leafHashes(120)
	for size := 0; size <= 70; size++ {
		orig := tlog.NewBuilder()
		for _, l := range leaves[:size] {
			require.NoError(t, orig.Append(l, nil))
		}
		resumed, err := tlog.ResumeBuilder(uint64(size), orig.RangeHashes())
		require.NoError(t, err)
		require.Equal(t, orig.Root(), resumed.Root())
		for n := size; n < size+40; n++ {
			require.NoError(t, resumed.Append(leaves[n], nil))
			require.Equal(t, naiveRoot(leaves[:n+1]), resumed.Root(), "resumed at %d, size %d", size, n+1)
		}
	}
}

func TestBuilderRejectsBadInput(t *testing.T) {
	t.Parallel()
	hashes := tlog.NewBuilder().RangeHashes()
	require.Empty(t, hashes)

	tests := []struct {
		name   string
		size   uint64
		hashes [][]byte
	}{
		{name: "too few hashes", size: 3, hashes: leafHashes(1)},
		{name: "too many hashes", size: 4, hashes: leafHashes(2)},
		{name: "short hash", size: 1, hashes: [][]byte{{1, 2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tlog.ResumeBuilder(tt.size, tt.hashes)
			require.Error(t, err)
		})
	}

	b := tlog.NewBuilder()
	require.Error(t, b.Append([]byte("short"), nil))
	require.Equal(t, uint64(0), b.Size())
}

func TestBuilderDoesNotAliasCallerMemory(t *testing.T) {
	t.Parallel()
	leaves := leafHashes(4)
	want := naiveRoot(leaves)
	b := tlog.NewBuilder()
	buf := make([]byte, 32)
	for _, l := range leaves {
		copy(buf, l)
		require.NoError(t, b.Append(buf, nil))
	}
	root := b.Root()
	require.Equal(t, want, root)
	root[0] ^= 0xff
	b.RangeHashes()[0][0] ^= 0xff
	require.Equal(t, want, b.Root())
}

func TestBuilderVisitsEveryCompleteNode(t *testing.T) {
	t.Parallel()
	const n = 37
	leaves := leafHashes(n)
	visited := map[tlog.NodeID][]byte{}
	b := tlog.NewBuilder()
	for _, l := range leaves {
		require.NoError(t, b.Append(l, func(level uint, index uint64, hash []byte) {
			id := tlog.NodeID{Level: level, Index: index}
			require.NotContains(t, visited, id, "node visited twice")
			visited[id] = append([]byte(nil), hash...)
		}))
	}
	// Every perfect subtree within [0,n) is reported once, with the hash of its leaves.
	count := 0
	for level := uint(0); 1<<level <= n; level++ {
		for index := uint64(0); (index+1)<<level <= n; index++ {
			begin, end := index<<level, (index+1)<<level
			require.Equal(t, naiveRoot(leaves[begin:end]), visited[tlog.NodeID{Level: level, Index: index}], "node %d/%d", level, index)
			count++
		}
	}
	require.Len(t, visited, count)
}

func TestRootOfDoesNotAllocatePerLeaf(t *testing.T) {
	leaves := leafHashes(1000)
	allocs := testing.AllocsPerRun(10, func() { tlog.RootOf(leaves) })
	require.LessOrEqual(t, allocs, 1.0, "only the returned root may be allocated")
}

func BenchmarkBuilder1M(b *testing.B) {
	leaves := leafHashes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		bld := tlog.NewBuilder()
		for _, l := range leaves {
			if err := bld.Append(l, nil); err != nil {
				b.Fatal(err)
			}
		}
		_ = bld.Root()
	}
}

func BenchmarkRootOf1M(b *testing.B) {
	leaves := leafHashes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		_ = tlog.RootOf(leaves)
	}
}
