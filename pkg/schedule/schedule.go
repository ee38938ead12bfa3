// Package schedule runs the services' periodic jobs (publicity windows, grant expiry,
// checkpoints, monitoring) the one way: now, then every interval, until the context ends.
package schedule

import (
	"context"
	"log/slog"
	"time"
)

// Every runs job at once and then every interval until ctx ends, and returns nil then. A
// failed run is logged as a warning and tried again at the next tick: jobs are written so
// that a failure leaves nothing half done (each step is its own transaction), and every
// replica runs them, so a missed tick costs nothing but time. Ticks missed while a run
// takes longer than the interval are dropped, not queued.
func Every(ctx context.Context, every time.Duration, log *slog.Logger, name string, job func(context.Context) error) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, name+" failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
