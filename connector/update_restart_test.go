package connector_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// managedUpdate is a connector 1.0.0 that runs under a service manager,
// with release 2.0.0 published for it and installed by RunWithUpdates: the
// executables are swapped and the process must exit for the manager.
type managedUpdate struct {
	p      *updatePlatform
	prog   string
	v1, v2 string
}

func newManagedUpdate(t *testing.T) *managedUpdate {
	t.Helper()
	requireUnix(t)
	ca := signingtest.NewCA(t, "qbconnect publisher root")
	leaf := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	m := &managedUpdate{p: newUpdatePlatform(t, ca)}
	m.v1, m.v2 = buildUpdatee(t, "1.0.0", false), buildUpdatee(t, "2.0.0", false)
	m.p.publish(t, "2.0.0", m.v2, leaf)
	m.prog = installed(t, m.v1)
	if err := os.WriteFile(m.prog+signing.DetachedSuffix, []byte("signature of 1.0.0"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := connector.NewUpdater(connector.UpdaterOptions{Updates: m.p.client(t), Version: "1.0.0", Program: m.prog, Roots: ca.Pool(),
		Interval: 20 * time.Millisecond, Restart: connector.RestartByManager, Args: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	err = connector.RunWithUpdates(context.Background(), u, func(ctx context.Context) error {
		runs++
		<-ctx.Done()
		return nil
	})
	if !errors.Is(err, connector.ErrRestartForUpdate) || runs != 1 {
		t.Fatalf("RunWithUpdates = %v after %d runs; want ErrRestartForUpdate after 1", err, runs)
	}
	if !sameFile(t, m.prog, m.v2) || !sameFile(t, m.prog+".old", m.v1) {
		t.Fatal("the executable was not replaced with 2.0.0 (keeping 1.0.0 as .old)")
	}
	return m
}

// start is the service manager starting the program, which runs version
// and reports through updates.
func (m *managedUpdate) start(t *testing.T, version string, updates gateway.Updates) error {
	t.Helper()
	pu := &connector.PendingUpdates{Program: m.prog, Updates: updates, ConfirmTimeout: 10 * time.Second}
	p, err := pu.Resume(context.Background(), version)
	if err != nil || p == nil {
		return err
	}
	// The agent is up: confirm.
	return pu.Confirm(context.Background(), p)
}

func (m *managedUpdate) pending(t *testing.T) *connector.Pending {
	t.Helper()
	p, err := connector.ReadPending(m.prog)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// unreachable is the platform's address with nothing listening: a new
// version that cannot report in.
func unreachable(t *testing.T) *gatewayclient.Client {
	t.Helper()
	c, err := gatewayclient.New("http://127.0.0.1:1", gatewayclient.Options{Credential: "qbc_test", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestManagedUpdateLeavesMarkerAndNewVersionConfirmsAtItsStart(t *testing.T) {
	m := newManagedUpdate(t)
	want := &connector.Pending{From: "1.0.0", To: "2.0.0"}
	if diff := cmp.Diff(want, m.pending(t), cmpopts.IgnoreFields(connector.Pending{}, "InstalledAt")); diff != "" {
		t.Errorf("marker (-want +got):\n%s", diff)
	}
	if got := m.p.outcomes(t); len(got) != 0 {
		t.Errorf("reported before the new version ran: %v", got)
	}
	// The manager starts the program: version 2.0.0 reports in.
	if err := m.start(t, "2.0.0", m.p.client(t)); err != nil {
		t.Fatal(err)
	}
	if p := m.pending(t); p != nil {
		t.Errorf("the marker is still there after the confirmation: %+v", p)
	}
	if got := strings.Join(m.p.outcomes(t), ","); got != "2.0.0 installed" {
		t.Errorf("reports = %s", got)
	}
	// A later start has nothing to do.
	if err := m.start(t, "2.0.0", m.p.client(t)); err != nil || !sameFile(t, m.prog, m.v2) {
		t.Errorf("a later start: %v", err)
	}
}

func TestManagedUpdateRollsBackVersionThatCannotReportInAndOldVersionReportsIt(t *testing.T) {
	m := newManagedUpdate(t)
	// First start of 2.0.0: it cannot reach the platform, so it exits
	// with an error and the manager starts it again.
	err := m.start(t, "2.0.0", unreachable(t))
	if err == nil || errors.Is(err, connector.ErrRestartForUpdate) || !strings.Contains(err.Error(), "not confirmed") {
		t.Fatalf("first start = %v; want a confirmation error", err)
	}
	if p := m.pending(t); p == nil || p.Starts != 1 {
		t.Fatalf("marker after the first start: %+v", p)
	}
	// Second start of 2.0.0 without a confirmation: roll back and exit
	// for the manager to start 1.0.0.
	if err := m.start(t, "2.0.0", m.p.client(t)); !errors.Is(err, connector.ErrRestartForUpdate) {
		t.Fatalf("second start = %v; want ErrRestartForUpdate", err)
	}
	if !sameFile(t, m.prog, m.v1) || !sameFile(t, m.prog+".new", m.v2) {
		t.Error("1.0.0 was not restored (with 2.0.0 set aside as .new)")
	}
	if b, _ := os.ReadFile(m.prog + signing.DetachedSuffix); string(b) != "signature of 1.0.0" {
		t.Errorf("the signature of 1.0.0 was not restored: %q", b)
	}
	if p := m.pending(t); p == nil || !strings.Contains(p.RolledBack, "without reporting in") {
		t.Fatalf("marker after the rollback: %+v", p)
	}
	// 1.0.0 starts: it reports the rollback and tidies up; the platform
	// stops offering 2.0.0.
	if err := m.start(t, "1.0.0", m.p.client(t)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.p.outcomes(t), ","); got != "2.0.0 rolled_back" {
		t.Errorf("reports = %s", got)
	}
	for _, left := range []string{m.prog + connector.PendingSuffix, m.prog + ".new", m.prog + ".new" + signing.DetachedSuffix} {
		if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left behind (%v)", left, err)
		}
	}
	if o, err := m.p.client(t).CheckUpdate(context.Background(), runtime.GOOS+"/"+runtime.GOARCH); o != nil || err != nil {
		t.Errorf("offered again after the rollback: %+v, %v", o, err)
	}
}

func TestManagedUpdateRollsBackVersionWhoseAgentNeverCameUp(t *testing.T) {
	m := newManagedUpdate(t)
	// 2.0.0 starts but its agent fails before it is up: no confirmation.
	pu := &connector.PendingUpdates{Program: m.prog, Updates: m.p.client(t)}
	p, err := pu.Resume(context.Background(), "2.0.0")
	if err != nil || p == nil || p.Starts != 1 {
		t.Fatalf("first start = %+v, %v; want the marker to confirm", p, err)
	}
	if err := m.start(t, "2.0.0", m.p.client(t)); !errors.Is(err, connector.ErrRestartForUpdate) {
		t.Fatalf("second start = %v; want ErrRestartForUpdate", err)
	}
	if !sameFile(t, m.prog, m.v1) {
		t.Error("1.0.0 was not restored")
	}
	if got := m.p.outcomes(t); len(got) != 0 {
		t.Errorf("reported before 1.0.0 ran again: %v", got)
	}
}

func TestManagedUpdateMarkerOfAnotherVersionIsRemoved(t *testing.T) {
	m := newManagedUpdate(t)
	// The user reinstalled 3.0.0 by hand before the manager restarted.
	if err := m.start(t, "3.0.0", m.p.client(t)); err != nil {
		t.Fatal(err)
	}
	if p := m.pending(t); p != nil {
		t.Errorf("stale marker kept: %+v", p)
	}
	if got := m.p.outcomes(t); len(got) != 0 {
		t.Errorf("a stale marker was reported: %v", got)
	}
}

func TestManagedUpdateDamagedMarkerIsAnErrorAndChangesNothing(t *testing.T) {
	m := newManagedUpdate(t)
	if err := os.WriteFile(m.prog+connector.PendingSuffix, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := m.start(t, "2.0.0", m.p.client(t))
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("start = %v; want a damaged-marker error", err)
	}
	if !sameFile(t, m.prog, m.v2) || !sameFile(t, m.prog+".old", m.v1) {
		t.Error("the executables changed")
	}
}

func TestUpdaterRefusesUnknownRestartMode(t *testing.T) {
	_, err := connector.NewUpdater(connector.UpdaterOptions{Updates: unreachable(t), Roots: signingtest.NewCA(t, "root").Pool(),
		Program: "/nonexistent/qbconnector", Restart: "reboot"})
	if err == nil || !strings.Contains(err.Error(), `"reboot"`) {
		t.Fatalf("NewUpdater = %v; want an error naming the mode", err)
	}
}
