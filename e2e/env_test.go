package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/internal/scenario"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// rotation is the starting point of every scenario, on real processes: a
// business's connector signed with certificate A, linked to Acme
// Plumbing's file with "Yes, always", QuickBooks open with that file, the
// first sync done; a client application subscribed to webhooks.
type rotation struct {
	t        *testing.T
	ctx      context.Context
	ca       *signingtest.CA
	a, b     *signingtest.Leaf
	sim      *testenv.Sim
	plat     *testenv.Platform
	hooks    *testenv.Receiver
	conn     *testenv.Connector
	company  *qbconnect.Company
	link     *qbconnect.Connection
	world    *scenario.World
	tab      *testenv.Tab
	uiStates []string // states the browser saw, in order
}

func newRotation(t *testing.T) *rotation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	r := &rotation{t: t, ctx: ctx, ca: signingtest.NewCA(t, "qbconnect E2E Root")}
	r.a = r.ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{Organization: "qbconnect Ltd", NotAfter: time.Now().Add(20 * 24 * time.Hour)})
	r.b = r.ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{Organization: "qbconnect Ltd"})
	r.tab = browser.Tab(t)
	r.sim = testenv.StartSim(t, bins, testenv.SimOptions{Roots: r.ca.RootPath()})
	r.sim.Open(testenv.AcmeFile)
	r.plat = testenv.StartPlatform(t, bins, testenv.PlatformOptions{})
	r.hooks = testenv.StartReceiver(t)
	r.hooks.Subscribe(r.plat)
	r.company, r.link = r.plat.CreateCompany(testenv.AcmeName)

	// The business installs the connector signed with A and links the
	// open file; the administrator answers "Yes, always".
	r.conn = testenv.InstallConnector(t, bins, r.a)
	linking := r.conn.StartLink(r.plat.URL, r.plat.LinkCode(r.link), r.sim.URL)
	d := r.sim.WaitDialog(30 * time.Second)
	if d.Certificate == nil || !strings.EqualFold(d.Certificate.Thumbprint, r.a.Thumbprint()) {
		t.Fatalf("the first dialog is about %+v, want certificate A", d.Certificate)
	}
	r.sim.Answer(d, qbdsim.ChoiceAlways)
	linking.Wait(t)
	r.conn.Run()

	r.world = &scenario.World{
		Sim:         r.sim.Client,
		Platform:    client.New(r.plat.URL, r.plat.APIKey),
		Conn:        scenario.Link{CompanyID: r.company.ID, ConnectionID: r.link.ID, File: testenv.AcmeFile, CompanyName: testenv.AcmeName},
		Other:       scenario.Link{File: testenv.OtherFile, CompanyName: testenv.OtherName},
		UI:          func() scenario.LocalUI { return scenario.LocalUI{URL: r.conn.UIURL} },
		Update:      r.update,
		NewUser:     r.newUser,
		ThumbprintA: r.a.Thumbprint(),
		ThumbprintB: r.b.Thumbprint(),
		Say:         t.Logf,
	}
	if err := r.world.Expect(ctx, "ok"); err != nil {
		t.Fatal(err)
	}
	r.firstSync()
	return r
}

// firstSync syncs the company through the REST API and waits until every
// data type completed.
func (r *rotation) firstSync() {
	r.t.Helper()
	r.plat.StartSync(r.company.ID)
	r.plat.WaitSynced(r.company.ID, time.Minute)
}

// update installs the release signed with certificate B by hand, as an
// administrator running its MSI would: the connector stops, its program
// is replaced by the re-signed one, and it starts again.
func (r *rotation) update(ctx context.Context) error {
	r.conn.Stop()
	r.conn.Sign(r.b)
	r.conn.Run()
	if got := r.conn.Status().Identity.Thumbprint; !strings.EqualFold(got, r.b.Thumbprint()) {
		return fmt.Errorf("the updated connector reports thumbprint %s, want B's %s", got, r.b.Thumbprint())
	}
	return nil
}

// newUser installs the release signed with B for a new business (another
// computer: the first connector stops) and links the other company file.
func (r *rotation) newUser(ctx context.Context, approve func(context.Context) error) (scenario.Link, error) {
	r.conn.Stop()
	company, conn := r.plat.CreateCompany(testenv.OtherName)
	r.conn = testenv.InstallConnector(r.t, bins, r.b)
	linking := r.conn.StartLink(r.plat.URL, r.plat.LinkCode(conn), r.sim.URL)
	if err := approve(ctx); err != nil {
		return scenario.Link{}, err
	}
	linking.Wait(r.t)
	r.conn.Run()
	r.company, r.link = company, conn
	return scenario.Link{CompanyID: company.ID, ConnectionID: conn.ID, File: testenv.OtherFile, CompanyName: testenv.OtherName}, nil
}

// play plays a scenario, checking after each step that the connector's UI
// in the browser shows the state. shots names the screenshots to save (when
// they are being updated) by "connector:STATE" (the connector's UI) or
// "qbdsim:STATE" (the simulator's UI, with QuickBooks' dialog).
func (r *rotation) play(name string, shots map[string]string) {
	r.t.Helper()
	sc, err := scenario.Find(name)
	if err != nil {
		r.t.Fatal(err)
	}
	err = scenario.Play(r.ctx, r.world, sc, func(i int, st scenario.Step) error {
		if st.Want == "" {
			return nil
		}
		r.checkUI(st)
		if shot, ok := shots["connector:"+st.Want]; ok {
			r.tab.Screenshot(testenv.ScreenshotPath(r.t, shot))
		}
		if shot, ok := shots["qbdsim:"+st.Want]; ok {
			r.tab.WaitText(r.sim.URL, "body", 15*time.Second, "qbconnect")
			r.tab.Screenshot(testenv.ScreenshotPath(r.t, shot))
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.checkWebhooks()
}

// checkUI reads the connection's card in the connector's local UI, in the
// browser, and checks that it shows the step's state: its label, its
// message (with the texts the step names) and, when the user must act,
// what to do.
func (r *rotation) checkUI(st scenario.Step) {
	r.t.Helper()
	fs := r.conn.File(r.world.Conn.ConnectionID)
	card := "#card-" + r.world.Conn.ConnectionID
	want := append([]string{fs.Shown.Message}, st.Show...)
	text := r.tab.WaitText(r.conn.UIURL, card, 15*time.Second, want...)
	label := r.tab.Text(card + " [data-testid=state]")
	if st.Want == "ok" {
		if label != "Connected" {
			r.t.Errorf("state %s: the card's label is %q, want Connected", st.Want, label)
		}
	} else {
		if label != "Action needed" {
			r.t.Errorf("state %s: the card's label is %q, want Action needed", st.Want, label)
		}
		if !strings.Contains(text, "What to do:") || !strings.Contains(text, fs.Shown.Resolution) {
			r.t.Errorf("state %s: the card does not say what to do (%q):\n%s", st.Want, fs.Shown.Resolution, text)
		}
	}
	r.uiStates = append(r.uiStates, st.Want)
}

// connectionEvent is the data of a connection.status_changed webhook.
type connectionEvent struct {
	Connection         qbconnect.Connection `json:"connection"`
	PreviousHealthCode string               `json:"previousHealthCode"`
}

// checkWebhooks checks that the client application was told, through
// signed webhooks, of every state the scenario went through and of each
// write's success exactly once.
func (r *rotation) checkWebhooks() {
	r.t.Helper()
	for _, id := range r.world.Writes() {
		wait.For(r.t, "write.succeeded for "+id, 30*time.Second, func() (bool, string) {
			n := 0
			for _, d := range r.hooks.Deliveries(string(qbconnect.EventWriteSucceeded)) {
				var op struct {
					ID string `json:"id"`
				}
				json.Unmarshal(d.Data, &op)
				if op.ID == id {
					n++
				}
			}
			return n >= 1, fmt.Sprintf("%d deliveries", n)
		})
	}
	// Each write succeeded once: no write.failed, and one write.succeeded
	// per operation.
	seen := map[string]int{}
	for _, d := range r.hooks.Deliveries(string(qbconnect.EventWriteSucceeded), string(qbconnect.EventWriteFailed)) {
		var op struct {
			ID string `json:"id"`
		}
		json.Unmarshal(d.Data, &op)
		if d.Type == string(qbconnect.EventWriteFailed) {
			r.t.Errorf("write.failed for %s", op.ID)
		}
		seen[op.ID]++
	}
	for id, n := range seen {
		if n != 1 {
			r.t.Errorf("write %s was reported %d times", id, n)
		}
	}
	// Every state shown went out as connection.status_changed.
	for _, code := range r.uiStates {
		wait.For(r.t, "connection.status_changed to "+code, 30*time.Second, func() (bool, string) {
			var codes []string
			for _, d := range r.hooks.Deliveries(string(qbconnect.EventConnectionStatusChanged)) {
				var ev connectionEvent
				json.Unmarshal(d.Data, &ev)
				if ev.Connection.ID != r.world.Conn.ConnectionID {
					continue
				}
				codes = append(codes, ev.Connection.Health.Code)
				if ev.Connection.Health.Code == code {
					return true, ""
				}
			}
			return false, strings.Join(codes, ", ")
		})
	}
}
