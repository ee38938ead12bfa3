package app

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/protoconv"
	"yaosu.dev/services/scenario/internal/store"
)

// check asks the rights service whether the scenario's operator may use the link's asset
// for the scenario's sector, form and region now.
func (a *App) check(ctx context.Context, s *domain.Scenario, l *domain.Link) (domain.Decision, error) {
	resp, err := a.rights.Check(ctx, &rightsv1.CheckRequest{Organisation: s.Operator, Asset: "assets/" + l.AssetID,
		Right: protoconv.Right(l.Right), Purpose: s.Sector, DeliveryForm: protoconv.Form(l.DeliveryForm), Region: s.Region})
	if err != nil {
		return domain.Decision{}, rightsError(err, "the rights service could not be asked; retry")
	}
	d := domain.Decision{Allowed: resp.GetAllowed(), Holder: resp.GetHolder(), Detail: resp.GetDetail(),
		Denial: resp.GetDenialReason().String()}
	for _, g := range resp.GetChain() {
		d.Chain = append(d.Chain, trim(g, "grants/"))
	}
	return d, nil
}

// rightsKinds keeps the rights service's answer to a call made for the caller: a refusal
// (the caller's token or role), a missing grant or a bad request is the caller's to see as
// such, not a fault to retry.
var rightsKinds = map[codes.Code]errs.Kind{
	codes.InvalidArgument: errs.KindInvalidArgument, codes.NotFound: errs.KindNotFound,
	codes.FailedPrecondition: errs.KindFailedPrecondition, codes.PermissionDenied: errs.KindPermissionDenied,
	codes.Unauthenticated: errs.KindUnauthenticated,
}

// rightsError classifies a failed call to the rights service: its own client errors keep
// their code and message; anything else (it is down, restarting, overloaded, out of time,
// or failed inside) is UNAVAILABLE with retry, the message being unavailable.
func rightsError(err error, unavailable string) error {
	st := status.Convert(err)
	if kind, ok := rightsKinds[st.Code()]; ok {
		e := errs.Wrap(err, kind, domain.ReasonRightsRefused, "rights service: %s", st.Message())
		for _, d := range st.Details() {
			if lm, ok := d.(*errdetails.LocalizedMessage); ok && lm.GetLocale() == "zh-CN" {
				e.MessageZh = "权益服务：" + lm.GetMessage() // its Chinese travels with it
			}
		}
		return e
	}
	return errs.Wrap(err, errs.KindUnavailable, domain.ReasonRightsUnavailable, "%s", unavailable)
}

// grantTerms reads the terms of the grant a new link rests on from the rights service.
func (a *App) grantTerms(ctx context.Context, grantID string) (domain.GrantTerms, error) {
	resp, err := a.rights.GetGrant(ctx, &rightsv1.GetGrantRequest{Name: "grants/" + grantID})
	if err != nil {
		return domain.GrantTerms{}, rightsError(err, "the terms of grants/"+grantID+" could not be read from the rights service; retry")
	}
	g := resp.GetGrant()
	t := domain.GrantTerms{ValidFrom: g.GetValidFrom().AsTime().UTC(), ValidUntil: g.GetValidUntil().AsTime().UTC(),
		Purposes: g.GetScope().GetPurposes()}
	for _, f := range g.GetScope().GetDeliveryForms() {
		t.Forms = append(t.Forms, protoconv.DomainForm(f))
	}
	return t, nil
}

// LinkAsset links an asset to a scenario when the rights service's check passes; it
// returns the link and the grant chain (grant names) the check returned.
func (a *App) LinkAsset(ctx context.Context, scenarioID string, l domain.Link) (*domain.Link, []string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.store.Scenario(ctx, scenarioID)
	if err == nil {
		err = visible(c, s)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := c.RequireManages(s, "linking an asset"); err != nil {
		return nil, nil, err
	}
	if s.State.Final() {
		return nil, nil, errs.FailedPrecondition(domain.ReasonScenarioClosed, "%s is closed", s.Name())
	}
	// The check runs outside the transaction: no lock is held across the network call.
	d, err := a.check(ctx, s, &l)
	if err != nil {
		return nil, nil, err
	}
	if l.GrantID, err = domain.ResolveGrant(l.GrantID, d); err != nil {
		return nil, nil, err
	}
	if l.GrantID != "" {
		if l.Grant, err = a.grantTerms(ctx, l.GrantID); err != nil {
			return nil, nil, err
		}
	}
	now := a.now0()
	l.ID, l.ScenarioID, l.State, l.Linker, l.Revision, l.CreateTime, l.UpdateTime =
		newID(), s.ID, domain.LinkActive, c.Subject, 1, now, now
	causes := []string{domain.AssetCause(l.AssetID)}
	if l.GrantID != "" {
		causes = append([]string{domain.GrantCause(l.GrantID)}, causes...)
	}
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.LockScenario(s.ID)
		if err != nil {
			return err
		}
		if cur.State.Final() {
			return errs.FailedPrecondition(domain.ReasonScenarioClosed, "%s is closed", s.Name())
		}
		// A revocation or suspension may have arrived since the check answered: the
		// consumer records it under the same per-cause lock.
		if err := tx.LockCauses(causes...); err != nil {
			return err
		}
		cause, typ, err := tx.Blocked(causes...)
		if err != nil {
			return err
		}
		if cause != "" {
			return errs.FailedPrecondition(domain.ReasonNotAllowedByRights, "the rights service does not allow this use: %s (%s)", typ, cause)
		}
		if err := tx.InsertLink(&l, "link", c.Subject); err != nil {
			return err
		}
		ev, err := linkEvent(ctx, "asset.linked", &l, "", l.Reason, "")
		tx.Emit(ev)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	chain := make([]string, len(d.Chain))
	for i, g := range d.Chain {
		chain[i] = "grants/" + g
	}
	return &l, chain, nil
}

// UnlinkAsset ends a link.
func (a *App) UnlinkAsset(ctx context.Context, scenarioID, linkID, reason string) (*domain.Link, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var out *domain.Link
	err = a.store.InTx(ctx, func(tx *store.Tx) error {
		s, err := tx.LockScenario(scenarioID)
		if err == nil {
			err = visible(c, s)
		}
		if err != nil {
			return err
		}
		if err := c.RequireManages(s, "unlinking an asset"); err != nil {
			return err
		}
		l, err := tx.LockLink(scenarioID, linkID)
		if err != nil {
			return err
		}
		prev, err := l.Transition(domain.LinkUnlink, reason, "")
		if err != nil {
			return err
		}
		l.Revision, l.UpdateTime = l.Revision+1, a.now0()
		if err := tx.UpdateLink(l, string(domain.LinkUnlink), c.Subject, reason); err != nil {
			return err
		}
		ev, err := linkEvent(ctx, "asset.unlinked", l, prev, reason, "")
		tx.Emit(ev)
		out = l
		return err
	})
	return out, err
}

// ListLinks lists a visible scenario's links.
func (a *App) ListLinks(ctx context.Context, scenarioID string) ([]*domain.Link, error) {
	if _, err := a.GetScenario(ctx, scenarioID); err != nil {
		return nil, err
	}
	return a.store.Links(ctx, scenarioID)
}
