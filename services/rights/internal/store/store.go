// Package store keeps the rights service's grants, holdings and asset projection in
// Postgres (the rights schema, through the pool's search_path). Writes run in one
// transaction that also appends their events to the outbox; the invariants are checked
// under the asset row's lock, so concurrent grants on one asset are serialised.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/rights/internal/domain"
)

// Store is the rights repository.
type Store struct {
	pool *pgxpool.Pool
	// committed, if set, is told the assets a committed InTx transaction locked (every
	// grant write locks its asset first).
	committed func(assetIDs []string)
}

// AfterCommit makes f hear of the assets each committed write locked: the checker drops
// them at once, so that whoever wrote a grant through this replica checks against it
// (read your writes); other replicas hear of it by NOTIFY a moment later. Call it before
// serving.
func (s *Store) AfterCommit(f func(assetIDs []string)) { s.committed = f }

// New returns a store over pool (search_path: the rights schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool returns the pool (for the checker's listener and the benchmarks).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Tx is a write in progress.
type Tx struct {
	ctx    context.Context
	tx     pgx.Tx
	events []*eventsv1.Event
	locked []string
}

// InTx runs fn in one transaction and appends the events fn emitted before committing.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	t := &Tx{ctx: ctx}
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		t.tx, t.events, t.locked = tx, nil, nil // a retried transaction starts afresh
		if err := fn(t); err != nil {
			return err
		}
		return messaging.Append(ctx, tx, t.events...)
	})
	if err == nil && s.committed != nil && len(t.locked) > 0 {
		s.committed(t.locked)
	}
	return err
}

// Emit queues events for the transaction's outbox.
func (t *Tx) Emit(evs ...*eventsv1.Event) { t.events = append(t.events, evs...) }

const assetColumns = `id, holder_organisation, grade, state, revision`

func scanAsset(row pgx.Row) (*domain.Asset, error) {
	var a domain.Asset
	err := row.Scan(&a.ID, &a.Holder, &a.Grade, &a.State, &a.Revision)
	return &a, err
}

// LockAsset loads the asset projection FOR UPDATE: every grant write on an asset takes
// this lock first, which is what makes the exclusivity and holder checks race-free.
// nil if the catalog never registered it.
func (t *Tx) LockAsset(id string) (*domain.Asset, error) {
	t.locked = append(t.locked, id)
	a, err := scanAsset(t.tx.QueryRow(t.ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return a, err
}

// Asset loads the asset projection without locking; nil if unknown.
func (s *Store) Asset(ctx context.Context, id string) (*domain.Asset, error) {
	a, err := scanAsset(s.pool.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return a, postgres.MapError(err)
}

// Rule returns the grade policy of grade (no grants at all for an unknown grade).
func rule(ctx context.Context, q querier, grade string) (domain.GradeRule, error) {
	r := domain.GradeRule{Grade: grade}
	err := q.QueryRow(ctx, `SELECT grants_allowed, forbidden_delivery_forms FROM grade_policy WHERE grade = $1`, grade).
		Scan(&r.GrantsAllowed, &r.ForbiddenDeliveryForms)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, nil
	}
	return r, err
}

// Rule returns the grade policy of grade inside the transaction.
func (t *Tx) Rule(grade string) (domain.GradeRule, error) { return rule(t.ctx, t.tx, grade) }

// Policy returns every grade rule.
func (s *Store) Policy(ctx context.Context) ([]domain.GradeRule, error) {
	rows, err := s.pool.Query(ctx, `SELECT grade, grants_allowed, forbidden_delivery_forms FROM grade_policy ORDER BY grade`)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[domain.GradeRule])
	return out, postgres.MapError(err)
}

// SetRule replaces one grade's rule.
func (t *Tx) SetRule(r domain.GradeRule) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO grade_policy (grade, grants_allowed, forbidden_delivery_forms) VALUES ($1, $2, $3)
		ON CONFLICT (grade) DO UPDATE SET grants_allowed = excluded.grants_allowed,
		forbidden_delivery_forms = excluded.forbidden_delivery_forms`, r.Grade, r.GrantsAllowed, nonNil(r.ForbiddenDeliveryForms))
	return err
}

// Purposes returns the purpose code list.
func (s *Store) Purposes(ctx context.Context) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT code FROM purposes`)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	out := map[string]bool{}
	for _, c := range codes {
		out[c] = true
	}
	return out, postgres.MapError(err)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// grantColumnList is the grant columns scanGrant reads; %[1]s is a table alias prefix.
var grantColumnList = []string{"%[1]sid", "%[1]sasset_id", "%[1]sright_kind", "%[1]sgrantor_organisation",
	"%[1]sgrantee_organisation", "coalesce(%[1]sparent_id::text, '')", "%[1]sdepth", "%[1]slegal_basis", "%[1]spurposes",
	"%[1]sother_purpose", "%[1]sdelivery_forms", "%[1]sregions", "%[1]svalid_from", "%[1]svalid_until", "%[1]sexclusive", "%[1]sauthorised_operation",
	"%[1]ssublicense_depth", "%[1]sfee_terms", "%[1]scondition", "%[1]sstate", "%[1]sstate_reason", "%[1]ssuspended_by",
	"%[1]sjustification", "%[1]srequester", "%[1]srequester_organisation", "%[1]sapprover", "%[1]srevision",
	"%[1]screate_time", "%[1]supdate_time"}

// grantColumnsOf returns the grant column list with alias prefix (e.g. "g.").
func grantColumnsOf(alias string) string {
	return fmt.Sprintf(strings.Join(grantColumnList, ", "), alias)
}

var grantColumns = grantColumnsOf("")

func scanGrant(row pgx.Row) (*domain.Grant, error) {
	var g domain.Grant
	var right, state string
	err := row.Scan(&g.ID, &g.AssetID, &right, &g.Grantor, &g.Grantee, &g.ParentID, &g.Depth, &g.LegalBasis,
		&g.Scope.Purposes, &g.Scope.OtherPurpose, &g.Scope.DeliveryForms, &g.Scope.Regions, &g.ValidFrom, &g.ValidUntil,
		&g.Exclusive, &g.AuthorisedOperation, &g.SublicenseDepth, &g.FeeTerms, &g.Condition, &state, &g.StateReason, &g.SuspendedBy,
		&g.Justification, &g.Requester, &g.RequesterOrganisation, &g.Approver, &g.Revision, &g.CreateTime, &g.UpdateTime)
	if err != nil {
		return nil, err
	}
	g.Right, g.State = domain.Right(right), domain.State(state)
	g.ValidFrom, g.ValidUntil = g.ValidFrom.UTC(), g.ValidUntil.UTC()
	g.CreateTime, g.UpdateTime = g.CreateTime.UTC(), g.UpdateTime.UTC()
	return &g, nil
}

func collectGrants(rows pgx.Rows, err error) ([]*domain.Grant, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Grant, error) { return scanGrant(r) })
}

// grantNotFound is the error for a missing or invisible grant.
func grantNotFound(id string) error {
	return errs.NotFound(domain.ReasonGrantNotFound, "grants/%s not found", id)
}

// Grant loads one grant.
func (s *Store) Grant(ctx context.Context, id string) (*domain.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, grantNotFound(id)
	}
	return g, postgres.MapError(err)
}

// Grant loads one grant inside the transaction (the caller holds its asset's lock).
func (t *Tx) Grant(id string) (*domain.Grant, error) {
	g, err := scanGrant(t.tx.QueryRow(t.ctx, `SELECT `+grantColumns+` FROM grants WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, grantNotFound(id)
	}
	return g, err
}

// GrantAsset returns the asset id of a grant (to take the asset's lock before the grant's).
func (s *Store) GrantAsset(ctx context.Context, id string) (string, error) {
	var asset string
	err := s.pool.QueryRow(ctx, `SELECT asset_id::text FROM grants WHERE id = $1`, id).Scan(&asset)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", grantNotFound(id)
	}
	return asset, postgres.MapError(err)
}

// Siblings returns the grants of right on asset with the same parent ("" = first level)
// that are in force or suspended.
func (t *Tx) Siblings(assetID string, right domain.Right, parentID string) ([]*domain.Grant, error) {
	return collectGrants(t.tx.Query(t.ctx, `SELECT `+grantColumns+` FROM grants
		WHERE asset_id = $1 AND right_kind = $2 AND coalesce(parent_id::text, '') = $3 AND state IN ('ACTIVE', 'SUSPENDED')`,
		assetID, string(right), parentID))
}

// Descendants returns every grant beneath id (children, grandchildren, ...), parents
// before children.
func (t *Tx) Descendants(id string) ([]*domain.Grant, error) {
	return collectGrants(t.tx.Query(t.ctx, `WITH RECURSIVE d AS (
			SELECT id, 1 AS level FROM grants WHERE parent_id = $1
			UNION ALL
			SELECT g.id, d.level + 1 FROM grants g JOIN d ON g.parent_id = d.id)
		SELECT `+grantColumnsOf("g.")+` FROM grants g JOIN d ON d.id = g.id ORDER BY d.level, g.id`, id))
}

// AssetGrants returns every grant on an asset that is not final.
func (t *Tx) AssetGrants(assetID string) ([]*domain.Grant, error) {
	return collectGrants(t.tx.Query(t.ctx, `SELECT `+grantColumns+` FROM grants
		WHERE asset_id = $1 AND state IN ('REQUESTED', 'ACTIVE', 'SUSPENDED') ORDER BY depth, id`, assetID))
}

// InsertGrant stores a new grant and its first history row.
func (t *Tx) InsertGrant(g *domain.Grant, requestID, action, actor string) error {
	var parent, reqID *string
	if g.ParentID != "" {
		parent = &g.ParentID
	}
	if requestID != "" {
		reqID = &requestID
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO grants (id, asset_id, right_kind, grantor_organisation, grantee_organisation,
		parent_id, depth, legal_basis, purposes, other_purpose, delivery_forms, regions, valid_from, valid_until, exclusive,
		authorised_operation, sublicense_depth, fee_terms, condition, state, state_reason, suspended_by, justification, requester,
		requester_organisation, request_id, approver, revision, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
		$24, $25, $26, $27, $28, $29, $30)`,
		g.ID, g.AssetID, string(g.Right), g.Grantor, g.Grantee, parent, g.Depth, g.LegalBasis, nonNil(g.Scope.Purposes),
		g.Scope.OtherPurpose, nonNil(g.Scope.DeliveryForms), nonNil(g.Scope.Regions), g.ValidFrom, g.ValidUntil, g.Exclusive,
		g.AuthorisedOperation, g.SublicenseDepth, g.FeeTerms, g.Condition, string(g.State), g.StateReason, g.SuspendedBy, g.Justification,
		g.Requester, g.RequesterOrganisation, reqID, g.Approver, g.Revision, g.CreateTime, g.UpdateTime)
	if err != nil {
		return err
	}
	return t.history(g, action, actor)
}

// ByRequest returns the grant an organisation created with request id, if any.
func (s *Store) ByRequest(ctx context.Context, org, requestID string) (*domain.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx, `SELECT `+grantColumns+` FROM grants
		WHERE requester_organisation = $1 AND request_id = $2`, org, requestID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return g, postgres.MapError(err)
}

// UpdateGrant saves a grant's new state (revision already bumped) and its history row.
func (t *Tx) UpdateGrant(g *domain.Grant, action, actor string) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE grants SET grantor_organisation = $2, state = $3, state_reason = $4,
		suspended_by = $5, approver = $6, revision = $7, update_time = $8 WHERE id = $1 AND revision = $7 - 1`,
		g.ID, g.Grantor, string(g.State), g.StateReason, g.SuspendedBy, g.Approver, g.Revision, g.UpdateTime)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errs.New(errs.KindAborted, errs.ReasonConflict, "grants/%s changed concurrently; retry", g.ID)
	}
	return t.history(g, action, actor)
}

func (t *Tx) history(g *domain.Grant, action, actor string) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO grant_history (grant_id, revision, state, grantor_organisation, action, actor,
		reason, time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		g.ID, g.Revision, string(g.State), g.Grantor, action, actor, g.StateReason, g.UpdateTime)
	return err
}

// HistoryRow is one row of grant_history.
type HistoryRow struct {
	Revision int64
	State    domain.State
	Grantor  string
	Action   string
	Actor    string
	Reason   string
	Time     time.Time
}

// History returns a grant's history, oldest first.
func (s *Store) History(ctx context.Context, id string) ([]HistoryRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT revision, state, grantor_organisation, action, actor, reason, time
		FROM grant_history WHERE grant_id = $1 ORDER BY revision`, id)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryRow, error) {
		var h HistoryRow
		var state string
		err := r.Scan(&h.Revision, &state, &h.Grantor, &h.Action, &h.Actor, &h.Reason, &h.Time)
		h.State, h.Time = domain.State(state), h.Time.UTC()
		return h, err
	})
	return out, postgres.MapError(err)
}

// InPgxTx runs fn inside a transaction someone else owns (an event consumer's) and appends
// the events fn emitted to it.
func (s *Store) InPgxTx(ctx context.Context, tx pgx.Tx, fn func(*Tx) error) error {
	t := &Tx{ctx: ctx, tx: tx}
	if err := fn(t); err != nil {
		return err
	}
	return messaging.Append(ctx, tx, t.events...)
}

// TryLockAsset locks the asset row unless another transaction holds it (replicas share
// scheduled work this way).
func (t *Tx) TryLockAsset(id string) (bool, error) {
	var got string
	err := t.tx.QueryRow(t.ctx, `SELECT id::text FROM assets WHERE id = $1 FOR UPDATE SKIP LOCKED`, id).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DueForExpiry returns up to limit assets with a grant in force or suspended whose window
// ended by now.
func (s *Store) DueForExpiry(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT asset_id::text FROM grants
		WHERE state IN ('ACTIVE', 'SUSPENDED') AND valid_until <= $1 LIMIT $2`, now, limit)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, postgres.MapError(err)
}

// ExpiredGrants returns the asset's grants in force or suspended whose window ended by
// now, parents first.
func (t *Tx) ExpiredGrants(assetID string, now time.Time) ([]*domain.Grant, error) {
	return collectGrants(t.tx.Query(t.ctx, `SELECT `+grantColumns+` FROM grants
		WHERE asset_id = $1 AND state IN ('ACTIVE', 'SUSPENDED') AND valid_until <= $2 ORDER BY depth, id`, assetID, now))
}
