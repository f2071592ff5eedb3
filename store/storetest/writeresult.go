package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// testAWriteKeepsItsResultWithItsCompletion: the result a completion
// stores (CompletionTx.SetWriteResult) is the operation's WriteResult as
// the completion returns it and as every later read finds it, without its
// qbXML answer; a completion rolled back keeps none, and an operation
// completed without one has none.
func testAWriteKeepsItsResultWithItsCompletion(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	modified := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	ok := &qbconnect.WriteResult{Status: qbconnect.OpSucceeded, Record: &qbconnect.Record{CompanyID: conn.CompanyID, Type: "customers",
		ID: "80000001-1772438400", EditSequence: "1772438400", Name: "Read Once Ltd", Active: true, ModifiedAt: modified,
		Data: json.RawMessage(`{"name":"Read Once Ltd","isActive":true}`)}}
	rejected := &qbconnect.WriteResult{Status: qbconnect.OpFailed, Error: &qbconnect.Error{Code: qbconnect.EQuickBooks, QBCode: "3100",
		Message: "CustomerAddRs: QuickBooks status 3100", UserMessage: "A record with this name already exists in QuickBooks."}}

	complete := func(res *qbconnect.WriteResult, fail error) (*qbconnect.Operation, error) {
		t.Helper()
		op := e.Enqueue(t, conn, qbconnect.PriorityWrite, "<QBXML/>")
		l := e.Lease(t, conn.ConnectorID, time.Minute)
		if l == nil || l.Operation.ID != op.ID {
			t.Fatalf("lease = %+v, want %s", l, op.ID)
		}
		out := qbconnect.Outcome{Response: []byte("<QBXML/>")}
		if res != nil {
			out.Then = func(ctx context.Context, tx qbconnect.CompletionTx) error {
				if err := tx.SetWriteResult(ctx, res); err != nil {
					return err
				}
				if tx.Operation().WriteResult != res {
					t.Errorf("the completion's operation does not carry the result it stored")
				}
				return fail
			}
		}
		done, _, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, out)
		if err != nil {
			return op, err
		}
		if diff := cmp.Diff(res, done.WriteResult); diff != "" {
			t.Errorf("completed operation's write result (-want +got):\n%s", diff)
		}
		return op, nil
	}
	for _, res := range []*qbconnect.WriteResult{ok, rejected, nil} {
		op, err := complete(res, nil)
		must(t, err)
		got, err := e.Queue.FindOperation(ctx, org.ID, op.ID)
		must(t, err)
		if diff := cmp.Diff(res, got.WriteResult); diff != "" {
			t.Errorf("read write result (-want +got):\n%s", diff)
		}
	}
	boom := errors.New("the record could not be stored")
	op, err := complete(ok, boom)
	if !errors.Is(err, boom) {
		t.Fatalf("complete with a failing Then = %v, want its error", err)
	}
	got, err := e.Queue.FindOperation(ctx, org.ID, op.ID)
	must(t, err)
	if got.Status.Done() || got.WriteResult != nil {
		t.Errorf("a rolled-back completion left status %s and write result %+v", got.Status, got.WriteResult)
	}
}
