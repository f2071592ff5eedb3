package main

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// --trusted-proxy takes CIDRs and single addresses, repeatable.
func TestTrustedProxyFlagValues(t *testing.T) {
	got, err := parseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.10", "::1", "2001:db8::/32", "10.1.2.3/16"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.10/32"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("10.1.0.0/16")}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("parsed (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"proxy.example", "10.0.0.0/33", "", "10.0.0.1:443"} {
		if _, err := parseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("--trusted-proxy %q accepted", bad)
		}
	}
}
