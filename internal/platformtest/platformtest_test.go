package platformtest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/internal/platformtest"
)

// get sends GET path with a bearer key and returns the status and body.
func get(t *testing.T, p *platformtest.Platform, path, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", p.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := p.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The platform in process serves the REST API and the Web Connector
// endpoint over loopback on every database, and after a restart serves
// what it stored before.
func TestThePlatformServesTheAPIAndTheWebConnectorAndSurvivesARestart(t *testing.T) {
	for name, dsn := range platformtest.Databases() {
		t.Run(name, func(t *testing.T) {
			p := platformtest.New(t, platformtest.Options{DSN: dsn(t)})
			org, key := p.NewOrg("Lender")
			cmp := p.Company(t, org.ID, "Acme Books")
			if st, body := get(t, p, "/v1/companies/"+cmp.ID, key); st != 200 || !strings.Contains(body, "Acme Books") {
				t.Fatalf("GET company: %d %s", st, body)
			}
			resp, err := p.Client().Post(p.URL()+"/qbwc", "text/xml; charset=utf-8", strings.NewReader(`<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><serverVersion xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>`))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "serverVersionResponse") {
				t.Fatalf("POST /qbwc serverVersion: %d %s", resp.StatusCode, b)
			}
			if p.Webhooks != nil || p.Jobs != nil {
				t.Error("webhooks were started without Options.Webhooks")
			}

			p.Restart()
			if st, body := get(t, p, "/v1/companies/"+cmp.ID, key); st != 200 || !strings.Contains(body, "Acme Books") {
				t.Fatalf("GET company after the restart: %d %s", st, body)
			}
		})
	}
}

// TuneAPI sees the services New set and may take one away: the API then
// answers that the service is unavailable.
func TestTuneAPIMayRemoveAService(t *testing.T) {
	p := platformtest.New(t, platformtest.Options{TuneAPI: func(c *api.Config) {
		if c.Reports == nil || c.Sync == nil {
			t.Error("TuneAPI ran before the services were set")
		}
		c.Reports = nil
	}})
	org, key := p.NewOrg("Lender")
	cmp := p.Company(t, org.ID, "Acme Books")
	if st, body := get(t, p, "/v1/companies/"+cmp.ID+"/reports/profit-and-loss", key); st != 503 {
		t.Fatalf("report without a report store: %d %s", st, body)
	}
}
