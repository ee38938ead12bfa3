package server_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"yaosu.dev/cmd/yaosu/internal/server"
	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/telemetry"
	"yaosu.dev/pkg/testkit"
)

// Valid unified social credit codes (GB 32100 check digits verified).
const (
	orgA = "91350100M000100Y43"
	orgB = "91110000600037341L"
)

type stack struct {
	dsn     string // the test database, directly (not through any proxy)
	dataDir string
	addr    string
	key     ed25519.PrivateKey
	natsURL string
	// creds holds the NATS users' seeds ("" when NATS lets anyone in).
	creds   string
	conn    *grpc.ClientConn
	catalog catalogv1.CatalogServiceClient
}

func logWriter() io.Writer {
	if os.Getenv("YAOSU_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// startStack runs the real server (all services) on a loopback port against a fresh
// database and an in-process JetStream configured as `yaosu nats-config` prints it: every
// service connects as its own NATS user, anonymous clients are refused.
func startStack(t *testing.T) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{})
}

// startStackVia is startStack whose server reaches the database at via(dsn) (e.g. through
// a proxy the test can cut).
func startStackVia(t *testing.T, via func(dsn string) string) *stack {
	t.Helper()
	return startStackWith(t, stackOptions{via: via})
}

// stackOptions change how startStackWith assembles the stack.
type stackOptions struct {
	// env overrides the test's configuration defaults.
	env map[string]string
	// creds are the test client's transport credentials (default: plaintext).
	creds credentials.TransportCredentials
	// via, when set, is where the server reaches the database (e.g. a proxy the test cuts).
	via func(dsn string) string
	// clock, when set, is the services' clock (the test moves it; nil: the wall clock).
	clock *testClock
}

// testClock is the wall clock plus an offset the test advances, so a test can end a
// publicity window without waiting for it, however slow the machine.
type testClock struct{ offset atomic.Int64 }

// Now is the wall clock moved by the offset.
func (c *testClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

func startStackWith(t *testing.T, o stackOptions) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	shutdownTel, err := telemetry.Setup(ctx, "yaosu-test", "")
	require.NoError(t, err)
	services := server.ServiceNames()
	dsn := testkit.Database(t, testkit.Schemas(server.MigrationSets(services)))
	serverDSN := dsn
	if o.via != nil {
		serverDSN = o.via(dsn)
	}
	dataDir := t.TempDir()
	// Where `yaosu dev` keeps them, so yaosuctl finds the auditor's seed through
	// YAOSU_DATA_DIR.
	creds := filepath.Join(dataDir, "nats-credentials")
	text, err := server.NATSConfig(server.NATSConfigOptions{CredentialsDir: creds, CreateSeeds: true})
	require.NoError(t, err)
	n := testkit.StartNATSWithConfig(t, text)
	cfg, err := config.Load(func(k string) string {
		if v, ok := o.env[k]; ok {
			return v
		}
		switch k {
		case "YAOSU_AUTH_MODE":
			return config.AuthModeDev
		case "YAOSU_NATS_CREDENTIALS_DIR":
			return creds
		case "YAOSU_GRPC_ADDR":
			return "127.0.0.1:0"
		case "YAOSU_DATA_DIR":
			return dataDir
		case "DATABASE_URL":
			return serverDSN
		case "NATS_URL":
			return n.URL()
		case "YAOSU_CATALOG_PUBLICITY_DURATION":
			// Short enough for the CLI walk-through to see publicity end, long enough to
			// object first.
			return "3s"
		case "YAOSU_CATALOG_SCHEDULER_INTERVAL":
			return "200ms"
		}
		return ""
	})
	require.NoError(t, err)
	log := telemetry.NewLogger(logWriter(), slog.LevelDebug)
	var now func() time.Time
	if o.clock != nil {
		now = o.clock.Now
	}
	srv, err := server.Start(ctx, server.Options{Config: cfg, Services: services, Log: log, Now: now, CreateEventKeys: true})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		_ = shutdownTel(context.Background())
	})
	key, err := auth.LoadOrCreateDevKey(cfg.DataDir)
	require.NoError(t, err)
	clientCreds := o.creds
	if clientCreds == nil {
		clientCreds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(srv.Addr(), grpc.WithTransportCredentials(clientCreds))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return &stack{dsn: dsn, dataDir: dataDir, addr: srv.Addr(), key: key, natsURL: n.URL(), creds: creds, conn: conn, catalog: catalogv1.NewCatalogServiceClient(conn)}
}

// jetStream connects to the stack's NATS as user.
func (s *stack) jetStream(t *testing.T, user string) jetstream.JetStream {
	t.Helper()
	opts, err := messaging.NATSConnectOptions(s.creds, user, messaging.NATSTLS{})
	require.NoError(t, err)
	nc, err := nats.Connect(s.natsURL, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

// as returns ctx authenticated as a principal of org with roles.
func (s *stack) as(t *testing.T, ctx context.Context, org string, roles ...auth.Role) context.Context {
	t.Helper()
	tok, err := auth.Mint(s.key, "yaosu-dev", auth.Principal{Subject: "user-" + string(roles[0]) + "@" + org, Organisation: org, Roles: roles}, time.Hour)
	require.NoError(t, err)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func errorInfo(t *testing.T, err error) (codes.Code, string, []*errdetails.BadRequest_FieldViolation) {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok, "not a status: %v", err)
	var reason string
	var fields []*errdetails.BadRequest_FieldViolation
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			require.Equal(t, "yaosu.dev", d.GetDomain())
			reason = d.GetReason()
		case *errdetails.BadRequest:
			fields = append(fields, d.GetFieldViolations()...)
		}
	}
	return st.Code(), reason, fields
}

func TestEndToEndCreateGetListAndEvent(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The caller's trace: a traceparent the server must continue and stamp on the event.
	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	callCtx := metadata.AppendToOutgoingContext(s.as(t, ctx, orgA, auth.RoleRegistrar),
		"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	created, err := s.catalog.CreateAsset(callCtx, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{
		DisplayName: "企业登记信息", Summary: "市场主体登记数据", HolderOrganisation: orgA}})
	require.NoError(t, err)
	a := created.GetAsset()
	require.Regexp(t, `^assets/[0-9a-f-]{36}$`, a.GetName())
	require.Equal(t, catalogv1.AssetState_ASSET_STATE_DRAFT, a.GetState())
	require.EqualValues(t, 1, a.GetRevision())
	require.Equal(t, "user-registrar@"+orgA, a.GetCreator())

	got, err := s.catalog.GetAsset(s.as(t, ctx, orgA, auth.RoleReviewer), &catalogv1.GetAssetRequest{Name: a.GetName()})
	require.NoError(t, err)
	require.True(t, proto.Equal(a, got.GetAsset()), "get returns what create returned")

	list, err := s.catalog.ListAssets(s.as(t, ctx, orgA, auth.RoleRegistrar), &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAssets(), 1)
	require.True(t, proto.Equal(a, list.GetAssets()[0]))

	// The event, read from JetStream as an auditor would.
	js := s.jetStream(t, messaging.NATSUserAuditor)
	cons, err := js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"yaosu.catalog.>"}})
	require.NoError(t, err)
	msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	require.NoError(t, err)
	ev, err := messaging.Decode(msg.Data())
	require.NoError(t, err)
	require.Equal(t, "catalog.asset.created", ev.GetType())
	require.Equal(t, "yaosu.catalog.asset.created", msg.Subject())
	require.Equal(t, a.GetName(), ev.GetSubject())
	require.Equal(t, ev.GetId(), msg.Headers().Get(nats.MsgIdHdr))
	require.Equal(t, a.GetName(), msg.Headers().Get(messaging.HeaderSubject))
	require.EqualValues(t, 1, ev.GetResourceRevision())
	require.Equal(t, orgA, ev.GetActor().GetOrganisation())
	require.Equal(t, "user-registrar@"+orgA, ev.GetActor().GetSubject())
	require.Regexp(t, "^00-"+traceID+"-[0-9a-f]{16}-01$", ev.GetTraceparent(), "the caller's trace id travels with the event")
	_, err = uuid.Parse(ev.GetId())
	require.NoError(t, err)
	require.EqualValues(t, 7, uuid.MustParse(ev.GetId()).Version())
	payload := &eventsv1.AssetCreated{}
	require.NoError(t, ev.GetPayload().UnmarshalTo(payload))
	require.True(t, proto.Equal(a, payload.GetAsset()), "the event carries the committed asset")
	// The trace continues on the consumer side through the standard header.
	consumerCtx := otel.GetTextMapPropagator().Extract(context.Background(), messaging.HeaderCarrier(msg.Headers()))
	require.Equal(t, traceID, trace.SpanContextFromContext(consumerCtx).TraceID().String())
}

func TestUnauthenticatedAndInvalidRequests(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := s.catalog.ListAssets(ctx, &catalogv1.ListAssetsRequest{})
	code, reason, _ := errorInfo(t, err)
	require.Equal(t, codes.Unauthenticated, code)
	require.Equal(t, "UNAUTHENTICATED", reason)

	_, err = s.catalog.ListAssets(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer not-a-jwt"), &catalogv1.ListAssetsRequest{})
	code, _, _ = errorInfo(t, err)
	require.Equal(t, codes.Unauthenticated, code)

	// A token signed by another key.
	_, otherKey, _ := ed25519.GenerateKey(nil)
	forged, err := auth.Mint(otherKey, "yaosu-dev", auth.Principal{Subject: "x", Organisation: orgA, Roles: []auth.Role{auth.RoleAdmin}}, time.Hour)
	require.NoError(t, err)
	_, err = s.catalog.ListAssets(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+forged), &catalogv1.ListAssetsRequest{})
	code, _, _ = errorInfo(t, err)
	require.Equal(t, codes.Unauthenticated, code)

	// Health needs no token.
	hc, err := healthpb.NewHealthClient(s.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "yaosu.catalog.v1.CatalogService"})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, hc.GetStatus())

	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)
	_, err = s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{HolderOrganisation: orgA}})
	code, reason, fields := errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "VALIDATION_FAILED", reason)
	require.Len(t, fields, 1)
	require.Equal(t, "asset.display_name", fields[0].GetField())

	_, err = s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{})
	code, _, fields = errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "asset", fields[0].GetField())

	_, err = s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "x", HolderOrganisation: "91350100M000100Y44"}})
	code, reason, fields = errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "ERROR_REASON_INVALID_ORGANISATION_CODE", reason)
	require.Equal(t, "asset.holder_organisation", fields[0].GetField())

	_, err = s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "  ", HolderOrganisation: orgA}})
	code, _, fields = errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "asset.display_name", fields[0].GetField())

	_, err = s.catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: "datasets/1"})
	code, _, fields = errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "name", fields[0].GetField())

	_, err = s.catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: "assets/" + uuid.NewString()})
	code, reason, _ = errorInfo(t, err)
	require.Equal(t, codes.NotFound, code)
	require.Equal(t, "ERROR_REASON_ASSET_NOT_FOUND", reason)

	_, err = s.catalog.ListAssets(reg, &catalogv1.ListAssetsRequest{PageToken: "garbage"})
	code, reason, _ = errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "ERROR_REASON_INVALID_PAGE_TOKEN", reason)
}

func TestAuthorisationByRoleAndOrganisation(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	regA := s.as(t, ctx, orgA, auth.RoleRegistrar)
	created, err := s.catalog.CreateAsset(regA, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "A's data", HolderOrganisation: orgA}})
	require.NoError(t, err)
	name := created.GetAsset().GetName()

	// For another organisation only as the agent (委托代理) the record names: itself when it
	// names none, never another.
	_, err = s.catalog.CreateAsset(regA, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "for B",
		HolderOrganisation: orgB, Agent: &catalogv1.Agent{Organisation: "11350100MB00000038"}}})
	code, reason, _ := errorInfo(t, err)
	require.Equal(t, codes.PermissionDenied, code)
	require.Equal(t, "ERROR_REASON_HOLDER_NOT_CALLER_ORGANISATION", reason)
	forB, err := s.catalog.CreateAsset(regA, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "for B", HolderOrganisation: orgB}})
	require.NoError(t, err)
	require.Equal(t, orgA, forB.GetAsset().GetAgent().GetOrganisation())

	for _, role := range []auth.Role{auth.RoleAuditor, auth.RoleReviewer, auth.RoleService} {
		_, err = s.catalog.CreateAsset(s.as(t, ctx, orgA, role), &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "x", HolderOrganisation: orgA}})
		code, _, _ = errorInfo(t, err)
		require.Equal(t, codes.PermissionDenied, code, "role %s may not create", role)
	}

	// Another organisation cannot see A's asset, not even that it exists.
	regB := s.as(t, ctx, orgB, auth.RoleRegistrar)
	_, err = s.catalog.GetAsset(regB, &catalogv1.GetAssetRequest{Name: name})
	code, _, _ = errorInfo(t, err)
	require.Equal(t, codes.NotFound, code)
	list, err := s.catalog.ListAssets(regB, &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAssets(), 1, "only the draft A files for B")
	require.Equal(t, forB.GetAsset().GetName(), list.GetAssets()[0].GetName())

	// An admin may register for any organisation; an auditor of any organisation reads all.
	_, err = s.catalog.CreateAsset(s.as(t, ctx, orgB, auth.RoleAdmin), &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: "A's other data", HolderOrganisation: orgA}})
	require.NoError(t, err)
	auditor := s.as(t, ctx, orgB, auth.RoleAuditor)
	_, err = s.catalog.GetAsset(auditor, &catalogv1.GetAssetRequest{Name: name})
	require.NoError(t, err)
	list, err = s.catalog.ListAssets(auditor, &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAssets(), 3)
}

func TestCreateIsIdempotentByRequestID(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)
	req := &catalogv1.CreateAssetRequest{RequestId: uuid.NewString(), Asset: &catalogv1.Asset{DisplayName: "once", HolderOrganisation: orgA}}
	var wg sync.WaitGroup
	names := make([]string, 6)
	for i := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.catalog.CreateAsset(reg, req)
			if err != nil {
				t.Error(err)
				return
			}
			names[i] = resp.GetAsset().GetName()
		}()
	}
	wg.Wait()
	for _, n := range names {
		require.Equal(t, names[0], n, "every retry returns the first asset")
	}
	list, err := s.catalog.ListAssets(reg, &catalogv1.ListAssetsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetAssets(), 1)

	_, err = s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{RequestId: "not-a-uuid", Asset: &catalogv1.Asset{DisplayName: "x", HolderOrganisation: orgA}})
	code, _, fields := errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
	require.Equal(t, "request_id", fields[0].GetField())
}

func TestListPagesAreStableUnderConcurrentInserts(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)
	create := func(name string) string {
		resp, err := s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: name, HolderOrganisation: orgA}})
		require.NoError(t, err)
		return resp.GetAsset().GetName()
	}
	var want []string
	for i := 0; i < 7; i++ {
		want = append([]string{create(fmt.Sprint("asset ", i))}, want...) // newest first
	}
	var seen []string
	token := ""
	for page := 0; ; page++ {
		resp, err := s.catalog.ListAssets(reg, &catalogv1.ListAssetsRequest{PageSize: 3, PageToken: token})
		require.NoError(t, err)
		require.LessOrEqual(t, len(resp.GetAssets()), 3)
		for _, a := range resp.GetAssets() {
			seen = append(seen, a.GetName())
		}
		create(fmt.Sprint("inserted during page ", page)) // must not shift later pages
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Equal(t, want, seen, "every asset that existed at the start, once, newest first")

	// A token is bound to the caller's scope.
	resp, err := s.catalog.ListAssets(s.as(t, ctx, orgB, auth.RoleAuditor), &catalogv1.ListAssetsRequest{PageSize: 1})
	require.NoError(t, err)
	_, err = s.catalog.ListAssets(reg, &catalogv1.ListAssetsRequest{PageToken: resp.GetNextPageToken()})
	code, _, _ := errorInfo(t, err)
	require.Equal(t, codes.InvalidArgument, code)
}
