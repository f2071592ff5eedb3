package api_test

import (
	"encoding/json"
	"fmt"
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
	// Redoc gives every operation and tag a section whose id ends with it.
	sections := []string{"operation/listInvoices", "operation/voidInvoice", "operation/createCompany", "operation/getOperation",
		"operation/runQbxml", "operation/createCustomer", "operation/onConnectionStatusChanged"}
	js := `(() => { const h1 = document.querySelector("h1"); return !!h1 && h1.textContent.includes("qbconnect API") && ` +
		`%s.every(s => document.querySelector('[id$="' + s + '"]') !== null); })()`
	list, _ := json.Marshal(sections)
	tab.WaitJS("the reference rendered every section", fmt.Sprintf(js, list), 5*time.Minute)
	if text := tab.EvalString(`document.querySelector('[id="tag/invoices/operation/listInvoices"]').textContent`); !strings.Contains(text, "List invoices") {
		t.Errorf("listInvoices does not show its summary: %.300s", text)
	}
	if blocked := offline.Blocked(); len(blocked) > 0 {
		t.Errorf("the page tried to reach other addresses: %v", blocked)
	}
	// The README's screenshot shows a data type's typed operation.
	tab.EvalString(`document.querySelector('[id="tag/invoices/operation/createInvoice"]').scrollIntoView(); "ok"`)
	tab.ViewportScreenshot(testenv.ScreenshotPath(t, "api-reference.png"))
}
