// Package domain holds the scenario service's aggregates and rules: scenarios and their
// lifecycle, links of assets to scenarios and theirs, and who may do what. It depends
// only on the standard library and pkg/errs.
package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"yaosu.dev/pkg/errs"
)

// Reasons (google.rpc.ErrorInfo.reason). The scenario API has no ErrorReason enum yet;
// ErrorReasons lists them all, named like the other services' enum values.
const (
	ReasonScenarioNotFound    = "ERROR_REASON_SCENARIO_NOT_FOUND"
	ReasonLinkNotFound        = "ERROR_REASON_LINK_NOT_FOUND"
	ReasonInvalidTransition   = "ERROR_REASON_INVALID_TRANSITION"
	ReasonNotAllowedByRights  = "ERROR_REASON_NOT_ALLOWED_BY_RIGHTS"
	ReasonGrantMismatch       = "ERROR_REASON_GRANT_MISMATCH"
	ReasonScenarioClosed      = "ERROR_REASON_SCENARIO_CLOSED"
	ReasonUnknownSector       = "ERROR_REASON_UNKNOWN_SECTOR"
	ReasonETagMismatch        = "ERROR_REASON_ETAG_MISMATCH"
	ReasonNotYourOrganisation = "ERROR_REASON_NOT_YOUR_ORGANISATION"
	ReasonInvalidPageToken    = "ERROR_REASON_INVALID_PAGE_TOKEN"
	ReasonRightsUnavailable   = "ERROR_REASON_RIGHTS_UNAVAILABLE"
	// ReasonRightsRefused: the rights service refused the call made for the caller (their
	// token or role, a missing grant, a bad request): its code and message are passed on.
	ReasonRightsRefused   = "ERROR_REASON_RIGHTS_REFUSED"
	ReasonAlreadyLinked   = "ERROR_REASON_ALREADY_LINKED"
	ReasonAlertNotFound   = "ERROR_REASON_ALERT_NOT_FOUND"
	ReasonReportingSystem = "ERROR_REASON_REPORTING_SYSTEM_CHANGED"
)

// ErrorReasons are every reason the scenario service returns.
var ErrorReasons = []string{ReasonScenarioNotFound, ReasonLinkNotFound, ReasonInvalidTransition,
	ReasonNotAllowedByRights, ReasonGrantMismatch, ReasonScenarioClosed, ReasonUnknownSector, ReasonETagMismatch,
	ReasonNotYourOrganisation, ReasonInvalidPageToken, ReasonRightsUnavailable, ReasonRightsRefused, ReasonAlreadyLinked,
	ReasonAlertNotFound, ReasonReportingSystem}

// Sectors are the twelve 数据要素× sectors (国数政策〔2023〕11号) and OTHER: a scenario's
// sector is the purpose its links are checked for, so these are the rights service's
// purpose codes.
var Sectors = []string{"INDUSTRIAL_MANUFACTURING", "MODERN_AGRICULTURE", "COMMERCE", "TRANSPORT",
	"FINANCIAL_SERVICES", "SCIENCE_INNOVATION", "CULTURE_TOURISM", "HEALTHCARE", "EMERGENCY_MANAGEMENT",
	"METEOROLOGY", "URBAN_GOVERNANCE", "GREEN_LOW_CARBON", "OTHER"}

// State is a scenario's lifecycle state.
type State string

// Scenario states.
const (
	StateProposed  State = "PROPOSED"
	StateActive    State = "ACTIVE"
	StateSuspended State = "SUSPENDED"
	StateClosed    State = "CLOSED"
)

// AllStates lists every scenario state.
var AllStates = []State{StateProposed, StateActive, StateSuspended, StateClosed}

// Final reports whether no action leaves s.
func (s State) Final() bool { return s == StateClosed }

// Action is a lifecycle action on a scenario.
type Action string

// Scenario actions.
const (
	ActActivate Action = "activate"
	ActSuspend  Action = "suspend"
	ActClose    Action = "close"
)

// AllActions lists every scenario action.
var AllActions = []Action{ActActivate, ActSuspend, ActClose}

// transitions is the scenario state machine.
var transitions = map[State]map[Action]State{
	StateProposed:  {ActActivate: StateActive, ActClose: StateClosed},
	StateActive:    {ActSuspend: StateSuspended, ActClose: StateClosed},
	StateSuspended: {ActActivate: StateActive, ActClose: StateClosed},
}

// Next returns the state action leads to from s, or FAILED_PRECONDITION.
func Next(s State, a Action) (State, error) {
	n, ok := transitions[s][a]
	if !ok {
		return "", errs.FailedPrecondition(ReasonInvalidTransition, "%s is not allowed: the scenario is %s", a, s)
	}
	return n, nil
}

// KPI is an expected key performance indicator.
type KPI struct {
	Name   string  `json:"name"`
	Target float64 `json:"target"`
	Unit   string  `json:"unit,omitempty"`
}

// Scenario is an application scenario that uses data assets.
type Scenario struct {
	ID          string
	DisplayName string
	Sector      string
	Description string
	// Operator is the operating organisation (统一社会信用代码): the proposer's.
	Operator   string
	Objective  string
	KPIs       []KPI
	Region     string
	State      State
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Name is the scenario's resource name.
func (s *Scenario) Name() string { return "scenarios/" + s.ID }

// ETag is derived from the revision.
func (s *Scenario) ETag() string { return strconv.FormatInt(s.Revision, 10) }

// Validate checks what the API's field rules cannot: the sector is a known code.
func (s *Scenario) Validate() error {
	if !slices.Contains(Sectors, s.Sector) {
		return errs.InvalidArgument(ReasonUnknownSector, errs.Violation("scenario.sector",
			"unknown sector "+s.Sector+"; one of "+strings.Join(Sectors, ", "),
			"未知的行业领域 "+s.Sector+"；应为以下之一："+strings.Join(Sectors, "、")))
	}
	if strings.TrimSpace(s.DisplayName) == "" {
		return errs.InvalidArgument(errs.ReasonValidation, errs.Violation("scenario.display_name", "must not be blank", "不能为空"))
	}
	return nil
}

// Transition moves s by action (the caller bumps revision and times).
func (s *Scenario) Transition(a Action) (prev State, err error) {
	next, err := Next(s.State, a)
	if err != nil {
		return "", err
	}
	prev, s.State = s.State, next
	return prev, nil
}
