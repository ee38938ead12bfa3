package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/scenario/internal/domain"
)

// Scenarios loads scenarios, without locking them; missing ones are absent from the map.
// Usage is judged against the scenario's state as read: a batch does not hold a scenario
// transition up, and under steady ingestion share locks on the scenarios would starve the
// transitions and links that need the scenario's row lock.
func (t *Tx) Scenarios(ids []string) (map[string]*domain.Scenario, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+scenarioColumns+` FROM scenarios WHERE id = ANY($1::uuid[])`, ids)
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

// Links loads links without locking them; missing ones are absent from the map. Usage
// is judged against a link as read: a block committing meanwhile is not waited for (share
// locks held by a steady flow of batches would starve the consumer's block, which needs
// the row). Usage a batch allows for after a block's time is caught afterwards: by the
// consumer when the block arrives, and by the monitor for batches that were in flight then.
func (t *Tx) Links(ids []string) (map[string]*domain.Link, error) {
	list, err := collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE id = ANY($1::uuid[])`, ids))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*domain.Link, len(list))
	for _, l := range list {
		out[l.ID] = l
	}
	return out, nil
}

// RecentBlock is a block set since some time, and the links it blocks.
type RecentBlock struct {
	Cause, EventType string
	Since            time.Time
	Links            []*domain.Link
}

// RecentBlocks returns the blocks whose time is after since, with the links they block.
func (t *Tx) RecentBlocks(since time.Time) ([]RecentBlock, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT cause, event_type, since FROM blocks WHERE since > $1 ORDER BY cause`, since)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	var out []RecentBlock
	var b RecentBlock
	if _, err := pgx.ForEachRow(rows, []any{&b.Cause, &b.EventType, &b.Since}, func() error {
		out = append(out, RecentBlock{Cause: b.Cause, EventType: b.EventType, Since: b.Since.UTC()})
		return nil
	}); err != nil {
		return nil, postgres.MapError(err)
	}
	for i := range out {
		if out[i].Links, err = collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links
			WHERE blocked_by = $1 AND state = 'BLOCKED' ORDER BY id`, out[i].Cause)); err != nil {
			return nil, err
		}
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
		purposes              = make([]string, n)
		calls, records, bytes = make([]int64, n), make([]int64, n), make([]int64, n)
		starts, ends          = make([]time.Time, n), make([]time.Time, n)
	)
	for i, r := range recs {
		systems[i], ids[i], links[i], scenarios[i], assets[i], forms[i], outcomes[i], reasons[i] =
			r.ReportingSystem, r.RecordID, r.LinkID, r.ScenarioID, r.AssetID, r.DeliveryForm, r.Outcome, r.Reason
		calls[i], records[i], bytes[i], starts[i], ends[i] = r.Calls, r.Records, r.Bytes, r.WindowStart, r.WindowEnd
		purposes[i] = r.Purpose
	}
	rows, err := t.tx.Query(t.ctx, `INSERT INTO usage_records (reporting_system, record_id, link_id, scenario_id, asset_id,
		delivery_form, calls, records, bytes, window_start, window_end, outcome, reason, receive_time, purpose)
		SELECT u.sys, u.rid, nullif(u.link, '')::uuid, nullif(u.scen, '')::uuid, nullif(u.asset, '')::uuid, u.form,
			u.calls, u.records, u.bytes, u.ws, u.we, u.outcome, u.reason, $14, u.purpose
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
			$9::bigint[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[], $15::text[])
			AS u(sys, rid, link, scen, asset, form, calls, records, bytes, ws, we, outcome, reason, purpose)
		ON CONFLICT (reporting_system, record_id) DO NOTHING
		RETURNING record_id`, systems, ids, links, scenarios, assets, forms, calls, records, bytes, starts, ends,
		outcomes, reasons, receive, purposes)
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

// AddDaily adds to the daily sums (one row per link and day in rows, in the order the
// caller locks them), in this connection's stripe (see migration 00005), and returns each
// link's records that day after the addition: this stripe's total plus what the other
// stripes hold committed.
func (t *Tx) AddDaily(rows []DailyUsage) ([]int64, error) {
	n := len(rows)
	if n == 0 {
		return nil, nil
	}
	scenarios, links, assets, days := make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	calls, records, bytes, denied := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, d := range rows {
		scenarios[i], links[i], assets[i], days[i] = d.ScenarioID, d.LinkID, d.AssetID, d.Day
		calls[i], records[i], bytes[i], denied[i] = d.Calls, d.Records, d.Bytes, d.Denied
	}
	// One statement for the batch; WITH ORDINALITY keeps the insert (and so the row locks)
	// in the caller's order, and the totals come back in it.
	rs, err := t.tx.Query(t.ctx, `WITH up AS (
			INSERT INTO usage_daily AS d (scenario_id, link_id, asset_id, day, stripe, calls, records, bytes, denied)
			SELECT u.scen::uuid, u.link::uuid, u.asset::uuid, u.day, pg_backend_pid() % 16, u.calls, u.records, u.bytes, u.denied
			FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
				WITH ORDINALITY AS u(scen, link, asset, day, calls, records, bytes, denied, ord)
			ORDER BY u.ord
			ON CONFLICT (link_id, day, stripe) DO UPDATE SET calls = d.calls + excluded.calls,
				records = d.records + excluded.records, bytes = d.bytes + excluded.bytes,
				denied = d.denied + excluded.denied
			RETURNING d.link_id, d.day, d.stripe, d.records)
		SELECT up.records + coalesce((SELECT sum(o.records) FROM usage_daily o
				WHERE o.link_id = up.link_id AND o.day = up.day AND o.stripe <> up.stripe), 0)::bigint
		FROM unnest($2::uuid[], $4::date[]) WITH ORDINALITY AS k(link, day, ord)
			JOIN up ON up.link_id = k.link AND up.day = k.day ORDER BY k.ord`,
		scenarios, links, assets, days, calls, records, bytes, denied)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	totals, err := pgx.CollectRows(rs, pgx.RowTo[int64])
	if err != nil {
		return nil, postgres.MapError(err)
	}
	if len(totals) != n {
		return nil, fmt.Errorf("usage_daily: %d totals for %d rows", len(totals), n)
	}
	return totals, nil
}

// Daily returns a link's daily sums, oldest day first.
func (s *Store) Daily(ctx context.Context, linkID string) ([]DailyUsage, error) {
	rows, err := s.pool.Query(ctx, `SELECT scenario_id, link_id, asset_id, day, sum(calls)::bigint, sum(records)::bigint,
		sum(bytes)::bigint, sum(denied)::bigint
		FROM usage_daily WHERE link_id = $1 GROUP BY scenario_id, link_id, asset_id, day ORDER BY day`, linkID)
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

// AllowedAfter counts, per link, the allowed usage records whose window ends after at.
func (t *Tx) AllowedAfter(linkIDs []string, at time.Time) (map[string]int64, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT link_id::text, count(*) FROM usage_records
		WHERE link_id = ANY($1::uuid[]) AND outcome = 'ALLOWED' AND window_end > $2 GROUP BY link_id`, linkIDs, at)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out := map[string]int64{}
	var id string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	return out, postgres.MapError(err)
}

// RaiseAlert stores a new OPEN alert and its first history row, unless the link already has
// an OPEN alert of the rule, or (quietSince not zero) had one of the rule raised at or
// after quietSince; it reports whether it stored one. An empty a.Operator is filled from
// the scenario.
func (t *Tx) RaiseAlert(a *domain.Alert, actor string, quietSince time.Time) (bool, error) {
	var link *string
	if a.LinkID != "" {
		link = &a.LinkID
	}
	var quiet *time.Time
	if !quietSince.IsZero() {
		quiet = &quietSince
	}
	err := t.tx.QueryRow(t.ctx, `INSERT INTO alerts (id, scenario_id, operator_organisation, link_id, rule, severity,
		state, assignee, detail, revision, raise_time, update_time)
		SELECT $1, $2, coalesce(nullif($3, ''), (SELECT operator_organisation FROM scenarios WHERE id = $2)),
			$4, $5, $6, $7, $8, $9, $10, $11, $12
		WHERE $13::timestamptz IS NULL OR NOT EXISTS (SELECT 1 FROM alerts
			WHERE link_id = $4 AND rule = $5 AND raise_time >= $13)
		ON CONFLICT (link_id, rule) WHERE state = 'OPEN' DO NOTHING
		RETURNING operator_organisation`,
		a.ID, a.ScenarioID, a.Operator, link, a.Rule, a.Severity, a.State, a.Assignee, a.Detail, a.Revision, a.RaiseTime,
		a.UpdateTime, quiet).Scan(&a.Operator)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, postgres.MapError(err)
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
	Rules      []string
	// Link limits to one link ("" = all).
	Link string
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
	var link *string
	if q.Link != "" {
		link = &q.Link
	}
	nonNil := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	rows, err := s.pool.Query(ctx, `SELECT `+alertColumns+` FROM alerts
		WHERE ($1 = '' OR operator_organisation = $1) AND ($2::uuid IS NULL OR scenario_id = $2::uuid)
		AND (cardinality($3::text[]) = 0 OR state = ANY($3)) AND (cardinality($4::text[]) = 0 OR severity = ANY($4))
		AND ($5::uuid IS NULL OR id < $5::uuid) AND (cardinality($7::text[]) = 0 OR rule = ANY($7))
		AND ($8::uuid IS NULL OR link_id = $8::uuid)
		ORDER BY id DESC LIMIT $6`, q.Operator, scenario, nonNil(q.States), nonNil(q.Severities), before, q.Limit+1,
		nonNil(q.Rules), link)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Alert, error) { return scanAlert(r) })
	return out, postgres.MapError(err)
}

// TryMonitorLock takes the monitor's transaction-level advisory lock if it is free.
func (t *Tx) TryMonitorLock() (bool, error) {
	var ok bool
	err := t.tx.QueryRow(t.ctx, `SELECT pg_try_advisory_xact_lock(hashtext('yaosu.scenario.monitor'))`).Scan(&ok)
	return ok, postgres.MapError(err)
}

// Spike is a link whose day's records are far above its learnt baseline.
type Spike struct {
	Link    *domain.Link
	Records int64
	Mean    float64
	Days    int
}

// LearntSpikes finds the active links without a declared baseline whose records on day
// exceed factor × their mean over the days with usage among the previous days days, when
// there are at least minDays of those.
func (t *Tx) LearntSpikes(day time.Time, days, minDays int, factor float64) ([]Spike, error) {
	rows, err := t.tx.Query(t.ctx, `WITH today AS (
			SELECT d.link_id, sum(d.records)::bigint AS records FROM usage_daily d JOIN links l ON l.id = d.link_id
			WHERE d.day = $1 AND l.daily_baseline_records = 0 AND l.state = 'ACTIVE'
			GROUP BY d.link_id HAVING sum(d.records) > 0),
		days AS (
			SELECT d.link_id, d.day, sum(d.records) AS records
			FROM usage_daily d JOIN today USING (link_id)
			WHERE d.day >= $1::date - $2::int AND d.day < $1 GROUP BY d.link_id, d.day HAVING sum(d.records) > 0),
		base AS (
			SELECT link_id, avg(records)::float8 AS mean, count(*)::int AS days FROM days GROUP BY link_id)
		SELECT today.link_id::text, today.records, base.mean, base.days
		FROM today JOIN base USING (link_id)
		WHERE base.days >= $3 AND today.records > $4 * base.mean
		ORDER BY today.link_id`, day, days, minDays, factor)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	var out []Spike
	var ids []string
	var id string
	var sp Spike
	if _, err := pgx.ForEachRow(rows, []any{&id, &sp.Records, &sp.Mean, &sp.Days}, func() error {
		out, ids = append(out, sp), append(ids, id)
		return nil
	}); err != nil {
		return nil, postgres.MapError(err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	links, err := collectLinks(t.tx.Query(t.ctx, `SELECT `+linkColumns+` FROM links WHERE id = ANY($1::uuid[])`, ids))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*domain.Link, len(links))
	for _, l := range links {
		byID[l.ID] = l
	}
	for i := range out {
		out[i].Link = byID[ids[i]]
	}
	return out, nil
}

// PurgeUsage deletes raw usage records whose window started before horizon, chunk rows
// per statement (each its own short transaction, so ingestion is never held up long), and
// returns how many it deleted.
func (s *Store) PurgeUsage(ctx context.Context, horizon time.Time, chunk int) (int64, error) {
	var total int64
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM usage_records WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM usage_records WHERE window_start < $1 LIMIT $2))`, horizon, chunk)
		if err != nil {
			return total, postgres.MapError(err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(chunk) || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}
