package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/rights/internal/domain"
)

// LoadGraph reads everything a check on asset reads, as it is now: the asset, its grade
// rule and every grant on it. It implements check.Loader.
func (s *Store) LoadGraph(ctx context.Context, assetID string) (*domain.Graph, error) {
	g := &domain.Graph{Grants: map[string]*domain.Grant{}}
	a, err := s.Asset(ctx, assetID)
	if err != nil || a == nil {
		g.Index()
		return g, err
	}
	g.Asset = a
	if g.Rule, err = rule(ctx, s.pool, a.Grade); err != nil {
		return nil, postgres.MapError(err)
	}
	grants, err := collectGrants(s.pool.Query(ctx, `SELECT `+grantColumns+` FROM grants WHERE asset_id = $1`, assetID))
	if err != nil {
		return nil, postgres.MapError(err)
	}
	for _, gr := range grants {
		g.Grants[gr.ID] = gr
	}
	g.Index()
	return g, nil
}

// LoadGraphAsOf reads the graph as it was at t: the asset's state, grade and holder then,
// and every grant that existed then with the state and grantor its history gives for t.
// The grade rule is today's (the policy table keeps no history).
func (s *Store) LoadGraphAsOf(ctx context.Context, assetID string, t time.Time) (*domain.Graph, error) {
	g := &domain.Graph{Grants: map[string]*domain.Grant{}}
	var a domain.Asset
	err := s.pool.QueryRow(ctx, `SELECT s.asset_id, h.holder_organisation, s.grade, s.state
		FROM asset_states s JOIN holdings h ON h.asset_id = s.asset_id AND h.since <= $2 AND (h.until IS NULL OR h.until > $2)
		WHERE s.asset_id = $1 AND s.since <= $2 ORDER BY s.since DESC LIMIT 1`, assetID, t).Scan(&a.ID, &a.Holder, &a.Grade, &a.State)
	if errors.Is(err, pgx.ErrNoRows) {
		g.Index()
		return g, nil
	}
	if err != nil {
		return nil, postgres.MapError(err)
	}
	g.Asset = &a
	if g.Rule, err = rule(ctx, s.pool, a.Grade); err != nil {
		return nil, postgres.MapError(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+grantColumnsOf("g.")+`, h.state, h.grantor_organisation
		FROM grants g JOIN LATERAL (SELECT state, grantor_organisation FROM grant_history
			WHERE grant_id = g.id AND time <= $2 ORDER BY revision DESC LIMIT 1) h ON true
		WHERE g.asset_id = $1`, assetID, t)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var state, grantor string
		gr, err := scanGrantWith(rows, &state, &grantor)
		if err != nil {
			return nil, postgres.MapError(err)
		}
		gr.State, gr.Grantor = domain.State(state), grantor
		g.Grants[gr.ID] = gr
	}
	if err := rows.Err(); err != nil {
		return nil, postgres.MapError(err)
	}
	g.Index()
	return g, nil
}

// scanGrantWith scans grant columns followed by extra destinations.
func scanGrantWith(row pgx.Row, extra ...any) (*domain.Grant, error) {
	return scanGrant(extraRow{row, extra})
}

type extraRow struct {
	row   pgx.Row
	extra []any
}

func (r extraRow) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra...)...) }

// AssetsOfGrantee returns the assets on which org has or had a grant, after the asset id
// `after`, up to limit, in id order.
func (s *Store) AssetsOfGrantee(ctx context.Context, org, after string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT asset_id::text FROM grants
		WHERE grantee_organisation = $1 AND ($2 = '' OR asset_id > $2::uuid) ORDER BY 1 LIMIT $3`, org, after, limit)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, postgres.MapError(err)
}

// HoldingRow is one period of holding.
type HoldingRow struct {
	AssetID    string
	Holder     string
	Since      time.Time
	Until      *time.Time
	Cause      string
	LegalBasis *domain.LegalBasis
}

// Holdings returns an asset's holdings, oldest first.
func (s *Store) Holdings(ctx context.Context, assetID string) ([]HoldingRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT asset_id::text, holder_organisation, since, until, cause, legal_basis
		FROM holdings WHERE asset_id = $1 ORDER BY since`, assetID)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[HoldingRow])
	return out, postgres.MapError(err)
}

// HoldingsOf returns the holdings of org in force at t.
func (s *Store) HoldingsOf(ctx context.Context, org string, t time.Time) ([]HoldingRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT asset_id::text, holder_organisation, since, until, cause, legal_basis
		FROM holdings WHERE holder_organisation = $1 AND since <= $2 AND (until IS NULL OR until > $2)
		ORDER BY asset_id LIMIT 1000`, org, t)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[HoldingRow])
	return out, postgres.MapError(err)
}

// AssetEvent is what the catalog said about an asset in one event.
type AssetEvent struct {
	ID                 string
	Holder             string
	Grade              string
	State              string
	RegistrationNumber string
	Revision           int64
	Time               time.Time
}

// ApplyAssetEvent updates the projection from a catalog event. It returns the previous
// projection (nil if new) and whether the event was applied: an event older than what is
// stored (by catalog revision) is ignored.
func (t *Tx) ApplyAssetEvent(e AssetEvent) (*domain.Asset, bool, error) {
	prev, err := t.LockAsset(e.ID)
	if err != nil {
		return nil, false, err
	}
	if prev != nil && prev.Revision >= e.Revision {
		return prev, false, nil
	}
	if prev == nil {
		if _, err := t.tx.Exec(t.ctx, `INSERT INTO assets (id, holder_organisation, grade, state, registration_number,
			revision, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.ID, e.Holder, e.Grade, e.State, e.RegistrationNumber, e.Revision, e.Time); err != nil {
			return nil, false, err
		}
		if _, err := t.tx.Exec(t.ctx, `INSERT INTO holdings (asset_id, holder_organisation, since, cause)
			VALUES ($1, $2, $3, 'registration')`, e.ID, e.Holder, e.Time); err != nil {
			return nil, false, err
		}
	} else if _, err := t.tx.Exec(t.ctx, `UPDATE assets SET grade = $2, state = $3, registration_number = $4,
		revision = $5, update_time = $6 WHERE id = $1`, e.ID, e.Grade, e.State, e.RegistrationNumber, e.Revision, e.Time); err != nil {
		return nil, false, err
	}
	// Every event's state goes into the history, changed or not: an older event that
	// arrives late (RecordAssetState) then lands between two rows at its own time, and
	// the history is the same whatever order the events were handled in.
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO asset_states (asset_id, since, state, grade) VALUES ($1, $2, $3, $4)
		ON CONFLICT (asset_id, since) DO UPDATE SET state = excluded.state, grade = excluded.grade`,
		e.ID, e.Time, e.State, e.Grade); err != nil {
		return nil, false, err
	}
	if e.State == "CANCELLED" || e.State == "DISPOSED" {
		// The holding ends with the registration.
		if _, err := t.tx.Exec(t.ctx, `UPDATE holdings SET until = $2 WHERE asset_id = $1 AND until IS NULL`, e.ID, e.Time); err != nil {
			return nil, false, err
		}
	}
	return prev, true, nil
}

// RecordAssetState adds the state an older catalog event describes to the asset's history
// at the event's time, when a newer event was applied first: answers as of a time in
// between then see it, as an in-order replay would have recorded it. A row already there
// for that time (the same transition) is kept.
func (t *Tx) RecordAssetState(e AssetEvent) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO asset_states (asset_id, since, state, grade)
		SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM assets WHERE id = $1)
		ON CONFLICT (asset_id, since) DO NOTHING`, e.ID, e.Time, e.State, e.Grade)
	return err
}

// Transfer moves the holding of asset to org at time at.
func (t *Tx) Transfer(assetID, to, cause string, basis domain.LegalBasis, at time.Time) error {
	if _, err := t.tx.Exec(t.ctx, `UPDATE holdings SET until = $2 WHERE asset_id = $1 AND until IS NULL`, assetID, at); err != nil {
		return err
	}
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO holdings (asset_id, holder_organisation, since, cause, legal_basis)
		VALUES ($1, $2, $3, $4, $5)`, assetID, to, at, cause, basis); err != nil {
		return err
	}
	_, err := t.tx.Exec(t.ctx, `UPDATE assets SET holder_organisation = $2 WHERE id = $1`, assetID, to)
	return err
}

// GrantQuery selects a page of grants, newest first; empty fields do not filter.
type GrantQuery struct {
	AssetID, Grantor, Grantee, Right string
	States                           []string
	// Party limits to grants where org is grantor or grantee.
	Party  string
	Before string
	Limit  int
}

// ListGrants returns up to Limit+1 grants.
func (s *Store) ListGrants(ctx context.Context, q GrantQuery) ([]*domain.Grant, error) {
	var before *string
	if q.Before != "" {
		before = &q.Before
	}
	return collectGrantsMapped(s.pool.Query(ctx, `SELECT `+grantColumns+` FROM grants
		WHERE ($1 = '' OR asset_id = $1::uuid) AND ($2 = '' OR grantor_organisation = $2)
		  AND ($3 = '' OR grantee_organisation = $3) AND ($4 = '' OR right_kind = $4)
		  AND (cardinality($5::text[]) = 0 OR state = ANY($5))
		  AND ($6 = '' OR grantor_organisation = $6 OR grantee_organisation = $6)
		  AND ($7::uuid IS NULL OR id < $7::uuid)
		ORDER BY id DESC LIMIT $8`, q.AssetID, q.Grantor, q.Grantee, q.Right, nonNil(q.States), q.Party, before, q.Limit+1))
}

func collectGrantsMapped(rows pgx.Rows, err error) ([]*domain.Grant, error) {
	out, err := collectGrants(rows, err)
	return out, postgres.MapError(err)
}
