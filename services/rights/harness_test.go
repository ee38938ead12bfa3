package rights_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
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
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/rights"
)

// Valid unified social credit codes: holder A, grantees B, C, D.
const (
	orgA = "91350100M000100Y43"
	orgB = "91110000600037341L"
	orgC = "12350100MB0001234X"
	orgD = "91310000MA1FL4XQ27"
)

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness runs the rights service on a real gRPC listener over a fresh database, with an
// in-process JetStream on which the tests publish catalog events.
type harness struct {
	t      *testing.T
	pool   *pgxpool.Pool
	js     jetstream.JetStream
	clock  *clock
	key    ed25519.PrivateKey
	svc    *rights.Service
	client rightsv1.RightsServiceClient
	rev    map[string]int64
	// catalogKey signs the catalog events the tests publish, as the catalog's relay does.
	catalogKey *messaging.SigningKey
	// ring verifies events, as `yaosu serve` wires it (for extra replicas a test starts).
	ring *messaging.Keyring
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dsn := testkit.Database(t, testkit.Schemas{rights.Name: rights.Migrations()})
	pool, err := postgres.Connect(ctx, dsn, rights.Name, 16)
	require.NoError(t, err)
	n := testkit.StartNATS(t)
	nc, err := nats.Connect(n.URL())
	require.NoError(t, err)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(ctx, js, 1, time.Minute)
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &harness{t: t, pool: pool, js: js, clock: &clock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}, rev: map[string]int64{}}
	keys, ring := testkit.EventKeys(t, "catalog", "rights")
	h.catalogKey, h.ring = keys["catalog"], ring
	h.svc, err = rights.New(rights.Deps{Pool: pool, JS: js, EventKeys: ring, Log: quiet, Now: h.clock.Now, ExpiryInterval: time.Hour, DenialFlushInterval: time.Hour})
	require.NoError(t, err)
	_, h.key, err = ed25519.GenerateKey(nil)
	require.NoError(t, err)
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(h.key.Public().(ed25519.PublicKey), "test"), time.Second)
	require.NoError(t, err)
	h.svc.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{}, 2)
	go func() { _ = gs.Serve(ctx, lis); done <- struct{}{} }()
	go func() { _ = h.svc.Run(ctx); done <- struct{}{} }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		<-done
		<-done
		nc.Close()
		pool.Close()
	})
	h.client = rightsv1.NewRightsServiceClient(conn)
	select {
	case <-h.svc.CheckerReady():
	case <-time.After(10 * time.Second):
		t.Fatal("the checker's listener did not connect")
	}
	return h
}

func (h *harness) as(subject, org string, roles ...auth.Role) context.Context {
	tok, err := auth.Mint(h.key, "test", auth.Principal{Subject: subject, Organisation: org, Roles: roles}, time.Hour)
	require.NoError(h.t, err)
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}

// admins of each organisation.
func (h *harness) admin(org string) context.Context {
	return h.as("rights-admin@"+org, org, auth.RoleRightsAdmin)
}

// catalogEvent publishes a catalog event about asset as the catalog's relay would, and
// waits until the rights service has applied it.
func (h *harness) catalogEvent(typ, asset, holder string, state catalogv1.AssetState, grade catalogv1.Grade) {
	h.t.Helper()
	h.rev[asset]++
	a := &catalogv1.Asset{Name: asset, HolderOrganisation: holder, State: state, Grade: grade, Revision: h.rev[asset],
		RegistrationNumber: "YS-2026-" + asset[len(asset)-8:]}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "catalog-test", Organisation: holder})
	ev, err := messaging.NewEvent(ctx, "catalog", typ, asset, h.rev[asset], &eventsv1.AssetChanged{Asset: a})
	require.NoError(h.t, err)
	ev.Time = timestamppb.New(h.clock.Now())
	body, err := proto.Marshal(ev)
	require.NoError(h.t, err)
	msg := messaging.Message(ev, body)
	h.catalogKey.SignMsg(msg)
	_, err = h.js.PublishMsg(context.Background(), msg)
	require.NoError(h.t, err)
	id := strings.TrimPrefix(asset, "assets/")
	require.Eventually(h.t, func() bool {
		var rev int64
		_ = h.pool.QueryRow(context.Background(), `SELECT revision FROM assets WHERE id = $1`, id).Scan(&rev)
		return rev == h.rev[asset]
	}, 10*time.Second, 10*time.Millisecond, "the rights service did not apply %s", typ)
}

// registered publishes asset.registered for a new asset held by holder.
func (h *harness) registered(holder string, grade catalogv1.Grade) string {
	asset := "assets/" + uuid.NewString()
	h.catalogEvent("catalog.asset.registered", asset, holder, catalogv1.AssetState_ASSET_STATE_REGISTERED, grade)
	return asset
}

// grantSpec is a grant to create.
func grantSpec(asset, grantee string, depth int32, forms ...rightsv1.DeliveryForm) *rightsv1.Grant {
	if len(forms) == 0 {
		forms = []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL}
	}
	return &rightsv1.Grant{
		Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: grantee,
		LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-2026-001", Sha256: sha},
		Scope:      &rightsv1.Scope{Purposes: []string{"TRANSPORT", "URBAN_GOVERNANCE"}, DeliveryForms: forms, Regions: []string{"350000"}},
		ValidFrom:  timestamppb.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), ValidUntil: timestamppb.New(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)),
		SublicenseDepth: depth, FeeTerms: rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL,
	}
}

func (h *harness) grant(ctx context.Context, g *rightsv1.Grant) *rightsv1.Grant {
	h.t.Helper()
	resp, err := h.client.CreateGrant(ctx, &rightsv1.CreateGrantRequest{Grant: g})
	require.NoError(h.t, err)
	return resp.GetGrant()
}

// checkReq is a check of processing-use through the API, for transport, in Fuzhou.
func checkReq(org, asset string) *rightsv1.CheckRequest {
	return &rightsv1.CheckRequest{Organisation: org, Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE,
		Purpose: "TRANSPORT", DeliveryForm: rightsv1.DeliveryForm_DELIVERY_FORM_API, Region: "350100"}
}

func (h *harness) check(req *rightsv1.CheckRequest) *rightsv1.CheckResponse {
	h.t.Helper()
	resp, err := h.client.Check(h.as("svc", orgA, auth.RoleService), req)
	require.NoError(h.t, err)
	return resp
}

func requireStatus(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	require.Error(t, err)
	st, ok := status.FromError(err)
	require.True(t, ok)
	require.Equal(t, code, st.Code(), "%v", err)
	var got string
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			got = info.GetReason()
		}
	}
	require.Equal(t, reason, got, "%v", err)
}
