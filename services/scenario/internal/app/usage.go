package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/protoconv"
	"yaosu.dev/services/scenario/internal/store"
)

// UsageResult is what became of one batch of usage records.
type UsageResult struct {
	Allowed, Denied, Duplicates int64
	// Denials are the denied records, in the batch's order.
	Denials []Denial
}

// Denial is one denied record.
type Denial struct{ RecordID, Reason string }

// ReportUsage ingests one batch of usage records from reportingSystem in one transaction.
// A record whose (reporting system, record id) was seen before is a duplicate and changes
// nothing. A new one is judged against its link and scenario: allowed usage is added to
// the daily sums and announced per batch with per-link sums (usage.recorded); denied usage is counted,
// announced per link and reason (usage.denied) and raises a denied_usage alert on its
// link unless one is OPEN. Internal systems (role service) report for every scenario;
// scenario operators and admins for their organisation's.
func (a *App) ReportUsage(ctx context.Context, reportingSystem string, recs []*domain.UsageRecord) (*UsageResult, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p, _ := auth.FromContext(ctx)
	service := p.Has(auth.RoleService)
	if !service && !c.Manager {
		return nil, errs.PermissionDenied(errs.ReasonForbidden, "reporting usage needs the service or scenario_operator role")
	}
	res := &UsageResult{}
	seen := make(map[string]bool, len(recs))
	var fresh []*domain.UsageRecord
	scenarioIDs, linkIDs := []string{}, []string{}
	for i, r := range recs {
		if uuid.Validate(r.ScenarioID) != nil || uuid.Validate(r.LinkID) != nil {
			return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation(
				fmt.Sprintf("records[%d].link", i), "not scenarios/{uuid}/links/{uuid}", "应为场景数据关联名称 scenarios/{uuid}/links/{uuid}"))
		}
		if r.WindowEnd.Before(r.WindowStart) {
			return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation(
				fmt.Sprintf("records[%d].window_end", i), "before window_start", "结束时间早于开始时间（window_start）"))
		}
		r.ReportingSystem = reportingSystem
		r.WindowStart, r.WindowEnd = r.WindowStart.UTC().Truncate(time.Microsecond), r.WindowEnd.UTC().Truncate(time.Microsecond)
		if seen[r.RecordID] {
			res.Duplicates++
			continue
		}
		seen[r.RecordID] = true
		fresh = append(fresh, r)
		scenarioIDs, linkIDs = append(scenarioIDs, r.ScenarioID), append(linkIDs, r.LinkID)
	}
	slices.Sort(scenarioIDs)
	slices.Sort(linkIDs)
	scenarioIDs, linkIDs = slices.Compact(scenarioIDs), slices.Compact(linkIDs)
	now := a.now0()
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		scenarios, err := tx.Scenarios(scenarioIDs)
		if err != nil {
			return err
		}
		links, err := tx.Links(linkIDs)
		if err != nil {
			return err
		}
		if !service {
			for _, s := range scenarios {
				if err := visible(c, s); err != nil {
					return err
				}
				if err := c.RequireManages(s, "reporting usage"); err != nil {
					return err
				}
			}
		}
		judged := make(map[*domain.UsageRecord]*domain.Link, len(fresh))
		for _, r := range fresh {
			l := links[r.LinkID]
			if l != nil && l.ScenarioID != r.ScenarioID {
				l = nil
			}
			s := scenarios[r.ScenarioID]
			r.Outcome, r.Reason = domain.Judge(r, l, s, now, a.horizon(now))
			if l != nil {
				r.AssetID = l.AssetID
			}
			judged[r] = l
		}
		inserted, err := tx.InsertUsage(fresh, now)
		if err != nil {
			return err
		}
		return a.account(ctx, tx, c, reportingSystem, fresh, inserted, judged, scenarios, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// account sums, announces and alerts on the batch's newly stored records.
func (a *App) account(ctx context.Context, tx *store.Tx, c domain.Caller, system string, fresh []*domain.UsageRecord,
	inserted map[string]bool, judged map[*domain.UsageRecord]*domain.Link, scenarios map[string]*domain.Scenario, res *UsageResult) error {
	type dayKey struct {
		link string
		day  int64
	}
	type denyKey struct{ link, reason string }
	daily := map[dayKey]*store.DailyUsage{}
	var dayOrder []dayKey
	recorded := map[string]*eventsv1.UsageRecorded_LinkUsage{}
	var recOrder []string
	denied := map[denyKey]*eventsv1.UsageDenied{}
	var denyOrder []denyKey
	type ruleHits struct {
		n       int
		reasons []string
	}
	deniedLinks := map[string]map[string]*ruleHits{} // link id → rule → what was denied, for alerts
	var alertOrder []string
	for _, r := range fresh {
		if !inserted[r.RecordID] {
			res.Duplicates++
			continue
		}
		l := judged[r]
		if l != nil {
			k := dayKey{l.ID, r.Day().Unix()}
			d, ok := daily[k]
			if !ok {
				d = &store.DailyUsage{ScenarioID: l.ScenarioID, LinkID: l.ID, AssetID: l.AssetID, Day: r.Day()}
				daily[k] = d
				dayOrder = append(dayOrder, k)
			}
			if r.Outcome == domain.OutcomeAllowed {
				d.Calls, d.Records, d.Bytes = d.Calls+r.Calls, d.Records+r.Records, d.Bytes+r.Bytes
			} else {
				d.Denied++
			}
		}
		if r.Outcome == domain.OutcomeAllowed {
			res.Allowed++
			u, ok := recorded[l.ID]
			if !ok {
				u = &eventsv1.UsageRecorded_LinkUsage{Scenario: "scenarios/" + l.ScenarioID, Link: l.Name(), Asset: "assets/" + l.AssetID}
				recorded[l.ID] = u
				recOrder = append(recOrder, l.ID)
			}
			u.Records, u.Calls, u.Bytes, u.RecordCount = u.Records+r.Records, u.Calls+r.Calls, u.Bytes+r.Bytes, u.RecordCount+1
			continue
		}
		res.Denied++
		res.Denials = append(res.Denials, Denial{RecordID: r.RecordID, Reason: r.Reason})
		k := denyKey{r.LinkName(), r.Reason}
		u, ok := denied[k]
		if !ok {
			u = &eventsv1.UsageDenied{Scenario: "scenarios/" + r.ScenarioID, Link: r.LinkName(), ReportingSystem: system, Reason: r.Reason}
			denied[k] = u
			denyOrder = append(denyOrder, k)
		}
		u.RecordIds = append(u.RecordIds, r.RecordID)
		if l != nil {
			rules, ok := deniedLinks[l.ID]
			if !ok {
				rules = map[string]*ruleHits{}
				deniedLinks[l.ID] = rules
				alertOrder = append(alertOrder, l.ID)
			}
			rule := domain.RuleOf(r.Reason)
			h, ok := rules[rule]
			if !ok {
				h = &ruleHits{}
				rules[rule] = h
			}
			h.n++
			if !slices.Contains(h.reasons, r.Reason) {
				h.reasons = append(h.reasons, r.Reason)
			}
		}
	}
	// Row locks in one order (link, day; alerts by link) so that concurrent batches over the
	// same links cannot deadlock.
	slices.SortFunc(dayOrder, func(x, y dayKey) int {
		if x.link != y.link {
			return strings.Compare(x.link, y.link)
		}
		return int(x.day - y.day)
	})
	slices.Sort(alertOrder)
	rows := make([]store.DailyUsage, 0, len(dayOrder))
	for _, k := range dayOrder {
		rows = append(rows, *daily[k])
	}
	totals, err := tx.AddDaily(rows)
	if err != nil {
		return err
	}
	if len(recOrder) > 0 {
		slices.Sort(recOrder)
		p := &eventsv1.UsageRecorded{ReportingSystem: system, Links: make([]*eventsv1.UsageRecorded_LinkUsage, len(recOrder))}
		for i, id := range recOrder {
			p.Links[i] = recorded[id]
		}
		ev, err := messaging.NewEvent(ctx, ServiceName, ServiceName+".usage.recorded", "", 0, p)
		if err != nil {
			return err
		}
		tx.Emit(ev)
	}
	for _, k := range denyOrder {
		ev, err := messaging.NewEvent(ctx, ServiceName, ServiceName+".usage.denied", "", 0, denied[k])
		if err != nil {
			return err
		}
		tx.Emit(ev)
	}
	links := map[string]*domain.Link{}
	for _, l := range judged {
		if l != nil {
			links[l.ID] = l
		}
	}
	// Alerts in link order, then rule order (the same lock order in every transaction).
	for _, id := range alertOrder {
		l := links[id]
		rules := make([]string, 0, len(deniedLinks[id]))
		for rule := range deniedLinks[id] {
			rules = append(rules, rule)
		}
		slices.Sort(rules)
		for _, rule := range rules {
			h := deniedLinks[id][rule]
			detail := fmt.Sprintf("%d usage record(s) from %s denied through %s: %v", h.n, system, l.Name(), h.reasons)
			if l.StateReason != "" {
				detail += "; the link: " + l.StateReason
			}
			if err := a.raise(ctx, tx, c.Subject, l, scenarios[l.ScenarioID].Operator, rule, detail); err != nil {
				return err
			}
		}
	}
	// The volume rule against the declared baseline, on the day's new totals.
	for i, k := range dayOrder {
		l := links[k.link]
		if rows[i].Records == 0 || !domain.Spike(totals[i], l.DailyBaseline, a.cfg.SpikeFactor) {
			continue
		}
		detail := fmt.Sprintf("%s delivered %d records on %s, more than %g × its declared daily baseline of %d",
			l.Name(), totals[i], rows[i].Day.Format(time.DateOnly), a.cfg.SpikeFactor, l.DailyBaseline)
		// One per link and day: resolving it does not bring it back with the next batch.
		if _, err := a.raiseQuiet(ctx, tx, c.Subject, l, scenarios[l.ScenarioID].Operator, domain.RuleVolumeSpike, detail,
			domain.DayStart(rows[i].Day)); err != nil {
			return err
		}
	}
	return nil
}

// raise raises an alert of rule on a link unless one is OPEN there already, and announces
// it (alert.raised). operator "" is looked up from the link's scenario.
func (a *App) raise(ctx context.Context, tx *store.Tx, actor string, l *domain.Link, operator, rule, detail string) error {
	_, err := a.raiseQuiet(ctx, tx, actor, l, operator, rule, detail, time.Time{})
	return err
}

// raiseQuiet is raise, except that an alert of the rule raised on the link at or after
// quietSince (in any state) also suppresses it. It reports whether it raised one.
func (a *App) raiseQuiet(ctx context.Context, tx *store.Tx, actor string, l *domain.Link, operator, rule, detail string, quietSince time.Time) (bool, error) {
	now := a.now0()
	al := &domain.Alert{ID: newID(), ScenarioID: l.ScenarioID, Operator: operator, LinkID: l.ID, Rule: rule,
		Severity: domain.SeverityOf(rule), State: domain.AlertOpen, Detail: detail, Revision: 1, RaiseTime: now, UpdateTime: now}
	raised, err := tx.RaiseAlert(al, actor, quietSince)
	if err != nil || !raised {
		return false, err
	}
	ev, err := alertEvent(ctx, "alert.raised", al, "", detail)
	if err != nil {
		return false, err
	}
	tx.Emit(ev)
	return true, nil
}

func alertEvent(ctx context.Context, typ string, al *domain.Alert, prev, note string) (*eventsv1.Event, error) {
	p := &eventsv1.AlertChanged{Alert: protoconv.Alert(al), Note: note}
	if prev != "" {
		p.PreviousState = protoconv.AlertState(prev)
	}
	return messaging.NewEvent(ctx, ServiceName, ServiceName+"."+typ, al.Name(), al.Revision, p)
}

// ListAlerts lists the alerts the caller may see (its organisation's, or all for auditors
// and admins), newest first; minSeverity "" means any.
func (a *App) ListAlerts(ctx context.Context, q store.AlertQuery, minSeverity, token string) ([]*domain.Alert, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if !c.ReadAll {
		q.Operator = c.Organisation
	}
	if q.Scenario != "" && uuid.Validate(q.Scenario) != nil {
		return nil, "", errs.InvalidArgument(errs.ReasonValidation, errs.Violation("scenario", "not scenarios/{uuid}", "应为场景名称 scenarios/{uuid}"))
	}
	if minSeverity != "" {
		i := slices.Index(domain.Severities, minSeverity)
		if i < 0 {
			return nil, "", errs.InvalidArgument(errs.ReasonValidation, errs.Violation("min_severity", "unknown severity", "未知的严重程度"))
		}
		q.Severities = domain.Severities[i:]
	}
	q.Limit = paging.Size(q.Limit, 50, 500)
	if q.Link != "" && uuid.Validate(q.Link) != nil {
		return nil, "", errs.InvalidArgument(errs.ReasonValidation, errs.Violation("link", "not scenarios/{uuid}/links/{uuid}", "应为场景数据关联名称 scenarios/{uuid}/links/{uuid}"))
	}
	pq := a.cfg.PageKey.Query("yaosu.scenario.alerts.v1", domain.ReasonInvalidPageToken, q.Operator, q.Scenario, q.States,
		q.Severities, q.Rules, q.Link)
	if q.Before, err = afterID(pq, token); err != nil {
		return nil, "", err
	}
	out, err := a.store.ListAlerts(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = pq.Token(out[len(out)-1].ID)
	}
	return out, next, nil
}

// UpdateAlert acknowledges, resolves or assigns an alert: scenario operators and admins of
// its scenario's operating organisation. Resolving emits alert.resolved.
func (a *App) UpdateAlert(ctx context.Context, id, state, assignee, note string) (*domain.Alert, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if uuid.Validate(id) != nil {
		return nil, errs.NotFound(domain.ReasonAlertNotFound, "alerts/%s not found", id)
	}
	if state == domain.AlertOpen {
		return nil, errs.InvalidArgument(errs.ReasonValidation, errs.Violation("state", "an alert cannot be reopened", "预警不能重新打开"))
	}
	var out *domain.Alert
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		al, err := tx.LockAlert(id)
		if err != nil {
			return err
		}
		owner := &domain.Scenario{ID: al.ScenarioID, Operator: al.Operator}
		if !c.CanRead(owner) {
			return errs.NotFound(domain.ReasonAlertNotFound, "%s not found", al.Name())
		}
		if err := c.RequireManages(owner, "updating an alert"); err != nil {
			return err
		}
		prev, action, err := al.Update(state, assignee)
		if err != nil {
			return err
		}
		al.Revision, al.UpdateTime = al.Revision+1, a.now0()
		if err := tx.UpdateAlert(al, action, c.Subject, note); err != nil {
			return err
		}
		if al.State == domain.AlertResolved && prev != domain.AlertResolved {
			ev, err := alertEvent(ctx, "alert.resolved", al, prev, note)
			if err != nil {
				return err
			}
			tx.Emit(ev)
		}
		out = al
		return nil
	})
	return out, err
}
