// Package backoff is the exponential delay between retries of the long-running loops (the
// outbox relay, event consumers, the rights cache listener).
package backoff

import (
	"context"
	"time"
)

// Backoff doubles its delay from Min up to Max on every Sleep; Reset starts over. The zero
// value is not useful: set Min and Max.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Reset makes the next Sleep wait Min again (call it after a success).
func (b *Backoff) Reset() { b.cur = 0 }

// Sleep waits for the next delay; false when ctx ended first.
func (b *Backoff) Sleep(ctx context.Context) bool {
	if b.cur == 0 {
		b.cur = b.Min
	} else if b.cur *= 2; b.cur > b.Max {
		b.cur = b.Max
	}
	t := time.NewTimer(b.cur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
