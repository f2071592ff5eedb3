package release_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/notify/mailtest"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
	"github.com/qbconnect/qbconnect/store"
)

// events records webhooks.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) Emit(_ context.Context, ev qbconnect.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var data struct {
		Connection qbconnect.CampaignConnection `json:"connection"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil {
		return err
	}
	cc := data.Connection
	e.list = append(e.list, ev.OrgID+" "+cc.CompanyName+" "+string(cc.State)+" "+cc.SubState)
	return nil
}

type env struct {
	clock  *clocktest.Clock
	db     *store.DB
	rs     *store.ReleaseStore
	orgs   *store.OrgStore
	comps  *store.CompanyStore
	conns  *store.ConnectionStore
	svc    *release.Service
	smtp   *mailtest.Server
	events *events
	ca     *signingtest.CA
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	e := &env{clock: clocktest.New(time.Now().UTC().Truncate(time.Second)), events: &events{}}
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "r.db"), store.Options{Now: e.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e.db, e.rs = db, store.NewReleaseStore(db)
	e.orgs, e.comps, e.conns = store.NewOrgStore(db), store.NewCompanyStore(db), store.NewConnectionStore(db)
	e.smtp = mailtest.NewServer(tb, mailtest.Options{})
	mailer, err := notify.NewMailer(notify.SMTPConfig{Host: e.smtp.Host, Port: e.smtp.Port, TLS: notify.SMTPPlain, From: "qbconnect <ops@qbconnect.test>"}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	jobs, err := notify.NewJobs(notify.JobsConfig{SQLite: db.SQLDB(), PollInterval: 50 * time.Millisecond, RetryBase: 10 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	outbox, err := notify.NewOutbox(notify.OutboxConfig{Store: e.rs, Sender: mailer, Jobs: jobs})
	if err != nil {
		tb.Fatal(err)
	}
	if err := jobs.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		jobs.Stop(c)
	})
	e.ca = signingtest.NewCA(tb, "qbconnect test publisher root")
	e.svc, err = release.New(release.Config{Store: e.rs, Orgs: e.orgs, Mail: outbox, Events: e.events,
		Verifier: &signing.Verifier{Roots: e.ca.Pool(), Now: e.clock.Now}, Operators: []string{"ops@qbconnect.test"}, Now: e.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// link creates a company with a linked connector connection and makes the
// connector report the thumbprint.
func (e *env) link(tb testing.TB, orgID, company, connectorID, thumbprint string) *qbconnect.Connection {
	tb.Helper()
	ctx := context.Background()
	c := &qbconnect.Company{OrgID: orgID, Name: company}
	if err := e.comps.CreateCompany(ctx, c); err != nil {
		tb.Fatal(err)
	}
	conn := &qbconnect.Connection{OrgID: orgID, CompanyID: c.ID, Kind: qbconnect.KindConnector}
	if err := e.conns.CreateConnection(ctx, conn); err != nil {
		tb.Fatal(err)
	}
	code, err := e.conns.CreateLinkCode(ctx, orgID, conn.ID, 0)
	if err != nil {
		tb.Fatal(err)
	}
	linked, ctr, _, err := e.conns.RedeemLinkCode(ctx, code.Code, connectorID, qbconnect.FileIdentity{Path: `C:\Books\` + company + ".QBW", CompanyName: company})
	if err != nil {
		tb.Fatal(err)
	}
	e.report(tb, ctr.ID, "1.0.0", thumbprint)
	return linked
}

func (e *env) report(tb testing.TB, connectorID, version, thumbprint string) {
	tb.Helper()
	ctx := context.Background()
	now := e.clock.Now()
	err := e.conns.UpdateConnector(ctx, &qbconnect.Connector{ID: connectorID, Version: version, Signer: "CN=x", Thumbprint: thumbprint, LastSeenAt: &now})
	if err != nil {
		tb.Fatal(err)
	}
}

func (e *env) health(tb testing.TB, connID, code, qbCode string, success bool) {
	tb.Helper()
	h := qbconnect.Health{Code: code, Message: code, QBCode: qbCode, Since: e.clock.Now()}
	if success {
		t := e.clock.Now()
		h.LastSuccessAt = &t
	}
	if err := e.conns.SetHealth(context.Background(), connID, h); err != nil {
		tb.Fatal(err)
	}
}

func (e *env) org(tb testing.TB, name string, contacts ...string) *qbconnect.Org {
	tb.Helper()
	o, err := e.orgs.CreateOrg(context.Background(), name)
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.rs.SetContacts(context.Background(), o.ID, contacts); err != nil {
		tb.Fatal(err)
	}
	return o
}

// signedPE returns a PE file signed by leaf in its own folder, named name.
func signedPE(tb testing.TB, leaf *signingtest.Leaf, name string) string {
	tb.Helper()
	src := signingtest.TinyPE(tb, name)
	dst := filepath.Join(tb.TempDir(), name)
	data, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	return leaf.Sign(tb, dst)
}

func TestPublishRecordsChecksumsAndSigner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	leaf := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	exe := signedPE(t, leaf, "qbconnector.exe")
	// A Linux build with a detached signature beside it.
	elfPath := filepath.Join(t.TempDir(), "qbconnector-linux-amd64")
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Skip("no /proc/self/exe")
	}
	if err := os.WriteFile(elfPath, self, 0o755); err != nil {
		t.Fatal(err)
	}
	leaf.Sign(t, elfPath)

	rel, camp, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{exe, elfPath}})
	if err != nil {
		t.Fatal(err)
	}
	if camp != nil {
		t.Errorf("the first release started a campaign")
	}
	got, err := e.rs.FindRelease(ctx, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	type art struct{ Name, Kind, Platform, Sig, SigKind string }
	var arts []art
	for _, a := range got.Artifacts {
		arts = append(arts, art{a.Name, a.Kind, a.Platform, a.Signature, a.SignatureKind})
	}
	want := []art{
		{"qbconnector-linux-amd64", "executable", "linux/amd64", "qbconnector-linux-amd64.p7s", "pkcs7-detached"},
		{"qbconnector-linux-amd64.p7s", "signature", "", "", ""},
		{"qbconnector.exe", "executable", "windows/amd64", "", "authenticode-pe"},
	}
	if diff := cmp.Diff(want, arts); diff != "" {
		t.Errorf("artifacts (-want +got):\n%s", diff)
	}
	if got.Signer.Thumbprint != strings.ToLower(leaf.Thumbprint()) || !got.Signer.NotAfter.Equal(leaf.Cert.NotAfter.UTC()) {
		t.Errorf("signer = %+v", got.Signer)
	}
	a, err := e.svc.Artifact(ctx, "1.0.0", "qbconnector.exe")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(exe)
	i := slices.IndexFunc(rel.Artifacts, func(a qbconnect.Artifact) bool { return a.Name == "qbconnector.exe" })
	if string(a.Data) != string(data) || i < 0 || a.SHA256 != rel.Artifacts[i].SHA256 {
		t.Errorf("stored artifact differs from the file")
	}
}

func TestPublishRefusesBadFilesAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	leaf := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	other := e.ca.Issue(t, "someone else", signingtest.Opts{})
	stranger := signingtest.NewCA(t, "untrusted root").Issue(t, "qbconnect Ltd", signingtest.Opts{})
	expired := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{Expired: true})
	tampered := signedPE(t, leaf, "tampered.exe")
	signingtest.Tamper(t, tampered)
	cases := map[string]struct {
		in   release.PublishInput
		want string
	}{
		"unsigned":       {release.PublishInput{Version: "1.0.0", Files: []string{signingtest.TinyPE(t, "u.exe")}}, "not signed"},
		"tampered":       {release.PublishInput{Version: "1.0.0", Files: []string{tampered}}, "modified"},
		"untrusted":      {release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, stranger, "s.exe")}}, "trusted root"},
		"expired":        {release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, expired, "e.exe")}}, "not valid"},
		"two signers":    {release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, leaf, "a.exe"), signedPE(t, other, "b.exe")}}, "one signer"},
		"bad version":    {release.PublishInput{Version: "one", Files: []string{signedPE(t, leaf, "a.exe")}}, "semantic version"},
		"missing file":   {release.PublishInput{Version: "1.0.0", Files: []string{"/nonexistent/q.exe"}}, "no such file"},
		"no files":       {release.PublishInput{Version: "1.0.0"}, "at least one file"},
		"bad percentage": {release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, leaf, "a.exe")}, Rollout: qbconnect.Rollout{Percent: 101}}, "0 to 100"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := e.svc.Publish(ctx, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
			if qbconnect.ErrorCodeOf(err) != qbconnect.EInvalid {
				t.Errorf("code = %s, want invalid", qbconnect.ErrorCodeOf(err))
			}
		})
	}
	list, err := e.svc.Releases(ctx, "")
	if err != nil || len(list) != 0 {
		t.Errorf("releases after bad input: %d, %v", len(list), err)
	}
	if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, leaf, "ok.exe")}}); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Publish(ctx, release.PublishInput{Version: "0.9.0", Files: []string{signedPE(t, leaf, "old.exe")}})
	if qbconnect.ErrorCodeOf(err) != qbconnect.EConflict {
		t.Errorf("older version: err = %v, want conflict", err)
	}
}

func TestRolloutSelectsCompaniesAndPercentageAndPauses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	leaf := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	tp := strings.ToLower(leaf.Thumbprint())
	o := e.org(t, "Acme Lending")
	var connectors []*qbconnect.Connector
	var companies []string
	for i := range 40 {
		conn := e.link(t, o.ID, "Company "+string(rune('A'+i%26))+string(rune('a'+i/26)), "", tp)
		ctr, _ := e.conns.ConnectorConnections(ctx, conn.ConnectorID)
		_ = ctr
		connectors = append(connectors, &qbconnect.Connector{ID: conn.ConnectorID, Version: "1.0.0"})
		companies = append(companies, conn.CompanyID)
	}
	if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.1.0", Files: []string{signedPE(t, leaf, "qbconnector.exe")}}); err != nil {
		t.Fatal(err)
	}
	offered := func() []int {
		var idx []int
		for i, c := range connectors {
			o, err := e.svc.Offer(ctx, c, "windows/amd64")
			if err != nil {
				t.Fatal(err)
			}
			if o != nil {
				idx = append(idx, i)
			}
		}
		return idx
	}
	if got := offered(); len(got) != 0 {
		t.Fatalf("offered at 0%%: %v", got)
	}
	if _, err := e.svc.SetRollout(ctx, "1.1.0", release.RolloutChange{Companies: []string{companies[3]}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3}, offered()); diff != "" {
		t.Errorf("company rollout (-want +got):\n%s", diff)
	}
	p := 50
	if _, err := e.svc.SetRollout(ctx, "1.1.0", release.RolloutChange{Percent: &p}); err != nil {
		t.Fatal(err)
	}
	half := offered()
	if len(half) < 10 || len(half) > 30 || !slices.Contains(half, 3) {
		t.Errorf("50%% rollout offered %d of 40 (%v)", len(half), half)
	}
	p = 100
	e.svc.SetRollout(ctx, "1.1.0", release.RolloutChange{Percent: &p})
	all := offered()
	if len(all) != 40 {
		t.Errorf("100%% offered %d", len(all))
	}
	for _, i := range half {
		if !slices.Contains(all, i) {
			t.Errorf("raising the percentage dropped connector %d", i)
		}
	}
	if _, err := e.svc.SetRollout(ctx, "1.1.0", release.RolloutChange{Pause: true}); err != nil {
		t.Fatal(err)
	}
	if got := offered(); len(got) != 0 {
		t.Errorf("offered while paused: %v", got)
	}
	e.svc.SetRollout(ctx, "1.1.0", release.RolloutChange{Resume: true})
	// A connector that rolled back 1.1.0 is not offered it again; one on
	// 1.1.0 already is not offered anything; no program for the platform,
	// no offer.
	if err := e.svc.ReportUpdate(ctx, connectors[0], gatewayReport("1.0.0", "1.1.0", "rolled_back")); err != nil {
		t.Fatal(err)
	}
	if o, _ := e.svc.Offer(ctx, connectors[0], "windows/amd64"); o != nil {
		t.Errorf("offered again after a rollback: %+v", o)
	}
	if o, _ := e.svc.Offer(ctx, &qbconnect.Connector{ID: connectors[1].ID, Version: "1.1.0"}, "windows/amd64"); o != nil {
		t.Errorf("offered the version it runs")
	}
	if o, _ := e.svc.Offer(ctx, connectors[1], "linux/amd64"); o != nil {
		t.Errorf("offered a release without a program for the platform")
	}
	o2, err := e.svc.Offer(ctx, connectors[1], "windows/amd64")
	if err != nil || o2 == nil || o2.Version != "1.1.0" || o2.SignerThumbprint != tp || o2.Program.Name != "qbconnector.exe" {
		t.Errorf("offer = %+v, %v", o2, err)
	}
}

// rotation sets up two organisations with connectors on release 1 signed
// with certificate A and publishes release 2 signed with B.
type rotation struct {
	e          *env
	a, b       *signingtest.Leaf
	acme, beta *qbconnect.Org
	conns      map[string]*qbconnect.Connection // by company name
	camp       *qbconnect.Campaign
}

func newRotation(t *testing.T, reminder time.Duration) *rotation {
	e := newEnv(t)
	ctx := context.Background()
	r := &rotation{e: e, conns: map[string]*qbconnect.Connection{}}
	r.a = e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	r.b = e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	r.acme = e.org(t, "Acme Lending", "alerts@acme.test")
	r.beta = e.org(t, "Beta Books", "it@beta.test", "cto@beta.test")
	tpA := strings.ToLower(r.a.Thumbprint())
	for _, n := range []string{"Acme Plumbing", "Acme Bakery"} {
		r.conns[n] = e.link(t, r.acme.ID, n, "", tpA)
	}
	// Beta's two companies share one connector (a multi-company PC).
	first := e.link(t, r.beta.ID, "Beta Farm", "", tpA)
	r.conns["Beta Farm"] = first
	r.conns["Beta Dairy"] = e.link(t, r.beta.ID, "Beta Dairy", first.ConnectorID, tpA)
	if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, r.a, "qbconnector.exe")}}); err != nil {
		t.Fatal(err)
	}
	// A third organisation whose connector already runs B (a pre-release
	// installed by hand) is not affected.
	gamma := e.org(t, "Gamma", "g@gamma.test")
	e.link(t, gamma.ID, "Gamma Ltd", "", strings.ToLower(r.b.Thumbprint()))
	rel, camp, err := e.svc.Publish(ctx, release.PublishInput{Version: "2.0.0", Files: []string{signedPE(t, r.b, "qbconnector.exe")},
		RolloutAt: time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC), ReminderAfter: reminder})
	if err != nil {
		t.Fatal(err)
	}
	if camp == nil || rel.CampaignID != camp.ID {
		t.Fatalf("no campaign for a release with a new signer: %+v", rel)
	}
	// The publisher sees at once how many connections are affected.
	if n := camp.Counts[qbconnect.CampaignOffered]; n != 4 {
		t.Errorf("the published campaign counts %d Offered connections, want 4: %v", n, camp.Counts)
	}
	r.camp = camp
	return r
}

func TestRotationCampaignEmailsEachClientItsAffectedCompanies(t *testing.T) {
	r := newRotation(t, 0)
	msgs := r.e.smtp.Wait(t, 2, 20*time.Second)
	got := map[string][]string{}
	for _, m := range msgs {
		to := strings.Join(m.To, ",")
		var companies []string
		for _, n := range []string{"Acme Plumbing", "Acme Bakery", "Beta Farm", "Beta Dairy", "Gamma Ltd"} {
			if strings.Contains(m.Text, n) {
				companies = append(companies, n)
			}
		}
		sort.Strings(companies)
		got[to] = companies
		for _, must := range []string{"Monday 14 December 2026", "2.0.0", "different company file", "Timed out attempting to communicate with QBD.", "denied", "wrong company file"} {
			if !strings.Contains(m.Text, must) {
				t.Errorf("notice to %s lacks %q:\n%s", to, must, m.Text)
			}
		}
		if !strings.Contains(m.HTML, "<li>") {
			t.Errorf("notice to %s has no HTML list", to)
		}
	}
	want := map[string][]string{
		"alerts@acme.test":           {"Acme Bakery", "Acme Plumbing"},
		"cto@beta.test,it@beta.test": {"Beta Dairy", "Beta Farm"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	// Sending the notices again sends nothing new.
	if err := r.e.svc.SendNotices(context.Background(), r.camp.ID); err != nil {
		t.Fatal(err)
	}
	list, _ := r.e.rs.ListMail(context.Background(), "")
	if len(list) != 2 {
		t.Errorf("%d messages in the outbox, want 2", len(list))
	}
}

func TestRotationCampaignFollowsEachConnection(t *testing.T) {
	r := newRotation(t, 48*time.Hour)
	e := r.e
	ctx := context.Background()
	tpB := strings.ToLower(r.b.Thumbprint())
	state := func(orgID string) map[string]string {
		t.Helper()
		if _, err := e.svc.Track(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.FindCampaign(ctx, orgID, r.camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, cc := range c.Connections {
			m[cc.CompanyName] = strings.TrimSuffix(string(cc.State)+"/"+cc.SubState, "/")
		}
		return m
	}
	if diff := cmp.Diff(map[string]string{"Acme Plumbing": "Offered", "Acme Bakery": "Offered"}, state(r.acme.ID)); diff != "" {
		t.Errorf("start (-want +got):\n%s", diff)
	}
	// The other organisation's connections are invisible to Acme.
	if _, err := e.svc.FindCampaign(ctx, "org_unknown", r.camp.ID); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		t.Errorf("campaign for an unaffected org: %v", err)
	}

	plumbing, bakery := r.conns["Acme Plumbing"], r.conns["Acme Bakery"]
	farm, dairy := r.conns["Beta Farm"], r.conns["Beta Dairy"]
	e.clock.Advance(time.Minute)
	e.report(t, plumbing.ConnectorID, "2.0.0", tpB)
	e.report(t, bakery.ConnectorID, "2.0.0", tpB)
	e.report(t, farm.ConnectorID, "2.0.0", tpB)
	e.clock.Advance(time.Minute)
	e.health(t, plumbing.ID, "auth_pending", "0x80040418", false)
	e.health(t, bakery.ID, "qb_closed", "0x80040408", false)
	e.health(t, farm.ID, "wrong_file_open", "0x8004041B", false)
	e.health(t, dairy.ID, "wrong_file_open", "", false)
	if diff := cmp.Diff(map[string]string{"Acme Plumbing": "CandidateInstalled/prompt_showing", "Acme Bakery": "CandidateInstalled/qb_closed"},
		state(r.acme.ID)); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"Beta Farm": "CandidateInstalled/wrong_file_open", "Beta Dairy": "WrongFile"},
		state(r.beta.ID)); diff != "" {
		t.Errorf("beta (-want +got):\n%s", diff)
	}
	c, _ := e.svc.FindCampaign(ctx, r.acme.ID, r.camp.ID)
	for _, cc := range c.Connections {
		if !cc.NeedsAction || cc.Instructions == nil || !strings.Contains(strings.Join(cc.Instructions.Steps, " "), cc.CompanyName) {
			t.Errorf("%s: needsAction %v, instructions %+v", cc.CompanyName, cc.NeedsAction, cc.Instructions)
		}
	}
	list, err := e.svc.ListCampaigns(ctx, r.beta.ID)
	if err != nil || len(list) != 1 || list[0].Counts[qbconnect.CampaignCandidateInstalled] != 1 || list[0].Counts[qbconnect.CampaignWrongFile] != 1 || len(list[0].Connections) != 2 {
		t.Errorf("list = %+v, %v", list, err)
	}

	// Two days later the ones still waiting get one reminder per client.
	before := len(e.smtp.Wait(t, 2, 20*time.Second))
	e.clock.Advance(49 * time.Hour)
	e.health(t, plumbing.ID, "ok", "", true)
	e.health(t, bakery.ID, "access_denied", "0x8004041A", false)
	if diff := cmp.Diff(map[string]string{"Acme Plumbing": "Approved", "Acme Bakery": "Denied"}, state(r.acme.ID)); diff != "" {
		t.Errorf("after approval (-want +got):\n%s", diff)
	}
	msgs := e.smtp.Wait(t, before+2, 20*time.Second)
	reminders := map[string]string{}
	for _, m := range msgs[before:] {
		reminders[strings.Join(m.To, ",")] = m.Text
	}
	if txt := reminders["alerts@acme.test"]; !strings.Contains(txt, "Acme Bakery") || strings.Contains(txt, "Acme Plumbing") || !strings.Contains(txt, "denied") {
		t.Errorf("Acme reminder should list only Acme Bakery and its denied situation:\n%s", txt)
	}
	if txt := reminders["cto@beta.test,it@beta.test"]; !strings.Contains(txt, "Beta Farm") || !strings.Contains(txt, "Beta Dairy") {
		t.Errorf("Beta reminder:\n%s", txt)
	}

	// Everyone approves; the campaign completes.
	e.clock.Advance(time.Minute)
	e.report(t, dairy.ConnectorID, "2.0.0", tpB)
	for _, c := range []*qbconnect.Connection{bakery, farm, dairy} {
		e.health(t, c.ID, "ok", "", true)
	}
	state(r.acme.ID)
	c, _ = e.svc.FindCampaign(ctx, "", r.camp.ID)
	if c.Status != qbconnect.CampaignComplete || c.Counts[qbconnect.CampaignApproved] != 4 {
		t.Errorf("campaign %s, counts %v", c.Status, c.Counts)
	}
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	wantEvents := []string{
		r.acme.ID + " Acme Plumbing Approved ", r.acme.ID + " Acme Bakery Denied ",
	}
	for _, w := range wantEvents {
		if !slices.Contains(e.events.list, w) {
			t.Errorf("no webhook %q in %q", w, e.events.list)
		}
	}
}

func TestExpiryWarningsFireOncePerThreshold(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := e.clock.Now()
	leaf := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{NotBefore: start.Add(-time.Hour), NotAfter: start.Add(100 * 24 * time.Hour)})
	if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, leaf, "q.exe")}}); err != nil {
		t.Fatal(err)
	}
	var fired []int
	check := func() {
		t.Helper()
		ws, err := e.svc.CheckExpiry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			fired = append(fired, w.Threshold)
		}
	}
	// Walk day by day to the expiry and past it, checking twice a day.
	for day := 0; day <= 102; day++ {
		check()
		e.clock.Advance(12 * time.Hour)
		check()
		e.clock.Advance(12 * time.Hour)
	}
	if diff := cmp.Diff([]int{90, 60, 30, 14, 7, 0}, fired); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	var subjects []string
	for _, m := range e.smtp.Wait(t, 6, 20*time.Second) {
		subjects = append(subjects, m.Subject())
	}
	all := strings.Join(subjects, "\n")
	for _, want := range []string{"90 days left", "7 days left", "EXPIRED"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning %q among:\n%s", want, all)
		}
	}
	certs, err := e.svc.Certificates(ctx)
	if err != nil || len(certs) != 1 || *certs[0].DaysLeft > -1 || len(certs[0].Warnings) != 6 {
		t.Errorf("certificates = %+v, %v", certs, err)
	}
}

func TestExpiryFirstSeenLateWarnsOnlyTheNearestThreshold(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	leaf := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(20*24*time.Hour + time.Hour)})
	if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, leaf, "q.exe")}}); err != nil {
		t.Fatal(err)
	}
	ws, err := e.svc.CheckExpiry(ctx)
	if err != nil || len(ws) != 1 || ws[0].Threshold != 30 || ws[0].DaysLeft != 20 {
		t.Fatalf("warnings = %+v, %v; want one for 30 days with 20 left", ws, err)
	}
	// A second service (a restart) does not warn again.
	again, err := release.New(release.Config{Store: e.rs, Orgs: e.orgs, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if ws, _ := again.CheckExpiry(ctx); len(ws) != 0 {
		t.Errorf("warned again after a restart: %+v", ws)
	}
}

func gatewayReport(from, to, outcome string) gateway.UpdateReport {
	return gateway.UpdateReport{FromVersion: from, ToVersion: to, Outcome: outcome}
}
