package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// TestEveryStateIsShownAndClearsWhenTheCauseIsFixed produces each
// QuickBooks situation in the simulator, checks that the connector's local
// UI and the platform's connection health (REST) both show it with a plain
// message, fixes the cause, and checks that the state clears by itself.
func TestEveryStateIsShownAndClearsWhenTheCauseIsFixed(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link()
	e.agent.Run()
	e.expectState(qbd.CondOK)
	ctx := context.Background()
	fault := func(hr uint32) {
		_, err := e.sim.InjectFault(ctx, qbdsim.Fault{Method: "BeginSession", HRESULT: hr, Times: -1})
		e.must("fault", err)
	}
	clearFaults := func() { e.must("clear faults", e.sim.ClearFaults(ctx)) }
	policy := func(mode qbdsim.PolicyMode) { e.must("policy", e.sim.SetPolicy(ctx, qbdsim.Policy{Mode: mode})) }
	f, tr := false, true

	steps := []struct {
		name    string
		code    string
		message []string
		cause   func()
		fix     func()
	}{
		{"QuickBooks closed without unattended permission", qbd.CondQBClosed, []string{qbd.TimedOutMessage},
			func() { e.setApp(qbdsim.AppChange{AutoLogin: &f}); e.sim.StopQB() },
			func() { e.sim.StartQB(); e.open(testenv.AcmeFile, "single") }},
		{"the wrong company file open", qbd.CondWrongFileOpen, []string{testenv.OtherName, testenv.OtherFile, testenv.AcmeName, testenv.AcmeFile},
			func() { e.open(testenv.OtherFile, "single") },
			func() { e.open(testenv.AcmeFile, "single") }},
		{"a modal dialog open", qbd.CondModalDialog, nil,
			func() { e.must("modal", e.sim.ShowModal(ctx, "Write Checks")) },
			func() { e.must("dismiss modal", e.sim.DismissModal(ctx)) }},
		{"QuickBooks still starting", qbd.CondQBStarting, nil,
			func() { e.must("initializing", e.sim.SetInitializing(ctx, true)) },
			func() { e.must("initializing", e.sim.SetInitializing(ctx, false)) }},
		{"access removed in QuickBooks", qbd.CondAccessRemoved, nil,
			func() { e.setApp(qbdsim.AppChange{AllowAccess: &f}) },
			func() { e.setApp(qbdsim.AppChange{AllowAccess: &tr}) }},
		{"the file in the wrong mode", qbd.CondWrongMode, nil,
			func() { fault(qbd.HRWrongMode) },
			clearFaults},
		{"the file locked by another application", qbd.CondSingleUserConflict, nil,
			func() { fault(qbd.HRSingleUserConflict) },
			clearFaults},
		{"waiting for the administrator's answer", qbd.CondAuthPending, nil,
			func() { policy(qbdsim.PolicyAsk); e.sim.Remove(testenv.AcmeFile, e.app(testenv.AcmeFile).Key) },
			func() { e.sim.Answer(e.sim.WaitDialog(10*time.Second), qbdsim.ChoiceAlways) }},
		{"access denied by the administrator", qbd.CondAccessDenied, nil,
			func() { policy(qbdsim.PolicyDeny); e.sim.Remove(testenv.AcmeFile, e.app(testenv.AcmeFile).Key) },
			func() { policy(qbdsim.PolicyAlways) }},
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
		e.agent.Stop()
		e.agent.Sign(e.leaf(time.Time{}))
		e.open(testenv.AcmeFile, "multi")
		e.agent.Run()
		e.expectState(qbd.CondCertChanged)
		e.open(testenv.AcmeFile, "single") // as Admin: QuickBooks asks, the policy says "Yes, always"
		e.expectState(qbd.CondOK)
	})

	t.Run("paused", func(t *testing.T) {
		e.press("pause", map[string]string{"for": "1h"})
		wait.For(t, "paused locally and on the platform", 10*time.Second, func() (bool, string) {
			fs := e.file()
			c := e.plat.Connection(e.conn)
			return fs.Shown.Code == connector.CondPaused && c.Health.Code == qbconnect.HealthPaused && c.Paused,
				fmt.Sprintf("local %s, platform %s paused=%v", fs.Shown.Code, c.Health.Code, c.Paused)
		})
		e.press("resume", nil)
		e.expectState(qbd.CondOK)
		if e.plat.Connection(e.conn).Paused {
			t.Error("the platform's connection is still paused after the resume")
		}
	})

	t.Run("the platform unreachable", func(t *testing.T) {
		// The serve process stops and starts again on the same address
		// and database.
		e.plat.Restart(func() {
			wait.For(t, "platform_unreachable locally", 10*time.Second, func() (bool, string) {
				fs := e.file()
				return fs.Shown.Code == connector.CondPlatformUnreachable, fs.Shown.Code
			})
		})
		e.expectState(qbd.CondOK)
	})

	t.Run("the connector's certificate expired", func(t *testing.T) {
		// A release whose certificate expires soon is authorised ("Yes,
		// always") while the certificate is valid; once it has expired,
		// QuickBooks closed, QuickBooks refuses the automatic login.
		e.agent.Stop()
		expiry := time.Now().Add(12 * time.Second)
		e.agent.Sign(e.leaf(expiry))
		e.open(testenv.AcmeFile, "single")
		e.agent.Run()
		e.expectState(qbd.CondOK)
		if entry := e.app(testenv.AcmeFile); !entry.AutoLogin || entry.AllowExpired || !time.Now().Before(expiry) {
			t.Fatalf("the release was not authorised with automatic login before its certificate expired: %+v", entry)
		}
		wait.For(t, "the certificate to expire", time.Until(expiry)+5*time.Second, func() (bool, string) {
			return time.Now().After(expiry), "valid until " + expiry.Format(time.RFC3339)
		})
		e.sim.StopQB()
		e.expectState(qbd.CondCertExpired, "certificate has expired")
		// The administrator opens the file and allows the expired
		// certificate (the policy answers "Yes, always").
		e.sim.StartQB()
		e.open(testenv.AcmeFile, "single")
		e.expectState(qbd.CondOK)
		if !e.app(testenv.AcmeFile).AllowExpired {
			t.Error("QuickBooks did not record the administrator's permission for the expired certificate")
		}
		// From now on it logs in while QuickBooks is closed, too.
		e.sim.StopQB()
		e.expectState(qbd.CondOK)
	})

	t.Run("QuickBooks closed and no automatic login, unattended", func(t *testing.T) {
		// A connector set up to work while QuickBooks is closed, whose
		// automatic login the administrator turned off.
		e.agent.Stop()
		st := &connector.Store{Dir: e.agent.DataDir}
		cfg, err := st.Load()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Unattended = true
		if err := st.Save(cfg); err != nil {
			t.Fatal(err)
		}
		e.agent.Run()
		e.expectState(qbd.CondOK)
		e.setApp(qbdsim.AppChange{AutoLogin: &f})
		wait.For(t, "QuickBooks to close", 15*time.Second, func() (bool, string) {
			_, err := e.sim.StopQuickBooks(ctx)
			return err == nil, fmt.Sprint(err)
		})
		e.expectState(qbd.CondAutoLoginNotAllowed, "not allowed to log in")
		e.setApp(qbdsim.AppChange{AutoLogin: &tr})
		e.expectState(qbd.CondOK)
	})
}
