package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/platform"
)

// The server started by `qbconnect serve` answers the Web Connector: the
// .qwc download for a webconnector connection, the certificate probe and
// the WSDL at /qbwc.
func TestServeAnswersTheWebConnector(t *testing.T) {
	m := startMain(t, platform.Config{})
	ctx := context.Background()
	org, err := m.Orgs.CreateOrg(ctx, "Lender")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := m.Orgs.CreateAPIKey(ctx, org.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", m.URL()+path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s = %d %v", path, resp.StatusCode, v)
		}
		return v
	}
	company := post("/v1/companies", `{"name":"Acme Bakery"}`)
	cid := company["id"].(string)
	conn := post("/v1/companies/"+cid+"/connections", `{"kind":"`+string(qbconnect.KindWebConnector)+`"}`)
	connID := conn["id"].(string)

	st, qwc := get(t, strings.Replace(m.URL(), "127.0.0.1", "localhost", 1)+"/v1/companies/"+cid+"/connections/"+connID+"/qwc", key)
	if st != 200 {
		t.Fatalf(".qwc = %d %v", st, qwc)
	}
	if qwc["password"] == "" || !strings.Contains(qwc["qwc"].(string), "<QBWCXML>") {
		t.Fatalf(".qwc answer lacks the file or the one-time password: %v", qwc)
	}
	if st, _ := getText(t, m.URL()+"/qbwc"); st != 200 {
		t.Fatalf("GET /qbwc (certificate probe) = %d", st)
	}
	if st, body := getText(t, m.URL()+"/qbwc?wsdl"); st != 200 || !strings.Contains(body, "http://developer.intuit.com/") {
		t.Fatalf("GET /qbwc?wsdl = %d", st)
	}
}
