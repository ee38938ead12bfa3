package messaging_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
)

// BenchmarkRelayDrain measures how fast a relay empties a backlog of 10 000 outbox rows
// into JetStream, with and without signing each event; events/s is the figure to hold
// against the services' peak write rates (docs/architecture.md "Performance").
func BenchmarkRelayDrain(b *testing.B) {
	const backlog = 10_000
	for _, signed := range []bool{false, true} {
		b.Run(fmt.Sprintf("signed=%t", signed), func(b *testing.B) {
			e := newEnv(b)
			ctx := context.Background()
			cfg := messaging.RelayConfig{Schema: schema, PollInterval: time.Second}
			if signed {
				cfg.Key = e.key
			}
			var drained time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				evs := make([]*eventsv1.Event, backlog)
				for j := range evs {
					evs[j] = event(b, fmt.Sprintf("things/%d-%d", i, j), 1)
				}
				require.NoError(b, postgres.InTx(ctx, e.pool, func(tx pgx.Tx) error { return messaging.CopyAppend(ctx, tx, evs) }))
				r, err := messaging.NewRelay(e.pool, e.js, cfg, quiet)
				require.NoError(b, err)
				rctx, cancel := context.WithCancel(ctx)
				done := make(chan struct{})
				b.StartTimer()
				start := time.Now()
				go func() { defer close(done); _ = r.Run(rctx) }()
				// Wait on a ticker until the outbox is empty: the benchmark's end.
				tick := time.NewTicker(time.Millisecond)
				for e.unpublished(b) > 0 {
					<-tick.C
				}
				tick.Stop()
				drained += time.Since(start)
				b.StopTimer()
				cancel()
				<-done
			}
			b.ReportMetric(float64(backlog*b.N)/drained.Seconds(), "events/s")
		})
	}
}

// BenchmarkSign is the cost of signing one event of a typical size.
func BenchmarkSign(b *testing.B) {
	e := newEnv(b)
	m := e.signed(b, event(b, "things/x", 1))
	b.ReportAllocs()
	for b.Loop() {
		e.key.SignMsg(m)
	}
}

// BenchmarkVerify is the cost a consumer pays per event.
func BenchmarkVerify(b *testing.B) {
	e := newEnv(b)
	m := e.signed(b, event(b, "things/x", 1))
	h := m.Header.Get(messaging.HeaderSignature)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.ring.Verify(m.Subject, m.Data, h); err != nil {
			b.Fatal(err)
		}
	}
}
