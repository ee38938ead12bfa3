package rights_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/rights"
)

// Two replicas of the rights service share the catalog consumer's durable: a burst of 41
// asset suspensions and reinstatements, then an older suspension arriving late (a new
// event id, as a reordered delivery would be), end as one in-order replay leaves them.
func TestCatalogEventsUnderReplicasEndAsInOrder(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	second, err := rights.New(rights.Deps{Pool: h.pool, JS: h.js, EventKeys: h.ring, Log: quiet, Now: h.clock.Now, ExpiryInterval: time.Hour, DenialFlushInterval: time.Hour})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { _ = second.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	asset := h.registered(orgA, general)
	g := h.grant(h.admin(orgA), grantSpec(asset, orgB, 0))
	publish := func(typ string, state catalogv1.AssetState, rev int64) {
		a := &catalogv1.Asset{Name: asset, HolderOrganisation: orgA, State: state, Grade: general, Revision: rev,
			RegistrationNumber: "YS-2026-" + asset[len(asset)-8:]}
		ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "catalog-test", Organisation: orgA})
		ev, err := messaging.NewEvent(ctx, "catalog", typ, asset, rev, &eventsv1.AssetChanged{Asset: a})
		require.NoError(t, err)
		ev.Time = timestamppb.New(h.clock.Now())
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		msg := messaging.Message(ev, body)
		h.catalogKey.SignMsg(msg)
		_, err = h.js.PublishMsg(context.Background(), msg)
		require.NoError(t, err)
	}
	first := h.rev[asset]
	last := first
	for i := range 41 {
		last++
		if i%2 == 0 {
			publish("catalog.asset.suspended", catalogv1.AssetState_ASSET_STATE_SUSPENDED, last)
		} else {
			publish("catalog.asset.reinstated", catalogv1.AssetState_ASSET_STATE_REGISTERED, last)
		}
	}
	publish("catalog.asset.reinstated", catalogv1.AssetState_ASSET_STATE_REGISTERED, last+1)
	publish("catalog.asset.suspended", catalogv1.AssetState_ASSET_STATE_SUSPENDED, first+1) // late and stale
	require.Eventually(t, func() bool {
		var n int
		_ = h.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = $1`, rights.ConsumerName).Scan(&n)
		return n == 1+41+2
	}, 20*time.Second, 20*time.Millisecond)

	var state string
	var rev int64
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT state, revision FROM assets WHERE id = $1`, asset[len("assets/"):]).Scan(&state, &rev))
	require.Equal(t, "REGISTERED", state)
	require.Equal(t, last+1, rev)
	require.Equal(t, rightsv1.GrantState_GRANT_STATE_ACTIVE, h.grantState(g.GetName()))
	require.True(t, h.check(checkReq(orgB, asset)).GetAllowed())
	require.NoError(t, h.pool.QueryRow(ctx, `SELECT revision FROM consumer_revisions WHERE consumer = $1 AND resource = $2`,
		rights.ConsumerName, "/yaosu/catalog "+asset).Scan(&rev))
	require.Equal(t, last+1, rev)
}

// A suspension handled after the reinstatement that ended it (a replica held it) changes
// nothing now, but answers as of a time inside the suspension still see it, as an
// in-order replay would have recorded it.
func TestLateSuspensionStillAnswersAsOf(t *testing.T) {
	h := newHarness(t)
	asset := h.registered(orgA, general)
	h.grant(h.admin(orgA), grantSpec(asset, orgB, 0))
	publish := func(typ string, state catalogv1.AssetState, rev int64, at time.Time) {
		a := &catalogv1.Asset{Name: asset, HolderOrganisation: orgA, State: state, Grade: general, Revision: rev,
			RegistrationNumber: "YS-2026-" + asset[len(asset)-8:]}
		ev, err := messaging.NewEvent(context.Background(), "catalog", typ, asset, rev, &eventsv1.AssetChanged{Asset: a})
		require.NoError(t, err)
		ev.Time = timestamppb.New(at)
		body, err := proto.Marshal(ev)
		require.NoError(t, err)
		msg := messaging.Message(ev, body)
		h.catalogKey.SignMsg(msg)
		_, err = h.js.PublishMsg(context.Background(), msg)
		require.NoError(t, err)
	}
	t0 := h.clock.Now()
	suspendedAt, reinstatedAt := t0.Add(time.Hour), t0.Add(2*time.Hour)
	h.clock.Advance(3 * time.Hour)
	publish("catalog.asset.reinstated", catalogv1.AssetState_ASSET_STATE_REGISTERED, 3, reinstatedAt)
	publish("catalog.asset.suspended", catalogv1.AssetState_ASSET_STATE_SUSPENDED, 2, suspendedAt)
	require.Eventually(t, func() bool {
		var n int
		_ = h.pool.QueryRow(context.Background(), `SELECT count(*) FROM processed_events WHERE consumer = $1`, rights.ConsumerName).Scan(&n)
		return n == 3
	}, 10*time.Second, 20*time.Millisecond)

	require.True(t, h.check(checkReq(orgB, asset)).GetAllowed(), "now: the newer state")
	auditor := h.as("audrey", orgA, auth.RoleAuditor)
	asOf := func(at time.Time) *rightsv1.CheckResponse {
		req := checkReq(orgB, asset)
		req.AsOf = timestamppb.New(at)
		resp, err := h.client.Check(auditor, req)
		require.NoError(t, err)
		return resp
	}
	require.True(t, asOf(suspendedAt.Add(-time.Minute)).GetAllowed())
	during := asOf(suspendedAt.Add(30 * time.Minute))
	require.False(t, during.GetAllowed(), "as of inside the suspension")
	require.Equal(t, rightsv1.DenialReason_DENIAL_REASON_ASSET_SUSPENDED, during.GetDenialReason())
	require.True(t, asOf(reinstatedAt.Add(time.Minute)).GetAllowed())
}
