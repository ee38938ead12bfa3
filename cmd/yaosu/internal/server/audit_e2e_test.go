package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/tlog"
)

// Events from every service reach the audit log in stream order, and the log's signed
// checkpoint covers them.
func TestAuditLogsEveryServicesEventsInStreamOrder(t *testing.T) {
	s := startStack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	auditClient := auditv1.NewAuditServiceClient(s.conn)
	auditor := s.as(t, ctx, orgB, auth.RoleAuditor)
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)

	var names []string
	for _, n := range []string{"one", "two", "three"} {
		resp, err := s.catalog.CreateAsset(reg, &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{DisplayName: n, HolderOrganisation: orgA}})
		require.NoError(t, err)
		names = append(names, resp.GetAsset().GetName())
	}
	var entries []*auditv1.LogEntry
	require.Eventually(t, func() bool {
		resp, err := auditClient.ListEvents(auditor, &auditv1.ListEventsRequest{})
		require.NoError(t, err)
		entries = resp.GetEntries()
		return len(entries) >= 3
	}, 10*time.Second, 20*time.Millisecond)
	for i, name := range names {
		require.Equal(t, "catalog.asset.created", entries[i].GetEvent().GetType())
		require.Equal(t, name, entries[i].GetEvent().GetSubject())
		require.EqualValues(t, i+1, entries[i].GetStreamSequence())
	}

	cp, err := auditClient.GetCheckpoint(auditor, &auditv1.GetCheckpointRequest{})
	require.NoError(t, err)
	opened, err := tlog.OpenCheckpoint([]byte(cp.GetCheckpoint().GetSignedNote()), cp.GetVerifierKey())
	require.NoError(t, err)
	require.EqualValues(t, 3, opened.Size)

	// The audit service's own event follows, through its outbox, like any other service's.
	require.Eventually(t, func() bool {
		resp, err := auditClient.ListEvents(auditor, &auditv1.ListEventsRequest{Type: "audit.checkpoint.signed"})
		require.NoError(t, err)
		return len(resp.GetEntries()) == 1 && resp.GetEntries()[0].GetIndex() == 3 &&
			resp.GetEntries()[0].GetEvent().GetSubject() == "checkpoints/3"
	}, 10*time.Second, 20*time.Millisecond)

	// Registrars cannot read the audit log.
	_, err = auditClient.ListEvents(reg, &auditv1.ListEventsRequest{})
	code, reason, _ := errorInfo(t, err)
	require.Equal(t, "PermissionDenied", code.String())
	require.Equal(t, "ERROR_REASON_AUDITOR_ROLE_REQUIRED", reason)
}
