package check

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// metrics are the checker's instruments. The attribute sets are built once: recording a
// check allocates nothing.
type metrics struct {
	checks        metric.Int64Counter
	errors        metric.Int64Counter
	invalidations metric.Int64Counter
	// checkOpts[allowed][source]
	checkOpts        [2][3][]metric.AddOption
	assetOpt, allOpt []metric.AddOption
}

func newMetrics(c *Checker) metrics {
	meter := otel.Meter("yaosu.dev/services/rights/check")
	var m metrics
	var errs [5]error
	m.checks, errs[0] = meter.Int64Counter("yaosu.rights.checks",
		metric.WithDescription("Rights checks answered, by result and by where the asset's graph came from."))
	m.errors, errs[1] = meter.Int64Counter("yaosu.rights.check.errors",
		metric.WithDescription("Rights checks that failed because the asset's graph could not be loaded."))
	m.invalidations, errs[2] = meter.Int64Counter("yaosu.rights.check.invalidations",
		metric.WithDescription("Check cache invalidations, of one asset or of all."))
	_, errs[3] = meter.Int64ObservableGauge("yaosu.rights.check.listening",
		metric.WithDescription("1 while the check cache's listener is connected (the cache is in use), else 0."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			if c.caching.Load() {
				o.Observe(1)
			} else {
				o.Observe(0)
			}
			return nil
		}))
	_, errs[4] = meter.Int64ObservableGauge("yaosu.rights.check.cached_assets",
		metric.WithDescription("Asset graphs in the check cache."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(c.cachedAssets()))
			return nil
		}))
	if err := errors.Join(errs[:]...); err != nil {
		c.log.Warn("rights check metrics unavailable", "component", "rights_check", "error", err)
		nm := noop.NewMeterProvider().Meter("")
		m.checks, _ = nm.Int64Counter("")
		m.errors, _ = nm.Int64Counter("")
		m.invalidations, _ = nm.Int64Counter("")
	}
	for a, result := range []string{"denied", "allowed"} {
		for s, src := range []string{"cache", "load", "bypass"} {
			m.checkOpts[a][s] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
				attribute.String("result", result), attribute.String("graph", src)))}
		}
	}
	m.assetOpt = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("scope", "asset")))}
	m.allOpt = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("scope", "all")))}
	return m
}

func (m *metrics) check(ctx context.Context, allowed bool, src source) {
	a := 0
	if allowed {
		a = 1
	}
	m.checks.Add(ctx, 1, m.checkOpts[a][src]...)
}

func (m *metrics) loadError(ctx context.Context) { m.errors.Add(ctx, 1) }

func (m *metrics) invalidated(all bool) {
	if all {
		m.invalidations.Add(context.Background(), 1, m.allOpt...)
	} else {
		m.invalidations.Add(context.Background(), 1, m.assetOpt...)
	}
}
