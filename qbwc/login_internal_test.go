package qbwc

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestLoginLimiterBoundsChecksInFlight: with one check allowed at once, a
// second caller, from any address, waits for the first to finish, and is
// told the server is busy (not that its password is wrong) when the first
// takes longer than the wait.
func TestLoginLimiterBoundsChecksInFlight(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := newLoginLimiter(func() time.Time { return now }, 10, 15*time.Minute, -1, 0, 1)
	l.slotWait = 10 * time.Millisecond
	ctx := context.Background()
	if r := l.allow(ctx, "192.0.2.1"); r != nil {
		t.Fatalf("first check refused: %s", r.why)
	}
	if r := l.allow(ctx, "192.0.2.2"); r == nil || !r.busy {
		t.Fatalf("a second check ran while one was in flight past the wait (%+v)", r)
	}
	l.slotWait = time.Minute
	second := make(chan *refusal)
	go func() { second <- l.allow(ctx, "192.0.2.2") }()
	l.done()
	if r := <-second; r != nil {
		t.Fatalf("a check waiting for its turn was refused when the first was done: %s", r.why)
	}
	l.done()
}

// TestRemoteAddrGroupsIPv6By64: hosts of one IPv6 /64 share their
// failures; IPv4 (also mapped into IPv6) is kept whole.
func TestRemoteAddrGroupsIPv6By64(t *testing.T) {
	for in, want := range map[string]string{
		"[2001:db8:1:2:aaaa::1]:5000": "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:6000": "2001:db8:1:2::/64",
		"192.0.2.7:1234":              "192.0.2.7",
		"[::ffff:192.0.2.7]:1234":     "192.0.2.7",
	} {
		if got := remoteAddr(&http.Request{RemoteAddr: in}); got != want {
			t.Errorf("remoteAddr(%s) = %s, want %s", in, got, want)
		}
	}
}
