// Package ingest appends the YAOSU_EVENTS stream to the audit log, in stream order, exactly
// once. Postgres holds the only cursor: the log's size. On start (and after any failure) the
// appender reloads the tree's state from the stored subtree hashes and reads the stream
// from sequence size+1, so a crash mid-append neither skips nor repeats an entry.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/audit/internal/store"
)

// Config tunes the appender.
type Config struct {
	// BatchSize is the most entries appended in one transaction.
	BatchSize int
	// FetchWait bounds how long a fetch waits for a full batch.
	FetchWait time.Duration
}

// Appender is the log's single writer (per database, elected by an advisory lock).
type Appender struct {
	st     *store.Store
	pool   *pgxpool.Pool
	js     jetstream.JetStream
	cfg    Config
	log    *slog.Logger
	leader atomic.Bool
	size   atomic.Uint64
	// OnAppend, if set, is called after each committed batch with the new size (tests).
	OnAppend func(size uint64)
}

// New returns an appender.
func New(st *store.Store, pool *pgxpool.Pool, js jetstream.JetStream, cfg Config, log *slog.Logger) *Appender {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.FetchWait <= 0 {
		cfg.FetchWait = 500 * time.Millisecond
	}
	return &Appender{st: st, pool: pool, js: js, cfg: cfg, log: log.With("component", "audit_appender")}
}

// IsLeader reports whether this appender holds the writer lock.
func (a *Appender) IsLeader() bool { return a.leader.Load() }

// Size is the log size after the last committed batch of this appender.
func (a *Appender) Size() uint64 { return a.size.Load() }

// Run appends until ctx ends, restarting from the stored state after any failure.
func (a *Appender) Run(ctx context.Context) error {
	delay := 100 * time.Millisecond
	for {
		err := a.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		a.log.WarnContext(ctx, "audit appender restarting from stored state", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		if delay *= 2; delay > 5*time.Second {
			delay = 5 * time.Second
		}
	}
}

func lockKey() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("yaosu.audit.appender"))
	return int64(h.Sum64())
}

func (a *Appender) session(ctx context.Context) error {
	pc, err := a.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // holds the writer lock for the whole session
	defer func() {
		a.leader.Store(false)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey()); err != nil {
		return fmt.Errorf("wait for the audit writer lock: %w", err)
	}
	a.leader.Store(true)

	size, err := a.st.Size(ctx)
	if err != nil {
		return err
	}
	b, err := a.st.Builder(ctx, size)
	if err != nil {
		return err
	}
	a.size.Store(size)
	a.log.InfoContext(ctx, "audit appender is leader", "log_size", size)

	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if size > 0 {
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: size + 1}
	}
	cons, err := a.js.OrderedConsumer(ctx, messaging.StreamName, cfg)
	if err != nil {
		return fmt.Errorf("read %s: %w", messaging.StreamName, err)
	}
	for {
		if conn.IsClosed() {
			return errors.New("writer lock connection lost")
		}
		entries, err := a.fetch(ctx, cons, b.Size()+1)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(entries) == 0 {
			continue
		}
		if err := a.st.AppendBatch(ctx, b, entries); err != nil {
			return err // the builder ran ahead of the database: the next session reloads it
		}
		a.size.Store(b.Size())
		if a.OnAppend != nil {
			a.OnAppend(b.Size())
		}
	}
}

// fetch reads up to a batch of messages, which must continue the stream at sequence next.
func (a *Appender) fetch(ctx context.Context, cons jetstream.Consumer, next uint64) ([]store.Entry, error) {
	fetchCtx, cancel := context.WithTimeout(ctx, a.cfg.FetchWait)
	defer cancel()
	batch, err := cons.Fetch(a.cfg.BatchSize, jetstream.FetchContext(fetchCtx))
	if err != nil {
		return nil, err
	}
	entries := make([]store.Entry, 0, a.cfg.BatchSize)
	for msg := range batch.Messages() {
		meta, err := msg.Metadata()
		if err != nil {
			return nil, err
		}
		if want := next + uint64(len(entries)); meta.Sequence.Stream != want {
			// The stream never deletes messages, so a gap means something is wrong: stop
			// rather than log a history that differs from the stream.
			return nil, fmt.Errorf("stream sequence %d where %d was expected", meta.Sequence.Stream, want)
		}
		entries = append(entries, store.NewEntry(meta.Sequence.Stream, msg.Data()))
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return entries, nil
}
