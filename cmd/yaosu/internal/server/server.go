// Package server assembles a yaosu process: telemetry and logging are set up by the
// caller; this package connects Postgres and JetStream, wires the chosen services onto
// one gRPC server, and runs them with their outbox relays until the context ends.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

// Options configure a Server.
type Options struct {
	Config   config.Config
	Services []string
	Log      *slog.Logger
	// Now is the services' clock; nil means time.Now.
	Now func() time.Time
}

// Server is a started yaosu process.
type Server struct {
	opts     Options
	lis      net.Listener
	grpc     *grpcserver.Server
	nc       *nats.Conn
	pools    []*pgxpool.Pool
	relays   []*messaging.Relay
	services []service
}

// Start connects everything and listens; Run serves. On error everything opened so far is closed.
func Start(ctx context.Context, o Options) (_ *Server, err error) {
	s := &Server{opts: o}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	cfg := o.Config
	verifier, err := Verifier(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.AuthMode == config.AuthModeDev {
		o.Log.Warn("dev authentication: anyone who can read the signing key in YAOSU_DATA_DIR mints tokens with any role; use YAOSU_AUTH_MODE=public-key in production",
			"key_file", filepath.Join(cfg.DataDir, auth.DevKeyFile))
	}
	serverOpts, clientCreds, err := transport(cfg, cfg.GRPCAddr, o.Log)
	if err != nil {
		return nil, err
	}
	pageKey, err := PageKey(cfg)
	if err != nil {
		return nil, err
	}
	s.nc, err = nats.Connect(cfg.NATSURL,
		nats.Name("yaosu"),
		nats.MaxReconnects(-1), // ride out outages; the outbox keeps what could not be sent
		nats.ReconnectWait(500*time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil on our own Close
				o.Log.Warn("disconnected from NATS", "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { o.Log.Info("reconnected to NATS", "url", c.ConnectedUrlRedacted()) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", cfg.NATSURL, err)
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, err
	}
	if _, err := messaging.EnsureStream(ctx, js, cfg.StreamReplicas, cfg.StreamDuplicateWindow); err != nil {
		return nil, err
	}
	s.grpc, err = grpcserver.New(o.Log, verifier, cfg.ShutdownTimeout, serverOpts...)
	if err != nil {
		return nil, err
	}
	// Listen before wiring the services: one that calls another service of this process
	// (scenario calls rights) dials this address.
	s.lis, err = net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.GRPCAddr, err)
	}
	for _, name := range o.Services {
		def := registry[name]
		pool, err := postgres.Connect(ctx, cfg.DatabaseURL, name, cfg.DatabaseMaxConns)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s.pools = append(s.pools, pool)
		log := o.Log.With("service", name)
		svc, err := def.build(deps{pool: pool, js: js, config: cfg, log: log, now: o.Now, addr: s.lis.Addr().String(), clientCreds: clientCreds, pageKey: pageKey})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		svc.Register(s.grpc)
		s.services = append(s.services, svc)
		relay, err := messaging.NewRelay(pool, js, messaging.RelayConfig{
			Schema: name, BatchSize: cfg.RelayBatchSize, PollInterval: cfg.RelayPollInterval,
		}, log)
		if err != nil {
			return nil, err
		}
		s.relays = append(s.relays, relay)
		for _, hn := range def.healthNames {
			s.grpc.SetServing(hn, true)
		}
	}
	s.grpc.SetServing("", true)
	return s, nil
}

// Addr is the address the gRPC server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Run serves until ctx ends, then stops gracefully: the gRPC server drains, the relays
// and services stop, connections close. A failing component stops the others.
func (s *Server) Run(ctx context.Context) error {
	defer s.close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.grpc.Serve(gctx, s.lis) })
	for _, r := range s.relays {
		g.Go(func() error { return r.Run(gctx) })
	}
	for _, svc := range s.services {
		g.Go(func() error { return svc.Run(gctx) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *Server) close() {
	if s.lis != nil {
		_ = s.lis.Close()
	}
	for _, p := range s.pools {
		p.Close()
	}
	if s.nc != nil {
		s.nc.Close()
	}
}
