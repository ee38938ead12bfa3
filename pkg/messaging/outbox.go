package messaging

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
)

// MaxEventBytes bounds an encoded event, well under NATS's default 1 MiB message limit: an
// event the server would refuse must fail its transaction, not block the relay later.
const MaxEventBytes = 512 << 10

// Append writes events to the outbox of the schema tx runs in (the service pool's
// search_path). Call it in the same transaction as the change the events describe: they
// commit or vanish together.
func Append(ctx context.Context, tx pgx.Tx, events ...*eventsv1.Event) error {
	if len(events) == 1 {
		args, err := outboxArgs(events[0])
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, insertOutboxSQL, args...); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
		return nil
	}
	var b pgx.Batch
	if err := QueueAppend(&b, events...); err != nil {
		return err
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	return nil
}

// QueueAppend queues the outbox rows of events on b, for writes that send many statements
// in one round trip (bulk imports). The batch must run in the change's transaction.
func QueueAppend(b *pgx.Batch, events ...*eventsv1.Event) error {
	for _, ev := range events {
		args, err := outboxArgs(ev)
		if err != nil {
			return err
		}
		b.Queue(insertOutboxSQL, args...)
	}
	return nil
}

const insertOutboxSQL = `INSERT INTO outbox (event_id, event_type, resource_name, resource_revision, body) VALUES ($1, $2, $3, $4, $5)`

func outboxArgs(ev *eventsv1.Event) ([]any, error) {
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	if len(body) > MaxEventBytes {
		return nil, errs.FailedPrecondition("EVENT_TOO_LARGE", "the change's %s event is %d bytes; the limit is %d",
			ev.GetType(), len(body), MaxEventBytes)
	}
	return []any{ev.GetId(), ev.GetType(), ev.GetSubject(), ev.GetResourceRevision(), body}, nil
}

// CopyAppend writes events to the outbox with COPY, for bulk writes (imports) where one
// INSERT per event would dominate the transaction. Same contract as Append: call it in the
// change's transaction.
func CopyAppend(ctx context.Context, tx pgx.Tx, events []*eventsv1.Event) error {
	rows := make([][]any, 0, len(events))
	for _, ev := range events {
		args, err := outboxArgs(ev)
		if err != nil {
			return err
		}
		rows = append(rows, args)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"outbox"},
		[]string{"event_id", "event_type", "resource_name", "resource_revision", "body"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	return nil
}
