package release_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// outbox lists the messages queued so far as "kind to: subject-ish",
// read from the outbox table (written synchronously by Queue).
func (e *env) outbox(tb testing.TB, kind string) []*qbconnect.Mail {
	tb.Helper()
	list, err := e.rs.ListMail(context.Background(), "")
	if err != nil {
		tb.Fatal(err)
	}
	var out []*qbconnect.Mail
	for _, m := range list {
		if kind == "" || m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func recipients(list []*qbconnect.Mail) []string {
	var to []string
	for _, m := range list {
		to = append(to, strings.Join(m.To, ","))
	}
	slices.Sort(to)
	return to
}

func TestPublishingUnderANewCertificateStartsACampaignEvenWhenTheOldOneWasNeverPublished(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// Connectors installed by hand before the platform published anything,
	// signed with certificate A; the first published release is signed
	// with B.
	a := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	b := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	acme := e.org(t, "Acme Lending", "alerts@acme.test")
	e.link(t, acme.ID, "Acme Plumbing", "", strings.ToLower(a.Thumbprint()))
	rel, camp, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, b, "qbconnector.exe")}})
	if err != nil {
		t.Fatal(err)
	}
	if camp == nil || rel.CampaignID != camp.ID {
		t.Fatalf("no campaign although the connectors run another certificate: %+v", rel)
	}
	if diff := cmp.Diff([]string{strings.ToLower(a.Thumbprint())}, camp.OldThumbprints); diff != "" {
		t.Errorf("old thumbprints (-want +got):\n%s", diff)
	}
	if camp.Counts[qbconnect.CampaignOffered] != 1 || camp.NotifiedAt == nil {
		t.Errorf("counts %v, notified %v", camp.Counts, camp.NotifiedAt)
	}

	// The first release signed with the certificate the connectors already
	// run starts none.
	e2 := newEnv(t)
	a2 := e2.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	e2.link(t, e2.org(t, "Beta", "b@beta.test").ID, "Beta Farm", "", strings.ToLower(a2.Thumbprint()))
	if _, camp, err := e2.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, a2, "qbconnector.exe")}}); err != nil || camp != nil {
		t.Errorf("same certificate: campaign %+v, err %v", camp, err)
	}
}

func TestCampaignWithoutAClientContactIsNotMarkedNotifiedAndTellsTheOperator(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t)
	svc, err := release.New(release.Config{Store: e.rs, Orgs: e.orgs, Verifier: &signing.Verifier{Roots: e.ca.Pool(), Now: e.clock.Now},
		Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	b := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	acme := e.org(t, "Acme Lending", "alerts@acme.test")
	quiet := e.org(t, "Quiet Books") // no contact address
	e.link(t, acme.ID, "Acme Plumbing", "", strings.ToLower(a.Thumbprint()))
	e.link(t, quiet.ID, "Quiet Farm", "", strings.ToLower(a.Thumbprint()))
	if _, _, err := svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, a, "q.exe")}}); err != nil {
		t.Fatal(err)
	}
	_, camp, err := svc.Publish(ctx, release.PublishInput{Version: "2.0.0", Files: []string{signedPE(t, b, "q.exe")}})
	if err != nil {
		t.Fatal(err)
	}
	if camp.NotifiedAt != nil {
		t.Errorf("campaign marked notified at %v although %s has no contact", camp.NotifiedAt, quiet.Name)
	}
	if diff := cmp.Diff([]string{quiet.ID}, camp.NotNotified); diff != "" {
		t.Errorf("NotNotified (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "rotation campaign NOT notified") || !strings.Contains(logs.String(), quiet.ID) {
		t.Errorf("no warning for the operator naming %s:\n%s", quiet.ID, logs.String())
	}
	if got := recipients(e.outbox(t, "campaign_notice")); !slices.Equal(got, []string{"alerts@acme.test"}) {
		t.Errorf("notices to %v", got)
	}

	// Once the client has a contact, the next pass tells it, once, and the
	// campaign is notified.
	if err := e.rs.SetContacts(ctx, quiet.ID, []string{"owner@quiet.test"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := svc.Track(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := recipients(e.outbox(t, "campaign_notice")); !slices.Equal(got, []string{"alerts@acme.test", "owner@quiet.test"}) {
		t.Errorf("notices to %v", got)
	}
	c, err := svc.FindCampaign(ctx, "", camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.NotifiedAt == nil || len(c.NotNotified) != 0 {
		t.Errorf("after the contact was set: notified %v, not notified %v", c.NotifiedAt, c.NotNotified)
	}
}

func TestWithoutSMTPEachEmailIsLoggedInFullOnce(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t)
	svc, err := release.New(release.Config{Store: e.rs, Orgs: e.orgs, Verifier: &signing.Verifier{Roots: e.ca.Pool(), Now: e.clock.Now},
		Now: e.clock.Now, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	b := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	acme := e.org(t, "Acme Lending", "alerts@acme.test")
	e.link(t, acme.ID, "Acme Plumbing", "", strings.ToLower(a.Thumbprint()))
	svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, a, "q.exe")}})
	_, camp, err := svc.Publish(ctx, release.PublishInput{Version: "2.0.0", Files: []string{signedPE(t, b, "q.exe")}})
	if err != nil {
		t.Fatal(err)
	}
	notices := e.outbox(t, "campaign_notice")
	if len(notices) != 1 {
		t.Fatalf("%d notices in the outbox", len(notices))
	}
	m := notices[0]
	if m.Status != qbconnect.MailFailed || m.LastError != notify.NotSentReason {
		t.Errorf("logged message status %s (%s): it was not sent", m.Status, m.LastError)
	}
	// The log holds the whole message: every line of its body.
	text := logs.String()
	for _, line := range strings.Split(strings.TrimSpace(m.Text), "\n") {
		if !strings.Contains(text, jsonEscaped(line)) {
			t.Errorf("the log lacks the body line %q", line)
		}
	}
	if !strings.Contains(text, "To: alerts@acme.test") || !strings.Contains(text, jsonEscaped("Subject: "+m.Subject)) {
		t.Errorf("the log lacks the headers:\n%s", text)
	}
	// Sending again logs nothing new.
	before := strings.Count(logs.String(), "email not sent")
	if err := svc.SendNotices(ctx, camp.ID); err != nil {
		t.Fatal(err)
	}
	if after := strings.Count(logs.String(), "email not sent"); after != before || before != 1 {
		t.Errorf("logged %d then %d times, want once", before, after)
	}
}

// jsonEscaped is s as it appears inside a JSON string.
func jsonEscaped(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\t", `\t`)
	return r.Replace(s)
}

func TestClientsAreReminded30_14And7DaysBeforeTheOldCertificateExpiresWhileNotApproved(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := e.clock.Now()
	a := e.ca.Issue(t, "qbconnect Ltd 2026", signingtest.Opts{NotBefore: start.Add(-300 * 24 * time.Hour), NotAfter: start.Add(40 * 24 * time.Hour)})
	b := e.ca.Issue(t, "qbconnect Ltd 2027", signingtest.Opts{})
	acme := e.org(t, "Acme Lending", "alerts@acme.test")
	beta := e.org(t, "Beta Books", "it@beta.test")
	tpA, tpB := strings.ToLower(a.Thumbprint()), strings.ToLower(b.Thumbprint())
	plumbing := e.link(t, acme.ID, "Acme Plumbing", "", tpA)
	e.link(t, beta.ID, "Beta Farm", "", tpA)
	if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{signedPE(t, a, "q.exe")}}); err != nil {
		t.Fatal(err)
	}
	_, camp, err := e.svc.Publish(ctx, release.PublishInput{Version: "2.0.0", Files: []string{signedPE(t, b, "q.exe")}})
	if err != nil {
		t.Fatal(err)
	}
	if camp.OldCertificateExpiresAt == nil || !camp.OldCertificateExpiresAt.Equal(a.Cert.NotAfter) {
		t.Errorf("old certificate expires %v, want %v", camp.OldCertificateExpiresAt, a.Cert.NotAfter)
	}
	notice := e.outbox(t, "campaign_notice")[0]
	approveBy := a.Cert.NotAfter.UTC().Format("Monday 2 January 2006")
	for _, want := range []string{"approve the new version in QuickBooks by " + approveBy, "Application Certificate", "when the old certificate expires"} {
		if !strings.Contains(strings.Join(strings.Fields(notice.Text), " "), want) {
			t.Errorf("notice lacks %q:\n%s", want, notice.Text)
		}
	}
	reminders := func() []string {
		t.Helper()
		if _, err := e.svc.Track(ctx); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range e.outbox(t, "campaign_reminder") {
			got = append(got, strings.Join(m.To, ",")+" "+m.Subject[strings.LastIndex(m.Subject, "("):])
		}
		slices.Sort(got)
		return got
	}
	if got := reminders(); len(got) != 0 {
		t.Errorf("reminders 40 days before expiry: %v", got)
	}
	e.clock.Advance(11 * 24 * time.Hour) // 29 days left
	want := []string{"alerts@acme.test (30 days left)", "it@beta.test (30 days left)"}
	if diff := cmp.Diff(want, reminders()); diff != "" {
		t.Errorf("30 days before (-want +got):\n%s", diff)
	}
	// Acme's connection approves; only Beta is reminded from now on, and
	// every threshold only once.
	e.report(t, plumbing.ConnectorID, "2.0.0", tpB)
	reminders()
	e.clock.Advance(time.Minute)
	e.health(t, plumbing.ID, "ok", "", true)
	e.clock.Advance(16 * 24 * time.Hour) // 13 days left
	want = append(want, "it@beta.test (14 days left)")
	slices.Sort(want)
	if diff := cmp.Diff(want, reminders()); diff != "" {
		t.Errorf("14 days before (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, reminders()); diff != "" {
		t.Errorf("a second pass (-want +got):\n%s", diff)
	}
	e.clock.Advance(7 * 24 * time.Hour) // 6 days left
	want = append(want, "it@beta.test (7 days left)")
	slices.Sort(want)
	if diff := cmp.Diff(want, reminders()); diff != "" {
		t.Errorf("7 days before (-want +got):\n%s", diff)
	}
	for _, m := range e.outbox(t, "campaign_reminder") {
		if strings.Contains(m.Subject, "7 days") && (!strings.Contains(m.Text, "Beta Farm") || !strings.Contains(m.Text, "in 7 days")) {
			t.Errorf("7-day reminder:\n%s", m.Text)
		}
	}
}

func TestConnectorReportedHandoverStatesAreRecordedWithAWebhook(t *testing.T) {
	r := newRotation(t, 0)
	e := r.e
	ctx := context.Background()
	farm := r.conns["Beta Farm"]
	for _, st := range []qbconnect.CampaignState{qbconnect.CampaignCandidateInstalled, qbconnect.CampaignApproved, qbconnect.CampaignSwitched} {
		e.clock.Advance(time.Minute)
		if err := e.svc.ReportHandover(ctx, farm.ConnectorID, farm.ID, st, ""); err != nil {
			t.Fatalf("report %s: %v", st, err)
		}
	}
	// The platform's own tracking does not undo what the connector knows.
	if _, err := e.svc.Track(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.FindCampaign(ctx, r.beta.ID, r.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]qbconnect.CampaignState{}
	for _, cc := range c.Connections {
		got[cc.CompanyName] = cc.State
	}
	if diff := cmp.Diff(map[string]qbconnect.CampaignState{"Beta Farm": qbconnect.CampaignSwitched, "Beta Dairy": qbconnect.CampaignOffered}, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	e.events.mu.Lock()
	for _, st := range []string{"CandidateInstalled", "Approved", "Switched"} {
		if w := r.beta.ID + " Beta Farm " + st + " "; !slices.Contains(e.events.list, w) {
			t.Errorf("no webhook %q in %q", w, e.events.list)
		}
	}
	e.events.mu.Unlock()

	dairy := r.conns["Beta Dairy"]
	for _, tc := range []struct {
		state       qbconnect.CampaignState
		connector   string
		code        qbconnect.ErrorCode
		description string
	}{
		{"Reauthorized", dairy.ConnectorID, qbconnect.EInvalid, "an unknown state"},
		{qbconnect.CampaignLeft, dairy.ConnectorID, qbconnect.EInvalid, "Left, which only the platform decides"},
		{qbconnect.CampaignFellBack, "ctr_someone_else", qbconnect.ENotFound, "another connector's connection"},
	} {
		if err := e.svc.ReportHandover(ctx, tc.connector, dairy.ID, tc.state, ""); qbconnect.ErrorCodeOf(err) != tc.code {
			t.Errorf("%s: err %v, want %s", tc.description, err, tc.code)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWithoutSMTPMessagesQueuedByAnotherProcessAreLoggedOnTheNextPass(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t)
	svc, err := release.New(release.Config{Store: e.rs, Orgs: e.orgs, Now: e.clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// `qbconnect release publish` queues straight into the database.
	queued, _, err := e.rs.AddMail(context.Background(), &qbconnect.Mail{Kind: "campaign_notice", To: []string{"alerts@acme.test"},
		Subject: "Action needed", Text: "Hello Acme,\nplease approve by Friday.\n"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var passErr error
	svc.Loop(ctx, time.Hour, func(err error) { passErr = err; cancel() })
	if passErr != nil {
		t.Fatal(passErr)
	}
	for _, want := range []string{"email not sent", "please approve by Friday.", "alerts@acme.test", queued.ID} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
	m, err := e.rs.FindMail(context.Background(), queued.ID)
	if err != nil || m.Status != qbconnect.MailFailed || m.LastError != notify.NotSentReason {
		t.Errorf("message after the pass: %+v, %v", m, err)
	}
}

// TestFellBackSurvivesTrackingUntilTheNewVersionIsApproved: a connection
// whose connector reported FellBack (the old version could not go on)
// stays FellBack while the platform's tracking sees the new version
// installed and waiting for the QuickBooks administrator, whatever the
// health says; it moves on only when QuickBooks answers the new version
// (Approved).
func TestFellBackSurvivesTrackingUntilTheNewVersionIsApproved(t *testing.T) {
	r := newRotation(t, 0)
	e := r.e
	ctx := context.Background()
	farm := r.conns["Beta Farm"]
	state := func() qbconnect.CampaignState {
		t.Helper()
		if _, err := e.svc.Track(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.FindCampaign(ctx, r.beta.ID, r.camp.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, cc := range c.Connections {
			if cc.ConnectionID == farm.ID {
				return cc.State
			}
		}
		t.Fatalf("Beta Farm is not in the campaign")
		return ""
	}
	e.clock.Advance(time.Minute)
	if err := e.svc.ReportHandover(ctx, farm.ConnectorID, farm.ID, qbconnect.CampaignFellBack, ""); err != nil {
		t.Fatal(err)
	}
	if st := state(); st != qbconnect.CampaignFellBack {
		t.Fatalf("after the report, state %s, want FellBack", st)
	}
	// The new version runs and QuickBooks shows its prompt, or refuses
	// it for now, or is closed: the connection fell back all the same.
	e.clock.Advance(time.Minute)
	e.report(t, farm.ConnectorID, "2.0.0", strings.ToLower(r.b.Thumbprint()))
	for _, code := range []string{"auth_pending", "qb_closed", "access_denied", "connector_offline", "ok"} {
		e.clock.Advance(time.Minute)
		e.health(t, farm.ID, code, "", false)
		if st := state(); st != qbconnect.CampaignFellBack {
			t.Errorf("with the new version running and health %s, state %s, want FellBack", code, st)
		}
	}
	// QuickBooks answers the new version.
	e.clock.Advance(time.Minute)
	e.health(t, farm.ID, qbconnect.HealthOK, "", true)
	if st := state(); st != qbconnect.CampaignApproved {
		t.Errorf("once QuickBooks answered the new version, state %s, want Approved", st)
	}
}
