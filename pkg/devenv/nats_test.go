package devenv

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/messaging"
)

func TestStartNATS(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	n, err := StartNATS(NATSOptions{DataDir: t.TempDir(), Port: port, Log: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(n.Shutdown)

	nc, err := nats.Connect(n.URL)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "DEVENV", Subjects: []string{"devenv.>"}})
	require.NoError(t, err)
	_, err = js.Publish(ctx, "devenv.hello", []byte("hi"))
	require.NoError(t, err)
	msg, err := stream.GetMsg(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "devenv.hello", msg.Subject)
	require.Equal(t, []byte("hi"), msg.Data)

	// The second server must fail at once with a clear message, not after a timeout.
	start := time.Now()
	_, err = StartNATS(NATSOptions{DataDir: t.TempDir(), Port: port})
	require.ErrorContains(t, err, "is taken")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestStartNATSNeedsDataDir(t *testing.T) {
	t.Parallel()
	_, err := StartNATS(NATSOptions{Port: freePort(t)})
	require.ErrorContains(t, err, "DataDir")
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// testLogger sends logs to the test output, so a failure shows what devenv did.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// With a configuration (`yaosu nats-config`'s), the embedded server takes its users: the
// anonymous client is refused, a configured user gets in.
func TestStartNATSWithConfig(t *testing.T) {
	t.Parallel()
	creds := t.TempDir()
	users := messaging.NATSUsers([]messaging.ServiceAccess{{Service: "catalog"}})
	pubs := map[string]string{}
	for _, u := range users {
		pub, err := messaging.LoadOrCreateSeed(creds, u.Name, true)
		require.NoError(t, err)
		pubs[u.Name] = pub
	}
	conf, err := messaging.NATSServerConfig{Users: users, PublicKeys: pubs, Listen: "0.0.0.0:1", StoreDir: "/nonexistent"}.Text()
	require.NoError(t, err)
	n, err := StartNATS(NATSOptions{DataDir: t.TempDir(), Port: freePort(t), Config: conf})
	require.NoError(t, err, "listen and store_dir are the dev server's own")
	t.Cleanup(n.Shutdown)

	_, err = nats.Connect(n.URL)
	require.ErrorContains(t, err, "Authorization Violation")
	opts, err := messaging.NATSConnectOptions(creds, "catalog", messaging.NATSTLS{})
	require.NoError(t, err)
	nc, err := nats.Connect(n.URL, opts...)
	require.NoError(t, err)
	nc.Close()

	_, err = StartNATS(NATSOptions{DataDir: t.TempDir(), Port: freePort(t), Config: "authorization { users: ["})
	require.ErrorContains(t, err, "configuration")
}
