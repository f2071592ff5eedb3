package platform_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// /v1/signing-certificates shows an organisation only the certificates its
// own connectors run. One that signed a release the platform published is
// "verified", with the details of the signature the platform checked; what
// a connector says about a signer the platform never saw is a
// "connector_claim", shown as such and never vouched for (no subject, no
// expiry), and other organisations never see it.
func TestSigningCertificatesShowAnOrganisationItsOwnConnectors(t *testing.T) {
	ctx := context.Background()
	ca := signingtest.NewCA(t, "publisher root")
	leaf := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	m := startMain(t, platform.Config{Release: platform.ReleaseConfig{Verifier: &signing.Verifier{Roots: ca.Pool()}}})
	data, _ := os.ReadFile(signingtest.TinyPE(t, "qbconnector.exe"))
	exe := filepath.Join(t.TempDir(), "qbconnector.exe")
	os.WriteFile(exe, data, 0o755)
	if _, _, err := m.Releases.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{leaf.Sign(t, exe)}}); err != nil {
		t.Fatal(err)
	}
	thumb := strings.ToLower(leaf.Thumbprint())

	// link links a connector of a new organisation reporting signer and
	// thumbprint, and returns the organisation's API key.
	link := func(org, signer, thumbprint string) string {
		t.Helper()
		o, _ := m.Orgs.CreateOrg(ctx, org)
		_, key, _ := m.Orgs.CreateAPIKey(ctx, o.ID, "test")
		comp := &qbconnect.Company{OrgID: o.ID, Name: org + " Books"}
		m.Companies.CreateCompany(ctx, comp)
		conn := &qbconnect.Connection{OrgID: o.ID, CompanyID: comp.ID, Kind: qbconnect.KindConnector}
		m.Connections.CreateConnection(ctx, conn)
		code, _ := m.Connections.CreateLinkCode(ctx, o.ID, conn.ID, 0)
		gw, _ := gatewayclient.New(m.URL(), gatewayclient.Options{})
		if _, err := gw.Link(ctx, gateway.LinkRequest{Code: code.Code, File: gateway.FileIdentity{Path: `C:\` + org + `.qbw`},
			Connector: gateway.ConnectorInfo{Version: "1.0.0", Signer: signer, Thumbprint: thumbprint}}); err != nil {
			t.Fatal(err)
		}
		return key
	}
	honest := link("Honest Lending", leaf.Cert.Subject.String(), thumb)
	claimer := link("Mallory Capital", "CN=Microsoft Corporation", "00112233445566778899aabbccddeeff00112233")
	empty := func() string {
		o, _ := m.Orgs.CreateOrg(ctx, "No Connectors")
		_, key, _ := m.Orgs.CreateAPIKey(ctx, o.ID, "test")
		return key
	}()

	certs := func(key string) []map[string]any {
		t.Helper()
		status, body := get(t, m.URL()+"/v1/signing-certificates", key)
		if status != 200 {
			t.Fatalf("GET /v1/signing-certificates: %d %v", status, body)
		}
		var out []map[string]any
		for _, c := range body["data"].([]any) {
			c := c.(map[string]any)
			for _, k := range []string{"notBefore", "notAfter", "daysLeft", "issuer", "serial", "commonName"} {
				if _, ok := c[k]; ok {
					c[k] = "present"
				}
			}
			out = append(out, c)
		}
		return out
	}
	want := map[string][]map[string]any{
		"Honest Lending": {{"thumbprint": thumb, "source": "verified", "connectors": 1.0, "subject": leaf.Cert.Subject.String(),
			"issuer": "present", "serial": "present", "notBefore": "present", "notAfter": "present", "daysLeft": "present",
			"commonName": "present", "releases": []any{"1.0.0"}}},
		"Mallory Capital": {{"thumbprint": "00112233445566778899aabbccddeeff00112233", "source": "connector_claim", "connectors": 1.0,
			"claimedSigner": "CN=Microsoft Corporation"}},
		"No Connectors": nil,
	}
	for org, key := range map[string]string{"Honest Lending": honest, "Mallory Capital": claimer, "No Connectors": empty} {
		if diff := cmp.Diff(want[org], certs(key)); diff != "" {
			t.Errorf("%s sees (-want +got):\n%s", org, diff)
		}
	}
}
