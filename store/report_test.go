package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// TestReportSnapshotsKeepTheLastAnswerPerQuery is the report store's
// conformance scenario, on SQLite and PostgreSQL: a snapshot reads back as
// saved, a second save of the same company and key replaces it, keys and
// companies are apart, another organisation sees nothing and cannot
// overwrite, and bad input changes nothing.
func TestReportSnapshotsKeepTheLastAnswerPerQuery(t *testing.T) {
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		ctx := context.Background()
		e := storetest.NewEnv(t, newDSN(t), store.Options{})
		reports := store.NewReportStore(e.DB)
		org, other := e.Org(t, "Lender"), e.Org(t, "Other")
		c1, c2 := e.Company(t, org.ID, "Harbor"), e.Company(t, org.ID, "Bay")
		const key = "profit-and-loss?basis=accrual&columns=total&from=2025-01-01&to=2025-03-31"

		_, err := reports.FindReport(ctx, org.ID, c1.ID, key)
		wantCode(t, err, qbconnect.ENotFound)

		pending := &qbconnect.ReportSnapshot{OrgID: org.ID, CompanyID: c1.ID, Key: key, OperationID: "op_1"}
		if err := reports.SaveReport(ctx, pending); err != nil {
			t.Fatal(err)
		}
		got, err := reports.FindReport(ctx, org.ID, c1.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		if got.Data != nil || !got.AsOf.IsZero() || got.OperationID != "op_1" || got.UpdatedAt.IsZero() {
			t.Errorf("pending snapshot read back as %+v", got)
		}

		e.Clock.Advance(time.Minute)
		asOf := e.Clock.Now().UTC().Truncate(time.Microsecond)
		done := &qbconnect.ReportSnapshot{OrgID: org.ID, CompanyID: c1.ID, Key: key, OperationID: "op_1", Data: []byte(`{"title":"Profit & Loss"}`), AsOf: asOf}
		if err := reports.SaveReport(ctx, done); err != nil {
			t.Fatal(err)
		}
		got, err = reports.FindReport(ctx, org.ID, c1.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(done, got); diff != "" {
			t.Errorf("snapshot (-saved +read):\n%s", diff)
		}

		// Another key, another company, another organisation.
		if _, err := reports.FindReport(ctx, org.ID, c1.ID, "balance-sheet?basis=accrual&columns=total&to=2025-03-31"); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
			t.Errorf("another key: %v", err)
		}
		if _, err := reports.FindReport(ctx, org.ID, c2.ID, key); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
			t.Errorf("another company: %v", err)
		}
		if _, err := reports.FindReport(ctx, other.ID, c1.ID, key); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
			t.Errorf("another organisation: %v", err)
		}
		err = reports.SaveReport(ctx, &qbconnect.ReportSnapshot{OrgID: other.ID, CompanyID: c1.ID, Key: key, Data: []byte(`{}`)})
		wantCode(t, err, qbconnect.ENotFound)
		err = reports.SaveReport(ctx, &qbconnect.ReportSnapshot{OrgID: org.ID, CompanyID: c1.ID})
		wantCode(t, err, qbconnect.EInvalid)
		got, err = reports.FindReport(ctx, org.ID, c1.ID, key)
		if err != nil || string(got.Data) != `{"title":"Profit & Loss"}` {
			t.Errorf("after refused saves: %+v, %v", got, err)
		}
	})
}

func wantCode(tb testing.TB, err error, want qbconnect.ErrorCode) {
	tb.Helper()
	if got := qbconnect.ErrorCodeOf(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}
