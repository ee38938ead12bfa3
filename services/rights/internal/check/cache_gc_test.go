package check

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	rtmetrics "runtime/metrics"
	"testing"
	"time"

	"yaosu.dev/services/rights/internal/domain"
)

// BenchmarkCacheGC measures what the cache costs the garbage collector: a checker holding
// 10 000 assets' graphs with 100 000 grants among them (the shape of BenchmarkRightsCheck's
// data), then one full collection per iteration. It reports the live heap, the heap
// objects and the collector's CPU time per collection (its mark work over the cache: the
// heap holds little else).
func BenchmarkCacheGC(b *testing.B) {
	const assets, grants = 10_000, 100_000
	r := rand.New(rand.NewPCG(1, 2))
	l := &memLoader{}
	ids := make([]string, assets)
	purposes := []string{"INDUSTRIAL_MANUFACTURING", "MODERN_AGRICULTURE", "COMMERCE", "TRANSPORT", "FINANCIAL_SERVICES",
		"SCIENCE_INNOVATION", "CULTURE_TOURISM", "HEALTHCARE", "EMERGENCY_MANAGEMENT", "METEOROLOGY"}
	forms := []string{domain.FormAPI, domain.FormModel, domain.FormVerification, domain.FormAggregate}
	now := time.Now().UTC()
	for a := range assets {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", a, r.Uint64()&(1<<48-1))
		ids[a] = id
		g := &domain.Graph{Asset: &domain.Asset{ID: id, Holder: fmt.Sprintf("91350100MA%08d", a%50), Grade: "GRADE_GENERAL",
			State: "REGISTERED"}, Rule: domain.GradeRule{Grade: "GRADE_GENERAL", GrantsAllowed: true}, Grants: map[string]*domain.Grant{}}
		var prev *domain.Grant
		for i := range grants / assets {
			gr := &domain.Grant{ID: fmt.Sprintf("%08x-%04x-7000-8000-%012x", a, i, r.Uint64()&(1<<48-1)), AssetID: id,
				Right: domain.RightProcessingUse, Grantor: g.Asset.Holder, Grantee: fmt.Sprintf("91350100MB%08d", r.IntN(2000)),
				Depth: 1, LegalBasis: domain.LegalBasis{Kind: "CONTRACT", DocumentNumber: fmt.Sprintf("HT-2025-%06d", i),
					SHA256: fmt.Sprintf("%064x", r.Uint64())},
				Scope: domain.Scope{Purposes: []string{purposes[r.IntN(10)], purposes[r.IntN(10)], purposes[r.IntN(10)]},
					DeliveryForms: []string{forms[r.IntN(4)], forms[r.IntN(4)]}, Regions: []string{"350000"}},
				ValidFrom: now.Add(-time.Duration(r.IntN(1000)) * time.Hour), ValidUntil: now.Add(time.Duration(r.IntN(1000)) * time.Hour),
				State: domain.StateActive, FeeTerms: "FREE_CONDITIONAL", Requester: "rights-admin@x", Approver: "rights-admin@x",
				Revision: 1, CreateTime: now, UpdateTime: now}
			if prev != nil && r.IntN(2) == 0 {
				gr.ParentID, gr.Depth, gr.Grantor = prev.ID, 2, prev.Grantee
			}
			if r.IntN(25) == 0 {
				gr.Condition = `has(context.project) && context.project == "smart-city"`
			}
			g.Grants[gr.ID] = gr
			prev = gr
		}
		g.Index()
		l.set(id, g)
	}
	c := New(l, nil)
	listening(c)
	for _, id := range ids {
		if _, err := c.Check(context.Background(), domain.CheckInput{Organisation: "x", AssetID: id,
			Right: domain.RightProcessingUse, Purpose: "COMMERCE", DeliveryForm: domain.FormAPI}); err != nil {
			b.Fatal(err)
		}
	}
	l.graphs = nil // the cache alone holds the graphs
	if n := c.cachedAssets(); n != assets {
		b.Fatalf("%d graphs cached", n)
	}
	runtime.GC()
	read := func() (gcCPU float64, live, objects uint64) {
		s := []rtmetrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/heap/live:bytes"},
			{Name: "/gc/heap/objects:objects"}}
		rtmetrics.Read(s)
		return s[0].Value.Float64(), s[1].Value.Uint64(), s[2].Value.Uint64()
	}
	cpu0, _, _ := read()
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
	}
	b.StopTimer()
	cpu1, live, objects := read()
	b.ReportMetric((cpu1-cpu0)/float64(b.N)*1000, "gc-cpu-ms/op")
	b.ReportMetric(float64(live)/(1<<20), "live-MB")
	b.ReportMetric(float64(objects), "heap-objects")
	runtime.KeepAlive(c)
}
