// Package reconcile compares each service's outbox (the system of record) with the
// YAOSU_EVENTS stream and with the audit log, reports what is missing where, and
// republishes to the stream what it lacks. Republishing is safe: a message carries its
// event id as Nats-Msg-Id, and an event already in the stream is never sent again here.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"yaosu.dev/pkg/messaging"
)

// Outbox is one service's outbox to reconcile.
type Outbox struct {
	Service string
	Pool    *pgxpool.Pool
	// Key signs republished events, as the service's relay would (required to republish:
	// consumers reject unsigned events).
	Key *messaging.SigningKey
	// JS publishes them: a connection as the service's NATS user, the only one allowed to
	// publish its subjects. Nil uses the connection the stream is read with.
	JS jetstream.JetStream
}

// ServiceReport is what reconciliation found for one outbox.
type ServiceReport struct {
	Service string `json:"service"`
	// Events is the number of outbox rows.
	Events int `json:"events"`
	// Pending are rows the relay has not published yet (normal while it catches up).
	Pending int `json:"pending"`
	// MissingFromStream are rows marked published whose event is not in the stream.
	MissingFromStream []string `json:"missing_from_stream,omitempty"`
	// Republished are the events this run sent to the stream again.
	Republished int `json:"republished"`
	// MissingFromLog are events in the stream that the audit log does not hold yet.
	MissingFromLog int `json:"missing_from_log"`
}

// Report is the outcome of a run.
type Report struct {
	StreamMessages uint64 `json:"stream_messages"`
	// LogSize is the audit log's size (-1 when the audit schema was not checked).
	LogSize int64 `json:"log_size"`
	// UnknownInStream are stream messages of a reconciled source whose event id no outbox
	// holds: something published around the outbox.
	UnknownInStream []string        `json:"unknown_in_stream,omitempty"`
	Services        []ServiceReport `json:"services"`
}

// Clean reports whether nothing is missing anywhere (pending rows aside).
func (r Report) Clean() bool {
	if len(r.UnknownInStream) > 0 {
		return false
	}
	for _, s := range r.Services {
		if len(s.MissingFromStream) > s.Republished || s.MissingFromLog > 0 {
			return false
		}
	}
	return true
}

// streamEvent is what the stream says about one event.
type streamEvent struct {
	seq    uint64
	source string
}

// Run reconciles outboxes with the stream and, when auditPool is not nil, with the audit
// log. With republish, events missing from the stream are published again and their outbox
// rows marked with the new stream sequence.
func Run(ctx context.Context, js jetstream.JetStream, outboxes []Outbox, auditPool *pgxpool.Pool, republish bool) (Report, error) {
	stream, seen, err := readStream(ctx, js)
	if err != nil {
		return Report{}, err
	}
	rep := Report{StreamMessages: stream, LogSize: -1}
	var logSize int64
	if auditPool != nil {
		if err := auditPool.QueryRow(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM entries`).Scan(&logSize); err != nil {
			return Report{}, fmt.Errorf("audit log size: %w", err)
		}
		rep.LogSize = logSize
	}
	known := map[string]bool{}
	sources := map[string]bool{}
	for _, ob := range outboxes {
		sources["/yaosu/"+ob.Service] = true
		sr, err := reconcileOutbox(ctx, js, ob, seen, known, auditPool != nil, logSize, republish)
		if err != nil {
			return Report{}, fmt.Errorf("%s: %w", ob.Service, err)
		}
		rep.Services = append(rep.Services, sr)
	}
	for id, ev := range seen {
		if sources[ev.source] && !known[id] {
			rep.UnknownInStream = append(rep.UnknownInStream, id)
		}
	}
	return rep, nil
}

// readStream returns the stream's last sequence and, per event id, where it first appears.
func readStream(ctx context.Context, js jetstream.JetStream) (uint64, map[string]streamEvent, error) {
	s, err := js.Stream(ctx, messaging.StreamName)
	if err != nil {
		return 0, nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, nil, err
	}
	last := info.State.LastSeq
	seen := make(map[string]streamEvent, info.State.Msgs)
	if last == 0 {
		return 0, seen, nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, nil, err
	}
	for read := uint64(0); read < last; {
		batch, err := cons.FetchNoWait(1000)
		if err != nil {
			return 0, nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return 0, nil, err
			}
			read = md.Sequence.Stream
			id := m.Headers().Get(messaging.HeaderID)
			if _, dup := seen[id]; id != "" && !dup {
				seen[id] = streamEvent{seq: read, source: m.Headers().Get(messaging.HeaderSource)}
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return 0, nil, err
		}
		if n == 0 {
			select { // caught up with what the server has delivered so far
			case <-ctx.Done():
				return 0, nil, ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return last, seen, nil
}

func reconcileOutbox(ctx context.Context, js jetstream.JetStream, ob Outbox, seen map[string]streamEvent,
	known map[string]bool, checkLog bool, logSize int64, republish bool) (ServiceReport, error) {
	sr := ServiceReport{Service: ob.Service}
	rows, err := ob.Pool.Query(ctx, `SELECT seq, event_id::text, published_at IS NOT NULL, body FROM outbox ORDER BY seq`)
	if err != nil {
		return sr, err
	}
	type missing struct {
		seq  int64
		id   string
		body []byte
	}
	var lost []missing
	for rows.Next() {
		var seq int64
		var id string
		var published bool
		var body []byte
		if err := rows.Scan(&seq, &id, &published, &body); err != nil {
			rows.Close()
			return sr, err
		}
		sr.Events++
		known[id] = true
		ev, inStream := seen[id]
		switch {
		case !published:
			sr.Pending++
		case !inStream:
			sr.MissingFromStream = append(sr.MissingFromStream, id)
			lost = append(lost, missing{seq, id, body})
		case checkLog && int64(ev.seq) > logSize:
			sr.MissingFromLog++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sr, err
	}
	if !republish {
		return sr, nil
	}
	if len(lost) > 0 && ob.Key == nil {
		return sr, fmt.Errorf("%s: cannot republish without the service's event key", ob.Service)
	}
	if ob.JS != nil {
		js = ob.JS
	}
	for _, m := range lost {
		ev, err := messaging.Decode(m.body)
		if err != nil {
			return sr, fmt.Errorf("outbox seq %d: %w", m.seq, err)
		}
		msg := messaging.Message(ev, m.body)
		ob.Key.SignMsg(msg)
		ack, err := js.PublishMsg(ctx, msg)
		if err != nil {
			return sr, fmt.Errorf("republish %s: %w", m.id, err)
		}
		if _, err := ob.Pool.Exec(ctx, `UPDATE outbox SET stream_seq = $2, published_at = now() WHERE seq = $1`, m.seq, int64(ack.Sequence)); err != nil {
			return sr, err
		}
		sr.Republished++
	}
	return sr, nil
}
