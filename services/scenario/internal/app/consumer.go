package app

import (
	"context"
	"fmt"
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

// What an event does to links.
const (
	effectBlock   = "block"
	effectUnblock = "unblock"
)

// consumed maps each event type the scenario service consumes to its effect and whether
// a block it causes is final (nothing reinstates a revoked grant or a cancelled asset).
var consumed = map[string]struct {
	effect string
	final  bool
}{
	"rights.grant.revoked":     {effectBlock, true},
	"rights.grant.suspended":   {effectBlock, false},
	"rights.grant.expired":     {effectBlock, true},
	"rights.grant.reinstated":  {effectUnblock, false},
	"catalog.asset.suspended":  {effectBlock, false},
	"catalog.asset.cancelled":  {effectBlock, true},
	"catalog.asset.disposed":   {effectBlock, true},
	"catalog.asset.reinstated": {effectUnblock, false},
}

// ConsumedEventTypes are the rights and catalog events the scenario service consumes.
func ConsumedEventTypes() []string {
	out := make([]string, 0, len(consumed))
	for t := range consumed {
		out = append(out, t)
	}
	return out
}

// HandleEvent applies one rights or catalog event in the consumer's transaction (which
// also records the event as processed, so a redelivery changes nothing): a grant or asset
// that stops allowing use blocks its active links; one that allows again unblocks the
// links it blocked, unless something else still blocks them.
func (a *App) HandleEvent(ctx context.Context, pgtx pgx.Tx, ev *eventsv1.Event) error {
	what, ok := consumed[ev.GetType()]
	if !ok {
		return nil
	}
	var cause, subject, actor string
	if strings.HasPrefix(ev.GetType(), "rights.") {
		var p eventsv1.GrantChanged
		if err := ev.GetPayload().UnmarshalTo(&p); err != nil {
			return nil // not a grant payload: nothing for us
		}
		subject, actor = p.GetGrant().GetName(), ActorRights
		cause = domain.GrantCause(trim(subject, "grants/"))
	} else {
		var p eventsv1.AssetChanged
		if err := ev.GetPayload().UnmarshalTo(&p); err != nil {
			return nil
		}
		subject, actor = p.GetAsset().GetName(), ActorCatalog
		cause = domain.AssetCause(trim(subject, "assets/"))
	}
	if cause == "grant:" || cause == "asset:" {
		return nil
	}
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: actor, Roles: []auth.Role{auth.RoleService}})
	at := ev.GetTime().AsTime().UTC().Truncate(time.Microsecond)
	reason := domain.BlockReason(ev.GetType(), subject)
	return a.store.InPgxTx(ctx, pgtx, func(tx *store.Tx) error {
		if err := tx.LockCauses(cause); err != nil {
			return err
		}
		if what.effect == effectBlock {
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
