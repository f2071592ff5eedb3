package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The report store's and the signer claims' conformance scenarios.

// testReportSnapshotsKeepTheLastAnswerPerQuery: a snapshot reads back as
// saved, a second save of the same company and key replaces it, keys and
// companies are apart, another organisation sees nothing and cannot
// overwrite, and bad input changes nothing.
func testReportSnapshotsKeepTheLastAnswerPerQuery(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	reports := store.NewReportStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	c1, c2 := e.Company(t, org.ID, "Harbor"), e.Company(t, org.ID, "Bay")
	const key = "profit-and-loss?basis=accrual&columns=total&from=2025-01-01&to=2025-03-31"

	_, err := reports.FindReport(ctx, org.ID, c1.ID, key)
	wantCode(t, err, qbconnect.ENotFound)

	pending := &qbconnect.ReportSnapshot{OrgID: org.ID, CompanyID: c1.ID, Key: key, OperationID: "op_1"}
	must(t, reports.SaveReport(ctx, pending))
	got, err := reports.FindReport(ctx, org.ID, c1.ID, key)
	must(t, err)
	if diff := cmp.Diff(pending, got); diff != "" || !got.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("pending snapshot (-saved +read):\n%s", diff)
	}

	e.Clock.Advance(time.Minute)
	asOf := e.Clock.Now()
	done := &qbconnect.ReportSnapshot{OrgID: org.ID, CompanyID: c1.ID, Key: key, OperationID: "op_1", Data: []byte(`{"title":"Profit & Loss"}`), AsOf: asOf}
	must(t, reports.SaveReport(ctx, done))
	got, err = reports.FindReport(ctx, org.ID, c1.ID, key)
	must(t, err)
	if diff := cmp.Diff(done, got); diff != "" {
		t.Errorf("snapshot (-saved +read):\n%s", diff)
	}

	for name, find := range map[string][3]string{
		"another key":          {org.ID, c1.ID, "balance-sheet?basis=accrual&columns=total&to=2025-03-31"},
		"another company":      {org.ID, c2.ID, key},
		"another organisation": {other.ID, c1.ID, key},
	} {
		if _, err := reports.FindReport(ctx, find[0], find[1], find[2]); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
			t.Errorf("%s: %v, want ENotFound", name, err)
		}
	}
	wantCode(t, reports.SaveReport(ctx, &qbconnect.ReportSnapshot{OrgID: other.ID, CompanyID: c1.ID, Key: key, Data: []byte(`{}`)}), qbconnect.ENotFound)
	wantCode(t, reports.SaveReport(ctx, &qbconnect.ReportSnapshot{OrgID: org.ID, CompanyID: c1.ID}), qbconnect.EInvalid)
	got, err = reports.FindReport(ctx, org.ID, c1.ID, key)
	must(t, err)
	if diff := cmp.Diff(done, got); diff != "" {
		t.Errorf("after refused saves (-want +got):\n%s", diff)
	}
}

// testSignerClaimsCountAnOrgsLiveConnectors: claims group the
// organisation's connectors by thumbprint (case folded), leaving out
// revoked connectors, unlinked connections and other organisations.
func testSignerClaimsCountAnOrgsLiveConnectors(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	claims := store.NewSignerClaimStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	report := func(conn *qbconnect.Connection, thumbprint, signer string) {
		t.Helper()
		must(t, e.Connections.UpdateConnector(ctx, &qbconnect.Connector{ID: conn.ConnectorID, Version: "1.0.0", Signer: signer, Thumbprint: thumbprint}))
	}
	a, _ := e.Linked(t, org.ID, "")
	b, _ := e.Linked(t, org.ID, "")
	c, _ := e.Linked(t, org.ID, "")
	revoked, _ := e.Linked(t, org.ID, "")
	unlinked, _ := e.Linked(t, org.ID, "")
	elsewhere, _ := e.Linked(t, other.ID, "")
	report(a, "BBBB", "CN=New")
	report(b, "bbbb", "CN=New")
	report(c, "aaaa", "CN=Old")
	report(revoked, "cccc", "CN=Revoked")
	report(unlinked, "dddd", "CN=Unlinked")
	report(elsewhere, "eeee", "CN=Elsewhere")
	must(t, e.Connections.RevokeConnector(ctx, org.ID, revoked.ConnectorID))
	must(t, e.Connections.UnlinkConnection(ctx, org.ID, unlinked.ID))

	got, err := claims.OrgSignerClaims(ctx, org.ID)
	must(t, err)
	want := []qbconnect.SignerClaim{{Thumbprint: "aaaa", Signer: "CN=Old", Connectors: 1}, {Thumbprint: "bbbb", Signer: "CN=New", Connectors: 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signer claims (-want +got):\n%s", diff)
	}
	got, err = claims.OrgSignerClaims(ctx, "org_unknown")
	must(t, err)
	if len(got) != 0 {
		t.Errorf("claims of an unknown organisation = %+v", got)
	}
}
