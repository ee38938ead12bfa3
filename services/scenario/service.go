// Package scenario is the scenario service: application scenarios (应用场景) that use data
// assets, their lifecycle, and links of assets to them that rest on grants the rights
// service checks. cmd/yaosu wires it in through New and Register.
package scenario

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/pkg/schedule"
	"yaosu.dev/services/scenario/internal/app"
	"yaosu.dev/services/scenario/internal/grpcapi"
	"yaosu.dev/services/scenario/internal/store"
)

// Name is the service's name in `yaosu serve` and its Postgres schema.
const Name = app.ServiceName

// ConsumerName is the durable consumer of rights and catalog events (and its
// processed_events key).
const ConsumerName = "scenario-rights"

// RightsChecker is the rights service's Check and GetGrant; a rightsv1.RightsServiceClient
// is one.
type RightsChecker interface {
	Check(ctx context.Context, req *rightsv1.CheckRequest, opts ...grpc.CallOption) (*rightsv1.CheckResponse, error)
	GetGrant(ctx context.Context, req *rightsv1.GetGrantRequest, opts ...grpc.CallOption) (*rightsv1.GetGrantResponse, error)
}

// Deps are what the scenario service needs from the process.
type Deps struct {
	// Pool is a pool whose search_path is the scenario schema.
	Pool *pgxpool.Pool
	// JS is the JetStream the rights and catalog events arrive on; nil runs without the
	// consumer.
	JS jetstream.JetStream
	// EventKeys verifies the events the consumer reads (required with JS): only events
	// signed by the service that owns their subject are applied.
	EventKeys *messaging.Keyring
	Log       *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rights answers the checks LinkAsset needs. Each call carries the caller's own bearer
	// token (an organisation may check for itself).
	Rights RightsChecker
	// RightsConn, if set, is closed when Run returns (the connection Rights uses).
	RightsConn io.Closer
	// MonitorInterval is how often the scheduled monitoring rules and the retention purge
	// run; 0 means app.DefaultMonitorInterval.
	MonitorInterval time.Duration
	// SpikeFactor, UsageRetention: see app.Config; 0 means app.DefaultConfig's.
	SpikeFactor    float64
	UsageRetention time.Duration
	// PageKey authenticates list page tokens; every replica must share it. Zero: a random
	// key of this process (tests; tokens then fail after a restart or on another replica).
	PageKey paging.Key
}

// Service is a wired scenario service.
type Service struct {
	d        Deps
	app      *app.App
	api      *grpcapi.Server
	consumer *messaging.Consumer
}

// New wires the scenario service: store → app → gRPC adapter, and the consumer.
func New(d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.JS != nil && d.EventKeys == nil {
		return nil, errors.New("scenario: EventKeys is required to consume events")
	}
	cfg := app.DefaultConfig
	if d.SpikeFactor > 0 {
		cfg.SpikeFactor = d.SpikeFactor
	}
	if d.UsageRetention > 0 {
		cfg.Retention = d.UsageRetention
	}
	if d.MonitorInterval <= 0 {
		d.MonitorInterval = app.DefaultMonitorInterval
	}
	cfg.PageKey = d.PageKey
	if cfg.PageKey.IsZero() {
		cfg.PageKey = paging.RandomKey()
	}
	a := app.New(store.New(d.Pool), forwarding{d.Rights}, d.Now, d.Log, cfg)
	s := &Service{d: d, app: a, api: grpcapi.New(a)}
	if d.JS != nil {
		subjects := make([]string, 0, len(app.ConsumedEventTypes()))
		for _, t := range app.ConsumedEventTypes() {
			subjects = append(subjects, messaging.NATSSubject(t))
		}
		s.consumer = messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{Name: ConsumerName,
			FilterSubjects: subjects, Keyring: d.EventKeys}, a.HandleEvent, d.Log)
	}
	return s, nil
}

// forwarding calls the rights service with the incoming request's own credentials.
type forwarding struct{ rights RightsChecker }

func (f forwarding) Check(ctx context.Context, req *rightsv1.CheckRequest) (*rightsv1.CheckResponse, error) {
	return f.rights.Check(withCallerToken(ctx), req)
}

func (f forwarding) GetGrant(ctx context.Context, req *rightsv1.GetGrantRequest) (*rightsv1.GetGrantResponse, error) {
	return f.rights.GetGrant(withCallerToken(ctx), req)
}

// withCallerToken forwards the incoming request's bearer token: the rights service
// authorises the caller itself, not this service.
func withCallerToken(ctx context.Context) context.Context {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v[0])
		}
	}
	return ctx
}

// Register adds the scenario API to gs.
func (s *Service) Register(gs grpc.ServiceRegistrar) {
	scenariov1.RegisterScenarioServiceServer(gs, s.api)
}

// ServiceNames are the full gRPC service names the scenario service registers.
func ServiceNames() []string { return []string{scenariov1.ScenarioService_ServiceDesc.ServiceName} }

// Run runs the background work until ctx ends: the rights and catalog consumer, and the
// monitor (scheduled rules, retention). Every replica runs the monitor; a pass that
// finds another replica's pass running skips.
func (s *Service) Run(ctx context.Context) error {
	if s.d.RightsConn != nil {
		defer s.d.RightsConn.Close()
	}
	g, ctx := errgroup.WithContext(ctx)
	if s.consumer != nil {
		g.Go(func() error { return s.consumer.Run(ctx) })
	}
	g.Go(func() error {
		return schedule.Every(ctx, s.d.MonitorInterval, s.d.Log, "scenario monitor pass", func(ctx context.Context) error {
			_, err := s.app.Monitor(ctx)
			return err
		})
	})
	return g.Wait()
}
