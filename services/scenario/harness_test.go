package scenario_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"strings"
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

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/rights"
	"yaosu.dev/services/scenario"
)

// Valid unified social credit codes: the holder A, the operators B and C.
const (
	orgA = "91350100M000100Y43"
	orgB = "91110000600037341L"
	orgC = "12350100MB0001234X"
)

// retention is how long the harness's scenario service keeps raw usage records.
const retention = 90 * 24 * time.Hour

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// harness runs the scenario service and a real rights service on one gRPC listener over
// one fresh database (both schemas), with an in-process JetStream fed by both outbox
// relays, as cmd/yaosu assembles them. Tests publish catalog events themselves.
type harness struct {
	t        *testing.T
	rpool    *pgxpool.Pool
	spool    *pgxpool.Pool
	js       jetstream.JetStream
	key      ed25519.PrivateKey
	client   scenariov1.ScenarioServiceClient
	rights   rightsv1.RightsServiceClient
	assetRev map[string]int64
	// keys are the services' event keys (catalog's signs what the tests publish); ring
	// verifies them, as `yaosu serve` wires it.
	keys map[string]*messaging.SigningKey
	ring *messaging.Keyring
}

// harnessOption changes how newHarness assembles the services.
type harnessOption func(*harnessOptions)

type harnessOptions struct{ noScenarioConsumer bool }

// withoutScenarioConsumer runs the scenario service's API without its consumer: the test
// runs the consumer's replicas itself.
func withoutScenarioConsumer(o *harnessOptions) { o.noScenarioConsumer = true }

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	var o harnessOptions
	for _, opt := range opts {
		opt(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	dsn := testkit.Database(t, testkit.Schemas{rights.Name: rights.Migrations(), scenario.Name: scenario.Migrations()})
	rpool, err := postgres.Connect(ctx, dsn, rights.Name, 8)
	require.NoError(t, err)
	spool, err := postgres.Connect(ctx, dsn, scenario.Name, 8)
	require.NoError(t, err)
	n := testkit.StartNATS(t)
	nc, err := nats.Connect(n.URL())
	require.NoError(t, err)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(ctx, js, 1, time.Minute)
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &harness{t: t, rpool: rpool, spool: spool, js: js, assetRev: map[string]int64{}}
	h.keys, h.ring = testkit.EventKeys(t, "catalog", rights.Name, scenario.Name)
	_, h.key, err = ed25519.GenerateKey(nil)
	require.NoError(t, err)
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(h.key.Public().(ed25519.PublicKey), "test"), time.Second)
	require.NoError(t, err)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	h.rights = rightsv1.NewRightsServiceClient(conn)
	h.client = scenariov1.NewScenarioServiceClient(conn)

	rsvc, err := rights.New(rights.Deps{Pool: rpool, JS: js, EventKeys: h.ring, Log: quiet, ExpiryInterval: time.Hour, DenialFlushInterval: time.Hour})
	require.NoError(t, err)
	rsvc.Register(gs)
	// The monitor runs every 100 ms; raw records are kept 90 days.
	sjs := js
	if o.noScenarioConsumer {
		sjs = nil
	}
	ssvc, err := scenario.New(scenario.Deps{Pool: spool, JS: sjs, EventKeys: h.ring, Log: quiet, Rights: h.rights,
		MonitorInterval: 100 * time.Millisecond, UsageRetention: retention})
	require.NoError(t, err)
	ssvc.Register(gs)
	var runs []func(context.Context) error
	runs = append(runs, func(ctx context.Context) error { return gs.Serve(ctx, lis) }, rsvc.Run, ssvc.Run)
	for name, pool := range map[string]*pgxpool.Pool{rights.Name: rpool, scenario.Name: spool} {
		relay, err := messaging.NewRelay(pool, js, messaging.RelayConfig{Schema: name, PollInterval: 100 * time.Millisecond, Key: h.keys[name]}, quiet)
		require.NoError(t, err)
		runs = append(runs, relay.Run)
	}
	done := make(chan struct{}, len(runs))
	for _, run := range runs {
		go func() { _ = run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		_ = conn.Close()
		cancel()
		for range runs {
			<-done
		}
		nc.Close()
		rpool.Close()
		spool.Close()
	})
	select {
	case <-rsvc.CheckerReady():
	case <-time.After(10 * time.Second):
		t.Fatal("the rights checker's listener did not connect")
	}
	return h
}

func (h *harness) as(subject, org string, roles ...auth.Role) context.Context {
	tok, err := auth.Mint(h.key, "test", auth.Principal{Subject: subject, Organisation: org, Roles: roles}, time.Hour)
	require.NoError(h.t, err)
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}

// operator is a scenario operator of org.
func (h *harness) operator(org string) context.Context {
	return h.as("operator@"+org, org, auth.RoleScenarioOperator)
}

func (h *harness) rightsAdmin(org string) context.Context {
	return h.as("rights-admin@"+org, org, auth.RoleRightsAdmin)
}

// catalogEvent publishes a catalog event about asset as the catalog's relay would, and
// waits until the rights service has applied it.
func (h *harness) catalogEvent(typ, asset, holder string, state catalogv1.AssetState) {
	h.t.Helper()
	h.assetRev[asset]++
	rev := h.assetRev[asset]
	a := &catalogv1.Asset{Name: asset, HolderOrganisation: holder, State: state, Grade: catalogv1.Grade_GRADE_GENERAL,
		Revision: rev, RegistrationNumber: "YS-2026-" + asset[len(asset)-8:]}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "catalog-test", Organisation: holder})
	ev, err := messaging.NewEvent(ctx, "catalog", typ, asset, rev, &eventsv1.AssetChanged{Asset: a})
	require.NoError(h.t, err)
	body, err := proto.Marshal(ev)
	require.NoError(h.t, err)
	msg := messaging.Message(ev, body)
	h.keys["catalog"].SignMsg(msg)
	_, err = h.js.PublishMsg(context.Background(), msg)
	require.NoError(h.t, err)
	id := strings.TrimPrefix(asset, "assets/")
	require.Eventually(h.t, func() bool {
		var got int64
		_ = h.rpool.QueryRow(context.Background(), `SELECT revision FROM assets WHERE id = $1`, id).Scan(&got)
		return got == rev
	}, 10*time.Second, 10*time.Millisecond, "the rights service did not apply %s", typ)
}

// registered publishes asset.registered for a new asset held by holder.
func (h *harness) registered(holder string) string {
	asset := "assets/" + uuid.NewString()
	h.catalogEvent("catalog.asset.registered", asset, holder, catalogv1.AssetState_ASSET_STATE_REGISTERED)
	return asset
}

// grant grants processing-use of asset from its holder to grantee, for transport and
// urban governance in Fujian, by API or model, from yesterday for a year.
func (h *harness) grant(holder, asset, grantee string) *rightsv1.Grant {
	h.t.Helper()
	now := time.Now()
	resp, err := h.rights.CreateGrant(h.rightsAdmin(holder), &rightsv1.CreateGrantRequest{Grant: &rightsv1.Grant{
		Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: grantee,
		LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-2026-001", Sha256: sha},
		Scope: &rightsv1.Scope{Purposes: []string{"TRANSPORT", "URBAN_GOVERNANCE"},
			DeliveryForms: []rightsv1.DeliveryForm{rightsv1.DeliveryForm_DELIVERY_FORM_API, rightsv1.DeliveryForm_DELIVERY_FORM_MODEL},
			Regions:       []string{"350000"}},
		ValidFrom: tsp(now.Add(-24 * time.Hour)), ValidUntil: tsp(now.Add(365 * 24 * time.Hour)),
		FeeTerms: rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL,
	}})
	require.NoError(h.t, err)
	return resp.GetGrant()
}

// propose proposes a transport scenario in Fuzhou as an operator of org.
func (h *harness) propose(org, name string) *scenariov1.Scenario {
	h.t.Helper()
	resp, err := h.client.ProposeScenario(h.operator(org), &scenariov1.ProposeScenarioRequest{Scenario: transport(name)})
	require.NoError(h.t, err)
	return resp.GetScenario()
}

func transport(name string) *scenariov1.Scenario {
	return &scenariov1.Scenario{DisplayName: name, Sector: "TRANSPORT", Description: "公交客流预测",
		Objective: "缩短候车时间", Region: "350100",
		Kpis: []*scenariov1.KPI{{Name: "平均候车时间", Target: 6, Unit: "分钟"}}}
}

func (h *harness) transition(ctx context.Context, name string, action scenariov1.ScenarioAction) (*scenariov1.Scenario, error) {
	resp, err := h.client.TransitionScenario(ctx, &scenariov1.TransitionScenarioRequest{Name: name, Action: action, Reason: "test"})
	return resp.GetScenario(), err
}

// link links asset to scenario by form, naming grant ("" for none).
func (h *harness) link(ctx context.Context, scenario, asset, grant string, form rightsv1.DeliveryForm) (*scenariov1.LinkAssetResponse, error) {
	return h.client.LinkAsset(ctx, &scenariov1.LinkAssetRequest{Parent: scenario, Link: &scenariov1.Link{
		Asset: asset, Grant: grant, Right: rightsv1.Right_RIGHT_PROCESSING_USE, DeliveryForm: form, Reason: "客流预测模型训练", DailyBaselineRecords: 10000}})
}

// linkState returns a link's state as its operator lists it.
func (h *harness) linkState(org, linkName string) *scenariov1.Link {
	h.t.Helper()
	parent, _, _ := strings.Cut(linkName, "/links/")
	resp, err := h.client.ListLinks(h.operator(org), &scenariov1.ListLinksRequest{Parent: parent})
	require.NoError(h.t, err)
	for _, l := range resp.GetLinks() {
		if l.GetName() == linkName {
			return l
		}
	}
	h.t.Fatalf("%s not listed", linkName)
	return nil
}

// waitLink waits until the link is in state.
func (h *harness) waitLink(org, linkName string, state scenariov1.LinkState) *scenariov1.Link {
	h.t.Helper()
	var l *scenariov1.Link
	require.Eventually(h.t, func() bool {
		l = h.linkState(org, linkName)
		return l.GetState() == state
	}, 10*time.Second, 20*time.Millisecond, "%s did not become %s", linkName, state)
	return l
}

// scenarioEvents reads every scenario event on the stream so far (waiting until at
// least min have arrived).
func (h *harness) scenarioEvents(min int) []*eventsv1.Event {
	h.t.Helper()
	var out []*eventsv1.Event
	require.Eventually(h.t, func() bool {
		out = nil
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cons, err := h.js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{"yaosu.scenario.>"}})
		require.NoError(h.t, err)
		info, err := cons.Info(ctx)
		require.NoError(h.t, err)
		pending := int(info.NumPending)
		for len(out) < pending {
			batch, err := cons.Fetch(pending-len(out), jetstream.FetchMaxWait(2*time.Second))
			require.NoError(h.t, err)
			got := 0
			for msg := range batch.Messages() {
				ev, err := messaging.Decode(msg.Data())
				require.NoError(h.t, err)
				out = append(out, ev)
				got++
			}
			if got == 0 {
				break
			}
		}
		return len(out) >= min
	}, 10*time.Second, 50*time.Millisecond, "fewer than %d scenario events on the stream", min)
	return out
}

func requireStatus(t *testing.T, err error, code codes.Code, reason string) *status.Status {
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
	return st
}
