package devenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// defaultNATSPort is the NATS client port everybody expects.
const defaultNATSPort = 4222

// NATSOptions configures StartNATS.
type NATSOptions struct {
	DataDir string       // JetStream stores its streams in DataDir/nats, so they survive restarts
	Port    int          // client port on 127.0.0.1 (default 4222)
	Log     *slog.Logger // server logs go here only when it has debug enabled; nil discards
	// Config is a nats-server configuration (`yaosu nats-config`'s output: users,
	// permissions); the server listens on 127.0.0.1:Port and stores under DataDir/nats
	// whatever it says about those. Empty: no users, anyone on loopback may connect.
	Config string
}

// EmbeddedNATS is an in-process NATS server with JetStream.
type EmbeddedNATS struct {
	URL string // client URL, e.g. nats://127.0.0.1:4222
	// Shutdown stops the server and waits until it has; it is safe to call more than once.
	Shutdown func()
}

// StartNATS starts a NATS server with JetStream inside this process, listening on loopback
// only, and returns once it accepts clients.
func StartNATS(o NATSOptions) (*EmbeddedNATS, error) {
	if o.DataDir == "" {
		return nil, errors.New("devenv: nats needs a DataDir for its JetStream store")
	}
	if o.Port == 0 {
		o.Port = defaultNATSPort
	}
	dataDir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devenv: nats data dir: %w", err)
	}
	storeDir := filepath.Join(dataDir, "nats")
	if err := os.MkdirAll(storeDir, 0o755); err != nil {
		return nil, fmt.Errorf("devenv: nats store: %w", err)
	}

	// The server only reports a busy port through its logger and then waits out the whole
	// readiness timeout; asking first gives a clear error at once.
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devenv: nats: port %d on 127.0.0.1 is taken (another `yaosu dev`, or a NATS server?); "+
			"stop it or choose another port: %w", o.Port, err)
	}
	_ = l.Close()

	debug := o.Log != nil && o.Log.Enabled(context.Background(), slog.LevelDebug)
	opts := &server.Options{}
	if o.Config != "" {
		if err := opts.ProcessConfigString(o.Config); err != nil {
			return nil, fmt.Errorf("devenv: nats configuration: %w", err)
		}
	}
	opts.ServerName = "yaosu-dev"
	opts.Host, opts.Port = "127.0.0.1", o.Port
	opts.JetStream, opts.StoreDir = true, storeDir
	opts.NoSigs = true // signals belong to our process, which shuts the server down itself
	opts.NoLog, opts.Debug = !debug, debug
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("devenv: nats: %w", err)
	}
	if debug {
		s.SetLoggerV2(natsLogger{o.Log.With("component", "nats")}, true, false, false)
	}
	shutdown := func() {
		s.Shutdown()
		s.WaitForShutdown()
	}
	s.Start()
	// Start returns early, without the listener, when JetStream fails (a bad store dir);
	// without this check that would look like a 10 s timeout.
	if !s.JetStreamEnabled() {
		shutdown()
		return nil, fmt.Errorf("devenv: nats: JetStream did not start (store %s); run with debug logging for the reason", storeDir)
	}
	if !s.ReadyForConnections(10 * time.Second) {
		shutdown()
		return nil, fmt.Errorf("devenv: nats: server not ready for connections on %s within 10s", addr)
	}
	o.logger().Info("nats: embedded server started", "url", s.ClientURL(), "store", storeDir)
	return &EmbeddedNATS{URL: s.ClientURL(), Shutdown: shutdown}, nil
}

func (o NATSOptions) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// natsLogger sends the server's printf-style logs to slog. Fatalf does not exit: the
// server is a guest in our process.
type natsLogger struct{ log *slog.Logger }

var _ server.Logger = natsLogger{}

func (l natsLogger) Noticef(format string, v ...any) { l.log.Info(fmt.Sprintf(format, v...)) }
func (l natsLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l natsLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
