// Package catalog is the catalog service: data offices register data resources and data
// products here. cmd/yaosu wires it in through New and Register.
package catalog

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/services/catalog/internal/app"
	"yaosu.dev/services/catalog/internal/grpcapi"
	"yaosu.dev/services/catalog/internal/store"
)

// Name is the service's name in `yaosu serve` and its Postgres schema.
const Name = app.ServiceName

// Deps are what the catalog needs from the process.
type Deps struct {
	// Pool is a pool whose search_path is the catalog schema.
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service is a wired catalog.
type Service struct {
	api *grpcapi.Server
	log *slog.Logger
}

// New wires the catalog: store → app → gRPC adapter.
func New(d Deps) *Service {
	a := app.New(store.New(d.Pool), d.Now)
	return &Service{api: grpcapi.New(a), log: d.Log}
}

// Register adds the catalog's gRPC API to gs.
func (s *Service) Register(gs grpc.ServiceRegistrar) {
	catalogv1.RegisterCatalogServiceServer(gs, s.api)
}

// ServiceNames are the full gRPC service names the catalog registers (for health).
func ServiceNames() []string { return []string{catalogv1.CatalogService_ServiceDesc.ServiceName} }

// Run runs the catalog's background work until ctx ends. There is none yet; the
// publicity scheduler will live here.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
