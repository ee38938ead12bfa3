package app

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/rights/internal/domain"
	"yaosu.dev/services/rights/internal/protoconv"
	"yaosu.dev/services/rights/internal/store"
)

// Actors of automatic changes.
const (
	ActorExpiry  = "system:expiry"
	ActorCatalog = "system:catalog"
)

// CatalogEventTypes are the catalog events the rights service consumes.
var CatalogEventTypes = []string{"catalog.asset.registered", "catalog.asset.changed", "catalog.asset.corrected",
	"catalog.asset.suspended", "catalog.asset.reinstated", "catalog.asset.cancelled", "catalog.asset.disposed"}

// HandleCatalogEvent applies one catalog event in the consumer's transaction: it updates
// the asset projection (ignoring events older than what it has) and suspends, reinstates
// or ends the asset's grants when the asset's state says so.
func (a *App) HandleCatalogEvent(ctx context.Context, pgtx pgx.Tx, ev *eventsv1.Event) error {
	e, asset, ok := assetEvent(ev)
	if !ok {
		return nil
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: ActorCatalog, Roles: []auth.Role{auth.RoleService}})
	return a.store.InPgxTx(ctx, pgtx, func(tx *store.Tx) error {
		prev, applied, err := tx.ApplyAssetEvent(e)
		if err != nil || !applied || prev == nil || prev.State == e.State {
			return err
		}
		grants, err := tx.AssetGrants(e.ID)
		if err != nil {
			return err
		}
		reason := "asset " + strings.ToLower(e.State)
		from := asset.GetName()
		for _, g := range grants {
			if g.ParentID != "" {
				continue // first-level grants cascade to theirs
			}
			var action domain.Action
			switch {
			case e.State == "SUSPENDED" && g.State == domain.StateActive:
				action = domain.ActSuspend
			case e.State == "REGISTERED" && g.State == domain.StateSuspended && g.SuspendedBy == domain.SuspendedByAsset:
				action = domain.ActReinstate
			case (e.State == "CANCELLED" || e.State == "DISPOSED") && !g.State.Final():
				action = domain.ActRevoke
			default:
				continue
			}
			if _, err := a.transition(ctx, tx, g, action, reason, ActorCatalog, from, domain.SuspendedByAsset); err != nil {
				return err
			}
		}
		if e.State == "CANCELLED" || e.State == "DISPOSED" {
			// Requests and sub-grants not reached through a first-level grant end too.
			rest, err := tx.AssetGrants(e.ID)
			if err != nil {
				return err
			}
			for _, g := range rest {
				if !g.State.Final() {
					if err := a.step(ctx, tx, g, domain.ActRevoke, reason, ActorCatalog, from, ""); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// HandleStaleCatalogEvent handles a catalog event older than one already applied for its
// asset (a replica handled the newer one first): the projection and the grants already
// follow the newer state, so only the asset's history learns the state this event
// describes, at its time, for answers as of a past time.
func (a *App) HandleStaleCatalogEvent(ctx context.Context, pgtx pgx.Tx, ev *eventsv1.Event) error {
	e, _, ok := assetEvent(ev)
	if !ok {
		return nil
	}
	return a.store.InPgxTx(ctx, pgtx, func(tx *store.Tx) error { return tx.RecordAssetState(e) })
}

// assetEvent reads a catalog event's asset as the projection keeps it; ok is false for
// other payloads and for assets not (yet) registered, which are not the rights service's
// business.
func assetEvent(ev *eventsv1.Event) (store.AssetEvent, *catalogv1.Asset, bool) {
	var p eventsv1.AssetChanged
	if err := ev.GetPayload().UnmarshalTo(&p); err != nil {
		return store.AssetEvent{}, nil, false
	}
	asset := p.GetAsset()
	state := strings.TrimPrefix(asset.GetState().String(), "ASSET_STATE_")
	switch state {
	case "REGISTERED", "SUSPENDED", "CANCELLED", "DISPOSED":
	default:
		return store.AssetEvent{}, nil, false
	}
	return store.AssetEvent{
		ID: strings.TrimPrefix(asset.GetName(), "assets/"), Holder: asset.GetHolderOrganisation(),
		Grade: asset.GetGrade().String(), State: state, RegistrationNumber: asset.GetRegistrationNumber(),
		Revision: asset.GetRevision(), Time: ev.GetTime().AsTime().UTC().Truncate(time.Microsecond),
	}, asset, true
}

// ExpireDue expires every grant whose window has passed (and what is beneath it) and
// returns how many it expired. Replicas share the work: each asset is taken with SKIP LOCKED.
func (a *App) ExpireDue(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: ActorExpiry, Roles: []auth.Role{auth.RoleService}})
	assets, err := a.store.DueForExpiry(ctx, a.now(), 200)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, assetID := range assets {
		err := a.store.InTx(ctx, func(tx *store.Tx) error {
			locked, err := tx.TryLockAsset(assetID)
			if err != nil || !locked {
				return err
			}
			due, err := tx.ExpiredGrants(assetID, a.now())
			if err != nil {
				return err
			}
			for _, g := range due {
				cur, err := tx.Grant(g.ID)
				if err != nil {
					return err
				}
				if cur.State.Final() {
					continue // expired with its parent a moment ago
				}
				cascaded, err := a.transition(ctx, tx, cur, domain.ActExpire, "validity window ended", ActorExpiry, "", "")
				if err != nil {
					return err
				}
				n += 1 + len(cascaded)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// RunExpiry expires due grants every interval until ctx ends.
func (a *App) RunExpiry(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := a.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("grant expiry", "err", err)
		} else if n > 0 {
			a.log.Info("grants expired", "grants", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Transfer moves an asset's holding. The first-level grants the old holder made stay in
// force, granted by the new holder now; one made to the new holder itself ends (nobody
// grants to itself).
func (a *App) Transfer(ctx context.Context, assetID, to string, cause rightsv1.TransferCause, basis domain.LegalBasis) (*store.HoldingRow, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now0()
	causeName := strings.ToLower(strings.TrimPrefix(cause.String(), "TRANSFER_CAUSE_"))
	var from string
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		asset, err := tx.LockAsset(assetID)
		if err != nil {
			return err
		}
		if asset == nil || !asset.Registered() {
			return errs.FailedPrecondition(domain.ReasonAssetNotRegistered, "assets/%s is not a registered asset in force", assetID)
		}
		if err := c.RequireActsFor(asset.Holder, "transferring a holding"); err != nil {
			return err
		}
		if to == asset.Holder {
			return errs.FailedPrecondition(domain.ReasonSelfGrant, "%s already holds assets/%s", to, assetID)
		}
		from = asset.Holder
		if err := tx.Transfer(assetID, to, causeName, basis, now); err != nil {
			return err
		}
		grants, err := tx.AssetGrants(assetID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if g.ParentID != "" || g.Grantor != from {
				continue
			}
			if g.Grantee == to {
				if _, err := a.transition(ctx, tx, g, domain.ActRevoke, "the grantee became the holder by transfer", c.Subject, "", ""); err != nil {
					return err
				}
				continue
			}
			g.Grantor, g.Revision, g.UpdateTime, g.StateReason = to, g.Revision+1, now, "holding transferred from "+from
			if err := tx.UpdateGrant(g, "transfer", c.Subject); err != nil {
				return err
			}
			if err := emit(ctx, tx, "grant.transferred", g, g.State, g.StateReason, "assets/"+assetID); err != nil {
				return err
			}
		}
		holding := &rightsv1.Holding{Asset: "assets/" + assetID, HolderOrganisation: to, Since: ts(now), Cause: causeName,
			LegalBasis: protoconv.LegalBasis(basis)}
		// The asset's revisions are the catalog's; this event carries no subject of its own.
		ev, err := messaging.NewEvent(ctx, ServiceName, "rights.right.transferred", "", 0,
			&eventsv1.RightTransferred{Holding: holding, FromOrganisation: from, Cause: cause})
		if err != nil {
			return err
		}
		tx.Emit(ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &store.HoldingRow{AssetID: assetID, Holder: to, Since: now, Cause: causeName, LegalBasis: &basis}, nil
}

// GetPolicy returns the grade policy.
func (a *App) GetPolicy(ctx context.Context) ([]domain.GradeRule, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	return a.store.Policy(ctx)
}

// SetPolicy replaces a grade's rule (admin).
func (a *App) SetPolicy(ctx context.Context, r domain.GradeRule) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if !c.Admin {
		return errs.PermissionDenied(errs.ReasonForbidden, "changing the grade policy needs the admin role")
	}
	return a.store.InTx(ctx, func(tx *store.Tx) error { return tx.SetRule(r) })
}
