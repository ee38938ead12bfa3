package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// MigrationSet is one sequence of forward-only migrations (goose SQL files,
// NNNNN_name.sql) with its own version table inside the service's schema. The platform's
// tables (outbox, processed events) are one set, each service's own tables another, so
// neither has to know the other's version numbers.
type MigrationSet struct {
	// Table is the version table's name, unique within the schema.
	Table string
	// FS holds the .sql files at its root.
	FS fs.FS
}

// migrationLockID is the advisory lock (scoped to the database) that serialises
// migrations of every Yaosu process against the same database.
const migrationLockID int64 = 0x5941_4f53_5500_0001

// Migrate creates schema if needed and applies every pending migration of sets, in order,
// while holding an advisory lock, so two processes starting together apply each migration
// once.
func Migrate(ctx context.Context, databaseURL, schema string, sets ...MigrationSet) error {
	cfg, err := PoolConfig(databaseURL, schema, 1)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cfg.ConnConfig)
	defer db.Close()
	if err := createSchema(ctx, db, schema); err != nil {
		return err
	}
	for _, set := range sets {
		store, err := database.NewStore(database.DialectPostgres, set.Table)
		if err != nil {
			return err
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			return err
		}
		p, err := goose.NewProvider("", db, set.FS,
			goose.WithStore(store), goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
		if err != nil {
			return fmt.Errorf("migrations %s.%s: %w", schema, set.Table, err)
		}
		results, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("migrate %s.%s: %w", schema, set.Table, err)
		}
		for _, r := range results {
			slog.InfoContext(ctx, "migration applied", "schema", schema, "set", set.Table,
				"version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
		}
	}
	return nil
}

func createSchema(ctx context.Context, db *sql.DB, schema string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// CREATE SCHEMA IF NOT EXISTS still races with a concurrent creator; the lock makes it safe.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil { // schema is checked by PoolConfig
		return err
	}
	return tx.Commit()
}
