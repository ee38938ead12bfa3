package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/tlog"
)

// Finding is an inconsistency found in the stored log.
type Finding struct {
	ID int64
	// FirstIndex is the first log index found wrong (Located) or an upper bound of it.
	FirstIndex uint64
	Located    bool
	Reason     string
	FoundAt    time.Time
	// LogSize is what the stored log claimed (highest index + 1) when it was found.
	LogSize uint64
	// CheckpointSize is the tree size of the last checkpoint signed before (0: none).
	CheckpointSize uint64
}

// checkPage is how many entries one round of Check reads.
const checkPage = 5000

// Check reads the whole stored log and recomputes it: every entry's leaf hash from its
// bytes, every tree node from the entries, every checkpoint's signed note (openNote checks
// it with the service's own key) and root. It returns a builder resumed at the log's end
// when everything is consistent, or the first inconsistency, by log index. The error result
// is for being unable to check (the database failing).
//
// Each kind of tampering shows as one of these, at the first index it touches: an entry
// missing (deleted, or the log reordered around it), a stream sequence that is not index+1,
// a leaf hash that is not the hash of the entry's bytes (data or hash altered), a tree node
// that is not the hash of its entries (a swap, an altered node), an entry without its tree
// node (a row inserted beyond the tree), tree nodes or signed checkpoints beyond the
// entries (the tail truncated), a checkpoint whose note does not verify or whose root is not
// the root of the entries it covers.
func (s *Store) Check(ctx context.Context, openNote func(note []byte) (*tlog.Checkpoint, error)) (*tlog.Builder, *Finding, error) {
	cps, err := s.checkpoints(ctx)
	if err != nil {
		return nil, nil, err
	}
	claimed, err := s.Size(ctx)
	if err != nil {
		return nil, nil, err
	}
	var lastCP uint64
	if len(cps) > 0 {
		lastCP = cps[len(cps)-1].TreeSize
	}
	finding := func(index uint64, located bool, format string, args ...any) *Finding {
		return &Finding{FirstIndex: index, Located: located, Reason: fmt.Sprintf(format, args...), LogSize: claimed, CheckpointSize: lastCP}
	}
	// checkCheckpoints compares the checkpoints of the builder's current size with it.
	next := 0
	checkCheckpoints := func(b *tlog.Builder) *Finding {
		for ; next < len(cps) && cps[next].TreeSize == b.Size(); next++ {
			c := cps[next]
			note, err := openNote([]byte(c.SignedNote))
			switch {
			case err != nil:
				return finding(c.TreeSize-1, false, "checkpoint at tree size %d: its signed note does not verify with the service's key (altered): %v", c.TreeSize, err)
			case note.Size != c.TreeSize || !bytes.Equal(note.Hash, c.RootHash):
				return finding(c.TreeSize-1, false, "checkpoint at tree size %d: its stored size or root differs from its signed note (altered)", c.TreeSize)
			case !bytes.Equal(note.Hash, b.Root()):
				return finding(c.TreeSize-1, false, "checkpoint at tree size %d: the stored entries do not hash to its signed root (entries and tree rewritten, or the checkpoint replaced)", c.TreeSize)
			}
		}
		return nil
	}

	b := tlog.NewBuilder()
	var index uint64
	for {
		rows, err := s.pool.Query(ctx, `SELECT idx, stream_seq, data, leaf_hash FROM entries WHERE idx >= $1 ORDER BY idx LIMIT $2`,
			int64(index), checkPage)
		if err != nil {
			return nil, nil, postgres.MapError(err)
		}
		type row struct {
			idx, seq   int64
			data, leaf []byte
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.idx, &x.seq, &x.data, &x.leaf)
		})
		if err != nil {
			return nil, nil, postgres.MapError(err)
		}
		if len(page) == 0 {
			break
		}
		// The nodes each entry completes, as the builder computes them, then the stored ones.
		type node struct {
			id   tlog.NodeID
			hash []byte
		}
		probe, err := tlog.ResumeBuilder(b.Size(), b.RangeHashes())
		if err != nil {
			return nil, nil, err
		}
		completes := make([][]node, len(page))
		var ids []tlog.NodeID
		for i, r := range page {
			if err := probe.Append(tlog.LeafHash(r.data), func(level uint, idx uint64, hash []byte) {
				n := node{id: tlog.NodeID{Level: level, Index: idx}, hash: append([]byte(nil), hash...)}
				completes[i] = append(completes[i], n)
				ids = append(ids, n.id)
			}); err != nil {
				return nil, nil, err
			}
		}
		stored, err := s.nodesFound(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		for i, r := range page {
			switch {
			case uint64(r.idx) != index:
				return nil, finding(index, true, "entry %d missing (the next stored entry is %d): deleted, or rows moved", index, r.idx), nil
			case r.seq != r.idx+1:
				return nil, finding(index, true, "entry %d: stream sequence %d, want %d (altered)", index, r.seq, r.idx+1), nil
			case !bytes.Equal(tlog.LeafHash(r.data), r.leaf):
				return nil, finding(index, true, "entry %d: its stored leaf hash is not the hash of its data (data or leaf hash altered)", index), nil
			}
			if err := b.Append(r.leaf, nil); err != nil {
				return nil, nil, err
			}
			for _, n := range completes[i] {
				first := n.id.Index << n.id.Level
				h, ok := stored[n.id]
				switch {
				case !ok && n.id.Level == 0:
					return nil, finding(index, true, "entry %d has no tree node: a row inserted beyond the log's tree, or its node deleted", index), nil
				case !ok:
					return nil, finding(first, true, "tree node (%d,%d) over entries %d-%d is missing (deleted)", n.id.Level, n.id.Index, first, index), nil
				case !bytes.Equal(h, n.hash) && n.id.Level == 0:
					return nil, finding(index, true, "entry %d: its tree node does not match it (entries swapped or moved, or the node altered)", index), nil
				case !bytes.Equal(h, n.hash):
					return nil, finding(first, true, "tree node (%d,%d) over entries %d-%d does not match them (altered)", n.id.Level, n.id.Index, first, index), nil
				}
			}
			if f := checkCheckpoints(b); f != nil {
				return nil, f, nil
			}
			index++
		}
	}
	// Everything stored beyond the entries: the tail was truncated.
	if next < len(cps) {
		return nil, finding(index, true, "log truncated: %d entries stored, but a checkpoint of tree size %d was signed", index, cps[len(cps)-1].TreeSize), nil
	}
	var beyond bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM nodes WHERE (idx + 1)::numeric * power(2::numeric, level) > $1)`,
		int64(index)).Scan(&beyond); err != nil {
		return nil, nil, postgres.MapError(err)
	}
	if beyond {
		return nil, finding(index, true, "log truncated: %d entries stored, but the tree holds nodes beyond them", index), nil
	}
	return b, nil, nil
}

// nodesFound returns the stored hashes of those of ids that exist. The nodes one page of
// entries completes are a contiguous run of indexes at each level, so they are read as one
// index range per level rather than looked up one by one.
func (s *Store) nodesFound(ctx context.Context, ids []tlog.NodeID) (map[tlog.NodeID][]byte, error) {
	found := make(map[tlog.NodeID][]byte, len(ids))
	if len(ids) == 0 {
		return found, nil
	}
	type span struct{ lo, hi uint64 }
	spans := map[uint]span{}
	for _, id := range ids {
		sp, ok := spans[id.Level]
		if !ok {
			sp = span{id.Index, id.Index}
		}
		sp.lo, sp.hi = min(sp.lo, id.Index), max(sp.hi, id.Index)
		spans[id.Level] = sp
	}
	var levels []int16
	var los, his []int64
	for level, sp := range spans {
		levels, los, his = append(levels, int16(level)), append(los, int64(sp.lo)), append(his, int64(sp.hi))
	}
	rows, err := s.pool.Query(ctx, `SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) AS w(level, lo, hi)
		JOIN nodes n ON n.level = w.level AND n.idx BETWEEN w.lo AND w.hi`, levels, los, his)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var level int16
		var idx int64
		var hash []byte
		if err := rows.Scan(&level, &idx, &hash); err != nil {
			return nil, err
		}
		found[tlog.NodeID{Level: uint(level), Index: uint64(idx)}] = hash
	}
	return found, postgres.MapError(rows.Err())
}

// checkpoints returns every stored checkpoint, smallest first.
func (s *Store) checkpoints(ctx context.Context) ([]Checkpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT tree_size, root_hash, signed_note, sign_time FROM checkpoints ORDER BY tree_size`)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Checkpoint, error) {
		var c Checkpoint
		var size int64
		err := r.Scan(&size, &c.RootHash, &c.SignedNote, &c.SignTime)
		c.TreeSize = uint64(size)
		return c, err
	})
	return out, postgres.MapError(err)
}

const findingColumns = `id, first_index, located, reason, found_at, log_size, checkpoint_size`

// RecordFinding stores f unless the same finding is open already, and with it the event
// newEvent builds for the finding's id, in one transaction: the finding is published once.
func (s *Store) RecordFinding(ctx context.Context, f Finding, newEvent func(Finding) (*eventsv1.Event, error)) (recorded bool, err error) {
	err = postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO findings (first_index, located, reason, found_at, log_size, checkpoint_size)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (first_index) WHERE resolved_at IS NULL DO NOTHING RETURNING id`,
			int64(f.FirstIndex), f.Located, f.Reason, f.FoundAt, int64(f.LogSize), int64(f.CheckpointSize)).Scan(&f.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		ev, err := newEvent(f)
		if err != nil {
			return err
		}
		recorded = true
		return messaging.Append(ctx, tx, ev)
	})
	return recorded, postgres.MapError(err)
}

// OpenFindings returns the findings not resolved yet, oldest first.
func (s *Store) OpenFindings(ctx context.Context) ([]Finding, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+findingColumns+` FROM findings WHERE resolved_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Finding, error) {
		var f Finding
		var first, size, cp int64
		err := r.Scan(&f.ID, &first, &f.Located, &f.Reason, &f.FoundAt, &size, &cp)
		f.FirstIndex, f.LogSize, f.CheckpointSize, f.FoundAt = uint64(first), uint64(size), uint64(cp), f.FoundAt.UTC()
		return f, err
	})
	return out, postgres.MapError(err)
}

// ResolveFindings marks every open finding resolved at (the stored log checked out
// consistent again) and returns how many there were.
func (s *Store) ResolveFindings(ctx context.Context, at time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE findings SET resolved_at = $1 WHERE resolved_at IS NULL`, at)
	return tag.RowsAffected(), postgres.MapError(err)
}
