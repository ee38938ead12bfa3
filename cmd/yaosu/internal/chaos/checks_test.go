package chaos

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"yaosu.dev/pkg/messaging"
)

// schemas are the services whose outboxes feed the stream.
var schemas = []string{"catalog", "rights", "scenario", "audit"}

// outboxMarks is each outbox's newest row now.
func (h *harness) outboxMarks(ctx context.Context) map[string]int64 {
	h.t.Helper()
	conn := h.db(ctx)
	defer conn.Close(ctx)
	marks := map[string]int64{}
	for _, s := range schemas {
		var m int64
		h.must(conn.QueryRow(ctx, fmt.Sprintf(`SELECT COALESCE(max(seq), 0) FROM %s.outbox`, s)).Scan(&m), "outbox mark")
		marks[s] = m
	}
	return marks
}

// waitDrained waits until no outbox holds an unpublished event and returns when that was.
// Under load there is always a newest event on its way: with marks, it waits only for the
// events up to each outbox's mark (outboxMarks).
func (h *harness) waitDrained(ctx context.Context, within time.Duration, marks ...map[string]int64) time.Time {
	h.t.Helper()
	conn := h.db(ctx)
	defer conn.Close(ctx)
	upTo := func(s string) int64 {
		if len(marks) == 0 {
			return 1<<63 - 1
		}
		return marks[0][s]
	}
	pending := map[string]int{}
	err := poll(within, 50*time.Millisecond, func() bool {
		for _, s := range schemas {
			var n int
			if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s.outbox WHERE published_at IS NULL AND seq <= $1`, s), upTo(s)).Scan(&n); err != nil || n > 0 {
				pending[s] = n
				return false
			}
		}
		return true
	})
	if err != nil {
		for _, r := range h.replicas {
			h.t.Logf("replica %s (log %s):\n%s", r.name, r.log, r.tail())
			r.dump()
		}
		h.keepLogs()
		h.t.Fatalf("outboxes not drained within %s: pending %v", within, pending)
	}
	return time.Now()
}

// js connects to the stream as the auditor NATS user: it reads and publishes nothing.
func (h *harness) js() (jetstream.JetStream, func()) {
	h.t.Helper()
	opts, err := messaging.NATSConnectOptions(h.creds, "auditor", messaging.NATSTLS{})
	h.must(err, "auditor credentials")
	nc, err := nats.Connect(h.nats.URL(), opts...)
	h.must(err, "connect to NATS as the auditor")
	js, err := jetstream.New(nc)
	h.must(err, "jetstream")
	return js, nc.Close
}

// waitAudited waits until the audit log holds every message of the stream.
func (h *harness) waitAudited(ctx context.Context, within time.Duration) {
	h.t.Helper()
	js, closeNC := h.js()
	defer closeNC()
	conn := h.db(ctx)
	defer conn.Close(ctx)
	h.must(poll(within, 100*time.Millisecond, func() bool {
		st, err := js.Stream(ctx, messaging.StreamName)
		if err != nil {
			return false
		}
		var size uint64
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM audit.entries`).Scan(&size); err != nil {
			return false
		}
		return size == st.CachedInfo().State.LastSeq
	}), "audit log did not catch up with the stream")
}

// checkWrites: every acknowledged write exists once; nothing failed with a status a
// client cannot act on.
func (h *harness) checkWrites(ctx context.Context, rep *report, l *load) {
	h.t.Helper()
	conn := h.db(ctx)
	defer conn.Close(ctx)
	ids := make([]string, 0, len(l.acked))
	for _, name := range l.acked {
		ids = append(ids, name[len("assets/"):])
	}
	var present int
	h.must(conn.QueryRow(ctx, `SELECT count(*) FROM catalog.assets WHERE id = ANY($1::uuid[])`, ids).Scan(&present), "count acknowledged")
	var dup int
	h.must(conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT display_name FROM catalog.assets WHERE summary = 'chaos run'
		GROUP BY display_name HAVING count(*) > 1) d`).Scan(&dup), "count duplicates")
	lost := len(ids) - present
	rep.add("writes acknowledged / lost / duplicated", fmt.Sprintf("%d / %d / %d", len(ids), lost, dup), lost == 0 && dup == 0)
	rep.add("writes unresolved / refused", fmt.Sprintf("%d / %d %v", len(l.unresolved), len(l.rejected), firstOf(l.rejected)),
		len(l.unresolved) == 0 && len(l.rejected) == 0)
	st := l.statuses.snapshot()
	rep.add("statuses seen by the writers", statusLine(st), st["Internal"] == 0 && st["Unknown"] == 0)
}

func firstOf(m map[string]string) string {
	for k, v := range m {
		return k + " " + v
	}
	return ""
}

// checkStream reads the whole stream: every outbox event is on it exactly once, and each
// resource's revisions never fall in stream order (one change may publish several events
// that share its revision).
func (h *harness) checkStream(ctx context.Context, rep *report) {
	h.t.Helper()
	js, closeNC := h.js()
	defer closeNC()
	cons, err := js.OrderedConsumer(ctx, messaging.StreamName, jetstream.OrderedConsumerConfig{})
	h.must(err, "ordered consumer")
	st, err := js.Stream(ctx, messaging.StreamName)
	h.must(err, "stream info")
	last := st.CachedInfo().State.LastSeq
	seen := map[string]int{}
	lastRev := map[string]int64{}
	outOfOrder, example := 0, ""
	for seq := uint64(0); seq < last; {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		h.must(err, "fetch")
		n := 0
		for m := range batch.Messages() {
			n++
			meta, _ := m.Metadata()
			seq = meta.Sequence.Stream
			ev, err := messaging.Decode(m.Data())
			if err != nil || ev.GetId() == "" {
				continue
			}
			seen[ev.GetId()]++
			if r, ok := lastRev[ev.GetSubject()]; ok && ev.GetResourceRevision() < r && ev.GetSubject() != "" {
				outOfOrder++
				if example == "" {
					example = fmt.Sprintf(" (first: seq %d %s %s rev %d after rev %d)", seq, ev.GetType(), ev.GetSubject(), ev.GetResourceRevision(), r)
				}
			}
			lastRev[ev.GetSubject()] = ev.GetResourceRevision()
		}
		h.must(batch.Error(), "fetch batch")
		if n == 0 {
			h.t.Fatalf("stream read stopped at %d of %d", seq, last)
		}
	}
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	conn := h.db(ctx)
	defer conn.Close(ctx)
	missing, total := 0, 0
	for _, s := range schemas {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT event_id::text FROM %s.outbox`, s))
		h.must(err, "outbox ids")
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		h.must(err, "outbox ids")
		for _, id := range ids {
			total++
			if seen[id] == 0 {
				missing++
			}
		}
	}
	rep.add("outbox events / missing from stream / duplicated on stream", fmt.Sprintf("%d / %d / %d", total, missing, dups), missing == 0 && dups == 0)
	rep.add("stream: a resource's revision below the one before it", fmt.Sprint(outOfOrder)+example, outOfOrder == 0)
}
