package storetest

import (
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// testReofferEndsOnlyTheConnectorsLiveLeases: when a polling connector
// shows it holds nothing, its live leases end at once (the clock does not
// move) and the work is offered again as after an expiry, with a new lease
// and one more attempt; the first answer wins as after an expiry, another
// connector's lease is untouched, and an unknown connector ends none.
func testReofferEndsOnlyTheConnectorsLiveLeases(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Lender")
	conn, _ := e.Linked(t, org.ID, "")
	otherConn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "mine")
	e.Enqueue(t, otherConn, qbconnect.PriorityInteractive, "theirs")
	lost := e.Lease(t, conn.ConnectorID, time.Hour)
	kept := e.Lease(t, otherConn.ConnectorID, time.Hour)
	if lost == nil || kept == nil {
		t.Fatalf("leases = %v, %v", lost, kept)
	}

	if n, err := e.Queue.ReofferLeases(ctx, "ctr_unknown"); err != nil || n != 0 {
		t.Errorf("reoffer for an unknown connector = %d, %v; want 0", n, err)
	}
	wake := e.Queue.Wait(ctx, conn.ConnectorID)
	n, err := e.Queue.ReofferLeases(ctx, conn.ConnectorID)
	must(t, err)
	if n != 1 {
		t.Fatalf("leases ended = %d, want 1", n)
	}
	waitClosed(t, wake, "reoffer")
	if n, err := e.Queue.ReofferLeases(ctx, conn.ConnectorID); err != nil || n != 0 {
		t.Errorf("a second reoffer = %d, %v; want 0", n, err)
	}

	again := e.Lease(t, conn.ConnectorID, time.Hour)
	if again == nil || again.Operation.ID != op.ID || again.LeaseID == lost.LeaseID || again.Operation.Attempts != 2 {
		t.Fatalf("lease after reoffer = %+v, want %s again with a new lease and attempt 2", again, op.ID)
	}
	// As after an expiry, the first answer wins, even the ended lease's.
	got, applied, err := e.Queue.Complete(ctx, op.ID, lost.LeaseID, qbconnect.Outcome{Response: []byte("late")})
	must(t, err)
	if !applied || got.Status != qbconnect.OpSucceeded || string(got.Result) != "late" {
		t.Errorf("the ended lease's answer: applied=%v status=%s result=%q; want it to win", applied, got.Status, got.Result)
	}
	if _, applied, err := e.Queue.Complete(ctx, op.ID, again.LeaseID, qbconnect.Outcome{Response: []byte("ok")}); err != nil || applied {
		t.Errorf("the new lease's answer after it: applied=%v, %v; want ignored", applied, err)
	}

	// The other connector still holds its lease: nothing new to lease, and
	// its answer is accepted.
	if l := e.Lease(t, otherConn.ConnectorID, time.Hour); l != nil {
		t.Errorf("the other connector leased %s while its lease lives", l.Operation.ID)
	}
	_, _, err = e.Queue.Complete(ctx, kept.Operation.ID, kept.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
}
