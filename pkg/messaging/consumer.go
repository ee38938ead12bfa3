package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/backoff"
	"yaosu.dev/pkg/postgres"
)

// Handler applies one event inside the consumer's transaction. Returning an error rolls
// the transaction back; the event is retried (in order: nothing after it is handled
// meanwhile by this replica).
//
// A handler is called only with an event at least as new as every event of the same
// resource (envelope subject) it was called with before (see Consumer), but it may miss
// revisions: those of types the consumer does not subscribe to, and older ones that
// arrived after a newer one. So a handler must set the state the event's payload
// describes (the payloads carry the resource as committed), never apply a difference to
// what an earlier event left.
type Handler func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error

// ConsumerConfig describes an idempotent consumer.
type ConsumerConfig struct {
	// Name is the durable consumer's name and the key in processed_events.
	Name string
	// FilterSubjects limits the consumer to these subjects (e.g. "yaosu.catalog.>").
	FilterSubjects []string
	// Stale, if set, runs in the handler's stead (same transaction) for an event skipped
	// because a newer revision of its resource was applied already: for effects that do
	// not depend on order, such as a history row keyed by the event's own time.
	Stale Handler
	// Keyring verifies each message's signature before the handler sees it (required):
	// messages that do not prove they come from the service owning their subject are
	// terminated, never applied.
	Keyring *Keyring
}

// Consumer is a durable pull consumer of YAOSU_EVENTS whose handler runs in a Postgres
// transaction together with the processed_events insert: an event's effects commit
// exactly once however often JetStream redelivers it.
//
// Any number of replicas may run one Consumer each on the same durable; JetStream then
// hands them different messages, so one resource's events can be handled out of stream
// order. The transaction therefore also claims the event's revision in
// consumer_revisions: an event older than the newest one applied for its resource is
// recorded as processed, skipped and acknowledged (stale), so the final state is that of
// an in-order replay whatever the interleaving. A gap is not waited for: the newer event's
// payload already carries the resource's state, and a consumer that filters types sees
// gaps that will never be filled.
type Consumer struct {
	pool    *pgxpool.Pool
	js      jetstream.JetStream
	cfg     ConsumerConfig
	handler Handler
	log     *slog.Logger
	stale   metric.Int64Counter

	rejected metric.Int64Counter
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(pool *pgxpool.Pool, js jetstream.JetStream, cfg ConsumerConfig, h Handler, log *slog.Logger) *Consumer {
	c := &Consumer{pool: pool, js: js, cfg: cfg, handler: h, log: log.With("component", "consumer", "consumer", cfg.Name)}
	stale, err := otel.Meter("yaosu.dev/pkg/messaging").Int64Counter("yaosu.consumer.stale",
		metric.WithDescription("Events skipped because a newer revision of their resource was already applied."))
	if err != nil {
		c.log.Warn("consumer metric not registered", "error", err)
		stale = noop.Int64Counter{}
	}
	c.stale = stale
	if c.rejected, err = otel.Meter("yaosu.dev/pkg/messaging").Int64Counter("yaosu.events.rejected",
		metric.WithDescription("Messages a consumer terminated without applying because they do not prove their origin.")); err != nil {
		c.log.Warn("metric yaosu.events.rejected unavailable", "error", err)
		c.rejected = noop.Int64Counter{}
	}
	return c
}

// Ensure creates the durable consumer, or updates it to this consumer's configuration,
// and returns it. Run calls it; every replica's call is the same.
func (c *Consumer) Ensure(ctx context.Context) (jetstream.Consumer, error) {
	subjects := slices.Clone(c.cfg.FilterSubjects)
	slices.Sort(subjects) // replicas built from a map agree on the configuration
	cons, err := c.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:        c.cfg.Name,
		FilterSubjects: subjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        30 * time.Second,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxAckPending:  256,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", c.cfg.Name, err)
	}
	return cons, nil
}

// Run consumes until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
	if c.cfg.Keyring == nil {
		return fmt.Errorf("consumer %s: no event keyring: refusing to apply events whose origin cannot be checked", c.cfg.Name)
	}
	cons, err := c.Ensure(ctx)
	if err != nil {
		return err
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		it.Stop()
	}()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("consumer %s: %w", c.cfg.Name, err)
		}
		c.process(ctx, msg)
	}
}

// process handles msg, retrying in place until it succeeds or ctx ends, so events are
// applied in stream order.
func (c *Consumer) process(ctx context.Context, msg jetstream.Msg) {
	b := backoff.Backoff{Min: 200 * time.Millisecond, Max: 10 * time.Second}
	for {
		err := c.handle(ctx, msg)
		if errors.Is(err, errRejected) {
			return // terminated by handle: never retried
		}
		if err == nil {
			if err := msg.Ack(); err != nil {
				c.log.WarnContext(ctx, "ack failed; the event will be redelivered and skipped", "error", err)
			}
			return
		}
		c.log.ErrorContext(ctx, "event handler failed; retrying", "subject", msg.Subject(), "error", err)
		_ = msg.InProgress() // keep the message ours while we retry
		if !b.Sleep(ctx) {
			return
		}
	}
}

func (c *Consumer) handle(ctx context.Context, msg jetstream.Msg) error {
	ev, err := c.authenticate(ctx, msg)
	if err != nil {
		return err
	}
	meta, err := msg.Metadata()
	if err != nil {
		return err
	}
	ctx = otel.GetTextMapPropagator().Extract(ctx, HeaderCarrier(msg.Headers()))
	if !trace.SpanContextFromContext(ctx).IsValid() && ev.GetTraceparent() != "" {
		ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": ev.GetTraceparent()})
	}
	ctx, span := otel.Tracer("yaosu.dev/pkg/messaging").Start(ctx, "consume "+ev.GetType(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.consumer.group.name", c.cfg.Name),
			attribute.String("messaging.message.id", ev.GetId())))
	defer span.End()
	return postgres.InTx(ctx, c.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`INSERT INTO processed_events (consumer, event_id, stream_seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			c.cfg.Name, ev.GetId(), int64(meta.Sequence.Stream))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // already applied
		}
		fresh, err := c.claimRevision(ctx, tx, ev)
		if err != nil {
			return err
		}
		if !fresh {
			c.stale.Add(ctx, 1, metric.WithAttributes(attribute.String("consumer", c.cfg.Name)))
			c.log.DebugContext(ctx, "stale event skipped: a newer revision of its resource was applied",
				"event_id", ev.GetId(), "type", ev.GetType(), "resource", ev.GetSubject(), "revision", ev.GetResourceRevision())
			if c.cfg.Stale != nil {
				return c.cfg.Stale(ctx, tx, ev)
			}
			return nil
		}
		return c.handler(ctx, tx, ev)
	})
}

// claimRevision records ev's revision as the newest applied for its resource and reports
// whether ev may be applied: false when a newer revision already was. An equal revision is
// applied: one transition may emit several events (of distinct types, distinct ids) that
// share it. The upsert takes the row's lock, so replicas handling events of one resource
// at once are serialised here, before the handler runs. Events without a subject or
// revision (aggregates such as rights.check.denied) are not ordered per resource.
//
// The resource is keyed by the event's (verified) source and subject: a service can only
// advance the revisions of its own resources, so a service whose key leaked cannot claim a
// huge revision of another service's resource and make that resource's genuine events
// look stale.
func (c *Consumer) claimRevision(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) (bool, error) {
	if ev.GetSubject() == "" || ev.GetResourceRevision() <= 0 {
		return true, nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO consumer_revisions (consumer, resource, revision, event_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (consumer, resource) DO UPDATE
		SET revision = excluded.revision, event_id = excluded.event_id, applied_at = now()
		WHERE consumer_revisions.revision <= excluded.revision`,
		c.cfg.Name, ev.GetSource()+" "+ev.GetSubject(), ev.GetResourceRevision(), ev.GetId())
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// errRejected marks a message authenticate terminated.
var errRejected = errors.New("event rejected")

// authenticate checks that msg was signed by the service that owns its subject (see
// Keyring.Verify) and that its envelope agrees: source "/yaosu/<service>" and a type that
// is the subject without "yaosu.". A message that fails is terminated (JetStream never
// redelivers it), logged at error and counted in yaosu.events.rejected, and handle
// returns errRejected: a forgery must neither be applied nor block the events after it.
func (c *Consumer) authenticate(ctx context.Context, msg jetstream.Msg) (*eventsv1.Event, error) {
	subject := msg.Subject()
	_, ev, err := c.cfg.Keyring.VerifyEvent(subject, msg.Data(), msg.Headers().Get(HeaderSignature))
	if err == nil {
		return ev, nil
	}
	if rejectReason(err) == "" {
		// Signed by the owner yet undecodable: our own bug, retried like a handler failure.
		return nil, err
	}
	reason := rejectReason(err)
	c.log.ErrorContext(ctx, "event rejected: it does not prove it comes from the service owning its subject; terminated, not applied",
		"subject", subject, "reason", reason, "error", err, "stream_seq", streamSeq(msg))
	c.rejected.Add(ctx, 1, metric.WithAttributes(attribute.String("consumer", c.cfg.Name), attribute.String("reason", reason)))
	if terr := msg.TermWithReason(reason); terr != nil {
		c.log.WarnContext(ctx, "terminating a rejected event failed; it will be redelivered and rejected again", "error", terr)
	}
	return nil, errRejected
}

func rejectReason(err error) string {
	switch {
	case errors.Is(err, ErrUnsigned):
		return "unsigned"
	case errors.Is(err, ErrUnknownKey):
		return "unknown_key"
	case errors.Is(err, ErrBadSignature):
		return "bad_signature"
	case errors.Is(err, ErrWrongOwner):
		return "wrong_owner"
	case errors.Is(err, ErrEnvelopeMismatch):
		return "envelope_mismatch"
	default:
		return ""
	}
}

func streamSeq(msg jetstream.Msg) uint64 {
	if md, err := msg.Metadata(); err == nil {
		return md.Sequence.Stream
	}
	return 0
}
