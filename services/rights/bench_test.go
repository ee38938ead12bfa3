package rights_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
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
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/telemetry"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/rights"
	"yaosu.dev/services/rights/internal/app"
	"yaosu.dev/services/rights/internal/check"
	"yaosu.dev/services/rights/internal/domain"
	"yaosu.dev/services/rights/internal/store"
)

// BenchmarkRightsCheck measures Check, the question internal systems ask on every use of
// an asset, through the whole stack (client → gRPC → auth → validation → app → the
// checker's per-asset cache → domain.Evaluate) against the same lookups answered in the
// same run (a) by the SQL a cache miss runs (store.LoadGraph) plus domain.Evaluate for
// every check, with no cache (app.DirectChecker), and (b) by the checker in process,
// without gRPC. It ignores b.N: run it with -benchtime 1x (`make bench` does).
//
// The dataset is COPYed straight into the rights schema: YAOSU_BENCH_RIGHTS_ASSETS
// registered assets held by 50 organisations (70% general, 25% important, 5% core grade)
// and YAOSU_BENCH_RIGHTS_GRANTS grants to some 2 000 organisations, in chains of depth 1–3
// (a first-level grant from the holder, sub-licences inside their parent's scope and term,
// every grant checked with domain.Check where it sits), in every state (mostly ACTIVE;
// REVOKED, SUSPENDED, EXPIRED and REQUESTED ones consistent with their parents), a few
// starting in the future, a few with CEL conditions.
//
// The workload is a mix over random assets of checks that are allowed (through chains of
// depth 1, 2 and 3, and by holders) and denied for every reason the data allows. It runs
// at concurrency 32, each client with its own token (and, through gRPC, its own
// connection): a cold pass that checks every asset once in random order from an empty
// cache, then YAOSU_BENCH_RIGHTS_CHECKS checks in steady state as fast as the clients go
// (closed loop: latency there is mostly queueing, 32 / throughput on average), the same
// with the 32 clients multiplexed over a few connections (YAOSU_BENCH_RIGHTS_SHARED_CONNS),
// then an open loop at a fixed rate (YAOSU_BENCH_RIGHTS_RATE, default the 10 000/s target) whose
// latency is measured from each check's scheduled time, which is the latency a caller
// sees at that load. Then the steady state and the open loop again, each with a
// connection per client and with shared connections, with the 32 clients in another
// process (this test binary again, see bench_driver_test.go), which is where callers
// are. Every mode's answers are compared with the direct SQL baseline's.
//
// Each gRPC run is followed by its floor: the same clients on the same connections, at the
// same rate, calling the server's health Check, which passes the same stats handler and
// interceptors but needs no principal and does no work. A closed loop at concurrency 32
// saturates the machine, so its latency is queueing (32 / throughput on average); the
// floor shows how much of that, and of the tails, grpc-go and the scheduler give any call
// on this machine, and what Check adds to it (throughput ratio, p50 and p99 side by side,
// CPU per call above the floor's).
//
// The service runs as `yaosu serve` runs it: the OpenTelemetry SDK in process (every RPC
// counted, traced as grpcserver and its MethodOptions decide, nothing exported), the gRPC
// server with Ed25519 bearer tokens, validation and the log lines of production's handler
// (written to io.Discard here), a pool of 16 connections, the checker's listener, the
// expiry job and the denial flusher (every 10 s), with the garbage collector as the
// environment sets it (GOGC, GOMEMLIMIT; the report says which).
// The clients run in the same process on the same CPUs, so their gRPC cost is in every
// figure; the "µs/check" column is this process's CPU per check, client and server.
//
// Finally a revoked grant must stop allowing within 100 ms: a client checks one allowed
// chain continuously while a grant in it is revoked, by SQL (UPDATE in a transaction:
// what another replica's write looks like to this one, LISTEN/NOTIFY only) and through
// RevokeGrant, idle and with 31 other clients at full load; the time from COMMIT (or from
// the RevokeGrant call) to the first denied answer is reported.
//
//	YAOSU_BENCH_RIGHTS_ASSETS       registered assets (default 10000)
//	YAOSU_BENCH_RIGHTS_GRANTS       grants (default 100000)
//	YAOSU_BENCH_RIGHTS_CHECKS       steady-state checks per mode (default 200000)
//	YAOSU_BENCH_RIGHTS_RATE         open-loop rate in checks/s (default 10000)
//	YAOSU_BENCH_RIGHTS_REVOCATIONS  trials per revocation variant (default 50)
//	YAOSU_BENCH_RIGHTS_SHARED_CONNS connections the 32 clients share in the extra steady-state
//	                                run (default 4; the other runs give each client its own)
//	YAOSU_BENCH_RIGHTS_PROFILE      a directory: write a CPU profile of each steady-state phase there,
//	                                and a heap profile after the gRPC steady state
//	YAOSU_BENCH_RIGHTS_TRACE        a file: write an execution trace of the open loop there (go tool trace)
func BenchmarkRightsCheck(b *testing.B) {
	if rbResults != nil {
		rbReport(b, rbResults)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shutdown, err := telemetry.Setup(ctx, "bench", "")
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()

	nAssets := rbEnvInt(b, "YAOSU_BENCH_RIGHTS_ASSETS", 10_000)
	nGrants := rbEnvInt(b, "YAOSU_BENCH_RIGHTS_GRANTS", 100_000)
	nChecks := rbEnvInt(b, "YAOSU_BENCH_RIGHTS_CHECKS", 200_000)
	rate := float64(rbEnvInt(b, "YAOSU_BENCH_RIGHTS_RATE", int(rbTargetRate)))
	nTrials := rbEnvInt(b, "YAOSU_BENCH_RIGHTS_REVOCATIONS", 50)
	nShared := min(rbConcurrency, rbEnvInt(b, "YAOSU_BENCH_RIGHTS_SHARED_CONNS", 4))
	profileDir := os.Getenv("YAOSU_BENCH_RIGHTS_PROFILE")

	dsn := testkit.Database(b, testkit.Schemas{rights.Name: rights.Migrations()})
	// Both pools have the size `yaosu serve` gives a service (YAOSU_DB_MAX_CONNS, 16).
	pool, err := postgres.Connect(ctx, dsn, rights.Name, 16)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	basePool, err := postgres.Connect(ctx, dsn, rights.Name, 16)
	if err != nil {
		b.Fatal(err)
	}
	defer basePool.Close()

	// The dataset.
	t0 := time.Now()
	d := rbGenerate(b, nAssets, nGrants)
	genTime := time.Since(t0)
	t0 = time.Now()
	rbLoad(ctx, b, pool, d)
	loadTime := time.Since(t0)
	var tableSize string
	if err := pool.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('grants'))`).Scan(&tableSize); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	cold := rbWorkload(d, rng, 0, true)
	steady := rbWorkload(d, rng, nChecks, false)
	trials := rbPickTrials(b, d, rng, 4*nTrials)
	stats := d.describe()
	d = nil // the dataset is not needed any more: keep it out of the GC's way
	runtime.GC()

	// The service, as `yaosu serve` runs it: a real listener, authentication, the
	// checker's listener connected so the cache is live.
	// Production's log handler (JSON, with trace ids), at production's default level.
	quiet := telemetry.NewLogger(io.Discard, slog.LevelInfo)
	svc, err := rights.New(rights.Deps{Pool: pool, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	gs, err := grpcserver.New(quiet, auth.NewEd25519Verifier(pub, "bench"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	svc.Register(gs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srvCtx, stopSrv := context.WithCancel(ctx)
	var srvWG sync.WaitGroup
	srvWG.Add(2)
	go func() { defer srvWG.Done(); _ = gs.Serve(srvCtx, lis) }()
	go func() { defer srvWG.Done(); _ = svc.Run(srvCtx) }()
	defer func() { stopSrv(); srvWG.Wait() }()
	select {
	case <-svc.CheckerReady():
	case <-time.After(10 * time.Second):
		b.Fatal("the checker's listener did not connect")
	}
	// 32 clients, each with its own token; one connection each, or nShared between them.
	tokens := make([]string, rbConcurrency)
	for w := range tokens {
		if tokens[w], err = auth.Mint(key, "bench", auth.Principal{Subject: fmt.Sprintf("bench-system-%02d", w),
			Organisation: stats.someHolder, Roles: []auth.Role{auth.RoleService}}, 3*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	newClients := func(nConns int) []rbClient {
		clients := make([]rbClient, rbConcurrency)
		conns := make([]*grpc.ClientConn, nConns)
		for i := range conns {
			if conns[i], err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = conns[i].Close() })
		}
		for w := range clients {
			conn := conns[w%nConns]
			clients[w] = rbClient{rightsv1.NewRightsServiceClient(conn), healthpb.NewHealthClient(conn),
				metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tokens[w])}
		}
		return clients
	}
	clients, shared := newClients(rbConcurrency), newClients(nShared)
	grpcOpOn := func(clients []rbClient, list []rbCheck) func(w, i int) (uint8, error) {
		return func(w, i int) (uint8, error) {
			resp, err := clients[w].c.Check(clients[w].ctx, list[i].request())
			if err != nil {
				return 0, err
			}
			return rbCodeOfResponse(resp), nil
		}
	}
	grpcOp := func(list []rbCheck) func(w, i int) (uint8, error) { return grpcOpOn(clients, list) }
	// The floor: the same clients calling the same server's health Check, which passes the
	// same stats handler and interceptors but needs no principal and does no work. What a
	// Check costs above it is ours; the floor itself is grpc-go's, on this machine.
	floorOn := func(clients []rbClient) func(w, i int) (uint8, error) {
		return func(w, _ int) (uint8, error) {
			_, err := clients[w].h.Check(clients[w].ctx, &healthpb.HealthCheckRequest{})
			return 0, err
		}
	}
	// Warm up connections and code paths on assets nobody registered (cached as unknown,
	// so the registered assets' cache stays cold).
	warm := rbUnknownChecks(rbConcurrency * 20)
	rbClosed(b.Logf, "warm-up", len(warm), rbConcurrency, grpcOp(warm))
	rbClosed(b.Logf, "warm-up, shared connections", len(warm), rbConcurrency, grpcOpOn(shared, warm))

	res := map[string]float64{}
	var phases []*rbPhase
	run := func(p *rbPhase) *rbPhase { phases = append(phases, p); return p }
	type rbVsFloor struct{ check, floor *rbPhase }
	var floors []rbVsFloor
	nOpen := min(len(steady), max(int(rate*10), 1))
	sharedName := fmt.Sprintf("sharing %d connections", nShared)

	// gRPC, clients in this process: cold pass, steady state (closed loop), then the open
	// loop at the target rate, each followed by its floor.
	gCold := run(rbClosed(b.Logf, "gRPC, cold cache: every asset once", len(cold), rbConcurrency, grpcOp(cold)))
	stopProf := rbProfile(b, profileDir, "grpc_steady")
	gWarm := run(rbClosed(b.Logf, "gRPC, warm cache: steady state", len(steady), rbConcurrency, grpcOp(steady)))
	stopProf()
	heapAfterWarm := rbLiveHeap()
	rbHeapProfile(b, profileDir, "heap_after_grpc_steady")
	floors = append(floors, rbVsFloor{gWarm, run(rbClosed(b.Logf, "  floor: health Check, same clients", len(steady), rbConcurrency, floorOn(clients)))})
	gShared := run(rbClosed(b.Logf, "gRPC, warm, the clients "+sharedName, len(steady), rbConcurrency,
		grpcOpOn(shared, steady)))
	floors = append(floors, rbVsFloor{gShared, run(rbClosed(b.Logf, "  floor: health Check, same clients", len(steady), rbConcurrency, floorOn(shared)))})
	stopTrace := rbTrace(b, os.Getenv("YAOSU_BENCH_RIGHTS_TRACE"))
	gOpen := run(rbOpen(b.Logf, fmt.Sprintf("gRPC, warm, open loop at %.0f/s", rate), nOpen, rbConcurrency, rate, grpcOp(steady)))
	stopTrace()
	floors = append(floors, rbVsFloor{gOpen, run(rbOpen(b.Logf, "  floor: health Check, same clients", nOpen, rbConcurrency, rate, floorOn(clients)))})

	// gRPC, clients in another process (where callers are), same phases, each with its floor.
	sepOrders := []rbOrder{
		{Name: "gRPC, clients in another process: steady state", Conns: rbConcurrency, N: len(steady)},
		{Name: "  floor: health Check, same clients", Conns: rbConcurrency, N: len(steady), Floor: true},
		{Name: "gRPC, another process, " + sharedName, Conns: nShared, N: len(steady)},
		{Name: "  floor: health Check, same clients", Conns: nShared, N: len(steady), Floor: true},
		{Name: fmt.Sprintf("gRPC, another process, open loop at %.0f/s", rate), Conns: rbConcurrency, Rate: rate, N: nOpen},
		{Name: "  floor: health Check, same clients", Conns: rbConcurrency, Rate: rate, N: nOpen, Floor: true},
		{Name: fmt.Sprintf("gRPC, another process, %s, open loop", sharedName), Conns: nShared, Rate: rate, N: nOpen},
		{Name: "  floor: health Check, same clients", Conns: nShared, Rate: rate, N: nOpen, Floor: true},
	}
	sep := rbSeparate(b, lis.Addr().String(), tokens, warm, steady, sepOrders)
	for i := 0; i+1 < len(sep); i += 2 {
		run(sep[i])
		floors = append(floors, rbVsFloor{sep[i], run(sep[i+1])})
	}
	sWarm, sShared, sOpen, sSharedOpen := sep[0], sep[2], sep[4], sep[6]

	// BatchCheck, for callers with several questions at once: the steady-state list in
	// batches of rbBatch, clients in this process, a connection each.
	batchRes := make([]uint8, len(steady)/rbBatch*rbBatch)
	gBatch := run(rbClosed(b.Logf, fmt.Sprintf("gRPC BatchCheck of %d, warm (latency per call)", rbBatch), len(batchRes)/rbBatch, rbConcurrency,
		func(w, i int) (uint8, error) {
			req := &rightsv1.BatchCheckRequest{Checks: make([]*rightsv1.CheckRequest, rbBatch)}
			for k := range rbBatch {
				req.Checks[k] = steady[i*rbBatch+k].request()
			}
			resp, err := clients[w].c.BatchCheck(clients[w].ctx, req)
			if err != nil {
				return 0, err
			}
			for k, r := range resp.GetResults() {
				batchRes[i*rbBatch+k] = rbCodeOfResponse(r)
			}
			return 0, nil
		}))
	gBatch.batch, gBatch.res = rbBatch, batchRes
	// Denied checks are flushed as rights.check.denied events every 10 s meanwhile: did they get out?
	var denialEvents int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE event_type = 'rights.check.denied'`).Scan(&denialEvents); err != nil {
		b.Fatal(err)
	}
	flushStart := time.Now()
	flushErr := svc.FlushDenials(ctx)
	flushTook := time.Since(flushStart)

	// (b) The checker in process, no gRPC: its own cache, its own listener.
	inCtx, stopIn := context.WithCancel(ctx)
	inChecker := check.New(store.New(basePool), basePool, check.WithLogger(quiet), check.WithConditions(check.NewConditions(0, 0).Eval))
	inDone := make(chan struct{})
	go func() { defer close(inDone); _ = inChecker.Run(inCtx) }()
	<-inChecker.Ready()
	inOp := func(list []rbCheck) func(w, i int) (uint8, error) {
		return func(_, i int) (uint8, error) {
			dec, err := inChecker.Check(ctx, list[i].input())
			return rbCodeOfDecision(dec), err
		}
	}
	iCold := run(rbClosed(b.Logf, "in process, cold cache: every asset once", len(cold), rbConcurrency, inOp(cold)))
	stopProf = rbProfile(b, profileDir, "inprocess_steady")
	iWarm := run(rbClosed(b.Logf, "in process, warm cache: steady state", len(steady), rbConcurrency, inOp(steady)))
	stopProf()
	stopIn()
	<-inDone
	inChecker = nil
	runtime.GC()

	// (a) Direct SQL: what every check would cost without the cache.
	direct := app.DirectChecker{Store: store.New(basePool), Cond: check.NewConditions(0, 0).Eval}
	dOp := func(list []rbCheck) func(w, i int) (uint8, error) {
		return func(_, i int) (uint8, error) {
			in := list[i].input()
			in.At = time.Now()
			dec, err := direct.Check(ctx, in)
			return rbCodeOfDecision(dec), err
		}
	}
	dCold := run(rbClosed(b.Logf, "direct SQL: every asset once", len(cold), rbConcurrency, dOp(cold)))
	stopProf = rbProfile(b, profileDir, "direct_steady")
	dWarm := run(rbClosed(b.Logf, "direct SQL: steady-state list", len(steady), rbConcurrency, dOp(steady)))
	stopProf()

	// Every mode must give the answers the direct SQL gives.
	mismatches := 0
	compared := 0
	for _, p := range []struct{ a, b *rbPhase }{{gCold, dCold}, {iCold, dCold}, {gWarm, dWarm}, {gShared, dWarm}, {iWarm, dWarm}, {gOpen, dWarm},
		{sWarm, dWarm}, {sShared, dWarm}, {sOpen, dWarm}, {sSharedOpen, dWarm}, {gBatch, dWarm}} {
		compared += len(p.a.res)
		for i := range p.a.res {
			if p.a.res[i] != p.b.res[i] {
				if mismatches < 5 {
					b.Errorf("%s vs %s, check %d: %s vs %s", p.a.name, p.b.name, i, rbCodeName(p.a.res[i]), rbCodeName(p.b.res[i]))
				}
				mismatches++
			}
		}
	}
	for _, p := range phases {
		if n := p.errs.Load(); n > 0 {
			b.Errorf("%s: %d checks failed, first: %v", p.name, n, p.firstErr.Load())
		}
	}

	// Revocation to denial.
	rev := rbRevocations(ctx, b, pool, key, clients, grpcOp(steady), len(steady), trials, nTrials)

	// The report.
	out := os.Stdout
	fmt.Fprintf(out, "\nRights checks over %d registered assets (%s) and %d grants (%s); grants table %s;\n",
		nAssets, stats.grades, nGrants, stats.grantsLine, tableSize)
	fmt.Fprintf(out, "generated in %.1fs, loaded by COPY + VACUUM ANALYZE in %.1fs. %d CPUs (GOMAXPROCS %d), Postgres on the same machine;\n",
		genTime.Seconds(), loadTime.Seconds(), runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(out, "garbage collector: %s (production sets GOGC and GOMEMLIMIT in k8s/base/configmap.yaml: run with the same to measure it).\n", rbGCSettings())
	fmt.Fprintf(out, "Workload (answers of the steady-state list): %s\n", rbMix(dWarm.res))
	fmt.Fprintf(out, "Concurrency %d clients, each with its own token%s; latencies in ms:\n", rbConcurrency,
		" (through gRPC each with its own connection and in this process unless the mode says otherwise)")
	fmt.Fprintf(out, "  %-56s %8s %9s %7s %7s %7s %7s | %9s %9s %5s %6s\n", "mode", "checks", "checks/s", "p50", "p95", "p99", "max",
		"host busy", "µs/check", "GCs", "GC µs")
	for _, p := range phases {
		fmt.Fprintf(out, "  %-56s %8d %9.0f %7.2f %7.2f %7.2f %7.2f | %8.0f%% %9.1f %5d %6.1f\n", p.name, p.checks(), p.rate(),
			rbMs(p.pct(50)), rbMs(p.pct(95)), rbMs(p.pct(99)), rbMs(p.pct(100)), p.cpu.hostBusyPct(), p.selfPerCheck(),
			p.cpu.gcCycles, p.gcPerCheck())
	}
	fmt.Fprintln(out, "  (host busy: all CPUs, Postgres included; µs/check: CPU time of this process and of the clients' process if any, per check;")
	fmt.Fprintln(out, "  GCs: garbage collections during the phase; GC µs: their CPU time per check, an estimate of the runtime's)")
	fmt.Fprintf(out, "  live heap after the gRPC steady state (at its last GC): %.0f MB\n", float64(heapAfterWarm)/(1<<20))
	fmt.Fprintf(out, "  answers: %d of %d differ from the direct SQL's\n", mismatches, compared)
	fmt.Fprintf(out, "  throughput, warm: gRPC %.1fx direct SQL; in process %.1fx direct SQL; gRPC %.2f of in process\n",
		gWarm.rate()/dWarm.rate(), iWarm.rate()/dWarm.rate(), gWarm.rate()/iWarm.rate())
	fmt.Fprintf(out, "  closed loop at concurrency %d: mean latency = %d / throughput (Little), %.2f ms at %.0f/s through gRPC\n",
		rbConcurrency, rbConcurrency, 1000*rbConcurrency/gWarm.rate(), gWarm.rate())
	fmt.Fprintln(out, "Check against its floor (the same clients, right after, calling the same server's health Check: same")
	fmt.Fprintln(out, "  connections, stats handler and interceptors, no principal, no work; the floor is grpc-go's on this machine):")
	fmt.Fprintf(out, "  %-56s %10s %8s %8s %8s %8s %9s\n", "mode", "rate/floor", "p50", "floor", "p99", "floor", "+µs/call")
	for _, f := range floors {
		fmt.Fprintf(out, "  %-56s %10.2f %8.2f %8.2f %8.2f %8.2f %9.1f\n", f.check.name, f.check.rate()/f.floor.rate(),
			rbMs(f.check.pct(50)), rbMs(f.floor.pct(50)), rbMs(f.check.pct(99)), rbMs(f.floor.pct(99)),
			f.check.selfPerCheck()-f.floor.selfPerCheck())
	}
	fmt.Fprintln(out, "  (+µs/call: CPU per Check above the floor's per call, both processes)")
	fmt.Fprintf(out, "  denied checks (counted for rights.check.denied every 10 s): %d events written during the gRPC runs; a flush at the end took %v",
		denialEvents, flushTook.Round(time.Millisecond))
	if flushErr != nil {
		fmt.Fprintf(out, " and FAILED: %v", flushErr)
	}
	fmt.Fprintln(out)
	fmt.Fprintln(out, "Revocation → first denied answer of a client checking continuously (ms; from COMMIT, or from the RevokeGrant call):")
	fmt.Fprintf(out, "  %-58s %6s %6s %6s %6s %6s | %8s %8s | %s\n", "variant", "trials", "p50", "p95", "p99", "max",
		"call p50", "call max", "allowed after return")
	var allRev []time.Duration
	for _, v := range rev {
		fmt.Fprintf(out, "  %-58s %6d %6.1f %6.1f %6.1f %6.1f | %8.1f %8.1f | %d", v.name, len(v.lat), rbMs(rbPct(v.lat, 50)), rbMs(rbPct(v.lat, 95)),
			rbMs(rbPct(v.lat, 99)), rbMs(rbPct(v.lat, 100)), rbMs(rbPct(v.calls, 50)), rbMs(rbPct(v.calls, 100)), v.stale)
		if v.failed > 0 || v.skipped > 0 {
			fmt.Fprintf(out, "   (%d never denied within %v, %d skipped)", v.failed, rbRevocationTimeout, v.skipped)
		}
		fmt.Fprintln(out)
		allRev = append(allRev, v.lat...)
	}
	fmt.Fprintln(out, "  (call: the COMMIT or the RPC itself; allowed after return: trials in which a check sent after the COMMIT or")
	fmt.Fprintln(out, "  the RPC had returned was still allowed, the notification being on its way)")
	fmt.Fprintln(out, "What the cache holds: per asset, one immutable graph (the asset projection, its grade rule, every grant on")
	fmt.Fprintln(out, "  it with its state, in the compact form domain.Evaluate reads: domain.CheckGraph), built from the SQL of")
	fmt.Fprintln(out, "  store.LoadGraph; at most 100 000 assets, each for at most 10 min;")
	fmt.Fprintln(out, "  unknown assets too. Invalidation: every committed change to assets, holdings, grants or grade_policy")
	fmt.Fprintln(out, "  NOTIFYs yaosu_rights_changed with the asset id ('*' for the policy); the listener drops that graph (or all).")
	fmt.Fprintln(out, "  While the listener is disconnected nothing is served from the cache (every check loads).")

	revFailed := 0
	for _, v := range rev {
		revFailed += v.failed
	}
	res["grpc_cold_checks/s"] = gCold.rate()
	res["grpc_cold_p99_ms"] = rbMs(gCold.pct(99))
	res["grpc_checks/s"] = gWarm.rate()
	res["grpc_p50_ms"] = rbMs(gWarm.pct(50))
	res["grpc_p95_ms"] = rbMs(gWarm.pct(95))
	res["grpc_p99_ms"] = rbMs(gWarm.pct(99))
	res["grpc_shared_checks/s"] = gShared.rate()
	res["grpc_shared_p99_ms"] = rbMs(gShared.pct(99))
	res["grpc_open_checks/s"] = gOpen.rate()
	res["grpc_open_p50_ms"] = rbMs(gOpen.pct(50))
	res["grpc_open_p99_ms"] = rbMs(gOpen.pct(99))
	res["floor_p99_ms"] = rbMs(floors[0].floor.pct(99))
	res["sep_checks/s"] = sWarm.rate()
	res["sep_p50_ms"] = rbMs(sWarm.pct(50))
	res["sep_p99_ms"] = rbMs(sWarm.pct(99))
	res["sep_floor_p99_ms"] = rbMs(sep[1].pct(99))
	res["sep_shared_checks/s"] = sShared.rate()
	res["sep_shared_p99_ms"] = rbMs(sShared.pct(99))
	res["sep_open_p50_ms"] = rbMs(sOpen.pct(50))
	res["sep_open_p99_ms"] = rbMs(sOpen.pct(99))
	res["sep_shared_open_p50_ms"] = rbMs(sSharedOpen.pct(50))
	res["sep_shared_open_p99_ms"] = rbMs(sSharedOpen.pct(99))
	res["grpc_batch_checks/s"] = gBatch.rate()
	res["grpc_batch_call_p99_ms"] = rbMs(gBatch.pct(99))
	res["inproc_checks/s"] = iWarm.rate()
	res["inproc_p99_ms"] = rbMs(iWarm.pct(99))
	res["direct_checks/s"] = dWarm.rate()
	res["direct_p50_ms"] = rbMs(dWarm.pct(50))
	res["direct_p99_ms"] = rbMs(dWarm.pct(99))
	res["grpc_x_direct"] = gWarm.rate() / dWarm.rate()
	res["revoke_p99_ms"] = rbMs(rbPct(allRev, 99))
	res["revoke_max_ms"] = rbMs(rbPct(allRev, 100))

	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(out, "Targets: >= %.0f checks/s through gRPC: %s (%.0f/s at concurrency %d);\n", rbTargetRate,
		verdict(gWarm.rate() >= rbTargetRate), gWarm.rate(), rbConcurrency)
	fmt.Fprintf(out, "  p99 < %v at concurrency %d, Check and its floor:\n", rbTargetP99, rbConcurrency)
	missed, missedByFloor := 0, 0
	for _, f := range floors {
		ok := f.check.pct(99) < rbTargetP99
		if f.check == gOpen || f.check == sOpen || f.check == sSharedOpen {
			ok = ok && f.check.rate() >= 0.95*rate
		}
		floorOK := f.floor.pct(99) < rbTargetP99
		fmt.Fprintf(out, "    %-56s %-6s (p99 %.2f ms; floor %.2f ms, %s)\n", f.check.name, verdict(ok), rbMs(f.check.pct(99)),
			rbMs(f.floor.pct(99)), verdict(floorOK))
		if !ok && !floorOK {
			missedByFloor++
		}
		if !ok {
			missed++
		}
	}
	if missed > 0 {
		fmt.Fprintf(out, "  where Check missed p99 < %v (%d modes), a call that does nothing missed it too in %d\n", rbTargetP99, missed, missedByFloor)
	}
	fmt.Fprintf(out, "  revocation p99 < %v: %s (p99 %.1f ms, max %.1f ms over %d trials)\n", rbTargetRevocation,
		verdict(rbPct(allRev, 99) < rbTargetRevocation && revFailed == 0), rbMs(rbPct(allRev, 99)), rbMs(rbPct(allRev, 100)), len(allRev))
	if profileDir != "" {
		fmt.Fprintf(out, "CPU profiles of the steady-state phases in %s\n", profileDir)
	}
	rbResults = res
	rbReport(b, res)
}

const (
	rbConcurrency       = 32
	rbBatch             = 10 // checks per BatchCheck call
	rbTargetRate        = 10_000.0
	rbTargetP99         = 2 * time.Millisecond
	rbTargetRevocation  = 100 * time.Millisecond
	rbRevocationTimeout = 2 * time.Second
)

// rbResults keeps the measurement so a second call (-benchtime Nx, N > 1) only reports it.
var rbResults map[string]float64

func rbReport(b *testing.B, res map[string]float64) {
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.ReportMetric(res[k], k)
	}
}

func rbEnvInt(b *testing.B, name string, def int) int {
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

// rbTrace starts an execution trace into file, if set; the returned func stops it.
func rbTrace(b *testing.B, file string) func() {
	if file == "" {
		return func() {}
	}
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	if err := trace.Start(f); err != nil {
		b.Fatalf("execution trace (not together with go test -trace): %v", err)
	}
	return func() { trace.Stop(); _ = f.Close() }
}

// rbHeapProfile writes a heap profile (as of the last GC) to dir, if set.
func rbHeapProfile(b *testing.B, dir, name string) {
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// rbGCSettings says how the garbage collector is set (GOGC, GOMEMLIMIT).
func rbGCSettings() string {
	gogc := debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	limit := debug.SetMemoryLimit(-1)
	l := "none"
	if limit < math.MaxInt64 {
		l = fmt.Sprintf("%d MiB", limit>>20)
	}
	return fmt.Sprintf("GOGC=%d, GOMEMLIMIT %s", gogc, l)
}

// rbLiveHeap is the heap the last garbage collection found live, in bytes.
func rbLiveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func rbProfile(b *testing.B, dir, name string) func() {
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

// ---------------------------------------------------------------------------------------
// The dataset.

const rbUSCCAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var rbUSCCWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// rbUSCC completes a 17-character base into a unified social credit code (GB 32100 check
// character).
func rbUSCC(base string) string {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(rbUSCCAlphabet, base[i]) * rbUSCCWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return base + string(rbUSCCAlphabet[c])
}

// rbOrgs returns n distinct organisation codes not in seen (which it extends).
func rbOrgs(rng *rand.Rand, n int, seen map[string]bool) []string {
	kinds := []string{"91", "91", "91", "12", "11", "52"}
	places := []string{"350100", "350200", "350500", "350600", "110000", "310000", "440300", "330100"}
	out := make([]string, 0, n)
	for len(out) < n {
		var sb strings.Builder
		sb.WriteString(kinds[rng.IntN(len(kinds))])
		sb.WriteString(places[rng.IntN(len(places))])
		for range 9 {
			sb.WriteByte(rbUSCCAlphabet[rng.IntN(len(rbUSCCAlphabet))])
		}
		code := rbUSCC(sb.String())
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out
}

var (
	rbPurposes = []string{"INDUSTRIAL_MANUFACTURING", "MODERN_AGRICULTURE", "COMMERCE", "TRANSPORT", "FINANCIAL_SERVICES",
		"SCIENCE_INNOVATION", "CULTURE_TOURISM", "HEALTHCARE", "EMERGENCY_MANAGEMENT", "METEOROLOGY", "URBAN_GOVERNANCE", "GREEN_LOW_CARBON"}
	rbForms          = []string{domain.FormAPI, domain.FormModel, domain.FormVerification, domain.FormAggregate, domain.FormRawCopy}
	rbCities         = map[string][]string{"350000": {"350100", "350200", "350500", "350600"}, "110000": {"110100"}, "310000": {"310100"}, "440000": {"440100", "440300"}, "330000": {"330100", "330200"}}
	rbGrantRegions   = []string{"350000", "350000", "350100", "350200", "110000", "310000", "440000", "440300", "330000", "330100"}
	rbOutsideRegions = []string{"620000", "650100", "540000"}
	rbConditions     = []string{
		`request.region.startsWith("35")`,
		`has(context.project) && context.project == "smart-city"`,
		`has(context.volume) && context.volume <= 10000`,
	}
	// rbGoodContext satisfies every context condition.
	rbGoodContext = map[string]any{"project": "smart-city", "volume": 500.0}
	rbRules       = map[string]domain.GradeRule{
		"GRADE_GENERAL":   {Grade: "GRADE_GENERAL", GrantsAllowed: true},
		"GRADE_IMPORTANT": {Grade: "GRADE_IMPORTANT", GrantsAllowed: true, ForbiddenDeliveryForms: []string{domain.FormRawCopy}},
		"GRADE_CORE":      {Grade: "GRADE_CORE"},
	}
)

type rbAsset struct {
	a          domain.Asset
	registered time.Time
	grants     []int
}

type rbGrant struct {
	g      domain.Grant
	asset  int
	parent int // -1: first level
	// changed is when the grant left its first state (zero if it never did).
	changed time.Time
}

type rbData struct {
	now      time.Time
	holders  []string
	grantees []string
	assets   []rbAsset
	grants   []rbGrant
	unknown  []string
}

func rbLater(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func rbEarlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func rbPick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// rbSubset returns a non-empty random subset of xs, at most n long (all of xs for n ≤ 0).
func rbSubset[T any](rng *rand.Rand, xs []T, n int) []T {
	c := slices.Clone(xs)
	rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	if n <= 0 || n > len(c) {
		n = len(c)
	}
	return c[:1+rng.IntN(n)]
}

func rbDays(rng *rand.Rand, lo, hi int) time.Duration {
	return time.Duration(lo+rng.IntN(hi-lo+1))*24*time.Hour + time.Duration(rng.IntN(86_400))*time.Second
}

// rbRegionWithin returns a division inside r (r itself, a city of a province, a district).
func rbRegionWithin(rng *rand.Rand, r string) string {
	if cities := rbCities[r]; cities != nil {
		switch rng.IntN(3) {
		case 0:
			return r
		case 1:
			return rbPick(rng, cities)
		default:
			return rbPick(rng, cities)[:4] + "0" + strconv.Itoa(1+rng.IntN(9))
		}
	}
	if rng.IntN(2) == 0 {
		return r
	}
	return r[:4] + "0" + strconv.Itoa(1+rng.IntN(9))
}

// rbUUIDv7At is a version 7 UUID whose timestamp is t (ids order as create times do, as
// the service's ids do).
func rbUUIDv7At(t time.Time) uuid.UUID {
	u := uuid.Must(uuid.NewV7())
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	return u
}

// rbGenerate builds the dataset in memory. Every grant is checked with domain.Check
// against its asset and its parent as they were when it was made.
func rbGenerate(b *testing.B, nAssets, nGrants int) *rbData {
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC().Truncate(time.Microsecond)
	seen := map[string]bool{}
	d := &rbData{now: now, holders: rbOrgs(rng, 50, seen), grantees: rbOrgs(rng, 2000, seen)}
	for range 100 {
		d.unknown = append(d.unknown, uuid.NewString())
	}
	// Assets and how many grants each gets: core-grade assets none, a popular tenth of the
	// others a third of all grants.
	var eligible []int
	for i := range nAssets {
		grade := "GRADE_GENERAL"
		switch x := rng.IntN(100); {
		case x < 5:
			grade = "GRADE_CORE"
		case x < 30:
			grade = "GRADE_IMPORTANT"
		}
		reg := now.Add(-rbDays(rng, 800, 1200))
		reg = reg.Truncate(time.Microsecond)
		d.assets = append(d.assets, rbAsset{a: domain.Asset{ID: rbUUIDv7At(reg).String(), Holder: rbPick(rng, d.holders),
			Grade: grade, State: "REGISTERED", Revision: 3}, registered: reg})
		if grade != "GRADE_CORE" {
			eligible = append(eligible, i)
		}
	}
	if len(eligible) == 0 {
		b.Fatal("no asset may be granted")
	}
	counts := make([]int, nAssets)
	popular := max(1, len(eligible)/10)
	for range nGrants {
		if rng.IntN(3) == 0 {
			counts[eligible[rng.IntN(popular)]]++
		} else {
			counts[eligible[rng.IntN(len(eligible))]]++
		}
	}
	basis := domain.LegalBasis{Kind: "CONTRACT", SHA256: sha}
	for ai := range d.assets {
		a := &d.assets[ai].a
		var open []int // grants of this asset that may be sub-licensed
		for range counts[ai] {
			parent := -1
			if len(open) > 0 && rng.IntN(100) < 62 {
				parent = rbPick(rng, open)
			}
			gi := len(d.grants)
			r := rbGrant{asset: ai, parent: parent}
			g := &r.g
			g.AssetID, g.LegalBasis, g.FeeTerms = a.ID, basis, "FREE_CONDITIONAL"
			g.LegalBasis.DocumentNumber = fmt.Sprintf("HT-2025-%06d", gi+1)
			if rng.IntN(3) == 0 {
				g.FeeTerms = "PAID_CONDITIONAL"
			}
			var p *rbGrant
			if parent < 0 {
				g.Grantor, g.Right = a.Holder, domain.RightProcessingUse
				if rng.IntN(5) == 0 {
					g.Right = domain.RightProductOperation
				}
				forms := rbForms
				if a.Grade == "GRADE_IMPORTANT" {
					forms = rbForms[:4]
				}
				g.Scope = domain.Scope{Purposes: rbSubset(rng, rbPurposes, 4), DeliveryForms: rbSubset(rng, forms, 3)}
				if rng.IntN(10) >= 3 {
					g.Scope.Regions = slices.Compact(slices.Sorted(slices.Values(rbSubset(rng, rbGrantRegions, 2))))
				}
				g.SublicenseDepth = []int{0, 1, 1, 2, 2}[rng.IntN(5)]
				switch x := rng.IntN(100); {
				case x < 3: // over
					g.ValidFrom = now.Add(-rbDays(rng, 700, 900))
					g.ValidUntil = now.Add(-rbDays(rng, 1, 100))
				case x < 5: // not yet
					g.ValidFrom = now.Add(rbDays(rng, 5, 90))
					g.ValidUntil = g.ValidFrom.Add(rbDays(rng, 100, 700))
				default:
					g.ValidFrom = now.Add(-rbDays(rng, 30, 700))
					g.ValidUntil = now.Add(rbDays(rng, 60, 900))
				}
				g.CreateTime = g.ValidFrom.Add(-rbDays(rng, 0, 20))
			} else {
				p = &d.grants[parent]
				g.Grantor, g.Right = p.g.Grantee, p.g.Right
				g.Scope = domain.Scope{Purposes: rbSubset(rng, p.g.Scope.Purposes, 0), DeliveryForms: rbSubset(rng, p.g.Scope.DeliveryForms, 0)}
				switch {
				case len(p.g.Scope.Regions) == 0 && rng.IntN(2) == 0:
				case len(p.g.Scope.Regions) == 0:
					g.Scope.Regions = []string{rbPick(rng, rbGrantRegions)}
				default:
					r := rbPick(rng, p.g.Scope.Regions)
					if cities := rbCities[r]; cities != nil && rng.IntN(2) == 0 {
						r = rbPick(rng, cities)
					}
					g.Scope.Regions = []string{r}
				}
				g.SublicenseDepth = rng.IntN(p.g.SublicenseDepth)
				pf, pu := p.g.ValidFrom, p.g.ValidUntil
				switch {
				case !pf.Before(now) || !pu.After(now): // the parent's window is not now: inside it
					g.ValidFrom, g.ValidUntil = pf.Add(pu.Sub(pf)/10), pu.Add(-pu.Sub(pf)/10)
				case rng.IntN(50) == 0 && pu.Sub(now) > 4*24*time.Hour: // not yet
					g.ValidFrom, g.ValidUntil = now.Add(pu.Sub(now)/4), pu
				default:
					g.ValidFrom = pf.Add(time.Duration(rng.Float64() * 0.9 * float64(now.Sub(pf))))
					g.ValidUntil = now.Add(time.Duration((0.1 + 0.9*rng.Float64()) * float64(pu.Sub(now))))
				}
				g.ValidFrom, g.ValidUntil = g.ValidFrom.Truncate(time.Microsecond), g.ValidUntil.Truncate(time.Microsecond)
				g.CreateTime = rbLater(p.g.CreateTime.Add(time.Hour), g.ValidFrom.Add(-rbDays(rng, 0, 10)))
			}
			g.CreateTime = rbEarlier(g.CreateTime, now.Add(-time.Hour))
			if p != nil && !p.changed.IsZero() && !g.CreateTime.Before(p.changed) {
				// Made while its parent was still active.
				g.CreateTime = p.g.CreateTime.Add(p.changed.Sub(p.g.CreateTime) / 2)
			}
			g.CreateTime = g.CreateTime.Truncate(time.Microsecond)
			for {
				g.Grantee = d.grantees[rng.IntN(len(d.grantees))]
				if rng.IntN(10) == 0 {
					g.Grantee = rbPick(rng, d.holders)
				}
				if g.Grantee != g.Grantor && g.Grantee != a.Holder {
					break
				}
			}
			if rng.IntN(25) == 0 {
				g.Condition = rbPick(rng, rbConditions)
			}
			// Placed as it was made: the parent (if any) was active then.
			place := domain.Placement{Asset: a, Rule: rbRules[a.Grade]}
			if p != nil {
				parentThen := p.g
				parentThen.State = domain.StateActive
				place.Parent = &parentThen
			}
			g.State = domain.StateActive
			if err := domain.Check(g, place); err != nil {
				b.Fatalf("generated grant %d is invalid: %v", gi, err)
			}
			if g.Condition != "" {
				if err := check.CompileCondition(g.Condition); err != nil {
					b.Fatalf("condition %q: %v", g.Condition, err)
				}
			}
			// Its state now, consistent with its parent's.
			g.Revision = 1
			g.Requester, g.RequesterOrganisation, g.Approver = "rights-admin@"+g.Grantor, g.Grantor, "rights-admin@"+g.Grantor
			changeAt := func(cascaded bool) time.Time {
				if cascaded {
					return rbLater(p.changed, g.CreateTime.Add(time.Minute))
				}
				return g.CreateTime.Add(time.Duration(rng.Float64() * float64(now.Sub(g.CreateTime)))).Truncate(time.Microsecond)
			}
			x := rng.IntN(100)
			switch {
			case !g.ValidUntil.After(now):
				g.State, g.StateReason, r.changed = domain.StateExpired, "validity window ended", g.ValidUntil
			case p != nil && p.g.State == domain.StateRevoked:
				g.State, g.StateReason, r.changed = domain.StateRevoked, "with "+p.g.Name(), changeAt(true)
			case p != nil && p.g.State == domain.StateSuspended && x < 10:
				g.State, g.StateReason, r.changed = domain.StateRevoked, "合同终止", changeAt(false)
			case p != nil && p.g.State == domain.StateSuspended:
				g.State, g.StateReason, g.SuspendedBy, r.changed = domain.StateSuspended, "with "+p.g.Name(), domain.SuspendedByParent, changeAt(true)
			case x < 6:
				g.State, g.StateReason, r.changed = domain.StateRevoked, "合同终止", changeAt(false)
			case x < 10:
				g.State, g.StateReason, g.SuspendedBy, r.changed = domain.StateSuspended, "整改中", domain.SuspendedByGrantor, changeAt(false)
			case x < 12 && p != nil:
				g.State, g.Approver = domain.StateRequested, ""
				g.Requester, g.RequesterOrganisation = "rights-admin@"+g.Grantee, g.Grantee
			}
			g.UpdateTime = g.CreateTime
			if !r.changed.IsZero() {
				g.Revision, g.UpdateTime = 2, r.changed
			}
			g.ID = rbUUIDv7At(g.CreateTime).String()
			if parent >= 0 {
				g.ParentID = p.g.ID
			}
			d.grants = append(d.grants, r)
			d.assets[ai].grants = append(d.assets[ai].grants, gi)
			if g.Depth < 3 && g.SublicenseDepth > 0 && g.State != domain.StateRequested {
				open = append(open, gi)
			}
		}
	}
	return d
}

// rbInForce reports whether grant gi and every grant above it are in force now.
func (d *rbData) rbInForce(gi int) bool {
	for ; gi >= 0; gi = d.grants[gi].parent {
		if !d.grants[gi].g.InForce(d.now) {
			return false
		}
	}
	return true
}

// chainConditions returns the conditions along gi's chain.
func (d *rbData) chainConditions(gi int) []string {
	var out []string
	for ; gi >= 0; gi = d.grants[gi].parent {
		if c := d.grants[gi].g.Condition; c != "" {
			out = append(out, c)
		}
	}
	return out
}

type rbStats struct {
	grades, grantsLine string
	someHolder         string
}

func (d *rbData) describe() rbStats {
	grades := map[string]int{}
	for _, a := range d.assets {
		grades[a.a.Grade]++
	}
	depth := [4]int{}
	states := map[domain.State]int{}
	conds, inForce := 0, 0
	grantees := map[string]bool{}
	for i, g := range d.grants {
		depth[g.g.Depth]++
		states[g.g.State]++
		grantees[g.g.Grantee] = true
		if g.g.Condition != "" {
			conds++
		}
		if d.rbInForce(i) {
			inForce++
		}
	}
	n := float64(max(1, len(d.grants)))
	pc := func(k int) float64 { return 100 * float64(k) / n }
	return rbStats{
		grades: fmt.Sprintf("%d holders; %d general, %d important, %d core grade", len(d.holders), grades["GRADE_GENERAL"],
			grades["GRADE_IMPORTANT"], grades["GRADE_CORE"]),
		grantsLine: fmt.Sprintf("to %d organisations; depth 1/2/3: %d/%d/%d; ACTIVE %.0f%%, REVOKED %.0f%%, SUSPENDED %.0f%%, EXPIRED %.0f%%, REQUESTED %.0f%%; in force through their whole chain %.0f%%; %d with a CEL condition",
			len(grantees), depth[1], depth[2], depth[3], pc(states[domain.StateActive]), pc(states[domain.StateRevoked]),
			pc(states[domain.StateSuspended]), pc(states[domain.StateExpired]), pc(states[domain.StateRequested]), pc(inForce), conds),
		someHolder: d.holders[0],
	}
}

// rbLoad COPYs the dataset into the rights schema, as the catalog consumer and the grant
// RPCs would have left it (projection, state history, holding, grants, grant history),
// and VACUUM ANALYZEs. The triggers fire (their notifications reach nobody yet).
func rbLoad(ctx context.Context, b *testing.B, pool *pgxpool.Pool, d *rbData) {
	copyRows := func(table string, cols []string, n int, row func(i int) []any) {
		i := 0
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			if i >= n {
				return nil, nil
			}
			i++
			return row(i - 1), nil
		})); err != nil {
			b.Fatalf("COPY %s: %v", table, err)
		}
	}
	copyRows("assets", []string{"id", "holder_organisation", "grade", "state", "registration_number", "revision", "update_time"},
		len(d.assets), func(i int) []any {
			a := &d.assets[i].a
			return []any{a.ID, a.Holder, a.Grade, a.State, fmt.Sprintf("YS-2024-%08d", i+1), a.Revision, d.assets[i].registered}
		})
	copyRows("asset_states", []string{"asset_id", "since", "state", "grade"}, len(d.assets), func(i int) []any {
		a := &d.assets[i].a
		return []any{a.ID, d.assets[i].registered, a.State, a.Grade}
	})
	copyRows("holdings", []string{"asset_id", "holder_organisation", "since", "cause"}, len(d.assets), func(i int) []any {
		a := &d.assets[i].a
		return []any{a.ID, a.Holder, d.assets[i].registered, "registration"}
	})
	copyRows("grants", []string{"id", "asset_id", "right_kind", "grantor_organisation", "grantee_organisation", "parent_id", "depth",
		"legal_basis", "purposes", "other_purpose", "delivery_forms", "regions", "valid_from", "valid_until", "exclusive",
		"authorised_operation", "sublicense_depth", "fee_terms", "condition", "state", "state_reason", "suspended_by", "justification",
		"requester", "requester_organisation", "request_id", "approver", "revision", "create_time", "update_time"},
		len(d.grants), func(i int) []any {
			g := &d.grants[i].g
			var parent *string
			if g.ParentID != "" {
				parent = &g.ParentID
			}
			lb, _ := json.Marshal(g.LegalBasis)
			regions := g.Scope.Regions
			if regions == nil {
				regions = []string{}
			}
			return []any{g.ID, g.AssetID, string(g.Right), g.Grantor, g.Grantee, parent, g.Depth, string(lb), g.Scope.Purposes, "",
				g.Scope.DeliveryForms, regions, g.ValidFrom, g.ValidUntil, false, false, g.SublicenseDepth, g.FeeTerms, g.Condition,
				string(g.State), g.StateReason, g.SuspendedBy, "", g.Requester, g.RequesterOrganisation, nil, g.Approver, g.Revision,
				g.CreateTime, g.UpdateTime}
		})
	// History: the first state, then the change to the current one.
	type hrow struct {
		gi, rev int
	}
	var hist []hrow
	for i := range d.grants {
		hist = append(hist, hrow{i, 1})
		if d.grants[i].g.Revision == 2 {
			hist = append(hist, hrow{i, 2})
		}
	}
	copyRows("grant_history", []string{"grant_id", "revision", "state", "grantor_organisation", "action", "actor", "reason", "time"},
		len(hist), func(i int) []any {
			r := &d.grants[hist[i].gi]
			g := &r.g
			if hist[i].rev == 1 {
				if g.State == domain.StateRequested {
					return []any{g.ID, 1, "REQUESTED", g.Grantor, "request", g.Requester, "", g.CreateTime}
				}
				return []any{g.ID, 1, "ACTIVE", g.Grantor, "grant", "rights-admin@" + g.Grantor, "", g.CreateTime}
			}
			action := map[domain.State]string{domain.StateRevoked: "revoke", domain.StateSuspended: "suspend", domain.StateExpired: "expire"}[g.State]
			actor := "rights-admin@" + g.Grantor
			if strings.HasPrefix(g.StateReason, "with ") {
				action = "cascade_" + action
			}
			if g.State == domain.StateExpired {
				actor = app.ActorExpiry
			}
			return []any{g.ID, 2, string(g.State), g.Grantor, action, actor, g.StateReason, g.UpdateTime}
		})
	// VACUUM too: sets the hint bits and the visibility map now, so neither the first pass
	// of checks nor autovacuum in the middle of the measurement pays for it.
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE) assets, asset_states, holdings, grants, grant_history`); err != nil {
		b.Fatal(err)
	}
}

// ---------------------------------------------------------------------------------------
// The workload.

// rbCheck is one check, held compactly: its strings are indexes into rbStrings. The lists
// hold hundreds of thousands of checks; as protos and domain inputs they made a heap larger
// than the service's cache, all pointers, which the garbage collector of this process (the
// clients' and the service's) had to mark on every cycle: that is no part of what a rights
// replica carries. Each call builds its request from it, as a caller does.
type rbCheck struct {
	org, asset, assetName, purpose, form, region uint32
	right                                        rightsv1.Right
	apiForm                                      rightsv1.DeliveryForm
	context                                      bool
}

// rbStrings interns the workload's strings (filled while the workload is made, read-only
// while it runs).
var rbStrings = struct {
	ids  map[string]uint32
	list []string
}{ids: map[string]uint32{}}

func rbIntern(s string) uint32 {
	if id, ok := rbStrings.ids[s]; ok {
		return id
	}
	id := uint32(len(rbStrings.list))
	rbStrings.list = append(rbStrings.list, s)
	rbStrings.ids[s] = id
	return id
}

func rbStr(id uint32) string { return rbStrings.list[id] }

// request is the check as the API takes it.
func (c rbCheck) request() *rightsv1.CheckRequest {
	req := &rightsv1.CheckRequest{Organisation: rbStr(c.org), Asset: rbStr(c.assetName), Right: c.right,
		Purpose: rbStr(c.purpose), DeliveryForm: c.apiForm, Region: rbStr(c.region)}
	if c.context {
		req.Context = rbGoodStruct
	}
	return req
}

// input is the check as the domain takes it.
func (c rbCheck) input() domain.CheckInput {
	in := domain.CheckInput{Organisation: rbStr(c.org), AssetID: rbStr(c.asset),
		Right: domain.Right(strings.TrimPrefix(c.right.String(), "RIGHT_")), Purpose: rbStr(c.purpose),
		DeliveryForm: rbStr(c.form), Region: rbStr(c.region)}
	if c.context {
		in.Context = rbGoodContext
	}
	return in
}

func (c *rbCheck) setPurpose(p string) { c.purpose = rbIntern(p) }
func (c *rbCheck) setRegion(r string)  { c.region = rbIntern(r) }

var rbGoodStruct = func() *structpb.Struct {
	s, err := structpb.NewStruct(rbGoodContext)
	if err != nil {
		panic(err)
	}
	return s
}()

func rbMake(org, asset string, right domain.Right, purpose, form, region string, withContext bool) rbCheck {
	return rbCheck{org: rbIntern(org), asset: rbIntern(asset), assetName: rbIntern("assets/" + asset),
		purpose: rbIntern(purpose), form: rbIntern(form), region: rbIntern(region),
		right:   rightsv1.Right(rightsv1.Right_value["RIGHT_"+string(right)]),
		apiForm: rightsv1.DeliveryForm(rightsv1.DeliveryForm_value["DELIVERY_FORM_"+form]), context: withContext}
}

// rbKinds are what the workload asks for, by weight; a kind the asset cannot give falls
// back to another (the answers actually obtained are reported).
var rbKinds = []struct {
	name   string
	weight int
}{{"chain", 44}, {"holder", 5}, {"no_grant", 12}, {"not_active", 8}, {"not_yet", 3}, {"purpose", 7}, {"form", 6},
	{"region", 6}, {"condition", 4}, {"grade", 3}, {"unknown", 2}}

// rbWorkload returns n checks over random assets, or (coldPass) one check of every asset
// in random order.
func rbWorkload(d *rbData, rng *rand.Rand, n int, coldPass bool) []rbCheck {
	total := 0
	for _, k := range rbKinds {
		total += k.weight
	}
	var order []int
	if coldPass {
		order = rng.Perm(len(d.assets))
		n = len(order)
	}
	out := make([]rbCheck, 0, n)
	for i := range n {
		var ai int
		if coldPass {
			ai = order[i]
		} else {
			ai = rng.IntN(len(d.assets))
		}
		x := rng.IntN(total)
		kind := ""
		for _, k := range rbKinds {
			if x < k.weight {
				kind = k.name
				break
			}
			x -= k.weight
		}
		if coldPass && kind == "unknown" {
			kind = "chain"
		}
		out = append(out, d.checkOf(rng, ai, kind))
	}
	return out
}

// checkOf makes a check of kind on asset ai.
func (d *rbData) checkOf(rng *rand.Rand, ai int, kind string) rbCheck {
	a := &d.assets[ai]
	anyRegion := func() string { return rbRegionWithin(rng, rbPick(rng, rbGrantRegions)) }
	// within makes a check by g's grantee inside g's scope.
	within := func(gi int) rbCheck {
		g := &d.grants[gi].g
		region := anyRegion()
		if len(g.Scope.Regions) > 0 {
			region = rbRegionWithin(rng, rbPick(rng, g.Scope.Regions))
		}
		conds := d.chainConditions(gi)
		if slices.Contains(conds, rbConditions[0]) && len(g.Scope.Regions) == 0 {
			region = "350100"
		}
		return rbMake(g.Grantee, a.a.ID, g.Right, rbPick(rng, g.Scope.Purposes), rbPick(rng, g.Scope.DeliveryForms), region, len(conds) > 0)
	}
	filter := func(keep func(gi int) bool) []int {
		var out []int
		for _, gi := range a.grants {
			if keep(gi) {
				out = append(out, gi)
			}
		}
		return out
	}
	inForce := func(gi int) bool { return d.rbInForce(gi) }
	switch kind {
	case "chain":
		cands := filter(inForce)
		if len(cands) == 0 {
			return d.checkOf(rng, ai, "no_grant")
		}
		// Spread over the depths the asset has.
		var depths []int
		for _, gi := range cands {
			if dp := d.grants[gi].g.Depth; !slices.Contains(depths, dp) {
				depths = append(depths, dp)
			}
		}
		dp := rbPick(rng, depths)
		cands = slices.DeleteFunc(cands, func(gi int) bool { return d.grants[gi].g.Depth != dp })
		return within(rbPick(rng, cands))
	case "holder":
		return rbMake(a.a.Holder, a.a.ID, domain.RightProcessingUse, rbPick(rng, rbPurposes), rbPick(rng, rbForms), anyRegion(), false)
	case "no_grant":
		for {
			org := rbPick(rng, d.grantees)
			if !slices.ContainsFunc(a.grants, func(gi int) bool { return d.grants[gi].g.Grantee == org }) {
				return rbMake(org, a.a.ID, domain.RightProcessingUse, rbPick(rng, rbPurposes), rbPick(rng, rbForms[:4]), anyRegion(), false)
			}
		}
	case "not_active":
		cands := filter(func(gi int) bool { return d.grants[gi].g.State != domain.StateActive })
		if len(cands) == 0 {
			return d.checkOf(rng, ai, "no_grant")
		}
		return within(rbPick(rng, cands))
	case "not_yet":
		cands := filter(func(gi int) bool {
			g := &d.grants[gi].g
			return g.State == domain.StateActive && g.ValidFrom.After(d.now)
		})
		if len(cands) == 0 {
			return d.checkOf(rng, ai, "not_active")
		}
		return within(rbPick(rng, cands))
	case "purpose", "form", "region", "condition":
		cands := filter(func(gi int) bool {
			g := &d.grants[gi].g
			switch kind {
			case "purpose":
				return len(g.Scope.Purposes) < len(rbPurposes) && inForce(gi)
			case "form":
				return len(g.Scope.DeliveryForms) < 4 && inForce(gi)
			case "region":
				return len(g.Scope.Regions) > 0 && inForce(gi)
			}
			return len(d.chainConditions(gi)) > 0 && inForce(gi)
		})
		if len(cands) == 0 {
			return d.checkOf(rng, ai, "chain")
		}
		gi := rbPick(rng, cands)
		c := within(gi)
		g := &d.grants[gi].g
		switch kind {
		case "purpose":
			c.setPurpose(rbPick(rng, slices.DeleteFunc(slices.Clone(rbPurposes), func(p string) bool { return slices.Contains(g.Scope.Purposes, p) })))
		case "form":
			f := rbPick(rng, slices.DeleteFunc(slices.Clone(rbForms[:4]), func(f string) bool { return slices.Contains(g.Scope.DeliveryForms, f) }))
			in := c.input()
			c = rbMake(in.Organisation, in.AssetID, in.Right, in.Purpose, f, in.Region, c.context)
		case "region":
			region := ""
			if rng.IntN(2) == 0 {
				region = rbPick(rng, rbOutsideRegions)
			}
			c.setRegion(region)
		case "condition":
			c.context = false
			if conds := d.chainConditions(gi); slices.Equal(conds, []string{rbConditions[0]}) && len(g.Scope.Regions) == 0 {
				c.setRegion("110100")
			}
		}
		return c
	case "grade":
		if a.a.Grade == "GRADE_GENERAL" {
			return d.checkOf(rng, ai, "no_grant")
		}
		org := rbPick(rng, d.grantees)
		if len(a.grants) > 0 {
			org = d.grants[rbPick(rng, a.grants)].g.Grantee
		}
		return rbMake(org, a.a.ID, domain.RightProcessingUse, rbPick(rng, rbPurposes), domain.FormRawCopy, anyRegion(), false)
	case "unknown":
		return rbMake(rbPick(rng, d.grantees), rbPick(rng, d.unknown), domain.RightProcessingUse, rbPick(rng, rbPurposes), domain.FormAPI, anyRegion(), false)
	}
	panic("unknown kind " + kind)
}

// rbUnknownChecks are n checks on assets nobody registered (warm-up).
func rbUnknownChecks(n int) []rbCheck {
	out := make([]rbCheck, n)
	for i := range out {
		out[i] = rbMake("91350100M000100Y43", uuid.NewString(), domain.RightProcessingUse, "TRANSPORT", domain.FormAPI, "350100", false)
	}
	return out
}

// Answers, compared across modes: 1 holder, 2–4 allowed through a chain of 1–3 grants,
// 10+ a denial reason.
var rbReasons = []string{domain.DenyAssetUnknown, domain.DenyAssetSuspended, domain.DenyAssetEnded, domain.DenyNoGrant,
	domain.DenyGrantNotActive, domain.DenyOutsideValidity, domain.DenyPurpose, domain.DenyDeliveryForm, domain.DenyRegion,
	domain.DenyConditionFalse, domain.DenyGradePolicy, domain.DenyChainBroken}

func rbCodeOf(allowed, holder bool, chain int, reason string) uint8 {
	switch {
	case allowed && holder:
		return 1
	case allowed:
		return uint8(1 + min(chain, 8))
	}
	if i := slices.Index(rbReasons, reason); i >= 0 {
		return uint8(10 + i)
	}
	return 99
}

func rbCodeOfResponse(r *rightsv1.CheckResponse) uint8 {
	return rbCodeOf(r.GetAllowed(), r.GetHolder(), len(r.GetChain()), strings.TrimPrefix(r.GetDenialReason().String(), "DENIAL_REASON_"))
}

func rbCodeOfDecision(d domain.Decision) uint8 {
	return rbCodeOf(d.Allowed, d.Holder, len(d.Chain), d.Denial)
}

func rbCodeName(c uint8) string {
	switch {
	case c == 0:
		return "error"
	case c == 1:
		return "allowed (holder)"
	case c < 10:
		return fmt.Sprintf("allowed (chain of %d)", c-1)
	case int(c-10) < len(rbReasons):
		return rbReasons[c-10]
	}
	return "?"
}

func rbMix(res []uint8) string {
	counts := map[uint8]int{}
	allowed := 0
	for _, c := range res {
		counts[c]++
		if c > 0 && c < 10 {
			allowed++
		}
	}
	n := float64(max(1, len(res)))
	pc := func(k int) string { return fmt.Sprintf("%.1f%%", 100*float64(k)/n) }
	var parts []string
	for c := uint8(1); c < 10; c++ {
		if counts[c] > 0 {
			parts = append(parts, rbCodeName(c)+" "+pc(counts[c]))
		}
	}
	s := fmt.Sprintf("allowed %s (%s); denied %s (", pc(allowed), strings.Join(parts, ", "), pc(len(res)-allowed))
	parts = nil
	for c := uint8(10); c < 99; c++ {
		if counts[c] > 0 {
			parts = append(parts, rbCodeName(c)+" "+pc(counts[c]))
		}
	}
	return s + strings.Join(parts, ", ") + ")"
}

// ---------------------------------------------------------------------------------------
// Running.

type rbClient struct {
	c   rightsv1.RightsServiceClient
	h   healthpb.HealthClient // the floor: the same connection's health Check
	ctx context.Context
}

// rbPhase is one measured run of a list of checks.
type rbPhase struct {
	name     string
	lat      []time.Duration
	res      []uint8
	batch    int // checks per call (BatchCheck); lat is per call, res per check
	elapsed  time.Duration
	errs     atomic.Int64
	firstErr atomic.Value
	sorted   []time.Duration
	// cpu is where the CPU went meanwhile.
	cpu rbCPU
}

// rbCPU is a CPU reading: the host's busy and total jiffies (/proc/stat: every process,
// Postgres included), this process's user+system time, and its garbage collector's
// cycles and CPU time (runtime/metrics' estimate, assists included).
type rbCPU struct {
	hostBusy, hostTotal uint64
	self                time.Duration
	gcCycles            uint64
	gcCPU               time.Duration
}

func rbReadCPU() rbCPU {
	var c rbCPU
	gc := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(gc)
	c.gcCycles, c.gcCPU = gc[0].Value.Uint64(), time.Duration(gc[1].Value.Float64()*float64(time.Second))
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

func (c rbCPU) since(start rbCPU) rbCPU {
	return rbCPU{c.hostBusy - start.hostBusy, c.hostTotal - start.hostTotal, c.self - start.self,
		c.gcCycles - start.gcCycles, c.gcCPU - start.gcCPU}
}

// hostBusy is the share of the host's CPU time that was busy, in percent of all CPUs.
func (c rbCPU) hostBusyPct() float64 {
	if c.hostTotal == 0 {
		return 0
	}
	return 100 * float64(c.hostBusy) / float64(c.hostTotal)
}

// selfPerCheck is this process's CPU time per check (client and server alike), in µs.
func (p *rbPhase) selfPerCheck() float64 {
	return float64(p.cpu.self) / float64(time.Microsecond) / float64(max(1, p.checks()))
}

// checks is how many checks the phase answered: one per call, or batch per call.
func (p *rbPhase) checks() int { return len(p.lat) * max(1, p.batch) }

// gcPerCheck is the garbage collector's CPU time per check, in µs.
func (p *rbPhase) gcPerCheck() float64 {
	return float64(p.cpu.gcCPU) / float64(time.Microsecond) / float64(max(1, p.checks()))
}

// rate is in checks per second.
func (p *rbPhase) rate() float64 { return float64(p.checks()) / p.elapsed.Seconds() }

func (p *rbPhase) pct(q float64) time.Duration {
	if p.sorted == nil {
		p.sorted = slices.Clone(p.lat)
		slices.Sort(p.sorted)
	}
	return rbSortedPct(p.sorted, q)
}

func (p *rbPhase) fail(err error) {
	if p.errs.Add(1) == 1 {
		p.firstErr.Store(err.Error())
	}
}

func rbPct(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return rbSortedPct(s, q)
}

// rbSortedPct is the nearest-rank percentile q of sorted s.
func rbSortedPct(s []time.Duration, q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := int(q/100*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func rbMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rbClosed runs checks 0..n-1 on workers clients, each taking the next as soon as it has
// its answer.
func rbClosed(logf func(string, ...any), name string, n, workers int, op func(w, i int) (uint8, error)) *rbPhase {
	p := &rbPhase{name: name, lat: make([]time.Duration, n), res: make([]uint8, n)}
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := rbReadCPU()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				r, err := op(w, i)
				p.lat[i] = time.Since(t)
				p.res[i] = r
				if err != nil {
					p.fail(err)
				}
			}
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	p.cpu = rbReadCPU().since(cpu0)
	logf("%s: %d checks in %v", name, n, p.elapsed.Round(time.Millisecond))
	return p
}

// rbOpen issues checks 0..n-1 at rate per second on a fixed schedule, through workers
// clients (at most that many in flight). A check's latency runs from when it was due, if
// its client was still busy then (so a slow answer delays those behind it, as it would a
// real caller's), else from when it was sent.
func rbOpen(logf func(string, ...any), name string, n, workers int, rate float64, op func(w, i int) (uint8, error)) *rbPhase {
	p := &rbPhase{name: name, lat: make([]time.Duration, n), res: make([]uint8, n)}
	interval := time.Duration(float64(time.Second) / rate)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := rbReadCPU()
	start := time.Now().Add(5 * time.Millisecond)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				due := start.Add(time.Duration(i) * interval)
				from := due
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
					from = time.Now()
				}
				r, err := op(w, i)
				p.lat[i] = time.Since(from)
				p.res[i] = r
				if err != nil {
					p.fail(err)
				}
			}
		}()
	}
	wg.Wait()
	p.elapsed = time.Since(start)
	p.cpu = rbReadCPU().since(cpu0)
	logf("%s: %d checks in %v", name, n, p.elapsed.Round(time.Millisecond))
	return p
}

// ---------------------------------------------------------------------------------------
// Revocation.

// rbTrial is one revocation: a check allowed through a chain, and the grant of that chain
// to revoke.
type rbTrial struct {
	check   rbCheck
	grant   string // id of the grant to revoke
	grantor string
	depth   int // the chain's length
}

// rbPickTrials picks n trials on distinct assets: checks allowed through exactly one
// grant (the grantee has no other of that right on the asset), chains of depth 1, 2 and
// 3 in turn, revoking a random grant of the chain.
func rbPickTrials(b *testing.B, d *rbData, rng *rand.Rand, n int) []rbTrial {
	var out []rbTrial
	for _, ai := range rng.Perm(len(d.assets)) {
		if len(out) == n {
			break
		}
		want := 1 + len(out)%3
		a := &d.assets[ai]
		for _, gi := range a.grants {
			g := &d.grants[gi].g
			if g.Depth != want || !d.rbInForce(gi) || len(d.chainConditions(gi)) > 0 {
				continue
			}
			same := 0
			for _, o := range a.grants {
				if d.grants[o].g.Grantee == g.Grantee && d.grants[o].g.Right == g.Right {
					same++
				}
			}
			if same != 1 {
				continue
			}
			region := "350100"
			if len(g.Scope.Regions) > 0 {
				region = g.Scope.Regions[0]
			}
			t := rbTrial{check: rbMake(g.Grantee, a.a.ID, g.Right, g.Scope.Purposes[0], g.Scope.DeliveryForms[0], region, false), depth: g.Depth}
			// Revoke a random link of the chain.
			up := rng.IntN(g.Depth)
			ri := gi
			for range up {
				ri = d.grants[ri].parent
			}
			t.grant, t.grantor = d.grants[ri].g.ID, d.grants[ri].g.Grantor
			out = append(out, t)
			break
		}
	}
	if len(out) < n {
		b.Logf("only %d revocation trials found (wanted %d)", len(out), n)
	}
	return out
}

type rbRevocation struct {
	name            string
	lat             []time.Duration
	failed, skipped int
	// stale counts allowed answers to checks sent after the revocation had returned.
	stale int
	// calls are the durations of the revocations themselves (COMMIT, or the RPC).
	calls []time.Duration
}

// rbRevocations runs the four variants (SQL or RPC, idle or loaded), nTrials each.
func rbRevocations(ctx context.Context, b *testing.B, pool *pgxpool.Pool, key ed25519.PrivateKey, clients []rbClient,
	load func(w, i int) (uint8, error), nLoad int, trials []rbTrial, nTrials int) []*rbRevocation {
	probe := clients[0]
	var out []*rbRevocation
	next := 0
	for _, loaded := range []bool{false, true} {
		for _, viaRPC := range []bool{false, true} {
			v := &rbRevocation{name: "SQL UPDATE + COMMIT (NOTIFY only), idle"}
			if viaRPC {
				v.name = "RevokeGrant RPC (cascades), idle"
			}
			var stopLoad func()
			if loaded {
				v.name = strings.Replace(v.name, "idle", fmt.Sprintf("%d clients at full load", len(clients)-1), 1)
				stopLoad = rbBackground(clients[1:], load, nLoad)
			}
			for range nTrials {
				if next >= len(trials) {
					break
				}
				t := trials[next]
				next++
				lat, call, stale, err := rbRevokeOnce(ctx, pool, key, probe, t, viaRPC)
				switch {
				case errors.Is(err, errRbNotAllowed):
					v.skipped++
				case errors.Is(err, errRbNeverDenied):
					v.failed++
				case err != nil:
					b.Errorf("%s: %v", v.name, err)
				default:
					v.lat = append(v.lat, lat)
					v.calls = append(v.calls, call)
					if stale {
						v.stale++
					}
				}
			}
			if stopLoad != nil {
				stopLoad()
			}
			out = append(out, v)
		}
	}
	return out
}

// rbBackground runs the load on clients in a closed loop until the returned func is
// called. Its answers are not checked (grants are being revoked under it).
func rbBackground(clients []rbClient, load func(w, i int) (uint8, error), n int) func() {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = load(w+1, int(next.Add(1)%int64(n)))
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // up to speed
	return func() { close(stop); wg.Wait() }
}

var (
	errRbNotAllowed  = errors.New("the trial's check was not allowed before the revocation")
	errRbNeverDenied = errors.New("never denied")
)

// rbRevokeOnce checks t's check continuously on probe, revokes t's grant, and returns the
// time from COMMIT (SQL) or the RevokeGrant call (RPC) to the first denied answer, how
// long the COMMIT or the call took, and whether a check sent after the revocation
// returned was still allowed.
func rbRevokeOnce(ctx context.Context, pool *pgxpool.Pool, key ed25519.PrivateKey, probe rbClient, t rbTrial, viaRPC bool) (time.Duration, time.Duration, bool, error) {
	// Warm: the graph is cached and the check allowed.
	for range 3 {
		resp, err := probe.c.Check(probe.ctx, t.check.request())
		if err != nil {
			return 0, 0, false, err
		}
		if !resp.GetAllowed() {
			return 0, 0, false, errRbNotAllowed
		}
	}
	var (
		mu           sync.Mutex
		started      time.Time // revocation began (COMMIT sent, RPC called); zero before
		returned     time.Time // revocation returned
		deniedAt     time.Time
		staleAllowed bool
	)
	probeCtx, stopProbe := context.WithCancel(probe.ctx)
	defer stopProbe()
	done := make(chan error, 1)
	go func() {
		for {
			sent := time.Now()
			resp, err := probe.c.Check(probeCtx, t.check.request())
			recv := time.Now()
			if err != nil {
				done <- err
				return
			}
			mu.Lock()
			s, r := started, returned
			if resp.GetAllowed() {
				if !r.IsZero() && sent.After(r) {
					staleAllowed = true
				}
			} else {
				deniedAt = recv
			}
			mu.Unlock()
			switch {
			case !resp.GetAllowed() && s.IsZero():
				done <- fmt.Errorf("%s denied before the revocation: %s", rbStr(t.check.org), resp.GetDenialReason())
				return
			case !resp.GetAllowed():
				done <- nil
				return
			case !s.IsZero() && recv.Sub(s) > rbRevocationTimeout:
				done <- errRbNeverDenied
				return
			}
		}
	}()
	time.Sleep(time.Duration(2+rand.IntN(5)) * time.Millisecond)
	mark := func(p *time.Time) {
		mu.Lock()
		*p = time.Now()
		mu.Unlock()
	}
	if viaRPC {
		tok, err := auth.Mint(key, "bench", auth.Principal{Subject: "rights-admin@" + t.grantor, Organisation: t.grantor,
			Roles: []auth.Role{auth.RoleRightsAdmin}}, time.Hour)
		if err != nil {
			return 0, 0, false, err
		}
		actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
		mark(&started)
		_, err = probe.c.RevokeGrant(actx, &rightsv1.RevokeGrantRequest{Name: "grants/" + t.grant, Reason: "基准测试：合同终止"})
		mark(&returned)
		if err != nil {
			return 0, 0, false, err
		}
	} else {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return 0, 0, false, err
		}
		if _, err := tx.Exec(ctx, `UPDATE grants SET state = 'REVOKED', state_reason = 'benchmark', revision = revision + 1,
			update_time = now() WHERE id = $1`, t.grant); err != nil {
			_ = tx.Rollback(ctx)
			return 0, 0, false, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO grant_history (grant_id, revision, state, grantor_organisation, action, actor, reason, time)
			SELECT id, revision, state, grantor_organisation, 'revoke', 'benchmark', state_reason, update_time FROM grants WHERE id = $1`, t.grant); err != nil {
			_ = tx.Rollback(ctx)
			return 0, 0, false, err
		}
		mark(&started)
		err = tx.Commit(ctx)
		mark(&returned)
		if err != nil {
			return 0, 0, false, err
		}
	}
	if err := <-done; err != nil {
		return 0, 0, false, err
	}
	mu.Lock()
	defer mu.Unlock()
	return deniedAt.Sub(started), returned.Sub(started), staleAllowed, nil
}
