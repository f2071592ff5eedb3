package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbd"
)

// card returns the connector UI's card of the connection, as HTML.
func (e *env) card() string {
	e.tb.Helper()
	var frag struct {
		Cards string `json:"cards"`
	}
	if code := e.agent.UI("GET", "/fragments", nil, &frag); code != http.StatusOK {
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
	e.link()
	e.agent.Run()
	e.expectState(qbd.CondOK)

	wait.For(t, "the card to name the client company", 10*time.Second, func() (bool, string) {
		c := e.card()
		return strings.Contains(c, "Acme Plumbing LLC — for Lender Inc"), c
	})

	t.Run("paused through the API", func(t *testing.T) {
		e.plat.Pause(e.conn)
		pausedAt := time.Now()
		wait.For(t, "the card to show the platform's pause", 10*time.Second, func() (bool, string) {
			fs := e.file()
			return fs.Shown.Code == connector.CondPaused && fs.PausedBy == connector.PausedByPlatform, fs.Shown.Code + " " + fs.Shown.Message
		})
		if fs := e.file(); !strings.Contains(fs.Shown.Message, "Lender Inc") {
			t.Errorf("the card says %q; want it to name who paused", fs.Shown.Message)
		}
		// Heartbeats (every 2 s here) come and go; the pause stays.
		wait.For(t, "two heartbeats after the pause", 15*time.Second, func() (bool, string) {
			c := e.plat.Connection(e.conn)
			return c.UpdatedAt.After(pausedAt.Add(4500 * time.Millisecond)), c.UpdatedAt.String()
		})
		if c := e.plat.Connection(e.conn); !c.Paused || c.Health.Code != qbconnect.HealthPaused {
			t.Fatalf("after heartbeats the platform shows paused=%v health=%s: a heartbeat undid the client's pause", c.Paused, c.Health.Code)
		}
		e.plat.Resume(e.conn)
		e.expectState(qbd.CondOK)
	})

	t.Run("paused on the connector, resumed through the API", func(t *testing.T) {
		e.press("pause", map[string]string{"for": ""})
		wait.For(t, "the platform to show the local pause", 10*time.Second, func() (bool, string) {
			c := e.plat.Connection(e.conn)
			return c.Paused && c.Health.Code == qbconnect.HealthPaused && strings.Contains(c.Health.Message, "QuickBooks computer"), c.Health.Message
		})
		e.plat.Resume(e.conn)
		wait.For(t, "the card to show the resume", 10*time.Second, func() (bool, string) {
			fs := e.file()
			return !fs.Paused && fs.Shown.Code == qbd.CondOK, fs.Shown.Code
		})
		e.expectState(qbd.CondOK)
	})

	t.Run("a second agent on the same data folder", func(t *testing.T) {
		out, errOut, err := testenv.RunErr(e.agent.Program, append([]string{"--data-dir", e.agent.DataDir, "run"}, testenv.RunArgs...)...)
		want := fmt.Sprintf("another qbconnector (PID %d) is already running for the data folder", e.agent.Proc.PID())
		if err == nil || !strings.Contains(out+errOut, want) {
			t.Fatalf("a second qbconnector run = %v:\n%s%s\nwant it refused with %q", err, out, errOut, want)
		}
		// The running agent was not disturbed.
		e.expectState(qbd.CondOK)
	})
}
