package scenario_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/scenario"
)

// The defect of issue 12: with two replicas on the consumer's durable, a grant's
// `suspended` (revision 2) was handled after its `reinstated` (revision 3), and the link
// stayed BLOCKED while rights said ACTIVE. Here one replica stalls holding `suspended`
// while another handles `reinstated`; the stale event must change nothing.
func TestSuspendedHandledAfterReinstatedLeavesLinkActive(t *testing.T) {
	o := outOfOrder(t, 2, 2, 1)
	require.Equal(t, "rights.grant.suspended", o.heldTypes[0])
	o.requireFinal(t, scenariov1.LinkState_LINK_STATE_ACTIVE)
}

// Bursts of suspend/reinstate through the real rights service, handled by two and three
// replicas of the scenario consumer while a stalled one holds the burst's first events
// and gives them back at the end: the links end as one in-order replay leaves them.
func TestScenarioReplicasApplyGrantEventsInRevisionOrder(t *testing.T) {
	for _, c := range []struct {
		replicas, changes, held int
		want                    scenariov1.LinkState
	}{
		{2, 40, 5, scenariov1.LinkState_LINK_STATE_ACTIVE},  // ends reinstated
		{3, 41, 7, scenariov1.LinkState_LINK_STATE_BLOCKED}, // ends suspended
	} {
		t.Run(fmt.Sprintf("%d replicas, %d changes", c.replicas, c.changes), func(t *testing.T) {
			o := outOfOrder(t, c.replicas, c.changes, c.held)
			o.requireFinal(t, c.want)
		})
	}
}

type outOfOrderRun struct {
	h         *harness
	link      string
	grant     string
	lastRev   int64
	heldTypes []string
}

// outOfOrder links a grant, then suspends and reinstates it alternately changes times
// through the rights service while the scenario consumer's durable exists but no replica
// pulls. A stalled replica takes the first held of those events; replicas replicas of the
// scenario service handle the rest; then the stalled one gives its events back
// (redelivered to the others) and everything is acknowledged.
func outOfOrder(t *testing.T, replicas, changes, held int) *outOfOrderRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := newHarness(t, withoutScenarioConsumer)
	asset := h.registered(orgA)
	g := h.grant(orgA, asset, orgB)
	sc := h.propose(orgB, "公交客流")
	resp, err := h.link(h.operator(orgB), sc.GetName(), asset, g.GetName(), formAPI)
	require.NoError(t, err)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var reps []*scenario.Service
	for range replicas {
		s, err := scenario.New(scenario.Deps{Pool: h.spool, JS: h.js, EventKeys: h.ring, Log: quiet, Rights: h.rights,
			MonitorInterval: time.Hour, UsageRetention: retention})
		require.NoError(t, err)
		reps = append(reps, s)
	}
	durable, err := scenario.ConsumerOf(reps[0]).Ensure(ctx)
	require.NoError(t, err)

	o := &outOfOrderRun{h: h, link: resp.GetLink().GetName(), grant: g.GetName()}
	admin := h.rightsAdmin(orgA)
	for i := range changes {
		var got *rightsv1.Grant
		if i%2 == 0 {
			r, err := h.rights.SuspendGrant(admin, &rightsv1.SuspendGrantRequest{Name: g.GetName(), Reason: "核查"})
			require.NoError(t, err)
			got = r.GetGrant()
		} else {
			r, err := h.rights.ReinstateGrant(admin, &rightsv1.ReinstateGrantRequest{Name: g.GetName(), Reason: "核查完毕"})
			require.NoError(t, err)
			got = r.GetGrant()
		}
		o.lastRev = got.GetRevision()
	}
	require.Eventually(t, func() bool {
		info, err := durable.Info(ctx)
		return err == nil && info.NumPending == uint64(changes)
	}, 10*time.Second, 20*time.Millisecond, "the rights relay did not publish the burst")

	batch, err := durable.FetchNoWait(held)
	require.NoError(t, err)
	var stalled []jetstream.Msg
	for m := range batch.Messages() {
		stalled = append(stalled, m)
		o.heldTypes = append(o.heldTypes, strings.TrimPrefix(m.Subject(), messaging.SubjectPrefix))
	}
	require.Len(t, stalled, held)

	done := make(chan struct{}, len(reps))
	for _, s := range reps {
		go func() { _ = s.Run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range reps {
			<-done
		}
	})
	processed := func() int {
		var n int
		_ = h.spool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = $1`, scenario.ConsumerName).Scan(&n)
		return n
	}
	require.Eventually(t, func() bool { return processed() == changes-held }, 20*time.Second, 20*time.Millisecond)
	for _, m := range stalled {
		require.NoError(t, m.Nak())
	}
	require.Eventually(t, func() bool {
		info, err := durable.Info(ctx)
		return err == nil && processed() == changes && info.NumPending == 0 && info.NumAckPending == 0
	}, 20*time.Second, 20*time.Millisecond, "the held events were not handled")
	return o
}

// requireFinal checks the end state against an in-order replay: the link in want, the
// grant's block present exactly when want is BLOCKED, rights agreeing, and the grant's
// last revision recorded as the newest applied.
func (o *outOfOrderRun) requireFinal(t *testing.T, want scenariov1.LinkState) {
	t.Helper()
	ctx := context.Background()
	l := o.h.linkState(orgB, o.link)
	require.Equal(t, want.String(), l.GetState().String(), "link %s: %s", o.link, l.GetStateReason())
	var blocks int
	require.NoError(t, o.h.spool.QueryRow(ctx, `SELECT count(*) FROM blocks WHERE cause = $1`,
		"grant:"+strings.TrimPrefix(o.grant, "grants/")).Scan(&blocks))
	g, err := o.h.rights.GetGrant(o.h.rightsAdmin(orgA), &rightsv1.GetGrantRequest{Name: o.grant})
	require.NoError(t, err)
	if want == scenariov1.LinkState_LINK_STATE_BLOCKED {
		require.Equal(t, 1, blocks)
		require.Equal(t, rightsv1.GrantState_GRANT_STATE_SUSPENDED, g.GetGrant().GetState())
		require.Contains(t, l.GetStateReason(), "grant.suspended")
	} else {
		require.Zero(t, blocks)
		require.Equal(t, rightsv1.GrantState_GRANT_STATE_ACTIVE, g.GetGrant().GetState())
	}
	var rev int64
	require.NoError(t, o.h.spool.QueryRow(ctx, `SELECT revision FROM consumer_revisions WHERE consumer = $1 AND resource = $2`,
		scenario.ConsumerName, "/yaosu/rights "+o.grant).Scan(&rev))
	require.Equal(t, o.lastRev, rev)
}
