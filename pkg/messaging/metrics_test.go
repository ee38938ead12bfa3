package messaging_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// The relay reports how many events it published, how long each waited, and the backlog.
func TestRelayRecordsMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	e := newEnv(t)
	e.startRelay(t, 50*time.Millisecond)
	for i := 1; i <= 3; i++ {
		e.commit(t, event(t, "things/m", int64(i)))
	}
	e.waitForCount(t, 3)

	found := map[string]metricdata.Aggregation{}
	require.Eventually(t, func() bool {
		var rm metricdata.ResourceMetrics
		require.NoError(t, reader.Collect(context.Background(), &rm))
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				found[m.Name] = m.Data
			}
		}
		sum, ok := found["yaosu.outbox.published"].(metricdata.Sum[int64])
		return ok && len(sum.DataPoints) == 1 && sum.DataPoints[0].Value == 3
	}, 5*time.Second, 20*time.Millisecond)
	hist, ok := found["yaosu.outbox.publish_latency"].(metricdata.Histogram[float64])
	require.True(t, ok)
	require.EqualValues(t, 3, hist.DataPoints[0].Count)
	require.Greater(t, hist.DataPoints[0].Sum, 0.0)
	gauge, ok := found["yaosu.outbox.backlog"].(metricdata.Gauge[int64])
	require.True(t, ok, "the leader reports its backlog")
	require.Equal(t, "relaytest", func() string { v, _ := gauge.DataPoints[0].Attributes.Value("schema"); return v.AsString() }())
}
