package api_test

import (
	"context"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// A connector whose answer was lost (or that crashed before journalling the
// item) polls again while the platform still sees the item leased to it. It
// gets the item again at once, with the platform's clock standing still:
// the queue behind it no longer waits for the lease time-out.
func TestConnectorThatLostItsItemGetsItAgainAtOnce(t *testing.T) {
	eachSetup(t, func(t *testing.T, e *env, svc func(string) gateway.Service) {
		ctx := context.Background()
		org, key := e.newOrg("Lender")
		companyID, connID, code := e.linkedCompany(key, "Acme")
		linked, err := svc("").Link(ctx, linkRequest(code, `C:\a.qbw`))
		if err != nil {
			t.Fatal(err)
		}
		gw := svc(linked.Credential)
		first := e.enqueue(org.ID, companyID, connID, "<QBXML><CustomerQueryRq/></QBXML>")
		second := e.enqueue(org.ID, companyID, connID, "<QBXML><VendorQueryRq/></QBXML>")
		got, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || got.Item == nil || got.Item.ID != first.ID {
			t.Fatalf("first poll = %+v, %v; want %s", got, err, first.ID)
		}
		lost := got.Item

		// The answer to that poll is lost; the connector polls again.
		again, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || again.Item == nil {
			t.Fatalf("poll after the lost answer = %+v, %v; want the item again", again, err)
		}
		if again.Item.ID != first.ID || again.Item.Attempt != 2 || again.Item.LeaseID == lost.LeaseID {
			t.Errorf("re-offered item = %s attempt %d lease %s; want %s attempt 2 with a new lease",
				again.Item.ID, again.Item.Attempt, again.Item.LeaseID, first.ID)
		}
		ack, err := gw.PostResult(ctx, gateway.Result{ItemID: again.Item.ID, LeaseID: again.Item.LeaseID,
			Response: `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0"/></QBXMLMsgsRs></QBXML>`})
		if err != nil || !ack.Applied {
			t.Fatalf("result under the new lease = %+v, %v; want applied", ack, err)
		}
		next, err := gw.Poll(ctx, gateway.PollRequest{})
		if err != nil || next.Item == nil || next.Item.ID != second.ID {
			t.Errorf("poll after the result = %+v, %v; want the queued %s", next, err, second.ID)
		}
		if op := e.operation(org.ID, first.ID); op.Status != qbconnect.OpSucceeded {
			t.Errorf("first operation = %s, want Success", op.Status)
		}
	})
}
