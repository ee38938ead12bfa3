package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"yaosu.dev/pkg/postgres"
	"yaosu.dev/services/scenario/internal/domain"
)

const outcomeColumns = `scenario_id, period_start, period_end, revenue_yuan::float8, cost_saved_yuan::float8,
	beneficiaries, service_count, note, recorder, record_time, revision`

func scanOutcome(row pgx.Row) (*domain.Outcome, error) {
	var o domain.Outcome
	if err := row.Scan(&o.ScenarioID, &o.PeriodStart, &o.PeriodEnd, &o.RevenueYuan, &o.CostSavedYuan, &o.Beneficiaries,
		&o.ServiceCount, &o.Note, &o.Recorder, &o.RecordTime, &o.Revision); err != nil {
		return nil, err
	}
	o.PeriodStart, o.PeriodEnd, o.RecordTime = o.PeriodStart.UTC(), o.PeriodEnd.UTC(), o.RecordTime.UTC()
	return &o, nil
}

// UpsertOutcome stores a scenario's outcome for its period: a new row at revision 1, or,
// when the period was recorded before, its figures replaced and its revision bumped. It
// returns the outcome as stored. Callers lock the scenario first.
func (t *Tx) UpsertOutcome(o *domain.Outcome) (*domain.Outcome, error) {
	out, err := scanOutcome(t.tx.QueryRow(t.ctx, `INSERT INTO outcomes (scenario_id, period_start, period_end,
		revenue_yuan, cost_saved_yuan, beneficiaries, service_count, note, recorder, record_time, revision)
		VALUES ($1, $2, $3, $4::float8::numeric, $5::float8::numeric, $6, $7, $8, $9, $10, 1)
		ON CONFLICT (scenario_id, period_start, period_end) DO UPDATE SET revenue_yuan = excluded.revenue_yuan,
			cost_saved_yuan = excluded.cost_saved_yuan, beneficiaries = excluded.beneficiaries,
			service_count = excluded.service_count, note = excluded.note, recorder = excluded.recorder,
			record_time = excluded.record_time, revision = outcomes.revision + 1
		RETURNING `+outcomeColumns,
		o.ScenarioID, o.PeriodStart, o.PeriodEnd, o.RevenueYuan, o.CostSavedYuan, o.Beneficiaries, o.ServiceCount,
		o.Note, o.Recorder, o.RecordTime))
	return out, postgres.MapError(err)
}

// ReportQuery bounds a usage report.
type ReportQuery struct {
	// Operator limits to one operating organisation's scenarios ("" = all).
	Operator string
	// Scenario limits to one scenario ("" = all).
	Scenario string
	// Start and End are the period's first and last days (inclusive).
	Start, End time.Time
}

// UsageTotal is usage summed over a report's period under one key (an asset or scenario id).
type UsageTotal struct {
	Key                           string
	Calls, Records, Bytes, Denied int64
}

func (s *Store) totals(ctx context.Context, key string, q ReportQuery) ([]UsageTotal, error) {
	var scenario *string
	if q.Scenario != "" {
		scenario = &q.Scenario
	}
	rows, err := s.pool.Query(ctx, `SELECT d.`+key+`::text, sum(d.calls)::bigint, sum(d.records)::bigint,
		sum(d.bytes)::bigint, sum(d.denied)::bigint
		FROM usage_daily d JOIN scenarios s ON s.id = d.scenario_id
		WHERE d.day BETWEEN $1 AND $2 AND ($3 = '' OR s.operator_organisation = $3)
		AND ($4::uuid IS NULL OR d.scenario_id = $4::uuid)
		GROUP BY d.`+key+` ORDER BY d.`+key+`::text`, q.Start, q.End, q.Operator, scenario)
	if err != nil {
		return nil, postgres.MapError(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UsageTotal, error) {
		var u UsageTotal
		err := r.Scan(&u.Key, &u.Calls, &u.Records, &u.Bytes, &u.Denied)
		return u, err
	})
	return out, postgres.MapError(err)
}

// Report sums usage_daily over the period per asset and per scenario (sorted by id) and
// returns the outcomes whose periods overlap it (by scenario, then period).
func (s *Store) Report(ctx context.Context, q ReportQuery) (perAsset, perScenario []UsageTotal, outcomes []*domain.Outcome, err error) {
	if perAsset, err = s.totals(ctx, "asset_id", q); err != nil {
		return nil, nil, nil, err
	}
	if perScenario, err = s.totals(ctx, "scenario_id", q); err != nil {
		return nil, nil, nil, err
	}
	var scenario *string
	if q.Scenario != "" {
		scenario = &q.Scenario
	}
	rows, err := s.pool.Query(ctx, `SELECT o.scenario_id, o.period_start, o.period_end, o.revenue_yuan::float8,
		o.cost_saved_yuan::float8, o.beneficiaries, o.service_count, o.note, o.recorder, o.record_time, o.revision
		FROM outcomes o JOIN scenarios s ON s.id = o.scenario_id
		WHERE o.period_start <= $2 AND o.period_end >= $1 AND ($3 = '' OR s.operator_organisation = $3)
		AND ($4::uuid IS NULL OR o.scenario_id = $4::uuid)
		ORDER BY o.scenario_id::text, o.period_start, o.period_end`, q.Start, q.End, q.Operator, scenario)
	if err != nil {
		return nil, nil, nil, postgres.MapError(err)
	}
	outcomes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*domain.Outcome, error) { return scanOutcome(r) })
	if err != nil {
		return nil, nil, nil, postgres.MapError(err)
	}
	return perAsset, perScenario, outcomes, nil
}
