// Package rights is the rights service: who holds which right over a registered data
// asset, grants of processing-use and product-operation, and fast checks for internal
// systems. cmd/yaosu wires it in through New and Register.
package rights

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/services/rights/internal/app"
	"yaosu.dev/services/rights/internal/check"
	"yaosu.dev/services/rights/internal/grpcapi"
	"yaosu.dev/services/rights/internal/store"
)

// Name is the service's name in `yaosu serve` and its Postgres schema.
const Name = app.ServiceName

// ConsumerName is the durable consumer of catalog events (and its processed_events key).
const ConsumerName = "rights-catalog"

// Deps are what the rights service needs from the process.
type Deps struct {
	// Pool is a pool whose search_path is the rights schema.
	Pool *pgxpool.Pool
	// JS is the JetStream the catalog's events arrive on; nil runs without the consumer
	// (tests that feed events themselves).
	JS jetstream.JetStream
	// EventKeys verifies the events the consumer reads (required with JS): only events
	// signed by the service that owns their subject are applied.
	EventKeys *messaging.Keyring
	Log       *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ExpiryInterval is how often grants past their window are expired (default 1m).
	ExpiryInterval time.Duration
	// DenialFlushInterval is how often denied checks are published as one
	// rights.check.denied event (default 10s).
	DenialFlushInterval time.Duration
	// PageKey authenticates list page tokens; every replica must share it. Zero: a random
	// key of this process (tests; tokens then fail after a restart or on another replica).
	PageKey paging.Key
}

// Service is a wired rights service.
type Service struct {
	d        Deps
	app      *app.App
	api      *grpcapi.Server
	checker  *check.Checker
	consumer *messaging.Consumer
}

// New wires the rights service: store → checker → app → gRPC adapter.
func New(d Deps) (*Service, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.ExpiryInterval <= 0 {
		d.ExpiryInterval = time.Minute
	}
	if d.JS != nil && d.EventKeys == nil {
		return nil, errors.New("rights: EventKeys is required to consume events")
	}
	if d.DenialFlushInterval <= 0 {
		d.DenialFlushInterval = 10 * time.Second
	}
	if d.PageKey.IsZero() {
		d.PageKey = paging.RandomKey()
	}
	st := store.New(d.Pool)
	cond := check.NewConditions(0, 0)
	checker := check.New(st, d.Pool, check.WithNow(d.Now), check.WithLogger(d.Log), check.WithConditions(cond.Eval))
	st.AfterCommit(func(assets []string) {
		for _, id := range assets {
			checker.Invalidate(id)
		}
	})
	a := app.New(st, checker, cond, d.PageKey, d.Now, d.Log)
	s := &Service{d: d, app: a, api: grpcapi.New(a), checker: checker}
	if d.JS != nil {
		s.consumer = messaging.NewConsumer(d.Pool, d.JS, messaging.ConsumerConfig{Name: ConsumerName,
			FilterSubjects: catalogSubjects(), Stale: a.HandleStaleCatalogEvent, Keyring: d.EventKeys}, a.HandleCatalogEvent, d.Log)
	}
	return s, nil
}

func catalogSubjects() []string {
	out := make([]string, len(app.CatalogEventTypes))
	for i, t := range app.CatalogEventTypes {
		out[i] = messaging.NATSSubject(t)
	}
	return out
}

// Register adds the rights API to gs. On a Yaosu server (grpcserver.Server) it also sets
// the options of the high-rate checks (grpcapi.MethodOptions): hand-written validation,
// sampled log lines and traces.
func (s *Service) Register(gs grpc.ServiceRegistrar) {
	rightsv1.RegisterRightsServiceServer(gs, s.api)
	if ys, ok := gs.(*grpcserver.Server); ok {
		for method, o := range grpcapi.MethodOptions() {
			if err := ys.SetMethodOptions(method, o); err != nil {
				s.d.Log.Error("rights: method options not set", "grpc_method", method, "error", err)
			}
		}
	}
}

// ServiceNames are the full gRPC service names the rights service registers.
func ServiceNames() []string { return []string{rightsv1.RightsService_ServiceDesc.ServiceName} }

// Run runs the background work until ctx ends: the catalog consumer, the checker's cache
// invalidation listener, the expiry job and the denial flusher.
func (s *Service) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if s.consumer != nil {
		g.Go(func() error { return s.consumer.Run(ctx) })
	}
	g.Go(func() error { return s.checker.Run(ctx) })
	g.Go(func() error { return s.app.RunExpiry(ctx, s.d.ExpiryInterval) })
	g.Go(func() error { return s.checker.RunDenialFlusher(ctx, s.d.DenialFlushInterval, s.app.WriteDenials) })
	return g.Wait()
}

// ExpireDue runs the expiry job once now (tests drive it with an injected clock).
func (s *Service) ExpireDue(ctx context.Context) (int, error) { return s.app.ExpireDue(ctx) }

// CheckerReady is closed once the checker's cache invalidation listener is connected.
func (s *Service) CheckerReady() <-chan struct{} { return s.checker.Ready() }

// FlushDenials publishes the denied checks counted so far now.
func (s *Service) FlushDenials(ctx context.Context) error {
	return s.checker.FlushDenials(ctx, s.app.WriteDenials)
}
