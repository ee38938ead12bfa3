package check

import (
	"context"
	"errors"
	"fmt"
	"time"

	"yaosu.dev/pkg/backoff"
)

// Channel is the notification channel the rights schema's triggers notify on commit; the
// payload is an asset id, or "*" for everything (the grade policy changed).
const Channel = "yaosu_rights_changed"

// Run keeps the cache right until ctx ends: it LISTENs on a dedicated connection and
// applies every notification. When the connection fails it stops caching, and reconnects
// with backoff. It returns nil when ctx ends (an error only when the checker has no pool).
func (c *Checker) Run(ctx context.Context) error {
	if c.pool == nil {
		return errNoPool
	}
	b := backoff.Backoff{Min: c.backoffMin, Max: c.backoffMax}
	for {
		connected, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if connected {
			b.Reset()
		}
		c.log.WarnContext(ctx, "rights cache listener disconnected; checks load from the database until it reconnects",
			"component", "rights_check", "error", err)
		if !b.Sleep(ctx) {
			return nil
		}
	}
}

// session listens on one connection until it fails or ctx ends; connected reports
// whether it got as far as listening.
func (c *Checker) session(ctx context.Context) (connected bool, err error) {
	pc, err := c.pool.Acquire(ctx)
	if err != nil {
		return false, err
	}
	// The connection leaves the pool: it holds the LISTEN for as long as it lives.
	conn := pc.Hijack()
	defer func() {
		c.disconnected()
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	c.listenerPID.Store(conn.PgConn().PID())
	c.connected()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, c.pingEvery)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet: make sure the connection is alive, or notifications could be lost
			// without our knowing.
			pingCtx, cancel := context.WithTimeout(ctx, c.pingTimeout)
			_, err = conn.Exec(pingCtx, "SELECT 1")
			cancel()
			if err != nil {
				return true, fmt.Errorf("ping: %w", err)
			}
		case err != nil:
			return true, fmt.Errorf("wait for notification: %w", err)
		default:
			c.notifications.Add(1)
			c.apply(n.Payload)
		}
	}
}

// apply invalidates what a notification names.
func (c *Checker) apply(payload string) {
	if payload != "*" && canonicalUUID(payload) {
		c.Invalidate(payload)
		return
	}
	// "*", or a payload we do not understand: drop everything rather than guess.
	c.InvalidateAll()
}

// connected starts caching: LISTEN is in place, so from now on no change goes unnoticed;
// what was cached before (perhaps while notifications were missed) is dropped first.
func (c *Checker) connected() {
	c.InvalidateAll()
	c.caching.Store(true)
	c.readyOnce.Do(func() { close(c.ready) })
	c.log.Info("rights cache listener connected", "component", "rights_check")
}

// disconnected stops caching before dropping the cache, so no check is served from a
// cache that no longer hears of changes.
func (c *Checker) disconnected() {
	c.caching.Store(false)
	c.listenerPID.Store(0)
	c.InvalidateAll()
}
