package connector

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestUsersTokenReadsAndSyncsButCannotLinkOrUnlink is the local UI's
// permission model: the users' token that the agent publishes for the
// tray app and unelevated users (UserAccessFile) reads the state and the
// log and performs sync, pause and resume, from the page and the API;
// linking, unlinking and any other change answer 403 and change nothing,
// while the full token may do them.
func TestUsersTokenReadsAndSyncsButCannotLinkOrUnlink(t *testing.T) {
	a := uiAgent(t)
	h := a.UIHandler()
	full := a.config().UIToken
	if err := a.store.SaveUserAccess("http://127.0.0.1:5555", full); err != nil {
		t.Fatal(err)
	}
	var acc Access
	data, err := os.ReadFile(a.store.Path(UserAccessFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &acc); err != nil {
		t.Fatal(err)
	}
	user := acc.Token
	if user == "" || user == full || strings.Contains(string(data), full) {
		t.Fatalf("the users' access file %s reveals the full token or has none", data)
	}
	if acc.UIURL != "http://127.0.0.1:5555/?token="+user || !acc.Limited {
		t.Errorf("users' access = %+v", acc)
	}
	do := func(token, method, target, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Host = "127.0.0.1:5555"
		r.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		method, target, body string
		want                 int
	}{
		{"GET", "/api/status", "", http.StatusOK},
		{"GET", "/api/log", "", http.StatusOK},
		{"GET", "/", "", http.StatusOK},
		{"GET", "/log", "", http.StatusOK},
		{"GET", "/files/con_1/log", "", http.StatusOK},
		{"GET", "/fragments", "", http.StatusOK},
		{"POST", "/api/files/con_1/pause", `{"for":"1h"}`, http.StatusOK},
		{"POST", "/api/files/con_1/resume", "", http.StatusOK},
		{"POST", "/files/con_1/pause", "", http.StatusSeeOther},
		{"POST", "/files/con_1/resume", "", http.StatusSeeOther},
		{"POST", "/api/files/con_1/unlink", "", http.StatusForbidden},
		{"POST", "/files/con_1/unlink", "", http.StatusForbidden},
		{"POST", "/api/link", `{"code":"ABCD-1234"}`, http.StatusForbidden},
		{"POST", "/link", "", http.StatusForbidden},
		{"POST", "/api/files/con_1/settings", "", http.StatusForbidden},
		{"POST", "/api/files/con_1/sync/extra", "", http.StatusForbidden},
		{"PUT", "/api/files/con_1/pause", "", http.StatusForbidden},
		{"DELETE", "/api/files/con_1", "", http.StatusForbidden},
	} {
		w := do(user, tc.method, tc.target, tc.body)
		if w.Code != tc.want {
			t.Errorf("users' token: %s %s = %d, want %d: %s", tc.method, tc.target, w.Code, tc.want, w.Body)
		}
		if tc.want == http.StatusForbidden && strings.HasPrefix(tc.target, "/api/") && !strings.Contains(w.Body.String(), "Run as administrator") {
			t.Errorf("users' token: %s %s: the refusal does not say what to do: %s", tc.method, tc.target, w.Body)
		}
	}
	if len(a.config().Files) != 1 {
		t.Fatal("a refused unlink unlinked the file")
	}
	// The full token may unlink (the platform is unreachable here, so the
	// unlink itself fails, but it is not refused).
	if w := do(full, "POST", "/api/files/con_1/unlink", ""); w.Code == http.StatusForbidden || w.Code == http.StatusUnauthorized {
		t.Errorf("full token: unlink = %d: %s", w.Code, w.Body)
	}

	// The users' link opens the users' page: a cookie with the users'
	// token, cards with Perform Sync but no link form and no unlink.
	r := httptest.NewRequest("GET", "/?token="+url.QueryEscape(user), nil)
	r.Host = "127.0.0.1:5555"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	c := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(c) != 1 || c[0].Value != user {
		t.Fatalf("users' link = %d, cookies %+v", w.Code, c)
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.Host = "127.0.0.1:5555"
	r.AddCookie(c[0])
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	page := w.Body.String()
	for _, want := range []string{"Acme Plumbing", "Perform Sync", `data-testid="admin-only"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the users' page lacks %q", want)
		}
	}
	for _, unwanted := range []string{`id="link-form"`, `data-testid="unlink"`} {
		if strings.Contains(page, unwanted) {
			t.Errorf("the users' page offers %q", unwanted)
		}
	}
	fullPage := do(full, "GET", "/", "").Body.String()
	for _, want := range []string{`id="link-form"`, `data-testid="unlink"`} {
		if !strings.Contains(fullPage, want) {
			t.Errorf("the administrators' page lacks %q", want)
		}
	}
}

// TestLocalAccessPrefersTheFullTokenAndFallsBackToTheUsers: a program that
// can read the data folder gets the full access; with no runtime file to
// read (on Windows: the data folder refuses this user) it gets the users'
// access, and with neither the connector is not running.
func TestLocalAccessPrefersTheFullTokenAndFallsBackToTheUsers(t *testing.T) {
	st := &Store{Dir: t.TempDir()}
	if _, err := st.LocalAccess(); err != ErrNotRunning {
		t.Fatalf("empty folder: %v, want ErrNotRunning", err)
	}
	cfg := &Config{}
	if err := st.Save(cfg); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveUserAccess("http://127.0.0.1:7777", cfg.UIToken); err != nil {
		t.Fatal(err)
	}
	acc, err := st.LocalAccess()
	if err != nil || !acc.Limited || acc.Token != UserToken(cfg.UIToken) {
		t.Fatalf("users' access = %+v, %v", acc, err)
	}
	if err := st.SaveRuntime(Runtime{PID: 1, UIURL: "http://127.0.0.1:7777/?token=" + cfg.UIToken}); err != nil {
		t.Fatal(err)
	}
	acc, err = st.LocalAccess()
	if err != nil || acc.Limited || acc.Token != cfg.UIToken {
		t.Fatalf("full access = %+v, %v", acc, err)
	}
	st.RemoveRuntime()
	st.RemoveUserAccess()
	if _, err := st.LocalAccess(); err != ErrNotRunning {
		t.Fatalf("after shutdown: %v, want ErrNotRunning", err)
	}
}

// TestWindowsAccessRules are the data folder's and the users' access
// file's rules on Windows: SYSTEM and the Administrators alone on the
// folder, passed on to its files; the users' file adds read-only access
// for interactive users and nothing for anyone else.
func TestWindowsAccessRules(t *testing.T) {
	if got, want := dataDirSDDL, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"; got != want {
		t.Errorf("data folder: %s, want %s", got, want)
	}
	if got, want := userAccessSDDL, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;IU)"; got != want {
		t.Errorf("users' access file: %s, want %s", got, want)
	}
	for _, s := range []string{dataDirSDDL, userAccessSDDL} {
		for _, broad := range []string{";;;WD)", ";;;BU)", ";;;AU)", ";;;AN)"} {
			if strings.Contains(s, broad) {
				t.Errorf("%s grants %s (everyone, all users, authenticated users or anonymous)", s, broad)
			}
		}
	}
}
