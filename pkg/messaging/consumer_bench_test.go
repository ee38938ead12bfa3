package messaging_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/wrapperspb"

	eventsv1 "yaosu.dev/gen/go/yaosu/events/v1"
	"yaosu.dev/pkg/messaging"
)

// BenchmarkConsumer measures how fast one and two replicas drain 5 000 events over 50
// resources with a state-setting handler (one upsert), the revision guard included, and
// how many events they skipped as stale. Run with -benchtime 1x.
func BenchmarkConsumer(b *testing.B) {
	const events, resources = 5000, 50
	for _, replicas := range []int{1, 2} {
		b.Run(fmt.Sprintf("replicas=%d", replicas), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				e := newEnv(b)
				ctx, cancel := context.WithCancel(context.Background())
				if _, err := e.pool.Exec(ctx, `CREATE TABLE things (resource text PRIMARY KEY, rev bigint NOT NULL)`); err != nil {
					b.Fatal(err)
				}
				h := func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
					_, err := tx.Exec(ctx, `INSERT INTO things (resource, rev) VALUES ($1, $2)
						ON CONFLICT (resource) DO UPDATE SET rev = excluded.rev`, ev.GetSubject(), ev.GetResourceRevision())
					return err
				}
				for i := range events {
					ev, err := messaging.NewEvent(ctx, "test", "test.thing.changed", fmt.Sprintf("things/%d", i%resources),
						int64(i/resources+1), wrapperspb.String("x"))
					if err != nil {
						b.Fatal(err)
					}
					publish(b, e, ev, ev.GetId())
				}
				cfg := messaging.ConsumerConfig{Name: "bench", FilterSubjects: []string{"yaosu.test.>"}, Keyring: e.ring}
				done := make(chan error, replicas)
				b.StartTimer()
				start := time.Now()
				for range replicas {
					c := messaging.NewConsumer(e.pool, e.js, cfg, h, quiet)
					go func() { done <- c.Run(ctx) }()
				}
				// Wait for the condition below on a ticker: a benchmark's end, not a pause.
				tick := time.NewTicker(5 * time.Millisecond)
				for {
					var n int
					if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events WHERE consumer = 'bench'`).Scan(&n); err != nil {
						b.Fatal(err)
					}
					if n == events {
						break
					}
					if time.Since(start) > 5*time.Minute {
						b.Fatalf("%d of %d events handled after 5 minutes", n, events)
					}
					<-tick.C
				}
				tick.Stop()
				elapsed := time.Since(start)
				b.StopTimer()
				var applied int
				if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM things`).Scan(&applied); err != nil {
					b.Fatal(err)
				}
				var behind int
				if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM things WHERE rev <> $1`, events/resources).Scan(&behind); err != nil {
					b.Fatal(err)
				}
				if applied != resources || behind != 0 {
					b.Fatalf("final state: %d resources, %d not at their last revision", applied, behind)
				}
				b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
				cancel()
				for range replicas {
					<-done
				}
				b.StartTimer()
			}
		})
	}
}
