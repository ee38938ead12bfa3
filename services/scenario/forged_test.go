package scenario_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
)

// TestForgedGrantRevokedDoesNotBlockLink is the reported forgery: a `rights.grant.revoked`
// published by hand on the stream made the scenario service block a link for good while
// the rights service still said ACTIVE. Unsigned, signed by another service's key, or by
// a key nobody published, it must not be applied.
func TestForgedGrantRevokedDoesNotBlockLink(t *testing.T) {
	h := newHarness(t)
	op := h.operator(orgB)
	asset := h.registered(orgA)
	g := h.grant(orgA, asset, orgB)
	sc := h.propose(orgB, "公交客流")
	resp, err := h.link(op, sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(t, err)
	link := resp.GetLink().GetName()
	h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_ACTIVE)

	revoked := proto.Clone(g).(*rightsv1.Grant)
	revoked.State = rightsv1.GrantState_GRANT_STATE_REVOKED
	revoked.Revision++
	forge := func() *eventsv1.Event {
		ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "rights-admin@" + orgA, Organisation: orgA})
		ev, err := messaging.NewEvent(ctx, "rights", "rights.grant.revoked", g.GetName(), revoked.GetRevision(),
			&eventsv1.GrantChanged{Grant: revoked})
		require.NoError(t, err)
		return ev
	}
	publish := func(ev *eventsv1.Event, key *messaging.SigningKey) {
		t.Helper()
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		m := messaging.Message(ev, body)
		if key != nil {
			key.SignMsg(m)
		}
		_, err = h.js.PublishMsg(context.Background(), m)
		require.NoError(t, err)
	}
	stranger, err := messaging.NewSigningKey("rights") // a rights key the keyring does not hold
	require.NoError(t, err)
	forged := []*eventsv1.Event{forge(), forge(), forge()}
	publish(forged[0], nil)               // unsigned, as the report did it
	publish(forged[1], h.keys["catalog"]) // a genuine key of the wrong service
	publish(forged[2], stranger)          // a key that is not in the keyring

	// A genuine suspension after the forgeries: once the link is blocked by it, the
	// consumer has been past them (it reads in stream order).
	_, err = h.rights.SuspendGrant(h.rightsAdmin(orgA), &rightsv1.SuspendGrantRequest{Name: g.GetName(), Reason: "核查"})
	require.NoError(t, err)
	l := h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_BLOCKED)
	require.Contains(t, l.GetStateReason(), "grant.suspended")
	require.NotContains(t, l.GetStateReason(), "grant.revoked")

	// A revocation would have blocked it for good; the forgeries were not applied, so
	// reinstating the grant makes the link active again, in step with the rights service.
	_, err = h.rights.ReinstateGrant(h.rightsAdmin(orgA), &rightsv1.ReinstateGrantRequest{Name: g.GetName(), Reason: "核查完毕"})
	require.NoError(t, err)
	h.waitLink(orgB, link, scenariov1.LinkState_LINK_STATE_ACTIVE)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_ACTIVE, grantState(h, g))

	for _, ev := range forged {
		var n int
		require.NoError(t, h.spool.QueryRow(context.Background(),
			`SELECT count(*) FROM processed_events WHERE event_id = $1`, ev.GetId()).Scan(&n))
		require.Zero(t, n, "a forged event is never recorded as processed")
	}
}
