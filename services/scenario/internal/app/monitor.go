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

// BlockLookback is how far back the monitor looks for blocks to check late usage against:
// a batch in flight when a block arrived commits within seconds.
const BlockLookback = time.Hour

// MonitorResult is what one monitor pass did.
type MonitorResult struct {
	// Spikes counts the volume_spike alerts raised against learnt baselines.
	Spikes int
	// Late counts the alerts raised for usage allowed after a recent block's time.
	Late int
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
//   - late usage: usage allowed through a link for after the time of the block that now
//     blocks it (set within BlockLookback). The consumer checks this when the block
//     arrives; a batch that was judged before and committed after that is caught here.
//     Alerts are suppressed when one of the rule was raised since the block's time.
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
		blocks, err := tx.RecentBlocks(now.Add(-BlockLookback))
		if err != nil {
			return err
		}
		for _, b := range blocks {
			n, err := a.allowedAfter(ctx, tx, b.Links, b.EventType, domain.BlockReason(b.EventType, domain.CauseSubject(b.Cause)),
				ActorMonitor, b.Since, b.Since)
			if err != nil {
				return err
			}
			res.Late += n
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
	if res.Spikes > 0 || res.Late > 0 || res.Purged > 0 {
		a.log.Info("scenario monitor pass", "volume_spikes", res.Spikes, "late_usage", res.Late, "purged_records", res.Purged)
	}
	return res, nil
}
