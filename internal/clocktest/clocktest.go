// Package clocktest provides a clock that tests move by hand, for the
// `Now func() time.Time` every part of qbconnect takes. It imports nothing
// of the project, so any package's tests may use it.
package clocktest

import (
	"sync"
	"time"
)

// Clock is a clock safe for concurrent use that only moves when told to.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock set to t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
