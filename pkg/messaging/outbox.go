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
	for _, ev := range events {
		body, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode event: %w", err)
		}
		if len(body) > MaxEventBytes {
			return errs.FailedPrecondition("EVENT_TOO_LARGE", "the change's %s event is %d bytes; the limit is %d",
				ev.GetType(), len(body), MaxEventBytes)
		}
		if _, err := tx.Exec(ctx,
			`INSERT INTO outbox (event_id, event_type, resource_name, resource_revision, body) VALUES ($1, $2, $3, $4, $5)`,
			ev.GetId(), ev.GetType(), ev.GetSubject(), ev.GetResourceRevision(), body); err != nil {
			return fmt.Errorf("write outbox: %w", err)
		}
	}
	return nil
}
