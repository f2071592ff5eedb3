package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/notify/mailtest"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// patience bounds each wait of the scenario; the steps take a few seconds
// each on a quiet machine.
const patience = 90 * time.Second

// site is one business's computer: QuickBooks (a qbdsim of its own, with
// one company file open) and the connector linked to that file, for a
// client organisation of the platform.
type site struct {
	company string
	file    string
	// org is the platform as the client organisation that owns the
	// company sees it (its API key).
	org  *testenv.Platform
	sim  *testenv.Sim
	comp *qbconnect.Company
	conn *qbconnect.Connection
	c    *testenv.Connector
}

// queued is a client's write queued during the rotation.
type queued struct {
	site *site
	name string
	op   string
}

// rotation is the world of the acceptance test: a test CA with the
// publisher's certificates A and B, connector builds 1.0.0 and 2.0.0, an
// SMTP server, the platform with two client organisations, and three
// sites: Lender Inc's customers Acme Plumbing and Beta Bakery, and Books
// SaaS's customer Gamma Garage.
type rotation struct {
	t      *testing.T
	ca     *signingtest.CA
	a, b   *signingtest.Leaf
	v1, v2 string
	smtp   *mailtest.Server
	plat   *testenv.Platform // operator commands; Lender Inc's key
	lender *testenv.Platform
	books  *testenv.Platform
	sites  []*site
	writes []queued
	// runArgs are the `qbconnector run` flags beyond testenv.RunArgs.
	runArgs []string
	// replaced waits until a site's connector runs the new release.
	replaced func(s *site)
	// tsa, when set, countersigns every signature with certificate A
	// (release 1) with a timestamp.
	tsa *signingtest.TSA
}

// sign signs the file at path with leaf, timestamped when r.tsa is set
// and leaf is certificate A.
func (r *rotation) sign(leaf *signingtest.Leaf, path string) {
	r.t.Helper()
	s := leaf.Signer()
	if r.tsa != nil && leaf == r.a {
		s.TimestampURL = r.tsa.URL
	}
	if _, _, err := s.SignFile(context.Background(), path); err != nil {
		r.t.Fatalf("signing %s: %v", path, err)
	}
}

// newRotation starts the world; the connectors run with --update-restart
// restart ("spawn" or "manager"). sites adds the sites; nil means the
// three of the acceptance test.
func newRotation(t *testing.T, restart string, sites func(r *rotation)) *rotation {
	t.Helper()
	r := &rotation{t: t, ca: signingtest.NewCA(t, "qbconnect E2E Root"),
		runArgs: []string{"--update-interval", "300ms", "--update-restart", restart}}
	r.replaced = r.waitSpawned
	if restart == "manager" {
		r.replaced = r.restartLikeServiceManager
	}
	// Certificate A expires soon: the reason for release 2.
	r.a = r.ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{Organization: "qbconnect Ltd", NotAfter: time.Now().Add(20 * 24 * time.Hour)})
	r.b = r.ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{Organization: "qbconnect Ltd"})
	builds := t.TempDir()
	r.v1 = testenv.BuildConnector(t, builds, "1.0.0")
	r.v2 = testenv.BuildConnector(t, builds, "2.0.0")

	r.smtp = mailtest.NewServer(t, mailtest.Options{})
	r.plat = testenv.StartPlatform(t, bins, testenv.PlatformOptions{Org: "Lender Inc", Args: []string{
		"--smtp-host", r.smtp.Host, "--smtp-port", strconv.Itoa(r.smtp.Port), "--smtp-tls", "none",
		"--smtp-from", "qbconnect <noreply@qbconnect.test>", "--release-interval", "200ms"}})
	r.lender = r.plat
	r.books = r.plat.NewOrg("Books SaaS")
	r.plat.Release("contacts", r.lender.OrgID, "ops@lender.test")
	r.plat.Release("contacts", r.books.OrgID, "alerts@books.test")

	if sites == nil {
		sites = func(r *rotation) {
			r.addSite(r.lender, "Acme Plumbing", "acme.qbw")
			r.addSite(r.lender, "Beta Bakery", "beta.qbw")
			r.addSite(r.books, "Gamma Garage", "gamma.qbw")
		}
	}
	sites(r)
	for _, s := range r.sites {
		r.waitHealth(s, qbconnect.HealthOK)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, s := range r.sites {
			if s.c.Proc != nil {
				t.Logf("%s's connector wrote:\n%s", s.company, s.c.Proc.Output.String())
			}
		}
		t.Logf("the platform wrote:\n%s", r.plat.Proc.Output.String())
	})
	return r
}

// addSite starts a business's QuickBooks with its file open, installs
// connector 1.0.0 signed with A (with the publisher's root pinned beside
// it), links the file with "Yes, always" and runs the connector.
func (r *rotation) addSite(org *testenv.Platform, company, file string) {
	r.t.Helper()
	r.addSiteWith(org, company, file, nil)
}

// addSiteWith is addSite with more company files in the site's
// QuickBooks (file name to company name).
func (r *rotation) addSiteWith(org *testenv.Platform, company, file string, more map[string]string) {
	r.t.Helper()
	r.addSiteOf(org, company, file, more, r.v1, r.a)
}

// addSiteOf is addSiteWith with the connector build the business
// installs and the certificate that signs it.
func (r *rotation) addSiteOf(org *testenv.Platform, company, file string, more map[string]string, build string, leaf *signingtest.Leaf) {
	t := r.t
	t.Helper()
	s := &site{company: company, file: file, org: org}
	files := map[string]string{file: company}
	for f, c := range more {
		files[f] = c
	}
	s.sim = testenv.StartSim(t, bins, testenv.SimOptions{Files: files, Roots: r.ca.RootPath()})
	s.sim.Open(file)
	s.comp, s.conn = org.CreateCompany(company)
	s.c = testenv.InstallConnectorBuild(t, build, leaf)
	if r.tsa != nil {
		r.sign(leaf, s.c.Program)
	}
	s.c.PinRoots(r.ca.RootPath())
	linking := s.c.StartLink(org.URL, org.LinkCode(s.conn), s.sim.URL)
	d := s.sim.WaitDialog(patience)
	if d.Certificate == nil || !strings.EqualFold(d.Certificate.Thumbprint, leaf.Thumbprint()) {
		t.Fatalf("%s: the first dialog is about %+v, want the installed release's certificate %s", company, d.Certificate, leaf.Thumbprint())
	}
	s.sim.Answer(d, qbdsim.ChoiceAlways)
	linking.Wait(t)
	s.c.Run(r.runArgs...)
	r.sites = append(r.sites, s)
}

// waitHealth waits until the platform shows a site's connection in state
// code.
func (r *rotation) waitHealth(s *site, code string) {
	r.t.Helper()
	wait.For(r.t, s.company+"'s connection "+code, patience, func() (bool, string) {
		h := s.org.Connection(s.conn).Health
		return h.Code == code, h.Code + ": " + h.Message
	})
}

// publish copies a connector build into a release folder as
// "qbconnector", signs it with leaf (qbconnector.p7s beside it) and
// publishes it with `qbconnect release publish`, trusting the test CA.
func (r *rotation) publish(version, build string, leaf *signingtest.Leaf) string {
	r.t.Helper()
	path := filepath.Join(r.t.TempDir(), "qbconnector")
	data, err := os.ReadFile(build)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		r.t.Fatal(err)
	}
	r.sign(leaf, path)
	return r.plat.Release("publish", "--roots", r.ca.RootPath(), "--version", version,
		"--rollout-at", time.Now().AddDate(0, 0, 7).Format(time.DateOnly), path)
}

// queue queues a client's write of a new customer at every site.
func (r *rotation) queue(label string) {
	r.t.Helper()
	for _, s := range r.sites {
		name := fmt.Sprintf("%s %s", strings.Fields(s.company)[0], label)
		op := s.org.CreateCustomer(s.comp.ID, name, "rotation-"+s.comp.ID+"-"+strings.ReplaceAll(label, " ", "-"))
		r.writes = append(r.writes, queued{site: s, name: name, op: op.Id})
	}
}

// campaign returns a campaign as an organisation's REST API shows it.
func campaign(org *testenv.Platform, id string) *qbconnect.Campaign {
	return org.Campaign(id)
}

// states returns "company: state[/subState]" for each connection of a
// campaign, sorted.
func states(c *qbconnect.Campaign) []string {
	var out []string
	for _, cc := range c.Connections {
		s := cc.CompanyName + ": " + string(cc.State)
		if cc.SubState != "" {
			s += "/" + cc.SubState
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// waitStates waits until every organisation's view of the campaign shows
// each of its connections in state want.
func (r *rotation) waitStates(id, want string) {
	r.t.Helper()
	for _, org := range []*testenv.Platform{r.lender, r.books} {
		var wantList []string
		for _, s := range r.sites {
			if s.org == org {
				wantList = append(wantList, s.company+": "+want)
			}
		}
		if wantList == nil {
			continue // the organisation has no site in this world
		}
		slices.Sort(wantList)
		wait.For(r.t, "the campaign to show "+want, patience, func() (bool, string) {
			got := states(campaign(org, id))
			return cmp.Equal(got, wantList), strings.Join(got, "; ")
		})
	}
}

var campaignLine = regexp.MustCompile(`rotation campaign (\S+), (\d+) connection\(s\) affected`)

// TestConnectorsUpdateToReleaseSignedWithNewCertificateAndEveryConnectionIsReauthorized
// is the acceptance test of certificate rotation: connectors on release 1
// signed with certificate A; release 2 signed with certificate B is
// published and rolled out; each client organisation receives one email
// listing exactly its affected companies; the connectors install release 2
// beside themselves and keep serving with release 1 while QuickBooks is
// closed (no write waits for a person); the administrator opens QuickBooks,
// release 2 asks and is approved; every connection ends Switched, release
// 2 is the program and release 1 is removed, and every write queued during
// the rotation ran exactly once.
func TestConnectorsUpdateToReleaseSignedWithNewCertificateAndEveryConnectionIsReauthorized(t *testing.T) {
	newRotation(t, "spawn", nil).rotate()
}

// TestConnectorsUnderServiceManagerRestartAsNewReleaseAndAreReauthorized
// is the same rotation with connectors run as services: after replacing
// its program, each connector exits with ExitRestartForUpdate instead of
// starting the new version itself; the test, as the service manager's
// recovery action (Windows' service control manager, systemd), starts the
// program again, and the new version confirms the pending update at its
// start.
func TestConnectorsUnderServiceManagerRestartAsNewReleaseAndAreReauthorized(t *testing.T) {
	newRotation(t, "manager", nil).rotate()
}

// waitSpawned waits until the connector started its new version and
// handed over to it.
func (r *rotation) waitSpawned(s *site) {
	r.t.Helper()
	s.c.WaitReplaced(patience)
}

// restartLikeServiceManager waits for the connector to exit for the update
// and starts it again, as a service manager's recovery action does; the
// new version confirms and removes the pending-update marker.
func (r *rotation) restartLikeServiceManager(s *site) {
	r.t.Helper()
	if code := s.c.Proc.WaitExit(r.t, patience); code != connector.ExitRestartForUpdate {
		r.t.Fatalf("%s: the connector exited with code %d, want %d:\n%s", s.company, code, connector.ExitRestartForUpdate, s.c.Proc.Output.String())
	}
	if p, err := connector.ReadPending(s.c.Program); p == nil || err != nil || p.From != "1.0.0" || p.To != "2.0.0" {
		r.t.Fatalf("%s: pending-update marker %+v, %v", s.company, p, err)
	}
	s.c.Run(r.runArgs...)
	wait.For(r.t, s.company+"'s pending update to be confirmed", patience, func() (bool, string) {
		p, err := connector.ReadPending(s.c.Program)
		return p == nil && err == nil, fmt.Sprintf("%+v, %v", p, err)
	})
}

// rotate plays the rotation from release 1 to Switched, as a certificate
// handover: release 2 is installed beside release 1, which keeps serving
// while QuickBooks is closed; when the administrator opens QuickBooks,
// release 2 asks for access and is approved; each file switches and
// release 2 becomes the program. No write waits for a person.
func (r *rotation) rotate() {
	t := r.t
	t.Helper()
	out := r.publish("1.0.0", r.v1, r.a)
	if strings.Contains(out, "rotation campaign") {
		t.Fatalf("release 1 started a campaign:\n%s", out)
	}
	r.plat.Release("rollout", "--version", "1.0.0", "--percent", "100")

	// Release 2, signed with B: a campaign over the three connections,
	// and a notice to each client organisation.
	out = r.publish("2.0.0", r.v2, r.b)
	m := campaignLine.FindStringSubmatch(out)
	if m == nil || m[2] != "3" {
		t.Fatalf("publishing release 2 did not start a campaign over 3 connections:\n%s", out)
	}
	campID := m[1]
	r.waitStates(campID, string(qbconnect.CampaignOffered))
	r.checkNotices(campID)

	// Nobody is at the computers: QuickBooks is closed, and release 1
	// logs in by itself ("Yes, always" when linking).
	for _, s := range r.sites {
		s.sim.StopQB()
	}
	r.queue("before rollout")

	// The rollout: every connector downloads 2.0.0, verifies it against
	// its pinned root and the release's signer B, and installs it beside
	// itself as the candidate; release 1 keeps running.
	r.plat.Release("rollout", "--version", "2.0.0", "--percent", "100")
	r.queue("during update")
	for _, s := range r.sites {
		wait.For(t, s.company+"'s candidate", patience, func() (bool, string) {
			f := s.c.File(s.conn.ID)
			if f == nil || f.Handover == nil {
				return false, "no handover step"
			}
			return f.Handover.State == "CandidateInstalled" && sameBytes(t, s.c.Program+connector.CandidateSuffix, r.v2), f.Handover.State
		})
		if id := s.c.Status().Identity; id.Version != "1.0.0" || !strings.EqualFold(id.Thumbprint, r.a.Thumbprint()) {
			t.Errorf("%s: the connector runs %s signed by %s, want 1.0.0 signed by A until QuickBooks approves 2.0.0", s.company, id.Version, id.Thumbprint)
		}
	}
	r.waitStates(campID, string(qbconnect.CampaignCandidateInstalled)+"/"+qbconnect.SubQBClosed)
	// Every write so far is applied by release 1, with nobody at
	// QuickBooks: none waited for a person.
	r.checkWrites()
	for _, s := range r.sites {
		if ds, _ := s.sim.Dialogs(context.Background()); len(ds) != 0 {
			t.Errorf("%s: QuickBooks showed %d dialog(s) while nobody was there", s.company, len(ds))
		}
	}

	// The administrator opens the company file; release 2 asks (the
	// administrator presses Approve the new version rather than wait for
	// the next good moment) and is approved: "Yes, always".
	for _, s := range r.sites {
		s.sim.Open(s.file)
		if code := s.c.UI("POST", "/api/files/"+s.conn.ID+"/approve", map[string]string{}, nil); code != http.StatusOK {
			t.Fatalf("%s: Approve the new version answered %d", s.company, code)
		}
		d := s.sim.WaitDialog(patience)
		if d.Certificate == nil || !strings.EqualFold(d.Certificate.Thumbprint, r.b.Thumbprint()) || !strings.HasSuffix(d.CompanyFile, s.file) {
			t.Fatalf("%s: QuickBooks asks about %+v for %q, want certificate B for %s", s.company, d.Certificate, d.CompanyFile, s.file)
		}
		s.sim.Answer(d, qbdsim.ChoiceAlways)
	}
	// Every file switched: release 2 becomes the program and release 1 is
	// removed.
	for _, s := range r.sites {
		r.replaced(s)
		id := s.c.Status().Identity
		if id.Version != "2.0.0" || !strings.EqualFold(id.Thumbprint, r.b.Thumbprint()) {
			t.Errorf("%s: the connector runs %s signed by %s, want 2.0.0 signed by B", s.company, id.Version, id.Thumbprint)
		}
		if !sameBytes(t, s.c.Program, r.v2) {
			t.Errorf("%s: the program was not replaced by 2.0.0", s.company)
		}
		wait.For(t, s.company+"'s release 1 to be removed", patience, func() (bool, string) {
			_, err := os.Stat(s.c.Program + ".old")
			return os.IsNotExist(err), fmt.Sprint(err)
		})
	}
	r.waitStates(campID, string(qbconnect.CampaignSwitched))
	wait.For(t, "the campaign to complete", patience, func() (bool, string) {
		c := campaign(r.lender, campID)
		return c.Status == qbconnect.CampaignComplete, string(c.Status)
	})
	// QuickBooks closed again: release 2 logs in by itself.
	for _, s := range r.sites {
		s.sim.StopQB()
	}
	r.queue("after switch")
	r.checkWrites()
	for _, s := range r.sites {
		if s.sim.AppWith(s.file, r.b.Thumbprint()) == nil {
			t.Errorf("%s: QuickBooks has no Integrated Applications entry for certificate B", s.company)
		}
	}
	// Still one notice per organisation: nothing was sent twice.
	if got := len(r.smtp.Messages()); got != 2 {
		t.Errorf("%d emails were sent, want the 2 notices", got)
	}
}

// checkNotices waits for the campaign notices and checks that each
// organisation received one, listing exactly its affected companies.
func (r *rotation) checkNotices(campID string) {
	t := r.t
	t.Helper()
	msgs := r.smtp.Wait(t, 2, patience)
	byTo := map[string][]string{}
	for _, m := range msgs {
		if len(m.To) != 1 {
			t.Errorf("a notice went to %v, want one organisation's contact", m.To)
			continue
		}
		if !strings.Contains(m.Text, campID) && !strings.Contains(m.Text, "2.0.0") {
			t.Errorf("the notice to %s names neither the campaign nor the release:\n%s", m.To[0], m.Text)
		}
		var listed []string
		for _, s := range r.sites {
			if strings.Contains(m.Text, s.company) {
				listed = append(listed, s.company)
			}
		}
		byTo[m.To[0]] = listed
	}
	want := map[string][]string{
		"ops@lender.test":   {"Acme Plumbing", "Beta Bakery"},
		"alerts@books.test": {"Gamma Garage"},
	}
	if diff := cmp.Diff(want, byTo); diff != "" {
		t.Errorf("the notices' recipients and companies (-want +got):\n%s", diff)
	}
}

// checkWrites waits until every queued write succeeded and checks that
// each customer exists exactly once in its QuickBooks.
func (r *rotation) checkWrites() {
	t := r.t
	t.Helper()
	for _, w := range r.writes {
		wait.For(t, w.name+" to succeed", patience, func() (bool, string) {
			op := w.site.org.Operation(w.op)
			switch string(op.Status) {
			case string(qbconnect.OpFailed), string(qbconnect.OpTimedOut), string(qbconnect.OpCanceled):
				t.Fatalf("%s ended %s: %+v", w.name, op.Status, op.Error)
			}
			return string(op.Status) == string(qbconnect.OpSucceeded), string(op.Status)
		})
		if n := w.site.sim.CustomersNamed(w.site.file, w.name); n != 1 {
			t.Errorf("%s: %d customers named %q in QuickBooks, want 1", w.site.company, n, w.name)
		}
	}
}

func sameBytes(tb testing.TB, a, b string) bool {
	tb.Helper()
	x, err1 := os.ReadFile(a)
	y, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
