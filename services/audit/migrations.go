package audit

import (
	"embed"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the audit schema's migration sets: the platform's outbox tables (the audit
// service publishes audit.checkpoint.signed), then the log's own.
func Migrations() []postgres.MigrationSet {
	return messaging.ServiceMigrations(migrationFiles, "migrations")
}
