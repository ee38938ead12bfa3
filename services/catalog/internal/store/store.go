// Package store keeps catalog aggregates in Postgres (the catalog schema, through the
// service pool's search_path). Every write is one transaction that also appends the
// change's events to the outbox.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/catalog/internal/domain"
)

// Store is the catalog's repository.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool, whose search_path is the catalog schema.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// EventsFunc builds the events of a change from the committed aggregate.
type EventsFunc func(*domain.Asset) ([]*eventsv1.Event, error)

const assetColumns = `id, display_name, summary, holder_organisation, state, revision, creator, create_time, update_time`

// InsertAssetSQL inserts a new asset; exported so the benchmark's direct-SQL baseline runs
// the identical statement.
const InsertAssetSQL = `INSERT INTO assets (id, display_name, summary, holder_organisation, state, revision, creator,
	creator_organisation, create_request_id, create_time, update_time)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// CreateAsset inserts a and its events in one transaction. With a request id, a repeat
// from the same organisation returns the asset the first call created (created=false).
func (s *Store) CreateAsset(ctx context.Context, a *domain.Asset, callerOrg, requestID string, events EventsFunc) (*domain.Asset, bool, error) {
	var reqID *string
	if requestID != "" {
		reqID = &requestID
		if existing, err := s.byRequest(ctx, s.pool, callerOrg, requestID); err == nil {
			return existing, false, nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return nil, false, postgres.MapError(err)
		}
	}
	snap := a.Snapshot()
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, InsertAssetSQL, snap.ID, snap.DisplayName, snap.Summary, snap.HolderOrganisation,
			string(snap.State), snap.Revision, snap.Creator, callerOrg, reqID, snap.CreateTime, snap.UpdateTime); err != nil {
			return err
		}
		evs, err := events(a)
		if err != nil {
			return err
		}
		return messaging.Append(ctx, tx, evs...)
	})
	if err != nil && reqID != nil && postgres.IsUniqueViolation(err, "assets_create_request_key") {
		// A concurrent retry with the same request id won; return what it created.
		existing, rerr := s.byRequest(ctx, s.pool, callerOrg, requestID)
		if rerr != nil {
			return nil, false, postgres.MapError(rerr)
		}
		return existing, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return a, true, nil
}

func (s *Store) byRequest(ctx context.Context, q querier, org, requestID string) (*domain.Asset, error) {
	return scanAsset(q.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE creator_organisation = $1 AND create_request_id = $2`, org, requestID))
}

// GetAsset loads one asset; pgx.ErrNoRows becomes NOT_FOUND.
func (s *Store) GetAsset(ctx context.Context, id string) (*domain.Asset, error) {
	a, err := scanAsset(s.pool.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.NotFound("assets/" + id)
	}
	return a, postgres.MapError(err)
}

// ListQuery selects a page of assets, newest first.
type ListQuery struct {
	// Holder limits the list to one holder organisation; empty means all.
	Holder string
	// Before is the id of the last asset of the previous page (exclusive); empty for the first page.
	Before string
	// Limit is the page size.
	Limit int
}

// ListAssets returns up to Limit+1 assets so the caller can tell whether a next page exists.
func (s *Store) ListAssets(ctx context.Context, q ListQuery) ([]*domain.Asset, error) {
	sql := `SELECT ` + assetColumns + ` FROM assets
		WHERE ($1 = '' OR holder_organisation = $1) AND ($2::uuid IS NULL OR id < $2::uuid)
		ORDER BY id DESC LIMIT $3`
	var before *string
	if q.Before != "" {
		before = &q.Before
	}
	rows, err := s.pool.Query(ctx, sql, q.Holder, before, q.Limit+1)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	defer rows.Close()
	var out []*domain.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, postgres.MapError(err)
		}
		out = append(out, a)
	}
	return out, postgres.MapError(rows.Err())
}

func scanAsset(row pgx.Row) (*domain.Asset, error) {
	var s domain.Snapshot
	var state string
	var create, update time.Time
	if err := row.Scan(&s.ID, &s.DisplayName, &s.Summary, &s.HolderOrganisation, &state, &s.Revision, &s.Creator, &create, &update); err != nil {
		return nil, err
	}
	s.State = domain.State(state)
	s.CreateTime, s.UpdateTime = create.UTC(), update.UTC()
	return domain.FromSnapshot(s), nil
}
