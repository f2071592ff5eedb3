package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// The moment the certificate notice warns about: QuickBooks asks about the
// wrong company file. The connector was approved for the other file by
// mistake (the card says to remove it in Integrated Applications); once
// removed, QuickBooks asks again about the other file, and the card and
// `qbconnector status` name the company this connection expects, say that
// QuickBooks has another file open and not to approve.
func TestQuickBooksAskingAboutAnotherFileNamesTheExpectedCompany(t *testing.T) {
	tab := browser.Tab(t)
	e := newEnv(t, envOptions{})
	e.link()
	e.agent.Run()
	e.expectState(qbd.CondOK)
	card := "#card-" + e.conn.ID

	// The bookkeeper opens the other company file; QuickBooks' policy
	// answers "Yes, always" for it: the wrong approval.
	e.open(testenv.OtherFile, "single")
	e.expectState(qbd.CondWrongFileOpen, testenv.OtherName, testenv.AcmeName)
	if fs := e.file(); !strings.Contains(fs.Shown.Resolution, "Edit > Preferences > Integrated Applications > Company Preferences") {
		t.Errorf("wrong_file_open does not say how to remove the wrong approval: %q", fs.Shown.Resolution)
	}
	tab.WaitText(e.agent.UIURL, card, 15*time.Second, "Integrated Applications", testenv.OtherName)
	tab.Screenshot(testenv.ScreenshotPath(t, "connector-wrong-file-open.png"))

	// The administrator removes that entry; from now on QuickBooks asks.
	ctx := context.Background()
	e.must("policy", e.sim.SetPolicy(ctx, qbdsim.Policy{Mode: qbdsim.PolicyAsk}))
	other := e.app(testenv.OtherFile)
	e.sim.Remove(testenv.OtherFile, other.Key)
	e.agent.PerformSync(e.conn.ID)
	d := e.sim.WaitDialog(30 * time.Second)
	testenv.WaitFor(t, "auth_pending on the card", 15*time.Second, func() (bool, string) {
		fs := e.file()
		return fs.Shown.Code == qbd.CondAuthPending, fs.Shown.Code + ": " + fs.Shown.Message
	})
	fs := e.file()
	for _, want := range []string{`expects "` + testenv.AcmeName + `"`, testenv.OtherName, "not the one this connection expects"} {
		if !strings.Contains(fs.Shown.Message, want) {
			t.Errorf("auth_pending message lacks %q: %s", want, fs.Shown.Message)
		}
	}
	if !strings.Contains(fs.Shown.Resolution, "Do not approve") {
		t.Errorf("auth_pending resolution: %s", fs.Shown.Resolution)
	}
	text := tab.WaitText(e.agent.UIURL, card, 15*time.Second, testenv.AcmeName, testenv.OtherName, "Do not approve")
	tab.Screenshot(testenv.ScreenshotPath(t, "connector-auth-pending-other-file.png"))
	if !strings.Contains(text, "Action needed") {
		t.Errorf("while QuickBooks asks, the card does not say action is needed: %s", text)
	}
	status := e.agent.Cmd("status")
	for _, want := range []string{`expects "` + testenv.AcmeName + `"`, testenv.OtherName, "Do not approve"} {
		if !strings.Contains(status, want) {
			t.Errorf("qbconnector status lacks %q:\n%s", want, status)
		}
	}
	// The administrator says No, as told; with the right file open and
	// approved, the state clears.
	e.sim.Answer(d, qbdsim.ChoiceNo)
	e.must("policy", e.sim.SetPolicy(ctx, qbdsim.Policy{Mode: qbdsim.PolicyAlways}))
	e.open(testenv.AcmeFile, "single")
	e.expectState(qbd.CondOK)
}
