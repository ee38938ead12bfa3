package messaging_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
)

const schema = "relaytest"

var quiet = slog.New(slog.NewTextHandler(logOut(), nil))

func logOut() io.Writer {
	if os.Getenv("YAOSU_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

type env struct {
	pool *pgxpool.Pool
	nats *testkit.NATS
	nc   *nats.Conn
	js   jetstream.JetStream
	// key is the "test" service's event key (events here are test.thing.changed); ring
	// verifies it.
	key  *messaging.SigningKey
	ring *messaging.Keyring
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dsn := testkit.Database(t, testkit.Schemas{schema: {messaging.Migrations()}})
	pool, err := postgres.Connect(ctx, dsn, schema, 8)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	n := testkit.StartNATS(t)
	nc, err := nats.Connect(n.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(ctx, js, 1, time.Minute)
	require.NoError(t, err)
	keys, ring := testkit.EventKeys(t, "test")
	return &env{pool: pool, nats: n, nc: nc, js: js, key: keys["test"], ring: ring}
}

// signed is the message the test service's relay would publish for ev.
func (e *env) signed(t testing.TB, ev *eventsv1.Event) *nats.Msg {
	t.Helper()
	body, err := proto.Marshal(ev)
	require.NoError(t, err)
	m := messaging.Message(ev, body)
	e.key.SignMsg(m)
	return m
}

func (e *env) startRelay(t *testing.T, poll time.Duration) (*messaging.Relay, context.CancelFunc) {
	t.Helper()
	r, err := messaging.NewRelay(e.pool, e.js, messaging.RelayConfig{Schema: schema, BatchSize: 16, PollInterval: poll,
		PublishTimeout: 300 * time.Millisecond, Key: e.key}, quiet)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return r, stop
}

func event(t testing.TB, resource string, rev int64) *eventsv1.Event {
	t.Helper()
	ev, err := messaging.NewEvent(context.Background(), "test", "test.thing.changed", resource, rev,
		wrapperspb.String(fmt.Sprintf("%s@%d", resource, rev)))
	require.NoError(t, err)
	return ev
}

func (e *env) commit(t *testing.T, evs ...*eventsv1.Event) {
	t.Helper()
	require.NoError(t, postgres.InTx(context.Background(), e.pool, func(tx pgx.Tx) error {
		return messaging.Append(context.Background(), tx, evs...)
	}))
}

type got struct {
	seq uint64
	msg jetstream.Msg
	ev  *eventsv1.Event
}

// streamContents reads the whole stream in order.
func (e *env) streamContents(t *testing.T) []got {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := e.js.Stream(ctx, messaging.StreamName)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	if info.State.Msgs == 0 {
		return nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	var out []got
	for uint64(len(out)) < info.State.Msgs {
		batch, err := c.Fetch(int(info.State.Msgs)-len(out), jetstream.FetchMaxWait(5*time.Second))
		require.NoError(t, err)
		for m := range batch.Messages() {
			md, err := m.Metadata()
			require.NoError(t, err)
			ev, err := messaging.Decode(m.Data())
			require.NoError(t, err)
			out = append(out, got{seq: md.Sequence.Stream, msg: m, ev: ev})
		}
		require.NoError(t, batch.Error())
	}
	return out
}

func (e *env) waitForCount(t *testing.T, n int) []got {
	t.Helper()
	require.Eventually(t, func() bool {
		s, err := e.js.Stream(context.Background(), messaging.StreamName)
		if err != nil {
			return false
		}
		info, err := s.Info(context.Background())
		return err == nil && info.State.Msgs >= uint64(n)
	}, 20*time.Second, 20*time.Millisecond)
	return e.streamContents(t)
}

func (e *env) unpublished(t testing.TB) int {
	var n int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n))
	return n
}

func TestRelayPublishesEveryEventWithHeadersAndPerResourceOrder(t *testing.T) {
	e := newEnv(t)
	e.startRelay(t, time.Second)
	var sent []*eventsv1.Event
	for rev := int64(1); rev <= 8; rev++ {
		for r := 0; r < 5; r++ {
			ev := event(t, fmt.Sprintf("things/%d", r), rev)
			sent = append(sent, ev)
			e.commit(t, ev)
		}
	}
	msgs := e.waitForCount(t, len(sent))
	require.Len(t, msgs, len(sent))
	lastRev := map[string]int64{}
	for i, m := range msgs {
		require.Equal(t, sent[i].GetId(), m.ev.GetId(), "stream order is outbox order here (one committer)")
		h := m.msg.Headers()
		require.Equal(t, m.ev.GetId(), h.Get(nats.MsgIdHdr))
		require.Equal(t, m.ev.GetId(), h.Get(messaging.HeaderID))
		require.Equal(t, "1.0", h.Get(messaging.HeaderSpecVersion))
		require.Equal(t, "test.thing.changed", h.Get(messaging.HeaderType))
		require.Equal(t, "/yaosu/test", h.Get(messaging.HeaderSource))
		require.Equal(t, m.ev.GetSubject(), h.Get(messaging.HeaderSubject))
		require.Equal(t, fmt.Sprint(m.ev.GetResourceRevision()), h.Get(messaging.HeaderRevision))
		require.Equal(t, "google.protobuf.StringValue", h.Get(messaging.HeaderDataSchema))
		require.Equal(t, "yaosu.test.thing.changed", m.msg.Subject())
		svc, err := e.ring.Verify(m.msg.Subject(), m.msg.Data(), h.Get(messaging.HeaderSignature))
		require.NoError(t, err, "the relay signs every event with its service's key")
		require.Equal(t, "test", svc)
		require.Greater(t, m.ev.GetResourceRevision(), lastRev[m.ev.GetSubject()])
		lastRev[m.ev.GetSubject()] = m.ev.GetResourceRevision()
	}
	require.Eventually(t, func() bool { return e.unpublished(t) == 0 }, 5*time.Second, 10*time.Millisecond)
	var withStreamSeq int
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE stream_seq IS NOT NULL`).Scan(&withStreamSeq))
	require.Equal(t, len(sent), withStreamSeq)
}

func TestRelayIsWokenByCommitNotByPolling(t *testing.T) {
	e := newEnv(t)
	// A poll interval of an hour: only LISTEN/NOTIFY can make the relay publish in time.
	r, _ := e.startRelay(t, time.Hour)
	require.Eventually(t, r.IsLeader, 5*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // let the first (empty) round finish and the relay wait
	e.commit(t, event(t, "things/a", 1))
	e.waitForCount(t, 1)
}

func TestRelayDoesNotSkipLateCommittingTransaction(t *testing.T) {
	e := newEnv(t)
	e.startRelay(t, 50*time.Millisecond)
	ctx := context.Background()
	early := event(t, "things/early", 1)
	late := event(t, "things/late", 1)

	// The "late" transaction takes the lower outbox sequence number but commits last.
	tx, err := e.pool.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	require.NoError(t, messaging.Append(ctx, tx, late))
	e.commit(t, early)
	msgs := e.waitForCount(t, 1)
	require.Equal(t, early.GetId(), msgs[0].ev.GetId())

	require.NoError(t, tx.Commit(ctx))
	msgs = e.waitForCount(t, 2)
	require.Equal(t, late.GetId(), msgs[1].ev.GetId())
	var seqLate, seqEarly int64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT seq FROM outbox WHERE event_id = $1`, late.GetId()).Scan(&seqLate))
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT seq FROM outbox WHERE event_id = $1`, early.GetId()).Scan(&seqEarly))
	require.Less(t, seqLate, seqEarly, "the test must really commit a lower sequence number last")
}

func TestRelayLosesNothingWhileNATSIsDown(t *testing.T) {
	e := newEnv(t)
	e.startRelay(t, 100*time.Millisecond)
	// A writer commits steadily; NATS goes away while the relay is publishing and comes
	// back later. Commits never fail, and every event arrives once, in order.
	const total = 90
	for i := 1; i <= total; i++ {
		e.commit(t, event(t, "things/a", int64(i)))
		switch i {
		case 30:
			e.nats.Stop()
		case 60:
			// The outage outlasts several publish timeouts and retries; nothing since the
			// stop is marked published meanwhile.
			require.Never(t, func() bool { return e.unpublished(t) < 30 }, time.Second, 50*time.Millisecond)
			e.nats.Start()
		}
		time.Sleep(2 * time.Millisecond) // a steady stream of commits, not one burst
	}
	msgs := e.waitForCount(t, total)
	require.Len(t, msgs, total)
	for i, m := range msgs {
		require.Equal(t, int64(i+1), m.ev.GetResourceRevision(), "every revision once, in order")
	}
	require.Eventually(t, func() bool { return e.unpublished(t) == 0 }, 10*time.Second, 20*time.Millisecond)
}

func TestRelayResendIsDeduplicated(t *testing.T) {
	e := newEnv(t)
	e.startRelay(t, 50*time.Millisecond)
	for i := 1; i <= 5; i++ {
		e.commit(t, event(t, "things/a", int64(i)))
	}
	e.waitForCount(t, 5)
	require.Eventually(t, func() bool { return e.unpublished(t) == 0 }, 5*time.Second, 10*time.Millisecond)

	// As if the relay crashed after publishing but before marking: everything is sent again.
	_, err := e.pool.Exec(context.Background(), `UPDATE outbox SET published_at = NULL`)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return e.unpublished(t) == 0 }, 5*time.Second, 10*time.Millisecond)
	e.commit(t, event(t, "things/a", 6))
	msgs := e.waitForCount(t, 6)
	require.Len(t, msgs, 6, "the resent five were dropped by the duplicate window")
}

func TestTwoRelaysKeepPerResourceOrderAndFailOver(t *testing.T) {
	e := newEnv(t)
	r1, stop1 := e.startRelay(t, 50*time.Millisecond)
	require.Eventually(t, r1.IsLeader, 5*time.Second, 10*time.Millisecond)
	r2, _ := e.startRelay(t, 50*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	require.False(t, r2.IsLeader(), "only one relay leads")

	// Writers change resources concurrently; each resource's changes are serialised the
	// way services serialise them (a row lock), so revisions commit in order.
	ctx := context.Background()
	_, err := e.pool.Exec(ctx, `CREATE TABLE things (id text PRIMARY KEY, rev bigint NOT NULL)`)
	require.NoError(t, err)
	const resources, perResource = 4, 24
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < resources*perResource/8; i++ {
				res := fmt.Sprintf("things/%d", (w+i)%resources)
				err := postgres.InTx(ctx, e.pool, func(tx pgx.Tx) error {
					var rev int64
					if err := tx.QueryRow(ctx, `INSERT INTO things VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET rev = things.rev + 1 RETURNING rev`, res).Scan(&rev); err != nil {
						return err
					}
					return messaging.Append(ctx, tx, event(t, res, rev))
				})
				if err != nil {
					t.Error(err)
					return
				}
				if w == 0 && i == 5 {
					stop1() // the leader goes away mid-stream
				}
			}
		}(w)
	}
	wg.Wait()
	require.Eventually(t, r2.IsLeader, 5*time.Second, 10*time.Millisecond)
	msgs := e.waitForCount(t, resources*perResource)
	require.Len(t, msgs, resources*perResource)
	last := map[string]int64{}
	for _, m := range msgs {
		require.Equal(t, last[m.ev.GetSubject()]+1, m.ev.GetResourceRevision(),
			"%s: revisions must arrive without gaps, in order", m.ev.GetSubject())
		last[m.ev.GetSubject()] = m.ev.GetResourceRevision()
	}
}

func TestOversizedEventFailsItsTransaction(t *testing.T) {
	e := newEnv(t)
	ev, err := messaging.NewEvent(context.Background(), "test", "test.thing.changed", "things/big", 1,
		wrapperspb.String(strings.Repeat("x", messaging.MaxEventBytes)))
	require.NoError(t, err)
	err = postgres.InTx(context.Background(), e.pool, func(tx pgx.Tx) error {
		return messaging.Append(context.Background(), tx, ev)
	})
	require.Equal(t, "EVENT_TOO_LARGE", errs.ReasonOf(err))
	require.Zero(t, e.unpublished(t))
}
