package tlog

import (
	"fmt"

	"github.com/transparency-dev/merkle/compact"
)

// rangeFactory builds compact ranges with RFC 6962 SHA-256 interior hashing. Ranges made by
// different factories refuse to merge, so there is exactly one.
var rangeFactory = &compact.RangeFactory{Hash: HashChildren}

// Builder incrementally computes the roots of a growing log with a compact range: it keeps
// only the hashes of the O(log n) perfect subtrees that cover the leaves so far.
type Builder struct {
	r *compact.Range
}

// NewBuilder returns a Builder for an empty tree.
func NewBuilder() *Builder {
	return &Builder{r: rangeFactory.NewEmptyRange(0)}
}

// ResumeBuilder continues a tree of size leaves from the hashes of its compact range: the
// perfect subtrees covering [0,size), left to right, as compact.RangeNodes(0,size) lists
// them and as RangeHashes returns them.
func ResumeBuilder(size uint64, hashes [][]byte) (*Builder, error) {
	own := make([][]byte, len(hashes))
	for i, h := range hashes {
		if len(h) != hashSize {
			return nil, fmt.Errorf("tlog: resume builder: range hash %d has %d bytes, want %d", i, len(h), hashSize)
		}
		own[i] = append([]byte(nil), h...)
	}
	r, err := rangeFactory.NewRange(0, size, own)
	if err != nil {
		return nil, fmt.Errorf("tlog: resume builder at size %d: %w", size, err)
	}
	return &Builder{r: r}, nil
}

// Append adds one leaf hash. visit (may be nil) is called for every node that becomes
// complete, the leaf itself included (level 0), so a store can persist the nodes that proofs
// are built from. The hash passed to visit is owned by the Builder: copy it to keep it past
// the call.
func (b *Builder) Append(leafHash []byte, visit func(level uint, index uint64, hash []byte)) error {
	if len(leafHash) != hashSize {
		return fmt.Errorf("tlog: append: leaf hash has %d bytes, want %d", len(leafHash), hashSize)
	}
	var v compact.VisitFn
	if visit != nil {
		v = func(id compact.NodeID, hash []byte) { visit(id.Level, id.Index, hash) }
	}
	// The range keeps the slice it is given: copy so a caller reusing its buffer cannot
	// change the tree after the fact.
	if err := b.r.Append(append([]byte(nil), leafHash...), v); err != nil {
		return fmt.Errorf("tlog: append leaf %d: %w", b.r.End(), err)
	}
	return nil
}

// Size returns the number of leaves appended so far (including those resumed from).
func (b *Builder) Size() uint64 { return b.r.End() }

// Root returns the root hash of the tree so far; EmptyRoot() for size 0.
func (b *Builder) Root() []byte {
	root, err := b.r.GetRootHash(nil)
	if err != nil {
		// The range always begins at 0, the only case GetRootHash rejects.
		panic(fmt.Sprintf("tlog: builder range does not begin at 0: %v", err))
	}
	if root == nil {
		return EmptyRoot()
	}
	// For power-of-two sizes the root is the range's own slice.
	return append([]byte(nil), root...)
}

// RangeHashes returns copies of the compact range hashes, the state ResumeBuilder takes.
func (b *Builder) RangeHashes() [][]byte {
	hs := b.r.Hashes()
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = append([]byte(nil), h...)
	}
	return out
}

// RootOf returns the root of the tree whose leaves have the given leaf hashes. It allocates
// nothing but the result, however many leaves there are. It panics if a leaf hash is not a
// 32-byte SHA-256 hash: leaf hashes come from LeafHash, so anything else is a bug.
func RootOf(leafHashes [][]byte) []byte {
	var s stack
	s.extend(leafHashes)
	r := s.root()
	return r[:]
}

// stack is an allocation-free compact range starting at leaf 0: h[:depth] holds the roots
// of the perfect subtrees covering [0,size), largest (leftmost) first. A tree of at most
// 2^64-1 leaves has at most 64 of them. It is a value type, so a copy is a snapshot, which
// Verify's binary search relies on.
type stack struct {
	size  uint64
	depth int
	h     [64][hashSize]byte
}

// push appends one leaf hash, merging the perfect subtrees it completes: one per trailing
// one bit of the old size.
func (s *stack) push(leaf []byte) {
	if len(leaf) != hashSize {
		panic(fmt.Sprintf("tlog: leaf hash %d has %d bytes, want %d", s.size, len(leaf), hashSize))
	}
	cur := [hashSize]byte(leaf)
	for n := s.size; n&1 == 1; n >>= 1 {
		s.depth--
		cur = hashPair(&s.h[s.depth], &cur)
	}
	s.h[s.depth] = cur
	s.depth++
	s.size++
}

func (s *stack) extend(leaves [][]byte) {
	for _, l := range leaves {
		s.push(l)
	}
}

// root folds the perfect subtrees right to left, as RFC 6962's split at the largest power of
// two below the size does.
func (s *stack) root() [hashSize]byte {
	if s.depth == 0 {
		return emptyRoot
	}
	cur := s.h[s.depth-1]
	for i := s.depth - 2; i >= 0; i-- {
		cur = hashPair(&s.h[i], &cur)
	}
	return cur
}
