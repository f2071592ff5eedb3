package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qbconnect/qbconnect"
)

const chromiumPath = "/usr/bin/chromium"

// TestBrowserShowsTheCardsAndPerformSyncRunsASync opens the local UI in
// headless Chromium with the link `qbconnector ui` prints, checks the card
// and its message, presses Perform Sync and sees the sync run; it saves a
// screenshot.
func TestBrowserShowsTheCardsAndPerformSyncRunsASync(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium is not installed at %s", chromiumPath)
	}
	e := newEnv(t, envOptions{})
	e.link(e.conn.ID)
	e.startAgent()
	waitFor(t, "the connection to be healthy", 10*time.Second, func() (bool, string) {
		h := e.health(e.conn.ID)
		return h.Code == qbconnect.HealthOK, h.Code
	})

	// Without the token, the UI refuses the browser.
	pu, _ := url.Parse(e.uiURL)
	resp, err := http.Get("http://" + pu.Host + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET / without the token = %d, want 401", resp.StatusCode)
	}
	link := strings.TrimSpace(e.connector("ui"))
	if link != e.uiURL {
		t.Errorf("qbconnector ui printed %q, want %q", link, e.uiURL)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Headless,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.WindowSize(1100, 900))
	actx, cancel := chromedp.NewExecAllocator(e.ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	bctx, cancel = context.WithTimeout(bctx, 60*time.Second)
	defer cancel()

	card := "#card-" + e.conn.ID
	if err := chromedp.Do(bctx, chromedp.Navigate(link), chromedp.WaitVisible(card)); err != nil {
		t.Fatalf("opening the UI: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	name, state, message, footer := text(card+" h3"), text(card+` [data-testid="state"]`), text(card+` [data-testid="message"]`), text("#footer")
	if name != "Acme Plumbing" || state != "Connected" || message != "Connected to QuickBooks." {
		t.Errorf("card shows %q / %q / %q", name, state, message)
	}
	if client := text(card + ` [data-testid="client"]`); client != "Acme Plumbing LLC — for Lender Inc" {
		t.Errorf("card names the client %q, want %q", client, "Acme Plumbing LLC — for Lender Inc")
	}
	for _, want := range []string{"9.9.9-e2e", "qbconnect Ltd", "1 of 1"} {
		if !strings.Contains(footer, want) {
			t.Errorf("footer %q lacks %q", footer, want)
		}
	}
	if location, err := chromedp.Run(bctx, chromedp.Location()); err != nil || strings.Contains(location, "token=") {
		t.Errorf("the token stays in the address bar: %q (%v)", location, err)
	}

	// Perform Sync queues a sync on the platform, and the connector runs it.
	if err := chromedp.Do(bctx, chromedp.Click(card+` [data-testid="sync"]`)); err != nil {
		t.Fatalf("Perform Sync: %v", err)
	}
	wctx, wcancel := context.WithTimeout(bctx, 15*time.Second)
	err = chromedp.Do(wctx, chromedp.WaitVisible(".flash"))
	wcancel()
	if err != nil {
		loc, _ := chromedp.Run(bctx, chromedp.Location())
		body, _ := chromedp.Run(bctx, chromedp.Text("body"))
		t.Fatalf("no message after Perform Sync (%v) at %s:\n%s\n%s", err, loc, body, e.stderr.String())
	}
	if flash := text(".flash"); !strings.Contains(flash, "Sync of Acme Plumbing requested") {
		t.Errorf("after Perform Sync the page says %q", flash)
	}
	waitFor(t, "the sync to run", 15*time.Second, func() (bool, string) {
		ops, _, _ := e.plat.Queue.ListOperations(e.ctx, qbconnect.OperationFilter{OrgID: e.orgID, Kind: qbconnect.OpSync})
		return len(ops) == 1 && ops[0].Status == qbconnect.OpSucceeded, fmt.Sprint(ops)
	})
	// The card follows: its request count grows without a reload.
	waitFor(t, "the card to count the sync", 10*time.Second, func() (bool, string) {
		// The page swaps the cards in as they change: a read may find
		// none for an instant.
		items, err := chromedp.Run(bctx, chromedp.Text(card+` [data-testid="items"]`))
		if err != nil {
			return false, err.Error()
		}
		items = strings.TrimSpace(items)
		return items != "" && items != "0", items
	})

	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := t.ArtifactDir()
	shot := filepath.Join(dir, "connector-ui.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	if os.Getenv("QBCONNECTOR_UPDATE_SCREENSHOT") != "" {
		if err := os.WriteFile("../../docs/screenshots/connector-ui.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
