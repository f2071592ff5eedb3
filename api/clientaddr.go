package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Link attempts are limited per client address: 20 failed link codes per
// address per 10 minutes make guessing a 40-bit code hopeless. The address
// is the client's, not a proxy's (Config.TrustedProxies), an IPv6 client
// counts by its /64 (one host holds a whole /64), and the counters live in
// Config.LinkAttempts, the database in production, so that the limit holds
// across every server process.

// Link-attempt limit.
const (
	maxLinkFailures   = 20
	linkFailureWindow = 10 * time.Minute
)

// AttemptCounter counts failed attempts per key in fixed windows. The store
// implements it in the database, shared by every server process; nil in
// Config means a counter in this process's memory.
type AttemptCounter interface {
	// Failures returns the failures counted for key in the window holding
	// now (0 when none) and when that window ends.
	Failures(ctx context.Context, key string, now time.Time, window time.Duration) (n int, ends time.Time, err error)
	// Fail counts one failure for key, starting a new window when the last
	// one ended.
	Fail(ctx context.Context, key string, now time.Time, window time.Duration) error
}

// memoryAttempts is an AttemptCounter in one process's memory.
type memoryAttempts struct {
	mu    sync.Mutex
	fails map[string]*failCount
}

type failCount struct {
	n     int
	since time.Time
}

func newMemoryAttempts() *memoryAttempts { return &memoryAttempts{fails: map[string]*failCount{}} }

func (m *memoryAttempts) Failures(_ context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.fails[key]
	if f == nil || now.Sub(f.since) >= window {
		return 0, now.Add(window), nil
	}
	return f.n, f.since.Add(window), nil
}

func (m *memoryAttempts) Fail(_ context.Context, key string, now time.Time, window time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, f := range m.fails { // keep the map small
		if now.Sub(f.since) >= window {
			delete(m.fails, k)
		}
	}
	f := m.fails[key]
	if f == nil {
		f = &failCount{since: now}
		m.fails[key] = f
	}
	f.n++
	return nil
}

// ClientKeyFunc returns how a request's client is keyed for limits behind
// the given trusted proxies, as the link-attempt limit keys it: the
// forwarded client address when the peer is a trusted proxy, an IPv6
// address as its /64. The Web Connector's login limit uses it, so that one
// client's failures behind the TLS proxy do not lock out everyone else.
func ClientKeyFunc(trustedProxies []netip.Prefix) func(*http.Request) string {
	s := &Server{cfg: Config{TrustedProxies: trustedProxies}}
	return s.clientKey
}

// clientKey is the key a request's client is limited by: its IPv4 address,
// or the /64 of its IPv6 address, as "203.0.113.7" or "2001:db8:1:2::/64".
func (s *Server) clientKey(r *http.Request) string {
	addr := s.clientIP(r)
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

// clientIP is the address of the client that sent r. It is the peer's
// address unless the peer is a trusted proxy: then it is the right-most
// address of X-Forwarded-For (or of Forwarded's for=, when that header is
// sent) that is not a trusted proxy itself. The client controls what it puts
// left of that, so nothing further left is believed.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	peer := parseIP(r.RemoteAddr)
	if !s.trusted(peer) {
		return peer
	}
	var chain []string
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		for _, line := range fwd {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if ok && strings.EqualFold(k, "for") {
						chain = append(chain, strings.Trim(v, `"`))
					}
				}
			}
		}
	} else {
		for _, line := range r.Header.Values("X-Forwarded-For") {
			chain = append(chain, strings.Split(line, ",")...)
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		addr := parseIP(strings.TrimSpace(chain[i]))
		if !addr.IsValid() {
			// An entry that is not an address ("unknown", a name): the
			// last proxy is the best that is known.
			return peer
		}
		if !s.trusted(addr) {
			return addr
		}
		peer = addr
	}
	return peer
}

func (s *Server) trusted(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseIP reads "1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:80", "2001:db8::1"
// or "[2001:db8::1]"; IPv4-mapped IPv6 addresses become IPv4 and zones are
// dropped. The zero Addr when it is none of those.
func parseIP(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap().WithZone("")
}
