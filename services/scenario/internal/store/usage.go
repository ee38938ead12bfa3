package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/scenario/internal/domain"
)

// ShareScenarios loads scenarios FOR SHARE (in id order), so that none changes state while
// usage through them is judged; missing ones are absent from the map.
func (t *Tx) ShareScenarios(ids []string) (map[string]*domain.Scenario, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+scenarioColumns+` FROM scenarios WHERE id = ANY($1::uuid[])
		ORDER BY id FOR SHARE`, ids)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Scenario, error) { return scanScenario(r) })
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out := make(map[string]*domain.Scenario, len(list))
	for _, s := range list {
		out[s.ID] = s
	}
	return out, nil
}

// ShareLinks loads links FOR SHARE (in id order), so that none is blocked while usage
// through it is judged; missing ones are absent from the map.
func (t *Tx) ShareLinks(ids []string) (map[string]*domain.Link, error) {
	list, err := collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE id = ANY($1::uuid[])
		ORDER BY id FOR SHARE`, ids))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*domain.Link, len(list))
	for _, l := range list {
		out[l.ID] = l
	}
	return out, nil
}

// InsertUsage stores records whose (reporting system, record id) is new and returns the
// record ids it stored; the others were reported before.
func (t *Tx) InsertUsage(recs []*domain.UsageRecord, receive time.Time) (map[string]bool, error) {
	n := len(recs)
	var (
		systems, ids, links, scenarios, assets, forms, outcomes, reasons = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		calls, records, bytes = make([]int64, n), make([]int64, n), make([]int64, n)
		starts, ends          = make([]time.Time, n), make([]time.Time, n)
	)
	for i, r := range recs {
		systems[i], ids[i], links[i], scenarios[i], assets[i], forms[i], outcomes[i], reasons[i] =
			r.ReportingSystem, r.RecordID, r.LinkID, r.ScenarioID, r.AssetID, r.DeliveryForm, r.Outcome, r.Reason
		calls[i], records[i], bytes[i], starts[i], ends[i] = r.Calls, r.Records, r.Bytes, r.WindowStart, r.WindowEnd
	}
	rows, err := t.tx.Query(t.ctx, `INSERT INTO usage_records (reporting_system, record_id, link_id, scenario_id, asset_id,
		delivery_form, calls, records, bytes, window_start, window_end, outcome, reason, receive_time)
		SELECT u.sys, u.rid, nullif(u.link, '')::uuid, nullif(u.scen, '')::uuid, nullif(u.asset, '')::uuid, u.form,
			u.calls, u.records, u.bytes, u.ws, u.we, u.outcome, u.reason, $14
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
			$9::bigint[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[])
			AS u(sys, rid, link, scen, asset, form, calls, records, bytes, ws, we, outcome, reason)
		ON CONFLICT (reporting_system, record_id) DO NOTHING
		RETURNING record_id`, systems, ids, links, scenarios, assets, forms, calls, records, bytes, starts, ends,
		outcomes, reasons, receive)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out := make(map[string]bool, len(got))
	for _, id := range got {
		out[id] = true
	}
	return out, nil
}

// DailyUsage is one link's usage on one day.
type DailyUsage struct {
	ScenarioID string
	LinkID     string
	AssetID    string
	Day        time.Time
	Calls      int64
	Records    int64
	Bytes      int64
	Denied     int64
}

// AddDaily adds to the daily sums (one row per link and day in rows).
func (t *Tx) AddDaily(rows []DailyUsage) error {
	for _, d := range rows {
		if _, err := t.tx.Exec(t.ctx, `INSERT INTO usage_daily (scenario_id, link_id, asset_id, day, calls, records, bytes, denied)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (link_id, day) DO UPDATE SET calls = usage_daily.calls + excluded.calls,
				records = usage_daily.records + excluded.records, bytes = usage_daily.bytes + excluded.bytes,
				denied = usage_daily.denied + excluded.denied`,
			d.ScenarioID, d.LinkID, d.AssetID, d.Day, d.Calls, d.Records, d.Bytes, d.Denied); err != nil {
			return err
		}
	}
	return nil
}

// Daily returns a link's daily sums, oldest day first.
func (s *Store) Daily(ctx context.Context, linkID string) ([]DailyUsage, error) {
	rows, err := s.pool.Query(ctx, `SELECT scenario_id, link_id, asset_id, day, calls, records, bytes, denied
		FROM usage_daily WHERE link_id = $1 ORDER BY day`, linkID)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DailyUsage, error) {
		var d DailyUsage
		err := r.Scan(&d.ScenarioID, &d.LinkID, &d.AssetID, &d.Day, &d.Calls, &d.Records, &d.Bytes, &d.Denied)
		return d, err
	})
	return out, postgres.MapError(err)
}

// --- alerts ---

const alertColumns = `id, scenario_id, operator_organisation, coalesce(link_id::text, ''), rule, severity, state,
	assignee, detail, revision, raise_time, update_time`

func scanAlert(row pgx.Row) (*domain.Alert, error) {
	var a domain.Alert
	if err := row.Scan(&a.ID, &a.ScenarioID, &a.Operator, &a.LinkID, &a.Rule, &a.Severity, &a.State, &a.Assignee,
		&a.Detail, &a.Revision, &a.RaiseTime, &a.UpdateTime); err != nil {
		return nil, err
	}
	a.RaiseTime, a.UpdateTime = a.RaiseTime.UTC(), a.UpdateTime.UTC()
	return &a, nil
}

// RaiseAlert stores a new OPEN alert and its first history row, unless the link already has
// an OPEN alert of the rule; it reports whether it stored one.
func (t *Tx) RaiseAlert(a *domain.Alert, actor string) (bool, error) {
	var link *string
	if a.LinkID != "" {
		link = &a.LinkID
	}
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO alerts (id, scenario_id, operator_organisation, link_id, rule, severity,
		state, assignee, detail, revision, raise_time, update_time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (link_id, rule) WHERE state = 'OPEN' DO NOTHING`,
		a.ID, a.ScenarioID, a.Operator, link, a.Rule, a.Severity, a.State, a.Assignee, a.Detail, a.Revision, a.RaiseTime, a.UpdateTime)
	if err != nil || tag.RowsAffected() == 0 {
		return false, err
	}
	return true, t.alertHistory(a, "raise", actor, a.Detail)
}

// LockAlert loads an alert FOR UPDATE.
func (t *Tx) LockAlert(id string) (*domain.Alert, error) {
	a, err := scanAlert(t.tx.QueryRow(t.ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.NotFound(domain.ReasonAlertNotFound, "alerts/%s not found", id)
	}
	return a, postgres.MapError(err)
}

// UpdateAlert saves an alert's new state (revision already bumped) and its history row.
func (t *Tx) UpdateAlert(a *domain.Alert, action, actor, note string) error {
	tag, err := t.tx.Exec(t.ctx, `UPDATE alerts SET state = $2, assignee = $3, revision = $4, update_time = $5
		WHERE id = $1 AND revision = $4 - 1`, a.ID, a.State, a.Assignee, a.Revision, a.UpdateTime)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return errs.New(errs.KindAborted, errs.ReasonConflict, "%s changed concurrently; retry", a.Name())
	}
	return t.alertHistory(a, action, actor, note)
}

func (t *Tx) alertHistory(a *domain.Alert, action, actor, note string) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO alert_history (alert_id, revision, state, assignee, action, actor, note, time)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.ID, a.Revision, a.State, a.Assignee, action, actor, note, a.UpdateTime)
	return err
}

// AlertHistory returns an alert's history (revision, state, action, actor, note), oldest first.
func (s *Store) AlertHistory(ctx context.Context, id string) ([]HistoryRow, error) {
	return history(ctx, s.pool, `SELECT revision, state, action, actor, note, time FROM alert_history
		WHERE alert_id = $1 ORDER BY revision`, id)
}

// AlertQuery filters ListAlerts.
type AlertQuery struct {
	// Operator limits to one operating organisation ("" = all).
	Operator string
	// Scenario limits to one scenario ("" = all).
	Scenario   string
	States     []string
	Severities []string
	// Before is the last id of the previous page.
	Before string
	Limit  int
}

// ListAlerts returns up to Limit+1 alerts, newest first.
func (s *Store) ListAlerts(ctx context.Context, q AlertQuery) ([]*domain.Alert, error) {
	var before, scenario *string
	if q.Before != "" {
		before = &q.Before
	}
	if q.Scenario != "" {
		scenario = &q.Scenario
	}
	states, sev := q.States, q.Severities
	if states == nil {
		states = []string{}
	}
	if sev == nil {
		sev = []string{}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE ($1 = '' OR operator_organisation = $1) AND ($2::uuid IS NULL OR scenario_id = $2::uuid)
		AND (cardinality($3::text[]) = 0 OR state = ANY($3)) AND (cardinality($4::text[]) = 0 OR severity = ANY($4))
		AND ($5::uuid IS NULL OR id < $5::uuid)
		ORDER BY id DESC LIMIT $6`, q.Operator, scenario, states, sev, before, q.Limit+1)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Alert, error) { return scanAlert(r) })
	return out, postgres.MapError(err)
}
