package tlog

import (
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// NodeID names a complete (perfect) subtree: the node at Level covers leaves
// [Index<<Level, (Index+1)<<Level). Level 0 are the leaves. These are the nodes Builder's
// visit callback reports, so a store keyed by NodeID can answer every proof.
type NodeID struct {
	Level uint
	Index uint64
}

// InclusionProofNodes lists the nodes whose hashes make the inclusion proof of leaf index in
// a tree of size, and a func that turns their hashes (in that order) into the proof. Only
// complete nodes are listed; the func hashes together those that stand for the incomplete
// subtree on the right edge.
func InclusionProofNodes(index, size uint64) ([]NodeID, func(hashes [][]byte) ([][]byte, error), error) {
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, nil, fmt.Errorf("tlog: inclusion proof of %d in %d: %w", index, size, err)
	}
	return nodeIDs(n.IDs), rehasher(n), nil
}

// ConsistencyProofNodes is InclusionProofNodes for the consistency proof between trees of
// size1 <= size2.
func ConsistencyProofNodes(size1, size2 uint64) ([]NodeID, func(hashes [][]byte) ([][]byte, error), error) {
	n, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, nil, fmt.Errorf("tlog: consistency proof from %d to %d: %w", size1, size2, err)
	}
	return nodeIDs(n.IDs), rehasher(n), nil
}

func nodeIDs(ids []compact.NodeID) []NodeID {
	out := make([]NodeID, len(ids))
	for i, id := range ids {
		out[i] = NodeID{Level: id.Level, Index: id.Index}
	}
	return out
}

func rehasher(n proof.Nodes) func(hashes [][]byte) ([][]byte, error) {
	return func(hashes [][]byte) ([][]byte, error) {
		for i, h := range hashes {
			if len(h) != hashSize {
				return nil, fmt.Errorf("tlog: proof node %d has %d bytes, want %d", i, len(h), hashSize)
			}
		}
		// Rehash works in place; the caller's slice may be a cache's.
		p, err := n.Rehash(append([][]byte(nil), hashes...), HashChildren)
		if err != nil {
			return nil, fmt.Errorf("tlog: rehash proof: %w", err)
		}
		return p, nil
	}
}

// VerifyInclusion checks that leafHash is leaf index of the tree of size with the given root.
func VerifyInclusion(index, size uint64, leafHash []byte, proofHashes [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, proofHashes, root); err != nil {
		return fmt.Errorf("tlog: inclusion of leaf %d in tree of size %d: %w", index, size, readable(err))
	}
	return nil
}

// VerifyConsistency checks that the tree of size2 with root2 extends the tree of size1 with
// root1.
func VerifyConsistency(size1, size2 uint64, proofHashes [][]byte, root1, root2 []byte) error {
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, proofHashes, root1, root2); err != nil {
		return fmt.Errorf("tlog: consistency of tree size %d with %d: %w", size1, size2, readable(err))
	}
	return nil
}

// rootMismatch prints proof.RootMismatchError in hex on one line; the original prints byte
// slices in decimal over several lines, which is unreadable in a CLI report.
type rootMismatch struct{ err proof.RootMismatchError }

func (e rootMismatch) Error() string {
	return fmt.Sprintf("calculated root %x does not match expected root %x", e.err.CalculatedRoot, e.err.ExpectedRoot)
}

func (e rootMismatch) Unwrap() error { return e.err }

func readable(err error) error {
	var m proof.RootMismatchError
	if errors.As(err, &m) {
		return rootMismatch{err: m}
	}
	return err
}
