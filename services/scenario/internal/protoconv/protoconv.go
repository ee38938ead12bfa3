// Package protoconv converts scenario aggregates to their API and event messages and back.
package protoconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/services/scenario/internal/domain"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// State converts a scenario state.
func State(s domain.State) scenariov1.ScenarioState {
	return scenariov1.ScenarioState(scenariov1.ScenarioState_value["SCENARIO_STATE_"+string(s)])
}

// DomainState converts an API scenario state.
func DomainState(s scenariov1.ScenarioState) string {
	return strings.TrimPrefix(s.String(), "SCENARIO_STATE_")
}

// LinkState converts a link state.
func LinkState(s domain.LinkState) scenariov1.LinkState {
	return scenariov1.LinkState(scenariov1.LinkState_value["LINK_STATE_"+string(s)])
}

// Right converts a right name.
func Right(r string) rightsv1.Right { return rightsv1.Right(rightsv1.Right_value["RIGHT_"+r]) }

// DomainRight converts an API right.
func DomainRight(r rightsv1.Right) string { return strings.TrimPrefix(r.String(), "RIGHT_") }

// Form converts a delivery form name.
func Form(f string) rightsv1.DeliveryForm {
	return rightsv1.DeliveryForm(rightsv1.DeliveryForm_value["DELIVERY_FORM_"+f])
}

// DomainForm converts an API delivery form.
func DomainForm(f rightsv1.DeliveryForm) string {
	return strings.TrimPrefix(f.String(), "DELIVERY_FORM_")
}

// Scenario converts a scenario.
func Scenario(s *domain.Scenario) *scenariov1.Scenario {
	out := &scenariov1.Scenario{Name: s.Name(), DisplayName: s.DisplayName, Sector: s.Sector, Description: s.Description,
		OperatorOrganisation: s.Operator, Objective: s.Objective, Region: s.Region, State: State(s.State),
		Revision: s.Revision, Etag: s.ETag(), CreateTime: ts(s.CreateTime), UpdateTime: ts(s.UpdateTime)}
	for _, k := range s.KPIs {
		out.Kpis = append(out.Kpis, &scenariov1.KPI{Name: k.Name, Target: k.Target, Unit: k.Unit})
	}
	return out
}

// DomainScenario converts the client-settable fields of an API scenario.
func DomainScenario(s *scenariov1.Scenario) domain.Scenario {
	out := domain.Scenario{DisplayName: s.GetDisplayName(), Sector: s.GetSector(), Description: s.GetDescription(),
		Objective: s.GetObjective(), Region: s.GetRegion()}
	for _, k := range s.GetKpis() {
		out.KPIs = append(out.KPIs, domain.KPI{Name: k.GetName(), Target: k.GetTarget(), Unit: k.GetUnit()})
	}
	return out
}

// Link converts a link.
func Link(l *domain.Link) *scenariov1.Link {
	out := &scenariov1.Link{Name: l.Name(), Asset: "assets/" + l.AssetID, Right: Right(l.Right),
		DeliveryForm: Form(l.DeliveryForm), Reason: l.Reason, DailyBaselineRecords: l.DailyBaseline,
		State: LinkState(l.State), StateReason: l.StateReason, Linker: l.Linker,
		CreateTime: ts(l.CreateTime), UpdateTime: ts(l.UpdateTime)}
	if l.GrantID != "" {
		out.Grant = "grants/" + l.GrantID
		out.GrantTerms = &scenariov1.GrantTerms{ValidFrom: ts(l.Grant.ValidFrom), ValidUntil: ts(l.Grant.ValidUntil),
			Purposes: l.Grant.Purposes}
		for _, f := range l.Grant.Forms {
			out.GrantTerms.DeliveryForms = append(out.GrantTerms.DeliveryForms, Form(f))
		}
	}
	return out
}

// DomainLink converts the client-settable fields of an API link; an unspecified right is
// processing-use.
func DomainLink(l *scenariov1.Link) domain.Link {
	right := domain.RightProcessingUse
	if l.GetRight() != rightsv1.Right_RIGHT_UNSPECIFIED {
		right = DomainRight(l.GetRight())
	}
	return domain.Link{AssetID: strings.TrimPrefix(l.GetAsset(), "assets/"), GrantID: strings.TrimPrefix(l.GetGrant(), "grants/"),
		Right: right, DeliveryForm: DomainForm(l.GetDeliveryForm()), Reason: l.GetReason(), DailyBaseline: l.GetDailyBaselineRecords()}
}

// AlertState converts an alert state.
func AlertState(s string) scenariov1.AlertState {
	return scenariov1.AlertState(scenariov1.AlertState_value["ALERT_STATE_"+s])
}

// DomainAlertState converts an API alert state ("" for unspecified).
func DomainAlertState(s scenariov1.AlertState) string {
	if s == scenariov1.AlertState_ALERT_STATE_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(s.String(), "ALERT_STATE_")
}

// Severity converts a severity.
func Severity(s string) scenariov1.Severity {
	return scenariov1.Severity(scenariov1.Severity_value["SEVERITY_"+s])
}

// DomainSeverity converts an API severity ("" for unspecified).
func DomainSeverity(s scenariov1.Severity) string {
	if s == scenariov1.Severity_SEVERITY_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(s.String(), "SEVERITY_")
}

// Alert converts an alert.
func Alert(a *domain.Alert) *scenariov1.Alert {
	out := &scenariov1.Alert{Name: a.Name(), Scenario: "scenarios/" + a.ScenarioID, Rule: a.Rule,
		Severity: Severity(a.Severity), State: AlertState(a.State), Assignee: a.Assignee, Detail: a.Detail,
		RaiseTime: ts(a.RaiseTime), UpdateTime: ts(a.UpdateTime)}
	if a.LinkID != "" {
		out.Link = "scenarios/" + a.ScenarioID + "/links/" + a.LinkID
	}
	return out
}

// UsageOutcome converts a usage outcome.
func UsageOutcome(o string) scenariov1.UsageOutcome {
	return scenariov1.UsageOutcome(scenariov1.UsageOutcome_value["USAGE_OUTCOME_"+o])
}

// Outcome converts an outcome.
func Outcome(o *domain.Outcome) *scenariov1.Outcome {
	return &scenariov1.Outcome{Scenario: "scenarios/" + o.ScenarioID, PeriodStart: o.PeriodStart.Format(domain.DateLayout),
		PeriodEnd: o.PeriodEnd.Format(domain.DateLayout), RevenueYuan: o.RevenueYuan, CostSavedYuan: o.CostSavedYuan,
		Beneficiaries: o.Beneficiaries, ServiceCount: o.ServiceCount, Note: o.Note}
}
