package messaging_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/testkit"
)

// accessEnv is a NATS server configured as `yaosu nats-config` configures one, for a
// catalog (publishes only), a rights service (a durable consumer) and an audit service
// (reads the whole stream), with seeds in creds.
type accessEnv struct {
	nats  *testkit.NATS
	creds string
}

var accessServices = []messaging.ServiceAccess{
	{Service: "catalog"},
	{Service: "rights", Durables: []string{"rights-catalog"}},
	{Service: "audit", ReadsStream: true},
}

func newAccessEnv(t *testing.T) *accessEnv {
	t.Helper()
	creds := t.TempDir()
	users := messaging.NATSUsers(accessServices)
	pubs := map[string]string{}
	for _, u := range users {
		pub, err := messaging.LoadOrCreateSeed(creds, u.Name, true)
		require.NoError(t, err)
		pubs[u.Name] = pub
	}
	text, err := messaging.NATSServerConfig{Users: users, PublicKeys: pubs}.Text()
	require.NoError(t, err)
	return &accessEnv{nats: testkit.StartNATSWithConfig(t, text), creds: creds}
}

// connect connects as user ("" for anonymous).
func (e *accessEnv) connect(t *testing.T, user string) (*nats.Conn, jetstream.JetStream, chan error) {
	t.Helper()
	errs := make(chan error, 16)
	opts := []nats.Option{nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	})}
	if user != "" {
		o, err := messaging.NATSConnectOptions(e.creds, user, messaging.NATSTLS{})
		require.NoError(t, err)
		opts = append(opts, o...)
	}
	nc, err := nats.Connect(e.nats.URL(), opts...)
	if err != nil {
		return nil, nil, nil
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return nc, js, errs
}

func TestNATSUsersHaveLeastPermissions(t *testing.T) {
	e := newAccessEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// refused bounds a call the server refuses: a refused request gets no answer.
	refused := func() context.Context {
		c, cancel := context.WithTimeout(ctx, time.Second)
		t.Cleanup(cancel)
		return c
	}

	// Anonymous clients are refused outright.
	_, err := nats.Connect(e.nats.URL())
	require.ErrorContains(t, err, "Authorization Violation")

	// Only the admin provisions the stream.
	_, catalogJS, _ := e.connect(t, "catalog")
	_, err = messaging.EnsureStream(refused(), catalogJS, 1, time.Minute)
	require.Error(t, err, "a service cannot create the stream")
	_, adminJS, _ := e.connect(t, messaging.NATSUserAdmin)
	_, err = messaging.EnsureStream(ctx, adminJS, 1, time.Minute)
	require.NoError(t, err)
	_, err = messaging.EnsureStream(ctx, adminJS, 1, 2*time.Minute)
	require.NoError(t, err, "the admin updates it")
	_, err = adminJS.Publish(refused(), "yaosu.catalog.asset.created", []byte("x"), jetstream.WithRetryAttempts(0))
	require.Error(t, err, "the admin publishes no events")

	// A service publishes its own events, and nobody else's.
	_, err = catalogJS.Publish(ctx, "yaosu.catalog.asset.created", []byte("x"))
	require.NoError(t, err)
	rightsNC, rightsJS, rightsErrs := e.connect(t, "rights")
	_, err = rightsJS.Publish(refused(), "yaosu.catalog.asset.created", []byte("forged"), jetstream.WithRetryAttempts(0))
	require.Error(t, err)
	requirePermissionViolation(t, rightsErrs, "yaosu.catalog.asset.created")
	require.True(t, rightsNC.IsConnected(), "a refused publish does not cost the connection")
	_, err = catalogJS.UpdateStream(refused(), messaging.StreamConfig(1, time.Second))
	require.Error(t, err, "a service cannot change the stream")

	// The rights service consumes through its durable consumer, and through no other.
	cons, err := rightsJS.CreateOrUpdateConsumer(ctx, messaging.StreamName, jetstream.ConsumerConfig{Durable: "rights-catalog",
		FilterSubjects: []string{"yaosu.catalog.asset.created", "yaosu.catalog.asset.registered"}, AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err)
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	require.NoError(t, err)
	for m := range batch.Messages() {
		require.Equal(t, "yaosu.catalog.asset.created", m.Subject())
		require.NoError(t, m.DoubleAck(ctx))
	}
	require.NoError(t, batch.Error())
	_, err = rightsJS.CreateOrUpdateConsumer(refused(), messaging.StreamName, jetstream.ConsumerConfig{Durable: "other", AckPolicy: jetstream.AckExplicitPolicy})
	require.Error(t, err)
	_, err = rightsJS.OrderedConsumer(refused(), messaging.StreamName, jetstream.OrderedConsumerConfig{})
	require.Error(t, err, "a service without ReadsStream cannot read the whole stream")

	// The auditor and the audit service read the whole stream; the auditor publishes
	// nothing, and neither can touch the rights service's durable consumer.
	for _, user := range []string{messaging.NATSUserAuditor, "audit"} {
		_, js, errs := e.connect(t, user)
		oc, err := js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{})
		require.NoError(t, err, user)
		msg, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
		require.NoError(t, err, user)
		require.Equal(t, "yaosu.catalog.asset.created", msg.Subject())
		_, err = js.CreateOrUpdateConsumer(refused(), messaging.StreamName, jetstream.ConsumerConfig{Durable: "rights-catalog",
			FilterSubject: "yaosu.>", AckPolicy: jetstream.AckExplicitPolicy})
		require.Error(t, err, "%s must not redefine a service's durable consumer", user)
		stolen, err := js.Consumer(ctx, messaging.StreamName, "rights-catalog")
		require.NoError(t, err, "consumer info is harmless")
		_, err = stolen.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err == nil {
			// The pull request itself is refused; the fetch just sees no messages.
			requirePermissionViolation(t, errs, "$JS.API.CONSUMER.MSG.NEXT."+messaging.StreamName+".rights-catalog")
		}
	}
	_, auditorJS, auditorErrs := e.connect(t, messaging.NATSUserAuditor)
	_, err = auditorJS.Publish(refused(), "yaosu.audit.checkpoint.signed", []byte("x"), jetstream.WithRetryAttempts(0))
	require.Error(t, err)
	requirePermissionViolation(t, auditorErrs, "yaosu.audit.checkpoint.signed")
	tail, err := auditorJS.CreateOrUpdateConsumer(ctx, messaging.StreamName, jetstream.ConsumerConfig{Durable: "audit-zhang",
		AckPolicy: jetstream.AckExplicitPolicy})
	require.NoError(t, err, "an auditor keeps durable consumers of its own")
	m, err := tail.Next(jetstream.FetchMaxWait(5 * time.Second))
	require.NoError(t, err)
	require.NoError(t, m.DoubleAck(ctx))

	// The audit service publishes its own events.
	_, auditJS, _ := e.connect(t, "audit")
	_, err = auditJS.Publish(ctx, "yaosu.audit.checkpoint.signed", []byte("x"))
	require.NoError(t, err)
}

// requirePermissionViolation waits for the server's report that a publish to subject was
// refused (other reports before it are skipped).
func requirePermissionViolation(t *testing.T, errs chan error, subject string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case err := <-errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), `"`+subject+`"`) {
				return
			}
		case <-deadline:
			t.Fatalf("no permissions violation reported for %s", subject)
		}
	}
}

func TestNATSConfigText(t *testing.T) {
	creds := t.TempDir()
	users := messaging.NATSUsers(accessServices)
	pubs := map[string]string{}
	for _, u := range users {
		pub, err := messaging.LoadOrCreateSeed(creds, u.Name, true)
		require.NoError(t, err)
		again, err := messaging.LoadOrCreateSeed(creds, u.Name, false)
		require.NoError(t, err)
		require.Equal(t, pub, again)
		st, err := os.Stat(messaging.SeedFile(creds, u.Name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		pubs[u.Name] = pub
	}
	_, err := messaging.LoadOrCreateSeed(creds, "missing", false)
	require.ErrorIs(t, err, os.ErrNotExist)

	text, err := messaging.NATSServerConfig{Users: users, PublicKeys: pubs, Listen: "0.0.0.0:4222", StoreDir: "/var/lib/nats",
		TLSCertFile: "/etc/nats/server.pem", TLSKeyFile: "/etc/nats/server-key.pem", TLSCAFile: "/etc/nats/ca.pem"}.Text()
	require.NoError(t, err)
	for _, want := range []string{`listen: "0.0.0.0:4222"`, `store_dir: "/var/lib/nats"`, `verify: true`, pubs["auditor"],
		`"$JS.API.STREAM.CREATE.YAOSU_EVENTS"`} {
		require.Contains(t, text, want)
	}
	// It is a valid nats-server configuration (TLS files aside, which must exist).
	withoutTLS, err := messaging.NATSServerConfig{Users: users, PublicKeys: pubs}.Text()
	require.NoError(t, err)
	require.NotContains(t, withoutTLS, "tls {")
	conf := filepath.Join(t.TempDir(), "nats.conf")
	require.NoError(t, os.WriteFile(conf, []byte(withoutTLS), 0o600))
	n := testkit.StartNATSWithConfig(t, withoutTLS)
	require.NotNil(t, n.Server)

	delete(pubs, "auditor")
	_, err = messaging.NATSServerConfig{Users: users, PublicKeys: pubs}.Text()
	require.ErrorContains(t, err, "auditor")
}

func TestCheckNATSServerVersion(t *testing.T) {
	for _, ok := range []string{"2.10.0", "2.10.22", "2.11.0", "2.15.2", "3.0.0"} {
		require.NoError(t, messaging.CheckNATSServerVersion(ok), ok)
	}
	for _, old := range []string{"2.9.25", "2.9.0", "2.10.0-beta.1", "1.4.1", "", "banana"} {
		err := messaging.CheckNATSServerVersion(old)
		require.Error(t, err, old)
		require.Contains(t, err.Error(), "2.10.0")
	}
	require.ErrorContains(t, messaging.CheckNATSServerVersion("2.9.25"), "version 2.9.25")
}

// The server this process embeds passes the start-up check.
func TestCheckNATSServer(t *testing.T) {
	n := testkit.StartNATS(t)
	nc, err := nats.Connect(n.URL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	require.NoError(t, messaging.CheckNATSServer(context.Background(), nc, js))
}

// The machine's Debian nats-server (2.9) on 127.0.0.1:4222, if it runs, is refused with a
// message naming its version. Read-only: nothing is created there.
func TestCheckNATSServerRefusesDebianNATS(t *testing.T) {
	c, err := net.DialTimeout("tcp", "127.0.0.1:4222", 500*time.Millisecond)
	if err != nil {
		t.Skip("no NATS server on 127.0.0.1:4222")
	}
	_ = c.Close()
	nc, err := nats.Connect("nats://127.0.0.1:4222", nats.Timeout(2*time.Second))
	if err != nil {
		t.Skipf("the server on 127.0.0.1:4222 does not accept us: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v := nc.ConnectedServerVersion()
	err = messaging.CheckNATSServer(ctx, nc, js)
	if messaging.CheckNATSServerVersion(v) == nil {
		t.Skipf("the server on 127.0.0.1:4222 is version %s, not an old one", v)
	}
	require.Error(t, err)
	require.Contains(t, err.Error(), "version "+v)
	require.True(t, strings.Contains(err.Error(), "2.10.0"), err.Error())
	t.Log(err)
}
