// Package tamper holds the ways the audit log's storage can be tampered with, as reusable
// cases: each alters a real audit schema the way someone with write access to the database
// could, and says where verification must find it. The audit service's tests run every case
// (TestTamperCases), and the chaos run prints a table of them; nothing in production calls
// this package.
package tamper

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"yaosu.dev/pkg/tlog"
)

// Expect is where verification must find a case's tampering.
type Expect struct {
	// Index is the first log index verification must name.
	Index uint64
	// Located is false when Index is an upper bound ("at or before"): a checkpoint altered
	// or a tail truncated together with the tree cannot be pinned closer.
	Located bool
	// Signature is set when the latest checkpoint itself was forged: verification fails on
	// its signature before any index (and the service's finding names Index).
	Signature bool
}

// Case is one way of tampering with the stored log.
type Case struct {
	Name string
	// Apply tampers with the audit schema behind db and returns what verification must
	// report. The log must hold at least 16 entries and two signed checkpoints of at least 8
	// entries (the cases act on the first of them), and the service must not be appending (stop it first: a
	// running appender would notice some cases at once, which is fine but not repeatable).
	Apply func(ctx context.Context, db *pgxpool.Pool) (Expect, error)
}

// state is what the cases pick their indexes from.
type state struct {
	size       uint64   // entries stored
	cps        []uint64 // checkpoint sizes, ascending
	k, j       uint64   // two entries inside the first checkpoint, k even, k < j
	firstNote  string
	latestNote string
}

func load(ctx context.Context, db *pgxpool.Pool) (*state, error) {
	s := &state{}
	var size int64
	if err := db.QueryRow(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM audit.entries`).Scan(&size); err != nil {
		return nil, err
	}
	s.size = uint64(size)
	rows, err := db.Query(ctx, `SELECT tree_size, signed_note FROM audit.checkpoints ORDER BY tree_size`)
	if err != nil {
		return nil, err
	}
	var notes []string
	for rows.Next() {
		var n int64
		var note string
		if err := rows.Scan(&n, &note); err != nil {
			return nil, err
		}
		if n < 8 {
			continue // too small to tamper inside: the cases use the first of 8 or more
		}
		s.cps, notes = append(s.cps, uint64(n)), append(notes, note)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.size < 16 || len(s.cps) < 2 {
		return nil, fmt.Errorf("tamper: need at least 16 entries and two checkpoints of 8 entries or more; have %d entries, such checkpoints %v", s.size, s.cps)
	}
	s.k = (s.cps[0] / 2) &^ 1
	s.j = s.k + 3
	s.firstNote, s.latestNote = notes[0], notes[len(notes)-1]
	return s, nil
}

// exec runs statements in one transaction; each takes only the arguments it names
// ($1..$n, n = the highest it uses).
func exec(ctx context.Context, db *pgxpool.Pool, sql string, args ...any) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		for _, stmt := range strings.Split(sql, ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			n := 0
			for i := len(args); i > 0; i-- {
				if strings.Contains(stmt, fmt.Sprintf("$%d", i)) {
					n = i
					break
				}
			}
			if _, err := tx.Exec(ctx, stmt, args[:n]...); err != nil {
				return fmt.Errorf("%s: %w", strings.TrimSpace(stmt), err)
			}
		}
		return nil
	})
}

// Cases returns every case, in a fixed order.
func Cases() []Case {
	return []Case{
		{"alter an entry's data", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			return Expect{Index: s.k, Located: true},
				exec(ctx, db, `UPDATE audit.entries SET data = data || '\x00'::bytea WHERE idx = $1`, int64(s.k))
		}},
		{"alter a leaf hash", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			return Expect{Index: s.k, Located: true},
				exec(ctx, db, `UPDATE audit.entries SET leaf_hash = sha256(leaf_hash) WHERE idx = $1`, int64(s.k))
		}},
		{"delete a row", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			return Expect{Index: s.k, Located: true}, exec(ctx, db, `DELETE FROM audit.entries WHERE idx = $1`, int64(s.k))
		}},
		{"swap two rows", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			// One statement reads both rows before writing either.
			return Expect{Index: s.k, Located: true}, exec(ctx, db, `UPDATE audit.entries e SET data = o.data, leaf_hash = o.leaf_hash,
				event_id = o.event_id, event_type = o.event_type, resource = o.resource, resource_revision = o.resource_revision,
				actor = o.actor, organisation = o.organisation, event_time = o.event_time
				FROM audit.entries o WHERE (e.idx = $1 AND o.idx = $2) OR (e.idx = $2 AND o.idx = $1)`, int64(s.k), int64(s.j))
		}},
		{"insert a row in the middle", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			body := []byte("forged entry")
			// Shift the later rows up by one (through a far range, so no key collides), then
			// fill the hole.
			return Expect{Index: s.k, Located: true}, exec(ctx, db, `
				UPDATE audit.entries SET idx = idx + 1000000000, stream_seq = stream_seq + 1000000000 WHERE idx >= $1;
				UPDATE audit.entries SET idx = idx - 999999999, stream_seq = stream_seq - 999999999 WHERE idx >= 1000000000;
				INSERT INTO audit.entries (idx, stream_seq, data, leaf_hash) VALUES ($1::bigint, $1::bigint + 1, $2, $3)`,
				int64(s.k), body, tlog.LeafHash(body))
		}},
		{"insert a row after the end", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			body := []byte("forged entry")
			return Expect{Index: s.size, Located: true}, exec(ctx, db,
				`INSERT INTO audit.entries (idx, stream_seq, data, leaf_hash) VALUES ($1::bigint, $1::bigint + 1, $2, $3)`, int64(s.size), body, tlog.LeafHash(body))
		}},
		{"truncate the tail (entries)", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			return Expect{Index: s.k, Located: true}, exec(ctx, db, `DELETE FROM audit.entries WHERE idx >= $1`, int64(s.k))
		}},
		{"truncate the tail (entries and tree nodes)", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			// Without the tree, no proof can pin the cut: the truncation is found at its
			// length, but whether an earlier entry changed too is bounded, not located.
			return Expect{Index: s.k, Located: false}, exec(ctx, db, `DELETE FROM audit.entries WHERE idx >= $1;
				DELETE FROM audit.nodes WHERE (idx + 1)::numeric * power(2::numeric, level) > $1`, int64(s.k))
		}},
		{"alter a tree node", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			// The node over entries k and k+1: the entries are intact, so only the
			// service's own check finds it, and reports the first entry it covers.
			return Expect{Index: s.k, Located: true},
				exec(ctx, db, `UPDATE audit.nodes SET hash = sha256(hash) WHERE level = 1 AND idx = $1`, int64(s.k/2))
		}},
		{"alter an earlier checkpoint", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			forged, root, err := forge(s.firstNote, s.cps[0])
			if err != nil {
				return Expect{}, err
			}
			return Expect{Index: s.cps[0] - 1, Located: false}, exec(ctx, db,
				`UPDATE audit.checkpoints SET signed_note = $2, root_hash = $3 WHERE tree_size = $1`, int64(s.cps[0]), forged, root)
		}},
		{"alter the latest checkpoint", func(ctx context.Context, db *pgxpool.Pool) (Expect, error) {
			s, err := load(ctx, db)
			if err != nil {
				return Expect{}, err
			}
			last := s.cps[len(s.cps)-1]
			forged, root, err := forge(s.latestNote, last)
			if err != nil {
				return Expect{}, err
			}
			return Expect{Index: last - 1, Located: false, Signature: true}, exec(ctx, db,
				`UPDATE audit.checkpoints SET signed_note = $2, root_hash = $3 WHERE tree_size = $1`, int64(last), forged, root)
		}},
	}
}

// forge signs, with a key of its own under the log's origin, a checkpoint of size that
// claims another root: what someone without the signing key can do.
func forge(note string, size uint64) (string, []byte, error) {
	origin, _, ok := strings.Cut(note, "\n")
	if !ok {
		return "", nil, errors.New("tamper: checkpoint note without an origin line")
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	signer, err := tlog.NewSigner(origin, key)
	if err != nil {
		return "", nil, err
	}
	root := sha256.Sum256([]byte("forged root"))
	signed, err := signer.Sign(tlog.Checkpoint{Origin: origin, Size: size, Hash: root[:], Time: time.Now().UTC().Truncate(time.Second)})
	return string(signed), root[:], err
}

// Result is what one case's run found, for the chaos run's table.
type Result struct {
	Case string
	Want Expect
	// Verified is what verification reported: the first index and the check that found it
	// ("index N (log)", "at or before index N (findings)") or "checkpoint signature"; empty
	// when it passed.
	Verified string
	// Finding is the first index of the service's finding, if it raised one.
	Finding *uint64
	// Detected is set when both verification and the service caught the case where they must.
	Detected bool
}

// Table writes results as the table `make chaos` prints: tamper cases detected with their
// index.
func Table(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "tamper case\texpected first index\taudit verify\tservice finding\tdetected")
	for _, r := range results {
		want := fmt.Sprintf("%d", r.Want.Index)
		if r.Want.Signature {
			want = "checkpoint signature"
		}
		finding := "none"
		if r.Finding != nil {
			finding = fmt.Sprintf("index %d", *r.Finding)
		}
		verified := r.Verified
		if verified == "" {
			verified = "passed"
		}
		detected := "NO"
		if r.Detected {
			detected = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Case, want, verified, finding, detected)
	}
	return tw.Flush()
}
