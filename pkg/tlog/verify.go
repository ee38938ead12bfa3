package tlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// mismatchReason is the Reason of a located divergence. One entry differing is all a Merkle
// tree can tell: an altered, inserted, deleted or reordered entry all look the same from the
// first differing index on.
const mismatchReason = "entry does not match the signed log (altered, inserted, deleted or reordered)"

// Problem is the first thing found wrong with a replayed log, at a leaf index (entry Index is
// stream message Index+1).
type Problem struct {
	// Index is the first entry that does not match the signed log when Located is true.
	// When Located is false the first bad entry could not be pinpointed and Index is an
	// upper bound: the first bad entry is at or before it.
	Index uint64
	// Located reports whether Index is exactly the first bad entry.
	Located bool
	// Reason says what is wrong, for people.
	Reason string
}

// Error returns "index N: reason", or "at or before index N: reason" when not located.
func (p *Problem) Error() string {
	if p.Located {
		return fmt.Sprintf("index %d: %s", p.Index, p.Reason)
	}
	return fmt.Sprintf("at or before index %d: %s", p.Index, p.Reason)
}

// Prover answers, for a given size, the root of the log's first size entries, already
// verified by the implementation as consistent with the trusted checkpoint (for example the
// audit service's root and consistency proof from size to the checkpoint's size, checked
// with VerifyConsistency). Verify asks only sizes in [1, checkpoint.Size).
type Prover interface {
	ProvenRoot(ctx context.Context, size uint64) ([]byte, error)
}

// Verify checks replayed entries (their leaf hashes, in log order) against a trusted
// checkpoint. It returns nil, nil when the first cp.Size entries are exactly the signed
// ones; entries beyond cp.Size are not covered by the checkpoint and are left to the caller.
// Otherwise it returns the first problem:
//   - a divergence: the smallest n whose prefix root differs from the prover's gives
//     Index n-1, found by binary search with O(log n) prover calls and about two passes of
//     hashing over the entries;
//   - a truncation, when the replay is a correct but short prefix: Index len(leafHashes);
//   - without a prover nothing can be located: a root mismatch names Index cp.Size-1 and a
//     short replay Index len(leafHashes), both with Located false.
//
// The error result is reserved for being unable to check: malformed input, a checkpoint of
// size 0 with a non-empty root, or a prover failure.
func Verify(ctx context.Context, leafHashes [][]byte, cp Checkpoint, prover Prover) (*Problem, error) {
	if err := checkLeafHashes(leafHashes); err != nil {
		return nil, fmt.Errorf("tlog: verify: %w", err)
	}
	if len(cp.Hash) != hashSize {
		return nil, fmt.Errorf("tlog: verify: checkpoint root has %d bytes, want %d", len(cp.Hash), hashSize)
	}
	n := uint64(len(leafHashes))
	if n < cp.Size {
		trunc := &Problem{
			Index:   n,
			Located: n == 0,
			Reason:  fmt.Sprintf("log truncated: checkpoint has %d entries, replay has %d", cp.Size, n),
		}
		if n == 0 || prover == nil {
			return trunc, nil
		}
		// A short replay may be a clean prefix (truncation) or have lost or changed an
		// entry earlier on: only the prover's root at this size tells which.
		var s stack
		s.extend(leafHashes)
		root := s.root()
		proven, err := provenRoot(ctx, prover, n)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(root[:], proven) {
			trunc.Located = true
			return trunc, nil
		}
		return locate(ctx, leafHashes, n, prover)
	}

	var s stack
	s.extend(leafHashes[:cp.Size])
	root := s.root()
	if bytes.Equal(root[:], cp.Hash) {
		return nil, nil
	}
	if cp.Size == 0 {
		return nil, fmt.Errorf("tlog: verify: checkpoint of size 0 has root %x, not the empty root", cp.Hash)
	}
	if prover == nil {
		return &Problem{
			Index:  cp.Size - 1,
			Reason: "root mismatch: the replayed entries do not hash to the checkpoint's root; run against the audit service to locate the first bad entry",
		}, nil
	}
	return locate(ctx, leafHashes, cp.Size, prover)
}

// locate finds the smallest size whose prefix root differs from the proven one, given that
// size hi differs. Prefix roots are monotone: once a prefix contains a bad entry every
// longer prefix does. The search keeps the compact range of the last good prefix and only
// hashes the leaves between it and each probe, so the total hashing is below hi leaves.
func locate(ctx context.Context, leafHashes [][]byte, hi uint64, prover Prover) (*Problem, error) {
	var lo uint64
	var good stack // compact range of leafHashes[:lo]
	for hi-lo > 1 {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("tlog: verify: %w", err)
		}
		mid := lo + (hi-lo)/2
		probe := good
		probe.extend(leafHashes[lo:mid])
		root := probe.root()
		proven, err := provenRoot(ctx, prover, mid)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(root[:], proven) {
			lo, good = mid, probe
		} else {
			hi = mid
		}
	}
	return &Problem{Index: hi - 1, Located: true, Reason: mismatchReason}, nil
}

func provenRoot(ctx context.Context, prover Prover, size uint64) ([]byte, error) {
	root, err := prover.ProvenRoot(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("tlog: verify: proven root at size %d: %w", size, err)
	}
	if len(root) != hashSize {
		return nil, fmt.Errorf("tlog: verify: proven root at size %d has %d bytes, want %d", size, len(root), hashSize)
	}
	return root, nil
}

// VerifyConsistencyWithTrusted checks that latest extends an older trusted checkpoint
// without a server: it recomputes the root of the first trusted.Size replayed entries and
// compares it with trusted.Hash. Call it after Verify(leafHashes, latest) found no problem,
// so the replay is known to be the log latest signed; a mismatch then means the log signed
// two incompatible histories (a fork or rewrite).
//
// Index semantics (Located is always false, because the old entries are gone):
//   - fork: Index trusted.Size-1, the last entry the trusted checkpoint covers; the
//     rewritten entry is at or before it;
//   - latest smaller than trusted (rollback): Index latest.Size, the first entry dropped;
//   - replay shorter than trusted.Size: Index len(leafHashes).
func VerifyConsistencyWithTrusted(leafHashes [][]byte, trusted, latest Checkpoint) (*Problem, error) {
	if trusted.Origin != latest.Origin {
		return nil, fmt.Errorf("tlog: consistency with trusted checkpoint: origin %q, trusted is %q", latest.Origin, trusted.Origin)
	}
	if err := checkLeafHashes(leafHashes); err != nil {
		return nil, fmt.Errorf("tlog: consistency with trusted checkpoint: %w", err)
	}
	if len(trusted.Hash) != hashSize {
		return nil, fmt.Errorf("tlog: consistency with trusted checkpoint: trusted root has %d bytes, want %d", len(trusted.Hash), hashSize)
	}
	if trusted.Size > latest.Size {
		return &Problem{
			Index:  latest.Size,
			Reason: fmt.Sprintf("log rolled back: trusted checkpoint has %d entries, new checkpoint %d", trusted.Size, latest.Size),
		}, nil
	}
	n := uint64(len(leafHashes))
	if n < trusted.Size {
		return &Problem{
			Index:  n,
			Reason: fmt.Sprintf("log truncated: trusted checkpoint has %d entries, replay has %d", trusted.Size, n),
		}, nil
	}
	var s stack
	s.extend(leafHashes[:trusted.Size])
	root := s.root()
	if bytes.Equal(root[:], trusted.Hash) {
		return nil, nil
	}
	if trusted.Size == 0 {
		return nil, errors.New("tlog: consistency with trusted checkpoint: trusted checkpoint of size 0 has a non-empty root")
	}
	return &Problem{
		Index: trusted.Size - 1,
		Reason: fmt.Sprintf("log forked: its first %d entries do not match the trusted checkpoint signed at %s; the log rewrote history it had already signed",
			trusted.Size, trusted.Time.UTC().Format("2006-01-02T15:04:05Z07:00")),
	}, nil
}

// checkLeafHashes rejects input RootOf would panic on, so Verify reports bad input as an
// error instead.
func checkLeafHashes(leafHashes [][]byte) error {
	for i, h := range leafHashes {
		if len(h) != hashSize {
			return fmt.Errorf("leaf hash %d has %d bytes, want %d", i, len(h), hashSize)
		}
	}
	return nil
}
