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
	// CreateEventKeys creates the served services' event-signing keys that are missing
	// (`yaosu dev`); otherwise they must exist in the event keys directory.
	CreateEventKeys bool
}

// Server is a started yaosu process.
type Server struct {
	opts     Options
	lis      net.Listener
	grpc     *grpcserver.Server
	conns    []*nats.Conn
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
	if cfg.NATSCredentialsDir == "" {
		o.Log.Warn("NATS: no credentials (YAOSU_NATS_CREDENTIALS_DIR): connecting anonymously; a NATS server that lets anyone in " +
			"lets anyone read every event and publish on any subject (events are still verified by their signatures)")
	}
	// Event keys: each service signs with its own; all verify with every published key.
	keysDir := cfg.EventKeysDirectory()
	signing := map[string]*messaging.SigningKey{}
	for _, name := range o.Services {
		k, err := messaging.LoadOrCreateSigningKey(keysDir, name, o.CreateEventKeys)
		if err != nil {
			return nil, fmt.Errorf("%s: event key: %w (create the keys with `yaosu event-keys --create`)", name, err)
		}
		signing[name] = k
	}
	keyring, err := messaging.LoadKeyring(keysDir)
	if err != nil {
		return nil, err
	}
	// Every service's key must be known: a consumer terminates events it cannot verify,
	// so a missing key would silently drop that service's events for good.
	known := map[string]bool{}
	for _, k := range keyring.Keys() {
		known[k.Service] = true
	}
	for _, name := range ServiceNames() {
		if !known[name] {
			return nil, fmt.Errorf("event keys: no %s.pub in %s: every process needs every service's public key "+
				"to verify its events (copy it from where that service runs)", name, keysDir)
		}
	}
	for _, k := range signing {
		if _, err := keyring.Verify(messaging.NATSSubject(k.Service+".x"), nil, k.Sign(messaging.NATSSubject(k.Service+".x"), nil)); err != nil {
			return nil, fmt.Errorf("event keys: %s.pub in %s does not match %s.key: %w", k.Service, keysDir, k.Service, err)
		}
	}
	// One NATS connection per service, as its own NATS user.
	streams := map[string]jetstream.JetStream{}
	for _, name := range o.Services {
		nc, err := connectNATS(cfg, name, o.Log)
		if err != nil {
			return nil, err
		}
		s.conns = append(s.conns, nc)
		if streams[name], err = jetstream.New(nc); err != nil {
			return nil, err
		}
	}
	if len(s.conns) > 0 {
		first := streams[o.Services[0]]
		if err := messaging.CheckNATSServer(ctx, s.conns[0], first); err != nil {
			return nil, err
		}
		admin, err := hasAdminSeed(cfg)
		if err != nil {
			return nil, err
		}
		if admin || cfg.NATSCredentialsDir == "" {
			err = ProvisionStream(ctx, cfg, o.Log)
		} else {
			err = requireStream(ctx, first)
		}
		if err != nil {
			return nil, err
		}
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
		svc, err := def.build(deps{pool: pool, js: streams[name], eventKeys: keyring, config: cfg, log: log, now: o.Now,
			addr: s.lis.Addr().String(), clientCreds: clientCreds, pageKey: pageKey})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		svc.Register(s.grpc)
		s.services = append(s.services, svc)
		relay, err := messaging.NewRelay(pool, streams[name], messaging.RelayConfig{
			Schema: name, BatchSize: cfg.RelayBatchSize, PollInterval: cfg.RelayPollInterval, Key: signing[name],
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
	for _, nc := range s.conns {
		nc.Close()
	}
}
