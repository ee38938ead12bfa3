package scenario

import (
	"embed"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the scenario schema's migration sets: the platform's outbox and
// processed-events tables, then the service's own.
func Migrations() []postgres.MigrationSet {
	return messaging.ServiceMigrations(migrationFiles, "migrations")
}
