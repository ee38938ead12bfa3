// Package app holds the scenario service's use cases: authorisation, the lifecycle, links
// checked against the rights service, and the events, each write in one transaction.
package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/protoconv"
	"yaosu.dev/services/scenario/internal/store"
)

// ServiceName is the event source and schema of the scenario service.
const ServiceName = "scenario"

// Event types (without the "scenario." prefix) and when they are emitted; docs/events.md
// lists each (a test checks it).
var EventTypes = map[string]string{
	"scenario.proposed":  "an operator proposes a scenario (`ProposeScenario`); it is PROPOSED",
	"scenario.activated": "a proposed or suspended scenario is activated (`TransitionScenario`)",
	"scenario.suspended": "an active scenario is suspended (`TransitionScenario`)",
	"scenario.closed":    "a scenario is closed for good (`TransitionScenario`)",
	"asset.linked":       "an asset is linked to a scenario after the rights check passed (`LinkAsset`); the link is ACTIVE",
	"asset.unlinked":     "the operator ends a link (`UnlinkAsset`), or closing its scenario ends it",
	"link.blocked":       "a link's grant was revoked, suspended or expired, or its asset suspended, cancelled or disposed (`cause`)",
	"link.unblocked":     "what blocked a link (its grant or its asset) is reinstated; the link is ACTIVE again",
	"usage.recorded":     "the allowed usage of one `ReportUsage` batch, summed per link (no subject)",
	"usage.denied":       "usage records of one link in one `ReportUsage` batch denied for one reason, with their ids (no subject)",
	"alert.raised":       "a monitoring rule raised an alert on a link that had no OPEN one of that rule: as usage arrives (`ReportUsage`), when a block reveals usage already allowed for a later time, or on the monitor's schedule",
	"alert.resolved":     "an operator resolves an alert (`UpdateAlert`)",
	"outcome.recorded":   "an operator records a scenario's outcome for a period (`RecordOutcome`); a second record for the same period replaces it, one revision up",
}

// RightsChecker is the rights service's Check, and GetGrant for the terms of the grant a
// link rests on (a rightsv1.RightsServiceClient does both).
type RightsChecker interface {
	Check(ctx context.Context, req *rightsv1.CheckRequest) (*rightsv1.CheckResponse, error)
	GetGrant(ctx context.Context, req *rightsv1.GetGrantRequest) (*rightsv1.GetGrantResponse, error)
}

// Config are the monitoring and retention settings.
type Config struct {
	// SpikeFactor: a link's daily records above SpikeFactor × its baseline raise a
	// volume_spike alert.
	SpikeFactor float64
	// Retention is how long raw usage records are kept (by their window's start); older
	// ones are purged and records reported for windows that old are denied. 0 keeps all.
	Retention time.Duration
	// BaselineDays is how many previous days a learnt baseline averages; MinBaselineDays
	// how many of them must have usage before it is used.
	BaselineDays, MinBaselineDays int
	// PageKey authenticates page tokens.
	PageKey paging.Key
}

// DefaultConfig is what cmd/yaosu's defaults amount to.
var DefaultConfig = Config{SpikeFactor: 3, Retention: 400 * 24 * time.Hour, BaselineDays: 28, MinBaselineDays: 7}

// App is the scenario application layer.
type App struct {
	store  *store.Store
	rights RightsChecker
	now    func() time.Time
	log    *slog.Logger
	cfg    Config
}

// New returns the application layer.
func New(st *store.Store, rights RightsChecker, now func() time.Time, log *slog.Logger, cfg Config) *App {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &App{store: st, rights: rights, now: now, log: log, cfg: cfg}
}

// horizon is the oldest window start usage may still be reported for at now.
func (a *App) horizon(now time.Time) time.Time {
	if a.cfg.Retention <= 0 {
		return time.Time{}
	}
	return now.Add(-a.cfg.Retention)
}

func caller(ctx context.Context) (domain.Caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return domain.Caller{}, errs.Unauthenticated("no authenticated principal")
	}
	return domain.Caller{Subject: p.Subject, Organisation: p.Organisation,
		Manager: p.Has(auth.RoleScenarioOperator, auth.RoleAdmin), ReadAll: p.ReadsAllOrganisations()}, nil
}

func (a *App) now0() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func scenarioEvent(ctx context.Context, typ string, s *domain.Scenario, prev domain.State, reason string) (*eventsv1.Event, error) {
	p := &eventsv1.ScenarioChanged{Scenario: protoconv.Scenario(s), Reason: reason}
	if prev != "" {
		p.PreviousState = protoconv.State(prev)
	}
	return messaging.NewEvent(ctx, ServiceName, ServiceName+"."+typ, s.Name(), s.Revision, p)
}

func linkEvent(ctx context.Context, typ string, l *domain.Link, prev domain.LinkState, reason, cause string) (*eventsv1.Event, error) {
	p := &eventsv1.LinkChanged{Link: protoconv.Link(l), Reason: reason, Cause: cause}
	if prev != "" {
		p.PreviousState = protoconv.LinkState(prev)
	}
	return messaging.NewEvent(ctx, ServiceName, ServiceName+"."+typ, l.Name(), l.Revision, p)
}

// visible is NOT_FOUND for a scenario the caller may not see, exactly like a missing one.
func visible(c domain.Caller, s *domain.Scenario) error {
	if !c.CanRead(s) {
		return errs.NotFound(domain.ReasonScenarioNotFound, "%s not found", s.Name())
	}
	return nil
}

// ProposeScenario creates a scenario in PROPOSED for the caller's organisation.
func (a *App) ProposeScenario(ctx context.Context, s domain.Scenario, requestID string) (*domain.Scenario, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.RequireManager("proposing a scenario"); err != nil {
		return nil, err
	}
	if requestID != "" {
		if prior, err := a.store.ScenarioByRequest(ctx, c.Organisation, requestID); err != nil || prior != nil {
			return prior, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	now := a.now0()
	s.ID, s.Operator, s.State, s.Revision, s.CreateTime, s.UpdateTime = newID(), c.Organisation, domain.StateProposed, 1, now, now
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertScenario(&s, c.Organisation, requestID, "propose", c.Subject, ""); err != nil {
			return err
		}
		ev, err := scenarioEvent(ctx, "scenario.proposed", &s, "", "")
		tx.Emit(ev)
		return err
	})
	if err != nil {
		if requestID != "" && errs.KindOf(err) == errs.KindAlreadyExists {
			// A concurrent retry with the same request id won.
			if prior, perr := a.store.ScenarioByRequest(ctx, c.Organisation, requestID); perr == nil && prior != nil {
				return prior, nil
			}
		}
		return nil, err
	}
	return &s, nil
}

// GetScenario returns a scenario the caller may see.
func (a *App) GetScenario(ctx context.Context, id string) (*domain.Scenario, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	s, err := a.store.Scenario(ctx, id)
	if err == nil {
		err = visible(c, s)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

var eventOf = map[domain.Action]string{
	domain.ActActivate: "scenario.activated", domain.ActSuspend: "scenario.suspended", domain.ActClose: "scenario.closed",
}

// TransitionScenario moves a scenario through its lifecycle.
func (a *App) TransitionScenario(ctx context.Context, id string, action domain.Action, reason, etag string) (*domain.Scenario, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var out *domain.Scenario
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		s, err := tx.LockScenario(id)
		if err == nil {
			err = visible(c, s)
		}
		if err != nil {
			return err
		}
		if err := c.RequireManages(s, string(action)); err != nil {
			return err
		}
		if etag != "" && etag != s.ETag() {
			return errs.New(errs.KindAborted, domain.ReasonETagMismatch, "etag %s is stale: the scenario is at %s", etag, s.ETag())
		}
		prev, err := s.Transition(action)
		if err != nil {
			return err
		}
		s.Revision, s.UpdateTime = s.Revision+1, a.now0()
		if err := tx.UpdateScenario(s, string(action), c.Subject, reason); err != nil {
			return err
		}
		ev, err := scenarioEvent(ctx, eventOf[action], s, prev, reason)
		if err != nil {
			return err
		}
		tx.Emit(ev)
		out = s
		if action == domain.ActClose {
			return a.unlinkAll(ctx, tx, s, c.Subject, reason)
		}
		return nil
	})
	return out, err
}

// unlinkAll ends a closing scenario's live links: nothing can be reported through them
// again, and the assets' holders see the use end (asset.unlinked, one per link).
func (a *App) unlinkAll(ctx context.Context, tx *store.Tx, s *domain.Scenario, actor, reason string) error {
	links, err := tx.LiveLinksOfScenario(s.ID)
	if err != nil {
		return err
	}
	why := "scenario closed"
	if reason != "" {
		why += ": " + reason
	}
	for _, l := range links {
		prev, err := l.Transition(domain.LinkUnlink, why, "")
		if err != nil {
			return err
		}
		l.Revision, l.UpdateTime = l.Revision+1, a.now0()
		if err := tx.UpdateLink(l, string(domain.LinkUnlink), actor, why); err != nil {
			return err
		}
		ev, err := linkEvent(ctx, "asset.unlinked", l, prev, why, "")
		if err != nil {
			return err
		}
		tx.Emit(ev)
	}
	return nil
}

// ListScenarios lists the scenarios the caller may see, newest first.
func (a *App) ListScenarios(ctx context.Context, q store.ScenarioQuery, token string) ([]*domain.Scenario, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if !c.ReadAll {
		q.Operator = c.Organisation
	}
	q.Limit = paging.Size(q.Limit, 50, 500)
	pq := a.cfg.PageKey.Query("yaosu.scenario.list.v1", domain.ReasonInvalidPageToken, q.Operator, q.States, q.Sector)
	if q.Before, err = afterID(pq, token); err != nil {
		return nil, "", err
	}
	out, err := a.store.ListScenarios(ctx, q)
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

// afterID is the id a page token continues after ("" for none); lists page by UUIDv7 ids.
func afterID(pq paging.Query, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	after, err := pq.After(token)
	if err == nil && uuid.Validate(after) != nil {
		err = errs.InvalidArgument(domain.ReasonInvalidPageToken,
			errs.Violation("page_token", "malformed, or issued for a different query", "分页令牌无效，或属于另一查询"))
	}
	return after, err
}

func trim(name, prefix string) string { return strings.TrimPrefix(name, prefix) }
