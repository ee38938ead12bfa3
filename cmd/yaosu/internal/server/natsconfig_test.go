package server_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
)

// Under the configuration `yaosu nats-config` prints, with the whole server running on
// it: anonymous clients are refused, a service cannot publish another's events, the
// auditor publishes nothing; the services themselves work (the other end-to-end tests run
// on the same configuration).
func TestNATSUsersUnderTheServersConfiguration(t *testing.T) {
	s := startStack(t)
	_, err := nats.Connect(s.natsURL)
	require.ErrorContains(t, err, "Authorization Violation", "publishing without credentials is refused outright")

	for _, c := range []struct{ user, subject string }{
		{"scenario", "yaosu.rights.grant.revoked"}, // the reported forgery, from another service's user
		{"catalog", "yaosu.rights.grant.revoked"},
		{messaging.NATSUserAuditor, "yaosu.rights.grant.revoked"},
		{messaging.NATSUserAuditor, "yaosu.audit.checkpoint.signed"},
		{messaging.NATSUserAdmin, "yaosu.catalog.asset.created"},
	} {
		opts, err := messaging.NATSConnectOptions(s.creds, c.user, messaging.NATSTLS{})
		require.NoError(t, err)
		violations := make(chan error, 4)
		nc, err := nats.Connect(s.natsURL, append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				violations <- err
			}
		}))...)
		require.NoError(t, err, c.user)
		require.NoError(t, nc.Publish(c.subject, []byte("forged")))
		require.NoError(t, nc.Flush())
		select {
		case err := <-violations:
			require.Contains(t, err.Error(), c.subject)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s published on %s", c.user, c.subject)
		}
		nc.Close()
	}

	// A genuine change goes through; the stream holds it, signed, and no forgery.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = s.catalog.CreateAsset(s.as(t, ctx, orgA, auth.RoleRegistrar), &catalogv1.CreateAssetRequest{Asset: &catalogv1.Asset{
		DisplayName: "企业登记信息", Summary: "市场主体登记数据", HolderOrganisation: orgA}})
	require.NoError(t, err)
	js := s.jetStream(t, messaging.NATSUserAuditor)
	st, err := js.Stream(ctx, messaging.StreamName)
	require.NoError(t, err)
	var last uint64
	require.Eventually(t, func() bool {
		info, err := st.Info(ctx)
		last = info.State.LastSeq
		return err == nil && last >= 1
	}, 10*time.Second, 20*time.Millisecond)
	ring, err := messaging.LoadKeyring(filepath.Join(s.dataDir, "event-keys"))
	require.NoError(t, err)
	var subjects []string
	require.NoError(t, messaging.Replay(ctx, js, 1, last, func(_ uint64, m jetstream.Msg) error {
		subjects = append(subjects, m.Subject())
		_, err := ring.Verify(m.Subject(), m.Data(), m.Headers().Get(messaging.HeaderSignature))
		return err
	}))
	require.Contains(t, subjects, "yaosu.catalog.asset.created")
}
