// Package audit is the audit service: it appends every event of the YAOSU_EVENTS stream to
// an RFC 6962 Merkle log in Postgres, signs checkpoints, and serves the proofs auditors
// need. cmd/yaosu wires it in through New and Register.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/audit/internal/app"
	"yaosu.dev/services/audit/internal/grpcapi"
	"yaosu.dev/services/audit/internal/ingest"
	"yaosu.dev/services/audit/internal/store"
)

// Name is the service's name in `yaosu serve` and its Postgres schema.
const Name = app.ServiceName

// EventLogInconsistent is the type of the event published once for every finding: the
// service found its stored log inconsistent and stopped appending.
const EventLogInconsistent = app.EventLogInconsistent

// KeyFile is the checkpoint key's file name in the data directory when none is configured.
const KeyFile = "audit-signing.key"

// Deps are what the audit service needs from the process.
type Deps struct {
	Pool *pgxpool.Pool
	JS   jetstream.JetStream
	Log  *slog.Logger
	Now  func() time.Time
	// KeyFile is the checkpoint signing key (created if missing).
	KeyFile string
	// Origin names the log in its checkpoints.
	Origin string
	// CheckpointEvery is the signing schedule.
	CheckpointEvery time.Duration
	// RecheckEvery is how often the running appender checks the whole stored log again
	// (0: hourly); it always checks at start.
	RecheckEvery time.Duration
	// EventKeys verify every message's Yaosu-Signature on append; GetCheckpoint publishes
	// them for auditors. Nil: signatures are recorded but not checked.
	EventKeys *messaging.Keyring
}

// DefaultKeyFile is where the signing key lives when no key file is configured.
func DefaultKeyFile(dataDir string) string { return filepath.Join(dataDir, KeyFile) }

// Service is a wired audit service.
type Service struct {
	app      *app.App
	api      *grpcapi.Server
	appender *ingest.Appender
	every    time.Duration
}

// New wires the audit service.
func New(d Deps) (*Service, error) {
	key, err := auth.LoadOrCreateKeyFile(d.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	st := store.New(d.Pool)
	a, err := app.New(st, d.Origin, key, d.Now, d.Log)
	if err != nil {
		return nil, err
	}
	return &Service{
		app:      a,
		api:      grpcapi.New(a, d.Origin, d.EventKeys),
		appender: ingest.New(st, d.Pool, d.JS, ingest.Config{EventKeys: d.EventKeys, RecheckEvery: d.RecheckEvery}, a, d.Log),
		every:    d.CheckpointEvery,
	}, nil
}

// Register adds the audit API to gs.
func (s *Service) Register(gs grpc.ServiceRegistrar) { auditv1.RegisterAuditServiceServer(gs, s.api) }

// ServiceNames are the full gRPC service names the audit service registers.
func ServiceNames() []string { return []string{auditv1.AuditService_ServiceDesc.ServiceName} }

// VerifierKey is the note verifier key of the checkpoint signing key.
func (s *Service) VerifierKey() string { return s.app.VerifierKey() }

// Appender exposes the log writer (tests and benchmarks wait on its size).
func (s *Service) Appender() *ingest.Appender { return s.appender }

// Run appends the stream to the log and signs checkpoints on schedule until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.appender.Run(ctx) })
	g.Go(func() error { return s.app.RunScheduler(ctx, s.every) })
	return g.Wait()
}
