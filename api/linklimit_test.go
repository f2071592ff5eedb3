package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/store"
)

// linkFrom posts a link request with a wrong code, as if forwarded for
// client, and returns the status.
func linkFrom(tb testing.TB, srv *httptest.Server, header, client string) int {
	tb.Helper()
	body, _ := json.Marshal(linkRequest("0000-0000", `C:\a.qbw`))
	req, err := http.NewRequest("POST", srv.URL+"/gateway/v1/link", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if client != "" {
		req.Header.Set(header, client)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// linkServers returns n API servers on one database sharing nothing but
// it, as n server processes would, counting link attempts in it.
func linkServers(tb testing.TB, e *env, n int, proxies ...string) []*httptest.Server {
	tb.Helper()
	cfg := e.cfg
	cfg.LinkAttempts = store.NewLinkAttemptStore(e.db)
	for _, p := range proxies {
		cfg.TrustedProxies = append(cfg.TrustedProxies, netip.MustParsePrefix(p))
	}
	var out []*httptest.Server
	for range n {
		s, err := api.New(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		tb.Cleanup(func() { s.Close(); srv.Close() })
		out = append(out, srv)
	}
	return out
}

// Behind a trusted proxy, the limit counts each client (its address in
// X-Forwarded-For or Forwarded): one attacker no longer blocks linking for
// everyone behind the proxy. An IPv6 client counts by its /64, however many
// of its addresses it uses. The counters are in the database: a second
// server process refuses the attacker too.
func TestLinkAttemptsAreLimitedPerClientBehindATrustedProxy(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			srvs := linkServers(t, e, 2, "127.0.0.0/8", "::1/128")
			a, b := srvs[0], srvs[1]
			for i := range 20 {
				if st := linkFrom(t, a, "X-Forwarded-For", "203.0.113.7, 127.0.0.1"); st != 401 {
					t.Fatalf("wrong code %d: %d, want 401", i, st)
				}
			}
			for _, tc := range []struct {
				srv           *httptest.Server
				name, h, addr string
				want          int
			}{
				{a, "the attacker", "X-Forwarded-For", "203.0.113.7", 429},
				{b, "the attacker, at another server process", "X-Forwarded-For", "203.0.113.7", 429},
				{b, "the attacker, in Forwarded", "Forwarded", `for=203.0.113.7;proto=https`, 429},
				{a, "another client behind the proxy", "X-Forwarded-For", "198.51.100.9", 401},
				{b, "another client, in Forwarded", "Forwarded", `for="[2001:db8:9::1]:4711"`, 401},
				{a, "the attacker, claiming another address left of its own", "X-Forwarded-For", "198.51.100.9, 203.0.113.7", 429},
			} {
				if st := linkFrom(t, tc.srv, tc.h, tc.addr); st != tc.want {
					t.Errorf("%s (%s: %s): %d, want %d", tc.name, tc.h, tc.addr, st, tc.want)
				}
			}

			// IPv6: twenty addresses of one /64 share its budget.
			for i := range 20 {
				addr := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, byte(i + 1)}).String()
				if st := linkFrom(t, b, "X-Forwarded-For", addr); st != 401 {
					t.Fatalf("IPv6 wrong code %d from %s: %d, want 401", i, addr, st)
				}
			}
			if st := linkFrom(t, a, "X-Forwarded-For", "2001:db8:1:2:ffff::99"); st != 429 {
				t.Errorf("a new address in the same /64: %d, want 429", st)
			}
			if st := linkFrom(t, a, "X-Forwarded-For", "2001:db8:1:3::1"); st != 401 {
				t.Errorf("an address in the next /64: %d, want 401", st)
			}
		})
	}
}

// Without a trusted proxy the forwarding headers are the client's own
// words: rotating X-Forwarded-For does not buy a fresh budget.
func TestForwardedHeadersOfAnUntrustedPeerAreIgnored(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	srv := linkServers(t, e, 1)[0]
	for i := range 20 {
		if st := linkFrom(t, srv, "X-Forwarded-For", netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)}).String()); st != 401 {
			t.Fatalf("wrong code %d: %d, want 401", i, st)
		}
	}
	if st := linkFrom(t, srv, "X-Forwarded-For", "192.0.2.200"); st != 429 {
		t.Errorf("a 21st attempt under yet another claimed address: %d, want 429", st)
	}
}

// The Web Connector's login limit keys clients as the link limit does:
// behind a trusted proxy by the forwarded address, IPv6 by its /64, and a
// forwarded address from an untrusted peer is not believed.
func TestClientKeyFuncKeysForwardedClientsBehindTrustedProxies(t *testing.T) {
	key := api.ClientKeyFunc([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	for _, tc := range []struct {
		peer, forwarded, want string
	}{
		{"10.1.2.3:443", "203.0.113.7", "203.0.113.7"},
		{"10.1.2.3:443", "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"198.51.100.9:443", "203.0.113.7", "198.51.100.9"},
		{"10.1.2.3:443", "", "10.1.2.3"},
	} {
		r := httptest.NewRequest("POST", "/qbwc", nil)
		r.RemoteAddr = tc.peer
		if tc.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tc.forwarded)
		}
		if got := key(r); got != tc.want {
			t.Errorf("peer %s forwarding %q: key %q, want %q", tc.peer, tc.forwarded, got, tc.want)
		}
	}
}
