package rights_test

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
)

// The rights benchmark's callers in a separate process. Internal systems call Check from
// their own processes (usually their own machines): with the clients in the benchmark's
// process, their goroutines share the server's scheduler, its run queues, its network
// poller and its garbage collector, and a check's latency includes waiting behind them.
// A second process, started from this same test binary, puts them where a caller is: in
// another Go runtime, on the same 2 CPUs (so their CPU still counts against the host).
//
// The parent writes the orders (address, tokens, the marshalled requests, the phases) to
// a file and starts the binary with rbDriverEnv naming it. For each phase the driver
// dials its connections, warms them up, says it is ready and waits for a byte on stdin,
// so the parent can read its own CPU counters exactly around the measured run; then it
// runs the phase with the same loops as the in-process phases (rbClosed, rbOpen) and
// sends the outcome back on stdout (gob).

// rbDriverEnv names the orders file of a driver process.
const rbDriverEnv = "YAOSU_BENCH_RIGHTS_DRIVER"

func TestMain(m *testing.M) {
	if orders := os.Getenv(rbDriverEnv); orders != "" {
		if err := rbDrive(orders, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench driver:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type rbOrders struct {
	Addr     string
	Tokens   []string // one per client
	Warm     [][]byte // CheckRequests for warming connections up
	Requests [][]byte // CheckRequests, the list every Check phase runs
	Phases   []rbOrder
}

// rbOrder is one phase: Conns connections shared by the clients; a closed loop (Rate 0)
// or an open loop at Rate checks/s; Floor: health Check instead of Check (no
// authentication, no work: what the same stack costs by itself).
type rbOrder struct {
	Name  string
	Conns int
	Rate  float64
	Floor bool
	N     int // how many calls (the list wraps around)
}

// rbDriverMsg goes from the driver to the parent: Ready (a phase is warm and waits for
// the byte), then Outcome.
type rbDriverMsg struct {
	Ready   string
	Outcome *rbOutcome
}

type rbOutcome struct {
	Lat              []time.Duration
	Res              []uint8
	Elapsed          time.Duration
	CPU              time.Duration // the driver's user+system time during the run
	GCCycles         uint64
	GCCPU            time.Duration
	Errs             int64
	FirstErr         string
	Clients, Workers int
}

func rbDrive(ordersFile string, in io.Reader, out io.Writer) error {
	f, err := os.Open(ordersFile)
	if err != nil {
		return err
	}
	var o rbOrders
	err = gob.NewDecoder(f).Decode(&o)
	_ = f.Close()
	if err != nil {
		return err
	}
	decode := func(raw [][]byte) ([]*rightsv1.CheckRequest, error) {
		reqs := make([]*rightsv1.CheckRequest, len(raw))
		for i, r := range raw {
			reqs[i] = &rightsv1.CheckRequest{}
			if err := proto.Unmarshal(r, reqs[i]); err != nil {
				return nil, err
			}
		}
		return reqs, nil
	}
	warm, err := decode(o.Warm)
	if err != nil {
		return err
	}
	reqs, err := decode(o.Requests)
	if err != nil {
		return err
	}
	o.Warm, o.Requests = nil, nil
	enc := gob.NewEncoder(out)
	quiet := func(string, ...any) {}
	for _, ph := range o.Phases {
		conns := make([]*grpc.ClientConn, ph.Conns)
		for i := range conns {
			if conns[i], err = grpc.NewClient(o.Addr, grpc.WithTransportCredentials(insecure.NewCredentials())); err != nil {
				return err
			}
		}
		op := func(list []*rightsv1.CheckRequest) func(w, i int) (uint8, error) {
			checks := make([]rightsv1.RightsServiceClient, len(o.Tokens))
			health := make([]healthpb.HealthClient, len(o.Tokens))
			ctxs := make([]context.Context, len(o.Tokens))
			for w, tok := range o.Tokens {
				checks[w] = rightsv1.NewRightsServiceClient(conns[w%len(conns)])
				health[w] = healthpb.NewHealthClient(conns[w%len(conns)])
				ctxs[w] = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
			}
			if ph.Floor {
				return func(w, _ int) (uint8, error) {
					_, err := health[w].Check(ctxs[w], &healthpb.HealthCheckRequest{})
					return 0, err
				}
			}
			return func(w, i int) (uint8, error) {
				resp, err := checks[w].Check(ctxs[w], list[i%len(list)])
				if err != nil {
					return 0, err
				}
				return rbCodeOfResponse(resp), nil
			}
		}
		if w := rbClosed(quiet, "warm-up", len(warm), len(o.Tokens), op(warm)); w.errs.Load() > 0 {
			return fmt.Errorf("warm-up: %v", w.firstErr.Load())
		}
		if err := enc.Encode(rbDriverMsg{Ready: ph.Name}); err != nil {
			return err
		}
		if _, err := io.ReadFull(in, make([]byte, 1)); err != nil {
			return err
		}
		cpu0, gc0, gcCPU0 := rbProcessCPU()
		var p *rbPhase
		if ph.Rate > 0 {
			p = rbOpen(quiet, ph.Name, ph.N, len(o.Tokens), ph.Rate, op(reqs))
		} else {
			p = rbClosed(quiet, ph.Name, ph.N, len(o.Tokens), op(reqs))
		}
		cpu1, gc1, gcCPU1 := rbProcessCPU()
		oc := &rbOutcome{Lat: p.lat, Res: p.res, Elapsed: p.elapsed, CPU: cpu1 - cpu0, GCCycles: gc1 - gc0, GCCPU: gcCPU1 - gcCPU0,
			Errs: p.errs.Load()}
		if e, ok := p.firstErr.Load().(string); ok {
			oc.FirstErr = e
		}
		for _, c := range conns {
			_ = c.Close()
		}
		if err := enc.Encode(rbDriverMsg{Outcome: oc}); err != nil {
			return err
		}
	}
	return nil
}

// rbProcessCPU is this process's user+system time and its garbage collector's cycles and
// CPU time.
func rbProcessCPU() (time.Duration, uint64, time.Duration) {
	gc := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(gc)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), gc[0].Value.Uint64(), time.Duration(gc[1].Value.Float64() * float64(time.Second))
}

// rbSeparate runs the phases in a driver process, clients tokens[w] for w = 0..len-1, and
// returns one rbPhase per order. A phase's CPU is both processes' (server and clients, as
// in the in-process phases) and its GC figures are both processes' collections.
func rbSeparate(b *testing.B, addr string, tokens []string, warm, list []rbCheck, orders []rbOrder) []*rbPhase {
	b.Helper()
	marshal := func(cs []rbCheck) [][]byte {
		raw := make([][]byte, len(cs))
		for i, c := range cs {
			var err error
			if raw[i], err = proto.Marshal(c.request()); err != nil {
				b.Fatal(err)
			}
		}
		return raw
	}
	ordersFile := filepath.Join(b.TempDir(), "orders.gob")
	f, err := os.Create(ordersFile)
	if err != nil {
		b.Fatal(err)
	}
	err = gob.NewEncoder(f).Encode(rbOrders{Addr: addr, Tokens: tokens, Warm: marshal(warm), Requests: marshal(list), Phases: orders})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), rbDriverEnv+"="+ordersFile)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	dec := gob.NewDecoder(stdout)
	var phases []*rbPhase
	var runErr error
	for _, o := range orders {
		var ready, done rbDriverMsg
		if runErr = dec.Decode(&ready); runErr != nil {
			break
		}
		cpu0 := rbReadCPU()
		if _, runErr = stdin.Write([]byte{1}); runErr != nil {
			break
		}
		if runErr = dec.Decode(&done); runErr != nil {
			break
		}
		if done.Outcome == nil {
			runErr = errors.New("the driver sent no outcome")
			break
		}
		oc := done.Outcome
		p := &rbPhase{name: o.Name, lat: oc.Lat, res: oc.Res, elapsed: oc.Elapsed, cpu: rbReadCPU().since(cpu0)}
		p.cpu.self += oc.CPU
		p.cpu.gcCycles += oc.GCCycles
		p.cpu.gcCPU += oc.GCCPU
		if oc.Errs > 0 {
			p.errs.Store(oc.Errs)
			p.firstErr.Store(oc.FirstErr)
		}
		b.Logf("%s: %d calls in %v", o.Name, len(p.lat), p.elapsed.Round(time.Millisecond))
		phases = append(phases, p)
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		b.Fatalf("client process: %v", runErr)
	}
	return phases
}
