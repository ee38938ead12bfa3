package reconcile_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"yaosu.dev/cmd/yaosu/internal/reconcile"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/audit"
	"yaosu.dev/services/catalog"
)

func TestReconcileFindsAndRepublishesWhatTheStreamLacks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := testkit.Database(t, testkit.Schemas{catalog.Name: catalog.Migrations(), audit.Name: audit.Migrations()})
	catalogPool, err := postgres.Connect(ctx, dsn, catalog.Name, 4)
	require.NoError(t, err)
	defer catalogPool.Close()
	auditPool, err := postgres.Connect(ctx, dsn, audit.Name, 4)
	require.NoError(t, err)
	defer auditPool.Close()
	n := testkit.StartNATS(t)
	nc, err := nats.Connect(n.URL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(ctx, js, 1, time.Minute)
	require.NoError(t, err)
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))

	commit := func(i int) *eventsv1.Event {
		ev, err := messaging.NewEvent(ctx, "catalog", "catalog.asset.created", "assets/x", int64(i), wrapperspb.Int64(int64(i)))
		require.NoError(t, err)
		require.NoError(t, postgres.InTx(ctx, catalogPool, func(tx pgx.Tx) error { return messaging.Append(ctx, tx, ev) }))
		return ev
	}
	// Five events go through the relay normally.
	for i := 1; i <= 5; i++ {
		commit(i)
	}
	relay, err := messaging.NewRelay(catalogPool, js, messaging.RelayConfig{Schema: catalog.Name}, quiet)
	require.NoError(t, err)
	relayCtx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	go func() { defer close(relayDone); _ = relay.Run(relayCtx) }()
	require.Eventually(t, func() bool { return unpublished(t, catalogPool) == 0 }, 10*time.Second, 10*time.Millisecond)
	stopRelay()
	<-relayDone

	// Three are marked published but never reached the stream (a lost write, a restored
	// NATS backup, a relay bug); one more is simply still pending.
	var lost []string
	for i := 6; i <= 8; i++ {
		lost = append(lost, commit(i).GetId())
	}
	_, err = catalogPool.Exec(ctx, `UPDATE outbox SET published_at = now() WHERE published_at IS NULL`)
	require.NoError(t, err)
	commit(9)
	// And someone published around the outbox, claiming to be the catalog.
	stray, err := messaging.NewEvent(ctx, "catalog", "catalog.asset.created", "assets/forged", 1, wrapperspb.Int64(0))
	require.NoError(t, err)
	body, err := proto.Marshal(stray)
	require.NoError(t, err)
	_, err = js.PublishMsg(ctx, messaging.Message(stray, body))
	require.NoError(t, err)

	keys, ring := testkit.EventKeys(t, catalog.Name, audit.Name)
	outboxes := []reconcile.Outbox{{Service: catalog.Name, Pool: catalogPool}, {Service: audit.Name, Pool: auditPool}}
	_, err = reconcile.Run(ctx, js, outboxes, auditPool, true)
	require.ErrorContains(t, err, "event key", "republishing needs the service's key: consumers reject unsigned events")
	outboxes[0].Key, outboxes[1].Key = keys[catalog.Name], keys[audit.Name]
	rep, err := reconcile.Run(ctx, js, outboxes, auditPool, false)
	require.NoError(t, err)
	require.False(t, rep.Clean())
	require.EqualValues(t, 6, rep.StreamMessages)
	require.EqualValues(t, 0, rep.LogSize)
	require.Equal(t, []string{stray.GetId()}, rep.UnknownInStream)
	cat := rep.Services[0]
	require.Equal(t, 9, cat.Events)
	require.Equal(t, 1, cat.Pending)
	require.ElementsMatch(t, lost, cat.MissingFromStream)
	require.Zero(t, cat.Republished)
	require.Equal(t, 5, cat.MissingFromLog, "no audit appender ran yet")

	rep, err = reconcile.Run(ctx, js, outboxes, auditPool, true)
	require.NoError(t, err)
	require.Equal(t, 3, rep.Services[0].Republished)
	rep, err = reconcile.Run(ctx, js, outboxes, auditPool, false)
	require.NoError(t, err)
	require.Empty(t, rep.Services[0].MissingFromStream, "the stream has them now")
	require.EqualValues(t, 9, rep.StreamMessages)
	// Signed by the catalog's key, as its relay would have.
	for seq := uint64(7); seq <= 9; seq++ {
		m, err := js.Stream(ctx, messaging.StreamName)
		require.NoError(t, err)
		raw, err := m.GetMsg(ctx, seq)
		require.NoError(t, err)
		svc, err := ring.Verify(raw.Subject, raw.Data, raw.Header.Get(messaging.HeaderSignature))
		require.NoError(t, err, "stream seq %d", seq)
		require.Equal(t, catalog.Name, svc)
	}

	// Once the audit log has caught up, only the stray message remains to report.
	svc, err := audit.New(audit.Deps{Pool: auditPool, JS: js, Log: quiet, KeyFile: filepath.Join(t.TempDir(), "k"),
		Origin: "test/audit", CheckpointEvery: time.Hour})
	require.NoError(t, err)
	go func() { _ = svc.Run(ctx) }()
	require.Eventually(t, func() bool { return svc.Appender().Size() == 9 }, 10*time.Second, 10*time.Millisecond)
	rep, err = reconcile.Run(ctx, js, outboxes, auditPool, false)
	require.NoError(t, err)
	require.Zero(t, rep.Services[0].MissingFromLog)
	require.Equal(t, []string{stray.GetId()}, rep.UnknownInStream)
}

func unpublished(t *testing.T, pool *pgxpool.Pool) int {
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n))
	return n
}
