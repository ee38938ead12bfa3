package messaging

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
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
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(pool *pgxpool.Pool, js jetstream.JetStream, cfg ConsumerConfig, h Handler, log *slog.Logger) *Consumer {
	return &Consumer{pool: pool, js: js, cfg: cfg, handler: h, log: log.With("component", "consumer", "consumer", cfg.Name)}
}

// Run consumes until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
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
	ev, err := Decode(msg.Data())
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
