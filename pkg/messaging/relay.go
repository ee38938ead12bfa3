package messaging

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"yaosu.dev/pkg/backoff"
)

// RelayConfig tunes a Relay.
type RelayConfig struct {
	// Schema is the service schema whose outbox is relayed (for the leader lock and logs).
	Schema string
	// BatchSize is how many rows one round reads and publishes.
	BatchSize int
	// PollInterval bounds how long the relay waits when no notification arrives.
	PollInterval time.Duration
	// PublishTimeout bounds the wait for JetStream's acknowledgements of one round.
	PublishTimeout time.Duration
	// Key signs every published event (HeaderSignature), so consumers can tell the
	// service's events from anything else published on its subjects. Nil publishes
	// unsigned events, which consumers reject: for tests of the relay alone.
	Key *SigningKey
}

// Relay publishes a service's outbox to JetStream.
//
// Ordering: one relay per schema is active at a time (a session advisory lock elects it;
// other replicas wait on the lock and take over when its session ends). The leader
// publishes unpublished rows in outbox sequence order and marks them published only
// after JetStream acknowledged them. It never keeps a cursor, so a row whose transaction
// commits after a higher-numbered one is found on a later round rather than skipped. Two
// changes of one resource are serialised by the row lock on that resource, so their
// outbox rows get increasing sequence numbers and commit in that order: per resource the
// stream carries events in revision order.
//
// Delivery: at least once from the relay, exactly once in the stream within the
// duplicate window, because every message carries Nats-Msg-Id = event id.
type Relay struct {
	pool   *pgxpool.Pool
	js     jetstream.JetStream
	cfg    RelayConfig
	log    *slog.Logger
	leader atomic.Bool

	published metric.Int64Counter
	latency   metric.Float64Histogram
	backlog   atomic.Int64
}

// NewRelay returns a relay for the outbox in pool's schema.
func NewRelay(pool *pgxpool.Pool, js jetstream.JetStream, cfg RelayConfig, log *slog.Logger) (*Relay, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 5 * time.Second
	}
	r := &Relay{pool: pool, js: js, cfg: cfg, log: log.With("component", "outbox_relay", "schema", cfg.Schema)}
	meter := otel.Meter("yaosu.dev/pkg/messaging")
	var err error
	if r.published, err = meter.Int64Counter("yaosu.outbox.published",
		metric.WithDescription("Events published from the outbox to JetStream.")); err != nil {
		return nil, err
	}
	if r.latency, err = meter.Float64Histogram("yaosu.outbox.publish_latency",
		metric.WithUnit("s"), metric.WithDescription("Time from outbox insert to JetStream acknowledgement.")); err != nil {
		return nil, err
	}
	schemaAttr := metric.WithAttributes(attribute.String("schema", cfg.Schema))
	if _, err = meter.Int64ObservableGauge("yaosu.outbox.backlog",
		metric.WithDescription("Unpublished outbox rows seen by the last relay round (leader only)."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			if r.leader.Load() {
				o.Observe(r.backlog.Load(), schemaAttr)
			}
			return nil
		})); err != nil {
		return nil, err
	}
	return r, nil
}

// IsLeader reports whether this relay currently holds the leader lock.
func (r *Relay) IsLeader() bool { return r.leader.Load() }

// Run relays until ctx ends. Database and NATS failures are retried with backoff; nothing
// is lost, the backlog simply waits in the outbox.
func (r *Relay) Run(ctx context.Context) error {
	b := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.log.WarnContext(ctx, "outbox relay session ended; reconnecting", "error", err)
		if !b.Sleep(ctx) {
			return nil
		}
	}
}

func lockKey(schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("yaosu.outbox.relay:" + schema))
	return int64(h.Sum64())
}

// session holds one dedicated connection: it waits for leadership, listens for commits,
// and publishes until the connection fails or ctx ends.
func (r *Relay) session(ctx context.Context) error {
	pc, err := r.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection leaves the pool: it holds the session lock and the LISTEN.
	conn := pc.Hijack()
	defer func() {
		r.leader.Store(false)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey(r.cfg.Schema)); err != nil {
		return fmt.Errorf("wait for relay leadership: %w", err)
	}
	r.leader.Store(true)
	r.log.InfoContext(ctx, "outbox relay is leader")
	if _, err := conn.Exec(ctx, `LISTEN yaosu_outbox`); err != nil {
		return err
	}
	natsBackoff := backoff.Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	for {
		err := r.drain(ctx, conn)
		if err != nil {
			var pe *publishError
			if !errors.As(err, &pe) {
				return err // database trouble: start a new session
			}
			r.log.WarnContext(ctx, "publishing to JetStream failed; will retry", "error", err)
			if !natsBackoff.Sleep(ctx) {
				return ctx.Err()
			}
			continue
		}
		natsBackoff.Reset()
		// Any notification on the channel (from any schema) just triggers a round.
		waitCtx, cancel := context.WithTimeout(ctx, r.cfg.PollInterval)
		_, err = conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("wait for outbox notification: %w", err)
		}
	}
}

type publishError struct{ err error }

func (e *publishError) Error() string { return e.err.Error() }
func (e *publishError) Unwrap() error { return e.err }

type pending struct {
	seq     int64
	created time.Time
	ack     jetstream.PubAckFuture
}

// drain publishes rounds until the outbox has no unpublished rows.
func (r *Relay) drain(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := r.round(ctx, conn)
		if err != nil {
			return err
		}
		if n < r.cfg.BatchSize {
			r.backlog.Store(int64(n))
			return nil
		}
	}
}

// round publishes one batch. Messages are published asynchronously in sequence order
// over one connection (JetStream stores them in that order); only the prefix that was
// acknowledged is marked published. A message whose acknowledgement was lost but that
// was stored is deduplicated when it is sent again.
func (r *Relay) round(ctx context.Context, conn *pgx.Conn) (int, error) {
	rows, err := conn.Query(ctx,
		`SELECT seq, body, created_at FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1`, r.cfg.BatchSize)
	if err != nil {
		return 0, err
	}
	type row struct {
		Seq     int64
		Body    []byte
		Created time.Time
	}
	batch, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
	if err != nil {
		return 0, err
	}
	if len(batch) == 0 {
		return 0, nil
	}
	r.backlog.Store(int64(len(batch)))
	if nc := r.js.Conn(); nc != nil && !nc.IsConnected() {
		// Publishing now would only pile copies into the client's reconnect buffer.
		return 0, &publishError{err: fmt.Errorf("not connected to NATS (%s)", nc.Status())}
	}
	inflight := make([]pending, 0, len(batch))
	var pubErr error
	for _, b := range batch {
		ev, err := Decode(b.Body)
		if err != nil {
			// A row we wrote ourselves cannot be decoded: a bug, not a transient failure.
			return 0, fmt.Errorf("outbox seq %d: %w", b.Seq, err)
		}
		m := Message(ev, b.Body)
		if r.cfg.Key != nil {
			r.cfg.Key.SignMsg(m)
		}
		f, err := r.js.PublishMsgAsync(m)
		if err != nil {
			pubErr = err
			break
		}
		inflight = append(inflight, pending{seq: b.Seq, created: b.Created, ack: f})
	}
	seqs := make([]int64, 0, len(inflight))
	streamSeqs := make([]int64, 0, len(inflight))
	timeout := time.NewTimer(r.cfg.PublishTimeout)
	defer timeout.Stop()
wait:
	for _, p := range inflight {
		select {
		case ack := <-p.ack.Ok():
			seqs = append(seqs, p.seq)
			streamSeqs = append(streamSeqs, int64(ack.Sequence))
			r.latency.Record(ctx, time.Since(p.created).Seconds())
		case err := <-p.ack.Err():
			pubErr = err
			break wait
		case <-timeout.C:
			pubErr = errors.New("timed out waiting for JetStream acknowledgements")
			break wait
		case <-ctx.Done():
			pubErr = ctx.Err()
			break wait
		}
	}
	if len(seqs) > 0 {
		if _, err := conn.Exec(ctx,
			`UPDATE outbox SET published_at = clock_timestamp(), stream_seq = u.stream_seq
			   FROM unnest($1::bigint[], $2::bigint[]) AS u(seq, stream_seq)
			  WHERE outbox.seq = u.seq`, seqs, streamSeqs); err != nil {
			return 0, err
		}
		r.published.Add(ctx, int64(len(seqs)))
	}
	if pubErr != nil {
		return 0, &publishError{err: pubErr}
	}
	return len(batch), nil
}
