package domain

import (
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
	DenyLinkBlocked       = "LINK_BLOCKED"
	DenyLinkUnlinked      = "LINK_UNLINKED"
	DenyLinkNotFound      = "LINK_NOT_FOUND"
	DenyScenarioNotActive = "SCENARIO_NOT_ACTIVE"
	DenyFormNotLinked     = "DELIVERY_FORM_NOT_LINKED"
	DenyWindowBeforeLink  = "WINDOW_BEFORE_LINK"
	DenyWindowInFuture    = "WINDOW_IN_FUTURE"
)

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
	Calls        int64
	Records      int64
	Bytes        int64
	WindowStart  time.Time
	WindowEnd    time.Time
	Outcome      string
	Reason       string
}

// Day is the usage day the record counts on.
func (r *UsageRecord) Day() time.Time {
	d := r.WindowStart.In(UsageDay)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// LinkName is the resource name of the link the record names.
func (r *UsageRecord) LinkName() string { return "scenarios/" + r.ScenarioID + "/links/" + r.LinkID }

// Judge decides a new record's outcome from its link (nil: no such link) and the link's
// scenario at now: ALLOWED, or DENIED with the reason. Grant terms are not checked here:
// grants that stop allowing use block their links through events.
func Judge(r *UsageRecord, l *Link, s *Scenario, now time.Time) (outcome, reason string) {
	switch {
	case l == nil || s == nil:
		return OutcomeDenied, DenyLinkNotFound
	case l.State == LinkBlocked:
		return OutcomeDenied, DenyLinkBlocked
	case l.State == LinkUnlinked:
		return OutcomeDenied, DenyLinkUnlinked
	case l.State != LinkActive:
		return OutcomeDenied, DenyLinkBlocked
	case s.State != StateActive:
		return OutcomeDenied, DenyScenarioNotActive
	case r.DeliveryForm != l.DeliveryForm:
		return OutcomeDenied, DenyFormNotLinked
	case r.WindowEnd.Before(l.CreateTime):
		return OutcomeDenied, DenyWindowBeforeLink
	case r.WindowEnd.After(now.Add(FutureSkew)):
		return OutcomeDenied, DenyWindowInFuture
	}
	return OutcomeAllowed, ""
}

// Alert states.
const (
	AlertOpen         = "OPEN"
	AlertAcknowledged = "ACKNOWLEDGED"
	AlertResolved     = "RESOLVED"
)

// Severities, lowest first.
var Severities = []string{"LOW", "MEDIUM", "HIGH"}

// Alert rules and their severities.
const (
	RuleDeniedUsage = "denied_usage"
)

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
			errs.FieldViolation{Field: "state", Description: "set a state or an assignee"})
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
