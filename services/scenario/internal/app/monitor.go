package app

import (
	"context"
	"fmt"
	"time"

	"yaosu.dev/pkg/auth"
	"yaosu.dev/services/scenario/internal/domain"
	"yaosu.dev/services/scenario/internal/store"
)

// ActorMonitor is the actor of what the monitor does.
const ActorMonitor = "system:scenario-monitor"

// DefaultMonitorInterval is how often the monitor runs unless configured.
const DefaultMonitorInterval = time.Minute

// MonitorResult is what one monitor pass did.
type MonitorResult struct {
	// Spikes counts the volume_spike alerts raised against learnt baselines.
	Spikes int
	// Purged counts the raw usage records removed past their retention.
	Purged int64
	// Skipped is set when another replica's pass was running.
	Skipped bool
}

// Monitor runs one pass of the scheduled monitoring (过程监测) rules and the retention:
//
//   - volume_spike against learnt baselines: a link without a declared baseline whose
//     records today or yesterday (UTC+8) exceed SpikeFactor × its mean over the previous
//     BaselineDays days with usage (at least MinBaselineDays of them). Links with a declared
//     baseline are watched as usage arrives. At most one such alert per link and day.
//   - retention: raw usage records whose window started before the retention horizon are
//     deleted in chunks (daily sums stay).
//
// The rules that judge each record (term, purpose, form, suspended grant or asset) run as
// usage arrives; blocks found to follow allowed usage raise alerts when the event arrives.
func (a *App) Monitor(ctx context.Context) (MonitorResult, error) {
	var res MonitorResult
	ctx = auth.WithPrincipal(ctx, auth.Principal{Subject: ActorMonitor, Roles: []auth.Role{auth.RoleService}})
	now := a.now0()
	err := a.store.InTx(ctx, func(tx *store.Tx) error {
		// One pass at a time across replicas; the others skip (the alerts' keys would
		// keep them right anyway, this saves the work).
		ok, err := tx.TryMonitorLock()
		if err != nil || !ok {
			res.Skipped = !ok
			return err
		}
		today := domain.UsageDayOf(now)
		for _, day := range []time.Time{today.AddDate(0, 0, -1), today} {
			found, err := tx.LearntSpikes(day, a.cfg.BaselineDays, a.cfg.MinBaselineDays, a.cfg.SpikeFactor)
			if err != nil {
				return err
			}
			for _, s := range found {
				detail := fmt.Sprintf("%s delivered %d records on %s, more than %g × its learnt daily baseline of %.0f (mean of %d day(s) with usage in the previous %d)",
					s.Link.Name(), s.Records, day.Format(time.DateOnly), a.cfg.SpikeFactor, s.Mean, s.Days, a.cfg.BaselineDays)
				raised, err := a.raiseQuiet(ctx, tx, ActorMonitor, s.Link, "", domain.RuleVolumeSpike, detail, domain.DayStart(day))
				if err != nil {
					return err
				}
				if raised {
					res.Spikes++
				}
			}
		}
		return nil
	})
	if err != nil || res.Skipped {
		return res, err
	}
	if h := a.horizon(now); !h.IsZero() {
		// An hour's margin: replicas' clocks differ a little, and a record judged just
		// inside the horizon must not be purged before its horizon passes everywhere.
		n, err := a.store.PurgeUsage(ctx, h.Add(-time.Hour), 5000)
		res.Purged = n
		if err != nil {
			return res, err
		}
	}
	if res.Spikes > 0 || res.Purged > 0 {
		a.log.Info("scenario monitor pass", "volume_spikes", res.Spikes, "purged_records", res.Purged)
	}
	return res, nil
}
