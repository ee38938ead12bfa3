package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"

	"yaosu.dev/pkg/config"
	"yaosu.dev/pkg/grpcclient"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/audit"
	"yaosu.dev/services/catalog"
	"yaosu.dev/services/rights"
	"yaosu.dev/services/scenario"
)

// service is what the process needs of a wired service.
type service interface {
	Register(grpc.ServiceRegistrar)
	Run(ctx context.Context) error
}

// deps is what the process offers every service; each takes what it needs.
type deps struct {
	pool *pgxpool.Pool
	// js is the service's own NATS connection (its NATS user: it may publish only its own
	// subjects and use only its own consumers).
	js jetstream.JetStream
	// eventKeys verifies events: only those signed by the service owning their subject
	// are trusted.
	eventKeys *messaging.Keyring
	config    config.Config
	log       *slog.Logger
	now       func() time.Time
	// addr is this process's gRPC address, for services that call another one in it,
	// with clientCreds: TLS verified against YAOSU_TLS_CA_FILE when the server serves TLS.
	addr        string
	clientCreds credentials.TransportCredentials
	// pageKey authenticates list page tokens (YAOSU_PAGE_TOKEN_KEY_FILE).
	pageKey paging.Key
}

// serviceDef describes one service: its schema's migrations, how to wire it, and its gRPC
// service names for health reporting. The schema is the service's name.
type serviceDef struct {
	migrations  func() []postgres.MigrationSet
	build       func(d deps) (service, error)
	healthNames []string
	// nats is what the service does on NATS, from which its NATS user's permissions
	// follow (`yaosu nats-config`).
	nats messaging.ServiceAccess
}

// registry lists every service this binary can serve. New services add an entry here.
var registry = map[string]serviceDef{
	catalog.Name: {
		migrations: catalog.Migrations,
		build: func(d deps) (service, error) {
			keyFile := d.config.CatalogKeyFile
			if keyFile == "" {
				keyFile = catalog.DefaultKeyFile(d.config.DataDir)
			}
			return catalog.New(catalog.Deps{Pool: d.pool, Log: d.log, Now: d.now, KeyFile: keyFile,
				KeyName: d.config.CatalogKeyName, RegistryName: d.config.CatalogRegistryName,
				RegistrationNumberFormat: d.config.CatalogRegistrationNumber,
				PublicityWorkingDays:     d.config.CatalogPublicityWorkingDays,
				PublicityDuration:        d.config.CatalogPublicityDuration, Holidays: d.config.CatalogHolidays,
				SchedulerInterval: d.config.CatalogSchedulerInterval, PageKey: d.pageKey})
		},
		healthNames: catalog.ServiceNames(),
		nats:        messaging.ServiceAccess{Service: catalog.Name},
	},
	rights.Name: {
		migrations: rights.Migrations,
		build: func(d deps) (service, error) {
			return rights.New(rights.Deps{Pool: d.pool, JS: d.js, EventKeys: d.eventKeys, Log: d.log, Now: d.now,
				ExpiryInterval: d.config.RightsExpiryInterval, DenialFlushInterval: d.config.RightsDenialFlushInterval,
				PageKey: d.pageKey})
		},
		healthNames: rights.ServiceNames(),
		nats:        messaging.ServiceAccess{Service: rights.Name, Durables: []string{rights.ConsumerName}},
	},
	scenario.Name: {
		migrations: scenario.Migrations,
		build: func(d deps) (service, error) {
			// The rights service of this process answers LinkAsset's checks; each call
			// forwards the caller's own token, so the connection carries no per-call
			// credentials, but it is TLS (verified) whenever the server is. A check the
			// rights service could not take (UNAVAILABLE: its database restarting) is
			// retried with the same request (pkg/grpcclient).
			conn, err := grpc.NewClient(d.addr, grpc.WithTransportCredentials(d.clientCreds), grpcclient.WithRetry())
			if err != nil {
				return nil, err
			}
			return scenario.New(scenario.Deps{Pool: d.pool, JS: d.js, EventKeys: d.eventKeys, Log: d.log, Now: d.now,
				Rights: rightsv1.NewRightsServiceClient(conn), RightsConn: conn,
				MonitorInterval: d.config.ScenarioMonitorInterval, SpikeFactor: d.config.ScenarioSpikeFactor,
				UsageRetention: d.config.ScenarioUsageRetention, PageKey: d.pageKey})
		},
		healthNames: scenario.ServiceNames(),
		nats:        messaging.ServiceAccess{Service: scenario.Name, Durables: []string{scenario.ConsumerName}},
	},
	audit.Name: {
		migrations: audit.Migrations,
		build: func(d deps) (service, error) {
			keyFile := d.config.AuditKeyFile
			if keyFile == "" {
				keyFile = audit.DefaultKeyFile(d.config.DataDir)
			}
			return audit.New(audit.Deps{Pool: d.pool, JS: d.js, Log: d.log, Now: d.now, KeyFile: keyFile,
				Origin: d.config.AuditOrigin, CheckpointEvery: d.config.AuditCheckpointEvery, EventKeys: d.eventKeys})
		},
		healthNames: audit.ServiceNames(),
		// The audit log reads the whole stream through ordered consumers.
		nats: messaging.ServiceAccess{Service: audit.Name, ReadsStream: true},
	},
}

// NATSAccess lists what every service does on NATS, sorted by service.
func NATSAccess() []messaging.ServiceAccess {
	out := make([]messaging.ServiceAccess, 0, len(registry))
	for _, n := range ServiceNames() {
		out = append(out, registry[n].nats)
	}
	return out
}

// ServiceNames lists the services this binary serves, sorted.
func ServiceNames() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ResolveServices expands "all" and checks names; the result is sorted and unique.
func ResolveServices(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("name the services to serve (%v) or all", ServiceNames())
	}
	var out []string
	for _, a := range args {
		if a == "all" {
			out = append(out, ServiceNames()...)
			continue
		}
		if _, ok := registry[a]; !ok {
			return nil, fmt.Errorf("unknown service %q (known: %v, or all)", a, ServiceNames())
		}
		out = append(out, a)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// Migrate applies the migrations of services to databaseURL.
func Migrate(ctx context.Context, databaseURL string, services []string) error {
	for _, name := range services {
		if err := postgres.Migrate(ctx, databaseURL, name, registry[name].migrations()...); err != nil {
			return err
		}
	}
	return nil
}

// MigrationSets returns every service's migrations by schema (for test templates).
func MigrationSets(services []string) map[string][]postgres.MigrationSet {
	out := map[string][]postgres.MigrationSet{}
	for _, name := range services {
		out[name] = registry[name].migrations()
	}
	return out
}
