package audit_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/audit"
)

const org = "91350100M000100Y43"

func logOut() io.Writer {
	if os.Getenv("YAOSU_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

type env struct {
	t      testing.TB
	dsn    string
	pool   *pgxpool.Pool
	nats   *testkit.NATS
	js     jetstream.JetStream
	keyDir string
	key    ed25519.PrivateKey
	client auditv1.AuditServiceClient
	sent   [][]byte // bodies published, in stream order
	revs   map[string]int64
	// eventKeys, if set, verify event signatures in the services start runs.
	eventKeys *messaging.Keyring
	// recheck, if set, is how often a running appender checks the whole log again.
	recheck time.Duration
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, keyDir: t.TempDir()}
	e.dsn = testkit.Database(t, testkit.Schemas{audit.Name: audit.Migrations()})
	var err error
	e.pool, err = postgres.Connect(ctx, e.dsn, audit.Name, 8)
	require.NoError(t, err)
	t.Cleanup(e.pool.Close)
	e.nats = testkit.StartNATS(t)
	nc, err := nats.Connect(e.nats.URL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	e.js, err = jetstream.New(nc)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(ctx, e.js, 1, time.Minute)
	require.NoError(t, err)
	return e
}

// start runs an audit service (appender and scheduler) and its gRPC API; stop ends it.
func (e *env) start(every time.Duration) (svc *audit.Service, stop func()) {
	t := e.t
	t.Helper()
	quiet := slog.New(slog.NewJSONHandler(logOut(), nil))
	svc, err := audit.New(audit.Deps{Pool: e.pool, JS: e.js, Log: quiet, KeyFile: filepath.Join(e.keyDir, "k"),
		Origin: "test.yaosu/audit", CheckpointEvery: every, EventKeys: e.eventKeys,
		RecheckEvery: e.recheck})
	require.NoError(t, err)
	pub, key, _ := ed25519.GenerateKey(nil)
	e.key = key
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(pub, "t"), time.Second)
	require.NoError(t, err)
	svc.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 3)
	go func() { _ = gs.Serve(ctx, lis); done <- struct{}{} }()
	go func() { _ = svc.Run(ctx); done <- struct{}{} }()
	// The audit service publishes its checkpoint events through its outbox, like any service.
	relay, err := messaging.NewRelay(e.pool, e.js, messaging.RelayConfig{Schema: audit.Name}, quiet)
	require.NoError(t, err)
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	e.client = auditv1.NewAuditServiceClient(conn)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = conn.Close()
		cancel()
		<-done
		<-done
		<-done
	}
	t.Cleanup(stop)
	return svc, stop
}

func (e *env) as(roles ...auth.Role) context.Context {
	tok, err := auth.Mint(e.key, "t", auth.Principal{Subject: "auditor@" + org, Organisation: org, Roles: roles}, time.Hour)
	require.NoError(e.t, err)
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}

// publish puts n events on the stream the way relays do, cycling over a few resources.
func (e *env) publish(n int) {
	t := e.t
	ctx := context.Background()
	if e.revs == nil {
		e.revs = map[string]int64{}
	}
	revs := e.revs
	for i := 0; i < n; i++ {
		res := fmt.Sprintf("things/%d", i%3)
		revs[res]++
		ev, err := messaging.NewEvent(auth.WithPrincipal(ctx, auth.Principal{Subject: "alice", Organisation: org}),
			"test", "test.thing.changed", res, revs[res], wrapperspb.String(fmt.Sprint("v", i)))
		require.NoError(t, err)
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		_, err = e.js.PublishMsg(ctx, messaging.Message(ev, body))
		require.NoError(t, err)
		e.sent = append(e.sent, body)
	}
}

func (e *env) streamBodies() [][]byte {
	t := e.t
	ctx := context.Background()
	s, err := e.js.Stream(ctx, messaging.StreamName)
	require.NoError(t, err)
	info, err := s.Info(ctx)
	require.NoError(t, err)
	var out [][]byte
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		require.NoError(t, err)
		out = append(out, m.Data)
	}
	return out
}

func (e *env) logSize() uint64 {
	var n int64
	require.NoError(e.t, e.pool.QueryRow(context.Background(), `SELECT count(*) FROM entries`).Scan(&n))
	return uint64(n)
}

func (e *env) waitForLog(n uint64) {
	require.Eventually(e.t, func() bool { return e.logSize() >= n }, 20*time.Second, 10*time.Millisecond)
}

// requireLogEqualsStream checks entry by entry that the log holds exactly the stream. The
// service may still be publishing when it is called (a restart publishes a finding's
// resolution), so it waits until the log has caught up with the stream as read, then
// compares that much: a message published meanwhile is the next call's.
func (e *env) requireLogEqualsStream() {
	t := e.t
	var bodies [][]byte
	require.Eventually(t, func() bool {
		bodies = e.streamBodies()
		return e.logSize() >= uint64(len(bodies))
	}, 20*time.Second, 10*time.Millisecond, "the log catches up with the stream")
	rows, err := e.pool.Query(context.Background(), `SELECT idx, stream_seq, data, leaf_hash FROM entries WHERE idx < $1 ORDER BY idx`, len(bodies))
	require.NoError(t, err)
	defer rows.Close()
	i := 0
	for rows.Next() {
		var idx, seq int64
		var data, leaf []byte
		require.NoError(t, rows.Scan(&idx, &seq, &data, &leaf))
		require.EqualValues(t, i, idx)
		require.EqualValues(t, i+1, seq)
		require.Equal(t, bodies[i], data, "entry %d", i)
		require.Equal(t, tlog.LeafHash(bodies[i]), leaf)
		i++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(bodies), i, "the log holds every stream message")
	require.LessOrEqual(t, e.logSize(), uint64(len(e.streamBodies())), "and nothing the stream does not")
}

func leafHashes(bodies [][]byte) [][]byte {
	out := make([][]byte, len(bodies))
	for i, b := range bodies {
		out[i] = tlog.LeafHash(b)
	}
	return out
}

func TestLogFollowsStreamAndCheckpointsAndProofsVerify(t *testing.T) {
	e := newEnv(t)
	e.start(time.Hour) // checkpoints only on demand here
	e.publish(37)
	e.waitForLog(37)
	e.requireLogEqualsStream()

	cpResp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	cp1, err := tlog.OpenCheckpoint([]byte(cpResp.GetCheckpoint().GetSignedNote()), cpResp.GetVerifierKey())
	require.NoError(t, err, "the note verifies with the published verifier key")
	require.EqualValues(t, 37, cp1.Size)
	require.Equal(t, tlog.RootOf(leafHashes(e.sent)), cp1.Hash, "root recomputed independently from what was sent")
	require.Equal(t, cp1.Hash, cpResp.GetCheckpoint().GetRootHash())

	// The checkpoint was published as an event and is itself logged.
	e.waitForLog(38)
	// Signing again adds nothing: only the checkpoint event arrived since.
	again, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.EqualValues(t, 37, again.GetCheckpoint().GetTreeSize())

	e.publish(20)
	e.waitForLog(58)
	cpResp2, err := e.client.GetCheckpoint(e.as(auth.RoleAdmin), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	cp2, err := tlog.OpenCheckpoint([]byte(cpResp2.GetCheckpoint().GetSignedNote()), cpResp.GetVerifierKey())
	require.NoError(t, err)
	require.EqualValues(t, 58, cp2.Size)

	// Inclusion of every entry of the first checkpoint, against both checkpoints.
	list, err := e.client.ListEvents(e.as(auth.RoleAuditor), &auditv1.ListEventsRequest{PageSize: 1000})
	require.NoError(t, err)
	require.Len(t, list.GetEntries(), 58)
	for _, entry := range list.GetEntries()[:37] {
		for _, cp := range []*tlog.Checkpoint{cp1, cp2} {
			pr, err := e.client.GetInclusionProof(e.as(auth.RoleAuditor), &auditv1.GetInclusionProofRequest{
				EventId: entry.GetEvent().GetId(), TreeSize: cp.Size})
			require.NoError(t, err)
			require.Equal(t, entry.GetIndex(), pr.GetEntry().GetIndex())
			require.NoError(t, tlog.VerifyInclusion(entry.GetIndex(), cp.Size, tlog.LeafHash(pr.GetEntry().GetData()), pr.GetHashes(), cp.Hash))
		}
	}
	cons, err := e.client.GetConsistencyProof(e.as(auth.RoleAuditor), &auditv1.GetConsistencyProofRequest{OldSize: 37, NewSize: 58})
	require.NoError(t, err)
	require.Equal(t, cp1.Hash, cons.GetOldRootHash())
	require.NoError(t, tlog.VerifyConsistency(37, 58, cons.GetHashes(), cp1.Hash, cp2.Hash))
	forked := append([]byte(nil), cp1.Hash...)
	forked[0] ^= 1
	require.Error(t, tlog.VerifyConsistency(37, 58, cons.GetHashes(), forked, cp2.Hash), "a forked history does not verify")
}

func TestAppenderRecoversFromFailedAppendAndRestartWithoutGapsOrRepeats(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A one-shot fault: the batch holding entry 40 fails to commit once, as if the process
	// died mid-append. A sequence counts the firings because, unlike a table, it is not
	// rolled back with the failed transaction.
	_, err := e.pool.Exec(ctx, `
		CREATE SEQUENCE fault_fired;
		CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.idx = 40 AND nextval('fault_fired') = 1 THEN
				RAISE EXCEPTION 'injected crash at entry 40';
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER fail_once BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION fail_once();`)
	require.NoError(t, err)

	e.publish(60)
	_, stop := e.start(time.Hour)
	e.waitForLog(60)
	var fired int64
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT last_value FROM fault_fired`).Scan(&fired))
	require.GreaterOrEqual(t, fired, int64(2), "the fault fired, then the retried batch passed")

	// Make it stick: the fault now fails every append of entry 80 until it is removed.
	_, err = e.pool.Exec(ctx, `CREATE OR REPLACE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.idx = 80 THEN RAISE EXCEPTION 'injected crash at entry 80'; END IF; RETURN NEW; END $$`)
	require.NoError(t, err)
	e.publish(40)
	require.Never(t, func() bool { return e.logSize() > 80 }, 500*time.Millisecond, 20*time.Millisecond)
	stop() // the process "dies" while stuck
	_, err = e.pool.Exec(ctx, `DROP TRIGGER fail_once ON entries`)
	require.NoError(t, err)

	e.start(time.Hour) // a new process resumes from the stored state
	e.waitForLog(100)
	e.requireLogEqualsStream()
	cp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.Equal(t, tlog.RootOf(leafHashes(e.sent)), cp.GetCheckpoint().GetRootHash())
}

func TestTwoAppendersOneWriter(t *testing.T) {
	e := newEnv(t)
	a, stopA := e.start(time.Hour)
	require.Eventually(t, a.Appender().IsLeader, 5*time.Second, 10*time.Millisecond)
	b, _ := e.start(time.Hour)
	e.publish(30)
	e.waitForLog(30)
	require.False(t, b.Appender().IsLeader())
	stopA()
	require.Eventually(t, b.Appender().IsLeader, 5*time.Second, 10*time.Millisecond)
	e.publish(30)
	e.waitForLog(60)
	e.requireLogEqualsStream()
}

func TestReadAPIFiltersPagesAndAccess(t *testing.T) {
	e := newEnv(t)
	e.start(time.Hour)
	e.publish(25)
	e.waitForLog(25)

	_, err := e.client.ListEvents(e.as(auth.RoleRegistrar), &auditv1.ListEventsRequest{})
	st := status.Convert(err)
	require.Equal(t, codes.PermissionDenied, st.Code())
	require.Equal(t, "ERROR_REASON_AUDITOR_ROLE_REQUIRED", st.Details()[0].(*errdetails.ErrorInfo).GetReason())
	_, err = e.client.ListEvents(context.Background(), &auditv1.ListEventsRequest{})
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	timeline, err := e.client.GetResourceTimeline(e.as(auth.RoleAuditor), &auditv1.GetResourceTimelineRequest{Resource: "things/1"})
	require.NoError(t, err)
	require.Len(t, timeline.GetEntries(), 8) // entries 1, 4, ..., 22
	for i, en := range timeline.GetEntries() {
		require.Equal(t, "things/1", en.GetEvent().GetSubject())
		require.EqualValues(t, i+1, en.GetEvent().GetResourceRevision())
	}

	var seen []uint64
	token := ""
	for {
		page, err := e.client.ListEvents(e.as(auth.RoleAuditor), &auditv1.ListEventsRequest{Type: "test.thing.changed", PageSize: 7, PageToken: token})
		require.NoError(t, err)
		for _, en := range page.GetEntries() {
			seen = append(seen, en.GetIndex())
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Len(t, seen, 25)
	for i, idx := range seen {
		require.EqualValues(t, i, idx)
	}
	none, err := e.client.ListEvents(e.as(auth.RoleAuditor), &auditv1.ListEventsRequest{Actor: "nobody"})
	require.NoError(t, err)
	require.Empty(t, none.GetEntries())
	byOrg, err := e.client.ListEvents(e.as(auth.RoleAuditor), &auditv1.ListEventsRequest{Organisation: org, StartIndex: 20})
	require.NoError(t, err)
	require.Len(t, byOrg.GetEntries(), 5)

	_, err = e.client.GetInclusionProof(e.as(auth.RoleAuditor), &auditv1.GetInclusionProofRequest{EventId: uuid.NewString()})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = e.client.GetConsistencyProof(e.as(auth.RoleAuditor), &auditv1.GetConsistencyProofRequest{OldSize: 5, NewSize: 999})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func TestEmptyLogHasNoCheckpoint(t *testing.T) {
	e := newEnv(t)
	e.start(time.Hour)
	_, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))
}
