package schedule_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"yaosu.dev/pkg/schedule"
)

func TestEveryRunsAtOnceThenEveryIntervalAndRetriesFailures(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	var runs atomic.Int32
	done := make(chan error)
	go func() {
		done <- schedule.Every(ctx, 20*time.Millisecond, log, "test job", func(context.Context) error {
			if runs.Add(1) == 2 {
				return errors.New("boom")
			}
			return nil
		})
	}()
	require.Eventually(t, func() bool { return runs.Load() >= 1 }, 15*time.Millisecond, time.Millisecond, "the first run does not wait for a tick")
	require.Eventually(t, func() bool { return runs.Load() >= 4 }, 2*time.Second, 5*time.Millisecond, "a failed run does not stop the next")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(2 * time.Second):
		t.Fatal("Every did not return when its context ended")
	}
	require.Equal(t, 1, strings.Count(logs.String(), "test job failed; will retry"), logs.String())
	require.Contains(t, logs.String(), "err=boom")
}

func TestEveryStaysQuietAboutTheErrorOfItsOwnCancellation(t *testing.T) {
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	err := schedule.Every(ctx, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)), "job", func(ctx context.Context) error {
		cancel()
		return ctx.Err()
	})
	require.NoError(t, err)
	require.Empty(t, logs.String())
}
