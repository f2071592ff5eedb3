package e2e

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/testenv"
)

// TestBrowserShowsTheCardsAndPerformSyncRunsASync opens the local UI in
// headless Chromium with the link `qbconnector ui` prints, checks the card
// and its message, presses Perform Sync and sees the sync run on the
// platform; it saves a screenshot (into the test's artifacts, and into
// docs/screenshots when testenv.UpdateScreenshotsEnv is set).
func TestBrowserShowsTheCardsAndPerformSyncRunsASync(t *testing.T) {
	tab := browser.Tab(t)
	e := newEnv(t, envOptions{})
	e.link()
	e.agent.Run()
	e.waitHealthy()

	// Without the token, the UI refuses the browser.
	pu, err := url.Parse(e.agent.UIURL)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + pu.Host + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET / without the token = %d, want 401", resp.StatusCode)
	}
	link := strings.TrimSpace(e.agent.Cmd("ui"))
	if link != e.agent.UIURL {
		t.Errorf("qbconnector ui printed %q, want %q", link, e.agent.UIURL)
	}

	card := "#card-" + e.conn.ID
	tab.Open(link)
	tab.WaitVisible(card, 30*time.Second)
	name, state, message, footer := tab.Text(card+" h3"), tab.Text(card+` [data-testid="state"]`), tab.Text(card+` [data-testid="message"]`), tab.Text("#footer")
	if name != testenv.AcmeName || state != "Connected" || message != "Connected to QuickBooks." {
		t.Errorf("card shows %q / %q / %q", name, state, message)
	}
	if client := tab.Text(card + ` [data-testid="client"]`); client != "Acme Plumbing LLC — for Lender Inc" {
		t.Errorf("card names the client %q, want %q", client, "Acme Plumbing LLC — for Lender Inc")
	}
	for _, want := range []string{testenv.Version, "qbconnect Ltd", "1 of 1"} {
		if !strings.Contains(footer, want) {
			t.Errorf("footer %q lacks %q", footer, want)
		}
	}
	if location := tab.Location(); strings.Contains(location, "token=") {
		t.Errorf("the token stays in the address bar: %q", location)
	}

	// Perform Sync asks the platform for a sync, and the connector runs a
	// pass of every data type.
	tab.Click(card + ` [data-testid="sync"]`)
	tab.WaitVisible(".flash", 15*time.Second)
	if flash := tab.Text(".flash"); !strings.Contains(flash, "Sync of Acme Plumbing requested") {
		t.Errorf("after Perform Sync the page says %q", flash)
	}
	types := e.plat.WaitSynced(e.company.ID, time.Minute)
	runs := e.plat.SyncRuns(e.company.ID)
	if len(runs) != len(types) {
		t.Errorf("Perform Sync ran %d passes for %d data types, want one each", len(runs), len(types))
	}
	for _, r := range runs {
		if string(r.Trigger) != string(qbconnect.TriggerOnDemand) {
			t.Errorf("pass %s of %s was started by %s, want %s", r.Id, r.DataType, r.Trigger, qbconnect.TriggerOnDemand)
		}
	}
	// The card follows: its request count grows without a reload.
	tab.Await("the card to count the sync", card+` [data-testid="items"]`, 10*time.Second, func(items string) bool {
		return items != "" && items != "0"
	})

	shot := filepath.Join(t.ArtifactDir(), "connector-ui.png")
	tab.SaveScreenshot(shot)
	t.Logf("screenshot: %s", shot)
	tab.Screenshot(testenv.ScreenshotPath(t, "connector-ui.png"))
}
