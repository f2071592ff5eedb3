package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// expectState waits until the connector's local UI and the platform's
// connection health both show code, checks the local message, and returns
// the local file status.
func (e *env) expectState(code string, wantMessage ...string) {
	e.tb.Helper()
	// Perform Sync asks QuickBooks again at once, as the end user would.
	e.ui("POST", "/api/files/"+e.conn.ID+"/sync", nil, nil)
	waitFor(e.tb, "state "+code+" locally and on the platform", 15*time.Second, func() (bool, string) {
		st := e.status()
		fs := st.File(e.conn.ID)
		h := e.health(e.conn.ID)
		if fs == nil {
			return false, "no file"
		}
		return fs.Shown.Code == code && h.Code == code, fmt.Sprintf("local %s (%s), platform %s (%s)", fs.Shown.Code, fs.Shown.Message, h.Code, h.Message)
	})
	fs := e.status().File(e.conn.ID)
	h := e.health(e.conn.ID)
	for _, m := range wantMessage {
		if !strings.Contains(fs.Shown.Message, m) {
			e.tb.Errorf("%s: local message %q lacks %q", code, fs.Shown.Message, m)
		}
		if !strings.Contains(h.Message, m) {
			e.tb.Errorf("%s: platform message %q lacks %q", code, h.Message, m)
		}
	}
	if code != qbd.CondOK && (fs.Shown.Resolution == "" || h.Resolution == "") {
		e.tb.Errorf("%s: no resolution: local %q, platform %q", code, fs.Shown.Resolution, h.Resolution)
	}
}

// appKey returns the Integrated Applications key of the connector in a
// company file.
func (e *env) appKey(file string) string {
	e.tb.Helper()
	var ia qbdsim.IntegratedApps
	if err := json.Unmarshal(e.sim("GET", "/api/v1/files/"+file+"/apps", nil), &ia); err != nil {
		e.tb.Fatal(err)
	}
	for _, a := range ia.Apps {
		if a.Name == "qbconnect" {
			return a.Key
		}
	}
	e.tb.Fatalf("qbconnect is not in %s's Integrated Applications: %+v", file, ia.Apps)
	return ""
}

// TestEveryStateIsShownAndClearsWhenTheCauseIsFixed produces each
// QuickBooks situation in the simulator, checks that the connector's local
// UI and the platform's connection health both show it with a plain
// message, fixes the cause, and checks that the state clears by itself.
func TestEveryStateIsShownAndClearsWhenTheCauseIsFixed(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link(e.conn.ID)
	e.startAgent()
	e.expectState(qbd.CondOK)
	open := func(file, mode string) {
		// QuickBooks refuses to close a file while an application has a
		// session on it; the connector ends idle sessions by itself.
		waitFor(t, "QuickBooks to close the company file", 15*time.Second, func() (bool, string) {
			data, code := e.simTry("POST", "/api/v1/close-file", nil)
			return code == 200, string(data)
		})
		e.sim("POST", "/api/v1/open", map[string]string{"file": file, "mode": mode, "user": "Admin"})
	}
	fault := func(hr uint32) {
		e.sim("POST", "/api/v1/faults", qbdsim.Fault{Method: "BeginSession", HRESULT: hr, Times: -1})
	}

	steps := []struct {
		name    string
		code    string
		message []string
		cause   func()
		fix     func()
	}{
		{"QuickBooks closed without unattended permission", qbd.CondQBClosed, []string{qbd.TimedOutMessage},
			func() {
				f := false
				e.sim("PATCH", "/api/v1/files/acme.qbw/apps/"+e.appKey("acme.qbw"), qbdsim.AppChange{AutoLogin: &f})
				e.sim("POST", "/api/v1/qb/stop", nil)
			},
			func() { e.sim("POST", "/api/v1/qb/start", nil); open("acme.qbw", "single") }},
		{"the wrong company file open", qbd.CondWrongFileOpen, []string{"Other Company", "other.qbw", "Acme Plumbing", "acme.qbw"},
			func() { open("other.qbw", "single") },
			func() { open("acme.qbw", "single") }},
		{"a modal dialog open", qbd.CondModalDialog, nil,
			func() { e.sim("POST", "/api/v1/modal", map[string]string{"title": "Write Checks"}) },
			func() { e.sim("DELETE", "/api/v1/modal", nil) }},
		{"QuickBooks still starting", qbd.CondQBStarting, nil,
			func() { e.sim("PUT", "/api/v1/initializing", map[string]bool{"on": true}) },
			func() { e.sim("PUT", "/api/v1/initializing", map[string]bool{"on": false}) }},
		{"access removed in QuickBooks", qbd.CondAccessRemoved, nil,
			func() {
				f := false
				e.sim("PATCH", "/api/v1/files/acme.qbw/apps/"+e.appKey("acme.qbw"), qbdsim.AppChange{AllowAccess: &f})
			},
			func() {
				tr := true
				e.sim("PATCH", "/api/v1/files/acme.qbw/apps/"+e.appKey("acme.qbw"), qbdsim.AppChange{AllowAccess: &tr})
			}},
		{"the file in the wrong mode", qbd.CondWrongMode, nil,
			func() { fault(qbd.HRWrongMode) },
			func() { e.sim("DELETE", "/api/v1/faults", nil) }},
		{"the file locked by another application", qbd.CondSingleUserConflict, nil,
			func() { fault(qbd.HRSingleUserConflict) },
			func() { e.sim("DELETE", "/api/v1/faults", nil) }},
		{"waiting for the administrator's answer", qbd.CondAuthPending, nil,
			func() {
				e.sim("PUT", "/api/v1/policy", qbdsim.Policy{Mode: qbdsim.PolicyAsk})
				e.sim("DELETE", "/api/v1/files/acme.qbw/apps/"+e.appKey("acme.qbw"), nil)
			},
			func() {
				var ds []qbdsim.Dialog
				waitFor(t, "the authorization dialog", 10*time.Second, func() (bool, string) {
					json.Unmarshal(e.sim("GET", "/api/v1/dialogs", nil), &ds)
					return len(ds) > 0, "no dialog"
				})
				e.sim("POST", "/api/v1/dialogs/"+ds[0].ID+"/answer", map[string]any{"choice": "always", "done": true})
			}},
		{"access denied by the administrator", qbd.CondAccessDenied, nil,
			func() {
				e.sim("PUT", "/api/v1/policy", qbdsim.Policy{Mode: qbdsim.PolicyDeny})
				e.sim("DELETE", "/api/v1/files/acme.qbw/apps/"+e.appKey("acme.qbw"), nil)
			},
			func() { e.sim("PUT", "/api/v1/policy", qbdsim.Policy{Mode: qbdsim.PolicyAlways}) }},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.cause()
			e.expectState(s.code, s.message...)
			s.fix()
			e.expectState(qbd.CondOK)
		})
	}

	t.Run("the connector's certificate changed", func(t *testing.T) {
		// A release signed with a new certificate is a new application to
		// QuickBooks; with the file open in multi-user mode nobody can
		// authorise it.
		e.stopAgent()
		e.program = e.signedConnector("qbconnect Ltd")
		open("acme.qbw", "multi")
		e.startAgent()
		e.expectState(qbd.CondCertChanged)
		open("acme.qbw", "single") // as Admin: QuickBooks asks, the policy says "Yes, always"
		e.expectState(qbd.CondOK)
	})

	t.Run("paused", func(t *testing.T) {
		if code := e.ui("POST", "/api/files/"+e.conn.ID+"/pause", map[string]string{"for": "1h"}, nil); code != 200 {
			t.Fatalf("pause: %d", code)
		}
		waitFor(t, "paused locally and on the platform", 10*time.Second, func() (bool, string) {
			fs := e.status().File(e.conn.ID)
			h := e.health(e.conn.ID)
			return fs.Shown.Code == connector.CondPaused && h.Code == qbconnect.HealthPaused, fs.Shown.Code + " " + h.Code
		})
		c, _ := e.plat.Connections.LookupConnection(e.ctx, e.conn.ID)
		if !c.Paused {
			t.Error("the platform's connection is not paused")
		}
		if code := e.ui("POST", "/api/files/"+e.conn.ID+"/resume", nil, nil); code != 200 {
			t.Fatalf("resume: %d", code)
		}
		e.expectState(qbd.CondOK)
	})

	t.Run("the platform unreachable", func(t *testing.T) {
		e.restartPlatform(func() {
			waitFor(t, "platform_unreachable locally", 10*time.Second, func() (bool, string) {
				fs := e.status().File(e.conn.ID)
				return fs.Shown.Code == connector.CondPlatformUnreachable, fs.Shown.Code
			})
		})
		e.expectState(qbd.CondOK)
	})

	t.Run("the connector's certificate expired", func(t *testing.T) {
		// A release whose certificate expires soon is authorised ("Yes,
		// always") while the certificate is valid; once it has expired,
		// QuickBooks closed, QuickBooks refuses the automatic login.
		e.stopAgent()
		expiry := time.Now().Add(12 * time.Second)
		e.program = e.connectorSignedUntil("qbconnect Ltd", expiry)
		open("acme.qbw", "single")
		e.startAgent()
		e.expectState(qbd.CondOK)
		if entry := e.app("acme.qbw"); !entry.AutoLogin || entry.AllowExpired || !time.Now().Before(expiry) {
			t.Fatalf("the release was not authorised with automatic login before its certificate expired: %+v", entry)
		}
		waitFor(t, "the certificate to expire", time.Until(expiry)+5*time.Second, func() (bool, string) {
			return time.Now().After(expiry), "valid until " + expiry.Format(time.RFC3339)
		})
		e.sim("POST", "/api/v1/qb/stop", nil)
		e.expectState(qbd.CondCertExpired, "certificate has expired")
		// The administrator opens the file and allows the expired
		// certificate (the policy answers "Yes, always").
		e.sim("POST", "/api/v1/qb/start", nil)
		open("acme.qbw", "single")
		e.expectState(qbd.CondOK)
		if !e.app("acme.qbw").AllowExpired {
			t.Error("QuickBooks did not record the administrator's permission for the expired certificate")
		}
		// From now on it logs in while QuickBooks is closed, too.
		e.sim("POST", "/api/v1/qb/stop", nil)
		e.expectState(qbd.CondOK)
	})

	t.Run("QuickBooks closed and no automatic login, unattended", func(t *testing.T) {
		// A connector set up to work while QuickBooks is closed, whose
		// automatic login the administrator turned off.
		e.stopAgent()
		st := &connector.Store{Dir: e.dataDir}
		cfg, err := st.Load()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Unattended = true
		if err := st.Save(cfg); err != nil {
			t.Fatal(err)
		}
		e.startAgent()
		e.expectState(qbd.CondOK)
		f := false
		key := e.app("acme.qbw").Key
		e.sim("PATCH", "/api/v1/files/acme.qbw/apps/"+key, qbdsim.AppChange{AutoLogin: &f})
		waitFor(t, "QuickBooks to close", 15*time.Second, func() (bool, string) {
			data, code := e.simTry("POST", "/api/v1/qb/stop", nil)
			return code == 200, string(data)
		})
		e.expectState(qbd.CondAutoLoginNotAllowed, "not allowed to log in")
		tr := true
		e.sim("PATCH", "/api/v1/files/acme.qbw/apps/"+key, qbdsim.AppChange{AutoLogin: &tr})
		e.expectState(qbd.CondOK)
	})
}

// connectorSignedUntil copies the connector binary and signs it with a new
// certificate for commonName that expires at notAfter.
func (e *env) connectorSignedUntil(commonName string, notAfter time.Time) string {
	tb := e.tb
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "qbconnector")
	data, err := os.ReadFile(bins.connector)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	leaf := e.ca.Issue(tb, commonName, signingtest.Opts{Organization: "qbconnect", NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter})
	if _, _, err := leaf.Signer().SignFile(context.Background(), dst); err != nil {
		tb.Fatalf("signing the connector: %v", err)
	}
	return dst
}

// app returns the running connector's entry in a company file's
// Integrated Applications: the one for the certificate it is signed with
// now (each certificate is an application of its own to QuickBooks).
func (e *env) app(file string) qbdsim.AppEntry {
	e.tb.Helper()
	var ia qbdsim.IntegratedApps
	if err := json.Unmarshal(e.sim("GET", "/api/v1/files/"+file+"/apps", nil), &ia); err != nil {
		e.tb.Fatal(err)
	}
	thumb := e.status().Identity.Thumbprint
	for _, a := range ia.Apps {
		if a.Name == "qbconnect" && a.Certificate != nil && strings.EqualFold(a.Certificate.Thumbprint, thumb) {
			return a
		}
	}
	e.tb.Fatalf("no qbconnect entry for certificate %s in %s's Integrated Applications: %+v", thumb, file, ia.Apps)
	return qbdsim.AppEntry{}
}
