package chaos

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/devenv"
	"yaosu.dev/pkg/testkit"
)

// issuer is the `iss` the replicas require of bearer tokens in this run.
const issuer = "yaosu-chaos"

// harness is a deployment on loopback: a private Postgres cluster this test starts and
// restarts, a NATS server with JetStream it stops and starts, and yaosu replicas as
// separate processes (`yaosu serve all`) it kills.
type harness struct {
	t        *testing.T
	dir      string
	bin      string
	pgOpts   devenv.PostgresOptions
	pg       *devenv.Postgres
	dsn      string
	nats     *testkit.NATS
	creds    string // the NATS users' seeds
	key      ed25519.PrivateKey
	replicas []*replica
	// firstForged is the stream sequence of the first forgery the broker let through.
	firstForged uint64
	// verifierKey is the audit log's checkpoint key (pinned by the auditor).
	verifierKey string
}

// replica is one `yaosu serve all` process and a client connection to it that reconnects
// across the process's restarts.
type replica struct {
	h    *harness
	name string
	env  []string // overrides of the run's environment
	addr string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	conn *grpc.ClientConn
	// services it serves, as last started (a restart after kill -9 serves the same).
	services []string
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// buildYaosu builds the server binary once per run.
func buildYaosu(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "yaosu")
	out, err := exec.Command("go", "build", "-o", bin, "yaosu.dev/cmd/yaosu").CombinedOutput()
	if err != nil {
		t.Fatalf("build yaosu: %v\n%s", err, out)
	}
	return bin
}

func newHarness(t *testing.T, replicas int) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// Postgres refuses to run as root; the private cluster then runs as the postgres OS
	// user, which must be able to reach its data directory under ours.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, dir: dir, bin: buildYaosu(t, dir)}

	// A private cluster of our own: the test restarts it, which it must never do to a
	// server other tests share.
	h.pgOpts = devenv.PostgresOptions{DataDir: filepath.Join(dir, "pg"), Port: freePort(t), Mode: "private"}
	pg, err := devenv.EnsurePostgres(ctx, h.pgOpts)
	if err != nil {
		t.Fatalf("private postgres: %v", err)
	}
	h.pg = pg
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
		defer scancel()
		_ = h.pg.Stop(sctx)
	})
	admin, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE yaosu"); err != nil {
		t.Fatal(err)
	}
	_ = admin.Close(ctx)
	h.dsn = strings.Replace(pg.URL, "/postgres?", "/yaosu?", 1)
	// NATS as production runs it: `yaosu nats-config` users (a user per service, the
	// admin, the auditor; anonymous clients refused), and every service's event key.
	h.creds = filepath.Join(dir, "nats-credentials")
	natsConf, err := h.command("nats-config", "--create").Output()
	if err != nil {
		t.Fatalf("yaosu nats-config: %v", err)
	}
	h.nats = testkit.StartNATSWithConfig(t, string(natsConf))
	if out, err := h.command("event-keys", "--create", "all").CombinedOutput(); err != nil {
		t.Fatalf("yaosu event-keys: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "page-token.key"), []byte(rand.Text()+rand.Text()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	_, h.key, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(h.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jwt.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := h.command("migrate", "all").CombinedOutput(); err != nil {
		t.Fatalf("yaosu migrate: %v\n%s", err, out)
	}
	for i := range replicas {
		r := h.newReplica(fmt.Sprint(i))
		h.replicas = append(h.replicas, r)
		// One at a time: the first start creates the shared signing keys.
		r.start("all")
		r.waitHealthy(time.Minute)
	}
	t.Cleanup(func() {
		for _, r := range h.replicas {
			r.stop()
			_ = r.conn.Close()
		}
	})
	return h
}

// env is the replicas' environment: everything explicit, as in production.
func (h *harness) env(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + h.dir,
		"DATABASE_URL=" + h.dsn,
		"YAOSU_DATA_DIR=" + filepath.Join(h.dir, "data"),
		"YAOSU_NATS_CREDENTIALS_DIR=" + h.creds,
		"YAOSU_EVENT_KEYS_DIR=" + filepath.Join(h.dir, "event-keys"),
		"YAOSU_PAGE_TOKEN_KEY_FILE=" + filepath.Join(h.dir, "page-token.key"),
		"YAOSU_AUTH_MODE=public-key",
		"YAOSU_JWT_PUBLIC_KEY_FILE=" + filepath.Join(h.dir, "jwt.pub"),
		"YAOSU_JWT_ISSUER=" + issuer,
		"YAOSU_LOG_LEVEL=info",
		"YAOSU_CATALOG_PUBLICITY_DURATION=1s",
		"YAOSU_CATALOG_SCHEDULER_INTERVAL=200ms",
		"YAOSU_SHUTDOWN_TIMEOUT=2s",
		"YAOSU_AUDIT_CHECKPOINT_INTERVAL=2s",
	}
	if h.nats != nil { // nil while `yaosu nats-config` writes the server's configuration
		env = append(env, "NATS_URL="+h.nats.URL())
	}
	return append(env, extra...)
}

func (h *harness) command(args ...string) *exec.Cmd {
	c := exec.Command(h.bin, args...)
	c.Env = h.env()
	return c
}

// newReplica prepares a replica on a free loopback port; env overrides the run's settings.
func (h *harness) newReplica(name string, env ...string) *replica {
	h.t.Helper()
	r := &replica{h: h, name: name, env: env, addr: fmt.Sprintf("127.0.0.1:%d", freePort(h.t)),
		log: filepath.Join(h.dir, "replica-"+name+".log")}
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		h.t.Fatal(err)
	}
	r.conn = conn
	return r
}

// start runs `yaosu serve <services>`.
func (r *replica) start(services ...string) {
	r.h.t.Helper()
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		r.h.t.Fatal(err)
	}
	if len(services) == 0 {
		services = []string{"all"}
	}
	r.services = services
	r.cmd = exec.Command(r.h.bin, append([]string{"serve"}, services...)...)
	r.cmd.Env = r.h.env(append([]string{"YAOSU_GRPC_ADDR=" + r.addr}, r.env...)...)
	r.cmd.Stdout, r.cmd.Stderr = f, f
	if err := r.cmd.Start(); err != nil {
		r.h.t.Fatal(err)
	}
	done := make(chan struct{})
	r.done = done
	go func(c *exec.Cmd) {
		_ = c.Wait()
		_ = f.Close()
		close(done)
	}(r.cmd)
}

// kill sends SIGKILL and waits for the process to be gone.
func (r *replica) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// stop asks the process to stop and kills it if it has not within 10 s.
func (r *replica) stop() { r.signal(os.Interrupt) }

// dump makes the Go runtime write every goroutine's stack to the replica's log (SIGQUIT)
// and waits for the process to end: where a stuck replica waits, for the failure report.
func (r *replica) dump() { r.signal(syscall.SIGQUIT) }

// signal sends sig and waits for the process to end, killing it after 10 s.
func (r *replica) signal(sig os.Signal) {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(sig)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd = nil
}

// exited reports whether the process has ended by itself.
func (r *replica) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// keepLogs copies the replicas' logs to $YAOSU_CHAOS_LOGS (if set) before the test's
// directory is removed, for a failure to be read afterwards.
func (h *harness) keepLogs() {
	dst := os.Getenv("YAOSU_CHAOS_LOGS")
	if dst == "" {
		return
	}
	_ = os.MkdirAll(dst, 0o755)
	logs, _ := filepath.Glob(filepath.Join(h.dir, "replica-*.log"))
	for _, l := range logs {
		if b, err := os.ReadFile(l); err == nil {
			_ = os.WriteFile(filepath.Join(dst, filepath.Base(l)), b, 0o644)
		}
	}
}

func (r *replica) tail() string {
	b, _ := os.ReadFile(r.log)
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// waitHealthy waits until the replica answers health SERVING.
func (r *replica) waitHealthy(within time.Duration) time.Duration {
	r.h.t.Helper()
	start := time.Now()
	hc := healthpb.NewHealthClient(r.conn)
	err := poll(within, 25*time.Millisecond, func() bool {
		if r.exited() {
			r.h.t.Fatalf("replica %s exited:\n%s", r.name, r.tail())
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	if err != nil {
		r.h.t.Fatalf("replica %s not healthy after %s:\n%s", r.name, within, r.tail())
	}
	return time.Since(start)
}

// as returns ctx carrying a bearer token for a principal of org with roles.
func (h *harness) as(ctx context.Context, org string, roles ...auth.Role) context.Context {
	tok, err := auth.Mint(h.key, issuer, auth.Principal{Subject: "chaos-" + string(roles[0]), Organisation: org, Roles: roles}, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// poll calls cond every interval until it holds or within has passed.
func poll(within, interval time.Duration, cond func() bool) error {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %s", within)
		}
		<-tick.C
	}
}

// restartPostgres stops the cluster with a fast shutdown (every session gets 57P01) and
// starts it again, like `pg_ctlcluster restart -m fast`; it returns how long it was down.
func (h *harness) restartPostgres() time.Duration {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	if err := h.pg.Stop(ctx); err != nil {
		h.t.Fatalf("stop postgres: %v", err)
	}
	pg, err := devenv.EnsurePostgres(ctx, h.pgOpts)
	if err != nil {
		h.t.Fatalf("start postgres: %v", err)
	}
	h.pg = pg
	return time.Since(start)
}

// db opens a connection to the deployment's database for the checks.
func (h *harness) db(ctx context.Context) *pgx.Conn {
	h.t.Helper()
	var conn *pgx.Conn
	err := poll(30*time.Second, 100*time.Millisecond, func() bool {
		c, err := pgx.Connect(ctx, h.dsn)
		conn = c
		return err == nil
	})
	if err != nil {
		h.t.Fatalf("connect for checks: %v", err)
	}
	return conn
}

// counter counts gRPC status codes seen by the load, safely from many goroutines.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[k]++
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}
