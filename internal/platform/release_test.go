package platform_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/notify/mailtest"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
	"github.com/qbconnect/qbconnect/store"
)

// TestServeRunsRotationCampaignOverHTTPAndSMTP: a platform server with a
// real SMTP server; a connector on release 1 (certificate A); release 2
// (certificate B) is published; the client gets the notice by email, sees
// the campaign over the REST API, and follows its connection to
// CandidateInstalled and Approved as the connector reports; the
// certificates are on /metrics and /v1/signing-certificates.
func TestServeRunsRotationCampaignOverHTTPAndSMTP(t *testing.T) {
	ctx := context.Background()
	smtp := mailtest.NewServer(t, mailtest.Options{})
	ca := signingtest.NewCA(t, "publisher root")
	a, b := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{}), ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	passes := make(chan error, 100)
	m := startMain(t, platform.Config{Release: platform.ReleaseConfig{
		SMTP:     notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: notify.SMTPPlain, From: "qbconnect <noreply@qbconnect.test>"},
		Interval: 20 * time.Millisecond, JobPollInterval: 50 * time.Millisecond, Verifier: &signing.Verifier{Roots: ca.Pool()},
		OnPass: func(err error) {
			select {
			case passes <- err:
			default:
			}
		},
	}})
	org, _ := m.Orgs.CreateOrg(ctx, "Acme Lending")
	_, key, _ := m.Orgs.CreateAPIKey(ctx, org.ID, "test")
	rs := store.NewReleaseStore(m.DB)
	rs.SetContacts(ctx, org.ID, []string{"alerts@acme.test"})
	comp := &qbconnect.Company{OrgID: org.ID, Name: "Acme Plumbing"}
	m.Companies.CreateCompany(ctx, comp)
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: comp.ID, Kind: qbconnect.KindConnector}
	m.Connections.CreateConnection(ctx, conn)
	code, _ := m.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	gw, _ := gatewayclient.New(m.URL(), gatewayclient.Options{})
	file := gateway.FileIdentity{Path: `C:\Books\Acme.QBW`, CompanyName: "Acme Plumbing"}
	info := func(leaf *signingtest.Leaf, v string) gateway.ConnectorInfo {
		return gateway.ConnectorInfo{Version: v, Signer: leaf.Cert.Subject.String(), Thumbprint: strings.ToLower(leaf.Thumbprint())}
	}
	if _, err := gw.Link(ctx, gateway.LinkRequest{Code: code.Code, File: file, Connector: info(a, "1.0.0")}); err != nil {
		t.Fatal(err)
	}
	report := func(leaf *signingtest.Leaf, v, cond string, success bool) {
		t.Helper()
		fs := gateway.FileState{ConnectionID: conn.ID, File: file, Condition: cond, NeedsUser: cond != "ok"}
		if success {
			// Release 1's last success lies before the update; release 2's
			// after it, even at the store's precision: a release 1
			// success stamped later than the update would read as release
			// 2 approved.
			at := time.Now().Add(-time.Second)
			if leaf == b {
				at = time.Now().Add(time.Second)
			}
			fs.LastSuccess = &at
		}
		if _, err := gw.ReportState(ctx, gateway.State{Connector: info(leaf, v), Files: []gateway.FileState{fs}}); err != nil {
			t.Fatal(err)
		}
	}
	report(a, "1.0.0", "ok", true)
	exe := func(leaf *signingtest.Leaf) string {
		data, _ := os.ReadFile(signingtest.TinyPE(t, "qbconnector.exe"))
		p := filepath.Join(t.TempDir(), "qbconnector.exe")
		os.WriteFile(p, data, 0o755)
		return leaf.Sign(t, p)
	}
	if _, _, err := m.Releases.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{exe(a)}}); err != nil {
		t.Fatal(err)
	}
	_, camp, err := m.Releases.Publish(ctx, release.PublishInput{Version: "2.0.0", Files: []string{exe(b)}, Rollout: qbconnect.Rollout{Percent: 100}})
	if err != nil || camp == nil {
		t.Fatalf("publish 2.0.0: %v, %v", camp, err)
	}
	msg := smtp.Wait(t, 1, 20*time.Second)[0]
	if msg.To[0] != "alerts@acme.test" || !strings.Contains(msg.Text, "Acme Plumbing") {
		t.Errorf("notice to %v:\n%s", msg.To, msg.Text)
	}
	offer, err := gw.CheckUpdate(ctx, "windows/amd64")
	if err != nil || offer == nil || offer.Version != "2.0.0" || offer.SignerThumbprint != strings.ToLower(b.Thumbprint()) {
		t.Fatalf("offer = %+v, %v", offer, err)
	}

	// waitState polls the REST API (each tracking pass is signalled).
	waitState := func(want string) map[string]any {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			status, body := get(t, m.URL()+"/v1/rotation-campaigns/"+camp.ID, key)
			if status != http.StatusOK {
				t.Fatalf("GET campaign: %d %v", status, body)
			}
			conns, _ := body["connections"].([]any)
			if len(conns) == 1 {
				c := conns[0].(map[string]any)
				got := c["state"].(string)
				if s, ok := c["subState"].(string); ok {
					got += "/" + s
				}
				if got == want {
					return c
				}
			}
			select {
			case <-passes:
			case <-deadline:
				t.Fatalf("campaign connection never reached %s: %v", want, body)
			}
		}
	}
	waitState("Offered")
	gw.ReportUpdate(ctx, gateway.UpdateReport{FromVersion: "1.0.0", ToVersion: "2.0.0", Outcome: gateway.UpdateInstalled})
	report(b, "2.0.0", "auth_pending", false)
	c := waitState("CandidateInstalled/prompt_showing")
	if c["needsAction"] != true || c["instructions"] == nil {
		t.Errorf("connection needing action: %v", c)
	}
	report(b, "2.0.0", "ok", true)
	waitState("Approved")
	// Releases, campaigns and certificates answer as the document types
	// them.
	conformsToDocument(t, m.URL(), key, "/v1/releases", "/v1/rotation-campaigns", "/v1/rotation-campaigns/"+camp.ID, "/v1/signing-certificates")
	status, body := get(t, m.URL()+"/v1/rotation-campaigns", key)
	if status != 200 || len(body["data"].([]any)) != 1 {
		t.Errorf("list: %d %v", status, body)
	}
	// The organisation's connector now runs certificate B, which signed a
	// release the platform published: the one certificate it is shown,
	// verified.
	status, body = get(t, m.URL()+"/v1/signing-certificates", key)
	if list, _ := body["data"].([]any); status != 200 || len(list) != 1 || list[0].(map[string]any)["source"] != "verified" ||
		list[0].(map[string]any)["thumbprint"] != strings.ToLower(b.Thumbprint()) {
		t.Errorf("certificates: %d %v", status, body)
	}
	resp, err := http.Get(m.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `qbconnect_signing_certificate_days_left{subject="CN=qbconnect Ltd,O=qbconnect tests",thumbprint="`+strings.ToLower(b.Thumbprint())) {
		t.Errorf("no days-left gauge for certificate B in /metrics")
	}
	expiry := fmt.Sprintf(`qbconnect_signing_certificate_expiry_timestamp_seconds{subject="CN=qbconnect Ltd,O=qbconnect tests",thumbprint="%s"} %g`,
		strings.ToLower(b.Thumbprint()), float64(b.Cert.NotAfter.Unix()))
	if !strings.Contains(string(metrics), expiry) {
		t.Errorf("/metrics has no line %q", expiry)
	}
}
