package app

import (
	"context"
	"math"
	"strings"

	"github.com/google/uuid"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/protoconv"
	"yaosu.dev/services/scenario/internal/store"
)

// RecordOutcome records a scenario's outcome for its period: scenario operators and admins
// of the operating organisation. A second record for the same period replaces the first
// (revision + 1). The period's end may not be before its start. It emits outcome.recorded
// in the same transaction and returns the outcome as stored.
func (a *App) RecordOutcome(ctx context.Context, o domain.Outcome) (*domain.Outcome, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.RequireManager("recording an outcome"); err != nil {
		return nil, err
	}
	if uuid.Validate(o.ScenarioID) != nil {
		return nil, errs.NotFound(domain.ReasonScenarioNotFound, "scenarios/%s not found", o.ScenarioID)
	}
	for field, v := range map[string]float64{"outcome.revenue_yuan": o.RevenueYuan, "outcome.cost_saved_yuan": o.CostSavedYuan} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation(field, "must be a finite amount ≥ 0", "应为不小于0的有限金额"))
		}
	}
	if o.Beneficiaries < 0 || o.ServiceCount < 0 {
		return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation("outcome", "counts must be ≥ 0", "计数不能为负数"))
	}
	o.Recorder, o.RecordTime = c.Subject, a.now0()
	var out *domain.Outcome
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		s, err := tx.LockScenario(o.ScenarioID)
		if err == nil {
			err = visible(c, s)
		}
		if err != nil {
			return err
		}
		if err := c.RequireManages(s, "recording an outcome"); err != nil {
			return err
		}
		if out, err = tx.UpsertOutcome(&o); err != nil {
			return err
		}
		ev, err := messaging.NewEvent(ctx, ServiceName, ServiceName+".outcome.recorded", out.Subject(), out.Revision,
			&eventsv1.OutcomeRecorded{Outcome: protoconv.Outcome(out), Revision: out.Revision})
		tx.Emit(ev)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UsageReport is usage summed over a period, and the outcomes recorded in it.
type UsageReport struct {
	PerAsset, PerScenario []store.UsageTotal
	Outcomes              []*domain.Outcome
}

// GetUsageReport sums the daily usage of the scenarios the caller may see (its
// organisation's; every scenario for auditors, admins and internal systems) over the
// inclusive period, per asset and per scenario, sorted by name, with the outcomes whose
// periods overlap it. scenario ("" = all) limits it to one scenario.
func (a *App) GetUsageReport(ctx context.Context, scenario, start, end string) (*UsageReport, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	from, to, err := domain.ParsePeriod(start, end, "period_start", "period_end")
	if err != nil {
		return nil, err
	}
	q := store.ReportQuery{Start: from, End: to}
	p, _ := auth.FromContext(ctx)
	if !c.ReadAll && !p.Has(auth.RoleService) {
		q.Operator = c.Organisation
	}
	if scenario != "" {
		id := strings.TrimPrefix(scenario, "scenarios/")
		if !strings.HasPrefix(scenario, "scenarios/") || uuid.Validate(id) != nil {
			return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation("scenario", "not scenarios/{uuid}", "应为场景名称 scenarios/{uuid}"))
		}
		s, err := a.store.Scenario(ctx, id)
		if err == nil && q.Operator != "" && s.Operator != q.Operator {
			err = errs.NotFound(domain.ReasonScenarioNotFound, "%s not found", s.Name())
		}
		if err != nil {
			return nil, err
		}
		q.Scenario = id
	}
	perAsset, perScenario, outcomes, err := a.store.Report(ctx, q)
	if err != nil {
		return nil, err
	}
	return &UsageReport{PerAsset: perAsset, PerScenario: perScenario, Outcomes: outcomes}, nil
}
