// Package app holds the rights service's use cases: authorisation, the invariants checked
// under the asset's lock, cascades, and the events, each write in one transaction.
package app

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/services/rights/internal/check"
	"yaosu.dev/services/rights/internal/domain"
	"yaosu.dev/services/rights/internal/protoconv"
	"yaosu.dev/services/rights/internal/store"
)

// ServiceName is the event source and schema of the rights service.
const ServiceName = "rights"

// Event types (without the "rights." prefix) and when they are emitted; docs/events.md
// lists each (a test checks it).
var EventTypes = map[string]string{
	"grant.requested":      "a grantee asks for a grant (`RequestGrant`); the grant is REQUESTED",
	"grant.approved":       "the grantor approves a request (`ApproveGrant`); the grant is ACTIVE",
	"grant.rejected":       "the grantor rejects a request (`RejectGrant`)",
	"grant.activated":      "the grantor grants directly (`CreateGrant`); the grant is ACTIVE",
	"grant.suspended":      "a grant is suspended: by its grantor, or with its parent grant or its asset (`cascade_from`)",
	"grant.reinstated":     "a suspended grant is in force again, with what suspended it",
	"grant.revoked":        "a grant ends early: by its grantor, with its parent, or when its asset is cancelled or disposed",
	"grant.expired":        "a grant's validity window has passed (the expiry job; checks deny from the window's end regardless)",
	"grant.transferred":    "a first-level grant's grantor changed because the asset's holding moved (`TransferRight`)",
	"right.transferred":    "an asset's holding moves to another organisation (`TransferRight`), with the cause",
	"check.denied":         "denied checks, counted per organisation, asset, right and reason over a window",
	"operation.authorised": "an authorised-operation agreement (授权运营) comes into force: with its `grant.activated` or `grant.approved`, same revision",
	"operation.terminated": "an authorised-operation agreement ends: with its `grant.revoked` or `grant.expired`, same revision",
}

// Conditions evaluates grant conditions (the check package's CEL engine).
type Conditions interface {
	Eval(g *domain.Grant, in domain.CheckInput) (bool, error)
}

// Checker answers checks from its cache (the check package).
type Checker interface {
	Check(ctx context.Context, in domain.CheckInput) (domain.Decision, error)
}

// App is the rights application layer.
type App struct {
	store   *store.Store
	checker Checker
	cond    Conditions
	now     func() time.Time
	log     *slog.Logger
	pageKey paging.Key

	purposesOnce sync.Once
	purposes     map[string]bool
}

// New returns the application layer.
func New(st *store.Store, checker Checker, cond Conditions, pageKey paging.Key, now func() time.Time, log *slog.Logger) *App {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &App{store: st, checker: checker, cond: cond, now: now, log: log, pageKey: pageKey}
}

func caller(ctx context.Context) (domain.Caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return domain.Caller{}, errs.Unauthenticated("no authenticated principal")
	}
	return domain.Caller{
		Subject:      p.Subject,
		Organisation: p.Organisation,
		RightsAdmin:  p.Has(auth.RoleRightsAdmin, auth.RoleAdmin),
		Admin:        p.Has(auth.RoleAdmin),
		ReadAll:      p.ReadsAllOrganisations(),
		Service:      p.Has(auth.RoleService),
	}, nil
}

func (a *App) now0() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// event builds one rights event about g.
func event(ctx context.Context, typ string, g *domain.Grant, prev domain.State, reason, cascadeFrom string) (*eventsv1.Event, error) {
	p := &eventsv1.GrantChanged{Grant: protoconv.Grant(g), Reason: reason, CascadeFrom: cascadeFrom}
	if prev != "" {
		p.PreviousState = protoconv.State(prev)
	}
	return messaging.NewEvent(ctx, ServiceName, "rights."+typ, g.Name(), g.Revision, p)
}

func emit(ctx context.Context, tx *store.Tx, typ string, g *domain.Grant, prev domain.State, reason, cascadeFrom string) error {
	types := []string{typ}
	if g.AuthorisedOperation {
		// An agreement's start and end are facts of their own for disclosure (国家数据局 yearly
		// reports); they share the grant change's revision.
		switch {
		case g.State == domain.StateActive && prev != domain.StateActive && prev != domain.StateSuspended:
			types = append(types, "operation.authorised")
		case (g.State == domain.StateRevoked || g.State == domain.StateExpired) && (prev == domain.StateActive || prev == domain.StateSuspended):
			types = append(types, "operation.terminated")
		}
	}
	for _, t := range types {
		ev, err := event(ctx, t, g, prev, reason, cascadeFrom)
		if err != nil {
			return err
		}
		tx.Emit(ev)
	}
	return nil
}

func (a *App) purposeCodes(ctx context.Context) (map[string]bool, error) {
	var err error
	a.purposesOnce.Do(func() { a.purposes, err = a.store.Purposes(ctx) })
	if err != nil {
		a.purposesOnce = sync.Once{}
	}
	return a.purposes, err
}

// place checks g where it would go, under the asset's lock.
func (a *App) place(ctx context.Context, tx *store.Tx, g *domain.Grant) error {
	asset, err := tx.LockAsset(g.AssetID)
	if err != nil {
		return err
	}
	p := domain.Placement{Asset: asset}
	if asset != nil {
		if p.Rule, err = tx.Rule(asset.Grade); err != nil {
			return err
		}
	}
	if g.ParentID != "" {
		if p.Parent, err = tx.Grant(g.ParentID); err != nil {
			return err
		}
	}
	if p.Purposes, err = a.purposeCodes(ctx); err != nil {
		return err
	}
	if p.Siblings, err = tx.Siblings(g.AssetID, g.Right, g.ParentID); err != nil {
		return err
	}
	if err := domain.Check(g, p); err != nil {
		return err
	}
	if g.Condition != "" {
		if err := check.CompileCondition(g.Condition); err != nil {
			return err
		}
	}
	return nil
}

// grantor returns who grants g: the parent's grantee for a sub-licence, else the holder.
func (a *App) grantor(ctx context.Context, g *domain.Grant) (string, error) {
	if g.ParentID != "" {
		parent, err := a.store.Grant(ctx, g.ParentID)
		if err != nil {
			return "", err
		}
		return parent.Grantee, nil
	}
	asset, err := a.store.Asset(ctx, g.AssetID)
	if err != nil {
		return "", err
	}
	if asset == nil {
		return "", errs.FailedPrecondition(domain.ReasonAssetNotRegistered, "assets/%s is not registered", g.AssetID)
	}
	return asset.Holder, nil
}

// RequestGrant files a request from the caller's organisation.
func (a *App) RequestGrant(ctx context.Context, in domain.Grant, requestID string) (*domain.Grant, error) {
	return a.newGrant(ctx, in, requestID, false)
}

// CreateGrant grants directly from the caller's organisation.
func (a *App) CreateGrant(ctx context.Context, in domain.Grant, requestID string) (*domain.Grant, error) {
	return a.newGrant(ctx, in, requestID, true)
}

func (a *App) newGrant(ctx context.Context, g domain.Grant, requestID string, direct bool) (*domain.Grant, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if requestID != "" {
		if prior, err := a.store.ByRequest(ctx, c.Organisation, requestID); err != nil || prior != nil {
			return prior, err
		}
	}
	if g.Grantor, err = a.grantor(ctx, &g); err != nil {
		return nil, err
	}
	if direct {
		if err := c.RequireActsFor(g.Grantor, "granting"); err != nil {
			return nil, err
		}
	} else if err := c.RequireActsFor(g.Grantee, "requesting a grant"); err != nil {
		return nil, err
	}
	now := a.now0()
	g.ID, g.Requester, g.RequesterOrganisation, g.Revision, g.CreateTime, g.UpdateTime =
		newID(), c.Subject, c.Organisation, 1, now, now
	g.State, g.StateReason = domain.StateRequested, ""
	typ, action := "grant.requested", "request"
	if direct {
		g.State, g.Approver, typ, action = domain.StateActive, c.Subject, "grant.activated", "grant"
	}
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		if err := a.place(ctx, tx, &g); err != nil {
			return err
		}
		if err := tx.InsertGrant(&g, requestID, action, c.Subject); err != nil {
			return err
		}
		return emit(ctx, tx, typ, &g, "", g.Justification, "")
	})
	if err != nil {
		if requestID != "" && errs.KindOf(err) == errs.KindAlreadyExists {
			// A concurrent retry with the same request id won.
			if prior, perr := a.store.ByRequest(ctx, c.Organisation, requestID); perr == nil && prior != nil {
				return prior, nil
			}
		}
		return nil, err
	}
	return &g, nil
}

// change runs one action on grant id under its asset's lock, with cascade.
func (a *App) change(ctx context.Context, id string, action domain.Action, reason, etag string) (*domain.Grant, []string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	assetID, err := a.store.GrantAsset(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	var out *domain.Grant
	var cascaded []string
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.LockAsset(assetID); err != nil {
			return err
		}
		g, err := tx.Grant(id)
		if err != nil {
			return err
		}
		if !c.CanRead(g) {
			return errs.NotFound(domain.ReasonGrantNotFound, "%s not found", g.Name())
		}
		if err := c.RequireActsFor(g.Grantor, string(action)); err != nil {
			return err
		}
		if etag != "" && etag != g.ETag() {
			return errs.New(errs.KindAborted, domain.ReasonETagMismatch, "etag %s is stale: the grant is at %s", etag, g.ETag())
		}
		if action == domain.ActApprove {
			// The world may have changed since the request: check everything again.
			if err := a.place(ctx, tx, g); err != nil {
				return err
			}
			g.Approver = c.Subject
		}
		cascaded, err = a.transition(ctx, tx, g, action, reason, c.Subject, "", domain.SuspendedByGrantor)
		out = g
		return err
	})
	return out, cascaded, err
}

var eventOf = map[domain.Action]string{
	domain.ActApprove: "grant.approved", domain.ActReject: "grant.rejected", domain.ActRevoke: "grant.revoked",
	domain.ActSuspend: "grant.suspended", domain.ActReinstate: "grant.reinstated", domain.ActExpire: "grant.expired",
}

// transition moves g by action and cascades revocation, suspension, reinstatement and
// expiry to the grants beneath it; it returns the names of the grants cascaded to.
// suspendedBy is recorded on a suspension; a reinstatement only lifts suspensions with
// that cause.
func (a *App) transition(ctx context.Context, tx *store.Tx, g *domain.Grant, action domain.Action, reason, actor, cascadeFrom, cause string) ([]string, error) {
	if action == domain.ActReinstate && g.SuspendedBy != cause {
		return nil, errs.FailedPrecondition(domain.ReasonInvalidTransition, "%s was suspended by its %s, not its %s", g.Name(), g.SuspendedBy, cause)
	}
	if err := a.step(ctx, tx, g, action, reason, actor, cascadeFrom, cause); err != nil {
		return nil, err
	}
	if action == domain.ActApprove || action == domain.ActReject {
		return nil, nil
	}
	below, err := tx.Descendants(g.ID)
	if err != nil {
		return nil, err
	}
	// Parents come before children, so a child's parent is already in its new state.
	moved := map[string]bool{g.ID: true}
	var names []string
	for _, d := range below {
		if !moved[d.ParentID] {
			continue
		}
		var ok bool
		switch action {
		case domain.ActRevoke, domain.ActExpire:
			ok = !d.State.Final()
		case domain.ActSuspend:
			ok = d.State == domain.StateActive
		case domain.ActReinstate:
			ok = d.State == domain.StateSuspended && d.SuspendedBy == domain.SuspendedByParent
		}
		if !ok {
			continue
		}
		act := action
		if action == domain.ActExpire && d.State == domain.StateRequested {
			act = domain.ActRevoke // a request beneath an expired grant can no longer be granted
		}
		if err := a.step(ctx, tx, d, act, reason, actor, g.Name(), domain.SuspendedByParent); err != nil {
			return nil, err
		}
		moved[d.ID] = true
		names = append(names, d.Name())
	}
	return names, nil
}

func (a *App) step(ctx context.Context, tx *store.Tx, g *domain.Grant, action domain.Action, reason, actor, cascadeFrom, cause string) error {
	next, err := domain.Next(g.State, action)
	if err != nil {
		return err
	}
	prev := g.State
	g.State, g.StateReason, g.Revision, g.UpdateTime = next, reason, g.Revision+1, a.now0()
	switch next {
	case domain.StateSuspended:
		g.SuspendedBy = cause
	case domain.StateActive:
		g.SuspendedBy = ""
	}
	if cascadeFrom != "" && reason == "" {
		g.StateReason = "with " + cascadeFrom
	}
	name := string(action)
	if cascadeFrom != "" {
		name = "cascade_" + name
	}
	if err := tx.UpdateGrant(g, name, actor); err != nil {
		return err
	}
	return emit(ctx, tx, eventOf[action], g, prev, g.StateReason, cascadeFrom)
}

// Approve, Reject, Revoke, Suspend and Reinstate are the grantor's actions.
func (a *App) Approve(ctx context.Context, id, etag string) (*domain.Grant, error) {
	g, _, err := a.change(ctx, id, domain.ActApprove, "", etag)
	return g, err
}

// Reject rejects a request.
func (a *App) Reject(ctx context.Context, id, reason string) (*domain.Grant, error) {
	g, _, err := a.change(ctx, id, domain.ActReject, reason, "")
	return g, err
}

// Revoke revokes a grant and everything beneath it.
func (a *App) Revoke(ctx context.Context, id, reason string) (*domain.Grant, []string, error) {
	return a.change(ctx, id, domain.ActRevoke, reason, "")
}

// Suspend suspends a grant and everything active beneath it.
func (a *App) Suspend(ctx context.Context, id, reason string) (*domain.Grant, []string, error) {
	return a.change(ctx, id, domain.ActSuspend, reason, "")
}

// Reinstate reinstates a grant suspended by its grantor, and what was suspended with it.
func (a *App) Reinstate(ctx context.Context, id, reason string) (*domain.Grant, []string, error) {
	return a.change(ctx, id, domain.ActReinstate, reason, "")
}

// GetGrant returns a grant the caller may see.
func (a *App) GetGrant(ctx context.Context, id string) (*domain.Grant, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	g, err := a.store.Grant(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.CanRead(g) {
		return nil, errs.NotFound(domain.ReasonGrantNotFound, "%s not found", g.Name())
	}
	return g, nil
}

// History returns a grant's history.
func (a *App) History(ctx context.Context, id string) ([]store.HistoryRow, error) {
	if _, err := a.GetGrant(ctx, id); err != nil {
		return nil, err
	}
	return a.store.History(ctx, id)
}

// ListGrants lists grants visible to the caller.
func (a *App) ListGrants(ctx context.Context, q store.GrantQuery, token string) ([]*domain.Grant, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if !c.ReadAll {
		q.Party = c.Organisation
	}
	q.Limit = paging.Size(q.Limit, 50, 500)
	pq := a.listQuery(q.AssetID, q.Grantor, q.Grantee, q.Right, q.States, q.Party)
	if token != "" {
		if q.Before, err = pq.After(token); err != nil {
			return nil, "", err
		}
	}
	grants, err := a.store.ListGrants(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(grants) > q.Limit {
		grants = grants[:q.Limit]
		next = pq.Token(grants[len(grants)-1].ID)
	}
	return grants, next, nil
}

// denialsEvent builds the check.denied event.
func denialsEvent(ctx context.Context, p *eventsv1.ChecksDenied) (*eventsv1.Event, error) {
	// Not about one revisioned resource: no subject, revision 0 (the audit's revision
	// check skips it).
	// p is not cloned: NewEvent marshals it at once, and a flush's payloads are large.
	return messaging.NewEvent(ctx, ServiceName, "rights.check.denied", "", 0, p)
}

// listQuery binds a rights list or lookup's page tokens to it.
func (a *App) listQuery(parts ...any) paging.Query {
	return a.pageKey.Query("yaosu.rights.list.v1", domain.ReasonInvalidPageToken, parts...)
}

func trimGrant(name string) string { return strings.TrimPrefix(name, "grants/") }

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
