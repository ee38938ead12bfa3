package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/store"
)

// Actors of the changes the consumer makes.
const (
	ActorRights  = "system:rights"
	ActorCatalog = "system:catalog"
)

// consumed are the event types the scenario service consumes: those that change whether
// a grant or an asset allows use. What an event does is read from the state its payload
// carries, not from its type (see stateEffect).
var consumed = []string{
	"catalog.asset.cancelled",
	"catalog.asset.disposed",
	"catalog.asset.reinstated",
	"catalog.asset.suspended",
	"rights.grant.expired",
	"rights.grant.reinstated",
	"rights.grant.revoked",
	"rights.grant.suspended",
}

// ConsumedEventTypes are the rights and catalog events the scenario service consumes.
func ConsumedEventTypes() []string { return slices.Clone(consumed) }

// effect is what a grant's or an asset's state means for the links resting on it: none,
// unblock (it allows use again), or block (final when nothing can reinstate it).
type effect struct {
	block, unblock, final bool
}

// stateEffect maps the state a grant or asset is in after an event to its effect. Reading
// the state rather than the event type makes the effect that of the resource as of the
// event's revision: the consumer applies only the newest revision of each grant and asset
// it has seen (messaging.Consumer skips older ones that arrive late), so links end as an
// in-order replay would leave them even when replicas handle events out of order.
var stateEffect = map[string]effect{
	"GRANT_STATE_ACTIVE":     {unblock: true},
	"GRANT_STATE_SUSPENDED":  {block: true},
	"GRANT_STATE_REVOKED":    {block: true, final: true},
	"GRANT_STATE_EXPIRED":    {block: true, final: true},
	"ASSET_STATE_REGISTERED": {unblock: true},
	"ASSET_STATE_SUSPENDED":  {block: true},
	"ASSET_STATE_CANCELLED":  {block: true, final: true},
	"ASSET_STATE_DISPOSED":   {block: true, final: true},
}

// HandleEvent applies one rights or catalog event in the consumer's transaction (which
// also records the event as processed and its revision as the newest applied, so a
// redelivery or an older event arriving late changes nothing): a grant or asset that
// stops allowing use blocks its active links; one that allows again unblocks the links it
// blocked, unless something else still blocks them.
func (a *App) HandleEvent(ctx context.Context, pgtx pgx.Tx, ev *eventsv1.Event) error {
	if !slices.Contains(consumed, ev.GetType()) {
		return nil
	}
	var cause, subject, actor, state string
	if strings.HasPrefix(ev.GetType(), "rights.") {
		var p eventsv1.GrantChanged
		if err := ev.GetPayload().UnmarshalTo(&p); err != nil {
			return nil // not a grant payload: nothing for us
		}
		subject, actor, state = p.GetGrant().GetName(), ActorRights, p.GetGrant().GetState().String()
		cause = domain.GrantCause(trim(subject, "grants/"))
	} else {
		var p eventsv1.AssetChanged
		if err := ev.GetPayload().UnmarshalTo(&p); err != nil {
			return nil
		}
		subject, actor, state = p.GetAsset().GetName(), ActorCatalog, p.GetAsset().GetState().String()
		cause = domain.AssetCause(trim(subject, "assets/"))
	}
	what, ok := stateEffect[state]
	if cause == "grant:" || cause == "asset:" || subject != ev.GetSubject() || !ok {
		// No resource, a payload about another resource than the envelope's (whose
		// revision the consumer ordered), or a state that neither allows nor stops use.
		return nil
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: actor, Roles: []auth.Role{auth.RoleService}})
	at := ev.GetTime().AsTime().UTC().Truncate(time.Microsecond)
	reason := domain.BlockReason(ev.GetType(), subject)
	return a.store.InPgxTx(ctx, pgtx, func(tx *store.Tx) error {
		if err := tx.LockCauses(cause); err != nil {
			return err
		}
		if what.block {
			return a.block(ctx, tx, cause, what.final, ev.GetType(), reason, actor, at)
		}
		return a.unblock(ctx, tx, cause, reason, actor)
	})
}

func (a *App) block(ctx context.Context, tx *store.Tx, cause string, final bool, typ, reason, actor string, at time.Time) error {
	if err := tx.SetBlock(cause, final, typ, at); err != nil {
		return err
	}
	var links []*domain.Link
	var err error
	if id, ok := strings.CutPrefix(cause, "grant:"); ok {
		links, err = tx.ActiveLinksOfGrant(id)
	} else {
		links, err = tx.ActiveLinksOfAsset(strings.TrimPrefix(cause, "asset:"))
	}
	if err != nil {
		return err
	}
	for _, l := range links {
		prev, err := l.Transition(domain.LinkBlock, reason, cause)
		if err != nil {
			return err
		}
		if err := a.saveLink(ctx, tx, l, prev, "link.blocked", string(domain.LinkBlock), actor, reason, cause); err != nil {
			return err
		}
	}
	_, err = a.allowedAfter(ctx, tx, links, typ, reason, actor, at, at)
	return err
}

// allowedAfter raises an alert on each newly blocked link that already has usage allowed
// for a time after the block took effect at at: usage reported before the event reached
// us (events arrive a moment after the fact), or reported ahead of time. The alert's rule
// follows the event (suspended_grant, suspended_asset, outside_term, denied_usage). It
// reports how many alerts it raised; quietSince is raiseQuiet's.
func (a *App) allowedAfter(ctx context.Context, tx *store.Tx, links []*domain.Link, typ, reason, actor string, at, quietSince time.Time) (int, error) {
	if len(links) == 0 {
		return 0, nil
	}
	ids := make([]string, len(links))
	for i, l := range links {
		ids[i] = l.ID
	}
	late, err := tx.AllowedAfter(ids, at)
	if err != nil {
		return 0, err
	}
	raised := 0
	for _, l := range links {
		n, ok := late[l.ID]
		if !ok {
			continue
		}
		detail := fmt.Sprintf("%d usage record(s) through %s were allowed for use after %s at %s (reported before the block reached the scenario service)",
			n, l.Name(), reason, at.Format(time.RFC3339))
		ok, err := a.raiseQuiet(ctx, tx, actor, l, "", domain.RuleOfBlock(typ), detail, quietSince)
		if err != nil {
			return raised, err
		}
		if ok {
			raised++
		}
	}
	return raised, nil
}

func (a *App) unblock(ctx context.Context, tx *store.Tx, cause, reason, actor string) error {
	cleared, err := tx.ClearBlock(cause)
	if err != nil || !cleared {
		return err
	}
	links, err := tx.LinksBlockedBy(cause)
	if err != nil {
		return err
	}
	for _, l := range links {
		// The link's other cause (its asset for a grant's link, its grant for an asset's)
		// may still stop use: the block then rests on that one.
		others := []string{domain.AssetCause(l.AssetID)}
		if l.GrantID != "" {
			others = append(others, domain.GrantCause(l.GrantID))
		}
		var rest []string
		for _, o := range others {
			if o != cause {
				rest = append(rest, o)
			}
		}
		other, otherType, err := tx.Blocked(rest...)
		if err != nil {
			return err
		}
		if other != "" {
			l.BlockedBy, l.StateReason = other, domain.BlockReason(otherType, domain.CauseSubject(other))
			if err := a.saveLink(ctx, tx, l, domain.LinkBlocked, "link.blocked", "reblock", actor, l.StateReason, other); err != nil {
				return err
			}
			continue
		}
		prev, err := l.Transition(domain.LinkUnblock, reason, cause)
		if err != nil {
			return err
		}
		if err := a.saveLink(ctx, tx, l, prev, "link.unblocked", string(domain.LinkUnblock), actor, reason, cause); err != nil {
			return err
		}
	}
	return nil
}

func (a *App) saveLink(ctx context.Context, tx *store.Tx, l *domain.Link, prev domain.LinkState, typ, action, actor, reason, cause string) error {
	l.Revision, l.UpdateTime = l.Revision+1, a.now0()
	if err := tx.UpdateLink(l, action, actor, reason); err != nil {
		return err
	}
	ev, err := linkEvent(ctx, typ, l, prev, reason, cause)
	tx.Emit(ev)
	return err
}
