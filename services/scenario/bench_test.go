package scenario_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/telemetry"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/rights"
	"yaosu.dev/services/scenario"
	"yaosu.dev/services/scenario/internal/domain"
)

// BenchmarkScenarioUsage measures usage ingestion, the scenario service's hot path: usage
// records streamed by internal systems through ReportUsage with every check on (link and
// scenario read and judged against the grant's terms, deduplication by (reporting system, record id),
// daily sums, one usage.recorded event per batch in the outbox, relayed to
// JetStream), against the same rows written straight into scenario.usage_records in the
// same run, by the INSERT … ON CONFLICT DO NOTHING the store runs (what idempotent
// ingestion cannot do without) and by COPY (the floor). Then the time from a grant's
// revocation (RevokeGrant on the rights service) to the first usage record the scenario
// service denies through the link resting on it. It ignores b.N: run it with -benchtime 1x
// (`make bench` does).
//
// The services run as `yaosu serve` runs them, in this process on one gRPC listener: the
// OpenTelemetry SDK (nothing exported), Ed25519 bearer tokens, protovalidate, a log line
// per RPC (to io.Discard), a pool of 16 connections per service, both outbox relays
// (woken by NOTIFY, polling every second), the rights checker and the scenario service's
// consumer of rights events. The dataset is made through the APIs: YAOSU_BENCH_SCENARIO_ASSETS
// assets of one holder (registered by catalog events on the stream), each granted to one
// operator organisation for processing-use by API, YAOSU_BENCH_SCENARIO_SCENARIOS active
// scenarios of that operator and YAOSU_BENCH_SCENARIO_LINKS links spread evenly over them.
//
// Ingestion: YAOSU_BENCH_SCENARIO_RECORDS records with unique ids, each through a random
// link (so a batch touches most links), in batches of YAOSU_BENCH_SCENARIO_BATCH sent by
// YAOSU_BENCH_SCENARIO_STREAMS concurrent clients, each with its own connection, in two
// ways: one batch per stream (open, send, CloseAndRecv: the batch's latency is exact) and
// one long stream per client carrying all its batches (what a gateway does; the response
// only comes at the end, so only throughput). After each, every record must have been
// allowed and usage_daily must hold exactly the sums of the records sent, link by link.
// The baselines write the same rows (as the service stores them) with the same batches
// and concurrency into the emptied table, one statement per batch in its own transaction.
//
// Revocation: a client reports 10 records through a link of its own every ~2 ms (one short
// stream each, the response says how many were denied) while the link's grant is revoked
// through the rights API; the time from the RevokeGrant call to the response of the first
// batch denied is measured, idle and with the ingestion clients at full load (one long
// stream each, 10 records of every batch through the link being revoked). The revocation
// travels by event (rights outbox → relay → JetStream → the scenario consumer blocks the
// link), so batches sent after RevokeGrant returned may still be allowed; the report
// counts them. The trials' links are made before the load starts; at the end one LinkAsset
// into a loaded scenario is timed (it locks the scenario row the usage batches read).
//
//	YAOSU_BENCH_SCENARIO_ASSETS       assets, each with a grant (default 100)
//	YAOSU_BENCH_SCENARIO_SCENARIOS    active scenarios (default 50)
//	YAOSU_BENCH_SCENARIO_LINKS        links over them (default 300)
//	YAOSU_BENCH_SCENARIO_RECORDS      records per ingestion run (default 200000)
//	YAOSU_BENCH_SCENARIO_BATCH        records per message (default 1000, the API's maximum)
//	YAOSU_BENCH_SCENARIO_STREAMS      concurrent clients (default 4)
//	YAOSU_BENCH_SCENARIO_REVOCATIONS  revocation trials per variant (default 30)
//	YAOSU_BENCH_SCENARIO_PARTITIONED  1: each client reports through its own share of the links
//	                                  (default: every client through all of them)
//	YAOSU_BENCH_SCENARIO_PROFILE      a directory: write a CPU profile of each service ingestion run there
func BenchmarkScenarioUsage(b *testing.B) {
	if sbResults != nil {
		sbReport(b, sbResults)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shutdown, err := telemetry.Setup(ctx, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()

	cfg := sbConfig{
		assets:      sbEnvInt(b, "YAOSU_BENCH_SCENARIO_ASSETS", 100),
		scenarios:   sbEnvInt(b, "YAOSU_BENCH_SCENARIO_SCENARIOS", 50),
		links:       sbEnvInt(b, "YAOSU_BENCH_SCENARIO_LINKS", 300),
		records:     sbEnvInt(b, "YAOSU_BENCH_SCENARIO_RECORDS", 200_000),
		batch:       min(1000, sbEnvInt(b, "YAOSU_BENCH_SCENARIO_BATCH", 1000)),
		streams:     sbEnvInt(b, "YAOSU_BENCH_SCENARIO_STREAMS", 4),
		revocations: sbEnvInt(b, "YAOSU_BENCH_SCENARIO_REVOCATIONS", 30),
	}
	if cfg.links > cfg.scenarios*cfg.assets {
		b.Fatalf("%d links need more than %d scenarios × %d assets", cfg.links, cfg.scenarios, cfg.assets)
	}
	profileDir := os.Getenv("YAOSU_BENCH_SCENARIO_PROFILE")
	// Partitioned: each client reports through its own share of the links, so concurrent
	// batches never touch the same link (by default every batch touches most links).
	parts := 1
	if os.Getenv("YAOSU_BENCH_SCENARIO_PARTITIONED") == "1" {
		parts = cfg.streams
	}

	e := sbStart(ctx, b)
	t0 := time.Now()
	links := e.dataset(ctx, b, cfg)
	setupTime := time.Since(t0)
	clients := e.ingestClients(b, cfg.streams)
	rng := rand.New(rand.NewPCG(7, 8))

	// Warm connections and code paths, then start from empty tables.
	warm := sbRecords(rng, "warm", links, cfg.streams*4*cfg.batch, cfg.batch, 1)
	sbIngest(ctx, b, "warm-up", clients, warm.batches, true, false)
	e.truncate(ctx, b)
	e.waitRelay(ctx, b)

	// The baselines: the same rows, written straight into the table.
	base := sbRecords(rng, "base", links, cfg.records, cfg.batch, parts)
	linksPerBatch := base.linksPerBatch
	bCopy, bInsert := e.baselines(ctx, b, cfg.streams, base)

	// The service: one batch per stream, then one long stream per client.
	var runs []*sbRun
	for _, long := range []bool{false, true} {
		name, prefix := "ReportUsage, one batch per stream", "one"
		if long {
			name, prefix = "ReportUsage, one stream per client", "long"
		}
		set := sbRecords(rng, prefix, links, cfg.records, cfg.batch, parts)
		outbox0 := e.outboxCount(ctx, b)
		stopProf := sbProfile(b, profileDir, prefix)
		r := sbIngest(ctx, b, name, clients, set.batches, !long, parts > 1)
		stopProf()
		r.events = e.outboxCount(ctx, b) - outbox0
		r.backlog = e.unpublished(ctx, b)
		t := time.Now()
		e.waitRelay(ctx, b)
		r.drain = time.Since(t)
		r.mismatch = e.verify(ctx, b, set)
		runs = append(runs, r)
		e.truncate(ctx, b)
	}
	one, long := runs[0], runs[1]

	// Revocation → first denied record, idle and under load. The trials' links are made
	// beforehand: under load LinkAsset waits for its scenario's row lock (measured below).
	fixtures := e.fixtures(ctx, b, links, 2*cfg.revocations, true)
	probe := e.fixtures(ctx, b, links[:1], 1, false)[0]
	rev := []*sbRevocation{{name: "idle"},
		{name: fmt.Sprintf("%d clients at full load, incl. the link", cfg.streams)}}
	var probeTook time.Duration
	var probeErr error
	for i, v := range rev {
		var extra atomic.Pointer[string]
		var stop func() int64
		loadStart := time.Now()
		if i == 1 {
			stop = sbBackground(ctx, clients, links, cfg.batch, &extra)
		}
		failures := 0
		for n := range cfg.revocations {
			f := fixtures[i*cfg.revocations+n]
			if i == 1 {
				extra.Store(&f.link)
			}
			tr, err := e.revokeOnce(ctx, b, f, fmt.Sprintf("rev%d-%d", i, n))
			switch {
			case errors.Is(err, errSbNeverDenied):
				v.never++
				failures++
			case err != nil:
				b.Errorf("revocation %s #%d: %v", v.name, n, err)
				v.failed++
				failures++
			default:
				v.trials = append(v.trials, tr)
				failures = 0
			}
			if failures == 3 {
				v.gaveUp = true
				break
			}
		}
		if i == 1 {
			// LinkAsset while usage streams through the scenario's other links.
			extra.Store(nil)
			op, cancelOp := context.WithTimeout(e.as(b, "operator@"+orgB, orgB, auth.RoleScenarioOperator), sbLinkTimeout)
			t := time.Now()
			_, probeErr = e.link(op, probe.scenario, probe.asset, probe.grant)
			probeTook = time.Since(t)
			cancelOp()
			v.load = stop()
			v.loadRate = float64(v.load) / time.Since(loadStart).Seconds()
		}
	}

	// The report.
	out := os.Stdout
	fmt.Fprintf(out, "\nScenario usage ingestion: %d links (%d scenarios, %d assets each granted to the operator), made through the APIs in %.1fs;\n",
		len(links), cfg.scenarios, cfg.assets, setupTime.Seconds())
	fmt.Fprintf(out, "%d records per run, each through a random link%s, in batches of %d (%.0f links per batch on average), %d clients each on its own connection.\n",
		cfg.records, sbIf(parts > 1, " of the client's own share", ""), cfg.batch, linksPerBatch, cfg.streams)
	fmt.Fprintf(out, "%d CPUs (GOMAXPROCS %d); Postgres, NATS, both services and the clients on this machine. Latencies in ms.\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "  %-42s %8s %10s %8s %8s %8s | %9s %10s\n", "run", "records", "records/s", "p50", "p99", "max",
		"host busy", "µs/record")
	for _, r := range []*sbRun{bCopy, bInsert, one, long} {
		p50, p99, pmax := "-", "-", "-"
		if len(r.lat) > 0 {
			p50, p99, pmax = sbMsStr(sbPct(r.lat, 50)), sbMsStr(sbPct(r.lat, 99)), sbMsStr(sbPct(r.lat, 100))
		}
		fmt.Fprintf(out, "  %-42s %8d %10.0f %8s %8s %8s | %8.0f%% %10.1f\n", r.name, r.records, r.rate(), p50, p99, pmax,
			r.cpu.hostBusyPct(), r.cpuPerRecord())
	}
	fmt.Fprintln(out, "  (p50/p99/max: per batch; host busy: all CPUs, Postgres included; µs/record: this process's CPU,")
	fmt.Fprintln(out, "  clients and services alike; Postgres's CPU is not in it)")
	for _, r := range []*sbRun{one, long} {
		fmt.Fprintf(out, "  %s: allowed %d, denied %d, duplicates %d, failed batches %d; usage_daily %s;\n", r.name, r.allowed, r.denied,
			r.duplicates, r.errs, sbIf(r.mismatch == "", "matches the records sent link by link", r.mismatch))
		fmt.Fprintf(out, "    %d usage.recorded events written, %d still unpublished at the end, relayed %.1fs later\n",
			r.events, r.backlog, r.drain.Seconds())
	}
	fmt.Fprintf(out, "  throughput: one stream per client %.2fx direct INSERT, %.2fx COPY; one batch per stream %.2fx direct INSERT\n",
		long.rate()/bInsert.rate(), long.rate()/bCopy.rate(), one.rate()/bInsert.rate())
	fmt.Fprintln(out, "Revocation → first denied usage record (ms, from the RevokeGrant call to the response of the first batch of 10")
	fmt.Fprintln(out, "records denied; a batch every ~2 ms through the link):")
	fmt.Fprintf(out, "  %-40s %6s %7s %7s %7s %7s | %8s %8s | %s\n", "variant", "trials", "p50", "p95", "p99", "max",
		"call p50", "call max", "batches allowed after return (max)")
	var allRev []time.Duration
	var reasons []string
	never := 0
	for _, v := range rev {
		lat, calls := v.latencies(), v.calls()
		maxStale := 0
		for _, t := range v.trials {
			maxStale = max(maxStale, t.stale)
			if !slices.Contains(reasons, t.reason) {
				reasons = append(reasons, t.reason)
			}
		}
		fmt.Fprintf(out, "  %-40s %6d %7.1f %7.1f %7.1f %7.1f | %8.1f %8.1f | %d", v.name, len(lat), sbMs(sbPct(lat, 50)), sbMs(sbPct(lat, 95)),
			sbMs(sbPct(lat, 99)), sbMs(sbPct(lat, 100)), sbMs(sbPct(calls, 50)), sbMs(sbPct(calls, 100)), maxStale)
		if v.never > 0 || v.failed > 0 {
			fmt.Fprintf(out, "   (%d never denied within %v, %d failed", v.never, sbRevocationTimeout, v.failed)
			if v.gaveUp {
				fmt.Fprint(out, "; stopped after 3 in a row")
			}
			fmt.Fprint(out, ")")
		}
		if v.load > 0 {
			fmt.Fprintf(out, "   (load: %.0f records/s meanwhile)", v.loadRate)
		}
		fmt.Fprintln(out)
		allRev = append(allRev, lat...)
		never += v.never + v.failed
	}
	fmt.Fprintln(out, "  (call: RevokeGrant itself; the revocation reaches the scenario service by event: rights outbox → relay →")
	fmt.Fprintf(out, "  JetStream → its consumer blocks the link, so batches judged meanwhile are still allowed; denied as %s)\n",
		strings.Join(reasons, ", "))
	fmt.Fprintf(out, "LinkAsset into a scenario whose other links carry the load: %s\n",
		sbIf(probeErr == nil, fmt.Sprintf("%.1f ms", sbMs(probeTook)), fmt.Sprintf("failed after %.1f s: %v", probeTook.Seconds(), probeErr)))
	fmt.Fprintf(out, "Target: >= %.0f records/s through the streaming RPC with checks on: %s (one stream per client %.0f/s, one batch per stream %.0f/s)\n",
		sbTargetRate, sbIf(long.rate() >= sbTargetRate, "met", "MISSED"), long.rate(), one.rate())
	fmt.Fprintf(out, "  revocation → denied usage: p99 %.1f ms over %d trials, %d never denied within %v\n",
		sbMs(sbPct(allRev, 99)), len(allRev), never, sbRevocationTimeout)
	if profileDir != "" {
		fmt.Fprintf(out, "CPU profiles of the service runs in %s\n", profileDir)
	}

	res := map[string]float64{
		"copy_rows/s":          bCopy.rate(),
		"insert_rows/s":        bInsert.rate(),
		"insert_batch_p99_ms":  sbMs(sbPct(bInsert.lat, 99)),
		"stream_records/s":     long.rate(),
		"batch_records/s":      one.rate(),
		"batch_p50_ms":         sbMs(sbPct(one.lat, 50)),
		"batch_p99_ms":         sbMs(sbPct(one.lat, 99)),
		"stream_x_insert":      long.rate() / bInsert.rate(),
		"stream_x_copy":        long.rate() / bCopy.rate(),
		"revoke_p50_ms":        sbMs(sbPct(allRev, 50)),
		"revoke_p99_ms":        sbMs(sbPct(allRev, 99)),
		"revoke_max_ms":        sbMs(sbPct(allRev, 100)),
		"revoke_idle_p99_ms":   sbMs(sbPct(rev[0].latencies(), 99)),
		"revoke_loaded_p99_ms": sbMs(sbPct(rev[1].latencies(), 99)),
		"revoke_never_denied":  float64(never),
		"link_under_load_ms":   sbMs(probeTook),
		"stream_relay_drain_s": long.drain.Seconds(),
		"stream_us_cpu/record": long.cpuPerRecord(),
		"insert_us_cpu/record": bInsert.cpuPerRecord(),
	}
	for _, r := range runs {
		if r.mismatch != "" || r.errs > 0 || r.denied > 0 || r.duplicates > 0 || r.allowed != int64(r.records) {
			b.Errorf("%s: allowed %d of %d (denied %d, duplicates %d, %d failed batches, first: %v); usage_daily: %s",
				r.name, r.allowed, r.records, r.denied, r.duplicates, r.errs, r.firstErr, r.mismatch)
		}
	}
	sbResults = res
	sbReport(b, res)
}

const (
	sbTargetRate = 20_000.0
	sbSystem     = "api-gateway"
	sbIssuer     = "bench"
	// sbRevocationTimeout bounds the wait for the first denied batch of a trial.
	sbRevocationTimeout = 10 * time.Second
	// sbLinkTimeout bounds LinkAsset under load.
	sbLinkTimeout = 20 * time.Second
	// sbDailyBaseline is the links' declared daily volume in records: well above what the
	// runs report, so that no volume alert is raised on the normal path.
	sbDailyBaseline = 100_000_000
)

// sbResults keeps the measurement so a second call (-benchtime Nx, N > 1) only reports it.
var sbResults map[string]float64

type sbConfig struct {
	assets, scenarios, links, records, batch, streams, revocations int
}

func sbReport(b *testing.B, res map[string]float64) {
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.ReportMetric(res[k], k)
	}
}

func sbEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

func sbProfile(b *testing.B, dir, name string) func() {
	if dir == "" {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatalf("CPU profile (not together with go test -cpuprofile): %v", err)
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }
}

func sbIf(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// ---------------------------------------------------------------------------------------
// The services.

// sbEnv is the rights and scenario services as newHarness assembles them (which takes a
// *testing.T), sized as `yaosu serve` sizes them.
type sbEnv struct {
	dsn        string
	rpool      *pgxpool.Pool
	spool      *pgxpool.Pool
	js         jetstream.JetStream
	key        ed25519.PrivateKey
	addr       string
	client     scenariov1.ScenarioServiceClient
	rights     rightsv1.RightsServiceClient
	catalogKey *messaging.SigningKey
}

func sbStart(ctx context.Context, b *testing.B) *sbEnv {
	b.Helper()
	ctx, cancel := context.WithCancel(ctx)
	e := &sbEnv{dsn: testkit.Database(b, testkit.Schemas{rights.Name: rights.Migrations(), scenario.Name: scenario.Migrations()})}
	var err error
	if e.rpool, err = postgres.Connect(ctx, e.dsn, rights.Name, 16); err != nil {
		b.Fatal(err)
	}
	if e.spool, err = postgres.Connect(ctx, e.dsn, scenario.Name, 16); err != nil {
		b.Fatal(err)
	}
	n := testkit.StartNATS(b)
	nc, err := nats.Connect(n.URL())
	if err != nil {
		b.Fatal(err)
	}
	if e.js, err = jetstream.New(nc); err != nil {
		b.Fatal(err)
	}
	if _, err = messaging.EnsureStream(ctx, e.js, 1, 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var pub ed25519.PublicKey
	if pub, e.key, err = ed25519.GenerateKey(nil); err != nil {
		b.Fatal(err)
	}
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(pub, sbIssuer), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	e.addr = lis.Addr().String()
	conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	e.rights = rightsv1.NewRightsServiceClient(conn)
	e.client = scenariov1.NewScenarioServiceClient(conn)
	keys, ring := testkit.EventKeys(b, "catalog", rights.Name, scenario.Name)
	e.catalogKey = keys["catalog"]
	rsvc, err := rights.New(rights.Deps{Pool: e.rpool, JS: e.js, EventKeys: ring, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	rsvc.Register(gs)
	ssvc, err := scenario.New(scenario.Deps{Pool: e.spool, JS: e.js, EventKeys: ring, Log: quiet, Rights: e.rights})
	if err != nil {
		b.Fatal(err)
	}
	ssvc.Register(gs)
	runs := []func(context.Context) error{func(ctx context.Context) error { return gs.Serve(ctx, lis) }, rsvc.Run, ssvc.Run}
	for name, pool := range map[string]*pgxpool.Pool{rights.Name: e.rpool, scenario.Name: e.spool} {
		relay, err := messaging.NewRelay(pool, e.js, messaging.RelayConfig{Schema: name, Key: keys[name]}, quiet)
		if err != nil {
			b.Fatal(err)
		}
		runs = append(runs, relay.Run)
	}
	done := make(chan struct{}, len(runs))
	for _, run := range runs {
		go func() { _ = run(ctx); done <- struct{}{} }()
	}
	b.Cleanup(func() {
		_ = conn.Close()
		cancel()
		for range runs {
			<-done
		}
		nc.Close()
		e.rpool.Close()
		e.spool.Close()
	})
	select {
	case <-rsvc.CheckerReady():
	case <-time.After(10 * time.Second):
		b.Fatal("the rights checker's listener did not connect")
	}
	return e
}

func (e *sbEnv) as(b *testing.B, subject, org string, roles ...auth.Role) context.Context {
	tok, err := auth.Mint(e.key, sbIssuer, auth.Principal{Subject: subject, Organisation: org, Roles: roles}, 3*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
}

// sbClient is one reporting system's instance: its own connection and token.
type sbClient struct {
	c  scenariov1.ScenarioServiceClient
	md metadata.MD
}

// in is ctx carrying the client's token.
func (c sbClient) in(ctx context.Context) context.Context {
	return metadata.NewOutgoingContext(ctx, c.md)
}

func (e *sbEnv) ingestClients(b *testing.B, n int) []sbClient {
	out := make([]sbClient, n)
	for i := range out {
		conn, err := grpc.NewClient(e.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = conn.Close() })
		md, _ := metadata.FromOutgoingContext(e.as(b, fmt.Sprintf("system:api-gateway-%d", i), orgA, auth.RoleService))
		out[i] = sbClient{scenariov1.NewScenarioServiceClient(conn), md}
	}
	return out
}

// register publishes catalog.asset.registered for n new assets of holder, as the catalog's
// relay would, and waits until the rights service has them all.
func (e *sbEnv) register(ctx context.Context, b *testing.B, holder string, n int) []string {
	b.Helper()
	ids := make([]string, n)
	pctx := auth.WithPrincipal(ctx, auth.Principal{Subject: "catalog-bench", Organisation: holder})
	for i := range ids {
		ids[i] = uuid.NewString()
		asset := "assets/" + ids[i]
		a := &catalogv1.Asset{Name: asset, HolderOrganisation: holder, State: catalogv1.AssetState_ASSET_STATE_REGISTERED,
			Grade: catalogv1.Grade_GRADE_GENERAL, Revision: 1, RegistrationNumber: "YS-2026-" + asset[len(asset)-8:]}
		ev, err := messaging.NewEvent(pctx, "catalog", "catalog.asset.registered", asset, 1, &eventsv1.AssetChanged{Asset: a})
		if err != nil {
			b.Fatal(err)
		}
		body, err := proto.Marshal(ev)
		if err != nil {
			b.Fatal(err)
		}
		msg := messaging.Message(ev, body)
		e.catalogKey.SignMsg(msg)
		if _, err := e.js.PublishMsg(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var got int
		if err := e.rpool.QueryRow(ctx, `SELECT count(*) FROM assets WHERE id = ANY($1::uuid[])`, ids).Scan(&got); err != nil {
			b.Fatal(err)
		}
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the rights service applied %d of %d asset registrations", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range ids {
		ids[i] = "assets/" + ids[i]
	}
	return ids
}

// grant grants processing-use of asset from orgA to orgB for transport in Fujian by API,
// from yesterday for a year.
func (e *sbEnv) grant(actx context.Context, asset string) (string, error) {
	now := time.Now()
	resp, err := e.rights.CreateGrant(actx, &rightsv1.CreateGrantRequest{Grant: &rightsv1.Grant{
		Asset: asset, Right: rightsv1.Right_RIGHT_PROCESSING_USE, GranteeOrganisation: orgB,
		LegalBasis: &rightsv1.LegalBasis{Kind: rightsv1.LegalBasisKind_LEGAL_BASIS_KIND_CONTRACT, DocumentNumber: "HT-2026-001", Sha256: sha},
		Scope: &rightsv1.Scope{Purposes: []string{"TRANSPORT"}, DeliveryForms: []rightsv1.DeliveryForm{formAPI},
			Regions: []string{"350000"}},
		ValidFrom: tsp(now.Add(-24 * time.Hour)), ValidUntil: tsp(now.Add(365 * 24 * time.Hour)),
		FeeTerms: rightsv1.FeeTerms_FEE_TERMS_FREE_CONDITIONAL,
	}})
	if err != nil {
		return "", fmt.Errorf("CreateGrant: %w", err)
	}
	return resp.GetGrant().GetName(), nil
}

func (e *sbEnv) link(op context.Context, scenarioName, asset, grant string) (string, error) {
	resp, err := e.client.LinkAsset(op, &scenariov1.LinkAssetRequest{Parent: scenarioName, Link: &scenariov1.Link{
		Asset: asset, Grant: grant, Right: rightsv1.Right_RIGHT_PROCESSING_USE, DeliveryForm: formAPI,
		Reason: "客流预测模型训练", DailyBaselineRecords: sbDailyBaseline}})
	if err != nil {
		return "", fmt.Errorf("LinkAsset: %w", err)
	}
	return resp.GetLink().GetName(), nil
}

// sbLink is a link usage is reported through.
type sbLink struct{ name, scenario, scenarioID, linkID, assetID string }

// dataset makes the assets, their grants, the active scenarios and the links: scenario i
// links assets i·k … i·k+k-1 (mod the number of assets), k = links per scenario.
func (e *sbEnv) dataset(ctx context.Context, b *testing.B, cfg sbConfig) []sbLink {
	assets := e.register(ctx, b, orgA, cfg.assets)
	admin, op := e.as(b, "rights-admin@"+orgA, orgA, auth.RoleRightsAdmin), e.as(b, "operator@"+orgB, orgB, auth.RoleScenarioOperator)
	grants := make([]string, len(assets))
	scenarios := make([]string, cfg.scenarios)
	sbParallel(b, 4, len(assets), func(i int) (err error) {
		grants[i], err = e.grant(admin, assets[i])
		return err
	})
	sbParallel(b, 4, cfg.scenarios, func(i int) error {
		resp, err := e.client.ProposeScenario(op, &scenariov1.ProposeScenarioRequest{Scenario: transport(fmt.Sprintf("公交客流 %d", i))})
		if err != nil {
			return fmt.Errorf("ProposeScenario: %w", err)
		}
		if _, err := e.client.TransitionScenario(op, &scenariov1.TransitionScenarioRequest{Name: resp.GetScenario().GetName(),
			Action: activate, Reason: "bench"}); err != nil {
			return fmt.Errorf("activate: %w", err)
		}
		scenarios[i] = resp.GetScenario().GetName()
		return nil
	})
	perScenario := (cfg.links + cfg.scenarios - 1) / cfg.scenarios
	links := make([]sbLink, cfg.links)
	sbParallel(b, 4, cfg.links, func(n int) error {
		i, j := n/perScenario, n%perScenario
		a := (i*perScenario + j) % len(assets)
		name, err := e.link(op, scenarios[i], assets[a], grants[a])
		if err != nil {
			return err
		}
		sid, lid, _ := strings.Cut(strings.TrimPrefix(name, "scenarios/"), "/links/")
		links[n] = sbLink{name: name, scenario: scenarios[i], scenarioID: sid, linkID: lid, assetID: strings.TrimPrefix(assets[a], "assets/")}
		return nil
	})
	return links
}

// sbFixture is a grant of a fresh asset to the operator and its link in a scenario
// (link "" until made).
type sbFixture struct{ asset, grant, scenario, link string }

// fixtures makes n fixtures, in the scenarios of links in turn, with their links if link.
func (e *sbEnv) fixtures(ctx context.Context, b *testing.B, links []sbLink, n int, link bool) []sbFixture {
	var scenarios []string
	for _, l := range links {
		if !slices.Contains(scenarios, l.scenario) {
			scenarios = append(scenarios, l.scenario)
		}
	}
	admin, op := e.as(b, "rights-admin@"+orgA, orgA, auth.RoleRightsAdmin), e.as(b, "operator@"+orgB, orgB, auth.RoleScenarioOperator)
	out := make([]sbFixture, n)
	for i, a := range e.register(ctx, b, orgA, n) {
		out[i] = sbFixture{asset: a, scenario: scenarios[i%len(scenarios)]}
	}
	sbParallel(b, 4, n, func(i int) (err error) {
		f := &out[i]
		if f.grant, err = e.grant(admin, f.asset); err != nil || !link {
			return err
		}
		f.link, err = e.link(op, f.scenario, f.asset, f.grant)
		return err
	})
	return out
}

// sbParallel runs f(0) … f(n-1) on workers goroutines and fails b with the first error.
func sbParallel(b *testing.B, workers, n int, f func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var first atomic.Value
	for range workers {
		wg.Go(func() {
			for first.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	if err := first.Load(); err != nil {
		b.Fatal(err)
	}
}

func (e *sbEnv) truncate(ctx context.Context, b *testing.B) {
	if _, err := e.spool.Exec(ctx, `TRUNCATE usage_records, usage_daily`); err != nil {
		b.Fatal(err)
	}
}

func (e *sbEnv) outboxCount(ctx context.Context, b *testing.B) int64 {
	var n int64
	if err := e.spool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

func (e *sbEnv) unpublished(ctx context.Context, b *testing.B) int64 {
	var n int64
	if err := e.spool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// waitRelay waits until the scenario relay has published the whole outbox.
func (e *sbEnv) waitRelay(ctx context.Context, b *testing.B) {
	deadline := time.Now().Add(5 * time.Minute)
	for e.unpublished(ctx, b) > 0 {
		if time.Now().After(deadline) {
			b.Fatal("the scenario outbox relay did not catch up in 5 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verify compares usage_records and usage_daily with the records of set, link by link; it
// returns "" or what differs.
func (e *sbEnv) verify(ctx context.Context, b *testing.B, set *sbSet) string {
	var stored int
	if err := e.spool.QueryRow(ctx, `SELECT count(*) FROM usage_records WHERE outcome = 'ALLOWED'`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	rows, err := e.spool.Query(ctx, `SELECT link_id::text, sum(calls), sum(records), sum(bytes), sum(denied)
		FROM usage_daily GROUP BY link_id`)
	if err != nil {
		b.Fatal(err)
	}
	got := map[string]sbSums{}
	for rows.Next() {
		var id string
		var s sbSums
		if err := rows.Scan(&id, &s.calls, &s.records, &s.bytes, &s.denied); err != nil {
			b.Fatal(err)
		}
		got[id] = s
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	var diffs []string
	if stored != set.n {
		diffs = append(diffs, fmt.Sprintf("%d allowed rows in usage_records, %d sent", stored, set.n))
	}
	for id, want := range set.want {
		if got[id] != want {
			diffs = append(diffs, fmt.Sprintf("link %s: %+v, want %+v", id, got[id], want))
		}
	}
	for id := range got {
		if _, ok := set.want[id]; !ok {
			diffs = append(diffs, "link "+id+" has sums but no records were sent")
		}
	}
	if len(diffs) > 3 {
		diffs = append(diffs[:3], fmt.Sprintf("and %d more", len(diffs)-3))
	}
	return strings.Join(diffs, "; ")
}

// ---------------------------------------------------------------------------------------
// Records.

type sbSums struct{ calls, records, bytes, denied int64 }

// sbSet is one run's records, in batches, and the sums usage_daily must then hold.
type sbSet struct {
	n             int
	batches       [][]*scenariov1.UsageRecord
	want          map[string]sbSums // by link id
	linkOf        map[string]*sbLink
	linksPerBatch float64
}

// sbRecords makes n records with ids prefix-0 … prefix-(n-1), each through a random link,
// windows in the last five minutes (after the links were made). With parts > 1, batch k
// only uses the links whose index is k modulo parts.
func sbRecords(rng *rand.Rand, prefix string, links []sbLink, n, batch, parts int) *sbSet {
	now := time.Now()
	ws, we := tsp(now.Add(-5*time.Minute)), tsp(now)
	s := &sbSet{n: n, want: map[string]sbSums{}, linkOf: map[string]*sbLink{}}
	distinct := 0
	for start := 0; start < n; start += batch {
		out := make([]*scenariov1.UsageRecord, 0, min(batch, n-start))
		seen := map[int]bool{}
		part := (start / batch) % parts
		for i := start; i < min(start+batch, n); i++ {
			li := part + parts*rng.IntN((len(links)-part+parts-1)/parts)
			seen[li] = true
			l := &links[li]
			calls := int64(1 + rng.IntN(20))
			recs := calls * int64(1+rng.IntN(10))
			bytes := recs * int64(100+rng.IntN(900))
			out = append(out, &scenariov1.UsageRecord{RecordId: prefix + "-" + strconv.Itoa(i), Link: l.name, DeliveryForm: formAPI,
				Calls: calls, Records: recs, Bytes: bytes, WindowStart: ws, WindowEnd: we})
			w := s.want[l.linkID]
			w.calls, w.records, w.bytes = w.calls+calls, w.records+recs, w.bytes+bytes
			s.want[l.linkID] = w
			s.linkOf[l.name] = l
		}
		distinct += len(seen)
		s.batches = append(s.batches, out)
	}
	s.linksPerBatch = float64(distinct) / float64(max(1, len(s.batches)))
	return s
}

// ---------------------------------------------------------------------------------------
// Running.

// sbRun is one measured ingestion run.
type sbRun struct {
	name                        string
	records                     int
	lat                         []time.Duration // per batch, when measurable
	elapsed                     time.Duration
	cpu                         sbCPU
	allowed, denied, duplicates int64
	errs                        int64
	firstErr                    error
	events, backlog             int64
	drain                       time.Duration
	mismatch                    string
}

func (r *sbRun) rate() float64 { return float64(r.records) / r.elapsed.Seconds() }

func (r *sbRun) cpuPerRecord() float64 {
	return float64(r.cpu.self) / float64(time.Microsecond) / float64(max(1, r.records))
}

// sbIngest sends the batches through ReportUsage on the clients, each taking the next
// batch as soon as it is free (static: client w sends batches w, w+clients, …): a stream
// per batch (perBatch), or one stream per client.
func sbIngest(ctx context.Context, b *testing.B, name string, clients []sbClient, batches [][]*scenariov1.UsageRecord, perBatch, static bool) *sbRun {
	r := &sbRun{name: name}
	for _, bt := range batches {
		r.records += len(bt)
	}
	if perBatch {
		r.lat = make([]time.Duration, len(batches))
	}
	var mu sync.Mutex
	add := func(resp *scenariov1.ReportUsageResponse, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.errs++
			if r.firstErr == nil {
				r.firstErr = err
			}
			return
		}
		r.allowed, r.denied, r.duplicates = r.allowed+resp.GetAllowed(), r.denied+resp.GetDenied(), r.duplicates+resp.GetDuplicates()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := sbReadCPU()
	start := time.Now()
	for w, c := range clients {
		wg.Go(func() {
			var stream grpc.ClientStreamingClient[scenariov1.ReportUsageRequest, scenariov1.ReportUsageResponse]
			for k := 0; ; k++ {
				i := int(next.Add(1) - 1)
				if static {
					i = w + k*len(clients)
				}
				if i >= len(batches) {
					break
				}
				t := time.Now()
				if stream == nil {
					var err error
					if stream, err = c.c.ReportUsage(c.in(ctx)); err != nil {
						add(nil, err)
						return
					}
				}
				if err := stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: sbSystem, Records: batches[i]}); err != nil {
					// The server ended the stream: CloseAndRecv says why.
					add(stream.CloseAndRecv())
					return
				}
				if perBatch {
					add(stream.CloseAndRecv())
					stream = nil
					r.lat[i] = time.Since(t)
				}
			}
			if stream != nil {
				add(stream.CloseAndRecv())
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.cpu = sbReadCPU().since(cpu0)
	b.Logf("%s: %d records in %v (%.0f/s)", name, r.records, r.elapsed.Round(time.Millisecond), r.rate())
	return r
}

// sbStoredRows are the rows the service stores for the set's records (all allowed).
type sbStoredRows struct {
	batches [][][]any
}

func sbRowsOf(set *sbSet) *sbStoredRows {
	out := &sbStoredRows{}
	receive := time.Now()
	for _, bt := range set.batches {
		rows := make([][]any, len(bt))
		for i, r := range bt {
			l := set.linkOf[r.GetLink()]
			rows[i] = []any{sbSystem, r.GetRecordId(), l.linkID, l.scenarioID, l.assetID, "API", r.GetCalls(), r.GetRecords(),
				r.GetBytes(), r.GetWindowStart().AsTime(), r.GetWindowEnd().AsTime(), domain.OutcomeAllowed, "", receive}
		}
		out.batches = append(out.batches, rows)
	}
	return out
}

var sbColumns = []string{"reporting_system", "record_id", "link_id", "scenario_id", "asset_id", "delivery_form", "calls",
	"records", "bytes", "window_start", "window_end", "outcome", "reason", "receive_time"}

// sbInsertSQL is the statement store.InsertUsage runs (without the columns that have
// defaults).
const sbInsertSQL = `INSERT INTO usage_records (reporting_system, record_id, link_id, scenario_id, asset_id,
	delivery_form, calls, records, bytes, window_start, window_end, outcome, reason, receive_time)
	SELECT u.sys, u.rid, nullif(u.link, '')::uuid, nullif(u.scen, '')::uuid, nullif(u.asset, '')::uuid, u.form,
		u.calls, u.records, u.bytes, u.ws, u.we, u.outcome, u.reason, $14
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
		$9::bigint[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[])
		AS u(sys, rid, link, scen, asset, form, calls, records, bytes, ws, we, outcome, reason)
	ON CONFLICT (reporting_system, record_id) DO NOTHING
	RETURNING record_id`

// baselines writes the set's rows into the emptied usage_records by COPY, then by the
// store's INSERT, and empties it again.
func (e *sbEnv) baselines(ctx context.Context, b *testing.B, workers int, set *sbSet) (*sbRun, *sbRun) {
	pool, err := postgres.Connect(ctx, e.dsn, scenario.Name, int32(workers))
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	rows := sbRowsOf(set)
	bCopy := sbBaseline(ctx, b, "direct COPY", pool, workers, rows, false)
	e.truncate(ctx, b)
	bInsert := sbBaseline(ctx, b, "direct INSERT … ON CONFLICT DO NOTHING", pool, workers, rows, true)
	e.truncate(ctx, b)
	return bCopy, bInsert
}

// sbBaseline writes the rows straight into usage_records on workers connections, one
// statement per batch: the store's INSERT (insert) or COPY.
func sbBaseline(ctx context.Context, b *testing.B, name string, pool *pgxpool.Pool, workers int, rows *sbStoredRows, insert bool) *sbRun {
	r := &sbRun{name: name, lat: make([]time.Duration, len(rows.batches))}
	for _, bt := range rows.batches {
		r.records += len(bt)
	}
	var next, written atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	cpu0 := sbReadCPU()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rows.batches) {
					return
				}
				t := time.Now()
				n, err := sbWrite(ctx, pool, rows.batches[i], insert)
				r.lat[i] = time.Since(t)
				written.Add(n)
				if err != nil {
					mu.Lock()
					r.errs++
					if r.firstErr == nil {
						r.firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.cpu = sbReadCPU().since(cpu0)
	r.allowed = written.Load()
	if r.errs > 0 || r.allowed != int64(r.records) {
		b.Errorf("%s: %d of %d rows written, %d failed batches, first: %v", name, r.allowed, r.records, r.errs, r.firstErr)
	}
	b.Logf("%s: %d rows in %v (%.0f/s)", name, r.records, r.elapsed.Round(time.Millisecond), r.rate())
	return r
}

func sbWrite(ctx context.Context, pool *pgxpool.Pool, rows [][]any, insert bool) (int64, error) {
	if !insert {
		return pool.CopyFrom(ctx, pgx.Identifier{"usage_records"}, sbColumns, pgx.CopyFromRows(rows))
	}
	n := len(rows)
	cols := make([][]string, 6)
	for c := range cols {
		cols[c] = make([]string, n)
	}
	var calls, recs, bytes []int64
	var ws, we []time.Time
	outcomes, reasons := make([]string, n), make([]string, n)
	for i, r := range rows {
		for c := range 6 {
			cols[c][i] = r[c].(string)
		}
		calls, recs, bytes = append(calls, r[6].(int64)), append(recs, r[7].(int64)), append(bytes, r[8].(int64))
		ws, we = append(ws, r[9].(time.Time)), append(we, r[10].(time.Time))
		outcomes[i], reasons[i] = r[11].(string), r[12].(string)
	}
	res, err := pool.Query(ctx, sbInsertSQL, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], calls, recs, bytes, ws, we,
		outcomes, reasons, rows[0][13])
	if err != nil {
		return 0, err
	}
	got, err := pgx.CollectRows(res, pgx.RowTo[string])
	return int64(len(got)), err
}

// sbBackground streams records through the links on every client, one long stream each
// with fresh record ids, until the returned func is called; it returns how many records
// went through. While extra holds a link, each batch sends 10 records through it too.
func sbBackground(ctx context.Context, clients []sbClient, links []sbLink, batch int, extra *atomic.Pointer[string]) func() int64 {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var sent atomic.Int64
	for w, c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			now := time.Now()
			ws, we := tsp(now.Add(-time.Minute)), tsp(now)
			stream, err := c.c.ReportUsage(c.in(ctx))
			if err != nil {
				return
			}
			for i := 0; ctx.Err() == nil; i++ {
				recs := make([]*scenariov1.UsageRecord, batch)
				for j := range recs {
					recs[j] = &scenariov1.UsageRecord{RecordId: fmt.Sprintf("load-%d-%d-%d", w, i, j), Link: links[rng.IntN(len(links))].name,
						DeliveryForm: formAPI, Calls: 1, Records: 10, Bytes: 1000, WindowStart: ws, WindowEnd: we}
				}
				if l := extra.Load(); l != nil {
					for _, r := range recs[:min(10, len(recs))] {
						r.Link = *l
					}
				}
				if stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: sbSystem, Records: recs}) != nil {
					return
				}
				sent.Add(int64(batch))
			}
			_, _ = stream.CloseAndRecv()
		})
	}
	time.Sleep(500 * time.Millisecond) // up to speed
	return func() int64 { cancel(); wg.Wait(); return sent.Load() }
}

// ---------------------------------------------------------------------------------------
// Revocation.

type sbRevocation struct {
	name          string
	trials        []sbTrial
	never, failed int
	gaveUp        bool
	load          int64
	loadRate      float64
}

var errSbNeverDenied = errors.New("never denied")

// sbTrial is one revocation: from the RevokeGrant call to the response of the first denied
// batch, how long the call took, and how many batches sent after it returned were allowed.
type sbTrial struct {
	toDenied, call time.Duration
	stale          int
	reason         string // of the first denial
}

func (v *sbRevocation) latencies() []time.Duration {
	out := make([]time.Duration, 0, len(v.trials))
	for _, t := range v.trials {
		out = append(out, t.toDenied)
	}
	return out
}

func (v *sbRevocation) calls() []time.Duration {
	out := make([]time.Duration, 0, len(v.trials))
	for _, t := range v.trials {
		out = append(out, t.call)
	}
	return out
}

// revokeOnce reports 10 records through f's link every ~2 ms, revokes f's grant and
// measures until a batch is denied.
func (e *sbEnv) revokeOnce(ctx context.Context, b *testing.B, f sbFixture, prefix string) (sbTrial, error) {
	admin := e.as(b, "rights-admin@"+orgA, orgA, auth.RoleRightsAdmin)
	reporterMD, _ := metadata.FromOutgoingContext(e.as(b, "system:bi-platform", orgA, auth.RoleService))
	var (
		mu                sync.Mutex
		started, returned time.Time
		deniedAt          time.Time
		stale             int
		reason            string
	)
	warm := make(chan struct{})
	done := make(chan error, 1)
	rctx, stop := context.WithCancel(metadata.NewOutgoingContext(ctx, reporterMD))
	defer stop()
	go func() {
		now := time.Now()
		ws, we := tsp(now.Add(-time.Minute)), tsp(now.Add(time.Minute))
		for seq := 0; ; seq++ {
			recs := make([]*scenariov1.UsageRecord, 10)
			for j := range recs {
				recs[j] = &scenariov1.UsageRecord{RecordId: fmt.Sprintf("%s-%d-%d", prefix, seq, j), Link: f.link, DeliveryForm: formAPI,
					Calls: 1, Records: 10, Bytes: 1000, WindowStart: ws, WindowEnd: we}
			}
			sent := time.Now()
			resp, err := sbReportOnce(rctx, e.client, recs)
			recv := time.Now()
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			s, r := started, returned
			if resp.GetDenied() > 0 {
				deniedAt = recv
			} else if !r.IsZero() && sent.After(r) {
				stale++
			}
			mu.Unlock()
			switch {
			case resp.GetDenied() > 0 && s.IsZero():
				done <- fmt.Errorf("denied before the revocation: %v", resp.GetDenials())
				return
			case resp.GetDenied() > 0:
				if resp.GetDenied() != 10 {
					done <- fmt.Errorf("want all 10 records denied, got %d allowed, %v", resp.GetAllowed(), resp.GetDenials())
					return
				}
				mu.Lock()
				reason = resp.GetDenials()[0].GetReason()
				mu.Unlock()
				done <- nil
				return
			case resp.GetAllowed() != 10:
				done <- fmt.Errorf("want 10 records allowed, got %v", resp)
				return
			case !s.IsZero() && recv.Sub(s) > sbRevocationTimeout:
				done <- errSbNeverDenied
				return
			case seq == 2:
				close(warm)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	select {
	case <-warm:
	case err := <-done:
		return sbTrial{}, err
	}
	time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond) // not in step with the reporter
	mark := func(p *time.Time) {
		mu.Lock()
		*p = time.Now()
		mu.Unlock()
	}
	mark(&started)
	rv, cancelRv := context.WithTimeout(admin, time.Minute)
	_, err := e.rights.RevokeGrant(rv, &rightsv1.RevokeGrantRequest{Name: f.grant, Reason: "基准测试：合同终止"})
	cancelRv()
	mark(&returned)
	if err != nil {
		return sbTrial{}, err
	}
	select {
	case err := <-done:
		if err != nil {
			return sbTrial{}, err
		}
	case <-time.After(sbRevocationTimeout + time.Minute):
		// A batch is stuck (waiting for a lock): give up on it.
		return sbTrial{}, errSbNeverDenied
	}
	mu.Lock()
	defer mu.Unlock()
	return sbTrial{toDenied: deniedAt.Sub(started), call: returned.Sub(started), stale: stale, reason: reason}, nil
}

// sbReportOnce reports one batch on its own stream.
func sbReportOnce(ctx context.Context, c scenariov1.ScenarioServiceClient, recs []*scenariov1.UsageRecord) (*scenariov1.ReportUsageResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	stream, err := c.ReportUsage(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&scenariov1.ReportUsageRequest{ReportingSystem: "bi-platform", Records: recs}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return stream.CloseAndRecv()
}

// ---------------------------------------------------------------------------------------
// Figures.

// sbCPU is a CPU reading: the host's busy and total jiffies (/proc/stat: every process,
// Postgres included) and this process's user+system time.
type sbCPU struct {
	hostBusy, hostTotal uint64
	self                time.Duration
}

func sbReadCPU() sbCPU {
	var c sbCPU
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return c
	}
	for i, f := range fields[1:] {
		n, _ := strconv.ParseUint(f, 10, 64)
		c.hostTotal += n
		if i != 3 && i != 4 { // idle, iowait
			c.hostBusy += n
		}
	}
	return c
}

func (c sbCPU) since(start sbCPU) sbCPU {
	return sbCPU{c.hostBusy - start.hostBusy, c.hostTotal - start.hostTotal, c.self - start.self}
}

func (c sbCPU) hostBusyPct() float64 {
	if c.hostTotal == 0 {
		return 0
	}
	return 100 * float64(c.hostBusy) / float64(c.hostTotal)
}

// sbPct is the nearest-rank percentile q of ds.
func sbPct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func sbMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sbMsStr(d time.Duration) string { return strconv.FormatFloat(sbMs(d), 'f', 1, 64) }
