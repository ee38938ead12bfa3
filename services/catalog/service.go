// Package catalog is the catalog service: data offices register data resources and data
// products here. cmd/yaosu wires it in through New and Register.
package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/grpcserver"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/pkg/tlog"
	"yaosu.dev/services/catalog/internal/app"
	"yaosu.dev/services/catalog/internal/grpcapi"
	"yaosu.dev/services/catalog/internal/store"
)

// Name is the service's name in `yaosu serve` and its Postgres schema.
const Name = app.ServiceName

// KeyFile is the certificate key's file name in the data directory when none is configured.
const KeyFile = "catalog-registry.key"

// DefaultKeyFile is where the certificate key lives when no key file is configured.
func DefaultKeyFile(dataDir string) string { return filepath.Join(dataDir, KeyFile) }

// Deps are what the catalog needs from the process.
type Deps struct {
	// Pool is a pool whose search_path is the catalog schema.
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// KeyFile is the certificate signing key (created if missing); KeyName names it.
	KeyFile string
	KeyName string
	// RegistryName is printed on certificates.
	RegistryName string
	// RegistrationNumberFormat formats registration numbers.
	RegistrationNumberFormat string
	// PublicityWorkingDays, PublicityDuration and Holidays set the publicity window.
	PublicityWorkingDays int
	PublicityDuration    time.Duration
	Holidays             map[string]bool
	// SchedulerInterval is how often Run looks for ended publicity windows.
	SchedulerInterval time.Duration
	// PageKey authenticates list page tokens; every replica must share it. Zero: a random
	// key of this process (tests; tokens then fail after a restart or on another replica).
	PageKey paging.Key
}

// Service is a wired catalog.
type Service struct {
	app   *app.App
	api   *grpcapi.Server
	log   *slog.Logger
	every time.Duration
}

// New wires the catalog: store → app → gRPC adapter.
func New(d Deps) (*Service, error) {
	key, err := auth.LoadOrCreateKeyFile(d.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("catalog certificate key: %w", err)
	}
	signer, err := tlog.NewSigner(d.KeyName, key)
	if err != nil {
		return nil, fmt.Errorf("catalog certificate key: %w", err)
	}
	if d.SchedulerInterval <= 0 {
		d.SchedulerInterval = time.Minute
	}
	if d.PageKey.IsZero() {
		d.PageKey = paging.RandomKey()
	}
	a := app.New(store.New(d.Pool), app.Config{
		RegistryName: d.RegistryName, RegistrationNumberFormat: d.RegistrationNumberFormat,
		PublicityWorkingDays: d.PublicityWorkingDays, PublicityDuration: d.PublicityDuration, Holidays: d.Holidays,
		Signer: signer, PageKey: d.PageKey,
	}, d.Now, d.Log)
	return &Service{app: a, api: grpcapi.New(a), log: d.Log, every: d.SchedulerInterval}, nil
}

// Register adds the catalog's gRPC API to gs. On a Yaosu server (grpcserver.Server) it
// also sets the methods' options (grpcapi.MethodOptions): ImportAssets validates its rows
// one by one in the handler, not whole in the interceptor.
func (s *Service) Register(gs grpc.ServiceRegistrar) {
	catalogv1.RegisterCatalogServiceServer(gs, s.api)
	if ys, ok := gs.(*grpcserver.Server); ok {
		for method, o := range grpcapi.MethodOptions() {
			if err := ys.SetMethodOptions(method, o); err != nil {
				s.log.Error("catalog: method options not set", "grpc_method", method, "error", err)
			}
		}
	}
}

// ServiceNames are the full gRPC service names the catalog registers (for health).
func ServiceNames() []string { return []string{catalogv1.CatalogService_ServiceDesc.ServiceName} }

// Run runs the catalog's background work until ctx ends: the publicity scheduler.
func (s *Service) Run(ctx context.Context) error {
	return s.app.RunScheduler(ctx, s.every)
}

// EndDuePublicity runs one round of the publicity scheduler now and returns how many
// windows it ended (tests and operators drive it with an injected clock).
func (s *Service) EndDuePublicity(ctx context.Context) (int, error) {
	return s.app.EndDuePublicity(ctx)
}
