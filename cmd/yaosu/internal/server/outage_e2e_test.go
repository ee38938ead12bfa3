package server_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	catalogv1 "yaosu.dev/gen/go/yaosu/catalog/v1"
	"yaosu.dev/pkg/auth"
	"yaosu.dev/pkg/backoff"
	"yaosu.dev/pkg/testkit"
)

// The fault run's Postgres restart, for this test's database only: the server reaches
// Postgres through a proxy that the test cuts (every connection dropped mid-query, new
// ones hung up on, as during a restart) and restores, under 6 writers and 2 readers. The
// server must answer only OK or UNAVAILABLE (never INTERNAL), and a writer that retries
// UNAVAILABLE with the same request id must end with exactly one asset per acknowledged
// create, each with its event published.
func TestPostgresOutageAnswersUnavailableAndLosesNothing(t *testing.T) {
	var proxy *testkit.Proxy
	s := startStackVia(t, func(dsn string) string {
		via, p := testkit.ProxyDatabaseURL(t, dsn)
		proxy = p
		return via
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reg := s.as(t, ctx, orgA, auth.RoleRegistrar)

	var (
		mu       sync.Mutex
		statuses = map[codes.Code]int{}
		acked    = map[string]string{} // request id → asset name
		attempts = map[string]int{}    // request id → attempts
		oks      atomic.Int64
		down     atomic.Int64 // UNAVAILABLE answers
		bad      atomic.Int64 // anything but OK and UNAVAILABLE
	)
	count := func(err error) codes.Code {
		c := status.Code(err)
		mu.Lock()
		statuses[c]++
		mu.Unlock()
		switch c {
		case codes.OK:
		case codes.Unavailable:
			down.Add(1)
		default:
			bad.Add(1)
		}
		return c
	}
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; !stopped(); i++ {
				rid := uuid.NewString()
				req := &catalogv1.CreateAssetRequest{RequestId: rid,
					Asset: &catalogv1.Asset{DisplayName: fmt.Sprintf("writer %d asset %d", w, i), HolderOrganisation: orgA}}
				// The retry a client does: the same request, with its request id, until the
				// server takes it (only UNAVAILABLE means "send it again").
				b := backoff.Backoff{Min: 5 * time.Millisecond, Max: 100 * time.Millisecond}
				for {
					mu.Lock()
					attempts[rid]++
					mu.Unlock()
					resp, err := s.catalog.CreateAsset(reg, req)
					if c := count(err); c == codes.OK {
						mu.Lock()
						acked[rid] = resp.GetAsset().GetName()
						mu.Unlock()
						oks.Add(1)
						break
					} else if c != codes.Unavailable || !b.Sleep(ctx) {
						return
					}
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for !stopped() && ctx.Err() == nil {
				_, err := s.catalog.ListAssets(reg, &catalogv1.ListAssetsRequest{PageSize: 5})
				count(err)
				mu.Lock()
				var name string
				for _, n := range acked {
					name = n
					break
				}
				mu.Unlock()
				if name != "" {
					_, err := s.catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: name})
					count(err)
				}
			}
		})
	}

	// waitFor waits for cond, giving up at once when a status other than OK and
	// UNAVAILABLE was seen (the writers stop on one).
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		require.Eventually(t, func() bool { return bad.Load() > 0 || cond() }, time.Minute, 5*time.Millisecond, what)
		mu.Lock()
		defer mu.Unlock()
		require.Zero(t, bad.Load(), "%s: statuses other than OK and UNAVAILABLE: %v", what, statuses)
	}
	waitFor("load before the outage", func() bool { return oks.Load() >= 30 })
	cutAt := time.Now()
	proxy.Cut()
	waitFor("the server answers while its database is away", func() bool { return down.Load() >= 50 && proxy.Refused() > 0 })
	okDuringOutage := oks.Load()
	proxy.Restore()
	restoredAt := time.Now()
	waitFor("recovery", func() bool { return oks.Load() >= okDuringOutage+30 })
	recovered := time.Since(restoredAt)
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	t.Logf("outage %s, recovered %s after restore; statuses %v; %d creates acknowledged",
		restoredAt.Sub(cutAt).Round(time.Millisecond), recovered.Round(time.Millisecond), statuses, len(acked))
	require.Equal(t, []codes.Code{codes.OK, codes.Unavailable}, slices.Sorted(maps.Keys(statuses)),
		"only OK and UNAVAILABLE: %v", statuses)
	retried := 0
	for rid := range acked {
		if attempts[rid] > 1 {
			retried++
		}
	}
	require.Positive(t, retried, "some creates were retried through the outage")

	// Nothing lost, nothing twice: one asset per acknowledged request id, and every one's
	// event leaves the outbox once the relay has caught up.
	db, err := pgx.Connect(ctx, s.dsn)
	require.NoError(t, err)
	defer db.Close(context.Background())
	var assets int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM catalog.assets`).Scan(&assets))
	require.Equal(t, len(acked), assets, "exactly the acknowledged creates, none twice")
	for _, name := range acked {
		resp, err := s.catalog.GetAsset(reg, &catalogv1.GetAssetRequest{Name: name})
		require.NoError(t, err)
		require.Equal(t, name, resp.GetAsset().GetName())
	}
	require.Eventually(t, func() bool {
		var created, unpublished int
		err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE event_type = 'catalog.asset.created'),
			count(*) FILTER (WHERE published_at IS NULL) FROM catalog.outbox`).Scan(&created, &unpublished)
		return err == nil && created == len(acked) && unpublished == 0
	}, time.Minute, 10*time.Millisecond, "every acknowledged create's event is published")
}
