package platform_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// TestAConnectorRunningARevokedReleaseIsToldInTheAnswerToItsStateReport:
// over HTTP, the answer to a state report says nothing while the release
// the connector runs stands, says when and why once the operator revoked
// it, and nothing again once the connector runs another release.
func TestAConnectorRunningARevokedReleaseIsToldInTheAnswerToItsStateReport(t *testing.T) {
	ctx := context.Background()
	ca := signingtest.NewCA(t, "publisher root")
	leaf := ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	m := startMain(t, platform.Config{Release: platform.ReleaseConfig{Verifier: &signing.Verifier{Roots: ca.Pool()}}})
	org, _ := m.Orgs.CreateOrg(ctx, "Acme Lending")
	comp := &qbconnect.Company{OrgID: org.ID, Name: "Acme Plumbing"}
	m.Companies.CreateCompany(ctx, comp)
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: comp.ID, Kind: qbconnect.KindConnector}
	m.Connections.CreateConnection(ctx, conn)
	code, _ := m.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	file := gateway.FileIdentity{Path: `C:\Books\Acme.QBW`, CompanyName: "Acme Plumbing"}
	info := func(v string) gateway.ConnectorInfo {
		return gateway.ConnectorInfo{Version: v, Signer: leaf.Cert.Subject.String(), Thumbprint: strings.ToLower(leaf.Thumbprint())}
	}
	gw, _ := gatewayclient.New(m.URL(), gatewayclient.Options{})
	if _, err := gw.Link(ctx, gateway.LinkRequest{Code: code.Code, File: file, Connector: info("1.0.0")}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(signingtest.TinyPE(t, "qbconnector.exe"))
	exe := filepath.Join(t.TempDir(), "qbconnector.exe")
	os.WriteFile(exe, data, 0o755)
	if _, _, err := m.Releases.Publish(ctx, release.PublishInput{Version: "1.0.0", Files: []string{leaf.Sign(t, exe)}}); err != nil {
		t.Fatal(err)
	}
	revoked := func(v string) *gateway.Revocation {
		t.Helper()
		resp, err := gw.ReportState(ctx, gateway.State{Connector: info(v),
			Files: []gateway.FileState{{ConnectionID: conn.ID, File: file, Condition: "ok"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Connections) != 1 {
			t.Errorf("the answer lists %d connections, want 1", len(resp.Connections))
		}
		return resp.Revoked
	}
	if rv := revoked("1.0.0"); rv != nil {
		t.Errorf("release 1.0.0 stands, yet the answer says %+v", rv)
	}
	rel, err := m.Releases.Revoke(ctx, "1.0.0", "loses writes on reconnect")
	if err != nil {
		t.Fatal(err)
	}
	rv := revoked("1.0.0")
	if rv == nil || rv.Version != "1.0.0" || rv.Reason != "loses writes on reconnect" || !rv.RevokedAt.Equal(rel.Revoked.At) {
		t.Errorf("after the revocation the answer says %+v, want 1.0.0 revoked at %v for its reason", rv, rel.Revoked.At)
	}
	if rv := revoked("2.0.0"); rv != nil {
		t.Errorf("a connector on 2.0.0 is told %+v", rv)
	}
}
