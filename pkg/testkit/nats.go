package testkit

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATS is an in-process nats-server with JetStream, on a loopback port of its own. It can
// be stopped and started again on the same port and store, to test outages.
type NATS struct {
	t      testing.TB
	port   int
	dir    string
	config string
	Server *server.Server
}

// StartNATS starts a JetStream server for this test; it is shut down when the test ends.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	return StartNATSWithConfig(t, "")
}

// StartNATSWithConfig starts a JetStream server configured by config (nats-server's
// configuration format, e.g. `yaosu nats-config`'s output: users, permissions, TLS); its
// host, port and store are the test's own.
func StartNATSWithConfig(t testing.TB, config string) *NATS {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	n := &NATS{t: t, port: port, dir: t.TempDir(), config: config}
	n.Start()
	t.Cleanup(n.Stop)
	return n
}

// URL is the client URL.
func (n *NATS) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// Start (re)starts the server on its port and store directory.
func (n *NATS) Start() {
	n.t.Helper()
	opts := &server.Options{}
	if n.config != "" {
		if err := opts.ProcessConfigString(n.config); err != nil {
			n.t.Fatalf("testkit: nats config: %v", err)
		}
	}
	opts.Host, opts.Port, opts.JetStream, opts.StoreDir, opts.NoLog, opts.NoSigs = "127.0.0.1", n.port, true, n.dir, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		n.t.Fatalf("testkit: nats server: %v", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		n.t.Fatal("testkit: nats server not ready")
	}
	n.Server = s
}

// Stop shuts the server down (idempotent).
func (n *NATS) Stop() {
	if n.Server != nil {
		n.Server.Shutdown()
		n.Server.WaitForShutdown()
		n.Server = nil
	}
}
