package server

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/qbconnect/qbconnect/qbd/simclient"
)

// guard refuses what no legitimate caller of the simulator sends, before
// any handler runs: a page on another site posting to the control API
// from the user's browser (a foreign Origin or Sec-Fetch-Site, or a form
// or text/plain body), a DNS-rebound name in Host, and, when a token is
// set, a control call without it. It returns the status and message to
// answer, or 0.
func (s *Server) guard(r *http.Request) (int, string) {
	if !s.hostAllowed(r.Host) {
		return http.StatusMisdirectedRequest, fmt.Sprintf("qbdsim answers only to its own address, not to the host name %q (a DNS-rebinding page?); add it with serve --allowed-host", truncateHost(r.Host))
	}
	api := strings.HasPrefix(r.URL.Path, "/api/v1/")
	rp := strings.HasPrefix(r.URL.Path, simclient.PathPrefix+"/")
	if !api && !rp {
		return 0, "" // the web UI checks its own form posts (sameOrigin)
	}
	if !sameOrigin(r) {
		return http.StatusForbidden, "cross-site requests to the simulator's API are refused"
	}
	if s.token != "" && api {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1 {
			return http.StatusUnauthorized, "the control API needs the token given to qbdsim serve --token (Authorization: Bearer TOKEN; the qbdsim commands read $QBDSIM_TOKEN)"
		}
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return 0, ""
	}
	ct := r.Header.Get("Content-Type")
	if rp && ct == "" && r.ContentLength == 0 {
		// the request processor's client sends body-less calls
		// (EndSession, CloseConnection) without a type
		return 0, ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || rp && mt == "application/xml") {
		return 0, ""
	}
	want := "application/json"
	if rp {
		want += " or application/xml"
	}
	return http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type must be %s, not %q", want, r.Header.Get("Content-Type"))
}

// hostAllowed accepts an IP literal (a browser that uses one is on a page
// of that address, which no rebinding can give another site), localhost,
// and the names the server was told to answer to.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	for _, h := range s.allowedHosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

func truncateHost(h string) string {
	if len(h) > 80 {
		return h[:80] + "…"
	}
	return h
}

// IsLoopback reports whether addr (host:port as given to Serve) listens
// on loopback only; an empty host or a wildcard listens everywhere.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}
