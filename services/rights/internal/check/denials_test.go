package check

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"yaosu.dev/services/rights/internal/domain"
)

type recordingSink struct {
	mu      sync.Mutex
	flushes [][]DenialCount
	fail    error
}

func (s *recordingSink) sink(_ context.Context, counts []DenialCount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.flushes = append(s.flushes, counts)
	return nil
}

func (s *recordingSink) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *recordingSink) get() [][]DenialCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.flushes)
}

func TestDenialAggregation(t *testing.T) {
	t.Parallel()
	c := New(&memLoader{}, nil)
	at := t0
	add := func(org, asset string, right domain.Right, reason string, n int) {
		for range n {
			c.denials.add(org, asset, right, reason, at)
			at = at.Add(time.Second)
		}
	}
	add("B", assetA, domain.RightProcessingUse, domain.DenyNoGrant, 3)
	add("A", assetB, domain.RightProcessingUse, domain.DenyPurpose, 2)
	add("A", assetA, domain.RightProductOperation, domain.DenyNoGrant, 1)
	add("A", assetA, domain.RightProcessingUse, domain.DenyPurpose, 1)
	add("B", assetA, domain.RightProcessingUse, domain.DenyNoGrant, 1)

	s := &recordingSink{}
	if err := c.FlushDenials(context.Background(), s.sink); err != nil {
		t.Fatal(err)
	}
	want := []DenialCount{
		{Organisation: "A", AssetID: assetA, Right: domain.RightProcessingUse, Reason: domain.DenyPurpose, Count: 1, First: t0.Add(6 * time.Second), Last: t0.Add(6 * time.Second)},
		{Organisation: "A", AssetID: assetA, Right: domain.RightProductOperation, Reason: domain.DenyNoGrant, Count: 1, First: t0.Add(5 * time.Second), Last: t0.Add(5 * time.Second)},
		{Organisation: "A", AssetID: assetB, Right: domain.RightProcessingUse, Reason: domain.DenyPurpose, Count: 2, First: t0.Add(3 * time.Second), Last: t0.Add(4 * time.Second)},
		{Organisation: "B", AssetID: assetA, Right: domain.RightProcessingUse, Reason: domain.DenyNoGrant, Count: 4, First: t0, Last: t0.Add(7 * time.Second)},
	}
	if len(s.flushes) != 1 || !slices.Equal(s.flushes[0], want) {
		t.Fatalf("flushed %+v\nwant %+v", s.flushes, want)
	}
	// Nothing new: the sink is not called.
	if err := c.FlushDenials(context.Background(), s.sink); err != nil || len(s.flushes) != 1 {
		t.Fatalf("empty flush: %v, %d flushes", err, len(s.flushes))
	}
}

func TestDenialsMergedBackWhenSinkFails(t *testing.T) {
	t.Parallel()
	c := New(&memLoader{}, nil)
	c.denials.add("A", assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0.Add(time.Minute))
	c.denials.add("A", assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0.Add(2*time.Minute))
	boom := errors.New("outbox unavailable")
	s := &recordingSink{fail: boom}
	if err := c.FlushDenials(context.Background(), s.sink); !errors.Is(err, boom) {
		t.Fatalf("flush: %v", err)
	}
	// Denials keep coming while the sink is down.
	c.denials.add("A", assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0)
	c.denials.add("B", assetA, domain.RightProcessingUse, domain.DenyRegion, t0.Add(3*time.Minute))
	s.fail = nil
	if err := c.FlushDenials(context.Background(), s.sink); err != nil {
		t.Fatal(err)
	}
	want := []DenialCount{
		{Organisation: "A", AssetID: assetA, Right: domain.RightProcessingUse, Reason: domain.DenyNoGrant, Count: 3, First: t0, Last: t0.Add(2 * time.Minute)},
		{Organisation: "B", AssetID: assetA, Right: domain.RightProcessingUse, Reason: domain.DenyRegion, Count: 1, First: t0.Add(3 * time.Minute), Last: t0.Add(3 * time.Minute)},
	}
	if len(s.flushes) != 1 || !slices.Equal(s.flushes[0], want) {
		t.Fatalf("flushed %+v\nwant %+v", s.flushes, want)
	}
}

func TestDenialKeysBounded(t *testing.T) {
	t.Parallel()
	c := New(&memLoader{}, nil, WithMaxDenialKeys(2))
	for _, org := range []string{"A", "B", "C", "D", "A"} {
		c.denials.add(org, assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0)
	}
	s := &recordingSink{}
	if err := c.FlushDenials(context.Background(), s.sink); err != nil {
		t.Fatal(err)
	}
	var total int64
	got := map[string]int64{}
	for _, dc := range s.flushes[0] {
		total += dc.Count
		got[dc.Organisation] = dc.Count
	}
	if total != 5 || got["A"] != 2 || got["B"] != 1 || got[Any] != 2 {
		t.Fatalf("counts %+v", s.flushes[0])
	}
}

func TestDenialFlusherFlushesOnStop(t *testing.T) {
	t.Parallel()
	c := New(&memLoader{}, nil)
	s := &recordingSink{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.RunDenialFlusher(ctx, time.Hour, s.sink) }()
	c.denials.add("A", assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(s.flushes) != 1 || s.flushes[0][0].Count != 1 {
		t.Fatalf("flushes %+v", s.flushes)
	}
}

func TestDenialFlusherTicks(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c := New(&memLoader{}, nil)
		s := &recordingSink{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.RunDenialFlusher(ctx, time.Minute, s.sink) }()
		c.denials.add("A", assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0)
		time.Sleep(time.Minute + time.Second) // the bubble's clock
		synctest.Wait()
		if f := s.get(); len(f) != 1 {
			t.Fatalf("%d flushes after one interval, want 1", len(f))
		}
		// A failing sink: the counts wait for the next tick.
		s.setFail(errors.New("down"))
		c.denials.add("A", assetA, domain.RightProcessingUse, domain.DenyNoGrant, t0)
		time.Sleep(time.Minute)
		synctest.Wait()
		s.setFail(nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		if f := s.get(); len(f) != 2 || f[1][0].Count != 1 {
			t.Fatalf("flushes %+v", f)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkFlushDenials flushes 50 000 distinct denial counts (what 10 s of checks from
// a caller probing random assets leave) to a sink that keeps nothing: the flush's own
// work, which runs on the CPUs that answer checks.
func BenchmarkFlushDenials(b *testing.B) {
	c := New(&memLoader{}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	orgs := make([]string, 2000)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("91350100M%09d", i)
	}
	assets := make([]string, 10000)
	for i := range assets {
		assets[i] = uuid.NewString()
	}
	sink := func(context.Context, []DenialCount) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for range 50000 {
			c.denials.add(orgs[rng.IntN(len(orgs))], assets[rng.IntN(len(assets))], domain.RightProcessingUse, domain.DenyNoGrant, t0)
		}
		b.StartTimer()
		if err := c.FlushDenials(context.Background(), sink); err != nil {
			b.Fatal(err)
		}
	}
}
