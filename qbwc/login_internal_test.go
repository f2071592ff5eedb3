package qbwc

import (
	"net/http"
	"testing"
	"time"
)

// TestLoginLimiterBoundsChecksInFlight: with one check allowed at once, a
// second caller, from any address, is refused until the first is done.
func TestLoginLimiterBoundsChecksInFlight(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := newLoginLimiter(func() time.Time { return now }, 10, 15*time.Minute, -1, 0, 1)
	if ok, _ := l.allow("192.0.2.1"); !ok {
		t.Fatal("first check refused")
	}
	if ok, why := l.allow("192.0.2.2"); ok || why == "" {
		t.Fatalf("a second check ran while one was in flight (%q)", why)
	}
	l.done()
	if ok, _ := l.allow("192.0.2.2"); !ok {
		t.Fatal("refused after the first check was done")
	}
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
