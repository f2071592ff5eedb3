// Package wait is the one wait-until loop of qbconnect's tests and test
// environments: poll a condition with a deadline instead of sleeping. Use
// it where no signal (a channel, a test hook) tells that the condition
// holds, such as state in another process.
//
// It imports only the standard library (testing included), and is meant
// for tests and the test harnesses under internal/ (testenv, scenario).
package wait

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Interval is how often a condition is checked.
const Interval = 20 * time.Millisecond

// For calls cond until it returns true, and fails tb (Fatalf, from the
// test's goroutine only) with cond's last description of what it saw if
// timeout passes first. what names the awaited condition in the failure.
func For(tb testing.TB, what string, timeout time.Duration, cond func() (ok bool, seen string)) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := Until(ctx, what, func() (bool, string, error) {
		ok, seen := cond()
		return ok, seen, nil
	})
	if err != nil {
		tb.Fatalf("timed out after %s: %v", timeout, err)
	}
}

// Until calls cond until it reports ok or an error, or ctx ends. It
// returns nil once cond holds, cond's error as is, and on ctx's end an
// error that wraps ctx.Err() and quotes what and cond's last description.
func Until(ctx context.Context, what string, cond func() (ok bool, seen string, err error)) error {
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		ok, seen, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w; last seen: %s", what, ctx.Err(), seen)
		case <-t.C:
		}
	}
}
