package messaging_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
)

func TestConsumerAppliesEachEventOnceInOrder(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := e.pool.Exec(ctx, `CREATE TABLE applied (n serial PRIMARY KEY, event_id uuid NOT NULL, rev bigint NOT NULL)`)
	require.NoError(t, err)

	var calls atomic.Int32
	failOnce := true
	h := func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
		calls.Add(1)
		if _, err := tx.Exec(ctx, `INSERT INTO applied (event_id, rev) VALUES ($1, $2)`, ev.GetId(), ev.GetResourceRevision()); err != nil {
			return err
		}
		if ev.GetResourceRevision() == 2 && failOnce {
			failOnce = false
			return errors.New("transient failure") // rolls back the insert above
		}
		return nil
	}
	c := messaging.NewConsumer(e.pool, e.js, messaging.ConsumerConfig{Name: "test_consumer", FilterSubjects: []string{"yaosu.test.>"}}, h, quiet)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	evs := []*eventsv1.Event{event(t, "things/a", 1), event(t, "things/a", 2), event(t, "things/a", 3)}
	for _, ev := range evs {
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		_, err = e.js.PublishMsg(ctx, messaging.Message(ev, body))
		require.NoError(t, err)
	}
	// The same event again under another message id, as a resend after the duplicate
	// window would arrive: the processed_events table must catch it.
	body, err := proto.Marshal(evs[0])
	require.NoError(t, err)
	dup := messaging.Message(evs[0], body)
	dup.Header.Set("Nats-Msg-Id", "resend-"+evs[0].GetId())
	_, err = e.js.PublishMsg(ctx, dup)
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'test_consumer'`).Scan(&n)
		return n == 3 && calls.Load() == 4 // 3 events + 1 failed attempt; the duplicate never reaches the handler
	}, 10*time.Second, 20*time.Millisecond)
	rows, err := e.pool.Query(ctx, `SELECT rev FROM applied ORDER BY n`)
	require.NoError(t, err)
	revs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, 3}, revs, "applied once each, in stream order, despite the failure")
	cancel()
	require.NoError(t, <-done)
}
