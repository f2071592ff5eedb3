package notify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Webhook targets. A webhook endpoint makes the platform send requests to
// a URL its client chose, so a client could point it at the platform's own
// network (the database, a cloud metadata service at 169.254.169.254, an
// admin port on loopback). Unless WebhooksConfig.AllowPrivate is set,
// Webhooks refuses endpoints whose host is, or resolves to, an address
// that is not public (CheckTarget, which the REST API calls when an
// endpoint is created), and WebhookHTTPClient refuses to connect to one at
// delivery time: the check runs on the address actually dialled, after DNS, so a
// name that resolved to a public address when the endpoint was created and
// to a private one later (DNS rebinding) is refused too.

// nonPublic lists the ranges that are not public unicast internet
// addresses beyond those netip classifies itself (loopback, private,
// link-local, multicast, unspecified).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo, ORCHID, ...)
}

// PublicAddress reports whether ip is a public unicast internet address:
// not loopback, private (RFC 1918, fc00::/7), link-local, multicast,
// unspecified, shared (100.64/10), documentation or reserved. An IPv4
// address inside IPv6 (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) is
// judged by the IPv4 address.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(ip):
			return PublicAddress(netip.AddrFrom4([4]byte(b[12:16])))
		case netip.MustParsePrefix("2002::/16").Contains(ip):
			return PublicAddress(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// errPrivateTarget is the error of a refused webhook target; the delivery
// log shows its text.
func errPrivateTarget(ip netip.Addr) error {
	return fmt.Errorf("webhook target %s is not a public internet address (loopback, private, link-local or reserved); this platform only delivers to public addresses", ip)
}

// checkWebhookTarget refuses a webhook URL's host that is, or resolves to,
// an address that is not public. Every address the name resolves to must
// be public: a name with one private address could be dialled there.
func checkWebhookTarget(ctx context.Context, resolver *net.Resolver, host string) error {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !PublicAddress(ip) {
			return qbconnect.Errorf(qbconnect.EInvalid, "field \"url\": %s is not a public internet address; webhooks are delivered only to public addresses", ip.Unmap())
		}
		return nil
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		why := "no address"
		if err != nil {
			why = err.Error()
		}
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"url\": the host %q does not resolve (%s); check the name, or try again if its DNS is being set up", host, why)
	}
	for _, ip := range addrs {
		if !PublicAddress(ip) {
			return qbconnect.Errorf(qbconnect.EInvalid, "field \"url\": the host %q resolves to %s, which is not a public internet address; webhooks are delivered only to public addresses", host, ip.Unmap())
		}
	}
	return nil
}

// refusePrivate is a net.Dialer Control function: it runs after name
// resolution, on the very address about to be connected to.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook target %q: %w", address, err)
	}
	if !PublicAddress(ap.Addr()) {
		return errPrivateTarget(ap.Addr().Unmap())
	}
	return nil
}

// WebhookHTTPClient returns the HTTP client that delivers webhooks: a
// 15-second time-out, no redirects followed, no proxy from the
// environment, and, unless allowPrivate, a dialer that refuses every
// address that is not public (PublicAddress), checked on the address
// dialled after resolution. resolver nil means net.DefaultResolver.
func WebhookHTTPClient(allowPrivate bool, resolver *net.Resolver) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Resolver: resolver}
	if !allowPrivate {
		d.Control = refusePrivate
	}
	tr := &http.Transport{
		// A proxy would make the dialled address the proxy's, hiding the
		// target from the check.
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}
	return &http.Client{
		Timeout:       15 * time.Second,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
