package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
// meanwhile).
type Handler func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error

// ConsumerConfig describes an idempotent consumer.
type ConsumerConfig struct {
	// Name is the durable consumer's name and the key in processed_events.
	Name string
	// FilterSubjects limits the consumer to these subjects (e.g. "yaosu.catalog.>").
	FilterSubjects []string
	// Keyring verifies each message's signature before the handler sees it (required):
	// messages that do not prove they come from the service owning their subject are
	// terminated, never applied.
	Keyring *Keyring
}

// Consumer is a durable pull consumer of YAOSU_EVENTS whose handler runs in a Postgres
// transaction together with the processed_events insert: an event's effects commit
// exactly once however often JetStream redelivers it.
type Consumer struct {
	pool    *pgxpool.Pool
	js      jetstream.JetStream
	cfg     ConsumerConfig
	handler Handler
	log     *slog.Logger

	rejected metric.Int64Counter
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(pool *pgxpool.Pool, js jetstream.JetStream, cfg ConsumerConfig, h Handler, log *slog.Logger) *Consumer {
	c := &Consumer{pool: pool, js: js, cfg: cfg, handler: h, log: log.With("component", "consumer", "consumer", cfg.Name)}
	var err error
	if c.rejected, err = otel.Meter("yaosu.dev/pkg/messaging").Int64Counter("yaosu.events.rejected",
		metric.WithDescription("Messages a consumer terminated without applying because they do not prove their origin.")); err != nil {
		c.log.Warn("metric yaosu.events.rejected unavailable", "error", err)
		c.rejected = noop.Int64Counter{}
	}
	return c
}

// Run consumes until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
	if c.cfg.Keyring == nil {
		return fmt.Errorf("consumer %s: no event keyring: refusing to apply events whose origin cannot be checked", c.cfg.Name)
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:        c.cfg.Name,
		FilterSubjects: c.cfg.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        30 * time.Second,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxAckPending:  256,
	})
	if err != nil {
		return fmt.Errorf("consumer %s: %w", c.cfg.Name, err)
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
		return c.handler(ctx, tx, ev)
	})
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
	service, err := c.cfg.Keyring.Verify(subject, msg.Data(), msg.Headers().Get(HeaderSignature))
	var ev *eventsv1.Event
	if err == nil {
		ev, err = Decode(msg.Data())
		if err != nil {
			// Signed by the owner yet undecodable: our own bug, retried like a handler failure.
			return nil, err
		}
		switch {
		case ev.GetSource() != "/yaosu/"+service:
			err = fmt.Errorf("%w: envelope source %q, signed by service %s", errEnvelope, ev.GetSource(), service)
		case NATSSubject(ev.GetType()) != subject:
			err = fmt.Errorf("%w: envelope type %q on subject %q", errEnvelope, ev.GetType(), subject)
		}
	}
	if err == nil {
		return ev, nil
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

var errEnvelope = errors.New("envelope does not match its signed subject")

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
	default:
		return "envelope_mismatch"
	}
}

func streamSeq(msg jetstream.Msg) uint64 {
	if md, err := msg.Metadata(); err == nil {
		return md.Sequence.Stream
	}
	return 0
}
