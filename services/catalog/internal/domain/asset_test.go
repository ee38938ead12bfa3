package domain_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

func TestValidUSCC(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code string
		ok   bool
	}{
		{"91350100M000100Y43", true},
		{"91110000600037341L", true},
		{"91350100M000100Y44", false}, // wrong check digit
		{"91350100M000100Y4", false},  // 17 characters
		{"91350100M000100Y433", false},
		{"91350100M000100I43", false}, // I is not in the alphabet
		{"913501O0M000100Y43", false}, // division code must be digits
		{"91350100m000100Y43", false}, // lower case
		{"", false},
	}
	for _, c := range cases {
		require.Equal(t, c.ok, domain.ValidUSCC(c.code), c.code)
	}
}

// TestUSCCDivisionDigits checks the division-code rule on its own: in TestValidUSCC the
// letter in the division code (O) is also outside the alphabet.
func TestUSCCDivisionDigits(t *testing.T) {
	t.Parallel()
	require.False(t, domain.ValidUSCC("9135A100M000100Y4Y"), "A is in the alphabet and the check digit is right, but positions 3-8 are digits")
	require.True(t, domain.ValidUSCC("91350100M000100Y43"))
	require.True(t, domain.ValidUSCC("91350100000000000H"), "a computed check digit")
	require.False(t, domain.ValidUSCC("91350100000000000J"))
	require.False(t, domain.ValidUSCC("91350100M000100Y4３"), "full-width digit")
}

func TestNewDraft(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CST", 8*3600))
	rec := completeRecord()
	rec.DisplayName, rec.Summary = "  企业登记信息 ", " 摘要 "
	a, err := domain.NewDraft("id-1", rec, registrar, codes, now)
	require.NoError(t, err)
	require.Equal(t, "企业登记信息", a.DisplayName())
	require.Equal(t, "摘要", a.Record().Summary)
	require.Equal(t, ownOrg, a.HolderOrganisation())
	require.Equal(t, codes.Version(), a.Record().CodeListVersion, "a draft cites the current code-list version")
	require.Equal(t, domain.StateDraft, a.State())
	require.EqualValues(t, 1, a.Revision())
	require.Equal(t, `W/"1"`, a.ETag())
	require.Equal(t, "id-1", a.ID())
	require.Equal(t, "assets/id-1", a.Name())
	require.Empty(t, a.OpenApplication())
	require.Empty(t, a.RegistrationNumber())
	s := a.Snapshot()
	require.Equal(t, registrar.Subject, s.Creator)
	require.Equal(t, ownOrg, s.CreatorOrganisation)
	require.Equal(t, time.UTC, s.CreateTime.Location())
	require.Equal(t, 123456000, s.CreateTime.Nanosecond(), "truncated to what Postgres stores")
	require.Equal(t, s.CreateTime, s.UpdateTime)
	require.Equal(t, s, domain.FromSnapshot(s).Snapshot())

	// The snapshot and record are copies.
	s.Record.Tags[0] = "changed"
	r := a.Record()
	r.Fields[0].Name = "changed"
	require.Equal(t, "交通", a.Record().Tags[0])
	require.Equal(t, "road_id", a.Record().Fields[0].Name)

	for name, tc := range map[string]struct {
		display, holder, reason, field string
	}{
		"blank name":     {"   ", ownOrg, errs.ReasonValidation, "asset.display_name"},
		"long name":      {strings.Repeat("数", 201), ownOrg, errs.ReasonValidation, "asset.display_name"},
		"bad holder":     {"x", "91350100M000100Y44", domain.ReasonInvalidOrganisationCode, "asset.holder_organisation"},
		"missing holder": {"x", "", domain.ReasonInvalidOrganisationCode, "asset.holder_organisation"},
	} {
		r := completeRecord()
		r.DisplayName, r.HolderOrganisation = tc.display, tc.holder
		_, err := domain.NewDraft("id", r, admin, codes, now)
		requireErr(t, err, errs.KindInvalidArgument, tc.reason, name)
		require.Equal(t, []string{tc.field}, fields(t, err), name)
	}
	r = completeRecord()
	r.DisplayName = strings.Repeat("数", 200)
	_, err = domain.NewDraft("id", r, registrar, codes, now)
	require.NoError(t, err, "200 characters (not bytes) is the limit")

	// A draft may be incomplete, but never malformed or core data.
	_, err = domain.NewDraft("id", domain.Record{DisplayName: "x", HolderOrganisation: ownOrg}, registrar, codes, now)
	require.NoError(t, err)
	r = completeRecord()
	r.Grade = domain.GradeCore
	_, err = domain.NewDraft("id", r, registrar, codes, now)
	requireErr(t, err, errs.KindFailedPrecondition, domain.ReasonCoreData)
	r = completeRecord()
	r.CodeListVersion = "2019.1"
	_, err = domain.NewDraft("id", r, registrar, codes, now)
	requireErr(t, err, errs.KindInvalidArgument, domain.ReasonUnknownCode)
	require.Equal(t, []string{"asset.code_list_version"}, fields(t, err))

	// Who may create: a registrar of another unit files as the holder's agent (委托代理),
	// recorded as such, but never as the agent of a record that names someone else.
	agented, err := domain.NewDraft("id", completeRecord(), otherRegistrar, codes, now)
	require.NoError(t, err)
	require.Equal(t, &domain.Agent{Organisation: otherOrg}, agented.Record().Agent)
	r = completeRecord()
	r.Agent = &domain.Agent{Name: "市大数据局"}
	agented, err = domain.NewDraft("id", r, otherRegistrar, codes, now)
	require.NoError(t, err)
	require.Equal(t, &domain.Agent{Organisation: otherOrg, Name: "市大数据局"}, agented.Record().Agent, "the agent's name stays")
	r.Agent = &domain.Agent{Organisation: thirdOrg}
	_, err = domain.NewDraft("id", r, otherRegistrar, codes, now)
	requireErr(t, err, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg)
	own, err := domain.NewDraft("id", completeRecord(), registrar, codes, now)
	require.NoError(t, err)
	require.Nil(t, own.Record().Agent, "the holder's own registrar is no agent")
	byAdmin, err := domain.NewDraft("id", completeRecord(), admin, codes, now)
	require.NoError(t, err)
	require.Nil(t, byAdmin.Record().Agent, "an admin acts for the registry, not as an agent")
	_, err = domain.NewDraft("id", completeRecord(), reviewer, codes, now)
	requireErr(t, err, errs.KindPermissionDenied, errs.ReasonForbidden)
	_, err = domain.NewDraft("id", completeRecord(), admin, codes, now)
	require.NoError(t, err)
}

func TestCallerRules(t *testing.T) {
	t.Parallel()
	rec := completeRecord()
	rec.Agent = &domain.Agent{Organisation: thirdOrg, Name: "市大数据局"}
	a, err := domain.NewDraft("id", rec, registrar, codes, time.Now())
	require.NoError(t, err)
	cases := []struct {
		name     string
		caller   domain.Caller
		holder   string
		createOK bool
		reason   string
		canRead  bool
	}{
		{"registrar own org", domain.Caller{Organisation: ownOrg, CanRegister: true}, ownOrg, true, "", true},
		{"registrar other org", domain.Caller{Organisation: otherOrg, CanRegister: true}, ownOrg, false, domain.ReasonHolderNotCallerOrg, false},
		{"registrar of the agent", domain.Caller{Organisation: thirdOrg, CanRegister: true}, ownOrg, true, "", true},
		{"no register role", domain.Caller{Organisation: ownOrg}, ownOrg, false, errs.ReasonForbidden, true},
		{"admin elsewhere", domain.Caller{Organisation: otherOrg, CanRegister: true, CrossOrganisationWrite: true, CrossOrganisationRead: true}, ownOrg, true, "", true},
		{"auditor elsewhere", domain.Caller{Organisation: otherOrg, CrossOrganisationRead: true}, ownOrg, false, errs.ReasonForbidden, true},
		{"reviewer elsewhere", domain.Caller{Organisation: otherOrg, Reviewer: true}, ownOrg, false, errs.ReasonForbidden, false}, // a draft
	}
	for _, c := range cases {
		rec := completeRecord()
		rec.HolderOrganisation, rec.Agent = c.holder, &domain.Agent{Organisation: thirdOrg}
		err := c.caller.CheckCreate(&rec)
		if c.createOK {
			require.NoError(t, err, c.name)
		} else {
			require.Equal(t, errs.KindPermissionDenied, errs.KindOf(err), c.name)
			require.Equal(t, c.reason, errs.ReasonOf(err), c.name)
		}
		require.Equal(t, c.canRead, c.caller.CanRead(a), c.name)
	}
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	public := map[domain.State]bool{domain.StateInPublicity: true, domain.StateRegistered: true,
		domain.StateSuspended: true, domain.StateCancelled: true, domain.StateDisposed: true}
	for _, s := range domain.AllStates {
		require.Equal(t, public[s], s.Public(), s)
		e := envIn(t, s)
		require.Equal(t, public[s], citizen.CanRead(e.asset), s)
		require.True(t, registrar.CanRead(e.asset), s)
		require.True(t, auditor.CanRead(e.asset), s)
		require.Equal(t, !s.Draft(), reviewer.CanRead(e.asset), "%s: reviewers never see another organisation's draft", s)
		require.True(t, admin.CanRead(e.asset), s)
		if p := e.open(); p != nil {
			require.Equal(t, p.State == domain.AppInPublicity, citizen.CanReadApplication(e.asset, p), s)
			require.True(t, registrar.CanReadApplication(e.asset, p), s)
			require.True(t, auditor.CanReadApplication(e.asset, p), s)
		}
	}
	drafts := map[domain.State]bool{domain.StateDraft: true, domain.StateNotAccepted: true, domain.StateWithdrawn: true}
	for _, s := range domain.AllStates {
		require.Equal(t, drafts[s], s.Draft(), s)
		require.Equal(t, !drafts[s], slices.Contains(reviewer.VisibleStates(), s), s)
		require.Equal(t, public[s], slices.Contains(citizen.VisibleStates(), s), s)
	}
	require.Nil(t, auditor.VisibleStates(), "auditors see every state")
	registered := map[domain.State]bool{domain.StateRegistered: true, domain.StateSuspended: true,
		domain.StateCancelled: true, domain.StateDisposed: true}
	for _, s := range domain.AllStates {
		require.Equal(t, registered[s], s.Registered(), s)
	}
}

func TestSeparationOfDuties(t *testing.T) {
	t.Parallel()
	holderReviewer := domain.Caller{Subject: "hr-ivy", Organisation: ownOrg, CanRegister: true, Reviewer: true}

	t.Run("first registration by an admin", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.must(domain.ActSubmit, as(admin))
		require.Equal(t, admin.Subject, e.app.Submitter)
		for _, a := range []domain.Action{domain.ActAccept, domain.ActNotAccept} {
			e.fails(a, errs.KindPermissionDenied, domain.ReasonSelfReview, as(admin))
		}
		e.must(domain.ActAccept, as(reviewer))
		for _, a := range []domain.Action{domain.ActPass, domain.ActReturn, domain.ActRefuse} {
			e.fails(a, errs.KindPermissionDenied, domain.ReasonSelfReview, as(admin))
		}
		e.must(domain.ActPass, as(reviewer))
		e.must(domain.ActObject)
		e.fails(domain.ActResolve, errs.KindPermissionDenied, domain.ReasonSelfReview, as(admin))
		e.must(domain.ActResolve, as(reviewer2))
		e.must(domain.ActEndPublicity)
		require.Equal(t, domain.StateRegistered, e.asset.State())
	})

	t.Run("change by a reviewer of the holder", func(t *testing.T) {
		t.Parallel()
		e := registeredEnv(t)
		e.must(domain.ActApplyChange, as(holderReviewer))
		e.fails(domain.ActAccept, errs.KindPermissionDenied, domain.ReasonSelfReview, as(holderReviewer))
		e.must(domain.ActAccept, as(reviewer))
		e.fails(domain.ActPass, errs.KindPermissionDenied, domain.ReasonSelfReview, as(holderReviewer))
	})

	t.Run("disposal", func(t *testing.T) {
		t.Parallel()
		e := registeredEnv(t)
		e.must(domain.ActRequestDisposal, as(admin))
		e.fails(domain.ActApproveDisposal, errs.KindPermissionDenied, domain.ReasonSelfReview, as(admin))
		e.fails(domain.ActRejectDisposal, errs.KindPermissionDenied, domain.ReasonSelfReview, as(admin))
		e.must(domain.ActApproveDisposal, as(reviewer))
		require.Equal(t, domain.StateDisposed, e.asset.State())
	})

	t.Run("registrar of another organisation", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, a := range []domain.Action{domain.ActUpdate, domain.ActSubmit} {
			e.fails(a, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))
		}
		e = envIn(t, domain.StateSubmitted)
		e.fails(domain.ActWithdraw, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))
		e = envIn(t, domain.StateReturned)
		e.fails(domain.ActResubmit, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))
		e = registeredEnv(t)
		for _, a := range []domain.Action{domain.ActApplyChange, domain.ActApplyCorrection, domain.ActApplyCancellation, domain.ActRequestDisposal} {
			e.fails(a, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))
		}
		// An admin writes across organisations.
		e.must(domain.ActApplyChange, as(admin))
	})

	t.Run("roles", func(t *testing.T) {
		t.Parallel()
		e := envIn(t, domain.StateSubmitted)
		e.fails(domain.ActAccept, errs.KindPermissionDenied, errs.ReasonForbidden, as(registrar))
		e.fails(domain.ActAccept, errs.KindPermissionDenied, errs.ReasonForbidden, as(auditor))
		e.fails(domain.ActWithdraw, errs.KindPermissionDenied, errs.ReasonForbidden, as(reviewer))
		e = newEnv(t)
		e.fails(domain.ActUpdate, errs.KindPermissionDenied, errs.ReasonForbidden, as(reviewer))
		e.fails(domain.ActSubmit, errs.KindPermissionDenied, errs.ReasonForbidden, as(systemCaller))

		e = envIn(t, domain.StateInPublicity)
		e.fails(domain.ActObject, errs.KindPermissionDenied, errs.ReasonForbidden, as(auditor))
		e.must(domain.ActObject, as(otherRegistrar)) // anyone else may object
		e.must(domain.ActResolve)
		for _, c := range []domain.Caller{registrar, reviewer, admin, citizen, {Subject: domain.SystemPublicity}} {
			e.fails(domain.ActEndPublicity, errs.KindPermissionDenied, errs.ReasonForbidden, as(c))
		}
		e.must(domain.ActEndPublicity, as(systemCaller))

		e = registeredEnv(t)
		e.fails(domain.ActSuspend, errs.KindPermissionDenied, errs.ReasonForbidden, as(registrar))
		e.fails(domain.ActSuspend, errs.KindPermissionDenied, errs.ReasonForbidden, as(auditor))
		e.must(domain.ActRequestDisposal)
		e.fails(domain.ActApproveDisposal, errs.KindPermissionDenied, errs.ReasonForbidden, as(registrar))
	})

	t.Run("permission is checked before the state", func(t *testing.T) {
		t.Parallel()
		e := envIn(t, domain.StateRefused)
		e.fails(domain.ActAccept, errs.KindPermissionDenied, errs.ReasonForbidden, as(registrar))
		e.fails(domain.ActUpdate, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))
	})
}

// TestResubmitterCannotReview: resubmitting a returned application (possibly with a new
// proposal) makes one its applicant, so one may not then decide on it.
func TestResubmitterCannotReview(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	e.must(domain.ActApplyChange) // by reg-alice
	e.must(domain.ActAccept)
	e.must(domain.ActReturn)
	second := e.asset.Record()
	second.Summary = "管理员改写的提案"
	e.must(domain.ActResubmit, as(admin), withRecord(second))
	e.fails(domain.ActAccept, errs.KindPermissionDenied, domain.ReasonSelfReview, as(admin))
}

// TestFreezeStopsApplications: while an asset is suspended, the registry cannot move its
// open application on; the applicant may still withdraw.
func TestFreezeStopsApplications(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	e.must(domain.ActApplyCancellation)
	e.must(domain.ActSuspend)
	e.fails(domain.ActAccept, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)
	e.must(domain.ActReinstate)
	e.must(domain.ActAccept)
	e.must(domain.ActSuspend)
	e.fails(domain.ActPass, errs.KindFailedPrecondition, domain.ReasonInvalidTransition)
	e.must(domain.ActWithdraw)
	require.Equal(t, domain.StateSuspended, e.asset.State())
}

// TestDisposingACancelledAssetRevokesNothingTwice: cancellation revoked the certificate.
func TestDisposingACancelledAssetRevokesNothingTwice(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	e.must(domain.ActApplyCancellation)
	e.must(domain.ActAccept)
	eff := e.must(domain.ActPass)
	require.Equal(t, "cancelled", eff.RevokeReason)
	e.must(domain.ActRequestDisposal)
	eff = e.must(domain.ActApproveDisposal)
	require.Equal(t, []string{"disposal.approved", "asset.disposed"}, eff.EventTypes)
	require.Empty(t, eff.RevokeReason)
}

// TestSnapshotIsACopy: a snapshot cannot reach into the aggregate.
func TestSnapshotIsACopy(t *testing.T) {
	t.Parallel()
	e := registeredEnv(t)
	e.must(domain.ActRequestDisposal)
	s := e.asset.Snapshot()
	s.Disposal.Requester = "someone-else"
	s.Record.Tags = append(s.Record.Tags, "x")
	require.Equal(t, registrar.Subject, e.asset.Snapshot().Disposal.Requester)
	require.NotContains(t, e.asset.Record().Tags, "x")
}

// TestReviewerCannotResolveOwnObjection: the filer of an objection does not decide it.
func TestReviewerCannotResolveOwnObjection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.must(domain.ActSubmit)
	e.must(domain.ActAccept)
	e.must(domain.ActPass)
	e.must(domain.ActObject, as(reviewer2), withObjection("o-1"))
	e.fails(domain.ActResolve, errs.KindPermissionDenied, domain.ReasonSelfReview, as(reviewer2), withObjection("o-1"), withReason("x"))
	e.must(domain.ActResolve, as(reviewer), withObjection("o-1"), withReason("not founded"))
}

// TestConflictOfInterest: a reviewer never acts for the registry on an asset their own
// organisation holds or files for as agent, even one they did not file themselves (issue
// 12: a reviewer of organisation A accepted and passed organisation A's application).
func TestConflictOfInterest(t *testing.T) {
	t.Parallel()
	colleague := domain.Caller{Subject: "rev-hugo", Organisation: ownOrg, Reviewer: true}
	colleagueAdmin := domain.Caller{Subject: "adm-ines", Organisation: ownOrg, CanRegister: true, Reviewer: true,
		CrossOrganisationWrite: true, CrossOrganisationRead: true}
	conflict := func(e *env, a domain.Action, c domain.Caller, opts ...opt) {
		t.Helper()
		e.fails(a, errs.KindPermissionDenied, domain.ReasonConflictOfInterest, append([]opt{as(c)}, opts...)...)
	}

	e := newEnv(t)
	e.must(domain.ActSubmit)
	for _, c := range []domain.Caller{colleague, colleagueAdmin} {
		conflict(e, domain.ActAccept, c)
		conflict(e, domain.ActNotAccept, c, withCode("OTHER"), withReason("x"))
	}
	e.must(domain.ActAccept, as(reviewer))
	for _, a := range []domain.Action{domain.ActPass, domain.ActReturn, domain.ActRefuse} {
		conflict(e, a, colleague, withCode("OTHER"), withReason("x"))
	}
	e.must(domain.ActPass, as(reviewer))
	e.must(domain.ActObject, as(otherRegistrar), withObjection("o-1"))
	conflict(e, domain.ActResolve, colleague, withObjection("o-1"), withReason("x"))
	e.must(domain.ActResolve, as(reviewer), withObjection("o-1"), withReason("不成立"))

	r := registeredEnv(t)
	conflict(r, domain.ActSuspend, colleague)
	r.must(domain.ActSuspend, as(reviewer))
	conflict(r, domain.ActReinstate, colleague, withReason("x"))
	r.must(domain.ActReinstate, as(reviewer), withReason("resolved"))
	r.must(domain.ActRequestDisposal)
	conflict(r, domain.ActApproveDisposal, colleague)
	conflict(r, domain.ActRejectDisposal, colleague)

	// The agent filing for the holder is a party too.
	agentReviewer := domain.Caller{Subject: "rev-jia", Organisation: otherOrg, Reviewer: true}
	rec := withPowerOfAttorney(completeRecord())
	rec.Agent = &domain.Agent{Organisation: otherOrg, Name: "代理机构"}
	a := newEnv(t)
	a.must(domain.ActUpdate, withRecord(rec))
	a.must(domain.ActSubmit)
	conflict(a, domain.ActAccept, agentReviewer)
	a.must(domain.ActAccept, as(reviewer))

	// So is an agent a change application names.
	c := registeredEnv(t)
	proposal := withPowerOfAttorney(completeRecord())
	proposal.Agent = &domain.Agent{Organisation: otherOrg, Name: "新代理机构"}
	c.must(domain.ActApplyChange, withRecord(proposal))
	conflict(c, domain.ActAccept, agentReviewer)
	c.must(domain.ActAccept, as(reviewer))
}

// An agent (委托代理) files for the holder: a registrar of the organisation the record names
// as agent reads, updates and submits it; a registrar of an unrelated organisation does
// none of it; the agent cannot change the holder or hand the filing to another agent, and
// an update that leaves the agent out keeps it.
func TestAgentFiles(t *testing.T) {
	t.Parallel()
	bureau := domain.Caller{Subject: "reg-bureau", Organisation: thirdOrg, CanRegister: true}
	a, err := domain.NewDraft("asset-a", completeRecord(), bureau, codes, t0)
	require.NoError(t, err)
	require.Equal(t, thirdOrg, a.Record().Agent.Organisation)
	e := &env{t: t, asset: a, now: t0}

	require.True(t, bureau.CanRead(a))
	require.True(t, registrar.CanRead(a), "the holder sees what its agent files")
	require.False(t, otherRegistrar.CanRead(a))
	require.NoError(t, bureau.CheckFilesFor(a))
	requireErr(t, otherRegistrar.CheckFilesFor(a), errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg)

	// An update that leaves the agent out changes nothing there.
	rec := a.Record()
	rec.Agent = nil
	rec.Summary = "由市大数据局代为登记"
	e.must(domain.ActUpdate, as(bureau), withRecord(rec))
	require.Equal(t, thirdOrg, e.asset.Record().Agent.Organisation)
	require.True(t, e.asset.Unchanged(bureau, rec), "the same row again changes nothing")
	require.False(t, e.asset.Unchanged(registrar, rec), "the holder leaving the agent out removes it")

	moved := e.asset.Record()
	moved.HolderOrganisation = otherOrg
	e.fails(domain.ActUpdate, errs.KindInvalidArgument, domain.ReasonImmutableField, as(bureau), withRecord(moved))
	handed := e.asset.Record()
	handed.Agent = &domain.Agent{Organisation: otherOrg}
	ee := e.fails(domain.ActUpdate, errs.KindInvalidArgument, domain.ReasonImmutableField, as(bureau), withRecord(handed))
	require.Equal(t, []string{"asset.agent.organisation"}, fields(t, ee))
	e.fails(domain.ActUpdate, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))

	// Submission needs the power of attorney.
	ee = e.fails(domain.ActSubmit, errs.KindFailedPrecondition, domain.ReasonIncompleteRecord, as(bureau))
	require.Equal(t, []string{"asset.evidence"}, fields(t, ee))
	e.must(domain.ActUpdate, as(bureau), withRecord(withPowerOfAttorney(e.asset.Record())))
	e.fails(domain.ActSubmit, errs.KindPermissionDenied, domain.ReasonHolderNotCallerOrg, as(otherRegistrar))
	e.must(domain.ActSubmit, as(bureau))
	require.Equal(t, domain.StateSubmitted, e.asset.State())

	// The holder's registrar may hand the filing to another agent.
	h, err := domain.NewDraft("asset-h", completeRecord(), bureau, codes, t0)
	require.NoError(t, err)
	he := &env{t: t, asset: h, now: t0}
	rec = h.Record()
	rec.Agent = &domain.Agent{Organisation: otherOrg}
	he.must(domain.ActUpdate, as(registrar), withRecord(rec))
	require.False(t, bureau.CanRead(he.asset))
	require.True(t, otherRegistrar.CanRead(he.asset))
}
