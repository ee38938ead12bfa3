package check

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"yaosu.dev/services/rights/internal/domain"
)

const (
	assetA  = "0b4b1c1e-7a0e-4d8e-9f6a-3c2d1e0f9a8b"
	assetB  = "1c5c2d2f-8b1f-4e9f-8a7b-4d3e2f1a0b9c"
	holder  = "91350100MA8XXXXXX1"
	grantee = "91350100MA8YYYYYY2"
	subLic  = "91350100MA8ZZZZZZ3"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// memLoader serves graphs from memory; block, when set, holds each load until it is
// closed (after the graph was read, as a database load would have read it).
type memLoader struct {
	mu     sync.Mutex
	graphs map[string]*domain.Graph
	err    error
	block  chan struct{}
	loads  atomic.Int64
}

func (l *memLoader) LoadGraph(ctx context.Context, assetID string) (*domain.Graph, error) {
	l.loads.Add(1)
	l.mu.Lock()
	g, err, block := l.graphs[assetID], l.err, l.block
	l.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	if g == nil {
		g = &domain.Graph{}
		g.Index()
	}
	return g, nil
}

func (l *memLoader) set(id string, g *domain.Graph) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.graphs == nil {
		l.graphs = map[string]*domain.Graph{}
	}
	l.graphs[id] = g
}

// testGraph is asset id, held by holder, with one active grant to grantee for a year from
// t0, in state.
func testGraph(id string, state domain.State) *domain.Graph {
	g := &domain.Graph{
		Asset: &domain.Asset{ID: id, Holder: holder, Grade: "GRADE_GENERAL", State: "REGISTERED"},
		Rule:  domain.GradeRule{Grade: "GRADE_GENERAL", GrantsAllowed: true},
		Grants: map[string]*domain.Grant{"g1": {
			ID: "g1", AssetID: id, Right: domain.RightProcessingUse, Grantor: holder, Grantee: grantee, Depth: 1,
			Scope:     domain.Scope{Purposes: []string{"COMMERCE"}, DeliveryForms: []string{domain.FormAPI}},
			ValidFrom: t0, ValidUntil: t0.AddDate(1, 0, 0), State: state,
		}},
	}
	g.Index()
	return g
}

func useOf(asset string) domain.CheckInput {
	return domain.CheckInput{Organisation: grantee, AssetID: asset, Right: domain.RightProcessingUse,
		Purpose: "COMMERCE", DeliveryForm: domain.FormAPI, At: t0.Add(time.Hour)}
}

func mustCheck(t *testing.T, c *Checker, in domain.CheckInput) domain.Decision {
	t.Helper()
	d, err := c.Check(context.Background(), in)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	return d
}

// listening makes c behave as if its listener had just connected.
func listening(c *Checker) { c.connected() }

func TestCheckWithoutListenerLoadsEveryTime(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	c := New(l, nil)
	for range 3 {
		if d := mustCheck(t, c, useOf(assetA)); !d.Allowed || len(d.Chain) != 1 || d.Chain[0] != "grants/g1" {
			t.Fatalf("decision %+v", d)
		}
	}
	if c.Caching() || l.loads.Load() != 3 {
		t.Fatalf("caching %v with %d loads; want no cache and 3 loads", c.Caching(), l.loads.Load())
	}
	if err := c.Run(context.Background()); !errors.Is(err, errNoPool) {
		t.Fatalf("Run without a pool: %v", err)
	}
}

func TestCheckLoaderErrorIsNeverAnAllow(t *testing.T) {
	t.Parallel()
	boom := errors.New("database down")
	l := &memLoader{err: boom}
	c := New(l, nil)
	d, err := c.Check(context.Background(), useOf(assetA))
	if !errors.Is(err, boom) || d.Allowed {
		t.Fatalf("got %+v, %v; want the loader's error and no allow", d, err)
	}
	listening(c)
	d, err = c.Check(context.Background(), useOf(assetA))
	if !errors.Is(err, boom) || d.Allowed || c.cachedAssets() != 0 {
		t.Fatalf("cached: got %+v, %v, %d cached; want the loader's error, no allow, nothing cached", d, err, c.cachedAssets())
	}
}

type nilLoader struct{}

func (nilLoader) LoadGraph(context.Context, string) (*domain.Graph, error) { return nil, nil }

func TestCheckNilGraphIsAnError(t *testing.T) {
	t.Parallel()
	if d, err := New(nilLoader{}, nil).Check(context.Background(), useOf(assetA)); err == nil || d.Allowed {
		t.Fatalf("got %+v, %v; want an error", d, err)
	}
}

func TestCheckTimeDefaultsToNow(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	now := t0.Add(-time.Minute)
	c := New(l, nil, WithNow(func() time.Time { return now }))
	in := useOf(assetA)
	in.At = time.Time{}
	if d := mustCheck(t, c, in); d.Allowed || d.Denial != domain.DenyOutsideValidity {
		t.Fatalf("before the term: %+v", d)
	}
	now = t0
	if d := mustCheck(t, c, in); !d.Allowed {
		t.Fatalf("at the start of the term: %+v", d)
	}
	in.At = t0.AddDate(1, 0, 0) // an explicit time wins
	if d := mustCheck(t, c, in); d.Allowed {
		t.Fatalf("at the end of the term: %+v", d)
	}
}

func TestCacheServesUntilInvalidated(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	l.set(assetB, testGraph(assetB, domain.StateActive))
	c := New(l, nil)
	listening(c)
	mustCheck(t, c, useOf(assetA))
	mustCheck(t, c, useOf(assetA))
	mustCheck(t, c, useOf(assetB))
	if n := l.loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 (one per asset)", n)
	}
	l.set(assetA, testGraph(assetA, domain.StateRevoked))
	if d := mustCheck(t, c, useOf(assetA)); !d.Allowed {
		t.Fatalf("served from the cache until invalidated: %+v", d)
	}
	c.Invalidate(assetA)
	if d := mustCheck(t, c, useOf(assetA)); d.Allowed || d.Denial != domain.DenyGrantNotActive {
		t.Fatalf("after invalidation: %+v", d)
	}
	mustCheck(t, c, useOf(assetB))
	if n := l.loads.Load(); n != 3 {
		t.Fatalf("%d loads, want 3: invalidating A keeps B", n)
	}
	c.apply("*")
	mustCheck(t, c, useOf(assetA))
	mustCheck(t, c, useOf(assetB))
	if n := l.loads.Load(); n != 5 {
		t.Fatalf("%d loads, want 5: '*' drops everything", n)
	}
	c.apply("not a uuid") // unknown payloads drop everything too
	mustCheck(t, c, useOf(assetA))
	if n := l.loads.Load(); n != 6 {
		t.Fatalf("%d loads, want 6", n)
	}
}

func TestCacheOnlyCanonicalIDs(t *testing.T) {
	t.Parallel()
	upper := "0B4B1C1E-7A0E-4D8E-9F6A-3C2D1E0F9A8B"
	l := &memLoader{}
	l.set(upper, testGraph(upper, domain.StateActive))
	c := New(l, nil)
	listening(c)
	mustCheck(t, c, useOf(upper))
	mustCheck(t, c, useOf(upper))
	if n := l.loads.Load(); n != 2 || c.cachedAssets() != 0 {
		t.Fatalf("%d loads, %d cached: a non-canonical id must never be cached", n, c.cachedAssets())
	}
	for _, id := range []string{assetA, upper, "", "0b4b1c1e7a0e4d8e9f6a3c2d1e0f9a8b", "{0b4b1c1e-7a0e-4d8e-9f6a-3c2d1e0f9a8}",
		"0b4b1c1e-7a0e-4d8e-9f6a-3c2d1e0f9a8g", "0b4b1c1e77a0e-4d8e-9f6a-3c2d1e0f9a8b"} {
		if got, want := canonicalUUID(id), id == assetA; got != want {
			t.Errorf("canonicalUUID(%q) = %v", id, got)
		}
	}
}

func TestCacheNotUsedWhileDisconnected(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	c := New(l, nil)
	listening(c)
	mustCheck(t, c, useOf(assetA))
	c.disconnected()
	l.set(assetA, testGraph(assetA, domain.StateRevoked)) // a change whose notification is lost
	if d := mustCheck(t, c, useOf(assetA)); d.Allowed {
		t.Fatalf("served from the cache while disconnected: %+v", d)
	}
	mustCheck(t, c, useOf(assetA))
	if n, cached := l.loads.Load(), c.cachedAssets(); n != 3 || cached != 0 {
		t.Fatalf("%d loads, %d cached; want 3 loads and nothing cached while disconnected", n, cached)
	}
	listening(c)
	mustCheck(t, c, useOf(assetA))
	mustCheck(t, c, useOf(assetA))
	if n := l.loads.Load(); n != 4 {
		t.Fatalf("%d loads, want 4: caching resumes on reconnection", n)
	}
}

// A load that began before an invalidation must not be stored after it, or the cache
// would serve the revoked grant until the next change.
func TestLoadBeforeInvalidationIsNotStored(t *testing.T) {
	t.Parallel()
	for name, invalidate := range map[string]func(c *Checker){
		"asset":      func(c *Checker) { c.Invalidate(assetA) },
		"all":        func(c *Checker) { c.InvalidateAll() },
		"reconnect":  func(c *Checker) { c.disconnected(); c.connected() },
		"notify":     func(c *Checker) { c.apply(assetA) },
		"notify all": func(c *Checker) { c.apply("*") },
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := &memLoader{block: make(chan struct{})}
				l.set(assetA, testGraph(assetA, domain.StateActive))
				c := New(l, nil)
				listening(c)
				var stale domain.Decision
				done := make(chan struct{})
				go func() {
					defer close(done)
					stale = mustCheck(t, c, useOf(assetA))
				}()
				synctest.Wait() // the load has read the active grant and waits
				l.set(assetA, testGraph(assetA, domain.StateRevoked))
				invalidate(c)
				l.mu.Lock()
				close(l.block)
				l.block = nil
				l.mu.Unlock()
				<-done
				if !stale.Allowed {
					t.Fatalf("the check that raced the revocation answered from its own load: %+v", stale)
				}
				if d := mustCheck(t, c, useOf(assetA)); d.Allowed {
					t.Fatalf("the stale graph was stored: %+v", d)
				}
				if n := l.loads.Load(); n != 2 {
					t.Fatalf("%d loads, want 2", n)
				}
			})
		})
	}
}

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := &memLoader{block: make(chan struct{})}
		l.set(assetA, testGraph(assetA, domain.StateActive))
		c := New(l, nil)
		listening(c)
		var wg sync.WaitGroup
		var allowed atomic.Int64
		for range 20 {
			wg.Go(func() {
				if mustCheck(t, c, useOf(assetA)).Allowed {
					allowed.Add(1)
				}
			})
		}
		synctest.Wait()
		if n := l.loads.Load(); n != 1 {
			t.Fatalf("%d loads in flight, want 1", n)
		}
		close(l.block)
		wg.Wait()
		if allowed.Load() != 20 || l.loads.Load() != 1 || c.cachedAssets() != 1 {
			t.Fatalf("%d allowed, %d loads, %d cached", allowed.Load(), l.loads.Load(), c.cachedAssets())
		}
	})
}

// A waiter on another check's load does not inherit that check's cancellation.
func TestWaiterOutlivesLeaderCancellation(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := &memLoader{block: make(chan struct{})}
		l.set(assetA, testGraph(assetA, domain.StateActive))
		c := New(l, nil)
		listening(c)
		ctx, cancel := context.WithCancel(context.Background())
		leaderErr := make(chan error, 1)
		go func() {
			_, err := c.Check(ctx, useOf(assetA))
			leaderErr <- err
		}()
		synctest.Wait()
		var d domain.Decision
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			d, err = c.Check(context.Background(), useOf(assetA))
		}()
		synctest.Wait()
		l.mu.Lock()
		l.block = nil // the waiter's own load does not block
		l.mu.Unlock()
		cancel()
		if e := <-leaderErr; !errors.Is(e, context.Canceled) {
			t.Fatalf("leader: %v", e)
		}
		<-done
		if err != nil || !d.Allowed {
			t.Fatalf("waiter: %+v, %v", d, err)
		}
	})
}

func TestCacheMaxAge(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	c := New(l, nil, WithMaxAge(time.Minute))
	clock := time.Now()
	c.clock = func() time.Time { return clock }
	listening(c)
	mustCheck(t, c, useOf(assetA))
	clock = clock.Add(59 * time.Second)
	mustCheck(t, c, useOf(assetA))
	if n := l.loads.Load(); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	clock = clock.Add(2 * time.Second)
	mustCheck(t, c, useOf(assetA))
	if n := l.loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2 after max age", n)
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	c := New(l, nil, WithMaxAssets(shardCount))
	listening(c)
	ids := []string{assetA, assetB}
	for i := range 2000 {
		ids = append(ids, fakeUUID(i))
	}
	for _, id := range ids {
		mustCheck(t, c, useOf(id))
	}
	if n := c.cachedAssets(); n > shardCount || n == 0 {
		t.Fatalf("%d graphs cached, want 1..%d", n, shardCount)
	}
}

func fakeUUID(i int) string {
	const hex = "0123456789abcdef"
	b := []byte("00000000-0000-4000-8000-000000000000")
	for p := 35; i > 0; p-- {
		if b[p] == '-' {
			continue
		}
		b[p] = hex[i%16]
		i /= 16
	}
	return string(b)
}

func TestDeniedChecksAreCounted(t *testing.T) {
	t.Parallel()
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateSuspended))
	c := New(l, nil)
	mustCheck(t, c, useOf(assetA))
	mustCheck(t, c, useOf(assetA))
	in := useOf(assetA)
	in.Organisation = holder
	mustCheck(t, c, in) // allowed: not counted
	var got []DenialCount
	if err := c.FlushDenials(context.Background(), func(_ context.Context, counts []DenialCount) error {
		got = counts
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Count != 2 || got[0].Reason != domain.DenyGrantNotActive || got[0].AssetID != assetA ||
		got[0].Organisation != grantee || got[0].Right != domain.RightProcessingUse {
		t.Fatalf("counts %+v", got)
	}
}

// BenchmarkCheckCached is the in-process cost of a check served from the cache.
func BenchmarkCheckCached(b *testing.B) {
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	c := New(l, nil)
	listening(c)
	in := useOf(assetA)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if d, err := c.Check(context.Background(), in); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
}

// BenchmarkCheckCachedDenied includes counting the denial.
func BenchmarkCheckCachedDenied(b *testing.B) {
	l := &memLoader{}
	l.set(assetA, testGraph(assetA, domain.StateActive))
	c := New(l, nil)
	listening(c)
	in := useOf(assetA)
	in.Purpose = "TRANSPORT"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if d, err := c.Check(context.Background(), in); err != nil || d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
}

// versionLoader's graphs carry the version of the data they were read from.
type versionLoader struct {
	version atomic.Int64
	loads   atomic.Int64
}

func (l *versionLoader) LoadGraph(_ context.Context, assetID string) (*domain.Graph, error) {
	l.loads.Add(1)
	v := l.version.Load()
	runtime.Gosched() // let invalidations overtake the load
	g := testGraph(assetID, domain.StateActive)
	g.Asset.Revision = v
	g.Index()
	return g, nil
}

// Stress: once an invalidation has returned, no check that starts afterwards sees data
// older than the change it announced, whatever mix of asset, whole-cache and reconnect
// invalidations races with loads and hits.
func TestNoStaleReadAfterInvalidation(t *testing.T) {
	t.Parallel()
	l := &versionLoader{}
	c := New(l, nil)
	listening(c)
	var announced atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		defer cancel()
		for i := range 1000 {
			v := l.version.Add(1) // the commit
			switch i % 7 {
			case 0:
				c.InvalidateAll()
			case 1:
				c.disconnected()
				c.connected()
			default:
				c.apply(assetA)
			}
			announced.Store(v)
			runtime.Gosched()
		}
	})
	var bad atomic.Int64
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				min := announced.Load()
				g, _, err := c.graph(context.Background(), assetA)
				if err != nil || g.AssetRevision() < min {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d reads saw data older than an invalidation that had completed before they began", bad.Load())
	}
	if c.cachedAssets() > 1 {
		t.Fatalf("%d graphs cached", c.cachedAssets())
	}
	t.Logf("%d loads", l.loads.Load())
}

// BenchmarkCheckCachedCondition: a grant with a CEL condition.
func BenchmarkCheckCachedCondition(b *testing.B) {
	l := &memLoader{}
	g := testGraph(assetA, domain.StateActive)
	g.Grants["g1"].Condition = `context.project == "P-17" && request.region.startsWith("35")`
	g.Index()
	l.set(assetA, g)
	c := New(l, nil)
	listening(c)
	in := useOf(assetA)
	in.Context = map[string]any{"project": "P-17"}
	in.Region = "350102"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if d, err := c.Check(context.Background(), in); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	})
}
