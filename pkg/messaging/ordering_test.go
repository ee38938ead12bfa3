package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
)

// Replicas of a consumer share one durable with many messages in flight, so a resource's
// events reach the handler out of stream order: here a third party on the durable (a
// stalled replica) holds the first events and gives them back only after the replicas
// have handled everything else, and the handler fails the first attempt of every third
// event (retried in place while other replicas go on). The handler keeps the last writer,
// like the scenario service's blocks did; the final state must still be that of one
// in-order replay, each resource's events must reach the handler in increasing revision,
// and redeliveries and resends must change nothing.
func TestConsumerReplicasApplyEachResourceInRevisionOrder(t *testing.T) {
	for _, replicas := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d replicas", replicas), func(t *testing.T) {
			testReplicasInOrder(t, replicas)
		})
	}
}

func testReplicasInOrder(t *testing.T, replicas int) {
	const (
		resources = 4
		revisions = 12 // per resource: alternately "suspended" and "reinstated"
		held      = 6  // the first events of the stream, held by the stalled replica
	)
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := e.pool.Exec(ctx, `CREATE TABLE things (resource text PRIMARY KEY, value text NOT NULL, rev bigint NOT NULL);
		CREATE TABLE applied (n serial PRIMARY KEY, event_id uuid NOT NULL, resource text NOT NULL, rev bigint NOT NULL)`)
	require.NoError(t, err)

	var mu sync.Mutex
	attempts := map[string]int{}
	h := func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
		var v wrapperspb.StringValue
		if err := ev.GetPayload().UnmarshalTo(&v); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO things (resource, value, rev) VALUES ($1, $2, $3)
			ON CONFLICT (resource) DO UPDATE SET value = excluded.value, rev = excluded.rev`,
			ev.GetSubject(), v.GetValue(), ev.GetResourceRevision()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO applied (event_id, resource, rev) VALUES ($1, $2, $3)`,
			ev.GetId(), ev.GetSubject(), ev.GetResourceRevision()); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		attempts[ev.GetId()]++
		if ev.GetResourceRevision()%3 == 0 && attempts[ev.GetId()] == 1 {
			return errors.New("transient failure") // rolls back; this replica retries in place
		}
		return nil
	}
	cfg := messaging.ConsumerConfig{Name: "order_test", FilterSubjects: []string{"yaosu.test.>"}, Keyring: e.ring}
	first := messaging.NewConsumer(e.pool, e.js, cfg, h, quiet)
	durable, err := first.Ensure(ctx)
	require.NoError(t, err)

	// A burst interleaving the resources, as the stream carries concurrent writers'.
	var evs []*eventsv1.Event
	for rev := int64(1); rev <= revisions; rev++ {
		for r := range resources {
			res := fmt.Sprintf("things/%d", r)
			state := "suspended"
			if rev%2 == 0 {
				state = "reinstated"
			}
			ev, err := messaging.NewEvent(ctx, "test", "test.thing."+state, res, rev, wrapperspb.String(fmt.Sprintf("%s@%d", state, rev)))
			require.NoError(t, err)
			evs = append(evs, ev)
		}
	}
	for _, ev := range evs {
		publish(t, e, ev, ev.GetId())
	}
	want := map[string]string{} // one in-order replay
	for _, ev := range evs {
		var v wrapperspb.StringValue
		require.NoError(t, ev.GetPayload().UnmarshalTo(&v))
		want[ev.GetSubject()] = v.GetValue()
	}

	// The stalled replica takes the first events and keeps them.
	batch, err := durable.FetchNoWait(held)
	require.NoError(t, err)
	var stalled []jetstream.Msg
	for m := range batch.Messages() {
		stalled = append(stalled, m)
	}
	require.Len(t, stalled, held)

	cs := []*messaging.Consumer{first}
	for range replicas - 1 {
		cs = append(cs, messaging.NewConsumer(e.pool, e.js, cfg, h, quiet))
	}
	done := make(chan error, len(cs))
	for _, c := range cs {
		go func() { done <- c.Run(ctx) }()
	}
	processed := func() int {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'order_test'`).Scan(&n)
		return n
	}
	require.Eventually(t, func() bool { return processed() == len(evs)-held }, 20*time.Second, 20*time.Millisecond)

	// Now the stalled replica gives its events back (they are redelivered to the others),
	// and three events are resent under new message ids, as after the duplicate window.
	for _, m := range stalled {
		require.NoError(t, m.Nak())
	}
	for _, ev := range []*eventsv1.Event{evs[0], evs[len(evs)/2], evs[len(evs)-1]} {
		publish(t, e, ev, "resend-"+ev.GetId())
	}
	require.Eventually(t, func() bool {
		info, err := durable.Info(ctx)
		return err == nil && processed() == len(evs) && info.NumPending == 0 && info.NumAckPending == 0
	}, 20*time.Second, 20*time.Millisecond)

	rows, err := e.pool.Query(ctx, `SELECT resource, value FROM things`)
	require.NoError(t, err)
	got := map[string]string{}
	for rows.Next() {
		var r, v string
		require.NoError(t, rows.Scan(&r, &v))
		got[r] = v
	}
	require.NoError(t, rows.Err())
	require.Equal(t, want, got, "the final state is that of an in-order replay")

	rows, err = e.pool.Query(ctx, `SELECT resource, rev FROM applied ORDER BY n`)
	require.NoError(t, err)
	last := map[string]int64{}
	n := 0
	for rows.Next() {
		var r string
		var rev int64
		require.NoError(t, rows.Scan(&r, &rev))
		require.Greater(t, rev, last[r], "%s: revision %d applied after %d", r, rev, last[r])
		last[r] = rev
		n++
	}
	require.NoError(t, rows.Err())
	// The held events came back stale and were skipped (so were any others a replica
	// retried after another had applied a newer revision); resends never reached the
	// handler, and each event was applied at most once.
	require.LessOrEqual(t, n, len(evs)-held)
	var heldApplied, distinct int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE event_id = ANY($1)), count(DISTINCT event_id) FROM applied`,
		ids(stalled)).Scan(&heldApplied, &distinct))
	require.Zero(t, heldApplied, "a held event was applied after newer ones")
	require.Equal(t, n, distinct, "an event was applied twice")
	var redelivered int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'order_test' AND event_id = ANY($1)`,
		ids(stalled)).Scan(&redelivered))
	require.Equal(t, held, redelivered, "the stale events are recorded as processed")

	cancel()
	for range cs {
		require.NoError(t, <-done)
	}
}

// publish sends ev signed by the test service's key, as its relay would.
func publish(t testing.TB, e *env, ev *eventsv1.Event, msgID string) {
	t.Helper()
	body, err := proto.Marshal(ev)
	require.NoError(t, err)
	m := messaging.Message(ev, body)
	m.Header.Set("Nats-Msg-Id", msgID)
	e.key.SignMsg(m)
	_, err = e.js.PublishMsg(context.Background(), m)
	require.NoError(t, err)
}

func ids(msgs []jetstream.Msg) []string {
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		ev, err := messaging.Decode(m.Data())
		if err == nil {
			out = append(out, ev.GetId())
		}
	}
	return out
}

// Events of one transition share a revision (distinct types and ids): each is applied.
// Events without a subject are not ordered per resource. An older revision arriving after
// a newer one is skipped, even under a new id, and goes to the Stale handler instead.
func TestConsumerRevisionGuardEdges(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var seen []string
	h := func(_ context.Context, _ pgx.Tx, ev *eventsv1.Event) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s %s@%d", ev.GetType(), ev.GetSubject(), ev.GetResourceRevision()))
		return nil
	}
	mk := func(typ, subject string, rev int64) *eventsv1.Event {
		ev, err := messaging.NewEvent(ctx, "test", typ, subject, rev, wrapperspb.String("x"))
		require.NoError(t, err)
		return ev
	}
	evs := []*eventsv1.Event{
		mk("test.thing.passed", "things/a", 3), mk("test.thing.registered", "things/a", 3),
		mk("test.thing.counted", "", 0), mk("test.thing.counted", "", 0),
		mk("test.thing.changed", "things/a", 4), mk("test.thing.late", "things/a", 2),
		mk("test.thing.changed", "things/b", 1),
	}
	for _, ev := range evs {
		publish(t, e, ev, ev.GetId())
	}
	stale := func(_ context.Context, _ pgx.Tx, ev *eventsv1.Event) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("stale %s %s@%d", ev.GetType(), ev.GetSubject(), ev.GetResourceRevision()))
		return nil
	}
	c := messaging.NewConsumer(e.pool, e.js, messaging.ConsumerConfig{Name: "edges", FilterSubjects: []string{"yaosu.test.>"},
		Stale: stale, Keyring: e.ring}, h, quiet)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	require.Eventually(t, func() bool {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'edges'`).Scan(&n)
		return n == len(evs)
	}, 10*time.Second, 20*time.Millisecond)
	mu.Lock()
	require.Equal(t, []string{
		"test.thing.passed things/a@3", "test.thing.registered things/a@3",
		"test.thing.counted @0", "test.thing.counted @0",
		"test.thing.changed things/a@4", "stale test.thing.late things/a@2", "test.thing.changed things/b@1",
	}, seen)
	mu.Unlock()
	cancel()
	require.NoError(t, <-done)
}
