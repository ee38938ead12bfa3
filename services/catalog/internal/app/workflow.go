package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/errs"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/schedule"
	"yaosu.dev/services/catalog/internal/domain"
	"yaosu.dev/services/catalog/internal/protoconv"
	"yaosu.dev/services/catalog/internal/store"
)

type actOpts struct {
	// appID names the application acted on (else the open one is loaded).
	appID string
	// system acts as the publicity scheduler; skipLocked leaves rows other replicas hold.
	system     bool
	skipLocked bool
	// validateOnly runs every check of the action and writes nothing.
	validateOnly bool
}

// act runs one action: lock the asset, check the caller may see it, build the command,
// let the domain decide, and save the result with its revision row and events, all in one
// transaction. done sees the work after a successful Apply (also for a no-op).
func (a *App) act(ctx context.Context, assetID string, o actOpts, build func(*store.Work, domain.Caller) (domain.Command, error), done func(*store.Work)) error {
	var c domain.Caller
	if o.system {
		c = domain.Caller{Subject: domain.SystemPublicity, System: true}
	} else {
		var err error
		if c, err = caller(ctx); err != nil {
			return err
		}
	}
	opts := store.MutateOptions{ApplicationID: o.appID, SkipLocked: o.skipLocked, RegistrationNumberFormat: a.cfg.RegistrationNumberFormat}
	return a.store.Mutate(ctx, assetID, opts, func(w *store.Work) error {
		if !c.CanRead(w.Asset) {
			return domain.NotFound(w.Asset.Name())
		}
		if o.appID != "" && w.App != nil && !c.CanReadApplication(w.Asset, w.App) {
			return errs.NotFound(domain.ReasonAssetNotFound, "%s not found", w.App.Name())
		}
		cmd, err := build(w, c)
		if err != nil {
			return err
		}
		cmd.Caller, cmd.Now = c, a.now()
		version := w.Asset.Record().CodeListVersion
		if cmd.Record != nil && cmd.Record.CodeListVersion != "" {
			version = cmd.Record.CodeListVersion
		}
		if cmd.Codes, err = a.codes(ctx, version); err != nil {
			return err
		}
		cmd.ResolveCodes()
		cmd.NextRegistrationNumber = w.NextRegistrationNumber
		if cmd.Action == domain.ActPass {
			cmd.PublicityEnd = a.publicityEnd(cmd.Now)
		}
		before := w.Asset.Snapshot()
		eff, err := w.Asset.Apply(w.App, cmd)
		if err != nil {
			return err
		}
		if o.validateOnly {
			// Without an effect Mutate writes nothing, and the asset changed in memory is
			// dropped with the transaction.
			return nil
		}
		if eff.NoOp {
			done(w)
			return nil
		}
		w.Effect = eff
		if eff.IssueCertificate {
			if err := a.issueCertificate(w, cmd.Now); err != nil {
				return err
			}
		}
		if w.Events, err = a.events(ctx, w, eff, cmd); err != nil {
			return err
		}
		types := make([]string, len(eff.EventTypes))
		for i, t := range eff.EventTypes {
			types[i] = "catalog." + t
		}
		w.Revision = store.Revision{Action: string(cmd.Action), EventType: strings.Join(types, ","), Actor: c.Subject,
			ActorOrganisation: c.Organisation, Reason: cmd.Reason, Changes: revisionChanges(before, w.Asset.Snapshot())}
		done(w)
		return nil
	})
}

// revisionChanges is the record diff plus the registry-managed fields that changed.
func revisionChanges(before, after domain.Snapshot) []domain.FieldChange {
	changes := domain.Diff(before.Record, after.Record)
	add := func(path string, old, new any) {
		o, _ := json.Marshal(old)
		n, _ := json.Marshal(new)
		if string(o) != string(n) {
			changes = append(changes, domain.FieldChange{Path: path, OldValue: jsonOrEmpty(o), NewValue: jsonOrEmpty(n)})
		}
	}
	add("state", before.State, after.State)
	add("registration_number", before.RegistrationNumber, after.RegistrationNumber)
	add("open_application", before.OpenApplication, after.OpenApplication)
	add("incident", before.Incident, after.Incident)
	add("disposal", before.Disposal, after.Disposal)
	slices.SortFunc(changes, func(x, y domain.FieldChange) int { return strings.Compare(x.Path, y.Path) })
	return changes
}

func jsonOrEmpty(b []byte) string {
	if s := string(b); s != `""` && s != "null" {
		return s
	}
	return ""
}

func (a *App) events(ctx context.Context, w *store.Work, eff *domain.Effect, cmd domain.Command) ([]*eventsv1.Event, error) {
	payload := &eventsv1.AssetChanged{
		Asset:         protoconv.Asset(w.Asset),
		PreviousState: protoconv.State(eff.PreviousState),
		ChangedPaths:  eff.ChangedPaths,
		Reason:        cmd.Reason,
		ReasonCode:    cmd.ReasonCode,
	}
	if eff.Application != nil {
		payload.Application = protoconv.Application(eff.Application)
	}
	if eff.Objection != nil {
		payload.Objection = protoconv.Objection(eff.Application, *eff.Objection)
	}
	if w.Certificate != nil {
		payload.Certificate = protoconv.Certificate(w.Certificate)
	}
	out := make([]*eventsv1.Event, 0, len(eff.EventTypes))
	for _, t := range eff.EventTypes {
		ev, err := messaging.NewEvent(ctx, ServiceName, "catalog."+t, w.Asset.Name(), w.Asset.Revision(), payload)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// publicityEnd is when a publicity window opened at now ends.
func (a *App) publicityEnd(now time.Time) time.Time {
	if a.cfg.PublicityDuration > 0 {
		return now.Add(a.cfg.PublicityDuration)
	}
	return domain.PublicityEnd(now, a.cfg.PublicityWorkingDays, a.cfg.Holidays)
}

// Outcome is an action's result: the asset and the application concerned.
type Outcome struct {
	Asset       *domain.Asset
	Application *domain.Application
	Objection   *domain.Objection
}

func (a *App) outcome(ctx context.Context, assetID string, o actOpts, build func(*store.Work, domain.Caller) (domain.Command, error)) (*Outcome, error) {
	var out Outcome
	err := a.act(ctx, assetID, o, build, func(w *store.Work) {
		out.Asset, out.Application = w.Asset, w.App
		if w.Effect != nil {
			if w.Effect.Application != nil {
				out.Application = w.Effect.Application
			}
			out.Objection = w.Effect.Objection
		}
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SubmitApplication files an application of type t on the asset. With validateOnly it runs
// every check of a real submission (the caller's right to file, the asset's state, the
// record's completeness) and files nothing; the outcome is then the asset as it is.
func (a *App) SubmitApplication(ctx context.Context, assetID string, t domain.AppType, proposed *catalogv1.Asset, paths []string, reason, etag string, validateOnly bool) (*Outcome, error) {
	actions := map[domain.AppType]domain.Action{domain.AppFirst: domain.ActSubmit, domain.AppChange: domain.ActApplyChange,
		domain.AppCorrection: domain.ActApplyCorrection, domain.AppCancellation: domain.ActApplyCancellation}
	return a.outcome(ctx, assetID, actOpts{validateOnly: validateOnly}, func(w *store.Work, _ domain.Caller) (domain.Command, error) {
		cmd := domain.Command{Action: actions[t], ETag: etag, Reason: reason, ApplicationID: newID()}
		if t == domain.AppChange || t == domain.AppCorrection {
			if proposed == nil || len(paths) == 0 {
				return cmd, errs.InvalidArgument(errs.ReasonValidation, errs.Violation("update_mask",
					"a change or correction names the fields it changes", "变更或更正申请须列出所改动的字段"))
			}
			rec, err := merged(w.Asset.Record(), proposed, paths)
			if err != nil {
				return cmd, err
			}
			cmd.Record = &rec
		}
		return cmd, nil
	})
}

// Decide records a reviewer's decision on an application.
func (a *App) Decide(ctx context.Context, assetID, appID string, action domain.Action, reasonCode, reason string) (*Outcome, error) {
	return a.outcome(ctx, assetID, actOpts{appID: appID}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: action, ReasonCode: reasonCode, Reason: reason}, nil
	})
}

// Resubmit sends a returned application back for review.
func (a *App) Resubmit(ctx context.Context, assetID, appID string, proposed *catalogv1.Asset, paths []string, reason string) (*Outcome, error) {
	return a.outcome(ctx, assetID, actOpts{appID: appID}, func(w *store.Work, _ domain.Caller) (domain.Command, error) {
		cmd := domain.Command{Action: domain.ActResubmit, Reason: reason}
		if proposed != nil && len(paths) > 0 && w.App != nil && w.App.Proposed != nil {
			rec, err := merged(*w.App.Proposed, proposed, paths)
			if err != nil {
				return cmd, err
			}
			cmd.Record = &rec
		}
		return cmd, nil
	})
}

// Withdraw withdraws an application.
func (a *App) Withdraw(ctx context.Context, assetID, appID, reason string) (*Outcome, error) {
	return a.Decide(ctx, assetID, appID, domain.ActWithdraw, "", reason)
}

// FileObjection files an objection against an application in publicity.
func (a *App) FileObjection(ctx context.Context, assetID, appID, text string) (*Outcome, error) {
	return a.outcome(ctx, assetID, actOpts{appID: appID}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: domain.ActObject, ObjectionID: newID(), ObjectionText: text}, nil
	})
}

// ResolveObjection resolves an objection.
func (a *App) ResolveObjection(ctx context.Context, assetID, appID, objectionID string, uphold bool, resolution string) (*Outcome, error) {
	return a.outcome(ctx, assetID, actOpts{appID: appID}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: domain.ActResolve, ObjectionID: objectionID, Uphold: uphold, Reason: resolution}, nil
	})
}

// Suspend freezes a registered asset.
func (a *App) Suspend(ctx context.Context, assetID string, in domain.Incident) (*domain.Asset, error) {
	out, err := a.outcome(ctx, assetID, actOpts{}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: domain.ActSuspend, Incident: &in, Reason: in.Summary}, nil
	})
	if err != nil {
		return nil, err
	}
	return out.Asset, nil
}

// Reinstate lifts a suspension.
func (a *App) Reinstate(ctx context.Context, assetID, resolution string) (*domain.Asset, error) {
	out, err := a.outcome(ctx, assetID, actOpts{}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: domain.ActReinstate, Reason: resolution}, nil
	})
	if err != nil {
		return nil, err
	}
	return out.Asset, nil
}

// RequestDisposal asks for the asset's data to be destroyed.
func (a *App) RequestDisposal(ctx context.Context, assetID string, d domain.Disposal) (*domain.Asset, error) {
	out, err := a.outcome(ctx, assetID, actOpts{}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: domain.ActRequestDisposal, Disposal: &d, Reason: d.Reason}, nil
	})
	if err != nil {
		return nil, err
	}
	return out.Asset, nil
}

// DecideDisposal approves or rejects a pending disposal.
func (a *App) DecideDisposal(ctx context.Context, assetID string, approve bool, note string) (*domain.Asset, error) {
	action := domain.ActRejectDisposal
	if approve {
		action = domain.ActApproveDisposal
	}
	out, err := a.outcome(ctx, assetID, actOpts{}, func(*store.Work, domain.Caller) (domain.Command, error) {
		return domain.Command{Action: action, Reason: note}, nil
	})
	if err != nil {
		return nil, err
	}
	return out.Asset, nil
}

// GetApplication returns an application the caller may see.
func (a *App) GetApplication(ctx context.Context, assetID, appID string) (*domain.Application, error) {
	asset, err := a.GetAsset(ctx, assetID)
	if err != nil {
		return nil, err
	}
	c, _ := caller(ctx)
	p, err := a.store.GetApplication(ctx, assetID, appID)
	if err != nil {
		return nil, err
	}
	if !c.CanReadApplication(asset, p) {
		return nil, errs.NotFound(domain.ReasonAssetNotFound, "%s not found", p.Name())
	}
	return p, nil
}

// ListApplications lists applications of one asset ("" = every visible asset).
func (a *App) ListApplications(ctx context.Context, assetID string, states []string, size int, token string) ([]*domain.Application, string, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	q := store.ApplicationQuery{AssetID: assetID, States: states, Limit: pageSize(size)}
	if assetID != "" {
		asset, err := a.GetAsset(ctx, assetID)
		if err != nil {
			return nil, "", err
		}
		if rec := asset.Record(); !c.Registry() && !c.Files(&rec) {
			q.Holder, q.PublicityVisible = c.Organisation, true
		}
	} else if states := c.VisibleStates(); states != nil {
		// Everyone sees their own organisation's applications and those in publicity;
		// reviewers also those of every asset submitted to the registry.
		q.Holder, q.PublicityVisible = c.Organisation, true
		if c.Reviewer {
			q.AssetStates = stateNames(states)
		}
	}
	pq := a.listQuery("applications", q.AssetID, q.Holder, q.AssetStates, states)
	if token != "" {
		if q.Before, err = pq.After(token); err != nil {
			return nil, "", err
		}
	}
	apps, err := a.store.ListApplications(ctx, q)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(apps) > q.Limit {
		apps = apps[:q.Limit]
		next = pq.Token(apps[len(apps)-1].ID)
	}
	return apps, next, nil
}

// ListRevisions lists an asset's revisions, newest first.
func (a *App) ListRevisions(ctx context.Context, assetID string, size int, token string) ([]store.StoredRevision, string, error) {
	if _, err := a.GetAsset(ctx, assetID); err != nil {
		return nil, "", err
	}
	limit := pageSize(size)
	pq := a.listQuery("revisions", assetID)
	var before int64
	if token != "" {
		after, err := pq.After(token)
		if err != nil {
			return nil, "", err
		}
		if err := json.Unmarshal([]byte(after), &before); err != nil || before <= 0 {
			return nil, "", errs.InvalidArgument(domain.ReasonInvalidPageToken, errs.Violation("page_token", "malformed", "分页令牌无效"))
		}
	}
	revs, err := a.store.Revisions(ctx, assetID, before, limit)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(revs) > limit {
		revs = revs[:limit]
		raw, _ := json.Marshal(revs[len(revs)-1].Number)
		next = pq.Token(string(raw))
	}
	return revs, next, nil
}

// EndDuePublicity ends every publicity window that is over and has no unresolved
// objection, and returns how many it ended. Several replicas may run it at once: each
// asset is taken under FOR UPDATE SKIP LOCKED and its application's state re-checked
// inside the transaction, so each window ends exactly once.
func (a *App) EndDuePublicity(ctx context.Context) (int, error) {
	// Events name the scheduler as their actor.
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: domain.SystemPublicity, Roles: []auth.Role{auth.RoleService}})
	ended := 0
	for {
		ids, err := a.store.DuePublicity(ctx, a.now(), 100)
		if err != nil {
			return ended, err
		}
		progressed := false
		for _, id := range ids {
			_, err := a.outcome(ctx, id, actOpts{system: true, skipLocked: true}, func(*store.Work, domain.Caller) (domain.Command, error) {
				return domain.Command{Action: domain.ActEndPublicity}, nil
			})
			switch {
			case err == nil:
				ended++
				progressed = true
			case errors.Is(err, store.ErrLocked), errs.KindOf(err) == errs.KindFailedPrecondition:
				// Another replica holds it or has just ended it (or an objection arrived).
			default:
				return ended, err
			}
		}
		if len(ids) < 100 || !progressed {
			return ended, nil
		}
	}
}

// RunScheduler ends due publicity windows every interval until ctx ends.
func (a *App) RunScheduler(ctx context.Context, every time.Duration) error {
	return schedule.Every(ctx, every, a.log, "publicity scheduler", func(ctx context.Context) error {
		n, err := a.EndDuePublicity(ctx)
		if n > 0 {
			a.log.Info("publicity ended", "applications", n)
		}
		return err
	})
}
