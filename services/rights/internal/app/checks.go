package app

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/paging"
	"yaosu.dev/services/rights/internal/check"
	"yaosu.dev/services/rights/internal/domain"
	"yaosu.dev/services/rights/internal/protoconv"
	"yaosu.dev/services/rights/internal/store"
)

// Check answers one check: from the checker's cache for now, from history for as_of.
func (a *App) Check(ctx context.Context, in domain.CheckInput, asOf bool) (domain.Decision, error) {
	c, err := caller(ctx)
	if err != nil {
		return domain.Decision{}, err
	}
	if !c.CanCheckFor(in.Organisation, asOf) {
		if asOf {
			return domain.Decision{}, errs.PermissionDenied(errs.ReasonForbidden, "checks as of a past time are for auditors and internal systems")
		}
		return domain.Decision{}, errs.PermissionDenied(domain.ReasonNotYourOrganisation,
			"you may check for your own organisation %s only (internal systems use the service role)", c.Organisation)
	}
	if !asOf {
		if in.At.IsZero() {
			in.At = a.now()
		}
		return a.checker.Check(ctx, in)
	}
	g, err := a.store.LoadGraphAsOf(ctx, in.AssetID, in.At)
	if err != nil {
		return domain.Decision{}, err
	}
	return domain.Evaluate(in, g, a.cond.Eval), nil
}

// effective lists the grants of graph in force at t through an unbroken chain from the
// holder, grantee then id order; grantee "" means all.
func effective(g *domain.Graph, grantee string, t time.Time) []*domain.Grant {
	if g.Asset == nil || g.Asset.State != "REGISTERED" {
		return nil
	}
	var out []*domain.Grant
	for _, gr := range g.Grants {
		if grantee != "" && gr.Grantee != grantee {
			continue
		}
		ok := true
		for p := gr; ok && p != nil; {
			ok = p.InForce(t)
			if p.ParentID == "" {
				break
			}
			p = g.Grants[p.ParentID]
			if p == nil {
				ok = false
			}
		}
		if ok {
			out = append(out, gr)
		}
	}
	slices.SortFunc(out, func(x, y *domain.Grant) int {
		if x.Grantee != y.Grantee {
			return strings.Compare(x.Grantee, y.Grantee)
		}
		return strings.Compare(x.ID, y.ID)
	})
	return out
}

func (a *App) graph(ctx context.Context, assetID string, t time.Time, asOf bool) (*domain.Graph, error) {
	if asOf {
		return a.store.LoadGraphAsOf(ctx, assetID, t)
	}
	return a.store.LoadGraph(ctx, assetID)
}

// LookupGrantees lists who may use an asset at t (now unless asOf): its holding and the
// grants in force, paged by position.
func (a *App) LookupGrantees(ctx context.Context, assetID string, t time.Time, asOf bool, size int, token string) (*store.HoldingRow, []*domain.Grant, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if asOf && !c.CanCheckFor("", true) {
		return nil, nil, "", errs.PermissionDenied(errs.ReasonForbidden, "lookups as of a past time are for auditors and internal systems")
	}
	if !asOf {
		t = a.now()
	}
	g, err := a.graph(ctx, assetID, t, asOf)
	if err != nil {
		return nil, nil, "", err
	}
	if g.Asset == nil {
		return nil, nil, "", errs.FailedPrecondition(domain.ReasonAssetNotRegistered, "assets/%s was not registered then", assetID)
	}
	if !c.Service && !c.ReadAll && c.Organisation != g.Asset.Holder {
		return nil, nil, "", errs.PermissionDenied(domain.ReasonNotYourOrganisation, "who may use an asset is for its holder, auditors and internal systems")
	}
	holding := &store.HoldingRow{AssetID: assetID, Holder: g.Asset.Holder}
	all := effective(g, "", t)
	pq := a.listQuery("grantees", assetID, t.UnixMicro(), asOf)
	start := 0
	if token != "" {
		after, err := pq.After(token)
		if err != nil {
			return nil, nil, "", err
		}
		start = slices.IndexFunc(all, func(x *domain.Grant) bool { return x.ID == after }) + 1
	}
	size = paging.Size(size, 100, 1000)
	end := min(start+size, len(all))
	page, next := all[start:end], ""
	if end < len(all) {
		next = pq.Token(all[end-1].ID)
	}
	return holding, page, next, nil
}

// LookupGrants lists what an organisation may do at t: its holdings (first page) and the
// grants in force to it, paged by asset.
func (a *App) LookupGrants(ctx context.Context, org string, t time.Time, asOf bool, size int, token string) ([]store.HoldingRow, []*domain.Grant, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if !c.CanCheckFor(org, asOf) {
		return nil, nil, "", errs.PermissionDenied(domain.ReasonNotYourOrganisation, "you may look up your own organisation %s only", c.Organisation)
	}
	if !asOf {
		t = a.now()
	}
	pq := a.listQuery("grants", org, t.UnixMicro(), asOf)
	after := ""
	var holdings []store.HoldingRow
	if token != "" {
		if after, err = pq.After(token); err != nil {
			return nil, nil, "", err
		}
	} else if holdings, err = a.store.HoldingsOf(ctx, org, t); err != nil {
		return nil, nil, "", err
	}
	size = paging.Size(size, 100, 1000)
	var out []*domain.Grant
	next := ""
	for len(out) < size {
		assets, err := a.store.AssetsOfGrantee(ctx, org, after, 100)
		if err != nil {
			return nil, nil, "", err
		}
		for _, id := range assets {
			g, err := a.graph(ctx, id, t, asOf)
			if err != nil {
				return nil, nil, "", err
			}
			out = append(out, effective(g, org, t)...)
			after = id
			if len(out) >= size {
				next = pq.Token(after)
				break
			}
		}
		if len(assets) < 100 {
			break
		}
	}
	return holdings, out, next, nil
}

// GetHolding returns the holding at t and the asset's holding history.
func (a *App) GetHolding(ctx context.Context, assetID string, t time.Time, asOf bool) (*store.HoldingRow, []store.HoldingRow, error) {
	if _, err := caller(ctx); err != nil {
		return nil, nil, err
	}
	if !asOf {
		t = a.now()
	}
	history, err := a.store.Holdings(ctx, assetID)
	if err != nil {
		return nil, nil, err
	}
	if len(history) == 0 {
		return nil, nil, errs.FailedPrecondition(domain.ReasonAssetNotRegistered, "assets/%s is not registered", assetID)
	}
	for i := range history {
		h := &history[i]
		if !t.Before(h.Since) && (h.Until == nil || t.Before(*h.Until)) {
			return h, history, nil
		}
	}
	return nil, history, nil
}

// DirectChecker answers checks by reading the asset's graph from Postgres every time: no
// cache. It is the reference the cached checker is measured against, and what "as of"
// checks use.
type DirectChecker struct {
	Store *store.Store
	Cond  domain.ConditionFunc
}

// Check implements Checker.
func (d DirectChecker) Check(ctx context.Context, in domain.CheckInput) (domain.Decision, error) {
	g, err := d.Store.LoadGraph(ctx, in.AssetID)
	if err != nil {
		return domain.Decision{}, err
	}
	return domain.Evaluate(in, g, d.Cond), nil
}

// maxCountsPerEvent keeps each rights.check.denied event well under the outbox's event size
// limit (a count is about 70 bytes encoded): a busy window with many distinct keys becomes
// several events, written in one transaction.
const maxCountsPerEvent = 2000

// WriteDenials publishes denied-check counts as rights.check.denied events.
func (a *App) WriteDenials(ctx context.Context, counts []check.DenialCount) error {
	if len(counts) == 0 {
		return nil
	}
	var events []*eventsv1.Event
	end := timestamppb.New(a.now())
	for start := 0; start < len(counts); start += maxCountsPerEvent {
		p := &eventsv1.ChecksDenied{WindowEnd: end}
		for _, c := range counts[start:min(start+maxCountsPerEvent, len(counts))] {
			if p.WindowStart == nil || c.First.Before(p.WindowStart.AsTime()) {
				p.WindowStart = timestamppb.New(c.First)
			}
			p.Counts = append(p.Counts, &eventsv1.ChecksDenied_Count{Organisation: c.Organisation, Asset: "assets/" + c.AssetID,
				Right: protoconv.Right(c.Right), Reason: protoconv.Denial(c.Reason), Count: c.Count})
		}
		ev, err := denialsEvent(ctx, p)
		if err != nil {
			return err
		}
		events = append(events, ev)
		// Let the checks queued behind this goroutine run between chunks: a flush of
		// tens of thousands of counts would otherwise hold a CPU for whole scheduler
		// time slices while checks wait.
		runtime.Gosched()
	}
	return a.store.InTx(ctx, func(tx *store.Tx) error {
		tx.Emit(events...)
		return nil
	})
}
