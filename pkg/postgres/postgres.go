// Package postgres is the platform's Postgres layer: one pgx pool per service whose
// search_path is the service's own schema, forward-only embedded migrations run under an
// advisory lock, a transaction helper, and the mapping of constraint and serialization
// errors to errs kinds.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"yaosu.dev/pkg/errs"
)

var schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// DefaultConnectTimeout bounds a new connection's start-up when DATABASE_URL sets no
// connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// PoolConfig returns a pool configuration for databaseURL whose connections use schema as
// their search_path, so service SQL names its tables without a schema prefix and a service
// can never touch another service's tables by accident.
func PoolConfig(databaseURL, schema string, maxConns int32) (*pgxpool.Config, error) {
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("invalid schema name %q", schema)
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A server that accepts TCP but never answers (a partition, a host being
		// replaced) would otherwise hold every request until the caller's deadline; with a
		// bound the request fails UNAVAILABLE and the client's retry takes over.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "yaosu-" + schema
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	return cfg, nil
}

// Connect opens a pool for schema and checks that the server answers.
func Connect(ctx context.Context, databaseURL, schema string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := PoolConfig(databaseURL, schema, maxConns)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return pool, nil
}

// InTx runs fn in one transaction and commits it, or rolls back when fn or the commit
// fails. Errors are passed through MapError so constraint violations reach the caller
// classified.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return MapError(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return MapError(err)
	}
	return MapError(tx.Commit(ctx))
}

// Postgres error codes the platform maps (integrity and concurrency; the connection
// class is in errors.go).
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeCheckViolation       = "23514"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeLockNotAvailable     = "55P03"
)

// ConstraintName returns the violated constraint's name when err is a Postgres integrity
// error, so callers can turn a specific constraint into a specific reason.
func ConstraintName(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique violation of constraint (any
// constraint when constraint is empty).
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation &&
		(constraint == "" || pgErr.ConstraintName == constraint)
}

// MapError classifies database errors. Errors that are already *errs.Error pass through;
// driver errors keep their text only as the (logged, never sent) cause. Integrity
// violations become ALREADY_EXISTS / FAILED_PRECONDITION, serialisation failures and
// deadlocks ABORTED, and a database that cannot be reached or dropped the connection
// UNAVAILABLE (see Classify). Context errors pass through unchanged, so the caller's own
// cancellation or deadline stays CANCELLED / DEADLINE_EXCEEDED.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	if e := Classify(err); e != nil {
		return e
	}
	return err // unclassified: INTERNAL at the gRPC boundary, cause logged only
}

// Classify returns the classification of the database error in err's chain, or nil when
// err is no error Postgres or the driver gave that this package knows (including context
// errors, which the caller maps). Unlike MapError it looks through *errs.Error wrappers,
// so the gRPC boundary can still classify a driver error some layer wrapped as internal.
func Classify(err error) *errs.Error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation:
			e := errs.Wrap(err, errs.KindAlreadyExists, errs.ReasonDuplicate, "already exists")
			e.Metadata = map[string]string{"constraint": pgErr.ConstraintName}
			return e
		case codeForeignKeyViolation:
			e := errs.Wrap(err, errs.KindFailedPrecondition, errs.ReasonReference, "refers to a missing or still-referenced record")
			e.Metadata = map[string]string{"constraint": pgErr.ConstraintName}
			return e
		case codeCheckViolation:
			e := errs.Wrap(err, errs.KindFailedPrecondition, "CHECK_VIOLATION", "violates a stored rule")
			e.Metadata = map[string]string{"constraint": pgErr.ConstraintName}
			return e
		case codeSerializationFailure, codeDeadlockDetected, codeLockNotAvailable:
			return errs.Wrap(err, errs.KindAborted, errs.ReasonConflict, "concurrent modification; retry")
		}
	}
	return classifyConnection(err)
}
