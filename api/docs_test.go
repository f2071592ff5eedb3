package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/testenv"
)

// TestReferenceRendersWithTheNetworkOff: /docs renders the client API's
// document with Redoc served by the platform itself. The browser may reach
// the test server and nothing else; the page must render every section and
// must not even try another address (a CDN, web fonts). With
// QBCONNECT_UPDATE_SCREENSHOTS=1 it saves the README's screenshot.
func TestReferenceRendersWithTheNetworkOff(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	r := e.mustDo(200, "GET", "/docs", "", nil, nil)
	if !strings.Contains(string(r.Body), "redoc.standalone.js") {
		t.Fatalf("/docs does not load Redoc: %.300s", r.Body)
	}
	if r := e.do("GET", "/docs?theme=dark", "", nil); r.Status != 400 {
		t.Errorf("/docs with a query: %d, want 400", r.Status)
	}
	if r := e.do("GET", "/docs/redoc.standalone.js?v=1", "", nil); r.Status != 400 {
		t.Errorf("the script with a query: %d, want 400", r.Status)
	}
	e.mustDo(200, "GET", "/docs/redoc.standalone.js", "", nil, nil)

	browser, err := testenv.StartBrowser()
	if err != nil {
		t.Fatal(err)
	}
	defer browser.Close()
	tab := browser.Tab(t)
	u, err := url.Parse(e.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	offline := tab.NetworkOffExcept(u.Host)
	tab.Open(e.http.URL + "/docs")
	text := tab.Await("the reference rendered", "body", 60*time.Second, func(text string) bool {
		return strings.Contains(text, "qbconnect API") && strings.Contains(text, "List invoices") &&
			strings.Contains(text, "Create a company") && strings.Contains(text, "connection.status_changed")
	})
	for _, want := range []string{"Authentication", "apiKey", "Get an operation", "Void an invoice", "Webhooks"} {
		if !strings.Contains(text, want) {
			t.Errorf("the reference does not show %q", want)
		}
	}
	if blocked := offline.Blocked(); len(blocked) > 0 {
		t.Errorf("the page tried to reach other addresses: %v", blocked)
	}
	tab.ViewportScreenshot(testenv.ScreenshotPath(t, "api-reference.png"))
}
