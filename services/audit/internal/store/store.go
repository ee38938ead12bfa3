// Package store keeps the audit log in Postgres: entries, the hashes of every complete
// subtree, and signed checkpoints. Appends happen only through AppendBatch, in one
// transaction per batch.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/tlog"
)

// Store is the audit log's repository.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool (search_path = the audit schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool exposes the pool for the outbox writes of checkpoint events.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Entry is a stored log entry.
type Entry struct {
	Index     uint64
	StreamSeq uint64
	LeafHash  []byte
	Data      []byte
	EventID   *string
	EventType *string
	Resource  *string
	Revision  *int64
	Actor     *string
	Org       *string
	EventTime *time.Time
	// Subject and Signature are the NATS subject and Yaosu-Signature header as published.
	Subject   *string
	Signature *string
	// Authenticity is the signature check's outcome (Authenticity* constants; nil: not
	// checked); Signer the service of a verified signature.
	Authenticity *string
	Signer       *string
}

// Outcomes of an entry's signature check, as stored.
const (
	AuthenticityVerified     = "verified"
	AuthenticityUnsigned     = "unsigned"
	AuthenticityUnknownKey   = "unknown_key"
	AuthenticityBadSignature = "bad_signature"
	AuthenticityWrongOwner   = "wrong_owner"
)

// CheckSignature records on e whether its signature proves a Yaosu service published it,
// with keys (nil: not checked), and returns the failure, if any.
func (e *Entry) CheckSignature(keys *messaging.Keyring) error {
	if keys == nil {
		return nil
	}
	subject, sig := "", ""
	if e.Subject != nil {
		subject = *e.Subject
	}
	if e.Signature != nil {
		sig = *e.Signature
	}
	// The same check consumers make: the signature, then the envelope against the subject
	// (a service cannot relabel an event as another service's).
	service, _, err := keys.VerifyEvent(subject, e.Data, sig)
	if err != nil && !messaging.IsAuthenticityError(err) {
		err = nil // signed by the subject's owner, but not a Yaosu event: logged as it is
	}
	outcome := AuthenticityVerified
	switch {
	case err == nil:
		e.Signer = ptr(service)
	case errors.Is(err, messaging.ErrUnsigned):
		outcome = AuthenticityUnsigned
	case errors.Is(err, messaging.ErrUnknownKey):
		outcome = AuthenticityUnknownKey
	case errors.Is(err, messaging.ErrWrongOwner), errors.Is(err, messaging.ErrEnvelopeMismatch):
		outcome = AuthenticityWrongOwner
	default:
		outcome = AuthenticityBadSignature
	}
	e.Authenticity = &outcome
	return err
}

// NewEntry builds the entry for the stream message with sequence seq, subject, signature
// header and body data, decoding the envelope's attributes when the body is a Yaosu event.
func NewEntry(seq uint64, subject, signature string, data []byte) Entry {
	e := Entry{Index: seq - 1, StreamSeq: seq, Data: data, LeafHash: tlog.LeafHash(data), Subject: ptr(subject), Signature: ptr(signature)}
	if ev, err := messaging.Decode(data); err == nil && ev.GetId() != "" {
		e.EventID, e.EventType, e.Resource = ptr(ev.GetId()), ptr(ev.GetType()), ptr(ev.GetSubject())
		rev := ev.GetResourceRevision()
		e.Revision = &rev
		e.Actor, e.Org = ptr(ev.GetActor().GetSubject()), ptr(ev.GetActor().GetOrganisation())
		if ev.GetTime() != nil {
			t := ev.GetTime().AsTime()
			e.EventTime = &t
		}
	}
	return e
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Size returns the number of entries in the log.
func (s *Store) Size(ctx context.Context) (uint64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM entries`).Scan(&n)
	return uint64(n), postgres.MapError(err)
}

// Builder returns a tree builder resumed at size from the stored subtree hashes.
func (s *Store) Builder(ctx context.Context, size uint64) (*tlog.Builder, error) {
	ids := tlog.RangeNodeIDs(size)
	hashes, err := s.nodeHashes(ctx, s.pool, ids)
	if err != nil {
		return nil, err
	}
	return tlog.ResumeBuilder(size, hashes)
}

// RootAt returns the root hash of the first size entries.
func (s *Store) RootAt(ctx context.Context, size uint64) ([]byte, error) {
	b, err := s.Builder(ctx, size)
	if err != nil {
		return nil, err
	}
	return b.Root(), nil
}

// NodeHashes returns the hashes of ids, in order; a missing node is an error (the log is
// not that large, or its storage was damaged).
func (s *Store) NodeHashes(ctx context.Context, ids []tlog.NodeID) ([][]byte, error) {
	return s.nodeHashes(ctx, s.pool, ids)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) nodeHashes(ctx context.Context, q querier, ids []tlog.NodeID) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	levels := make([]int16, len(ids))
	idxs := make([]int64, len(ids))
	for i, id := range ids {
		levels[i], idxs[i] = int16(id.Level), int64(id.Index)
	}
	rows, err := q.Query(ctx, `SELECT n.level, n.idx, n.hash FROM unnest($1::smallint[], $2::bigint[]) AS w(level, idx)
		JOIN nodes n ON n.level = w.level AND n.idx = w.idx`, levels, idxs)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	defer rows.Close()
	found := make(map[tlog.NodeID][]byte, len(ids))
	for rows.Next() {
		var level int16
		var idx int64
		var hash []byte
		if err := rows.Scan(&level, &idx, &hash); err != nil {
			return nil, err
		}
		found[tlog.NodeID{Level: uint(level), Index: uint64(idx)}] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, ok := found[id]
		if !ok {
			return nil, &MissingNodeError{Node: id}
		}
		out[i] = h
	}
	return out, nil
}

// ReasonLogInconsistent is the reason of errors caused by an inconsistent stored log (the
// name of auditv1.ErrorReason ERROR_REASON_LOG_INCONSISTENT).
const ReasonLogInconsistent = "ERROR_REASON_LOG_INCONSISTENT"

// MissingNodeError is a tree node the log's size says must exist and storage lacks: the
// log was truncated or rows were inserted beyond its tree. It unwraps to a DATA_LOSS
// *errs.Error, so the API answers DATA_LOSS rather than INTERNAL.
type MissingNodeError struct {
	Node tlog.NodeID
}

func (e *MissingNodeError) Error() string {
	return fmt.Sprintf("audit log tree node (%d,%d) missing", e.Node.Level, e.Node.Index)
}

// Unwrap is the error the API answers with.
func (e *MissingNodeError) Unwrap() error {
	return errs.New(errs.KindDataLoss, ReasonLogInconsistent,
		"审计日志不一致 (audit log inconsistent): tree node (%d,%d) is missing from storage, so this cannot be answered; "+
			"GetCheckpoint lists the service's findings", e.Node.Level, e.Node.Index)
}

// AppendBatch appends entries (which must continue the log at b.Size()) and every subtree
// they complete, in one transaction. On error the builder is stale: the caller reloads it.
func (s *Store) AppendBatch(ctx context.Context, b *tlog.Builder, entries []Entry) error {
	var nodes [][]any
	for _, e := range entries {
		if e.Index != b.Size() {
			return fmt.Errorf("audit log: entry %d does not continue a log of size %d", e.Index, b.Size())
		}
		if err := b.Append(e.LeafHash, func(level uint, index uint64, hash []byte) {
			nodes = append(nodes, []any{int16(level), int64(index), hash})
		}); err != nil {
			return err
		}
	}
	return postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows := make([][]any, len(entries))
		for i, e := range entries {
			rows[i] = []any{int64(e.Index), int64(e.StreamSeq), e.EventID, e.EventType, e.Resource, e.Revision,
				e.Actor, e.Org, e.EventTime, e.Data, e.LeafHash, e.Subject, e.Signature, e.Authenticity, e.Signer}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entries"}, []string{"idx", "stream_seq", "event_id", "event_type",
			"resource", "resource_revision", "actor", "organisation", "event_time", "data", "leaf_hash",
			"subject", "signature", "authenticity", "signer"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"nodes"}, []string{"level", "idx", "hash"}, pgx.CopyFromRows(nodes))
		return err
	})
}

// Checkpoint is a stored signed checkpoint.
type Checkpoint struct {
	TreeSize   uint64
	RootHash   []byte
	SignedNote string
	SignTime   time.Time
}

// LatestCheckpoint returns the newest checkpoint, or nil when none was signed yet.
func (s *Store) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	var c Checkpoint
	var size int64
	err := s.pool.QueryRow(ctx, `SELECT tree_size, root_hash, signed_note, sign_time FROM checkpoints ORDER BY tree_size DESC LIMIT 1`).
		Scan(&size, &c.RootHash, &c.SignedNote, &c.SignTime)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, postgres.MapError(err)
	}
	c.TreeSize = uint64(size)
	c.SignTime = c.SignTime.UTC()
	return &c, nil
}

// SaveCheckpoint stores c and its audit.checkpoint.signed event in one transaction. A
// checkpoint of the same size signed concurrently by another replica wins; saved reports
// whether this one was stored.
func (s *Store) SaveCheckpoint(ctx context.Context, c Checkpoint, event *eventsv1.Event) (saved bool, err error) {
	err = postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO checkpoints (tree_size, root_hash, signed_note, sign_time) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tree_size) DO NOTHING`, int64(c.TreeSize), c.RootHash, c.SignedNote, c.SignTime)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		saved = true
		return messaging.Append(ctx, tx, event)
	})
	return saved, err
}

// HasEntriesBeyond reports whether the log has entries after size other than checkpoint
// events: signing a checkpoint adds its own event, which alone must not cause another.
func (s *Store) HasEntriesBeyond(ctx context.Context, size uint64, checkpointType string) (bool, error) {
	// ORDER BY idx LIMIT 1 keeps this an index scan from size even under a generic plan.
	var idx int64
	err := s.pool.QueryRow(ctx, `SELECT idx FROM entries WHERE idx >= $1 AND event_type IS DISTINCT FROM $2 ORDER BY idx LIMIT 1`,
		int64(size), checkpointType).Scan(&idx)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, postgres.MapError(err)
}

// EntryByEventID returns the first entry carrying event id.
func (s *Store) EntryByEventID(ctx context.Context, id string) (*Entry, error) {
	// Looked up through the event_id index alone: adding the log-order condition of List
	// lets the planner walk the whole log in index order instead.
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+` FROM entries WHERE event_id = $1::uuid`, id)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	entries, err := scanEntries(rows)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	first := entries[0]
	for _, e := range entries[1:] {
		if e.Index < first.Index {
			first = e
		}
	}
	return &first, nil
}

// Filter selects entries; all set fields must match. Entries come in log order from
// index AfterIndex+1 (or StartIndex).
type Filter struct {
	EventID      string
	Resource     string
	Type         string
	Actor        string
	Organisation string
	Start, End   *time.Time
	StartIndex   uint64
	Limit        int
}

const entryColumns = `idx, stream_seq, event_id::text, event_type, resource, resource_revision, actor, organisation, event_time, data, leaf_hash,
	subject, signature, authenticity, signer`

// List returns up to f.Limit entries matching f, in log order. Only the filters that are set
// become conditions, so each query can use the index of its filter (a catch-all
// "($1 = ” OR col = $1)" form would make Postgres scan the whole log).
func (s *Store) List(ctx context.Context, f Filter) ([]Entry, error) {
	where := "idx >= $1"
	args := []any{int64(f.StartIndex)}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.EventID != "" {
		add("event_id = $%d::uuid", f.EventID)
	}
	if f.Resource != "" {
		add("resource = $%d", f.Resource)
	}
	if f.Type != "" {
		add("event_type = $%d", f.Type)
	}
	if f.Actor != "" {
		add("actor = $%d", f.Actor)
	}
	if f.Organisation != "" {
		add("organisation = $%d", f.Organisation)
	}
	if f.Start != nil {
		add("event_time >= $%d", *f.Start)
	}
	if f.End != nil {
		add("event_time < $%d", *f.End)
	}
	args = append(args, f.Limit)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT %s FROM entries WHERE %s ORDER BY idx LIMIT $%d`, entryColumns, where, len(args)), args...)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	return scanEntries(rows)
}

func scanEntries(rows pgx.Rows) ([]Entry, error) {
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var idx, seq int64
		if err := rows.Scan(&idx, &seq, &e.EventID, &e.EventType, &e.Resource, &e.Revision, &e.Actor, &e.Org,
			&e.EventTime, &e.Data, &e.LeafHash, &e.Subject, &e.Signature, &e.Authenticity, &e.Signer); err != nil {
			return nil, err
		}
		e.Index, e.StreamSeq = uint64(idx), uint64(seq)
		out = append(out, e)
	}
	return out, postgres.MapError(rows.Err())
}
