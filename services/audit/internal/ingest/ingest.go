// Package ingest appends the YAOSU_EVENTS stream to the audit log, in stream order, exactly
// once. Postgres holds the only cursor: the log's size. On start (and after any failure) the
// appender checks the whole stored log, resumes the tree from it and reads the stream from
// sequence size+1, so a crash mid-append neither skips nor repeats an entry.
//
// When the check finds the stored log inconsistent (tampering or storage damage), the
// appender raises a finding and stops: appending over a log it cannot vouch for would sign
// the damage into the next checkpoint, and retrying cannot repair it. Reads go on. An
// operator repairs the log and restarts the service; a clean check resolves the finding.
package ingest

import (
	"bytes"
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
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/audit/internal/store"
)

// Guard checks the stored log and keeps its findings (the application layer).
type Guard interface {
	// CheckLog verifies the whole stored log: a builder at its end, or the first finding.
	CheckLog(ctx context.Context) (*tlog.Builder, *store.Finding, error)
	// OpenFindings are the findings not resolved yet.
	OpenFindings(ctx context.Context) ([]store.Finding, error)
	// RaiseFinding records a finding once, with its event, and alerts.
	RaiseFinding(ctx context.Context, f store.Finding) error
	// ResolveFindings marks open findings resolved after a clean check.
	ResolveFindings(ctx context.Context) error
}

// errHalted ends a session that found the log inconsistent: Run stops retrying.
var errHalted = errors.New("audit log inconsistent: appending stopped")

// Config tunes the appender.
type Config struct {
	// BatchSize is the most entries appended in one transaction.
	BatchSize int
	// FetchWait bounds how long a fetch waits for a full batch.
	FetchWait time.Duration
	// RecheckEvery is how often a running appender checks the whole stored log again, as it
	// does at start, so tampering with rows it has already written is found without a
	// restart (default 1h: the check reads the whole log, about 40 s per million entries on
	// a busy 2-core machine, and appending waits meanwhile).
	RecheckEvery time.Duration
	// EventKeys verify each message's signature on append (nil: not checked). A message
	// that does not prove its origin is logged all the same, marked, and alerted on.
	EventKeys *messaging.Keyring
}

// Appender is the log's single writer (per database, elected by an advisory lock).
type Appender struct {
	st     *store.Store
	pool   *pgxpool.Pool
	js     jetstream.JetStream
	cfg    Config
	log    *slog.Logger
	guard  Guard
	leader atomic.Bool
	size   atomic.Uint64
	halted atomic.Pointer[store.Finding]
	// sessions counts the sessions started (tests check that a halted appender stays halted).
	sessions atomic.Uint64
	// OnAppend, if set, is called after each committed batch with the new size (tests).
	OnAppend func(size uint64)
}

// New returns an appender.
func New(st *store.Store, pool *pgxpool.Pool, js jetstream.JetStream, cfg Config, guard Guard, log *slog.Logger) *Appender {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.FetchWait <= 0 {
		cfg.FetchWait = 500 * time.Millisecond
	}
	if cfg.RecheckEvery <= 0 {
		cfg.RecheckEvery = time.Hour
	}
	return &Appender{st: st, pool: pool, js: js, cfg: cfg, guard: guard, log: log.With("component", "audit_appender")}
}

// Sessions is how many sessions this appender started: each retry after a failure is one.
func (a *Appender) Sessions() uint64 { return a.sessions.Load() }

// Halted returns the finding that stopped the appender, or nil while it runs.
func (a *Appender) Halted() *store.Finding { return a.halted.Load() }

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
		if errors.Is(err, errHalted) {
			// No retry: the stored log stays as found, for the operator (see Guard).
			a.log.ErrorContext(ctx, "audit appender stopped: the stored log is inconsistent; reads go on", "finding", a.Halted().Reason)
			<-ctx.Done()
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
	a.sessions.Add(1)
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

	checkStart := time.Now()
	b, finding, err := a.guard.CheckLog(ctx)
	if err != nil {
		return fmt.Errorf("check the stored log: %w", err)
	}
	if finding != nil {
		return a.halt(ctx, *finding)
	}
	open, err := a.guard.OpenFindings(ctx)
	if err != nil {
		return err
	}
	// Open findings although the whole log checked out clean: an operator repaired what they
	// were about (docs/operations.md), so they are resolved and appending resumes. A finding
	// the check still confirms was returned above; only a clean whole-log check resolves one.
	if len(open) > 0 {
		if err := a.guard.ResolveFindings(ctx); err != nil {
			return err
		}
	}
	size := b.Size()
	a.size.Store(size)
	a.log.InfoContext(ctx, "audit appender is leader; stored log checked", "log_size", size,
		"check_seconds", time.Since(checkStart).Seconds())

	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if size > 0 {
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: size + 1}
	}
	cons, err := a.js.OrderedConsumer(ctx, messaging.StreamName, cfg)
	if err != nil {
		return fmt.Errorf("read %s: %w", messaging.StreamName, err)
	}
	lastCheck := time.Now()
	for {
		if conn.IsClosed() {
			return errors.New("writer lock connection lost")
		}
		if time.Since(lastCheck) >= a.cfg.RecheckEvery {
			again, finding, err := a.guard.CheckLog(ctx)
			if err != nil {
				return fmt.Errorf("check the stored log: %w", err)
			}
			if finding != nil {
				return a.halt(ctx, *finding)
			}
			if again.Size() != b.Size() || !bytes.Equal(again.Root(), b.Root()) {
				return a.halt(ctx, store.Finding{FirstIndex: min(again.Size(), b.Size()), LogSize: again.Size(),
					Reason: fmt.Sprintf("the stored log (%d entries) is not the log this appender wrote (%d entries): rows replaced wholesale", again.Size(), b.Size())})
			}
			lastCheck = time.Now()
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
		// A finding raised elsewhere (the signer found a node missing) stops appending too.
		if open, err := a.guard.OpenFindings(ctx); err != nil {
			return err
		} else if len(open) > 0 {
			a.halted.Store(&open[0])
			return errHalted
		}
		if err := a.st.AppendBatch(ctx, b, entries); err != nil {
			return err // the builder ran ahead of the database: the next session checks and reloads it
		}
		a.size.Store(b.Size())
		if a.OnAppend != nil {
			a.OnAppend(b.Size())
		}
	}
}

// halt raises f and ends the session for good.
func (a *Appender) halt(ctx context.Context, f store.Finding) error {
	if err := a.guard.RaiseFinding(ctx, f); err != nil {
		return fmt.Errorf("record audit finding: %w", err) // retried: the finding must be stored
	}
	a.halted.Store(&f)
	return errHalted
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
		e := store.NewEntry(meta.Sequence.Stream, msg.Subject(), msg.Headers().Get(messaging.HeaderSignature), msg.Data())
		if err := e.CheckSignature(a.cfg.EventKeys); err != nil {
			// The alert: logged (the log equals the stream), marked, and flagged to auditors.
			a.log.ErrorContext(ctx, "unauthenticated message in the audit log", "log_index", e.Index, "nats_subject", msg.Subject(),
				"authenticity", *e.Authenticity, "error", err)
		}
		entries = append(entries, e)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return entries, nil
}
