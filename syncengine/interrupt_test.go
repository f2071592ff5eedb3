package syncengine_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
)

var interruptTypes = []string{"customers", "invoices", "receivePayments", "bills", "checks"}

func TestSyncRestartsWhenQuickBooksClosesMidIterator(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: smallCompany(3), Engine: syncengine.Config{MaxReturned: 40}})
	if _, err := h.sim.InjectFault(qbdsim.Fault{Method: "ProcessRequest", After: 3, CloseQuickBooks: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: []string{"invoices"}}); err != nil {
		t.Fatal(err)
	}
	h.drain() // stops when QuickBooks closes: the work waits for the user
	states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	if st := stateOf(t, states, "invoices"); st.Status != qbconnect.SyncFetching || st.Pages != 3 {
		t.Fatalf("after QuickBooks closed: %s after %d pages, want Fetching after 3", st.Status, st.Pages)
	}
	h.openQuickBooks() // the user opens QuickBooks again; the old iterator is gone
	h.drain()
	states, _ = h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	st := stateOf(t, states, "invoices")
	if st.Status != qbconnect.SyncComplete || st.Restarts != 1 {
		t.Fatalf("invoices %s with %d restarts (%v), want Complete after 1 restart", st.Status, st.Restarts, st.Error)
	}
	n := h.checkMirror(3, "invoices")
	runs, _, _ := h.eng.SyncRuns(h.ctx, qbconnect.SyncRunFilter{OrgID: h.org.ID, CompanyID: h.conn.CompanyID})
	if len(runs) != 1 || runs[0].Restarts != 1 || runs[0].Status != qbconnect.SyncComplete {
		t.Errorf("history %+v", runs[0])
	}
	// The pages fetched before the restart are fetched again: the counts
	// are those of the pass that completed, not their sum (the demo once
	// printed 4,516 synced records for 3,516).
	if st.Fetched != n || runs[0].Fetched != n {
		t.Errorf("the state counts %d records and the run %d, QuickBooks has %d", st.Fetched, runs[0].Fetched, n)
	}
}

// TestSyncInterruptedAtRandomPointsCompletes interrupts syncs of several
// types at random steps: the connector vanishes holding a lease, a result
// is lost after QuickBooks ran the request (so the iterator moved on), the
// platform restarts between recording a result and ingesting it, and
// QuickBooks closes mid-iterator. Passes that complete must mirror
// QuickBooks exactly; the next run completes everything.
func TestSyncInterruptedAtRandomPointsCompletes(t *testing.T) {
	for name, dsn := range stores() {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) { testInterrupted(t, dsn, seed) })
		}
	}
}

func testInterrupted(t *testing.T, dsn storetest.DSNFunc, seed uint64) {
	{
		{
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(seed), Engine: syncengine.Config{MaxReturned: 20, MaxRestarts: 5}})
			r := rand.New(rand.NewPCG(seed, 99))
			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: interruptTypes}); err != nil {
				t.Fatal(err)
			}
			faults := map[string]int{}
			for steps := 0; steps < 2000; steps++ {
				var ran bool
				switch x := r.IntN(100); {
				case x < 6: // the connector vanishes with the lease
					l, err := h.env.Queue.Lease(h.ctx, h.connID, time.Minute)
					if err != nil {
						t.Fatal(err)
					}
					ran = l != nil
					h.env.Clock.Advance(2 * time.Minute)
					faults["connector gone"]++
				case x < 12: // the result is lost in transit
					ran = h.step(true, false)
					h.env.Clock.Advance(2 * time.Minute)
					faults["result lost"]++
				case x < 17: // the platform stops between Complete and ingesting
					ran = h.step(false, true)
					h.restartPlatform()
					if err := h.eng.Reconcile(h.ctx); err != nil {
						t.Fatalf("reconcile: %v", err)
					}
					faults["platform restart"]++
				case x < 20: // QuickBooks closes; the user opens it again
					if _, err := h.sim.InjectFault(qbdsim.Fault{Method: "ProcessRequest", CloseQuickBooks: true}); err != nil {
						t.Fatal(err)
					}
					ran = h.step(false, false)
					h.openQuickBooks()
					faults["QuickBooks closed"]++
				default:
					ran = h.step(false, false)
				}
				if !ran {
					// Nothing runnable: let back-offs and leases expire.
					h.env.Clock.Advance(10 * time.Minute)
					if !h.step(false, false) {
						break
					}
				}
			}
			t.Logf("faults: %v", faults)
			states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
			var complete []string
			restarts := 0
			for _, name := range interruptTypes {
				st := stateOf(t, states, name)
				restarts += st.Restarts
				switch st.Status {
				case qbconnect.SyncComplete:
					complete = append(complete, name)
				case qbconnect.SyncFailed:
					t.Logf("%s failed: %v", name, st.Error)
				default:
					t.Fatalf("%s is still %s after the queue drained", name, st.Status)
				}
			}
			if len(complete) > 0 {
				h.checkMirror(2, complete...)
			}
			// The next run, without faults, completes everything.
			states = h.syncNow(qbconnect.SyncRequest{DataTypes: interruptTypes})
			allComplete(t, states, interruptTypes...)
			h.checkMirror(2, interruptTypes...)
			t.Logf("restarts under faults: %d", restarts)
		}
	}
}

// TestConcurrentHandlersIngestAPageOnce hands every result to two engines
// at once (two platform processes sharing the database): each page is
// ingested once and followed by one next page.
func TestConcurrentHandlersIngestAPageOnce(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(6), Engine: syncengine.Config{MaxReturned: 30, DataTypes: []string{"invoices"}}})
			other, err := syncengine.New(syncengine.Config{DB: storetest.OpenEnv(t, h.env.DSN, store.Options{}, h.env.Clock).DB, Now: h.env.Clock.Now, DataTypes: []string{"invoices"}, MaxReturned: 30})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 50; i++ {
				if !h.step(false, true) {
					break
				}
				ops, _, err := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID, Kind: qbconnect.OpSync, Limit: 1})
				if err != nil || len(ops) != 1 {
					t.Fatal(err)
				}
				done := ops[0]
				var wg sync.WaitGroup
				follow := make([]int, 2)
				for j, e := range []*syncengine.Engine{h.eng, other} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						next, err := e.HandleOperation(h.ctx, done, nil)
						if err != nil {
							t.Errorf("HandleOperation: %v", err)
						}
						follow[j] = len(next)
					}()
				}
				wg.Wait()
				if follow[0]+follow[1] > 1 {
					t.Fatalf("page ingested twice: follow-ups %v", follow)
				}
			}
			states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
			if st := stateOf(t, states, "invoices"); st.Status != qbconnect.SyncComplete || st.Fetched != 300 || st.Pages != 10 {
				t.Fatalf("invoices %s: %d fetched in %d pages, want Complete, 300 in 10", st.Status, st.Fetched, st.Pages)
			}
			h.checkMirror(1, "invoices")
		})
	}
}

// TestNextPageIsQueuedWithItsCheckpoint: a page's records, its checkpoint
// and the operation of the next page are one transaction. After every
// page the checkpoint names a queued operation for exactly the page it
// awaits, with one operation per page (a platform restart after every page,
// with no Reconcile, still completes the pass), and when the next page
// cannot be queued nothing of the page is kept.
func TestNextPageIsQueuedWithItsCheckpoint(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(7), Engine: syncengine.Config{MaxReturned: 30, DataTypes: []string{"invoices", "bills"}}})
			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: []string{"invoices"}}); err != nil {
				t.Fatal(err)
			}
			for pages := 0; h.step(false, false); pages++ {
				if pages > 20 {
					t.Fatal("the pass never ends")
				}
				h.restartPlatform() // no Reconcile: the next page must be queued already
				st, err := store.NewSyncStore(h.env.DB).FindSyncState(h.ctx, h.conn.CompanyID, "invoices")
				if err != nil {
					t.Fatal(err)
				}
				ops := h.syncOps()
				if st.Status == qbconnect.SyncComplete {
					if len(ops) != st.Pages {
						t.Fatalf("complete after %d pages with %d sync operations", st.Pages, len(ops))
					}
					continue
				}
				if len(ops) != st.Pages+1 {
					t.Fatalf("after page %d: %d sync operations, want one per page and the next", st.Pages, len(ops))
				}
				for _, done := range ops[1:] {
					if len(done.Result) != 0 {
						t.Fatalf("sync page %s stored its %d-byte answer; its records are stored instead", done.ID, len(done.Result))
					}
				}
				op := ops[0] // newest
				key := fmt.Sprintf("qbconnect-sync:%s:%d:%d", st.RunID, st.Restarts, st.Pages)
				if op.ID != st.OpID || op.IdempotencyKey != key || op.Status != qbconnect.OpQueued {
					t.Fatalf("checkpoint awaits %s (%s); newest operation %s is %s with key %s", st.OpID, key, op.ID, op.Status, op.IdempotencyKey)
				}
			}
			states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
			if st := stateOf(t, states, "invoices"); st.Status != qbconnect.SyncComplete || st.Fetched != 300 || st.Pages != 10 || st.Restarts != 0 {
				t.Fatalf("invoices %s: %d fetched in %d pages, %d restarts; want Complete, 300 in 10, none", st.Status, st.Fetched, st.Pages, st.Restarts)
			}
			h.checkMirror(1, "invoices")

			// The first pass of bills: two pages go in, then the connection
			// is unlinked between the third page's result and its ingest,
			// so its successor cannot be queued.
			if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{DataTypes: []string{"bills"}}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if !h.step(false, false) {
					t.Fatal("nothing to run")
				}
			}
			if !h.step(false, true) {
				t.Fatal("nothing to run")
			}
			done := h.syncOps()[0]
			if err := h.env.Connections.UnlinkConnection(h.ctx, h.org.ID, h.conn.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := h.eng.HandleOperation(h.ctx, done, nil); err != nil {
				t.Fatal(err)
			}
			states, _ = h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
			st := stateOf(t, states, "bills")
			if st.Status != qbconnect.SyncFailed || st.Pages != 2 || st.Fetched != 60 {
				t.Fatalf("bills %s after %d pages, %d fetched; want Failed after 2 pages, 60 fetched", st.Status, st.Pages, st.Fetched)
			}
			if st.Error == nil || !strings.Contains(st.Error.Message, "next page could not be queued") {
				t.Errorf("error %v, want the next page could not be queued", st.Error)
			}
			if got := len(h.stored("bills", true)); got != 60 {
				t.Errorf("%d bills stored, want the 60 of the two committed pages", got)
			}
			if ops := h.syncOps(); ops[0].ID != done.ID {
				t.Errorf("newest sync operation %s (%s), want none after the failed page's %s", ops[0].ID, ops[0].IdempotencyKey, done.ID)
			}
		})
	}
}

// syncOps returns the org's sync operations, newest first.
func (h *harness) syncOps() []*qbconnect.Operation {
	h.tb.Helper()
	ops, _, err := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID, Kind: qbconnect.OpSync, Limit: 1000})
	if err != nil {
		h.tb.Fatal(err)
	}
	return ops
}
