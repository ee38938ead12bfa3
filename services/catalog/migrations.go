package catalog

import (
	"embed"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the catalog schema's migration sets: the platform's outbox tables, then
// the catalog's own.
func Migrations() []postgres.MigrationSet {
	return messaging.ServiceMigrations(migrationFiles, "migrations")
}
