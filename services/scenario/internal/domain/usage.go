package domain

import (
	"slices"
	"strings"
	"time"

	"yaosu.dev/pkg/errs"
)

// Usage outcomes as stored.
const (
	OutcomeAllowed   = "ALLOWED"
	OutcomeDenied    = "DENIED"
	OutcomeDuplicate = "DUPLICATE"
)

// Denial reasons of usage records.
const (
	DenyLinkNotFound      = "LINK_NOT_FOUND"
	DenyLinkUnlinked      = "LINK_UNLINKED"
	DenyLinkBlocked       = "LINK_BLOCKED"
	DenyGrantSuspended    = "GRANT_SUSPENDED"
	DenyGrantRevoked      = "GRANT_REVOKED"
	DenyGrantExpired      = "GRANT_EXPIRED"
	DenyAssetSuspended    = "ASSET_SUSPENDED"
	DenyAssetCancelled    = "ASSET_CANCELLED"
	DenyAssetDisposed     = "ASSET_DISPOSED"
	DenyScenarioNotActive = "SCENARIO_NOT_ACTIVE"
	DenyFormNotGranted    = "OUTSIDE_GRANT_FORM"
	DenyFormNotLinked     = "DELIVERY_FORM_NOT_LINKED"
	DenyPurposeNotGranted = "OUTSIDE_GRANT_PURPOSE"
	DenyPurposeOfScenario = "OUTSIDE_SCENARIO_PURPOSE"
	DenyOutsideGrantTerm  = "OUTSIDE_GRANT_TERM"
	DenyWindowBeforeLink  = "WINDOW_BEFORE_LINK"
	DenyWindowInFuture    = "WINDOW_IN_FUTURE"
	DenyWindowTooOld      = "WINDOW_BEYOND_RETENTION"
)

// blockReasons maps the event type that blocked a link (the first word of its state
// reason, see BlockReason) to the denial reason of usage through it.
var blockReasons = map[string]string{
	"grant.suspended": DenyGrantSuspended, "grant.revoked": DenyGrantRevoked, "grant.expired": DenyGrantExpired,
	"asset.suspended": DenyAssetSuspended, "asset.cancelled": DenyAssetCancelled, "asset.disposed": DenyAssetDisposed,
}

// BlockReason is a blocked link's state reason: the event type without its service
// prefix, then the subject, "grant.suspended (grants/…)".
func BlockReason(eventType, subject string) string {
	return strings.TrimPrefix(strings.TrimPrefix(eventType, "rights."), "catalog.") + " (" + subject + ")"
}

// blockedDenial is the denial reason for usage through a blocked link.
func blockedDenial(l *Link) string {
	typ, _, _ := strings.Cut(l.StateReason, " ")
	if r, ok := blockReasons[typ]; ok {
		return r
	}
	return DenyLinkBlocked
}

// FutureSkew is how far past now a usage window may end (clock skew of the reporters).
const FutureSkew = 5 * time.Minute

// UsageDay is the zone usage days are counted in (China Standard Time, no DST).
var UsageDay = time.FixedZone("UTC+8", 8*3600)

// UsageRecord is one record of use an internal system reported.
type UsageRecord struct {
	ReportingSystem string
	RecordID        string
	// ScenarioID and LinkID are the ids the record's link name carries.
	ScenarioID   string
	LinkID       string
	AssetID      string
	DeliveryForm string
	// Purpose is the sector the data was used for; "" means the scenario's sector.
	Purpose     string
	Calls       int64
	Records     int64
	Bytes       int64
	WindowStart time.Time
	WindowEnd   time.Time
	Outcome     string
	Reason      string
}

// Day is the usage day the record counts on.
func (r *UsageRecord) Day() time.Time { return UsageDayOf(r.WindowStart) }

// UsageDayOf is the usage day (as a UTC midnight) an instant falls on.
func UsageDayOf(t time.Time) time.Time {
	d := t.In(UsageDay)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// DayStart is the instant a usage day (as UsageDayOf returns it) starts.
func DayStart(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, UsageDay).UTC()
}

// LinkName is the resource name of the link the record names.
func (r *UsageRecord) LinkName() string { return "scenarios/" + r.ScenarioID + "/links/" + r.LinkID }

// Judge decides a new record's outcome at now from its link (nil: no such link), the
// link's scenario, and the grant's terms the link carries: ALLOWED, or DENIED with the
// reason. Records whose window starts before horizon (the raw-record retention) are
// denied: their duplicates may already have been purged, so accepting them could count
// the same use twice. A link whose grant or asset stopped allowing use is blocked through
// events; the grant's window, purposes and forms are checked here, record by record, so
// a grant that has ended denies use even before its expiry event arrives.
func Judge(r *UsageRecord, l *Link, s *Scenario, now, horizon time.Time) (outcome, reason string) {
	deny := func(reason string) (string, string) { return OutcomeDenied, reason }
	switch {
	case l == nil || s == nil:
		return deny(DenyLinkNotFound)
	case l.State == LinkUnlinked:
		return deny(DenyLinkUnlinked)
	case l.State != LinkActive:
		return deny(blockedDenial(l))
	case s.State != StateActive:
		return deny(DenyScenarioNotActive)
	case r.WindowEnd.After(now.Add(FutureSkew)):
		return deny(DenyWindowInFuture)
	case r.WindowStart.Before(horizon):
		return deny(DenyWindowTooOld)
	case r.WindowEnd.Before(l.CreateTime):
		return deny(DenyWindowBeforeLink)
	}
	g := l.Grant
	if l.GrantID != "" {
		switch {
		case !slices.Contains(g.Forms, r.DeliveryForm):
			return deny(DenyFormNotGranted)
		case r.Purpose != "" && !slices.Contains(g.Purposes, r.Purpose):
			return deny(DenyPurposeNotGranted)
		case r.WindowStart.Before(g.ValidFrom) || r.WindowEnd.After(g.ValidUntil):
			return deny(DenyOutsideGrantTerm)
		}
	}
	switch {
	case r.DeliveryForm != l.DeliveryForm:
		return deny(DenyFormNotLinked)
	case r.Purpose != "" && r.Purpose != s.Sector:
		return deny(DenyPurposeOfScenario)
	}
	return OutcomeAllowed, ""
}

// Monitoring rules (过程监测), the alerts they raise, and their severities.
const (
	RuleOutsideTerm    = "outside_term"
	RuleOutsidePurpose = "outside_purpose"
	RuleOutsideForm    = "outside_form"
	RuleSuspendedAsset = "suspended_asset"
	RuleSuspendedGrant = "suspended_grant"
	RuleVolumeSpike    = "volume_spike"
	RuleDeniedUsage    = "denied_usage"
)

// Rules lists every rule with its severity and what raises it; docs and ListAlerts use it.
var Rules = []struct{ Name, Severity, When string }{
	{RuleOutsideTerm, "HIGH", "usage outside the grant's validity window, or through an expired grant"},
	{RuleOutsidePurpose, "HIGH", "usage for a purpose the grant or the scenario does not cover"},
	{RuleOutsideForm, "HIGH", "usage in a delivery form the grant does not allow or the link does not name"},
	{RuleSuspendedAsset, "HIGH", "usage of a suspended asset, as it arrives, or reported later for a time after the suspension"},
	{RuleSuspendedGrant, "HIGH", "usage through a suspended grant, as it arrives, or reported later for a time after the suspension"},
	{RuleVolumeSpike, "MEDIUM", "a link's daily records far above its declared baseline (as usage arrives) or its learnt one (on schedule)"},
	{RuleDeniedUsage, "HIGH", "any other denied usage: revoked grant, cancelled asset, unlinked link, inactive scenario, bad window"},
}

// ruleOf maps denial reasons to their rule; the others are RuleDeniedUsage.
var ruleOf = map[string]string{
	DenyGrantSuspended: RuleSuspendedGrant, DenyAssetSuspended: RuleSuspendedAsset,
	DenyGrantExpired: RuleOutsideTerm, DenyOutsideGrantTerm: RuleOutsideTerm,
	DenyFormNotGranted: RuleOutsideForm, DenyFormNotLinked: RuleOutsideForm,
	DenyPurposeNotGranted: RuleOutsidePurpose, DenyPurposeOfScenario: RuleOutsidePurpose,
}

// RuleOf is the monitoring rule a denial reason falls under.
func RuleOf(reason string) string {
	if r, ok := ruleOf[reason]; ok {
		return r
	}
	return RuleDeniedUsage
}

// RuleOfBlock is the rule for usage found, after the fact, to fall after what blocked a
// link (the event type, as in blockReasons).
func RuleOfBlock(eventType string) string {
	return RuleOf(blockReasons[strings.TrimPrefix(strings.TrimPrefix(eventType, "rights."), "catalog.")])
}

// SeverityOf is a rule's severity.
func SeverityOf(rule string) string {
	for _, r := range Rules {
		if r.Name == rule {
			return r.Severity
		}
	}
	return "MEDIUM"
}

// Spike reports whether a day's records are far above a baseline: more than factor times
// it. A zero baseline never spikes (nothing to compare with).
func Spike(records, baseline int64, factor float64) bool {
	return baseline > 0 && float64(records) > factor*float64(baseline)
}

// Alert states.
const (
	AlertOpen         = "OPEN"
	AlertAcknowledged = "ACKNOWLEDGED"
	AlertResolved     = "RESOLVED"
)

// Severities, lowest first.
var Severities = []string{"LOW", "MEDIUM", "HIGH"}

// Alert is a monitoring alert.
type Alert struct {
	ID         string
	ScenarioID string
	Operator   string
	LinkID     string
	Rule       string
	Severity   string
	State      string
	Assignee   string
	Detail     string
	Revision   int64
	RaiseTime  time.Time
	UpdateTime time.Time
}

// Name is the alert's resource name.
func (a *Alert) Name() string { return "alerts/" + a.ID }

var alertTransitions = map[string][]string{
	AlertOpen:         {AlertAcknowledged, AlertResolved},
	AlertAcknowledged: {AlertResolved},
}

// Update applies an operator's change: a new state ("" keeps it) and an assignee ("" keeps
// it). It returns the previous state and the history action.
func (a *Alert) Update(state, assignee string) (prev, action string, err error) {
	if state == "" && assignee == "" {
		return "", "", errs.InvalidArgument(errs.ReasonValidation,
			errs.Violation("state", "set a state or an assignee", "请设置状态或处理人"))
	}
	if a.State == AlertResolved {
		return "", "", errs.FailedPrecondition(ReasonInvalidTransition, "%s is resolved", a.Name())
	}
	prev, action = a.State, "assign"
	if state != "" && state != a.State {
		ok := false
		for _, n := range alertTransitions[a.State] {
			ok = ok || n == state
		}
		if !ok {
			return "", "", errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: the alert is %s", state, a.State)
		}
		a.State = state
		action = map[string]string{AlertAcknowledged: "acknowledge", AlertResolved: "resolve"}[state]
	}
	if assignee != "" {
		a.Assignee = assignee
	}
	return prev, action, nil
}
