// Package store keeps the scenario service's scenarios and links in Postgres (the
// scenario schema, through the pool's search_path). Every write is one transaction that
// also appends its events to the outbox; a scenario's writes lock its row first, so its
// revisions and its links' changes are serialised.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/scenario/internal/domain"
)

// Store is the scenario repository.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool (search_path: the scenario schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Tx is a write in progress.
type Tx struct {
	ctx    context.Context
	tx     pgx.Tx
	events []*eventsv1.Event
}

// InTx runs fn in one transaction and appends the events fn emitted before committing.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	return postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error { return s.InPgxTx(ctx, tx, fn) })
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

// Emit queues events for the transaction's outbox.
func (t *Tx) Emit(evs ...*eventsv1.Event) { t.events = append(t.events, evs...) }

// LockCauses serialises, per grant and asset, the writes that make links (which must see
// a block committed before them) with the consumer's blocking (which must see the links
// committed before it): a transaction-scoped advisory lock per cause, taken in order.
func (t *Tx) LockCauses(causes ...string) error {
	for _, c := range causes {
		h := fnv.New64a()
		_, _ = h.Write([]byte("yaosu.scenario.cause:" + c))
		if _, err := t.tx.Exec(t.ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64())); err != nil {
			return err
		}
	}
	return nil
}

// Blocked returns the first of causes currently blocking use, with the event that did it.
func (t *Tx) Blocked(causes ...string) (cause, eventType string, err error) {
	err = t.tx.QueryRow(t.ctx, `SELECT cause, event_type FROM blocks WHERE cause = ANY($1) ORDER BY cause LIMIT 1`, causes).
		Scan(&cause, &eventType)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil
	}
	return cause, eventType, err
}

// SetBlock records that cause stops use (final: it never comes back).
func (t *Tx) SetBlock(cause string, final bool, eventType string, at time.Time) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO blocks (cause, final, event_type, since) VALUES ($1, $2, $3, $4)
		ON CONFLICT (cause) DO UPDATE SET final = blocks.final OR excluded.final, event_type = excluded.event_type, since = excluded.since`,
		cause, final, eventType, at)
	return err
}

// ClearBlock records that cause allows use again, unless it was final; it reports whether
// the block is gone.
func (t *Tx) ClearBlock(cause string) (bool, error) {
	var final bool
	err := t.tx.QueryRow(t.ctx, `SELECT final FROM blocks WHERE cause = $1`, cause).Scan(&final)
	if errors.Is(err, pgx.ErrNoRows) {
		return true, nil
	}
	if err != nil || final {
		return false, err
	}
	_, err = t.tx.Exec(t.ctx, `DELETE FROM blocks WHERE cause = $1`, cause)
	return err == nil, err
}

// --- scenarios ---

const scenarioColumns = `id, display_name, sector, description, operator_organisation, objective, kpis, region,
	state, revision, create_time, update_time`

func scanScenario(row pgx.Row) (*domain.Scenario, error) {
	var s domain.Scenario
	var kpis []byte
	var state string
	if err := row.Scan(&s.ID, &s.DisplayName, &s.Sector, &s.Description, &s.Operator, &s.Objective, &kpis, &s.Region,
		&state, &s.Revision, &s.CreateTime, &s.UpdateTime); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(kpis, &s.KPIs); err != nil {
		return nil, err
	}
	s.State, s.CreateTime, s.UpdateTime = domain.State(state), s.CreateTime.UTC(), s.UpdateTime.UTC()
	return &s, nil
}

func scenarioNotFound(id string) error {
	return errs.NotFound(domain.ReasonScenarioNotFound, "scenarios/%s not found", id)
}

func getScenario(ctx context.Context, q querier, sql, id string) (*domain.Scenario, error) {
	s, err := scanScenario(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, scenarioNotFound(id)
	}
	return s, postgres.MapError(err)
}

// Scenario loads one scenario.
func (s *Store) Scenario(ctx context.Context, id string) (*domain.Scenario, error) {
	return getScenario(ctx, s.pool, `SELECT `+scenarioColumns+` FROM scenarios WHERE id = $1`, id)
}

// LockScenario loads one scenario FOR UPDATE.
func (t *Tx) LockScenario(id string) (*domain.Scenario, error) {
	return getScenario(t.ctx, t.tx, `SELECT `+scenarioColumns+` FROM scenarios WHERE id = $1 FOR UPDATE`, id)
}

// ScenarioByRequest returns the scenario org proposed with request id, if any.
func (s *Store) ScenarioByRequest(ctx context.Context, org, requestID string) (*domain.Scenario, error) {
	sc, err := scanScenario(s.pool.QueryRow(ctx, `SELECT `+scenarioColumns+` FROM scenarios
		WHERE request_org = $1 AND request_id = $2`, org, requestID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return sc, postgres.MapError(err)
}

func kpiJSON(k []domain.KPI) ([]byte, error) {
	if k == nil {
		k = []domain.KPI{}
	}
	return json.Marshal(k)
}

// InsertScenario stores a new scenario and its first history row.
func (t *Tx) InsertScenario(s *domain.Scenario, requestOrg, requestID, action, actor, reason string) error {
	kpis, err := kpiJSON(s.KPIs)
	if err != nil {
		return err
	}
	var reqID *string
	if requestID != "" {
		reqID = &requestID
	}
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO scenarios (id, display_name, sector, description, operator_organisation,
		objective, kpis, region, state, revision, request_org, request_id, create_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		s.ID, s.DisplayName, s.Sector, s.Description, s.Operator, s.Objective, kpis, s.Region, string(s.State), s.Revision,
		requestOrg, reqID, s.CreateTime, s.UpdateTime); err != nil {
		return err
	}
	return t.scenarioHistory(s, action, actor, reason)
}

// UpdateScenario saves a scenario's new state (revision already bumped) and its history row.
func (t *Tx) UpdateScenario(s *domain.Scenario, action, actor, reason string) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE scenarios SET state = $2, revision = $3, update_time = $4
		WHERE id = $1 AND revision = $3 - 1`, s.ID, string(s.State), s.Revision, s.UpdateTime)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errs.New(errs.KindAborted, errs.ReasonConflict, "%s changed concurrently; retry", s.Name())
	}
	return t.scenarioHistory(s, action, actor, reason)
}

func (t *Tx) scenarioHistory(s *domain.Scenario, action, actor, reason string) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO scenario_history (scenario_id, revision, state, action, actor, reason, time)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.ID, s.Revision, string(s.State), action, actor, reason, s.UpdateTime)
	return err
}

// ScenarioQuery filters ListScenarios.
type ScenarioQuery struct {
	// Operator limits to one operating organisation ("" = all).
	Operator string
	States   []string
	Sector   string
	// Before is the last id of the previous page.
	Before string
	Limit  int
}

// ListScenarios returns up to Limit+1 scenarios, newest first.
func (s *Store) ListScenarios(ctx context.Context, q ScenarioQuery) ([]*domain.Scenario, error) {
	var before *string
	if q.Before != "" {
		before = &q.Before
	}
	states := q.States
	if states == nil {
		states = []string{}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+scenarioColumns+` FROM scenarios
		WHERE ($1 = '' OR operator_organisation = $1) AND (cardinality($2::text[]) = 0 OR state = ANY($2))
		AND ($3 = '' OR sector = $3) AND ($4::uuid IS NULL OR id < $4::uuid)
		ORDER BY id DESC LIMIT $5`, q.Operator, states, q.Sector, before, q.Limit+1)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Scenario, error) { return scanScenario(r) })
	return out, postgres.MapError(err)
}

// HistoryRow is one row of scenario_history or link_history.
type HistoryRow struct {
	Revision int64
	State    string
	Action   string
	Actor    string
	Reason   string
	Time     time.Time
}

// ScenarioHistory returns a scenario's history, oldest first.
func (s *Store) ScenarioHistory(ctx context.Context, id string) ([]HistoryRow, error) {
	return history(ctx, s.pool, `SELECT revision, state, action, actor, reason, time FROM scenario_history
		WHERE scenario_id = $1 ORDER BY revision`, id)
}

// LinkHistory returns a link's history, oldest first.
func (s *Store) LinkHistory(ctx context.Context, id string) ([]HistoryRow, error) {
	return history(ctx, s.pool, `SELECT revision, state, action, actor, reason, time FROM link_history
		WHERE link_id = $1 ORDER BY revision`, id)
}

func history(ctx context.Context, q querier, sql, id string) ([]HistoryRow, error) {
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryRow, error) {
		var h HistoryRow
		err := r.Scan(&h.Revision, &h.State, &h.Action, &h.Actor, &h.Reason, &h.Time)
		h.Time = h.Time.UTC()
		return h, err
	})
	return out, postgres.MapError(err)
}
