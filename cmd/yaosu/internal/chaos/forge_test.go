package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	auditv1 "yaosu.dev/gen/go/yaosu/audit/v1"
	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/services/scenario"
)

// forgery is one way an attacker who reaches the broker tries to publish.
type forgery struct {
	who string
	// user is the NATS user whose seed the attacker holds ("" connects anonymously).
	user string
	// signWith is the service whose event key signs the forgery ("": unsigned).
	signWith string
	// leaked: with a leaked seed of the right service the broker takes the message; the
	// signature is what must stop it.
	leaked bool
}

// forge publishes `rights.grant.revoked` for the live grant, with the next revision
// number rights would use, in every way an attacker might, and checks that neither the
// scenario service nor rights acted on it.
func (h *harness) forge(ctx context.Context, rep *report, l linked) {
	h.t.Helper()
	for _, f := range forgeries {
		seq, err := h.publishForged(ctx, l, f)
		reached := seq > 0
		if reached && (h.firstForged == 0 || seq < h.firstForged) {
			h.firstForged = seq
		}
		// Whatever reached the stream, the consumers have now seen it.
		h.waitConsumed(ctx, scenario.ConsumerName)
		grant, link := h.grantState(ctx, l), h.linkState(ctx, l)
		saw := fmt.Sprintf("publish: %s; on stream: %v; grant %s, link %s", short(err), reached, grant, link)
		rep.add("forged rights.grant.revoked, "+f.who, saw, (!reached || f.leaked) &&
			grant == rightsv1.GrantState_GRANT_STATE_ACTIVE && link == scenariov1.LinkState_LINK_STATE_ACTIVE)
	}
}

// forgeries are the attempts, from an outsider to a holder of a leaked service seed.
var forgeries = []forgery{
	{who: "no NATS credentials"},
	{who: "as the auditor NATS user", user: "auditor"},
	{who: "as the scenario NATS user", user: "scenario"},
	{who: "rights' NATS seed leaked, unsigned", user: "rights", leaked: true},
	{who: "rights' NATS seed leaked, signed with the catalog's key", user: "rights", signWith: "catalog", leaked: true},
}

func short(err error) string {
	if err == nil {
		return "accepted"
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// publishForged connects as f says and publishes the forged event through JetStream; it
// returns the stream sequence the broker stored it at (0: refused).
func (h *harness) publishForged(ctx context.Context, l linked, f forgery) (uint64, error) {
	g, err := rightsv1.NewRightsServiceClient(h.replicas[0].conn).GetGrant(h.as(ctx, orgA, auth.RoleRightsAdmin), &rightsv1.GetGrantRequest{Name: l.grant})
	h.must(err, "get grant")
	forged := g.GetGrant()
	forged.State = rightsv1.GrantState_GRANT_STATE_REVOKED
	forged.Revision++
	ev, err := messaging.NewEvent(ctx, "rights", "rights.grant.revoked", l.grant, forged.GetRevision(),
		&eventsv1.GrantChanged{Grant: forged})
	h.must(err, "forged event")
	body, err := protoMarshal(ev)
	h.must(err, "marshal")
	msg := messaging.Message(ev, body)
	if f.signWith != "" {
		key, err := messaging.LoadOrCreateSigningKey(filepath.Join(h.dir, "event-keys"), f.signWith, false)
		h.must(err, "signing key")
		key.SignMsg(msg)
	}
	var opts []nats.Option
	if f.user != "" {
		opts, err = messaging.NATSConnectOptions(h.creds, f.user, messaging.NATSTLS{})
		h.must(err, "credentials")
	}
	// The broker refuses a publish asynchronously: keep its reason for the table.
	var refused atomic.Value
	opts = append(opts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { refused.Store(err) }))
	nc, err := nats.Connect(h.nats.URL(), opts...)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ack, err := js.PublishMsg(pctx, msg)
	if r, ok := refused.Load().(error); ok && err != nil {
		return 0, r
	}
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// waitConsumed waits until the durable consumer has nothing pending or unacknowledged.
func (h *harness) waitConsumed(ctx context.Context, durable string) {
	h.t.Helper()
	js, closeNC := h.js()
	defer closeNC()
	h.must(poll(time.Minute, 20*time.Millisecond, func() bool {
		c, err := js.Consumer(ctx, messaging.StreamName, durable)
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}), "consumer "+durable+" did not catch up")
}

// yaosuctl builds the CLI once and returns a runner that acts as an auditor of replica r
// with its config (pinned keys) in the run's directory.
func (h *harness) yaosuctl(r *replica) func(args ...string) (string, error) {
	h.t.Helper()
	ctl := filepath.Join(h.dir, "yaosuctl")
	if _, err := os.Stat(ctl); err != nil {
		if out, err := exec.Command("go", "build", "-o", ctl, "yaosu.dev/cmd/yaosuctl").CombinedOutput(); err != nil {
			h.t.Fatalf("build yaosuctl: %v\n%s", err, out)
		}
	}
	tok, err := auth.Mint(h.key, issuer, auth.Principal{Subject: "chaos-auditor", Organisation: orgB, Roles: []auth.Role{auth.RoleAuditor}}, time.Hour)
	h.must(err, "token")
	return func(args ...string) (string, error) {
		cmd := exec.Command(ctl, args...)
		cmd.Env = []string{"HOME=" + h.dir, "YAOSU_NATS_SEED_FILE=" + messaging.SeedFile(h.creds, "auditor"),
			"YAOSU_CONFIG_DIR=" + filepath.Join(h.dir, "ctl"), "YAOSU_ADDR=" + r.addr, "YAOSU_TOKEN=" + tok, "NATS_URL=" + h.nats.URL()}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
}

// verdict is the OK or FAIL line of `audit verify`, or its whole output when it has none.
func verdict(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "OK") || strings.HasPrefix(line, "FAIL") {
			return line
		}
	}
	return strings.TrimSpace(out)
}

// checkAudit runs the auditor's check the way an auditor does: pin the keys obtained out of
// band (the checkpoint key from the operator, the services' .pub files), then `yaosuctl
// audit verify`, which checks the stored log, the stream against it and every event's
// signature. It must pass, unless forgeries reached the stream (a leaked seed): the log
// holds them, and verify must fail naming the first of them and nothing earlier.
func (h *harness) checkAudit(ctx context.Context, rep *report, what string) {
	h.t.Helper()
	cp, err := auditv1.NewAuditServiceClient(h.replicas[0].conn).GetCheckpoint(h.as(ctx, orgB, auth.RoleAuditor), &auditv1.GetCheckpointRequest{})
	h.must(err, "checkpoint")
	h.verifierKey = cp.GetVerifierKey()
	ctl := h.yaosuctl(h.replicas[0])
	out, err := ctl("audit", "key", "--pin", "--key", h.verifierKey, "--event-keys", filepath.Join(h.dir, "event-keys"))
	h.must(err, "audit key --pin: "+out)
	out, err = ctl("audit", "verify")
	line := verdict(out)
	want := "index " + strconv.FormatUint(h.firstForged-1, 10) + ":"
	ok := err != nil && strings.HasPrefix(line, "FAIL") && strings.Contains(line, want)
	if h.firstForged == 0 {
		ok = err == nil
	}
	rep.add("yaosuctl audit verify (pinned keys) "+what, line, ok)
}

func protoMarshal(ev *eventsv1.Event) ([]byte, error) { return proto.Marshal(ev) }
