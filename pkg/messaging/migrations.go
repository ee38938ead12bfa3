package messaging

import (
	"embed"
	"io/fs"

	"yaosu.dev/pkg/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the platform migration set (outbox and processed_events) that every
// service applies to its schema before its own migrations.
func Migrations() postgres.MigrationSet {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded path is fixed at compile time
	}
	return postgres.MigrationSet{Table: "platform_db_version", FS: sub}
}

// ServiceMigrations are a service schema's migration sets: the platform's outbox tables,
// then the service's own files from dir inside files (its embedded migrations directory).
func ServiceMigrations(files fs.FS, dir string) []postgres.MigrationSet {
	own, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the embedded path is fixed at compile time
	}
	return []postgres.MigrationSet{Migrations(), {Table: "goose_db_version", FS: own}}
}
