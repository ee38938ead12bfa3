package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

// wantAssetTransitions is the expected state machine of an asset without an open
// application of another type: state → action → resulting state. Every pair not listed
// must fail with FAILED_PRECONDITION / ERROR_REASON_INVALID_TRANSITION.
var wantAssetTransitions = map[domain.State]map[domain.Action]domain.State{
	domain.StateDraft: {
		domain.ActUpdate: domain.StateDraft,
		domain.ActSubmit: domain.StateSubmitted,
	},
	domain.StateSubmitted: {
		domain.ActAccept:    domain.StateAccepted,
		domain.ActNotAccept: domain.StateNotAccepted,
		domain.ActWithdraw:  domain.StateWithdrawn,
	},
	domain.StateAccepted: {
		domain.ActPass:     domain.StateInPublicity,
		domain.ActReturn:   domain.StateReturned,
		domain.ActRefuse:   domain.StateRefused,
		domain.ActWithdraw: domain.StateWithdrawn,
	},
	domain.StateNotAccepted: {
		domain.ActUpdate: domain.StateNotAccepted,
		domain.ActSubmit: domain.StateSubmitted,
	},
	domain.StateReturned: {
		domain.ActUpdate:   domain.StateReturned,
		domain.ActResubmit: domain.StateSubmitted,
		domain.ActWithdraw: domain.StateWithdrawn,
	},
	domain.StateRefused: {},
	domain.StateInPublicity: {
		domain.ActObject:       domain.StateInPublicity,
		domain.ActResolve:      domain.StateInPublicity,
		domain.ActEndPublicity: domain.StateRegistered,
	},
	domain.StateRegistered: {
		domain.ActApplyChange:       domain.StateRegistered,
		domain.ActApplyCorrection:   domain.StateRegistered,
		domain.ActApplyCancellation: domain.StateRegistered,
		domain.ActSuspend:           domain.StateSuspended,
		domain.ActRequestDisposal:   domain.StateRegistered,
		domain.ActApproveDisposal:   domain.StateDisposed,
		domain.ActRejectDisposal:    domain.StateRegistered,
	},
	domain.StateWithdrawn: {
		domain.ActUpdate: domain.StateWithdrawn,
		domain.ActSubmit: domain.StateSubmitted,
	},
	domain.StateSuspended: {
		domain.ActReinstate:       domain.StateRegistered,
		domain.ActRequestDisposal: domain.StateSuspended,
		domain.ActApproveDisposal: domain.StateDisposed,
		domain.ActRejectDisposal:  domain.StateSuspended,
	},
	domain.StateCancelled: {
		domain.ActRequestDisposal: domain.StateCancelled,
		domain.ActApproveDisposal: domain.StateDisposed,
		domain.ActRejectDisposal:  domain.StateCancelled,
	},
	domain.StateDisposed: {},
}

// prepare sets up what action needs beyond the state: a pending disposal to decide, a
// raised objection to resolve. A preparation the state does not allow is left undone (the
// action then fails on its own).
func (e *env) prepare(action domain.Action) {
	switch action {
	case domain.ActApproveDisposal, domain.ActRejectDisposal:
		_, _ = e.apply(domain.ActRequestDisposal)
	case domain.ActResolve:
		if app := e.open(); app != nil && app.State == domain.AppInPublicity {
			e.must(domain.ActObject)
		}
	}
}

func TestStateMachineCoversEveryState(t *testing.T) {
	t.Parallel()
	require.Len(t, wantAssetTransitions, len(domain.AllStates))
	require.Len(t, statePaths, len(domain.AllStates))
	for _, s := range domain.AllStates {
		require.Contains(t, wantAssetTransitions, s)
	}
	require.Len(t, domain.AllActions, 20)
	for _, a := range domain.AllActions {
		app := map[domain.Action]bool{domain.ActAccept: true, domain.ActNotAccept: true, domain.ActPass: true,
			domain.ActReturn: true, domain.ActRefuse: true, domain.ActResubmit: true, domain.ActWithdraw: true,
			domain.ActObject: true, domain.ActResolve: true, domain.ActEndPublicity: true}[a]
		require.Equal(t, app, domain.IsApplicationAction(a), a)
	}
}

// TestStateMachine tries every action in every state, on assets built through Apply from a
// fresh draft and on assets rebuilt with FromSnapshot.
func TestStateMachine(t *testing.T) {
	t.Parallel()
	builders := map[string]func(*testing.T, domain.State) *env{"apply": envIn, "snapshot": snapshotEnvIn}
	for name, build := range builders {
		for _, state := range domain.AllStates {
			base := build(t, state)
			for _, action := range domain.AllActions {
				t.Run(name+"/"+string(state)+"/"+string(action), func(t *testing.T) {
					e := base.clone(t)
					e.prepare(action)
					require.Equal(t, state, e.asset.State(), "the preparation changed the state")
					before, app := e.asset.Snapshot(), e.open()
					appBefore := copyApp(app)

					eff, err := e.apply(action)

					want, allowed := wantAssetTransitions[state][action]
					if !allowed {
						requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)
						require.Nil(t, eff)
						require.Equal(t, before, e.asset.Snapshot(), "a failed Apply changed the asset")
						require.Equal(t, appBefore, app, "a failed Apply changed the application")
						return
					}
					require.NoError(t, err)
					require.False(t, eff.NoOp)
					require.Equal(t, action, eff.Action)
					require.Equal(t, state, eff.PreviousState)
					require.NotEmpty(t, eff.EventTypes)
					require.Equal(t, want, e.asset.State())
					require.Equal(t, before.Revision+1, e.asset.Revision(), "a successful Apply bumps the revision by one")
					require.Equal(t, domain.ETag(before.Revision+1), e.asset.ETag())
					// The open application and the asset agree.
					if p := e.open(); p != nil {
						require.Equal(t, p.ID, e.asset.OpenApplication())
					} else {
						require.Empty(t, e.asset.OpenApplication())
					}
					require.Equal(t, want.Registered(), e.asset.RegistrationNumber() != "")
				})
			}
		}
	}
}

func TestStatePathsInvariants(t *testing.T) {
	t.Parallel()
	openStates := map[domain.State]domain.AppState{domain.StateSubmitted: domain.AppSubmitted,
		domain.StateAccepted: domain.AppAccepted, domain.StateReturned: domain.AppReturned, domain.StateInPublicity: domain.AppInPublicity}
	for _, s := range domain.AllStates {
		e := envIn(t, s)
		require.EqualValues(t, 1+len(statePaths[s]), e.asset.Revision(), s)
		if st, ok := openStates[s]; ok {
			require.NotNil(t, e.open(), s)
			require.Equal(t, domain.AppFirst, e.app.Type, s)
			require.Equal(t, st, e.app.State, s)
			require.Equal(t, e.app.ID, e.asset.OpenApplication(), s)
		} else {
			require.Empty(t, e.asset.OpenApplication(), s)
		}
		require.Equal(t, s.Registered(), e.asset.RegistrationNumber() != "", s)
	}
}

// wantAppTransitions is the application state machine: application state → action →
// resulting application state. PASS leads to APPROVED for types without publicity.
var wantAppTransitions = map[domain.AppState]map[domain.Action]domain.AppState{
	domain.AppSubmitted: {
		domain.ActAccept:    domain.AppAccepted,
		domain.ActNotAccept: domain.AppNotAccepted,
		domain.ActWithdraw:  domain.AppWithdrawn,
	},
	domain.AppAccepted: {
		domain.ActPass:     domain.AppInPublicity,
		domain.ActReturn:   domain.AppReturned,
		domain.ActRefuse:   domain.AppRefused,
		domain.ActWithdraw: domain.AppWithdrawn,
	},
	domain.AppReturned: {
		domain.ActResubmit: domain.AppSubmitted,
		domain.ActWithdraw: domain.AppWithdrawn,
	},
	domain.AppInPublicity: {
		domain.ActObject:       domain.AppInPublicity,
		domain.ActResolve:      domain.AppInPublicity,
		domain.ActEndPublicity: domain.AppApproved,
	},
}

// TestStateMachineRegisteredWithOpenApplication tries every action on a registered asset
// that carries an open change, correction or cancellation application in each open state.
func TestStateMachineRegisteredWithOpenApplication(t *testing.T) {
	t.Parallel()
	apply := map[domain.AppType]domain.Action{domain.AppChange: domain.ActApplyChange,
		domain.AppCorrection: domain.ActApplyCorrection, domain.AppCancellation: domain.ActApplyCancellation}
	paths := map[domain.AppState][]domain.Action{
		domain.AppSubmitted:   nil,
		domain.AppAccepted:    {domain.ActAccept},
		domain.AppReturned:    {domain.ActAccept, domain.ActReturn},
		domain.AppInPublicity: {domain.ActAccept, domain.ActPass},
	}
	for _, typ := range []domain.AppType{domain.AppChange, domain.AppCorrection, domain.AppCancellation} {
		for _, appState := range []domain.AppState{domain.AppSubmitted, domain.AppAccepted, domain.AppReturned, domain.AppInPublicity} {
			if appState == domain.AppInPublicity && !typ.NeedsPublicity() {
				continue
			}
			base := envIn(t, domain.StateRegistered)
			base.must(apply[typ])
			base.run(paths[appState]...)
			require.Equal(t, appState, base.app.State)
			require.Equal(t, typ, base.app.Type)
			require.Equal(t, domain.StateRegistered, base.asset.State())
			for _, action := range domain.AllActions {
				t.Run(string(typ)+"/"+string(appState)+"/"+string(action), func(t *testing.T) {
					e := base.clone(t)
					e.prepare(action)
					before, app := e.asset.Snapshot(), e.open()
					appBefore := copyApp(app)

					eff, err := e.apply(action)

					wantApp, appAllowed := wantAppTransitions[appState][action]
					switch {
					case appAllowed:
						require.NoError(t, err)
						if action == domain.ActPass && !typ.NeedsPublicity() {
							wantApp = domain.AppApproved
						}
						require.Equal(t, wantApp, app.State)
						require.Same(t, app, eff.Application)
						wantAsset := domain.StateRegistered
						if typ == domain.AppCancellation && wantApp == domain.AppApproved {
							wantAsset = domain.StateCancelled
						}
						require.Equal(t, wantAsset, e.asset.State())
						if wantApp.Open() {
							require.Equal(t, app.ID, e.asset.OpenApplication())
							require.Equal(t, before.Record, e.asset.Record(), "the registered version stays while the application is open")
						} else {
							require.Empty(t, e.asset.OpenApplication())
						}
					case action == domain.ActSuspend:
						require.NoError(t, err)
						require.Equal(t, domain.StateSuspended, e.asset.State())
						require.Equal(t, appBefore, app, "suspending leaves the application as it is")
						require.Equal(t, app.ID, e.asset.OpenApplication())
					case action == domain.ActApplyChange || action == domain.ActApplyCorrection ||
						action == domain.ActApplyCancellation || action == domain.ActRequestDisposal:
						requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonApplicationOpen)
					default:
						requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)
					}
					if err != nil {
						require.Nil(t, eff)
						require.Equal(t, before, e.asset.Snapshot(), "a failed Apply changed the asset")
						require.Equal(t, appBefore, app, "a failed Apply changed the application")
						return
					}
					require.Equal(t, before.Revision+1, e.asset.Revision())
				})
			}
		}
	}
}

func TestFirstRegistration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.asset.Record()

	eff := e.must(domain.ActSubmit, withReason("首次登记"))
	require.True(t, eff.NewApplication)
	require.Equal(t, []string{"application.submitted"}, eff.EventTypes)
	app := eff.Application
	require.Equal(t, domain.AppFirst, app.Type)
	require.Equal(t, domain.AppSubmitted, app.State)
	require.Equal(t, "asset-1", app.AssetID)
	require.Equal(t, registrar.Subject, app.Submitter)
	require.Equal(t, ownOrg, app.SubmitterOrganisation)
	require.Nil(t, app.Proposed, "a first registration registers the asset's own record")
	require.EqualValues(t, 1, app.AssetRevision)
	require.Equal(t, app.ID, e.asset.OpenApplication())
	require.Equal(t, "assets/asset-1/applications/"+app.ID, app.Name())
	require.Equal(t, domain.StateSubmitted, e.asset.State())
	require.Empty(t, eff.ChangedPaths)

	eff = e.must(domain.ActAccept)
	require.Equal(t, []string{"application.accepted"}, eff.EventTypes)
	require.Equal(t, domain.StateAccepted, e.asset.State())

	end := domain.PublicityEnd(e.now, 10, nil)
	eff = e.must(domain.ActPass, withPublicityEnd(end))
	require.Equal(t, []string{"publicity.started"}, eff.EventTypes)
	require.Equal(t, domain.AppInPublicity, app.State)
	require.Equal(t, domain.StateInPublicity, e.asset.State())
	require.Equal(t, end, app.PublicityEnd)
	require.Equal(t, e.now, app.PublicityStart)

	// Objections during publicity; the window closes at PublicityEnd.
	eff = e.must(domain.ActObject, withObjection("o1"))
	require.True(t, eff.NewObjection)
	require.Equal(t, []string{"objection.filed"}, eff.EventTypes)
	require.Equal(t, "o1", eff.Objection.ID)
	require.Equal(t, domain.ObjectionRaised, eff.Objection.State)
	require.Equal(t, citizen.Subject, eff.Objection.Filer)
	require.Equal(t, otherOrg, eff.Objection.FilerOrganisation)
	require.Equal(t, "assets/asset-1/applications/"+app.ID+"/objections/o1", app.ObjectionName(*eff.Objection))
	e.fails(domain.ActObject, errs.KindInvalidArgument, errs.ReasonValidation, func(c *domain.Command) { c.ObjectionText = "  " })
	e.fails(domain.ActObject, errs.KindFailedPrecondition, domain.ReasonInvalidTransition, at(end))

	// Publicity cannot end early, nor while an objection is raised.
	e.fails(domain.ActEndPublicity, errs.KindFailedPrecondition, domain.ReasonInvalidTransition, at(end.Add(-time.Second)))
	e.fails(domain.ActEndPublicity, errs.KindFailedPrecondition, domain.ReasonObjectionsUnresolved, at(end.Add(time.Second)))

	eff = e.must(domain.ActResolve, withObjection("o1"), withReason("争议不成立"))
	require.Equal(t, []string{"objection.resolved"}, eff.EventTypes)
	require.Equal(t, domain.ObjectionDismissed, eff.Objection.State)
	require.Equal(t, reviewer.Subject, eff.Objection.Resolver)
	require.Equal(t, "争议不成立", eff.Objection.Resolution)
	require.Equal(t, domain.AppInPublicity, app.State, "a dismissed objection keeps the application in publicity")
	e.fails(domain.ActResolve, errs.KindFailedPrecondition, domain.ReasonInvalidTransition, withObjection("o1"))
	e.fails(domain.ActResolve, errs.KindNotFound, domain.ReasonAssetNotFound, withObjection("nope"))

	eff = e.must(domain.ActEndPublicity, at(end))
	require.Equal(t, []string{"publicity.ended", "asset.registered", "certificate.issued"}, eff.EventTypes)
	require.True(t, eff.IssueCertificate)
	require.Empty(t, eff.RevokeReason)
	require.Equal(t, domain.AppApproved, app.State)
	require.Equal(t, domain.StateRegistered, e.asset.State())
	require.Equal(t, "YS-2026-00000001", e.asset.RegistrationNumber())
	require.Equal(t, end.UTC(), e.asset.Snapshot().RegisterTime)
	require.Empty(t, e.asset.OpenApplication())
	require.Equal(t, rec, e.asset.Record(), "registration does not change the record")
	require.Equal(t, domain.SystemPublicity, app.History[len(app.History)-1].Actor)

	var steps []string
	for _, s := range app.History {
		steps = append(steps, s.Action)
	}
	require.Equal(t, []string{"submit", "accept", "pass", "object", "objection_dismissed", "end_publicity"}, steps)
}

func TestRegistrationNumberFailureChangesNothing(t *testing.T) {
	t.Parallel()
	e := envIn(t, domain.StateInPublicity)
	e.numberErr = errs.New(errs.KindUnavailable, errs.ReasonUnavailable, "sequence down")
	e.fails(domain.ActEndPublicity, errs.KindUnavailable, errs.ReasonUnavailable)
	require.Equal(t, domain.AppInPublicity, e.app.State)
	e.numberErr = nil
	e.must(domain.ActEndPublicity)
	require.Equal(t, "YS-2026-00000001", e.asset.RegistrationNumber(), "a failed draw consumed no number")
}

func TestUpheldObjectionReturnsFirstRegistration(t *testing.T) {
	t.Parallel()
	e := envIn(t, domain.StateInPublicity)
	app := e.app
	e.must(domain.ActObject, withObjection("o1"))
	e.must(domain.ActObject, withObjection("o2"))
	e.must(domain.ActObject, withObjection("o3"))
	e.must(domain.ActResolve, withObjection("o3"), withReason("不成立"))

	eff := e.must(domain.ActResolve, withObjection("o1"), uphold(), withReason("持有权争议成立"))
	require.Equal(t, []string{"objection.resolved"}, eff.EventTypes)
	require.Equal(t, domain.ObjectionUpheld, eff.Objection.State)
	require.Equal(t, domain.AppReturned, app.State)
	require.Equal(t, domain.StateReturned, e.asset.State())
	require.Equal(t, app.ID, e.asset.OpenApplication(), "a returned application stays open")
	require.Equal(t, "objection_upheld", app.History[len(app.History)-1].Action)
	for _, o := range app.Objections {
		require.NotEqual(t, domain.ObjectionRaised, o.State, "objection %s still raised", o.ID)
	}
	o2 := app.Objections[1]
	require.Equal(t, "o2", o2.ID)
	require.Equal(t, reviewer.Subject, o2.Resolver)
	require.Contains(t, o2.Resolution, "o1")
	require.Equal(t, domain.ObjectionDismissed, app.Objections[2].State, "an objection resolved before keeps its outcome")
	require.Equal(t, "不成立", app.Objections[2].Resolution)

	// The holder corrects and resubmits; the settled objections do not block the next window.
	e.must(domain.ActUpdate)
	e.must(domain.ActResubmit)
	require.Equal(t, domain.StateSubmitted, e.asset.State())
	require.EqualValues(t, e.asset.Revision()-1, app.AssetRevision)
	e.run(domain.ActAccept, domain.ActPass, domain.ActEndPublicity)
	require.Equal(t, domain.StateRegistered, e.asset.State())
}

func TestResubmitFirstRegistrationChecksRecord(t *testing.T) {
	t.Parallel()
	e := envIn(t, domain.StateReturned)
	r := e.asset.Record()
	r.Summary = ""
	e.must(domain.ActUpdate, withRecord(r)) // a draft may be incomplete
	err := e.fails(domain.ActResubmit, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord)
	require.Equal(t, []string{"asset.summary"}, fields(t, err))
}

// registeredEnv is a registered asset.
func registeredEnv(t *testing.T) *env { return envIn(t, domain.StateRegistered) }

func TestChangeApplication(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit    func(*domain.Record)
		paths   []string
		reissue bool
	}{
		"summary":      {func(r *domain.Record) { r.Summary = "新摘要" }, []string{"summary"}, false},
		"display name": {func(r *domain.Record) { r.DisplayName = "城市道路交通流量数据（2026版）" }, []string{"display_name"}, true},
		"grade":        {func(r *domain.Record) { r.Grade = domain.GradeImportant }, []string{"grade"}, true},
		"holder name":  {func(r *domain.Record) { r.HolderName = "某市交通局" }, []string{"holder_name"}, true},
		"catalogue": {func(r *domain.Record) { r.Catalogue.ResourceCode = "101001/000124" },
			[]string{"catalogue.resource_code"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := registeredEnv(t)
			old := e.asset.Record()
			number := e.asset.RegistrationNumber()
			proposed := e.asset.Record()
			tc.edit(&proposed)

			eff := e.must(domain.ActApplyChange, withRecord(proposed), withReason("口径调整"))
			require.True(t, eff.NewApplication)
			require.Equal(t, []string{"application.submitted"}, eff.EventTypes)
			app := eff.Application
			require.Equal(t, domain.AppChange, app.Type)
			require.Equal(t, "口径调整", app.Reason)
			require.Equal(t, proposed.DisplayName, app.Proposed.DisplayName)
			require.Equal(t, old, e.asset.Record(), "the registered version stays valid meanwhile")
			require.Empty(t, eff.ChangedPaths)
			require.Equal(t, domain.StateRegistered, e.asset.State())

			e.must(domain.ActAccept)
			end := domain.PublicityEnd(e.now, 10, nil)
			eff = e.must(domain.ActPass, withPublicityEnd(end))
			require.Equal(t, []string{"publicity.started"}, eff.EventTypes)
			require.Equal(t, domain.AppInPublicity, app.State)
			require.Equal(t, end, app.PublicityEnd)
			require.Equal(t, domain.StateRegistered, e.asset.State(), "a change in publicity leaves the asset registered")
			require.Equal(t, old, e.asset.Record())
			e.fails(domain.ActEndPublicity, errs.KindFailedPrecondition, domain.ReasonInvalidTransition, at(end.Add(-time.Second)))

			eff = e.must(domain.ActEndPublicity, at(end))
			want := []string{"publicity.ended", "asset.changed"}
			if tc.reissue {
				want = append(want, "certificate.revoked", "certificate.issued")
			}
			require.Equal(t, want, eff.EventTypes)
			require.Equal(t, tc.reissue, eff.IssueCertificate)
			if tc.reissue {
				require.Equal(t, "superseded", eff.RevokeReason)
			} else {
				require.Empty(t, eff.RevokeReason)
			}
			require.Equal(t, tc.paths, eff.ChangedPaths)
			require.Equal(t, domain.AppApproved, app.State)
			require.Equal(t, domain.StateRegistered, e.asset.State())
			require.Empty(t, e.asset.OpenApplication())
			require.Equal(t, number, e.asset.RegistrationNumber(), "a change keeps the number")
			got := e.asset.Record()
			require.Equal(t, *app.Proposed, got)
			require.Empty(t, domain.Diff(proposed, got))
		})
	}
}

func TestCorrectionTakesEffectWhenPassed(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	proposed := e.asset.Record()
	proposed.LegalBasis = "《某市公共数据管理办法》第八条"
	e.must(domain.ActApplyCorrection, withRecord(proposed))
	require.Equal(t, domain.AppCorrection, e.app.Type)
	e.must(domain.ActAccept)
	eff := e.must(domain.ActPass)
	require.Equal(t, []string{"asset.corrected"}, eff.EventTypes)
	require.False(t, eff.IssueCertificate)
	require.Empty(t, eff.RevokeReason)
	require.Equal(t, []string{"legal_basis"}, eff.ChangedPaths)
	require.Equal(t, domain.AppApproved, e.app.State)
	require.True(t, e.app.PublicityEnd.IsZero(), "a correction has no publicity")
	require.Equal(t, domain.StateRegistered, e.asset.State())
	require.Empty(t, e.asset.OpenApplication())
	require.Equal(t, proposed.LegalBasis, e.asset.Record().LegalBasis)

	// A correction of a certified field re-issues the certificate.
	proposed = e.asset.Record()
	proposed.DisplayName = "城市道路交通流量统计数据"
	e.must(domain.ActApplyCorrection, withRecord(proposed))
	e.must(domain.ActAccept)
	eff = e.must(domain.ActPass)
	require.Equal(t, []string{"asset.corrected", "certificate.revoked", "certificate.issued"}, eff.EventTypes)
	require.True(t, eff.IssueCertificate)
	require.Equal(t, "superseded", eff.RevokeReason)
}

func TestCancellationTakesEffectWhenPassed(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	number := e.asset.RegistrationNumber()
	rec := e.asset.Record()
	e.fails(domain.ActApplyCancellation, errs.KindInvalidArgument, domain.ReasonReasonRequired, withReason(" "))
	eff := e.must(domain.ActApplyCancellation, withReason("业务停止"))
	require.Nil(t, eff.Application.Proposed)
	require.Equal(t, domain.AppCancellation, e.app.Type)
	e.must(domain.ActAccept)
	require.Equal(t, domain.StateRegistered, e.asset.State())
	eff = e.must(domain.ActPass)
	require.Equal(t, []string{"asset.cancelled", "certificate.revoked"}, eff.EventTypes)
	require.Equal(t, "cancelled", eff.RevokeReason)
	require.False(t, eff.IssueCertificate)
	require.Equal(t, domain.AppApproved, e.app.State)
	require.Equal(t, domain.StateCancelled, e.asset.State())
	require.Empty(t, e.asset.OpenApplication())
	require.Equal(t, number, e.asset.RegistrationNumber(), "a cancelled asset keeps its number")
	require.Equal(t, rec, e.asset.Record(), "nothing is deleted")
	require.Empty(t, eff.ChangedPaths)
}

func TestChangeApplicationReturnedAndResubmitted(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	proposed := e.asset.Record()
	proposed.Summary = "第一稿"
	e.must(domain.ActApplyChange, withRecord(proposed))
	e.must(domain.ActAccept)
	e.fails(domain.ActReturn, errs.KindInvalidArgument, domain.ReasonReasonRequired, withReason(""))
	e.must(domain.ActReturn, withReason("摘要不准确"))
	require.Equal(t, domain.AppReturned, e.app.State)
	require.Equal(t, domain.StateRegistered, e.asset.State())

	// Resubmitting without a record keeps the proposal; with one replaces it (and checks it).
	second := e.asset.Record()
	second.Summary = "第二稿"
	bad := second
	bad.HolderOrganisation = otherOrg
	e.fails(domain.ActResubmit, errs.KindInvalidArgument, domain.ReasonImmutableField, withRecord(bad))
	e.fails(domain.ActResubmit, errs.KindFailedPrecondition, domain.ReasonNothingChanged, withRecord(e.asset.Record()))
	eff := e.must(domain.ActResubmit, withRecord(second))
	require.Equal(t, []string{"application.submitted"}, eff.EventTypes)
	require.Equal(t, "第二稿", e.app.Proposed.Summary)
	require.Equal(t, domain.AppSubmitted, e.app.State)

	// An upheld objection returns a change too, leaving the asset registered.
	e.run(domain.ActAccept, domain.ActPass, domain.ActObject)
	e.must(domain.ActResolve, uphold())
	require.Equal(t, domain.AppReturned, e.app.State)
	require.Equal(t, domain.StateRegistered, e.asset.State())
	require.Equal(t, e.app.ID, e.asset.OpenApplication())
	e.must(domain.ActWithdraw)
	require.Equal(t, domain.AppWithdrawn, e.app.State)
	require.Empty(t, e.asset.OpenApplication())
	require.Equal(t, "第二稿", e.app.Proposed.Summary)
	require.NotEqual(t, "第二稿", e.asset.Record().Summary)
}

func TestApplicationInputs(t *testing.T) {
	t.Parallel()
	e := envIn(t, domain.StateSubmitted)
	e.fails(domain.ActNotAccept, errs.KindInvalidArgument, domain.ReasonReasonRequired, withCode(""))
	e.fails(domain.ActNotAccept, errs.KindInvalidArgument, domain.ReasonReasonRequired, withCode("R99"))
	eff := e.must(domain.ActNotAccept, withCode("R02"), withReason("材料不全"))
	require.Equal(t, []string{"application.not_accepted"}, eff.EventTypes)
	last := e.app.History[len(e.app.History)-1]
	require.Equal(t, domain.Step{Action: "not_accept", Actor: reviewer.Subject, Time: e.now, ReasonCode: "R02", Reason: "材料不全"}, last)
	require.Equal(t, domain.StateNotAccepted, e.asset.State())
	require.Empty(t, e.asset.OpenApplication())

	e = envIn(t, domain.StateAccepted)
	e.fails(domain.ActRefuse, errs.KindInvalidArgument, domain.ReasonReasonRequired, withCode("R99"))
	eff = e.must(domain.ActRefuse)
	require.Equal(t, []string{"application.refused"}, eff.EventTypes)
	require.Equal(t, domain.StateRefused, e.asset.State())

	e = envIn(t, domain.StateInPublicity)
	e.must(domain.ActObject, withObjection("o1"))
	e.fails(domain.ActResolve, errs.KindInvalidArgument, domain.ReasonReasonRequired, withObjection("o1"), withReason(" "))

	e = envIn(t, domain.StateSubmitted)
	eff = e.must(domain.ActWithdraw)
	require.Equal(t, []string{"application.withdrawn"}, eff.EventTypes)
	require.Equal(t, domain.StateWithdrawn, e.asset.State())
	// A withdrawn asset can be submitted again, as a new application.
	old := e.app
	eff = e.must(domain.ActSubmit)
	require.NotEqual(t, old.ID, eff.Application.ID)
	require.Equal(t, domain.AppWithdrawn, old.State)
}

func TestSubmitChecksRecord(t *testing.T) {
	t.Parallel()
	rec := completeRecord()
	rec.Summary, rec.Contacts = "", nil
	a, err := domain.NewDraft("asset-2", rec, registrar, codes, t0)
	require.NoError(t, err, "a draft may be incomplete")
	e := &env{t: t, asset: a, now: t0}
	err = e.fails(domain.ActSubmit, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord)
	require.Equal(t, []string{"asset.summary", "asset.contacts"}, fields(t, err))
	require.Equal(t, domain.StateDraft, e.asset.State())
	require.Nil(t, e.app)
}

func TestSuspendAndReinstate(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	e.fails(domain.ActSuspend, errs.KindInvalidArgument, domain.ReasonReasonRequired, withIncident(nil))
	e.fails(domain.ActSuspend, errs.KindInvalidArgument, domain.ReasonReasonRequired, withIncident(&domain.Incident{Summary: "  "}))
	eff := e.must(domain.ActSuspend, withIncident(&domain.Incident{Summary: "疑似数据泄露", Reference: "INC-7", Reporter: "spoofed"}))
	require.Equal(t, []string{"asset.suspended"}, eff.EventTypes)
	in := e.asset.Snapshot().Incident
	require.NotNil(t, in)
	require.Equal(t, "疑似数据泄露", in.Summary)
	require.Equal(t, "INC-7", in.Reference)
	require.Equal(t, reviewer.Subject, in.Reporter, "the reporter is the caller")
	require.Equal(t, e.now, in.ReportTime)
	require.Equal(t, domain.StateSuspended, e.asset.State())

	e.fails(domain.ActReinstate, errs.KindInvalidArgument, domain.ReasonReasonRequired, withReason(""))
	eff = e.must(domain.ActReinstate, withReason("已处置"))
	require.Equal(t, []string{"asset.reinstated"}, eff.EventTypes)
	require.Nil(t, e.asset.Snapshot().Incident)
	require.Equal(t, domain.StateRegistered, e.asset.State())
}

func TestDisposal(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	e.fails(domain.ActRequestDisposal, errs.KindInvalidArgument, domain.ReasonReasonRequired, withDisposal(nil))
	e.fails(domain.ActRequestDisposal, errs.KindInvalidArgument, domain.ReasonReasonRequired,
		withDisposal(&domain.Disposal{Method: "物理销毁"}))
	err := e.fails(domain.ActRequestDisposal, errs.KindInvalidArgument, errs.ReasonValidation,
		withDisposal(&domain.Disposal{Method: "物理销毁", Reason: "到期", Evidence: []domain.Document{{Name: "x", SHA256: "nothex"}}}))
	require.Equal(t, []string{"disposal.evidence[0].sha256"}, fields(t, err))
	e.fails(domain.ActApproveDisposal, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)

	eff := e.must(domain.ActRequestDisposal, withDisposal(&domain.Disposal{Method: "物理销毁", Reason: "到期", State: "APPROVED", Requester: "spoofed"}))
	require.Equal(t, []string{"disposal.requested"}, eff.EventTypes)
	d := e.asset.Snapshot().Disposal
	require.Equal(t, domain.DisposalRequested, d.State)
	require.Equal(t, registrar.Subject, d.Requester)
	require.Equal(t, e.now, d.RequestTime)
	e.fails(domain.ActRequestDisposal, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)
	e.fails(domain.ActApplyChange, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)
	e.fails(domain.ActRejectDisposal, errs.KindInvalidArgument, domain.ReasonReasonRequired, withReason(""))

	eff = e.must(domain.ActRejectDisposal, withReason("仍在使用"))
	require.Equal(t, []string{"disposal.rejected"}, eff.EventTypes)
	d = e.asset.Snapshot().Disposal
	require.Equal(t, domain.DisposalRejected, d.State)
	require.Equal(t, reviewer.Subject, d.Decider)
	require.Equal(t, "仍在使用", d.DecisionNote)
	require.Equal(t, domain.StateRegistered, e.asset.State())
	e.fails(domain.ActApproveDisposal, errs.KindFailedPrecondition, domain.ReasonInvalidTransition, as(reviewer2))

	e.must(domain.ActRequestDisposal)
	eff = e.must(domain.ActApproveDisposal, withReason("同意销毁"))
	require.Equal(t, []string{"disposal.approved", "asset.disposed", "certificate.revoked"}, eff.EventTypes)
	require.Equal(t, "disposed", eff.RevokeReason)
	require.Equal(t, domain.StateDisposed, e.asset.State())
	require.Equal(t, domain.DisposalApproved, e.asset.Snapshot().Disposal.State)
	require.NotEmpty(t, e.asset.RegistrationNumber(), "a disposed asset keeps its record and number")
}

func TestETag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.Equal(t, `W/"1"`, e.asset.ETag())
	e.fails(domain.ActUpdate, errs.KindAborted, domain.ReasonETagMismatch, withETag(`W/"2"`))
	e.must(domain.ActUpdate, withETag(`W/"1"`))
	require.Equal(t, `W/"2"`, e.asset.ETag())
	e.fails(domain.ActSubmit, errs.KindAborted, domain.ReasonETagMismatch, withETag(`W/"1"`))
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := e.asset.Snapshot()

	// Identical values (after normalising) are a no-op: no event, no revision.
	same := e.asset.Record()
	same.DisplayName = "  " + same.DisplayName + " "
	same.Tags = append(same.Tags, " 交通 ", "")
	eff := e.must(domain.ActUpdate, withRecord(same))
	require.True(t, eff.NoOp)
	require.Empty(t, eff.EventTypes)
	require.Equal(t, before, e.asset.Snapshot())

	r := e.asset.Record()
	r.Summary = "  新摘要  "
	r.Tags = []string{"交通", "流量"}
	eff = e.must(domain.ActUpdate, withRecord(r))
	require.False(t, eff.NoOp)
	require.Equal(t, []string{"asset.updated"}, eff.EventTypes)
	require.Equal(t, []string{"summary", "tags"}, eff.ChangedPaths)
	require.Equal(t, "新摘要", e.asset.Record().Summary)
	require.Equal(t, codes.Version(), e.asset.Record().CodeListVersion, "an update keeps the cited code-list version")
	require.EqualValues(t, 2, e.asset.Revision())
	require.Equal(t, e.now, e.asset.Snapshot().UpdateTime)

	e.fails(domain.ActUpdate, errs.KindInvalidArgument, errs.ReasonValidation, func(c *domain.Command) { c.Record = nil })
	bad := e.asset.Record()
	bad.HolderOrganisation = otherOrg
	err := e.fails(domain.ActUpdate, errs.KindInvalidArgument, domain.ReasonImmutableField, withRecord(bad))
	require.Equal(t, []string{"asset.holder_organisation"}, fields(t, err))
	bad = e.asset.Record()
	bad.Grade = domain.GradeCore
	e.fails(domain.ActUpdate, errs.KindFailedPrecondition, domain.ReasonCoreData, withRecord(bad))
	bad = e.asset.Record()
	bad.Category = "C99"
	err = e.fails(domain.ActUpdate, errs.KindInvalidArgument, domain.ReasonUnknownCode, withRecord(bad))
	require.Equal(t, []string{"asset.category"}, fields(t, err))
}

func TestApplicationProposalRules(t *testing.T) {
	t.Parallel()
	for _, action := range []domain.Action{domain.ActApplyChange, domain.ActApplyCorrection} {
		e := registeredEnv(t)
		e.fails(action, errs.KindInvalidArgument, domain.ReasonReasonRequired, withReason(""))
		e.fails(action, errs.KindInvalidArgument, errs.ReasonValidation, func(c *domain.Command) { c.Record = nil })
		e.fails(action, errs.KindFailedPrecondition, domain.ReasonNothingChanged, withRecord(e.asset.Record()))
		same := e.asset.Record()
		same.Summary = " " + same.Summary + "\t"
		same.CodeListVersion = ""
		e.fails(action, errs.KindFailedPrecondition, domain.ReasonNothingChanged, withRecord(same))
		bad := e.asset.Record()
		bad.HolderOrganisation = otherOrg
		e.fails(action, errs.KindInvalidArgument, domain.ReasonImmutableField, withRecord(bad))
		bad = e.asset.Record()
		bad.Summary, bad.Fields = "", nil
		err := e.fails(action, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord, withRecord(bad))
		require.Equal(t, []string{"asset.summary", "asset.fields"}, fields(t, err))
		bad = e.asset.Record()
		bad.SharingAttribute = domain.SharingNotShared
		bad.SharingBasis = "涉及个人隐私"
		e.fails(action, errs.KindInvalidArgument, domain.ReasonNotSharedImpliesNotOpen, withRecord(bad))

		e.must(action)
		e.fails(domain.ActApplyChange, errs.KindFailedPrecondition, domain.ReasonApplicationOpen)
		e.fails(domain.ActApplyCancellation, errs.KindFailedPrecondition, domain.ReasonApplicationOpen)
		e.fails(domain.ActRequestDisposal, errs.KindFailedPrecondition, domain.ReasonApplicationOpen)
	}
}

func TestFailedApplyRestoresApplication(t *testing.T) {
	t.Parallel()
	// Resolve upholding mutates objections before it could fail elsewhere; end_publicity
	// fails after the application moved. Both must leave everything as it was.
	e := envIn(t, domain.StateInPublicity)
	e.must(domain.ActObject, withObjection("o1"))
	e.must(domain.ActResolve, withObjection("o1"), withReason("不成立"))
	e.numberErr = errs.New(errs.KindInternal, errs.ReasonInternal, "boom")
	before := copyApp(e.app)
	_, err := e.apply(domain.ActEndPublicity)
	require.Error(t, err)
	require.Equal(t, before, e.app)
	require.Equal(t, domain.StateInPublicity, e.asset.State())
	require.Empty(t, e.asset.RegistrationNumber())
}

// TestEveryEventTypeIsEmitted walks the flows that emit every documented event type.
func TestEveryEventTypeIsEmitted(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	do := func(e *env, actions ...domain.Action) {
		for _, a := range actions {
			for _, ev := range e.must(a).EventTypes {
				seen[ev] = true
			}
		}
	}
	e := newEnv(t)
	do(e, domain.ActUpdate, domain.ActSubmit, domain.ActNotAccept, domain.ActSubmit, domain.ActWithdraw, domain.ActSubmit,
		domain.ActAccept, domain.ActReturn, domain.ActResubmit, domain.ActAccept, domain.ActPass, domain.ActObject,
		domain.ActResolve, domain.ActEndPublicity)
	p := e.asset.Record()
	p.DisplayName = "城市道路交通流量数据（修订）"
	e.must(domain.ActApplyChange, withRecord(p))
	do(e, domain.ActAccept, domain.ActPass, domain.ActEndPublicity, domain.ActApplyCorrection, domain.ActAccept, domain.ActPass,
		domain.ActSuspend, domain.ActReinstate, domain.ActRequestDisposal, domain.ActRejectDisposal, domain.ActRequestDisposal,
		domain.ActApproveDisposal)
	do(envIn(t, domain.StateAccepted), domain.ActRefuse)
	do(registeredEnv(t), domain.ActApplyCancellation, domain.ActAccept, domain.ActPass)
	want := map[string]bool{}
	for ev := range domain.EventTypes {
		want[ev] = true
	}
	require.Equal(t, want, seen)
}
