package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/qbd"
)

// rest calls the platform's REST API with an API key of the test's
// organisation and returns the status.
func (e *env) rest(key, method, path string, body any) int {
	e.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.platURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// card returns the connector UI's card of the connection, as HTML.
func (e *env) card() string {
	e.tb.Helper()
	var frag struct {
		Cards string `json:"cards"`
	}
	if code := e.ui("GET", "/fragments", nil, &frag); code != http.StatusOK {
		e.tb.Fatalf("fragments: %d", code)
	}
	return frag.Cards
}

// TestPauseHasOneOwnerPerChangeAcrossTheRealProcesses pauses the same
// connection from both ends — the client through the REST API, the end
// user on the connector — and checks that each change shows on the other
// side and that no heartbeat undoes it; the card names the client company
// and organisation.
func TestPauseHasOneOwnerPerChangeAcrossTheRealProcesses(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link(e.conn.ID)
	e.startAgent()
	e.expectState(qbd.CondOK)
	_, key, err := e.plat.Orgs.CreateAPIKey(e.ctx, e.orgID, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	base := "/v1/companies/" + e.company.ID + "/connections/" + e.conn.ID

	waitFor(t, "the card to name the client company", 10*time.Second, func() (bool, string) {
		c := e.card()
		return strings.Contains(c, "Acme Plumbing LLC — for Lender Inc"), c
	})

	t.Run("paused through the API", func(t *testing.T) {
		if code := e.rest(key, "POST", base+"/pause", nil); code != 200 {
			t.Fatalf("pause: %d", code)
		}
		pausedAt := time.Now()
		waitFor(t, "the card to show the platform's pause", 10*time.Second, func() (bool, string) {
			fs := e.status().File(e.conn.ID)
			return fs.Shown.Code == connector.CondPaused && fs.PausedBy == connector.PausedByPlatform, fs.Shown.Code + " " + fs.Shown.Message
		})
		if fs := e.status().File(e.conn.ID); !strings.Contains(fs.Shown.Message, "Lender Inc") {
			t.Errorf("the card says %q; want it to name who paused", fs.Shown.Message)
		}
		// Heartbeats (every 2 s here) come and go; the pause stays.
		waitFor(t, "two heartbeats after the pause", 15*time.Second, func() (bool, string) {
			c, _ := e.plat.Connections.LookupConnection(e.ctx, e.conn.ID)
			return c.UpdatedAt.After(pausedAt.Add(4500 * time.Millisecond)), c.UpdatedAt.String()
		})
		c, _ := e.plat.Connections.LookupConnection(e.ctx, e.conn.ID)
		if !c.Paused || c.Health.Code != qbconnect.HealthPaused {
			t.Fatalf("after heartbeats the platform shows paused=%v health=%s: a heartbeat undid the client's pause", c.Paused, c.Health.Code)
		}
		if code := e.rest(key, "POST", base+"/resume", nil); code != 200 {
			t.Fatalf("resume: %d", code)
		}
		e.expectState(qbd.CondOK)
	})

	t.Run("paused on the connector, resumed through the API", func(t *testing.T) {
		if code := e.ui("POST", "/api/files/"+e.conn.ID+"/pause", map[string]string{"for": ""}, nil); code != 200 {
			t.Fatalf("pause: %d", code)
		}
		waitFor(t, "the platform to show the local pause", 10*time.Second, func() (bool, string) {
			c, _ := e.plat.Connections.LookupConnection(e.ctx, e.conn.ID)
			return c.Paused && c.Health.Code == qbconnect.HealthPaused && strings.Contains(c.Health.Message, "QuickBooks computer"), c.Health.Message
		})
		if code := e.rest(key, "POST", base+"/resume", nil); code != 200 {
			t.Fatalf("resume: %d", code)
		}
		waitFor(t, "the card to show the resume", 10*time.Second, func() (bool, string) {
			fs := e.status().File(e.conn.ID)
			return !fs.Paused && fs.Shown.Code == qbd.CondOK, fs.Shown.Code
		})
		e.expectState(qbd.CondOK)
	})

	t.Run("a second agent on the same data folder", func(t *testing.T) {
		e.mu.Lock()
		pid := e.agent.Process.Pid
		e.mu.Unlock()
		cmd := exec.Command(e.program, append([]string{"--data-dir", e.dataDir}, runArgs...)...)
		out, err := cmd.CombinedOutput()
		want := fmt.Sprintf("another qbconnector (PID %d) is already running for the data folder", pid)
		if err == nil || !strings.Contains(string(out), want) {
			t.Fatalf("a second qbconnector run = %v:\n%s\nwant it refused with %q", err, out, want)
		}
		// The running agent was not disturbed.
		e.expectState(qbd.CondOK)
	})
}
