package check

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"yaosu.dev/pkg/messaging"
	"yaosu.dev/pkg/postgres"
	"yaosu.dev/pkg/testkit"
	"yaosu.dev/services/rights/internal/domain"
)

// rightsDB returns a pool on a fresh database with the rights schema migrated.
func rightsDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := testkit.Database(t, testkit.Schemas{"rights": messaging.ServiceMigrations(os.DirFS("../../migrations"), ".")})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := postgres.Connect(ctx, url, "rights", 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// sqlLoader is a small Loader over the rights tables, independent of the store package.
type sqlLoader struct {
	pool  *pgxpool.Pool
	loads atomic.Int64
	// hook, when set, runs after the graph was read and before it is returned.
	hook atomic.Pointer[func()]
}

func (l *sqlLoader) LoadGraph(ctx context.Context, assetID string) (*domain.Graph, error) {
	l.loads.Add(1)
	g := &domain.Graph{Grants: map[string]*domain.Grant{}}
	var a domain.Asset
	err := l.pool.QueryRow(ctx, `SELECT id::text, holder_organisation, grade, state, revision FROM assets WHERE id = $1`, assetID).
		Scan(&a.ID, &a.Holder, &a.Grade, &a.State, &a.Revision)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		g.Index()
		return g, nil
	case err != nil:
		return nil, err
	}
	g.Asset = &a
	g.Rule.Grade = a.Grade
	err = l.pool.QueryRow(ctx, `SELECT grants_allowed, forbidden_delivery_forms FROM grade_policy WHERE grade = $1`, a.Grade).
		Scan(&g.Rule.GrantsAllowed, &g.Rule.ForbiddenDeliveryForms)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	rows, err := l.pool.Query(ctx, `SELECT id::text, asset_id::text, right_kind, grantor_organisation, grantee_organisation,
		coalesce(parent_id::text, ''), depth, purposes, delivery_forms, regions, valid_from, valid_until, exclusive,
		sublicense_depth, condition, state, create_time FROM grants WHERE asset_id = $1`, assetID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var gr domain.Grant
		if err := rows.Scan(&gr.ID, &gr.AssetID, &gr.Right, &gr.Grantor, &gr.Grantee, &gr.ParentID, &gr.Depth,
			&gr.Scope.Purposes, &gr.Scope.DeliveryForms, &gr.Scope.Regions, &gr.ValidFrom, &gr.ValidUntil, &gr.Exclusive,
			&gr.SublicenseDepth, &gr.Condition, &gr.State, &gr.CreateTime); err != nil {
			return nil, err
		}
		g.Grants[gr.ID] = &gr
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	g.Index()
	if h := l.hook.Load(); h != nil {
		(*h)()
	}
	return g, nil
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func insertAsset(t *testing.T, pool *pgxpool.Pool, id, grade string) {
	t.Helper()
	exec(t, pool, `INSERT INTO assets (id, holder_organisation, grade, state, registration_number, revision, update_time)
		VALUES ($1, $2, $3, 'REGISTERED', 'R-1', 1, now())`, id, holder, grade)
}

// insertGrant inserts an ACTIVE grant of processing-use for COMMERCE over API, valid for a
// year from t0, and returns its id.
func insertGrant(t *testing.T, pool *pgxpool.Pool, assetID, grantor, grantee, parent string, depth int) string {
	t.Helper()
	id := newUUID()
	var parentID *string
	if parent != "" {
		parentID = &parent
	}
	exec(t, pool, `INSERT INTO grants (id, asset_id, right_kind, grantor_organisation, grantee_organisation, parent_id, depth,
		legal_basis, purposes, delivery_forms, valid_from, valid_until, exclusive, sublicense_depth, fee_terms, state,
		requester, requester_organisation, revision, create_time, update_time)
		VALUES ($1, $2, 'PROCESSING_USE', $3, $4, $5, $6, '{"kind":"CONTRACT"}', '{COMMERCE}', '{API}', $7, $8, false, 1,
		'FREE_CONDITIONAL', 'ACTIVE', 'u', $3, 1, now(), now())`,
		id, assetID, grantor, grantee, parentID, depth, t0, t0.AddDate(1, 0, 0))
	return id
}

// runChecker starts c's listener for the test and waits until it listens.
func runChecker(t *testing.T, c *Checker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-c.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not connect within 10s")
	}
}

// untilDenied checks until the check is denied and returns how long that took after
// start; it fails the test after limit.
func untilDenied(t *testing.T, c *Checker, in domain.CheckInput, start time.Time, limit time.Duration) (time.Duration, domain.Decision) {
	t.Helper()
	for {
		d := mustCheck(t, c, in)
		if !d.Allowed {
			return time.Since(start), d
		}
		if time.Since(start) > limit {
			t.Fatalf("still allowed %v after the change", limit)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func TestRevocationStopsAllowingWithin100ms(t *testing.T) {
	t.Parallel()
	pool := rightsDB(t)
	asset := newUUID()
	insertAsset(t, pool, asset, "GRADE_GENERAL")
	first := insertGrant(t, pool, asset, holder, grantee, "", 1)
	insertGrant(t, pool, asset, grantee, subLic, first, 2)
	l := &sqlLoader{pool: pool}
	c := New(l, pool)
	runChecker(t, c)

	sub := useOf(asset)
	sub.Organisation = subLic
	for range 3 {
		if d := mustCheck(t, c, useOf(asset)); !d.Allowed {
			t.Fatalf("before: %+v", d)
		}
		if d := mustCheck(t, c, sub); !d.Allowed || len(d.Chain) != 2 {
			t.Fatalf("sub-licensee before: %+v", d)
		}
	}
	if n := l.loads.Load(); n != 1 {
		t.Fatalf("%d loads to prime, want 1", n)
	}

	exec(t, pool, `UPDATE grants SET state = 'REVOKED', revision = revision + 1 WHERE id = $1`, first)
	start := time.Now()
	took, d := untilDenied(t, c, useOf(asset), start, 100*time.Millisecond)
	if d.Denial != domain.DenyGrantNotActive {
		t.Fatalf("denial %+v", d)
	}
	if d := mustCheck(t, c, sub); d.Allowed || d.Denial != domain.DenyChainBroken {
		t.Fatalf("the sub-licence beneath the revoked grant: %+v", d)
	}
	t.Logf("denied %v after the revocation committed", took)
	// The checker caches again after the reload.
	loads := l.loads.Load()
	mustCheck(t, c, useOf(asset))
	if n := l.loads.Load(); n != loads {
		t.Fatalf("%d loads after %d: not cached again", n, loads)
	}
}

func TestPolicyAndAssetChangesInvalidate(t *testing.T) {
	t.Parallel()
	pool := rightsDB(t)
	a1, a2 := newUUID(), newUUID()
	insertAsset(t, pool, a1, "GRADE_IMPORTANT")
	insertAsset(t, pool, a2, "GRADE_GENERAL")
	insertGrant(t, pool, a1, holder, grantee, "", 1)
	insertGrant(t, pool, a2, holder, grantee, "", 1)
	c := New(&sqlLoader{pool: pool}, pool)
	runChecker(t, c)
	for _, a := range []string{a1, a2} {
		if d := mustCheck(t, c, useOf(a)); !d.Allowed {
			t.Fatalf("%s before: %+v", a, d)
		}
	}
	// The registry forbids API delivery of important data: '*' drops every graph.
	exec(t, pool, `UPDATE grade_policy SET forbidden_delivery_forms = '{RAW_COPY,API}' WHERE grade = 'GRADE_IMPORTANT'`)
	if _, d := untilDenied(t, c, useOf(a1), time.Now(), time.Second); d.Denial != domain.DenyGradePolicy {
		t.Fatalf("after the policy change: %+v", d)
	}
	if d := mustCheck(t, c, useOf(a2)); !d.Allowed {
		t.Fatalf("general data after the policy change: %+v", d)
	}
	// The catalog suspends the asset.
	exec(t, pool, `UPDATE assets SET state = 'SUSPENDED', revision = 2 WHERE id = $1`, a2)
	if _, d := untilDenied(t, c, useOf(a2), time.Now(), time.Second); d.Denial != domain.DenyAssetSuspended {
		t.Fatalf("after suspension: %+v", d)
	}
	// An asset unknown when first asked about, registered later.
	a3 := newUUID()
	if d := mustCheck(t, c, useOf(a3)); d.Denial != domain.DenyAssetUnknown {
		t.Fatalf("unknown asset: %+v", d)
	}
	in := useOf(a3)
	in.Organisation = holder
	insertAsset(t, pool, a3, "GRADE_GENERAL")
	deadline := time.Now().Add(time.Second)
	for !mustCheck(t, c, in).Allowed {
		if time.Now().After(deadline) {
			t.Fatal("the new asset's holder is still denied after 1s")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// A load that read the grant before its revocation committed, and finished after the
// notification arrived, must not be stored.
func TestStaleLoadIsNotStored(t *testing.T) {
	t.Parallel()
	pool := rightsDB(t)
	asset := newUUID()
	insertAsset(t, pool, asset, "GRADE_GENERAL")
	g := insertGrant(t, pool, asset, holder, grantee, "", 1)
	l := &sqlLoader{pool: pool}
	c := New(l, pool)
	runChecker(t, c)

	loaded, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func() {
		once.Do(func() {
			close(loaded)
			<-release
		})
	}
	l.hook.Store(&hook)
	result := make(chan domain.Decision, 1)
	go func() {
		d, err := c.Check(context.Background(), useOf(asset))
		if err != nil {
			t.Error(err)
		}
		result <- d
	}()
	<-loaded // the load has read the active grant
	before := c.notifications.Load()
	exec(t, pool, `UPDATE grants SET state = 'REVOKED' WHERE id = $1`, g)
	deadline := time.Now().Add(5 * time.Second)
	for c.notifications.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("no notification within 5s")
		}
		time.Sleep(100 * time.Microsecond)
	}
	close(release)
	if d := <-result; !d.Allowed {
		t.Fatalf("the racing check answers from what it read: %+v", d)
	}
	if d := mustCheck(t, c, useOf(asset)); d.Allowed {
		t.Fatalf("the stale graph was stored: %+v", d)
	}
	if n := l.loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2", n)
	}
}

// When the listener's connection dies, the checker stops caching until it has listened
// again, and then starts from an empty cache: changes made meanwhile are seen.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	pool := rightsDB(t)
	asset := newUUID()
	insertAsset(t, pool, asset, "GRADE_GENERAL")
	g := insertGrant(t, pool, asset, holder, grantee, "", 1)
	l := &sqlLoader{pool: pool}
	c := New(l, pool, WithReconnectBackoff(200*time.Millisecond, time.Second))
	runChecker(t, c)
	mustCheck(t, c, useOf(asset))
	mustCheck(t, c, useOf(asset))
	if n := l.loads.Load(); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}

	pid := c.listenerPID.Load()
	exec(t, pool, `SELECT pg_terminate_backend($1)`, int32(pid))
	deadline := time.Now().Add(5 * time.Second)
	for c.Caching() {
		if time.Now().After(deadline) {
			t.Fatal("still caching 5s after the listener's connection was terminated")
		}
		time.Sleep(100 * time.Microsecond)
	}
	// While disconnected: every check loads, so a change (whose notification nobody
	// hears) is seen at once.
	loads := l.loads.Load()
	exec(t, pool, `UPDATE grants SET state = 'SUSPENDED' WHERE id = $1`, g)
	if d := mustCheck(t, c, useOf(asset)); d.Allowed || d.Denial != domain.DenyGrantNotActive {
		t.Fatalf("while disconnected: %+v", d)
	}
	if l.loads.Load() == loads {
		t.Fatal("a check was served from the cache while disconnected")
	}
	for !c.Caching() {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not reconnect within 5s")
		}
		time.Sleep(100 * time.Microsecond)
	}
	if pid2 := c.listenerPID.Load(); pid2 == pid || pid2 == 0 {
		t.Fatalf("listener pid %d after %d", pid2, pid)
	}
	// Listening again: reinstating is noticed.
	if d := mustCheck(t, c, useOf(asset)); d.Allowed {
		t.Fatalf("after reconnection: %+v", d)
	}
	exec(t, pool, `UPDATE grants SET state = 'ACTIVE' WHERE id = $1`, g)
	deadline = time.Now().Add(time.Second)
	for !mustCheck(t, c, useOf(asset)).Allowed {
		if time.Now().After(deadline) {
			t.Fatal("the reinstated grant is still denied after 1s")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// A quiet listener pings its connection, and stays connected.
func TestListenerPingsWhenQuiet(t *testing.T) {
	t.Parallel()
	pool := rightsDB(t)
	asset := newUUID()
	insertAsset(t, pool, asset, "GRADE_GENERAL")
	g := insertGrant(t, pool, asset, holder, grantee, "", 1)
	c := New(&sqlLoader{pool: pool}, pool, WithPing(10*time.Millisecond, time.Second))
	runChecker(t, c)
	pid := c.listenerPID.Load()
	mustCheck(t, c, useOf(asset))
	// The pings show in pg_stat_activity as the connection's last query.
	var pings int
	deadline := time.Now().Add(5 * time.Second)
	for pings < 3 {
		var q string
		if err := pool.QueryRow(context.Background(), `SELECT query FROM pg_stat_activity WHERE pid = $1`, int32(pid)).Scan(&q); err != nil {
			t.Fatal(err)
		}
		if q == "SELECT 1" {
			pings++
		}
		if time.Now().After(deadline) {
			t.Fatal("no pings seen")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !c.Caching() || c.listenerPID.Load() != pid {
		t.Fatal("the listener reconnected")
	}
	// Notifications still arrive after the pings (a timed-out wait leaves the
	// connection usable).
	exec(t, pool, `UPDATE grants SET state = 'REVOKED' WHERE id = $1`, g)
	untilDenied(t, c, useOf(asset), time.Now(), time.Second)
}
