package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// rawDB opens the database behind a store DSN with database/sql, to look at
// how the store lays its data out.
func rawDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	driver, name := "pgx", dsn
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		driver, name = "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestCompleteStoresAResponseOnce posts a large response, the same bytes
// again from an expired lease, and a different answer: every outcome reads
// back its own response, but only the different one is a second copy.
func TestCompleteStoresAResponseOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		ctx := context.Background()
		dsn := newDSN(t)
		e := storetest.NewEnv(t, dsn, store.Options{})
		org := e.Org(t, "Acme")
		conn, _ := e.Linked(t, org.ID, "")
		op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "<InvoiceQueryRq/>")
		first := e.Lease(t, conn.ConnectorID, time.Minute)
		e.Clock.Advance(time.Minute)
		second := e.Lease(t, conn.ConnectorID, time.Minute)
		if first == nil || second == nil || second.Operation.ID != op.ID {
			t.Fatalf("leases = %+v, %+v; want two leases of %s", first, second, op.ID)
		}
		big := bytes.Repeat([]byte("<InvoiceRet><TxnID>1-1</TxnID></InvoiceRet>"), 25000) // about 1 MB
		other := []byte("<InvoiceQueryRs statusCode=\"1\"/>")

		done, applied, err := e.Queue.Complete(ctx, op.ID, second.LeaseID, qbconnect.Outcome{Response: big})
		if err != nil || !applied || done.Status != qbconnect.OpSucceeded || !bytes.Equal(done.Result, big) {
			t.Fatalf("Complete = %s applied=%v %d result bytes, %v; want the response applied", done.Status, applied, len(done.Result), err)
		}
		found, err := e.Queue.FindOperation(ctx, org.ID, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Complete returns what FindOperation reads, without reading the result back.
		if diff := cmp.Diff(found, done); diff != "" {
			t.Errorf("Complete's operation differs from the stored one (-stored +returned):\n%s", diff)
		}
		for _, post := range []struct {
			lease string
			resp  []byte
		}{{first.LeaseID, bytes.Clone(big)}, {first.LeaseID, other}} {
			done, applied, err := e.Queue.Complete(ctx, op.ID, post.lease, qbconnect.Outcome{Response: post.resp})
			if err != nil || applied || !bytes.Equal(done.Result, big) {
				t.Fatalf("late post: applied=%v %d result bytes, %v; want recorded, not applied", applied, len(done.Result), err)
			}
		}

		outs, err := e.Queue.Outcomes(ctx, org.ID, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		type summary struct {
			Lease    string
			Applied  bool
			Response int
			Same     bool
		}
		var got []summary
		for _, o := range outs {
			got = append(got, summary{o.LeaseID, o.Applied, len(o.Response), bytes.Equal(o.Response, big)})
		}
		want := []summary{{second.LeaseID, true, len(big), true}, {first.LeaseID, false, len(big), true}, {first.LeaseID, false, len(other), false}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outcomes (-want +got):\n%s", diff)
		}

		var kept int64
		if err := rawDB(t, dsn).QueryRowContext(ctx, "SELECT COALESCE(SUM(LENGTH(response)), 0) FROM operation_outcomes WHERE op_id = $1", op.ID).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if kept != int64(len(other)) {
			t.Errorf("outcomes keep %d response bytes, want %d (only the response that differs from the result)", kept, len(other))
		}
	})
}

// TestCompleteKeepsResponsesOfFailures checks that a failure's response,
// which never becomes the result, stays readable, and that a response
// posted after the operation failed is kept as it came.
func TestCompleteKeepsResponsesOfFailures(t *testing.T) {
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		ctx := context.Background()
		e := storetest.NewEnv(t, newDSN(t), store.Options{})
		org := e.Org(t, "Acme")
		conn, _ := e.Linked(t, org.ID, "")
		op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "<InvoiceAddRq/>")
		l := e.Lease(t, conn.ConnectorID, time.Minute)
		failed := []byte("<InvoiceAddRs statusCode=\"3100\"/>")
		done, applied, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: failed,
			Failure: &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "name in use"}})
		if err != nil || !applied || done.Status != qbconnect.OpFailed || done.Result != nil {
			t.Fatalf("Complete = %s applied=%v result %q, %v; want Failed without a result", done.Status, applied, done.Result, err)
		}
		late := []byte("<InvoiceAddRs statusCode=\"0\"/>")
		if _, applied, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: late}); err != nil || applied {
			t.Fatalf("late success after failure: applied=%v, %v", applied, err)
		}
		outs, err := e.Queue.Outcomes(ctx, org.ID, op.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range outs {
			got = append(got, string(o.Response))
		}
		if diff := cmp.Diff([]string{string(failed), string(late)}, got); diff != "" {
			t.Errorf("outcome responses (-want +got):\n%s", diff)
		}
	})
}
