package domain_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/errs"
	"yaosu.dev/services/catalog/internal/domain"
)

// Organisations with valid unified social credit codes.
const (
	ownOrg   = "91350100M000100Y43"
	otherOrg = "91110000600037341L"
	// thirdOrg is the agent (委托代理) of some tests: a municipal data bureau.
	thirdOrg = "11350100MB00000012"
)

// t0 is Monday 2026-03-02 09:00 China Standard Time.
var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// Callers.
var (
	registrar      = domain.Caller{Subject: "reg-alice", Organisation: ownOrg, CanRegister: true}
	otherRegistrar = domain.Caller{Subject: "reg-gina", Organisation: otherOrg, CanRegister: true}
	reviewer       = domain.Caller{Subject: "rev-bob", Organisation: "registry", Reviewer: true}
	reviewer2      = domain.Caller{Subject: "rev-erin", Organisation: "registry", Reviewer: true}
	systemCaller   = domain.Caller{System: true, Subject: domain.SystemPublicity}
	citizen        = domain.Caller{Subject: "cit-carol", Organisation: otherOrg}
	auditor        = domain.Caller{Subject: "aud-frank", Organisation: "audit", CrossOrganisationRead: true, ReadOnly: true}
	admin          = domain.Caller{Subject: "adm-dan", Organisation: "registry", CanRegister: true, Reviewer: true,
		CrossOrganisationWrite: true, CrossOrganisationRead: true}
)

// codeLists is a tiny in-memory domain.CodeLists.
type codeLists struct {
	version string
	lists   map[string][]string
}

func (c codeLists) Version() string            { return c.version }
func (c codeLists) Has(list, code string) bool { return slices.Contains(c.lists[list], code) }
func (c codeLists) Resolve(list, word string) (string, bool) {
	return word, c.Has(list, word)
}
func (c codeLists) Entries(list string) []domain.CodeEntry {
	var out []domain.CodeEntry
	for _, code := range c.lists[list] {
		out = append(out, domain.CodeEntry{Code: code, LabelZh: code, LabelEn: code})
	}
	return out
}

var codes = codeLists{version: "2026.1", lists: map[string][]string{
	domain.ListCategory:      {"C01", "C02"},
	domain.ListSector:        {"S01", "S02"},
	domain.ListProductForm:   {"DATASET", "API"},
	domain.ListUpdateCycle:   {"DAILY", "MONTHLY"},
	domain.ListStorageMode:   {"CLOUD", "LOCAL"},
	domain.ListSharingMethod: {"API", "FILE"},
	domain.ListRefusalReason: {"R01", "R02"},
}}

var sha = strings.Repeat("ab", 32)

// withPowerOfAttorney adds the holder's power of attorney (授权委托书) to r's evidence, which
// a record an agent files needs before submission.
func withPowerOfAttorney(r domain.Record) domain.Record {
	r.Evidence = append(r.Evidence, domain.Document{Name: "授权委托书.pdf", SHA256: strings.Repeat("cd", 32), SizeBytes: 1024,
		Kind: domain.DocumentPowerOfAttorney})
	return r
}

// completeRecord is a valid record with everything a registration application needs.
func completeRecord() domain.Record {
	return domain.Record{
		DisplayName:        "城市道路交通流量数据",
		Summary:            "全市主干道路每五分钟的交通流量",
		HolderOrganisation: ownOrg,
		HolderName:         "某市交通运输局",
		Kind:               domain.KindDataResource,
		DataSource:         "路侧感知设备采集",
		LegalBasis:         "《某市道路交通管理条例》第十条",
		Evidence:           []domain.Document{{Name: "采集批复.pdf", SHA256: sha, SizeBytes: 1024}},
		Category:           "C01",
		Sectors:            []string{"S01"},
		Grade:              domain.GradeGeneral,
		SharingAttribute:   domain.SharingUnconditional,
		OpenAttribute:      domain.OpenUnconditional,
		DataFormat:         "CSV",
		VolumeRecords:      1000000,
		VolumeBytes:        1 << 30,
		UpdateCycle:        "DAILY",
		CoverageStart:      "2020-01-01",
		CoverageEnd:        "2025-12-31",
		StorageLocation:    "市政务云",
		StorageMode:        "CLOUD",
		SecurityMeasures:   "等保三级",
		Fields:             []domain.Field{{Name: "road_id", Type: "string"}, {Name: "flow", Type: "int"}},
		Contacts:           []domain.Contact{{Name: "张三", Phone: "0591-12345678"}},
		Tags:               []string{"交通"},
		Catalogue: &domain.Catalogue{ClassCategory: "1", ClassItem: "01", ClassHeading: "001",
			ResourceCode: "101001/000123", SharingMethod: "API", PublicationDate: "2024-05-01"},
	}
}

// requireErr asserts err is an *errs.Error of kind and reason.
func requireErr(t *testing.T, err error, kind errs.Kind, reason string, msgAndArgs ...any) *errs.Error {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	e, ok := errs.As(err)
	require.True(t, ok, "not an *errs.Error: %v", err)
	require.Equal(t, kind, e.Kind, append([]any{"kind of %v", err}, msgAndArgs...)...)
	require.Equal(t, reason, e.Reason, append([]any{"reason of %v", err}, msgAndArgs...)...)
	return e
}

// fields returns the violated field paths of err; each violation, and the error, must
// also say it in Chinese (issue 13).
func fields(t *testing.T, err error) []string {
	t.Helper()
	e, ok := errs.As(err)
	require.True(t, ok, "not an *errs.Error: %v", err)
	require.NotEmpty(t, e.MessageZh, "no Chinese message: %v", err)
	var out []string
	for _, v := range e.Violations {
		require.NotEmpty(t, v.DescriptionZh, "%s: %q has no Chinese", v.Field, v.Description)
		out = append(out, v.Field)
	}
	return out
}

// copyApp deep-copies an application (nil stays nil).
func copyApp(p *domain.Application) *domain.Application {
	if p == nil {
		return nil
	}
	c := *p
	if p.Proposed != nil {
		r := p.Proposed.Clone()
		c.Proposed = &r
	}
	c.History = slices.Clone(p.History)
	c.Objections = slices.Clone(p.Objections)
	return &c
}

// holderAction reports whether a is done by the holder's registrar.
func holderAction(a domain.Action) bool {
	switch a {
	case domain.ActUpdate, domain.ActSubmit, domain.ActApplyChange, domain.ActApplyCorrection, domain.ActApplyCancellation,
		domain.ActResubmit, domain.ActWithdraw, domain.ActRequestDisposal:
		return true
	}
	return false
}

// callerFor is the caller with the role an action needs.
func callerFor(a domain.Action) domain.Caller {
	switch {
	case holderAction(a):
		return registrar
	case a == domain.ActEndPublicity:
		return systemCaller
	case a == domain.ActObject:
		return citizen
	}
	return reviewer
}

// env drives one asset and its application through Apply.
type env struct {
	t     *testing.T
	asset *domain.Asset
	// app is the application last created or touched.
	app *domain.Application
	now time.Time
	n   int
	seq int64
	// numberErr, if set, makes NextRegistrationNumber fail.
	numberErr error
}

func newEnv(t *testing.T) *env {
	t.Helper()
	a, err := domain.NewDraft("asset-1", completeRecord(), registrar, codes, t0)
	require.NoError(t, err)
	return &env{t: t, asset: a, now: t0}
}

// open returns the open application, nil if none.
func (e *env) open() *domain.Application {
	if e.app != nil && e.app.State.Open() {
		return e.app
	}
	return nil
}

type opt func(*domain.Command)

func as(c domain.Caller) opt              { return func(cmd *domain.Command) { cmd.Caller = c } }
func at(t time.Time) opt                  { return func(cmd *domain.Command) { cmd.Now = t } }
func withRecord(r domain.Record) opt      { return func(cmd *domain.Command) { cmd.Record = &r } }
func withReason(r string) opt             { return func(cmd *domain.Command) { cmd.Reason = r } }
func withCode(c string) opt               { return func(cmd *domain.Command) { cmd.ReasonCode = c } }
func withObjection(id string) opt         { return func(cmd *domain.Command) { cmd.ObjectionID = id } }
func withETag(tag string) opt             { return func(cmd *domain.Command) { cmd.ETag = tag } }
func uphold() opt                         { return func(cmd *domain.Command) { cmd.Uphold = true } }
func withPublicityEnd(t time.Time) opt    { return func(cmd *domain.Command) { cmd.PublicityEnd = t } }
func withDisposal(d *domain.Disposal) opt { return func(cmd *domain.Command) { cmd.Disposal = d } }
func withIncident(i *domain.Incident) opt { return func(cmd *domain.Command) { cmd.Incident = i } }

// command builds a command for action with every input it could need, by a caller with the
// role it needs.
func (e *env) command(action domain.Action) domain.Command {
	e.n++
	e.now = e.now.Add(time.Minute)
	if app := e.open(); action == domain.ActEndPublicity && app != nil && !e.now.After(app.PublicityEnd) {
		e.now = app.PublicityEnd.Add(time.Minute)
	}
	cmd := domain.Command{
		Action:        action,
		Caller:        callerFor(action),
		Now:           e.now,
		Reason:        fmt.Sprintf("理由 %d", e.n),
		ReasonCode:    "R01",
		ApplicationID: fmt.Sprintf("app-%d", e.n),
		ObjectionID:   fmt.Sprintf("obj-%d", e.n),
		ObjectionText: "该数据的持有权存在争议",
		Incident:      &domain.Incident{Summary: "疑似数据泄露", Reference: "INC-1"},
		Disposal:      &domain.Disposal{Method: "物理销毁", Reason: "保存期限届满", Evidence: []domain.Document{{Name: "销毁方案.pdf", SHA256: sha}}},
		PublicityEnd:  domain.PublicityEnd(e.now, 10, nil),
		Codes:         codes,
		NextRegistrationNumber: func() (string, error) {
			if e.numberErr != nil {
				return "", e.numberErr
			}
			e.seq++
			return domain.FormatRegistrationNumber("YS-{YYYY}-{SEQ:8}", e.seq, e.now), nil
		},
	}
	switch action {
	case domain.ActUpdate, domain.ActApplyChange, domain.ActApplyCorrection:
		r := e.asset.Record()
		r.Summary += fmt.Sprintf("（修订 %d）", e.n)
		cmd.Record = &r
	case domain.ActResolve:
		if app := e.open(); app != nil {
			for _, o := range app.Objections {
				if o.State == domain.ObjectionRaised {
					cmd.ObjectionID = o.ID
				}
			}
		}
	}
	return cmd
}

// apply runs action against the asset and its open application.
func (e *env) apply(action domain.Action, opts ...opt) (*domain.Effect, error) {
	cmd := e.command(action)
	for _, o := range opts {
		o(&cmd)
	}
	eff, err := e.asset.Apply(e.open(), cmd)
	if err == nil {
		for _, ev := range eff.EventTypes {
			require.Contains(e.t, domain.EventTypes, ev, "an undocumented event type")
		}
		if eff.Application != nil {
			e.app = eff.Application
		}
	}
	return eff, err
}

// must runs action and requires it to succeed.
func (e *env) must(action domain.Action, opts ...opt) *domain.Effect {
	e.t.Helper()
	eff, err := e.apply(action, opts...)
	require.NoError(e.t, err, "%s in %s", action, e.asset.State())
	return eff
}

// fails runs action, requires it to fail with kind and reason, and requires the asset and
// its application to be unchanged.
func (e *env) fails(action domain.Action, kind errs.Kind, reason string, opts ...opt) *errs.Error {
	e.t.Helper()
	before, app := e.asset.Snapshot(), e.open()
	appBefore := copyApp(app)
	_, err := e.apply(action, opts...)
	ee := requireErr(e.t, err, kind, reason, "%s in %s", action, before.State)
	require.Equal(e.t, before, e.asset.Snapshot(), "a failed %s changed the asset", action)
	require.Equal(e.t, appBefore, app, "a failed %s changed the application", action)
	return ee
}

// clone returns an independent copy of e for t (the asset through Snapshot/FromSnapshot).
func (e *env) clone(t *testing.T) *env {
	c := *e
	c.t = t
	s := e.asset.Snapshot()
	if s.Incident != nil {
		in := *s.Incident
		s.Incident = &in
	}
	if s.Disposal != nil {
		d := *s.Disposal
		d.Evidence = slices.Clone(d.Evidence)
		s.Disposal = &d
	}
	c.asset = domain.FromSnapshot(s)
	c.app = copyApp(e.app)
	return &c
}

// run applies actions in order, each of which must succeed.
func (e *env) run(actions ...domain.Action) *env {
	e.t.Helper()
	for _, a := range actions {
		e.must(a)
	}
	return e
}

// Paths from a fresh draft to each state.
var (
	toRegistered = []domain.Action{domain.ActSubmit, domain.ActAccept, domain.ActPass, domain.ActEndPublicity}
	statePaths   = map[domain.State][]domain.Action{
		domain.StateDraft:       nil,
		domain.StateSubmitted:   {domain.ActSubmit},
		domain.StateAccepted:    {domain.ActSubmit, domain.ActAccept},
		domain.StateNotAccepted: {domain.ActSubmit, domain.ActNotAccept},
		domain.StateReturned:    {domain.ActSubmit, domain.ActAccept, domain.ActReturn},
		domain.StateRefused:     {domain.ActSubmit, domain.ActAccept, domain.ActRefuse},
		domain.StateInPublicity: {domain.ActSubmit, domain.ActAccept, domain.ActPass},
		domain.StateRegistered:  toRegistered,
		domain.StateWithdrawn:   {domain.ActSubmit, domain.ActWithdraw},
		domain.StateSuspended:   append(slices.Clone(toRegistered), domain.ActSuspend),
		domain.StateCancelled:   append(slices.Clone(toRegistered), domain.ActApplyCancellation, domain.ActAccept, domain.ActPass),
		domain.StateDisposed:    append(slices.Clone(toRegistered), domain.ActRequestDisposal, domain.ActApproveDisposal),
	}
)

// envIn builds an asset in state s through Apply from a fresh draft.
func envIn(t *testing.T, s domain.State) *env {
	t.Helper()
	path, ok := statePaths[s]
	require.True(t, ok, "no path to %s", s)
	e := newEnv(t).run(path...)
	require.Equal(t, s, e.asset.State())
	return e
}

// snapshotEnvIn builds an asset in state s with FromSnapshot: the states of a first
// registration in progress carry an open FIRST_REGISTRATION application in the same state;
// registered states have a number.
func snapshotEnvIn(t *testing.T, s domain.State) *env {
	t.Helper()
	rec := completeRecord()
	rec.CodeListVersion = codes.Version()
	snap := domain.Snapshot{ID: "asset-s", Record: rec, State: s, Revision: 5, Creator: registrar.Subject,
		CreatorOrganisation: ownOrg, CreateTime: t0, UpdateTime: t0}
	if s.Registered() {
		snap.RegistrationNumber, snap.RegisterTime = "YS-2026-00000007", t0
	}
	switch s {
	case domain.StateSuspended:
		snap.Incident = &domain.Incident{Summary: "疑似数据泄露", Reporter: reviewer2.Subject, ReportTime: t0}
	case domain.StateDisposed:
		snap.Disposal = &domain.Disposal{Method: "物理销毁", Reason: "到期", State: domain.DisposalApproved,
			Requester: registrar.Subject, RequestTime: t0, Decider: reviewer2.Subject, DecideTime: t0, DecisionNote: "同意"}
	}
	var app *domain.Application
	if st, ok := map[domain.State]domain.AppState{domain.StateSubmitted: domain.AppSubmitted, domain.StateAccepted: domain.AppAccepted,
		domain.StateReturned: domain.AppReturned, domain.StateInPublicity: domain.AppInPublicity}[s]; ok {
		app = &domain.Application{ID: "app-s", AssetID: snap.ID, Type: domain.AppFirst, State: st, Reason: "首次登记",
			Submitter: registrar.Subject, SubmitterOrganisation: ownOrg, SubmitTime: t0, UpdateTime: t0, AssetRevision: 4,
			History: []domain.Step{{Action: "submit", Actor: registrar.Subject, Time: t0}}}
		if st == domain.AppInPublicity {
			app.PublicityStart, app.PublicityEnd = t0, domain.PublicityEnd(t0, 10, nil)
		}
		snap.OpenApplication = app.ID
	}
	return &env{t: t, asset: domain.FromSnapshot(snap), app: app, now: t0}
}
