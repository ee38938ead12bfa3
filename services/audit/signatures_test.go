package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	"yaosu.dev/pkg/auditcheck"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
)

// publishSigned publishes a rights event on its subject, signed by key (nil: unsigned).
func (e *env) publishSigned(typ, subject string, revision int64, key *messaging.SigningKey) {
	t := e.t
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "admin", Organisation: org})
	ev, err := messaging.NewEvent(ctx, "rights", typ, subject, revision, wrapperspb.String(typ))
	require.NoError(t, err)
	body, err := proto.Marshal(ev)
	require.NoError(t, err)
	m := messaging.Message(ev, body)
	if key != nil {
		m.Header.Set(messaging.HeaderSignature, key.Sign(m.Subject, body))
	}
	_, err = e.js.PublishMsg(context.Background(), m)
	require.NoError(t, err)
	e.sent = append(e.sent, body)
}

// A hand-published rights.grant.revoked with the right next revision passes every check of
// the log itself (it is in the stream, so in the log; its revision follows): only its
// signature tells it is not the rights service's. It is logged, flagged, and audit verify
// names it.
func TestForgedEventIsLoggedFlaggedAndFailsVerify(t *testing.T) {
	e := newEnv(t)
	rightsKey, err := messaging.NewSigningKey("rights")
	require.NoError(t, err)
	forger, err := messaging.NewSigningKey("rights") // a key of the right name, not the service's
	require.NoError(t, err)
	e.eventKeys = messaging.NewKeyring(rightsKey.Public())
	e.start(time.Hour)

	e.publishSigned("rights.grant.suspended", "grants/g1", 1, rightsKey)
	e.publishSigned("rights.grant.reinstated", "grants/g1", 2, rightsKey)
	e.publishSigned("rights.grant.revoked", "grants/g1", 3, forger)
	e.publishSigned("rights.grant.revoked", "grants/g2", 1, nil)
	e.waitForLog(4)
	e.requireLogEqualsStream() // logged all the same: the log equals the stream

	list, err := e.client.ListEvents(e.as(auth.RoleAuditor), &auditv1.ListEventsRequest{})
	require.NoError(t, err)
	got := list.GetEntries()
	require.Equal(t, auditv1.Authenticity_AUTHENTICITY_VERIFIED, got[0].GetAuthenticity())
	require.Equal(t, "rights", got[0].GetSigner())
	require.Equal(t, "yaosu.rights.grant.suspended", got[0].GetSubject())
	require.NotEmpty(t, got[0].GetSignature())
	require.Equal(t, auditv1.Authenticity_AUTHENTICITY_UNKNOWN_KEY, got[2].GetAuthenticity(), "flagged")
	require.Equal(t, auditv1.Authenticity_AUTHENTICITY_UNSIGNED, got[3].GetAuthenticity())

	cp, err := e.client.GetCheckpoint(e.as(auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	require.EqualValues(t, 4, cp.GetCheckpoint().GetTreeSize())
	require.Len(t, cp.GetEventKeys(), 1)
	require.Equal(t, rightsKey.ID, cp.GetEventKeys()[0].GetId())

	// Without event keys the log verifies: the forged revision 3 follows revision 2.
	rep, err := auditcheck.VerifyStored(e.as(auth.RoleAuditor), auditcheck.Options{Client: e.client, JS: e.js,
		Key: cp.GetVerifierKey(), Timeout: 10 * time.Second})
	require.NoError(t, err)
	require.True(t, rep.OK(), "%+v", rep.Problem)

	// With the pinned event keys it names the forged event.
	pinned := messaging.NewKeyring(rightsKey.Public())
	rep, err = auditcheck.VerifyStored(e.as(auth.RoleAuditor), auditcheck.Options{Client: e.client, JS: e.js,
		Key: cp.GetVerifierKey(), EventKeys: pinned, Timeout: 10 * time.Second})
	require.NoError(t, err)
	require.NotNil(t, rep.Problem)
	require.Equal(t, auditcheck.CheckAuthentic, rep.Check)
	require.EqualValues(t, 2, rep.Problem.Index, rep.Problem.Reason)
	require.Contains(t, rep.Problem.Reason, "yaosu.rights.grant.revoked")
	require.GreaterOrEqual(t, rep.Signatures.Failed, uint64(2)) // and the unsigned checkpoint event, if appended by now (the test relay has no key)
}
