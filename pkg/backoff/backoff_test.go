package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/backoff"
)

func TestBackoffDoublesToMaxAndStopsWithContext(t *testing.T) {
	b := backoff.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}
	var took []time.Duration
	for range 4 {
		start := time.Now()
		require.True(t, b.Sleep(context.Background()))
		took = append(took, time.Since(start))
	}
	require.GreaterOrEqual(t, took[1], 2*time.Millisecond)
	require.GreaterOrEqual(t, took[3], 4*time.Millisecond)
	require.Less(t, took[3], 100*time.Millisecond, "capped at Max")
	b.Reset()
	start := time.Now()
	require.True(t, b.Sleep(context.Background()))
	require.Less(t, time.Since(start), 50*time.Millisecond)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := backoff.Backoff{Min: time.Hour, Max: time.Hour}
	require.False(t, slow.Sleep(ctx))
}
