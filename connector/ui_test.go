package connector

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/qbd"
)

// uiAgent returns an agent that is never run: its UI handler is tested on
// its own, and nothing contacts the platform or QuickBooks.
func uiAgent(t *testing.T) *Agent {
	t.Helper()
	st := &Store{Dir: t.TempDir()}
	cfg := &Config{PlatformURL: "http://127.0.0.1:1", Credential: "qbc_x", Files: []LinkedFile{{
		ConnectionID: "con_1", CompanyID: "cmp_1",
		File: gateway.FileIdentity{Path: `C:\QB\acme.qbw`, CompanyName: "Acme Plumbing", FileID: "fid_1"},
	}}}
	if err := st.Save(cfg); err != nil {
		t.Fatal(err)
	}
	a, err := NewAgent(context.Background(), Options{Store: st, Config: cfg,
		NewProcessor: func() (qbd.RequestProcessor, error) { return nil, errors.New("no QuickBooks in this test") },
		Identity:     Identity{Version: "1.2.3", Signer: "CN=qbconnect Ltd", Thumbprint: "ab12"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestLocalUIRefusesRequestsWithoutTheToken(t *testing.T) {
	a := uiAgent(t)
	h := a.UIHandler()
	token := a.config().UIToken
	do := func(method, target string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		r.Host = "127.0.0.1:5555"
		for k, v := range hdr {
			if k == "Host" {
				r.Host = v
				continue
			}
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for name, tc := range map[string]struct {
		method, target string
		hdr            map[string]string
		want           int
	}{
		"no token":                  {"GET", "/", nil, http.StatusUnauthorized},
		"no token, API":             {"GET", "/api/status", nil, http.StatusUnauthorized},
		"wrong token":               {"GET", "/api/status", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		"wrong token in link":       {"GET", "/?token=nope", nil, http.StatusUnauthorized},
		"wrong cookie":              {"GET", "/", map[string]string{"Cookie": uiCookie + "=nope"}, http.StatusUnauthorized},
		"no token, perform sync":    {"POST", "/files/con_1/sync", nil, http.StatusUnauthorized},
		"rebinding host":            {"GET", "/api/status", map[string]string{"Authorization": "Bearer " + token, "Host": "evil.example:5555"}, http.StatusForbidden},
		"cross-site post":           {"POST", "/files/con_1/pause", map[string]string{"Cookie": uiCookie + "=" + token, "Origin": "http://evil.example"}, http.StatusForbidden},
		"cross-site fetch metadata": {"POST", "/files/con_1/pause", map[string]string{"Cookie": uiCookie + "=" + token, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		"token":                     {"GET", "/api/status", map[string]string{"Authorization": "Bearer " + token}, http.StatusOK},
		"cookie":                    {"GET", "/", map[string]string{"Cookie": uiCookie + "=" + token}, http.StatusOK},
	} {
		t.Run(name, func(t *testing.T) {
			if w := do(tc.method, tc.target, tc.hdr); w.Code != tc.want {
				t.Errorf("%s %s = %d, want %d: %s", tc.method, tc.target, w.Code, tc.want, w.Body)
			}
		})
	}
	// Refused changes changed nothing.
	if a.config().Files[0].Paused {
		t.Error("a refused pause paused the file")
	}

	// The link sets the cookie and drops the token from the address bar.
	w := do("GET", "/?token="+token, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Fatalf("link = %d to %q", w.Code, w.Header().Get("Location"))
	}
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Value != token || !c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie = %+v", c)
	}

	// The page shows the card and the footer.
	page := do("GET", "/", map[string]string{"Cookie": uiCookie + "=" + token}).Body.String()
	for _, want := range []string{"Acme Plumbing", `C:\QB\acme.qbw`, "cmp_1", "Perform Sync", "1.2.3", "CN=qbconnect Ltd", "0 of 1", "Checking"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// A same-origin pause works and is saved.
	w = do("POST", "/files/con_1/pause", map[string]string{"Cookie": uiCookie + "=" + token, "Origin": "http://127.0.0.1:5555",
		"Content-Type": "application/x-www-form-urlencoded"})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("pause = %d: %s", w.Code, w.Body)
	}
	saved, err := a.store.Load()
	if err != nil || !saved.Files[0].Paused {
		t.Errorf("saved config after pause = %+v, %v", saved, err)
	}
}

func TestUIAddressMustBeLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:0": true, "localhost:8099": true, "[::1]:80": true, "0.0.0.0:80": false, "192.0.2.1:80": false, ":80": false} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestBackoffGrowsWithJitterAndIsCapped(t *testing.T) {
	a := uiAgent(t)
	a.opt.BackoffMin, a.opt.BackoffMax = 100e6, 1600e6 // 100 ms, 1.6 s
	for n, base := range map[int]int64{1: 100e6, 2: 200e6, 3: 400e6, 5: 1600e6, 9: 1600e6} {
		for range 50 {
			d := int64(a.backoffDelay(n))
			if d < base/2 || d > base {
				t.Fatalf("backoffDelay(%d) = %d, want within [%d, %d]", n, d, base/2, base)
			}
		}
	}
}

// A bookkeeper working in another company file is not a problem at once:
// the card says "Waiting for QuickBooks" (with what to do) until it has
// lasted longer than the grace, then "Action needed".
func TestAnotherFileOpenWaitsBeforeActionIsNeeded(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	s := NewState(clock.Now)
	s.SetFiles([]LinkedFile{{ConnectionID: "con_1", File: gateway.FileIdentity{Path: `C:\acme.qbw`, CompanyName: "Acme"}}})
	s.Observe("con_1", wrongFileCondition(&WrongFileError{Open: OpenFile{Path: `C:\other.qbw`, CompanyName: "Other"},
		Expected: gateway.FileIdentity{Path: `C:\acme.qbw`, CompanyName: "Acme"}}), "")
	shown := func() qbd.Condition { return s.Snapshot().Files[0].Shown }
	if got := stateLabel(shown()); got != "Waiting for QuickBooks" || stateClass(shown()) != "wait" || shown().Resolution == "" {
		t.Errorf("just after another file was opened: %q (%s), resolution %q", got, stateClass(shown()), shown().Resolution)
	}
	clock.Advance(59 * time.Minute)
	if got := stateLabel(shown()); got != "Waiting for QuickBooks" {
		t.Errorf("after 59 minutes: %q", got)
	}
	clock.Advance(2 * time.Minute)
	if got := stateLabel(shown()); got != "Action needed" || stateClass(shown()) != "user" {
		t.Errorf("after 61 minutes: %q (%s)", got, stateClass(shown()))
	}
	// What the platform hears does not change with the grace.
	if r := s.Report(Identity{}); !r.Files[0].NeedsUser {
		t.Error("the platform is told nobody needs to act")
	}
}
