package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/internal/wine"
	"github.com/qbconnect/qbconnect/qbd"
)

// TestWindowsConnectorUnderWine runs the connector's Windows build,
// qbconnector.exe signed with Authenticode and installed in C:\Program
// Files\qbconnect, under Wine against the native platform and simulator on
// loopback, as a new user would on a Windows PC: without QuickBooks the
// real COM driver finds no request processor; linked to the simulator it
// runs, a client's write is applied exactly once, and a pause and a resume
// reach the platform; its data folder is C:\ProgramData\qbconnect, locked
// by the running agent. The duration is logged (the issue asks for under 3
// minutes).
func TestWindowsConnectorUnderWine(t *testing.T) {
	start := time.Now()
	defer func() { t.Logf("the Windows connector under Wine took %s", time.Since(start).Round(time.Millisecond)) }()
	pfx := wine.New(t)
	t.Logf("Wine prefix made in %s", pfx.Boot.Round(time.Millisecond))
	build := testenv.BuildWindowsConnector(t, t.TempDir(), testenv.Version)
	e := newEnv(t, envOptions{})
	e.agent = testenv.InstallWindowsConnector(t, pfx, build, e.leaf(time.Time{}))

	t.Run("no QuickBooks: the real COM driver says it is not installed", func(t *testing.T) {
		out, errOut, err := e.agent.CmdErr("link", "--platform", e.plat.URL, "--code", e.plat.LinkCode(e.conn), "--timeout", "30s")
		if err == nil {
			t.Fatalf("link without QuickBooks succeeded:\n%s%s", out, errOut)
		}
		for _, want := range []string{"qbconnector: QuickBooks Desktop is not installed on this computer",
			"What to do: Install the connector on the computer where QuickBooks Desktop is installed",
			"state " + qbd.CondQBNotInstalled, "0x800401F3"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("the output lacks %q:\n%s", want, errOut)
			}
		}
	})

	t.Run("linked to the simulator, it runs and a client's write is applied once", func(t *testing.T) {
		e.link()
		e.agent.Run()
		e.waitHealthy()
		st := e.agent.Status()
		if st.Identity.Version != testenv.Version || !strings.Contains(st.Identity.Signer, "qbconnect Ltd") {
			t.Errorf("identity = %+v: the Authenticode signature of the .exe was not read", st.Identity)
		}
		if !strings.HasPrefix(st.Identity.Program, testenv.ProgramFolder) {
			t.Errorf("the program runs from %q, want under %s", st.Identity.Program, testenv.ProgramFolder)
		}
		op := e.writeCustomer("Wine Cellar Ltd")
		op = e.plat.WaitOperation(op.ID, time.Minute)
		e.checkWritten(op, "Wine Cellar Ltd")
	})

	t.Run("pause and resume", func(t *testing.T) {
		e.press("pause", map[string]string{"for": "1h"})
		wait.For(t, "paused locally and on the platform", 20*time.Second, func() (bool, string) {
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

	t.Run("the data folder is C:\\ProgramData\\qbconnect and the running agent locks it", func(t *testing.T) {
		if _, err := os.Stat(e.agent.DataDir + "/config.json"); err != nil {
			t.Errorf("no configuration in C:\\ProgramData\\qbconnect: %v", err)
		}
		rt, ok, err := (&connector.Store{Dir: e.agent.DataDir}).LoadRuntime()
		if err != nil || !ok {
			t.Fatalf("runtime file: %v %v", ok, err)
		}
		out, errOut, err := e.agent.CmdErr("run", "--ui-addr", "-")
		if err == nil {
			t.Fatalf("a second agent ran on the same data folder:\n%s%s", out, errOut)
		}
		if !strings.Contains(errOut, fmt.Sprint(rt.PID)) {
			t.Errorf("the second agent's refusal does not name the running one (PID %d):\n%s", rt.PID, errOut)
		}
	})

	t.Run("the data folder's permissions", func(t *testing.T) {
		// Only SYSTEM and Administrators may read the credential: the
		// folder's rules are protected from inheritance (P) and grant
		// full access (FA) to those two alone (connector/perm_windows.go).
		// The agent sets them at every start, and fails when Windows
		// refuses; reading them back needs a Windows that keeps them.
		sddl, err := pfx.SDDL(testenv.DefaultDataFolder)
		if err != nil {
			t.Fatal(err)
		}
		const want = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
		if !strings.HasPrefix(sddl, "D:P") {
			t.Skipf("Wine accepted the folder's access rules but does not keep them: upstream Wine stores no security descriptor for files and reports one made from the Unix mode (%s); on Windows they read %s", sddl, want)
		}
		if sddl != want {
			t.Errorf("the data folder's access rules are %q, want %q", sddl, want)
		}
	})

	t.Run("service install, start and stop through Wine's service manager", func(t *testing.T) {
		e.agent.Stop()
		out, errOut, err := e.agent.CmdErr("service", "install")
		if err != nil {
			t.Fatalf("service install: %v\n%s%s", err, out, errOut)
		}
		t.Logf("service install said:\n%s%s", out, errOut)
		// The service runs the agent on the same data folder as the
		// console (Wine gives services another %ProgramData%), and, with
		// no console, logs to the data folder's file.
		logFile := e.agent.DataDir + "/" + connector.LogFileName
		wait.For(t, "the service's agent to log in "+testenv.DefaultDataFolder, time.Minute, func() (bool, string) {
			data, err := os.ReadFile(logFile)
			return err == nil && strings.Contains(string(data), "level=INFO"), fmt.Sprintf("%v %s", err, data)
		})
		out, errOut, err = e.agent.CmdErr("service", "uninstall")
		if err != nil || !strings.Contains(out+errOut, "The qbconnector service is removed.") {
			t.Fatalf("service uninstall: %v\n%s%s", err, out, errOut)
		}
		t.Skip("Wine installs, starts, stops and removes the service, but the agent it starts stops making progress " +
			"while it reads its own signature (the same code runs in a console): the local UI, a write through the " +
			"service and the service's self-update are checked on Windows only")
	})
}
