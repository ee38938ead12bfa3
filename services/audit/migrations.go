package audit

import (
	"embed"
	"io/fs"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the audit schema's migration sets: the platform's outbox tables (the audit
// service publishes audit.checkpoint.signed), then the log's own.
func Migrations() []postgres.MigrationSet {
	own, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // fixed at compile time
	}
	return []postgres.MigrationSet{messaging.Migrations(), {Table: "goose_db_version", FS: own}}
}
