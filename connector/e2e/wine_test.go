package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
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

// The releases the Wine test publishes: a newer connector, and a signed
// program that is not one (it exits at once).
const (
	newerVersion  = "9.9.10-e2e"
	brokenVersion = "9.9.11-e2e"
)

// publishWindows signs a Windows build with the connector's certificate,
// publishes it as version on the platform (trusting the test root) and
// rolls it out to every connector; it returns the signed file.
func (e *env) publishWindows(t *testing.T, build, version string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qbconnector.exe")
	data, err := os.ReadFile(build)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	e.agent.Leaf.Sign(t, path)
	e.plat.Release("publish", "--roots", e.ca.RootPath(), "--version", version, path)
	e.plat.Release("rollout", "--version", version, "--percent", "100")
	return path
}

// buildHello builds internal/wine's hello program for Windows.
func buildHello(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "hello.exe")
	cmd := exec.Command("go", "build", "-o", out, "./internal/wine/testdata/hello")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building hello.exe: %v\n%s", err, msg)
	}
	return out
}

func sameFile(tb testing.TB, a, b string) bool {
	tb.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// TestWindowsConnectorUnderWine runs the connector's Windows build,
// qbconnector.exe signed with Authenticode and installed in C:\Program
// Files\qbconnect, under Wine against the native platform and simulator on
// loopback, as a new user would on a Windows PC: without QuickBooks the
// real COM driver finds no request processor; linked to the simulator it
// runs, a client's write is applied exactly once, and a pause and a resume
// reach the platform; its data folder is C:\ProgramData\qbconnect, locked
// by the running agent; the users' token (ui-user.json) reads and syncs
// but may not link; Wine's service manager installs, starts and removes
// the service; the running qbconnector.exe updates itself to a newer
// signed release (renamed to .old, the new one started) and rolls back a
// release that does not report in. The duration is logged (the issue asks
// for under 3 minutes).
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
		op = e.plat.WaitOperation(op.Id, time.Minute)
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

	t.Run("the users' token: read and sync, not link", func(t *testing.T) {
		// The tray app of a user who is not an administrator reads
		// ui-user.json (connector/access.go) and gets the users' token.
		var acc connector.Access
		data, err := os.ReadFile(e.agent.DataDir + "/" + connector.UserAccessFile)
		if err != nil {
			t.Fatalf("the running agent published no access for the users of the computer: %v", err)
		}
		if err := json.Unmarshal(data, &acc); err != nil || acc.Token == "" || acc.Token == e.agent.Token {
			t.Fatalf("%s: %+v, %v", connector.UserAccessFile, acc, err)
		}
		full := e.agent.Token
		e.agent.Token = acc.Token
		defer func() { e.agent.Token = full }()
		var st connector.Status
		if code := e.agent.UI("GET", "/api/status", nil, &st); code != http.StatusOK || len(st.Files) != 1 {
			t.Errorf("status with the users' token: HTTP %d, %d files", code, len(st.Files))
		}
		e.press("sync", nil)
		if code := e.agent.UI("POST", "/api/link", map[string]string{"code": "ABCD-1234"}, nil); code != http.StatusForbidden {
			t.Errorf("link with the users' token: HTTP %d, want 403", code)
		}
		if code := e.agent.UI("POST", "/api/files/"+e.conn.ID+"/unlink", nil, nil); code != http.StatusForbidden {
			t.Errorf("unlink with the users' token: HTTP %d, want 403", code)
		}
		sddl, err := pfx.SDDL(testenv.DefaultDataFolder + `\` + connector.UserAccessFile)
		if err != nil {
			t.Fatal(err)
		}
		const want = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;IU)"
		if !strings.HasPrefix(sddl, "D:P") {
			t.Logf("Wine does not keep file access rules (it reports %s); on Windows %s reads %s", sddl, connector.UserAccessFile, want)
		} else if sddl != want {
			t.Errorf("%s's access rules are %q, want %q", connector.UserAccessFile, sddl, want)
		}
	})

	t.Run("service install, start and stop through Wine's service manager", func(t *testing.T) {
		e.agent.Stop()
		os.Remove(e.agent.DataDir + "/runtime.json")
		out, errOut, err := e.agent.CmdErr("service", "install")
		if err != nil {
			t.Fatalf("service install: %v\n%s%s", err, out, errOut)
		}
		t.Logf("service install said:\n%s%s", out, errOut)
		defer func() {
			out, errOut, err := e.agent.CmdErr("service", "uninstall")
			if err != nil || !strings.Contains(out+errOut, "The qbconnector service is removed.") {
				t.Errorf("service uninstall: %v\n%s%s", err, out, errOut)
			}
		}()
		// The service runs the agent on the same data folder as the
		// console (Wine gives services another %ProgramData%), and, with
		// no console, logs to the data folder's file; its first line (no
		// pinned publisher roots yet: self-update is off) comes before it
		// reads its own signature.
		logFile := e.agent.DataDir + "/" + connector.LogFileName
		// Under Wine the service's agent may log nothing at all (see the
		// skip below): its log is waited for, then its local UI, and
		// either missing ends in the same skip with what was seen.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			data, err := os.ReadFile(logFile)
			if err == nil && strings.Contains(string(data), "level=INFO") || time.Now().After(deadline) {
				break
			}
			<-time.After(wait.Interval)
		}
		// Then its local UI, once it read its own signature.
		deadline = time.Now().Add(time.Minute)
		for {
			rt, ok, err := (&connector.Store{Dir: e.agent.DataDir}).LoadRuntime()
			if err == nil && ok {
				pu, _ := url.Parse(rt.UIURL)
				req, _ := http.NewRequest("GET", "http://"+pu.Host+"/api/status", nil)
				req.Header.Set("Authorization", "Bearer "+pu.Query().Get("token"))
				if resp, err := http.DefaultClient.Do(req); err == nil {
					var st connector.Status
					json.NewDecoder(resp.Body).Decode(&st)
					resp.Body.Close()
					if st.Identity.Version != testenv.Version || !strings.Contains(st.Identity.Signer, "qbconnect Ltd") {
						t.Errorf("the service runs %+v, want %s signed by qbconnect Ltd", st.Identity, testenv.Version)
					}
					return
				}
			}
			if time.Now().After(deadline) {
				break
			}
			<-time.After(wait.Interval)
		}
		data, _ := os.ReadFile(logFile)
		t.Skipf("Wine installs, starts, stops and removes the service, but the agent it starts does not reach its local UI "+
			"within a minute. A probe (a Go service that logs each step) stops inside CryptoAPI's certificate chain "+
			"building (CertGetCertificateChain, which Go's x509 uses for the system roots): it never returned in a "+
			"Wine service within 90 s, and took 8 s in a console. With the publisher's roots pinned beside the program "+
			"the connector checks its signature in Go instead (connector/identity.go), but under Wine the service then "+
			"wrote no log line within 2 minutes either, for reasons not found yet. The local UI, a write through the "+
			"service and the service's self-update are checked on Windows only. The service's log:\n%s", data)
	})

	t.Run("self-update to a newer signed release: the running .exe is renamed, the new one started", func(t *testing.T) {
		// The publisher's root pinned beside the program, as the MSI
		// installs it; release 9.9.10 of the same publisher on the
		// platform. The running qbconnector.exe cannot be deleted or
		// overwritten on Windows, but it can be renamed: it becomes
		// qbconnector.exe.old, the new one takes its name and starts, and
		// the old one exits once the new one reported in.
		e.agent.Stop()
		e.agent.PinRoots(e.ca.RootPath())
		v2 := e.publishWindows(t, testenv.BuildWindowsConnector(t, t.TempDir(), newerVersion), newerVersion)
		before, err := os.ReadFile(e.agent.Program)
		if err != nil {
			t.Fatal(err)
		}
		e.agent.Run("--update-interval", "1s")
		replaced := false
		defer func() {
			if !replaced || t.Failed() {
				t.Logf("the connector wrote:\n%s", e.agent.Proc.Output.String())
			}
		}()
		e.agent.WaitReplaced(2 * time.Minute)
		replaced = true
		st := e.agent.Status()
		if st.Identity.Version != newerVersion || !strings.Contains(st.Identity.Signer, "qbconnect Ltd") {
			t.Errorf("after the update the connector runs %+v, want %s signed by qbconnect Ltd", st.Identity, newerVersion)
		}
		if !sameFile(t, e.agent.Program, v2) {
			t.Error("qbconnector.exe is not the new release")
		}
		if old, _ := os.ReadFile(e.agent.Program + ".old"); string(old) != string(before) {
			t.Error("the previous qbconnector.exe was not kept as qbconnector.exe.old")
		}
		e.expectState(qbd.CondOK)
	})

	t.Run("a release that does not report in is rolled back, and the running version carries on", func(t *testing.T) {
		// A signed program that exits at once: the new version never
		// reports in, so the running one (now qbconnector.exe.old, the
		// image of the running process) takes its name back.
		running, err := os.ReadFile(e.agent.Program)
		if err != nil {
			t.Fatal(err)
		}
		signed := e.publishWindows(t, buildHello(t), brokenVersion)
		broken, err := os.ReadFile(signed)
		if err != nil {
			t.Fatal(err)
		}
		// The process that rolls back is the one the first update
		// started, whose output the test does not hold: the rollback
		// shows in what it leaves, the broken release kept aside as .new,
		// the running version back in place, and no .old. The downloaded
		// release also lies in .new, with the running version in place,
		// before the install starts (while it is verified, the agent still
		// serves); but then .old still holds the first version, which the
		// install overwrites with the running one and the rollback moves
		// back.
		wait.For(t, "the broken release to be tried and put aside", 3*time.Minute, func() (bool, string) {
			kept, err := os.ReadFile(e.agent.Program + ".new")
			if err != nil || string(kept) != string(broken) {
				return false, "qbconnector.exe.new is not the broken release yet"
			}
			if _, err := os.Stat(e.agent.Program + ".old"); err == nil {
				return false, "qbconnector.exe.old is still there: the install has not started or not been rolled back"
			}
			prog, _ := os.ReadFile(e.agent.Program)
			return string(prog) == string(running), "qbconnector.exe is not the running version yet"
		})
		wait.For(t, "qbconnector.exe to be restored and serve again", time.Minute, func() (bool, string) {
			if prog, _ := os.ReadFile(e.agent.Program); string(prog) != string(running) {
				return false, "qbconnector.exe is not the running version"
			}
			// The agent starts again in the same process, on the same
			// address: refused connections until it listens.
			pu, _ := url.Parse(e.agent.UIURL)
			req, _ := http.NewRequest("GET", "http://"+pu.Host+"/api/status", nil)
			req.Header.Set("Authorization", "Bearer "+e.agent.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false, err.Error()
			}
			defer resp.Body.Close()
			var st connector.Status
			json.NewDecoder(resp.Body).Decode(&st)
			return st.Identity.Version == newerVersion, fmt.Sprintf("HTTP %d, version %q", resp.StatusCode, st.Identity.Version)
		})
		if _, err := os.Stat(e.agent.Program + ".new"); err != nil {
			t.Errorf("the release that did not report in is not kept aside as qbconnector.exe.new: %v", err)
		}
		e.expectState(qbd.CondOK)
		e.agent.Stop()
	})
}
