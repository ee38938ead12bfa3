package audit_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auditcheck"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/audit"
)

// BenchmarkAudit measures, in one run on this machine:
//   - the system's own peak event rate: the outbox relay draining a backlog into JetStream;
//   - the audit appender's throughput catching up on the stream, and its ratio to that rate;
//   - verifying the whole log (replaying the stream, recomputing the tree, checking the
//     signed checkpoint and every resource's revisions) against just reading the stream;
//   - inclusion proof size and the time to fetch and to verify one.
//
// YAOSU_BENCH_AUDIT_EVENTS sets the log size (default 1 000 000).
func BenchmarkAudit(b *testing.B) {
	total := 1_000_000
	if v := os.Getenv("YAOSU_BENCH_AUDIT_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		total = n
	}
	const relayEvents = 20_000
	e := newEnv(b)
	ctx := context.Background()
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	out := os.Stdout

	// 1. Peak event rate: a committed backlog in an outbox, drained by the relay.
	bodies := make([][]any, relayEvents)
	for i := range bodies {
		ev := benchEvent(b, i, "relay")
		body, err := proto.Marshal(ev)
		require.NoError(b, err)
		bodies[i] = []any{ev.GetId(), ev.GetType(), ev.GetSubject(), ev.GetResourceRevision(), body}
	}
	_, err := e.pool.CopyFrom(ctx, pgx.Identifier{"outbox"}, []string{"event_id", "event_type", "resource_name", "resource_revision", "body"},
		pgx.CopyFromRows(bodies))
	require.NoError(b, err)
	relay, err := messaging.NewRelay(e.pool, e.js, messaging.RelayConfig{Schema: audit.Name}, quiet)
	require.NoError(b, err)
	relayCtx, stopRelay := context.WithCancel(ctx)
	start := time.Now()
	go func() { _ = relay.Run(relayCtx) }()
	require.Eventually(b, func() bool { return streamLast(b, e.js) >= relayEvents }, 5*time.Minute, 5*time.Millisecond)
	relayRate := relayEvents / time.Since(start).Seconds()
	stopRelay()

	// 2. Fill the stream to the full size quickly (async publishing; not what is measured).
	start = time.Now()
	for i := relayEvents; i < total; i++ {
		ev := benchEvent(b, i, "bulk")
		body, err := proto.Marshal(ev)
		require.NoError(b, err)
		_, err = e.js.PublishMsgAsync(messaging.Message(ev, body))
		require.NoError(b, err)
		if i%2000 == 0 {
			// Bounded in flight: on a loaded machine the client's stall limit is reached
			// otherwise ("too many outstanding async published messages").
			select {
			case <-e.js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("publishing timed out")
			}
		}
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		b.Fatal("publishing timed out")
	}
	fill := time.Since(start)

	// 3. The appender catches up on the whole stream.
	svc, stop := e.start(time.Hour)
	start = time.Now()
	require.Eventually(b, func() bool { return svc.Appender().Size() >= uint64(total) }, 20*time.Minute, 20*time.Millisecond)
	appendTime := time.Since(start)
	appendRate := float64(total) / appendTime.Seconds()
	cpResp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(b, err)
	require.EqualValues(b, total, cpResp.GetCheckpoint().GetTreeSize())

	// 4. Reading the stream, as a baseline, then verifying the log from it.
	start = time.Now()
	read := 0
	require.NoError(b, messaging.Replay(ctx, e.js, 1, uint64(total), func(uint64, jetstream.Msg) error { read++; return nil }))
	readTime := time.Since(start)
	require.Equal(b, total, read)

	start = time.Now()
	problem, entries := verifyFromStream(b, e.js, cpResp.GetCheckpoint().GetSignedNote(), cpResp.GetVerifierKey())
	verifyTime := time.Since(start)
	require.Nil(b, problem)
	require.Equal(b, total, entries)

	// 4b. The stored log as yaosuctl audit verify reads it by default: ListEvents pages of
	// 1000, the tree against the signed root, and the stream compared message for message;
	// then the same without the stream.
	key := cpResp.GetVerifierKey()
	start = time.Now()
	rep, err := auditcheck.VerifyStored(e.as(auth.RoleAuditor), auditcheck.Options{Client: e.client, JS: e.js, Key: key, Timeout: time.Minute})
	require.NoError(b, err)
	storedTime := time.Since(start)
	require.True(b, rep.OK(), "%+v", rep.Problem)
	require.GreaterOrEqual(b, rep.Stored, uint64(total))
	start = time.Now()
	rep, err = auditcheck.VerifyStored(e.as(auth.RoleAuditor), auditcheck.Options{Client: e.client, Key: key, Timeout: time.Minute})
	require.NoError(b, err)
	storedOnlyTime := time.Since(start)
	require.True(b, rep.OK())

	// 5. Inclusion proofs of random events against the checkpoint.
	const proofs = 200
	list, err := e.client.ListEvents(e.as(auth.RoleAuditor), &auditv1.ListEventsRequest{PageSize: 1000, StartIndex: uint64(rand.IntN(total - 1000))})
	require.NoError(b, err)
	var fetch, check time.Duration
	var size int
	for i := 0; i < proofs; i++ {
		entry := list.GetEntries()[rand.IntN(len(list.GetEntries()))]
		t0 := time.Now()
		pr, err := e.client.GetInclusionProof(e.as(auth.RoleAuditor), &auditv1.GetInclusionProofRequest{EventId: entry.GetEvent().GetId()})
		require.NoError(b, err)
		t1 := time.Now()
		require.NoError(b, tlog.VerifyInclusion(pr.GetEntry().GetIndex(), pr.GetTreeSize(), tlog.LeafHash(pr.GetEntry().GetData()),
			pr.GetHashes(), pr.GetCheckpoint().GetRootHash()))
		fetch += t1.Sub(t0)
		check += time.Since(t1)
		size = len(pr.GetHashes()) * 32
	}
	stop()
	b.ReportMetric(appendRate, "appends/s")

	// 6. A restart: the appender checks the whole stored log before appending again.
	svc, stop = e.start(time.Hour)
	start = time.Now()
	require.Eventually(b, func() bool { return svc.Appender().Size() >= uint64(total) }, 20*time.Minute, 5*time.Millisecond)
	checkTime := time.Since(start)
	require.Nil(b, svc.Appender().Halted())
	stop()

	fmt.Fprintf(out, "\nAudit log, %d events (same run):\n", total)
	fmt.Fprintf(out, "  peak event rate (outbox relay draining %d events): %8.0f events/s\n", relayEvents, relayRate)
	fmt.Fprintf(out, "  audit append (catching up on the stream):          %8.0f entries/s  ratio %.1f x the peak event rate\n", appendRate, appendRate/relayRate)
	fmt.Fprintf(out, "  (filling the stream took %s)\n", fill.Round(time.Millisecond))
	fmt.Fprintf(out, "  read the stream:                 %8s\n", readTime.Round(time.Millisecond))
	fmt.Fprintf(out, "  verify (replay, tree, checkpoint, revisions): %8s  ratio %.2f x reading  (target < 30s)\n",
		verifyTime.Round(time.Millisecond), verifyTime.Seconds()/readTime.Seconds())
	fmt.Fprintf(out, "  verify the stored log (ListEvents pages of %d, tree, checkpoint, revisions) and the stream against it: %8s  ratio %.2f x reading the stream\n",
		auditcheck.PageSize, storedTime.Round(time.Millisecond), storedTime.Seconds()/readTime.Seconds())
	fmt.Fprintf(out, "  the same without the stream:     %8s\n", storedOnlyTime.Round(time.Millisecond))
	fmt.Fprintf(out, "  appender restart: whole stored log checked in %s\n", checkTime.Round(time.Millisecond))
	fmt.Fprintf(out, "  inclusion proof at size %d: %d bytes (%d hashes); fetch %s, verify %s (mean of %d)\n",
		total, size, size/32, (fetch / proofs).Round(time.Microsecond), (check / proofs).Round(time.Microsecond), proofs)
}

func benchEvent(b *testing.B, i int, source string) *eventsv1.Event {
	ev, err := messaging.NewEvent(auth.WithPrincipal(context.Background(), auth.Principal{Subject: "bench", Organisation: org}),
		source, "bench.thing.changed", fmt.Sprintf("things/%d", i%1000), int64(i/1000+1), wrapperspb.Int64(int64(i)))
	require.NoError(b, err)
	return ev
}

func streamLast(b *testing.B, js jetstream.JetStream) uint64 {
	s, err := js.Stream(context.Background(), messaging.StreamName)
	require.NoError(b, err)
	info, err := s.Info(context.Background())
	require.NoError(b, err)
	return info.State.LastSeq
}

// verifyFromStream is what an auditor's verification does: replay, recompute, check the
// signed checkpoint and every resource's revision sequence.
func verifyFromStream(b *testing.B, js jetstream.JetStream, note, key string) (*tlog.Problem, int) {
	cp, err := tlog.OpenCheckpoint([]byte(note), key)
	require.NoError(b, err)
	leaves := make([][]byte, 0, cp.Size)
	revs := tlog.NewRevisionChecker()
	var first *tlog.Problem
	err = messaging.Replay(context.Background(), js, 1, cp.Size, func(seq uint64, m jetstream.Msg) error {
		leaves = append(leaves, tlog.LeafHash(m.Data()))
		if ev, err := messaging.Decode(m.Data()); err == nil {
			if p := revs.Add(seq-1, ev.GetSubject(), ev.GetResourceRevision(), ev.GetType()); p != nil && first == nil {
				first = p
			}
		}
		return nil
	})
	require.NoError(b, err)
	if first != nil {
		return first, len(leaves)
	}
	p, err := tlog.Verify(context.Background(), leaves, *cp, nil)
	require.NoError(b, err)
	return p, len(leaves)
}
