package messaging_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

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
	c := messaging.NewConsumer(e.pool, e.js, messaging.ConsumerConfig{Name: "test_consumer", FilterSubjects: []string{"yaosu.test.>"},
		Keyring: e.ring}, h, quiet)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	evs := []*eventsv1.Event{event(t, "things/a", 1), event(t, "things/a", 2), event(t, "things/a", 3)}
	for _, ev := range evs {
		_, err := e.js.PublishMsg(ctx, e.signed(t, ev))
		require.NoError(t, err)
	}
	// The same event again under another message id, as a resend after the duplicate
	// window would arrive: the processed_events table must catch it.
	dup := e.signed(t, evs[0])
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

// A message that does not prove it comes from the service owning its subject is
// terminated, counted and logged, never applied, and does not hold up the events after it.
func TestConsumerRejectsEventsThatDoNotProveTheirOrigin(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other, err := messaging.NewSigningKey("other")
	require.NoError(t, err)
	stranger, err := messaging.NewSigningKey("test") // a "test" key the keyring does not hold
	require.NoError(t, err)
	ring := messaging.NewKeyring(e.key.Public(), other.Public())

	var applied []string
	var mu sync.Mutex
	h := func(_ context.Context, _ pgx.Tx, ev *eventsv1.Event) error {
		mu.Lock()
		defer mu.Unlock()
		applied = append(applied, ev.GetSubject())
		return nil
	}
	c := messaging.NewConsumer(e.pool, e.js, messaging.ConsumerConfig{Name: "strict", FilterSubjects: []string{"yaosu.test.>"},
		Keyring: ring}, h, quiet)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	publish := func(m *nats.Msg) {
		t.Helper()
		_, err := e.js.PublishMsg(ctx, m)
		require.NoError(t, err)
	}
	raw := func(ev *eventsv1.Event) *nats.Msg {
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		return messaging.Message(ev, body)
	}
	// Unsigned, as anyone reaching NATS could publish it.
	publish(raw(event(t, "forged/unsigned", 1)))
	// Signed by a key nobody published.
	m := raw(event(t, "forged/unknown-key", 1))
	stranger.SignMsg(m)
	publish(m)
	// Signed, then changed.
	m = e.signed(t, event(t, "forged/tampered", 1))
	m.Data = append(m.Data, 0)
	publish(m)
	// A genuine key of another service.
	m = raw(event(t, "forged/wrong-owner", 1))
	other.SignMsg(m)
	publish(m)
	// The owner's key, but an envelope claiming another source.
	ev := event(t, "forged/source", 1)
	ev.Source = "/yaosu/other"
	publish(e.signed(t, ev))
	// The owner's key, but an envelope of another type than its subject.
	ev = event(t, "forged/type", 1)
	ev.Type = "test.thing.deleted"
	m = raw(ev)
	m.Subject = "yaosu.test.thing.changed"
	e.key.SignMsg(m)
	publish(m)
	// And then a genuine event, which must not wait behind the rejected ones.
	publish(e.signed(t, event(t, "things/genuine", 1)))

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(applied) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"things/genuine"}, applied)

	// Terminated: nothing pending, nothing redelivered.
	cons, err := e.js.Consumer(ctx, messaging.StreamName, "strict")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := cons.Info(ctx)
		return err == nil && info.AckFloor.Stream == 7 && info.NumAckPending == 0 && info.NumRedelivered == 0
	}, 5*time.Second, 10*time.Millisecond)
	var n int
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'strict'`).Scan(&n))
	require.Equal(t, 1, n, "rejected events leave no trace in processed_events")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	byReason := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name != "yaosu.events.rejected" {
				continue
			}
			for _, dp := range mt.Data.(metricdata.Sum[int64]).DataPoints {
				r, _ := dp.Attributes.Value("reason")
				byReason[r.AsString()] += dp.Value
			}
		}
	}
	require.Equal(t, map[string]int64{"unsigned": 1, "unknown_key": 1, "bad_signature": 1, "wrong_owner": 1, "envelope_mismatch": 2}, byReason)
	cancel()
	require.NoError(t, <-done)
}

func TestConsumerWithoutKeyringRefusesToRun(t *testing.T) {
	e := newEnv(t)
	c := messaging.NewConsumer(e.pool, e.js, messaging.ConsumerConfig{Name: "nokeys", FilterSubjects: []string{"yaosu.test.>"}},
		func(context.Context, pgx.Tx, *eventsv1.Event) error { return nil }, quiet)
	require.ErrorContains(t, c.Run(context.Background()), "no event keyring")
}

// TestAnotherServiceCannotFreezeAResource: the revision guard keys resources by their
// (verified) source. Before, a service whose key leaked signed an event on its own subject
// naming another service's resource with a huge revision; the guard recorded it, and every
// genuine event of that resource afterwards was skipped as stale.
func TestAnotherServiceCannotFreezeAResource(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	other, err := messaging.NewSigningKey("other")
	require.NoError(t, err)
	ring := messaging.NewKeyring(e.key.Public(), other.Public())
	var applied []string
	var mu sync.Mutex
	h := func(_ context.Context, _ pgx.Tx, ev *eventsv1.Event) error {
		mu.Lock()
		defer mu.Unlock()
		applied = append(applied, fmt.Sprintf("%s %s@%d", ev.GetSource(), ev.GetSubject(), ev.GetResourceRevision()))
		return nil
	}
	c := messaging.NewConsumer(e.pool, e.js, messaging.ConsumerConfig{Name: "freeze",
		FilterSubjects: []string{"yaosu.test.>", "yaosu.other.>"}, Keyring: ring}, h, quiet)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	// "other" signs, on its own subject, an event about the test service's resource.
	ev, err := messaging.NewEvent(ctx, "other", "other.thing.touched", "things/1", 1<<62, wrapperspb.String("x"))
	require.NoError(t, err)
	body, err := proto.Marshal(ev)
	require.NoError(t, err)
	m := messaging.Message(ev, body)
	other.SignMsg(m)
	_, err = e.js.PublishMsg(ctx, m)
	require.NoError(t, err)
	// Then the owner's genuine event about it.
	_, err = e.js.PublishMsg(ctx, e.signed(t, event(t, "things/1", 2)))
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(applied) == 2
	}, 10*time.Second, 10*time.Millisecond, "the owner's event must not be skipped as stale")
	require.Equal(t, []string{"/yaosu/other things/1@4611686018427387904", "/yaosu/test things/1@2"}, applied)
	cancel()
	require.NoError(t, <-done)
}
