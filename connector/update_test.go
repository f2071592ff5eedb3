package connector_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
	"github.com/qbconnect/qbconnect/store"
)

// updatePlatform is a real platform (store, release service, API) on
// loopback with one linked connector.
type updatePlatform struct {
	url        string
	rs         *store.ReleaseStore
	svc        *release.Service
	credential string
	connector  *qbconnect.Connector
	// corrupt, when set, flips one byte of every artifact download.
	corrupt bool
}

func newUpdatePlatform(tb testing.TB, trusted ...*signingtest.CA) *updatePlatform {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "p.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	orgs, comps, conns := store.NewOrgStore(db), store.NewCompanyStore(db), store.NewConnectionStore(db)
	p := &updatePlatform{rs: store.NewReleaseStore(db)}
	roots := trusted[0].Pool()
	for _, ca := range trusted[1:] {
		roots.AddCert(ca.Cert)
	}
	p.svc, err = release.New(release.Config{Store: p.rs, Orgs: orgs, Verifier: &signing.Verifier{Roots: roots}})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := api.New(api.Config{Orgs: orgs, Companies: comps, Connections: conns, Queue: store.NewQueueStore(db), Releases: p.svc})
	if err != nil {
		tb.Fatal(err)
	}
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.corrupt && strings.Contains(r.URL.Path, "/artifacts/") {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			body[len(body)/2] ^= 0xFF
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(func() { srv.Close(); ts.Close() })
	p.url = ts.URL
	org, _ := orgs.CreateOrg(ctx, "Acme")
	comp := &qbconnect.Company{OrgID: org.ID, Name: "Acme Plumbing"}
	comps.CreateCompany(ctx, comp)
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: comp.ID, Kind: qbconnect.KindConnector}
	conns.CreateConnection(ctx, conn)
	code, err := conns.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	if err != nil {
		tb.Fatal(err)
	}
	_, p.connector, p.credential, err = conns.RedeemLinkCode(ctx, code.Code, "", qbconnect.FileIdentity{Path: "/books/acme.qbw", CompanyName: "Acme Plumbing"})
	if err != nil {
		tb.Fatal(err)
	}
	p.connector.Version = "1.0.0"
	conns.UpdateConnector(ctx, p.connector)
	return p
}

func (p *updatePlatform) client(tb testing.TB) *gatewayclient.Client {
	tb.Helper()
	c, err := gatewayclient.New(p.url, gatewayclient.Options{Credential: p.credential, MaxRetries: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// buildUpdatee builds the stand-in connector with a version (and broken).
func buildUpdatee(tb testing.TB, version string, broken bool) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "qbconnector")
	flags := "-X main.version=" + version
	if broken {
		flags += " -X main.broken=1"
	}
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", flags, "./testdata/updatee")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building the test connector: %v\n%s", err, b)
	}
	return out
}

// publish signs a build (detached signature) and publishes it to every
// connector.
func (p *updatePlatform) publish(tb testing.TB, version, build string, leaf *signingtest.Leaf) {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "qbconnector-linux")
	data, err := os.ReadFile(build)
	if err != nil {
		tb.Fatal(err)
	}
	os.WriteFile(path, data, 0o755)
	leaf.Sign(tb, path)
	if _, _, err := p.svc.Publish(context.Background(), release.PublishInput{Version: version, Files: []string{path},
		Rollout: qbconnect.Rollout{Percent: 100}}); err != nil {
		tb.Fatal(err)
	}
}

// installed puts the running version in a folder of its own, as the
// installer would, and returns its path.
func installed(tb testing.TB, build string) string {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "qbconnector")
	data, err := os.ReadFile(build)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	return path
}

func (p *updatePlatform) updater(tb testing.TB, program string, pinned *signingtest.CA) *connector.Updater {
	tb.Helper()
	u, err := connector.NewUpdater(connector.UpdaterOptions{Updates: p.client(tb), Version: "1.0.0", Program: program, Roots: pinned.Pool(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, ConfirmTimeout: 30 * time.Second, Args: []string{}})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func (p *updatePlatform) outcomes(tb testing.TB) []string {
	tb.Helper()
	reps, err := p.rs.UpdateReports(context.Background(), p.connector.ID)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range reps {
		out = append(out, r.ToVersion+" "+string(r.Outcome))
	}
	return out
}

func sameFile(tb testing.TB, a, b string) bool {
	tb.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

func requireUnix(tb testing.TB) {
	if runtime.GOOS == "windows" {
		tb.Skip("the test re-executes Unix builds")
	}
}

func TestSelfUpdateInstallsVerifiedReleaseAndHandsOver(t *testing.T) {
	requireUnix(t)
	ca := signingtest.NewCA(t, "qbconnect publisher root")
	leaf := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	p := newUpdatePlatform(t, ca)
	v1, v2 := buildUpdatee(t, "1.0.0", false), buildUpdatee(t, "2.0.0", false)
	p.publish(t, "2.0.0", v2, leaf)
	prog := installed(t, v1)
	marker := filepath.Join(t.TempDir(), "running")
	t.Setenv("UPDATEE_PLATFORM", p.url)
	t.Setenv("UPDATEE_CREDENTIAL", p.credential)
	t.Setenv("UPDATEE_MARKER", marker)
	t.Setenv("UPDATEE_FROM", "1.0.0")

	u := p.updater(t, prog, ca)
	ctx := context.Background()
	st, err := u.Check(ctx)
	if err != nil || st == nil {
		t.Fatalf("Check = %+v, %v", st, err)
	}
	ok, err := u.Install(ctx, st)
	if !ok || err != nil {
		t.Fatalf("Install = %v, %v", ok, err)
	}
	// The new process runs from the same path and confirmed through the
	// platform.
	data, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	var version string
	var pid int
	fmt.Sscanf(string(data), "%s %d", &version, &pid)
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Signal(os.Interrupt)
		}
	})
	if version != "2.0.0" {
		t.Errorf("running %q, want 2.0.0", version)
	}
	if !sameFile(t, prog, v2) || !sameFile(t, prog+".old", v1) {
		t.Errorf("the executable was not replaced with 2.0.0 (keeping 1.0.0 as .old)")
	}
	if _, err := os.Stat(prog + signing.DetachedSuffix); err != nil {
		t.Errorf("the new signature was not installed beside the program: %v", err)
	}
	if got := strings.Join(p.outcomes(t), ","); got != "2.0.0 installed" {
		t.Errorf("reports = %s", got)
	}
}

func TestSelfUpdateRefusesBadSignatureAndChecksum(t *testing.T) {
	requireUnix(t)
	pinned := signingtest.NewCA(t, "qbconnect publisher root")
	other := signingtest.NewCA(t, "another root the platform trusts")
	v1, v2 := buildUpdatee(t, "1.0.0", false), buildUpdatee(t, "2.0.0", false)
	cases := map[string]struct {
		leaf    *signingtest.Leaf
		corrupt bool
		want    error
	}{
		"signed under another root": {leaf: other.Issue(t, "qbconnect Ltd", signingtest.Opts{}), want: signing.ErrUntrusted},
		"checksum mismatch":         {leaf: pinned.Issue(t, "qbconnect Ltd", signingtest.Opts{}), corrupt: true, want: gateway.ErrChecksum},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := newUpdatePlatform(t, pinned, other)
			p.publish(t, "2.0.0", v2, tc.leaf)
			p.corrupt = tc.corrupt
			prog := installed(t, v1)
			st, err := p.updater(t, prog, pinned).Check(context.Background())
			if st != nil || !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, %v; want a refusal wrapping %v", st, err, tc.want)
			}
			if !sameFile(t, prog, v1) {
				t.Error("the running executable changed")
			}
			left, _ := filepath.Glob(prog + ".*")
			if len(left) != 0 {
				t.Errorf("files left beside the program: %v", left)
			}
			if got := strings.Join(p.outcomes(t), ","); got != "2.0.0 refused" {
				t.Errorf("reports = %s", got)
			}
			// A refused release is not offered again.
			if o, err := p.client(t).CheckUpdate(context.Background(), runtime.GOOS+"/"+runtime.GOARCH); o != nil || err != nil {
				t.Errorf("offered again after a refusal: %+v, %v", o, err)
			}
		})
	}
}

func TestSelfUpdateRollsBackVersionThatDoesNotStart(t *testing.T) {
	requireUnix(t)
	ca := signingtest.NewCA(t, "qbconnect publisher root")
	leaf := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	p := newUpdatePlatform(t, ca)
	v1, broken := buildUpdatee(t, "1.0.0", false), buildUpdatee(t, "2.0.0", true)
	p.publish(t, "2.0.0", broken, leaf)
	prog := installed(t, v1)
	// Give the old version a signature file too, to see it restored.
	os.WriteFile(prog+signing.DetachedSuffix, []byte("old signature"), 0o644)
	u := p.updater(t, prog, ca)
	ctx := context.Background()
	st, err := u.Check(ctx)
	if err != nil || st == nil {
		t.Fatalf("Check = %+v, %v", st, err)
	}
	ok, err := u.Install(ctx, st)
	if ok || err == nil || !strings.Contains(err.Error(), "exited before reporting in") {
		t.Fatalf("Install = %v, %v; want a rollback", ok, err)
	}
	if !sameFile(t, prog, v1) {
		t.Error("1.0.0 was not restored")
	}
	if b, _ := os.ReadFile(prog + signing.DetachedSuffix); string(b) != "old signature" {
		t.Errorf("the old signature was not restored: %q", b)
	}
	if got := strings.Join(p.outcomes(t), ","); got != "2.0.0 rolled_back" {
		t.Errorf("reports = %s", got)
	}
	if o, _ := p.client(t).CheckUpdate(ctx, runtime.GOOS+"/"+runtime.GOARCH); o != nil {
		t.Errorf("offered again after the rollback")
	}
}

func TestRunWithUpdatesStopsRunAndHandsOver(t *testing.T) {
	requireUnix(t)
	ca := signingtest.NewCA(t, "qbconnect publisher root")
	leaf := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	p := newUpdatePlatform(t, ca)
	v1, v2 := buildUpdatee(t, "1.0.0", false), buildUpdatee(t, "2.0.0", false)
	prog := installed(t, v1)
	marker := filepath.Join(t.TempDir(), "running")
	t.Setenv("UPDATEE_PLATFORM", p.url)
	t.Setenv("UPDATEE_CREDENTIAL", p.credential)
	t.Setenv("UPDATEE_MARKER", marker)
	checked := make(chan struct{}, 10)
	u, err := connector.NewUpdater(connector.UpdaterOptions{Updates: p.client(t), Version: "1.0.0", Program: prog, Roots: ca.Pool(),
		Interval: 20 * time.Millisecond, Args: []string{}, OnCheck: func(*connector.Staged, error) {
			select {
			case checked <- struct{}{}:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	done := make(chan error, 1)
	go func() {
		done <- connector.RunWithUpdates(context.Background(), u, func(ctx context.Context) error {
			runs++
			<-ctx.Done()
			return nil
		})
	}()
	<-checked // nothing published yet: the agent keeps running
	p.publish(t, "2.0.0", v2, leaf)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("RunWithUpdates did not hand over")
	}
	data, _ := os.ReadFile(marker)
	fields := strings.Fields(string(data))
	if len(fields) == 2 {
		pid, _ := strconv.Atoi(fields[1])
		t.Cleanup(func() {
			if p, err := os.FindProcess(pid); err == nil {
				p.Signal(os.Interrupt)
			}
		})
	}
	if runs != 1 || len(fields) != 2 || fields[0] != "2.0.0" {
		t.Errorf("runs %d, marker %q", runs, data)
	}
}
