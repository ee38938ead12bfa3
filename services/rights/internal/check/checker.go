package check

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"yaosu.dev/services/rights/internal/domain"
)

// Loader reads the graph of one asset as it is now: the asset (nil if unknown), its grade
// rule and every grant on it with its current state, indexed (Graph.Index called). The
// store implements it. The checker keeps only the graph's CheckGraph.
type Loader interface {
	LoadGraph(ctx context.Context, assetID string) (*domain.Graph, error)
}

// Defaults of the options.
const (
	DefaultMaxAssets    = 100_000
	DefaultMaxAge       = 10 * time.Minute
	DefaultPingInterval = time.Second
	DefaultPingTimeout  = time.Second
	DefaultMaxDenials   = 100_000
)

const shardCount = 64

// Checker answers checks from a cache of asset graphs kept right by LISTEN/NOTIFY (see
// the package documentation). It is safe for concurrent use.
type Checker struct {
	loader Loader
	pool   *pgxpool.Pool
	now    func() time.Time
	// clock measures cache age; real time even when now is a test's frozen clock.
	clock func() time.Time
	cond  domain.ConditionFunc
	log   *slog.Logger

	maxAge                 time.Duration
	perShard               int
	pingEvery, pingTimeout time.Duration
	backoffMin, backoffMax time.Duration

	seed   maphash.Seed
	shards [shardCount]shard
	// caching is true while the listener is connected and the cache was cleared after
	// LISTEN; only then may a graph be served from or stored in the cache.
	caching atomic.Bool
	// epoch is incremented by every whole-cache invalidation (connect, disconnect, '*').
	epoch     atomic.Uint64
	ready     chan struct{}
	readyOnce sync.Once

	listenerPID   atomic.Uint32
	notifications atomic.Uint64

	denials denials
	metrics metrics
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*slot
}

// slot is one asset's cache entry. It exists while the asset has a graph cached or a load
// in flight, so an invalidation always finds the generation that in-flight loads read.
type slot struct {
	gen    uint64
	graph  *domain.CheckGraph
	loaded time.Time
	flight *flight
}

// flight is one load shared by concurrent misses on an asset.
type flight struct {
	done  chan struct{}
	gen   uint64
	epoch uint64
	graph *domain.CheckGraph
	err   error
}

// Option configures a Checker.
type Option func(*Checker)

// WithNow sets the clock that gives checks without a time their time (default time.Now).
func WithNow(now func() time.Time) Option { return func(c *Checker) { c.now = now } }

// WithLogger sets the logger of the listener and the denial flusher.
func WithLogger(l *slog.Logger) Option { return func(c *Checker) { c.log = l } }

// WithConditions sets how grant conditions are evaluated (default: NewConditions(0, 0).Eval).
func WithConditions(f domain.ConditionFunc) Option { return func(c *Checker) { c.cond = f } }

// WithMaxAssets bounds the number of cached graphs (default DefaultMaxAssets).
func WithMaxAssets(n int) Option {
	return func(c *Checker) { c.perShard = max(1, (n+shardCount-1)/shardCount) }
}

// WithMaxAge bounds how long a graph is served (default DefaultMaxAge; ≤ 0: no bound).
func WithMaxAge(d time.Duration) Option { return func(c *Checker) { c.maxAge = d } }

// WithPing sets how long the listener waits in silence before it pings its connection,
// and how long the ping may take before the connection is given up.
func WithPing(every, timeout time.Duration) Option {
	return func(c *Checker) { c.pingEvery, c.pingTimeout = every, timeout }
}

// WithReconnectBackoff sets the listener's reconnect delays (default 100 ms doubling to 5 s).
func WithReconnectBackoff(minDelay, maxDelay time.Duration) Option {
	return func(c *Checker) { c.backoffMin, c.backoffMax = minDelay, maxDelay }
}

// WithMaxDenialKeys bounds the distinct (organisation, asset, right, reason) keys counted
// between flushes (default DefaultMaxDenials); beyond it denials are counted under
// Organisation and AssetID "*", so totals stay exact.
func WithMaxDenialKeys(n int) Option { return func(c *Checker) { c.denials.max = n } }

// New returns a checker that loads graphs through loader and keeps them fresh by
// listening on a connection from pool, whose search_path must be the rights schema. With
// a nil pool nothing is ever cached. Call Run to listen; until it has connected, every
// check loads its graph.
func New(loader Loader, pool *pgxpool.Pool, opts ...Option) *Checker {
	c := &Checker{
		loader:      loader,
		pool:        pool,
		now:         time.Now,
		clock:       time.Now,
		log:         slog.Default(),
		maxAge:      DefaultMaxAge,
		perShard:    DefaultMaxAssets / shardCount,
		pingEvery:   DefaultPingInterval,
		pingTimeout: DefaultPingTimeout,
		backoffMin:  100 * time.Millisecond,
		backoffMax:  5 * time.Second,
		seed:        maphash.MakeSeed(),
		ready:       make(chan struct{}),
		denials:     denials{max: DefaultMaxDenials},
	}
	for _, o := range opts {
		o(c)
	}
	if c.cond == nil {
		c.cond = NewConditions(0, 0).Eval
	}
	for i := range c.shards {
		c.shards[i].m = map[string]*slot{}
	}
	c.denials.m = map[denialKey]*denialAgg{}
	c.metrics = newMetrics(c)
	return c
}

// Check answers in. A zero in.At means now. It evaluates the current graph of the asset
// (domain.Evaluate) at in.At; "as of" checks, which need the graph as it was, are not its
// business. An error (the graph could not be loaded) is never an allow. Denials are
// counted for FlushDenials.
func (c *Checker) Check(ctx context.Context, in domain.CheckInput) (domain.Decision, error) {
	if in.At.IsZero() {
		in.At = c.now()
	}
	g, src, err := c.graph(ctx, in.AssetID)
	if err != nil {
		c.metrics.loadError(ctx)
		return domain.Decision{}, err
	}
	d := g.Evaluate(in, c.cond) // domain.Evaluate over the graph's CheckGraph
	c.metrics.check(ctx, d.Allowed, src)
	if !d.Allowed {
		c.denials.add(in.Organisation, in.AssetID, in.Right, d.Denial, c.now())
	}
	return d, nil
}

// Condition returns the checker's condition evaluator, for evaluations outside the
// cache ("as of" checks, lookups: domain.Evaluate over a graph loaded for the purpose),
// so they share its compiled programs and cost limit.
func (c *Checker) Condition() domain.ConditionFunc { return c.cond }

// Ready is closed once the listener has connected for the first time (caching began).
func (c *Checker) Ready() <-chan struct{} { return c.ready }

// Caching reports whether the cache is in use: the listener is connected.
func (c *Checker) Caching() bool { return c.caching.Load() }

// source says where a check's graph came from (metrics).
type source int

const (
	fromCache source = iota
	fromLoad
	fromBypass
)

func (c *Checker) shardOf(key string) *shard {
	return &c.shards[maphash.String(c.seed, key)%shardCount]
}

func (c *Checker) load(ctx context.Context, assetID string) (*domain.CheckGraph, error) {
	g, err := c.loader.LoadGraph(ctx, assetID)
	if err != nil {
		return nil, fmt.Errorf("check: load assets/%s: %w", assetID, err)
	}
	if g == nil {
		return nil, fmt.Errorf("check: the loader returned no graph for assets/%s", assetID)
	}
	return g.CheckGraph(), nil
}

// graph returns the asset's graph from the cache, or loads it (storing it only if no
// invalidation came in between).
func (c *Checker) graph(ctx context.Context, assetID string) (*domain.CheckGraph, source, error) {
	if !canonicalUUID(assetID) || !c.caching.Load() {
		g, err := c.load(ctx, assetID)
		return g, fromBypass, err
	}
	sh := c.shardOf(assetID)
	sh.mu.RLock()
	s := sh.m[assetID]
	if s != nil && s.graph != nil && c.fresh(s) {
		g := s.graph
		sh.mu.RUnlock()
		return g, fromCache, nil
	}
	sh.mu.RUnlock()

	sh.mu.Lock()
	// The epoch is read before caching is re-checked: connect increments the epoch before
	// it sets caching, disconnect clears caching before it increments the epoch, so a load
	// that saw caching on stores only if no connect or disconnect happened since.
	epoch := c.epoch.Load()
	if !c.caching.Load() {
		sh.mu.Unlock()
		g, err := c.load(ctx, assetID)
		return g, fromBypass, err
	}
	s = sh.m[assetID]
	if s == nil {
		c.evictOne(sh)
		s = &slot{}
		sh.m[assetID] = s
	}
	if s.graph != nil && c.fresh(s) {
		g := s.graph
		sh.mu.Unlock()
		return g, fromCache, nil
	}
	f := s.flight
	if f != nil && f.gen == s.gen && f.epoch == epoch {
		sh.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fromLoad, ctx.Err()
		}
		if f.err == nil {
			return f.graph, fromLoad, nil
		}
		// The leader's failure may be its own (its context ended): try once for ourselves.
		g, err := c.load(ctx, assetID)
		return g, fromBypass, err
	}
	f = &flight{done: make(chan struct{}), gen: s.gen, epoch: epoch}
	s.flight = f
	sh.mu.Unlock()
	c.lead(ctx, sh, s, f, assetID)
	return f.graph, fromLoad, f.err
}

// lead runs a flight's load and stores its graph if the slot's generation and the epoch
// are still the flight's.
func (c *Checker) lead(ctx context.Context, sh *shard, s *slot, f *flight, assetID string) {
	f.err = errors.New("check: the graph load did not complete")
	start := c.clock()
	defer func() {
		sh.mu.Lock()
		if s.flight == f {
			s.flight = nil
		}
		if sh.m[assetID] == s {
			if f.err == nil && s.gen == f.gen && c.epoch.Load() == f.epoch {
				s.graph, s.loaded = f.graph, start
			}
			if s.graph == nil && s.flight == nil {
				delete(sh.m, assetID)
			}
		}
		sh.mu.Unlock()
		close(f.done)
	}()
	f.graph, f.err = c.load(ctx, assetID)
}

func (c *Checker) fresh(s *slot) bool {
	return c.maxAge <= 0 || c.clock().Sub(s.loaded) < c.maxAge
}

// evictOne makes room in a full shard: it drops an arbitrary slot without a load in
// flight (a slot with one must stay, it carries the generation the load will check).
func (c *Checker) evictOne(sh *shard) {
	if len(sh.m) < c.perShard {
		return
	}
	for k, s := range sh.m {
		if s.flight == nil {
			delete(sh.m, k)
			return
		}
	}
}

// Invalidate drops the cached graph of an asset; a load of it in flight will not be
// stored. The listener calls it for every notification; the service may call it after
// its own writes to see them before the notification arrives.
func (c *Checker) Invalidate(assetID string) {
	if !canonicalUUID(assetID) {
		return // never cached
	}
	sh := c.shardOf(assetID)
	sh.mu.Lock()
	if s := sh.m[assetID]; s != nil {
		s.gen++
		s.graph = nil
		if s.flight == nil {
			delete(sh.m, assetID)
		}
	}
	sh.mu.Unlock()
	c.metrics.invalidated(false)
}

// InvalidateAll drops every cached graph; no load in flight will be stored.
func (c *Checker) InvalidateAll() {
	c.epoch.Add(1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.m = map[string]*slot{}
		sh.mu.Unlock()
	}
	c.metrics.invalidated(true)
}

// cachedAssets counts the graphs cached (metrics and tests).
func (c *Checker) cachedAssets() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		for _, s := range sh.m {
			if s.graph != nil {
				n++
			}
		}
		sh.mu.RUnlock()
	}
	return n
}

// canonicalUUID reports whether id is a UUID in Postgres's output form (lower-case hex,
// 8-4-4-4-12): the only spelling notifications use, hence the only one safe to cache.
func canonicalUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		ch := id[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if (ch < '0' || ch > '9') && (ch < 'a' || ch > 'f') {
				return false
			}
		}
	}
	return true
}

var errNoPool = errors.New("check: no pool to listen on")
