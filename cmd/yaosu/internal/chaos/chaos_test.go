// Package chaos repeats, against real processes, the fault-and-attack run that found the
// defects of issue 12: two `yaosu serve all` replicas over a private Postgres cluster and
// a NATS server with JetStream, a load of writers, then kill -9, a NATS outage, a
// Postgres fast restart, interleaved suspend/reinstate across the replicas and forged
// events. It prints a table of what it saw and fails when an invariant breaks.
//
// `make test` runs the short profile; `make chaos` runs the full one (-chaos.full: NATS
// down 90 s, a longer load, more suspend/reinstate calls).
package chaos

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	rightsv1 "yaosu.dev/gen/go/yaosu/rights/v1"
	scenariov1 "yaosu.dev/gen/go/yaosu/scenario/v1"
)

// profile sizes a run.
type profile struct {
	name     string
	writers  int
	acks     int           // writes acknowledged under load before and after each fault
	killDown time.Duration // how long a killed replica stays down
	natsDown time.Duration // how long NATS is down
	flips    int           // suspend/reinstate calls per ordering round, plus one
}

var (
	shortProfile = profile{name: "short", writers: 8, acks: 200, killDown: time.Second, natsDown: 3 * time.Second, flips: 40}
	fullProfile  = profile{name: "full", writers: 8, acks: 3000, killDown: 5 * time.Second, natsDown: 90 * time.Second, flips: 200}
)

var full = flag.Bool("chaos.full", false, "run the full profile (make chaos) instead of the short one")

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos run: not in -short")
	}
	p := shortProfile
	if *full {
		p = fullProfile
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	h := newHarness(t, 2)
	rep := &report{profile: p}
	fixture := h.registerAndLink(ctx)

	l := h.startLoad(p.writers)
	h.must(l.waitForAcks(p.acks, 2*time.Minute), "load before faults")

	// 1. kill -9 a replica under load; the writers carry on through the other one.
	killed := h.replicas[0]
	start := time.Now()
	killed.kill()
	h.must(l.waitForAcks(p.acks/4, time.Minute), "writes while a replica is dead")
	h.must(waitFor(p.killDown), "wait")
	killed.start(killed.services...)
	back := killed.waitHealthy(time.Minute)
	rep.add("kill -9 replica 0 under load", fmt.Sprintf("down %s; healthy %s after restart", time.Since(start).Round(time.Millisecond)-back.Round(time.Millisecond), back.Round(time.Millisecond)), true)
	h.must(l.waitForAcks(p.acks, 2*time.Minute), "load after kill")

	// 2. NATS down: writes go on into the outboxes; the relays drain them when it returns.
	h.nats.Stop()
	down := time.Now()
	h.must(l.waitForAcks(p.acks/4, time.Minute), "writes while NATS is down")
	h.must(waitFor(p.natsDown-time.Since(down)), "wait")
	h.nats.Start()
	natsBack := time.Now()
	// What was written while NATS was down (the load goes on) is on the stream by then.
	drained := h.waitDrained(ctx, 2*time.Minute, h.outboxMarks(ctx))
	rep.add("NATS down", fmt.Sprintf("down %s; the outage's backlog drained %s after it returned", natsBack.Sub(down).Round(time.Millisecond), drained.Sub(natsBack).Round(time.Millisecond)), true)

	// 3. Postgres fast restart under load.
	h.must(l.waitForAcks(p.acks/4, time.Minute), "load before postgres restart")
	pgDown := h.restartPostgres()
	pgBack := time.Now()
	h.must(l.waitForAcks(p.acks/4, 2*time.Minute), "writes after postgres restart")
	first := l.firstOKAfter(pgBack)
	rep.add("Postgres fast restart", fmt.Sprintf("down %s; first write acknowledged %s after", pgDown.Round(time.Millisecond), first.Sub(pgBack).Round(time.Millisecond)), true)
	l.stop(2 * time.Minute)

	// 4. Interleaved suspend/reinstate through both replicas: the scenario service must end
	// where an in-order replay ends, both ways.
	for round, n := range []int{p.flips + 1, p.flips + 1} {
		h.flip(ctx, fixture, n)
		wantGrant, wantLink := rightsv1.GrantState_GRANT_STATE_SUSPENDED, scenariov1.LinkState_LINK_STATE_BLOCKED
		if round == 1 {
			wantGrant, wantLink = rightsv1.GrantState_GRANT_STATE_ACTIVE, scenariov1.LinkState_LINK_STATE_ACTIVE
		}
		h.waitDrained(ctx, time.Minute)
		got := h.grantState(ctx, fixture)
		var link scenariov1.LinkState
		err := poll(30*time.Second, 20*time.Millisecond, func() bool {
			link = h.linkState(ctx, fixture)
			return link == wantLink
		})
		rep.add(fmt.Sprintf("%d suspend/reinstate calls across replicas", n),
			fmt.Sprintf("grant %s (want %s), link %s (want %s)", got, wantGrant, link, wantLink),
			got == wantGrant && err == nil)
	}

	// Quiet: everything committed is on the stream and in the audit log, which verifies.
	h.waitDrained(ctx, 2*time.Minute)
	h.waitAudited(ctx, 2*time.Minute)
	h.checkWrites(ctx, rep, l)
	h.checkStream(ctx, rep)
	h.checkAudit(ctx, rep, "after the faults")

	// 5. Tampering with the stored log, each case on a copy of the database.
	h.tamperAll(ctx, rep)
	for _, r := range h.replicas {
		r.start(r.services...)
		r.waitHealthy(time.Minute)
	}

	// 6. Forged events: refused by the broker, or (a leaked seed) rejected by the consumers
	// and named by the auditor's check.
	h.forge(ctx, rep, fixture)
	h.waitAudited(ctx, 2*time.Minute)
	h.checkAudit(ctx, rep, "after the forgeries")

	t.Log("\n" + rep.table())
	if failed := rep.failed(); len(failed) > 0 {
		t.Fatalf("invariants broken:\n  %s", strings.Join(failed, "\n  "))
	}
}

// waitFor passes d on the wall clock: the faults last real time by design.
func waitFor(d time.Duration) error {
	if d > 0 {
		<-time.After(d)
	}
	return nil
}

// report is the run's table.
type report struct {
	profile profile
	rows    []row
	extra   []string // further tables, printed after the main one
}

type row struct {
	what, saw string
	ok        bool
}

func (r *report) add(what, saw string, ok bool) { r.rows = append(r.rows, row{what, saw, ok}) }

func (r *report) failed() []string {
	var out []string
	for _, x := range r.rows {
		if !x.ok {
			out = append(out, x.what+": "+x.saw)
		}
	}
	return out
}

func (r *report) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos run (%s profile)\n\n| case | seen | ok |\n|---|---|---|\n", r.profile.name)
	for _, x := range r.rows {
		ok := "yes"
		if !x.ok {
			ok = "**NO**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", x.what, strings.ReplaceAll(x.saw, "|", "/"), ok)
	}
	for _, e := range r.extra {
		b.WriteString("\n" + e)
	}
	return b.String()
}

// statusLine renders counts by status code, most frequent first.
func statusLine(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
