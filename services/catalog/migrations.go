package catalog

import (
	"embed"
	"io/fs"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the catalog schema's migration sets: the platform's outbox tables, then
// the catalog's own.
func Migrations() []postgres.MigrationSet {
	own, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // fixed at compile time
	}
	return []postgres.MigrationSet{messaging.Migrations(), {Table: "goose_db_version", FS: own}}
}
