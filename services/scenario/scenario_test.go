package scenario_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/scenario/internal/app"
	"yaosu.dev/services/scenario/internal/domain"
)

func tsp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

const (
	activate = scenariov1.ScenarioAction_SCENARIO_ACTION_ACTIVATE
	suspend  = scenariov1.ScenarioAction_SCENARIO_ACTION_SUSPEND
	closeAct = scenariov1.ScenarioAction_SCENARIO_ACTION_CLOSE
	formAPI  = rightsv1.DeliveryForm_DELIVERY_FORM_API
	formMod  = rightsv1.DeliveryForm_DELIVERY_FORM_MODEL
)

// TestLifecycleThroughTheAPI walks every state × action through the API: each scenario is
// brought to a state, then each action is tried on it.
func TestLifecycleThroughTheAPI(t *testing.T) {
	h := newHarness(t)
	op := h.operator(orgB)
	reach := map[scenariov1.ScenarioState][]scenariov1.ScenarioAction{
		scenariov1.ScenarioState_SCENARIO_STATE_PROPOSED:  nil,
		scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE:    {activate},
		scenariov1.ScenarioState_SCENARIO_STATE_SUSPENDED: {activate, suspend},
		scenariov1.ScenarioState_SCENARIO_STATE_CLOSED:    {closeAct},
	}
	want := map[scenariov1.ScenarioState]map[scenariov1.ScenarioAction]scenariov1.ScenarioState{
		scenariov1.ScenarioState_SCENARIO_STATE_PROPOSED: {activate: scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE,
			closeAct: scenariov1.ScenarioState_SCENARIO_STATE_CLOSED},
		scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE: {suspend: scenariov1.ScenarioState_SCENARIO_STATE_SUSPENDED,
			closeAct: scenariov1.ScenarioState_SCENARIO_STATE_CLOSED},
		scenariov1.ScenarioState_SCENARIO_STATE_SUSPENDED: {activate: scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE,
			closeAct: scenariov1.ScenarioState_SCENARIO_STATE_CLOSED},
	}
	for from, path := range reach {
		for _, action := range []scenariov1.ScenarioAction{activate, suspend, closeAct} {
			sc := h.propose(orgB, "场景 "+from.String()+" "+action.String())
			require.Equal(t, scenariov1.ScenarioState_SCENARIO_STATE_PROPOSED, sc.GetState())
			require.Equal(t, orgB, sc.GetOperatorOrganisation())
			require.EqualValues(t, 1, sc.GetRevision())
			for _, step := range path {
				var err error
				sc, err = h.transition(op, sc.GetName(), step)
				require.NoError(t, err)
			}
			require.Equal(t, from, sc.GetState())
			got, err := h.transition(op, sc.GetName(), action)
			if exp, ok := want[from][action]; ok {
				require.NoError(t, err, "%s × %s", from, action)
				require.Equal(t, exp, got.GetState(), "%s × %s", from, action)
				require.Equal(t, sc.GetRevision()+1, got.GetRevision())
				continue
			}
			requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
		}
	}
}

func TestProposeValidatesAndKeepsFields(t *testing.T) {
	h := newHarness(t)
	sc := h.propose(orgB, "公交客流")
	got, err := h.client.GetScenario(h.operator(orgB), &scenariov1.GetScenarioRequest{Name: sc.GetName()})
	require.NoError(t, err)
	require.Equal(t, "公交客流", got.GetScenario().GetDisplayName())
	require.Equal(t, "TRANSPORT", got.GetScenario().GetSector())
	require.Equal(t, "350100", got.GetScenario().GetRegion())
	require.Len(t, got.GetScenario().GetKpis(), 1)
	require.Equal(t, "平均候车时间", got.GetScenario().GetKpis()[0].GetName())
	require.Equal(t, "1", got.GetScenario().GetEtag())

	bad := transport("太空")
	bad.Sector = "SPACE"
	_, err = h.client.ProposeScenario(h.operator(orgB), &scenariov1.ProposeScenarioRequest{Scenario: bad})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonUnknownSector)
}

func TestTransitionETag(t *testing.T) {
	h := newHarness(t)
	sc := h.propose(orgB, "公交客流")
	_, err := h.client.TransitionScenario(h.operator(orgB), &scenariov1.TransitionScenarioRequest{
		Name: sc.GetName(), Action: activate, Etag: "7"})
	requireStatus(t, err, codes.Aborted, domain.ReasonETagMismatch)
	resp, err := h.client.TransitionScenario(h.operator(orgB), &scenariov1.TransitionScenarioRequest{
		Name: sc.GetName(), Action: activate, Etag: sc.GetEtag()})
	require.NoError(t, err)
	require.Equal(t, "2", resp.GetScenario().GetEtag())
}

func TestProposeIsIdempotentThroughRequestID(t *testing.T) {
	h := newHarness(t)
	req := &scenariov1.ProposeScenarioRequest{Scenario: transport("公交客流"), RequestId: uuid.NewString()}
	first, err := h.client.ProposeScenario(h.operator(orgB), req)
	require.NoError(t, err)
	again, err := h.client.ProposeScenario(h.operator(orgB), req)
	require.NoError(t, err)
	require.Equal(t, first.GetScenario().GetName(), again.GetScenario().GetName())
	// Another organisation's request ids are its own.
	other, err := h.client.ProposeScenario(h.operator(orgC), req)
	require.NoError(t, err)
	require.NotEqual(t, first.GetScenario().GetName(), other.GetScenario().GetName())
	list, err := h.client.ListScenarios(h.operator(orgB), &scenariov1.ListScenariosRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetScenarios(), 1)
	evs := h.scenarioEvents(2)
	n := 0
	for _, ev := range evs {
		if ev.GetSubject() == first.GetScenario().GetName() {
			n++
		}
	}
	require.Equal(t, 1, n, "one scenario.proposed for one request id")
}

func TestAuthorisation(t *testing.T) {
	h := newHarness(t)
	sc := h.propose(orgB, "公交客流")
	name := sc.GetName()

	// Another organisation's operator: the scenario does not exist for them.
	_, err := h.client.GetScenario(h.operator(orgC), &scenariov1.GetScenarioRequest{Name: name})
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
	_, err = h.transition(h.operator(orgC), name, activate)
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
	_, err = h.client.ListLinks(h.operator(orgC), &scenariov1.ListLinksRequest{Parent: name})
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
	asset := h.registered(orgA)
	_, err = h.link(h.operator(orgC), name, asset, "", formAPI)
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
	list, err := h.client.ListScenarios(h.operator(orgC), &scenariov1.ListScenariosRequest{})
	require.NoError(t, err)
	require.Empty(t, list.GetScenarios())
	_, err = h.client.GetScenario(h.operator(orgC), &scenariov1.GetScenarioRequest{Name: "scenarios/" + uuid.NewString()})
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)

	// Auditors read everything and change nothing.
	auditor := h.as("auditor", orgC, auth.RoleAuditor)
	_, err = h.client.GetScenario(auditor, &scenariov1.GetScenarioRequest{Name: name})
	require.NoError(t, err)
	list, err = h.client.ListScenarios(auditor, &scenariov1.ListScenariosRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetScenarios(), 1)
	_, err = h.client.ListLinks(auditor, &scenariov1.ListLinksRequest{Parent: name})
	require.NoError(t, err)
	_, err = h.transition(auditor, name, activate)
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.ProposeScenario(auditor, &scenariov1.ProposeScenarioRequest{Scenario: transport("x")})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")

	// The operator role is needed to act, even within the organisation.
	registrar := h.as("registrar", orgB, auth.RoleRegistrar)
	_, err = h.client.GetScenario(registrar, &scenariov1.GetScenarioRequest{Name: name})
	require.NoError(t, err)
	_, err = h.transition(registrar, name, activate)
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.client.ProposeScenario(registrar, &scenariov1.ProposeScenarioRequest{Scenario: transport("x")})
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	_, err = h.link(registrar, name, asset, "", formAPI)
	requireStatus(t, err, codes.PermissionDenied, "PERMISSION_DENIED")

	// An admin of the operating organisation manages; an admin elsewhere reads only.
	_, err = h.transition(h.as("admin", orgC, auth.RoleAdmin), name, activate)
	requireStatus(t, err, codes.PermissionDenied, domain.ReasonNotYourOrganisation)
	got, err := h.transition(h.as("admin", orgB, auth.RoleAdmin), name, activate)
	require.NoError(t, err)
	require.Equal(t, scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE, got.GetState())
}

func TestListScenariosPagesAndFilters(t *testing.T) {
	h := newHarness(t)
	var names []string
	for i := range 5 {
		names = append(names, h.propose(orgB, "场景 "+string(rune('A'+i))).GetName())
	}
	_, err := h.transition(h.operator(orgB), names[0], activate)
	require.NoError(t, err)
	var got []string
	token := ""
	for {
		resp, err := h.client.ListScenarios(h.operator(orgB), &scenariov1.ListScenariosRequest{PageSize: 2, PageToken: token})
		require.NoError(t, err)
		for _, s := range resp.GetScenarios() {
			got = append(got, s.GetName())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	require.Equal(t, []string{names[4], names[3], names[2], names[1], names[0]}, got, "newest first, every one once")
	resp, err := h.client.ListScenarios(h.operator(orgB), &scenariov1.ListScenariosRequest{
		States: []scenariov1.ScenarioState{scenariov1.ScenarioState_SCENARIO_STATE_ACTIVE}})
	require.NoError(t, err)
	require.Len(t, resp.GetScenarios(), 1)
	require.Equal(t, names[0], resp.GetScenarios()[0].GetName())
	first, err := h.client.ListScenarios(h.operator(orgB), &scenariov1.ListScenariosRequest{PageSize: 2})
	require.NoError(t, err)
	_, err = h.client.ListScenarios(h.operator(orgB), &scenariov1.ListScenariosRequest{PageSize: 2, Sector: "HEALTHCARE",
		PageToken: first.GetNextPageToken()})
	requireStatus(t, err, codes.InvalidArgument, domain.ReasonInvalidPageToken)
}

// TestLinkingIsCheckedByTheRightsService: no grant, no link; with a grant the link rests on
// it and the chain comes back; a grant named that the check does not rest on is refused.
func TestLinkingIsCheckedByTheRightsService(t *testing.T) {
	h := newHarness(t)
	op := h.operator(orgB)
	asset := h.registered(orgA)
	sc := h.propose(orgB, "公交客流")

	_, err := h.link(op, sc.GetName(), asset, "", formAPI)
	st := requireStatus(t, err, codes.FailedPrecondition, domain.ReasonNotAllowedByRights)
	require.Contains(t, st.Message(), "DENIAL_REASON_NO_GRANT")
	require.Contains(t, st.Message(), "no PROCESSING_USE grant")

	g := h.grant(orgA, asset, orgB)
	resp, err := h.link(op, sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(t, err)
	require.Equal(t, []string{g.GetName()}, resp.GetChain())
	l := resp.GetLink()
	require.True(t, strings.HasPrefix(l.GetName(), sc.GetName()+"/links/"))
	require.Equal(t, g.GetName(), l.GetGrant())
	require.Equal(t, asset, l.GetAsset())
	require.Equal(t, rightsv1.Right_RIGHT_PROCESSING_USE, l.GetRight())
	require.Equal(t, scenariov1.LinkState_LINK_STATE_ACTIVE, l.GetState())
	require.Equal(t, "operator@"+orgB, l.GetLinker())
	require.Equal(t, "客流预测模型训练", l.GetReason())

	// The same asset, right and form again: one live link is enough.
	_, err = h.link(op, sc.GetName(), asset, g.GetName(), formAPI)
	requireStatus(t, err, codes.AlreadyExists, domain.ReasonAlreadyLinked)

	// A grant the use does not rest on.
	other := h.grant(orgA, h.registered(orgA), orgB)
	_, err = h.link(op, sc.GetName(), asset, other.GetName(), formMod)
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonGrantMismatch)
	_, err = h.link(op, sc.GetName(), asset, "grants/"+uuid.NewString(), formMod)
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonGrantMismatch)

	// No grant named: the link rests on the one the check found.
	resp, err = h.link(op, sc.GetName(), asset, "", formMod)
	require.NoError(t, err)
	require.Equal(t, g.GetName(), resp.GetLink().GetGrant())

	// Outside the grant's scope: raw copies, another sector, another region.
	_, err = h.link(op, sc.GetName(), asset, "", rightsv1.DeliveryForm_DELIVERY_FORM_RAW_COPY)
	st = requireStatus(t, err, codes.FailedPrecondition, domain.ReasonNotAllowedByRights)
	require.Contains(t, st.Message(), "DELIVERY_FORM")
	health := transport("医疗")
	health.Sector = "HEALTHCARE"
	hs, err := h.client.ProposeScenario(op, &scenariov1.ProposeScenarioRequest{Scenario: health})
	require.NoError(t, err)
	_, err = h.link(op, hs.GetScenario().GetName(), asset, g.GetName(), formAPI)
	st = requireStatus(t, err, codes.FailedPrecondition, domain.ReasonNotAllowedByRights)
	require.Contains(t, st.Message(), "PURPOSE")

	// The holder needs no grant.
	own := h.propose(orgA, "持有方自用")
	resp, err = h.link(h.operator(orgA), own.GetName(), asset, "", formAPI)
	require.NoError(t, err)
	require.Empty(t, resp.GetLink().GetGrant())
	require.Empty(t, resp.GetChain())
	_, err = h.link(h.operator(orgA), own.GetName(), asset, g.GetName(), formMod)
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonGrantMismatch)

	// Unlinking ends it; a closed scenario takes no links.
	links, err := h.client.ListLinks(op, &scenariov1.ListLinksRequest{Parent: sc.GetName()})
	require.NoError(t, err)
	require.Len(t, links.GetLinks(), 2)
	un, err := h.client.UnlinkAsset(op, &scenariov1.UnlinkAssetRequest{Name: l.GetName(), Reason: "不再需要"})
	require.NoError(t, err)
	require.Equal(t, scenariov1.LinkState_LINK_STATE_UNLINKED, un.GetLink().GetState())
	_, err = h.client.UnlinkAsset(op, &scenariov1.UnlinkAssetRequest{Name: l.GetName()})
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonInvalidTransition)
	_, err = h.client.UnlinkAsset(op, &scenariov1.UnlinkAssetRequest{Name: sc.GetName() + "/links/" + uuid.NewString()})
	requireStatus(t, err, codes.NotFound, domain.ReasonLinkNotFound)
	_, err = h.link(op, sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(t, err, "an unlinked link frees its place")
	_, err = h.transition(op, sc.GetName(), closeAct)
	require.NoError(t, err)
	_, err = h.link(op, sc.GetName(), asset, g.GetName(), formAPI)
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonScenarioClosed)
	// Closing ended the live links, with the reason.
	links, err = h.client.ListLinks(op, &scenariov1.ListLinksRequest{Parent: sc.GetName()})
	require.NoError(t, err)
	require.Len(t, links.GetLinks(), 3)
	for _, l := range links.GetLinks() {
		require.Equal(t, scenariov1.LinkState_LINK_STATE_UNLINKED, l.GetState(), l.GetName())
	}
	require.Equal(t, "scenario closed: test", links.GetLinks()[2].GetStateReason())
}

// TestGrantChangesBlockLinks: the rights service's events, through its outbox relay and
// the stream, block and unblock links.
func TestGrantChangesBlockLinks(t *testing.T) {
	h := newHarness(t)
	op := h.operator(orgB)
	asset := h.registered(orgA)
	g := h.grant(orgA, asset, orgB)
	sc := h.propose(orgB, "公交客流")
	resp, err := h.link(op, sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(t, err)
	link := resp.GetLink().GetName()

	_, err = h.rights.SuspendGrant(h.rightsAdmin(orgA), &rightsv1.SuspendGrantRequest{Name: g.GetName(), Reason: "核查"})
	require.NoError(t, err)
	l := h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_BLOCKED)
	require.Contains(t, l.GetStateReason(), "grant.suspended")
	require.Contains(t, l.GetStateReason(), g.GetName())

	_, err = h.rights.ReinstateGrant(h.rightsAdmin(orgA), &rightsv1.ReinstateGrantRequest{Name: g.GetName(), Reason: "核查完毕"})
	require.NoError(t, err)
	l = h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_ACTIVE)
	require.Empty(t, l.GetStateReason())

	// The asset suspended by the catalog: the link is blocked by the asset (and the rights
	// service suspends the grant too); reinstated, both lift and the link is active again.
	h.catalogEvent("catalog.asset.suspended", asset, orgA, catalogv1.AssetState_ASSET_STATE_SUSPENDED)
	l = h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_BLOCKED)
	require.Contains(t, l.GetStateReason(), "asset.suspended")
	h.catalogEvent("catalog.asset.reinstated", asset, orgA, catalogv1.AssetState_ASSET_STATE_REGISTERED)
	h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_ACTIVE)
	require.Eventually(t, func() bool {
		return h.linkState(orgB, link).GetState() == scenariov1.LinkState_LINK_STATE_ACTIVE && grantState(h, g) == rightsv1.GrantState_GRANT_STATE_ACTIVE
	}, 10*time.Second, 20*time.Millisecond)
	require.Never(t, func() bool {
		return h.linkState(orgB, link).GetState() != scenariov1.LinkState_LINK_STATE_ACTIVE
	}, 300*time.Millisecond, 50*time.Millisecond)

	// Revoked: blocked for good, and no new link rests on it.
	_, err = h.rights.RevokeGrant(h.rightsAdmin(orgA), &rightsv1.RevokeGrantRequest{Name: g.GetName(), Reason: "合同终止"})
	require.NoError(t, err)
	l = h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_BLOCKED)
	require.Contains(t, l.GetStateReason(), "grant.revoked")
	_, err = h.link(op, sc.GetName(), asset, g.GetName(), formMod)
	requireStatus(t, err, codes.FailedPrecondition, domain.ReasonNotAllowedByRights)

	// A blocked link can still be unlinked.
	un, err := h.client.UnlinkAsset(op, &scenariov1.UnlinkAssetRequest{Name: link, Reason: "合同终止"})
	require.NoError(t, err)
	require.Equal(t, scenariov1.LinkState_LINK_STATE_UNLINKED, un.GetLink().GetState())

	// The events of the link, in order with gap-free revisions.
	// (The unlink's event is the last to be relayed: wait for it.)
	var evs []*eventsv1.Event
	require.Eventually(t, func() bool {
		evs = h.scenarioEvents(1)
		return slices.ContainsFunc(evs, func(ev *eventsv1.Event) bool {
			return ev.GetSubject() == link && ev.GetType() == "scenario.asset.unlinked"
		})
	}, 10*time.Second, 50*time.Millisecond)
	var types []string
	var revs []int64
	for _, ev := range evs {
		if ev.GetSubject() != link {
			continue
		}
		types = append(types, strings.TrimPrefix(ev.GetType(), "scenario."))
		revs = append(revs, ev.GetResourceRevision())
		var p eventsv1.LinkChanged
		require.NoError(t, ev.GetPayload().UnmarshalTo(&p))
		require.Equal(t, ev.GetResourceRevision(), int64(len(revs)))
		require.Equal(t, link, p.GetLink().GetName())
	}
	require.Equal(t, "asset.linked", types[0])
	require.Equal(t, "asset.unlinked", types[len(types)-1])
	require.Contains(t, types, "link.blocked")
	require.Contains(t, types, "link.unblocked")
	for i, r := range revs {
		require.EqualValues(t, i+1, r)
	}
}

func grantState(h *harness, g *rightsv1.Grant) rightsv1.GrantState {
	resp, err := h.rights.GetGrant(h.rightsAdmin(orgA), &rightsv1.GetGrantRequest{Name: g.GetName()})
	require.NoError(h.t, err)
	return resp.GetGrant().GetState()
}

// TestAssetCancellationBlocksLinksOfHolder: a holder's own link (no grant) is blocked by its
// asset's cancellation.
func TestAssetCancellationBlocksLinks(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA)
	sc := h.propose(orgA, "持有方自用")
	resp, err := h.link(h.operator(orgA), sc.GetName(), asset, "", formAPI)
	require.NoError(t, err)
	h.catalogEvent("catalog.asset.cancelled", asset, orgA, catalogv1.AssetState_ASSET_STATE_CANCELLED)
	l := h.waitLink(orgA, resp.GetLink().GetName(), scenariov1.LinkState_LINK_STATE_BLOCKED)
	require.Contains(t, l.GetStateReason(), "asset.cancelled")
}

// TestScenarioEventsInOrder: every change is an event, in order, with its revision.
func TestScenarioEventsInOrder(t *testing.T) {
	h := newHarness(t)
	op := h.operator(orgB)
	sc := h.propose(orgB, "公交客流")
	for _, a := range []scenariov1.ScenarioAction{activate, suspend, activate, closeAct} {
		_, err := h.transition(op, sc.GetName(), a)
		require.NoError(t, err)
	}
	var types []string
	for _, ev := range h.scenarioEvents(5) {
		require.Equal(t, sc.GetName(), ev.GetSubject())
		require.Equal(t, "/yaosu/scenario", ev.GetSource())
		require.Equal(t, "operator@"+orgB, ev.GetActor().GetSubject())
		require.EqualValues(t, len(types)+1, ev.GetResourceRevision())
		var p eventsv1.ScenarioChanged
		require.NoError(t, ev.GetPayload().UnmarshalTo(&p))
		require.Equal(t, ev.GetResourceRevision(), p.GetScenario().GetRevision())
		types = append(types, ev.GetType())
	}
	require.Equal(t, []string{"scenario.scenario.proposed", "scenario.scenario.activated", "scenario.scenario.suspended",
		"scenario.scenario.activated", "scenario.scenario.closed"}, types)
}

// TestNoRPCIsUnimplemented: outcomes and reports are served (the last RPCs to be built).
func TestNoRPCIsUnimplemented(t *testing.T) {
	h := newHarness(t)
	_, err := h.client.GetUsageReport(h.operator(orgB), &scenariov1.GetUsageReportRequest{
		PeriodStart: "2026-01-01", PeriodEnd: "2026-01-31"})
	require.NoError(t, err)
	_, err = h.client.RecordOutcome(h.operator(orgB), &scenariov1.RecordOutcomeRequest{Outcome: &scenariov1.Outcome{
		Scenario: "scenarios/" + uuid.NewString(), PeriodStart: "2026-01-01", PeriodEnd: "2026-01-31"}})
	requireStatus(t, err, codes.NotFound, domain.ReasonScenarioNotFound)
}

// docs/events.md is the consumers' contract: every type the scenario service emits is listed.
func TestEventsAreDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	require.NoError(t, err)
	for typ := range app.EventTypes {
		row := "| `scenario." + typ + "` | `yaosu.scenario." + typ + "` | `yaosu.events.v1."
		require.True(t, strings.Contains(string(doc), row), "docs/events.md lacks the row for scenario.%s", typ)
	}
}
