package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// forEachDB runs fn on SQLite and, when QBCONNECT_TEST_POSTGRES is set, on
// PostgreSQL.
func forEachDB(t *testing.T, fn func(t *testing.T, newDSN storetest.DSNFunc)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.SQLiteDSN) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresDSN(t)) })
}

// TestQueueLoad runs 10,000 operations across 100 connectors (every tenth
// serving two company files) with 8 workers that lose leases, post results
// twice and post results of expired leases late. Every operation must end
// Success with its result applied exactly once, and each connection's work
// must be handed out in priority-then-FIFO order.
func TestQueueLoad(t *testing.T) {
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		const (
			connectors = 100
			ops        = 10_000
			workers    = 8
			ttl        = 30 * time.Second
		)
		ctx := context.Background()
		dsn := newDSN(t)
		if strings.HasPrefix(dsn, "postgres") {
			// This test is about queue semantics, not fsync: PostgreSQL may
			// acknowledge commits before they reach the disk.
			dsn += "&synchronous_commit=off"
		}
		e := storetest.NewEnv(t, dsn, store.Options{MaxAttempts: 1_000})
		org := e.Org(t, "Load")
		rng := rand.New(rand.NewPCG(1, 2))

		// connections[i] belong to connector ctrIDs[i%connectors].
		var conns []*qbconnect.Connection
		ctrOf := map[string]string{}
		var ctrIDs []string
		for i := range connectors {
			c, _ := e.Linked(t, org.ID, "")
			conns = append(conns, c)
			ctrIDs = append(ctrIDs, c.ConnectorID)
			ctrOf[c.ID] = c.ConnectorID
			if i%10 == 0 {
				c2, _ := e.Linked(t, org.ID, c.ConnectorID)
				conns = append(conns, c2)
				ctrOf[c2.ID] = c.ConnectorID
			}
		}
		type queued struct {
			id       string
			priority int
			index    int
		}
		priorities := []int{qbconnect.PriorityWrite, qbconnect.PriorityInteractive, qbconnect.PriorityScheduled}
		expected := map[string][]queued{} // by connection, in enqueue order
		enqStart := time.Now()
		type plan struct {
			conn     *qbconnect.Connection
			priority int
		}
		plans := make([]plan, ops)
		for i := range plans {
			c := conns[rng.IntN(len(conns))]
			plans[i] = plan{c, priorities[rng.IntN(len(priorities))]}
		}
		// Enqueue concurrently, each goroutine the work of its own
		// connectors, so that every connection's order is known.
		var emu sync.Mutex
		var ewg sync.WaitGroup
		for w := range workers {
			ewg.Add(1)
			go func() {
				defer ewg.Done()
				for i, p := range plans {
					if slices.Index(ctrIDs, ctrOf[p.conn.ID])%workers != w {
						continue
					}
					op := e.Enqueue(t, p.conn, p.priority, fmt.Sprint(i))
					emu.Lock()
					expected[p.conn.ID] = append(expected[p.conn.ID], queued{op.ID, op.Priority, i})
					emu.Unlock()
				}
			}()
		}
		ewg.Wait()
		for _, q := range expected {
			slices.SortStableFunc(q, func(a, b queued) int { return a.priority - b.priority })
		}

		var mu sync.Mutex
		firstLease := map[string][]string{}
		appliedOrder := map[string][]string{}
		appliedCount := map[string]int{}
		leasedOnce := map[string]bool{}
		var troubled []string // operations that saw a lost lease or a duplicate post
		errs := make(chan error, workers)
		var leaseCalls atomic.Int64
		began := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 99))
				var mine []string
				for i := w; i < connectors; i += workers {
					mine = append(mine, ctrIDs[i])
				}
				target, applied := 0, 0
				for connID, q := range expected {
					if slices.Contains(mine, ctrOf[connID]) {
						target += len(q)
					}
				}
				type held struct {
					l    *qbconnect.Lease
					resp string
				}
				var stale []held
				complete := func(l *qbconnect.Lease, resp string) error {
					_, ok, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte(resp)})
					if err != nil {
						return err
					}
					if ok {
						applied++
						mu.Lock()
						appliedCount[l.Operation.ID]++
						appliedOrder[l.Operation.ConnectionID] = append(appliedOrder[l.Operation.ConnectionID], l.Operation.ID)
						mu.Unlock()
					}
					return nil
				}
				for round := 0; ; round++ {
					if round > 200_000 {
						errs <- fmt.Errorf("worker %d did not finish", w)
						return
					}
					progress := false
					for _, ctr := range mine {
						e.Clock.Advance(10 * time.Millisecond)
						leaseCalls.Add(1)
						l, err := e.Queue.Lease(ctx, ctr, ttl)
						if err != nil {
							errs <- err
							return
						}
						if l == nil {
							continue
						}
						progress = true
						op := l.Operation
						mu.Lock()
						if !leasedOnce[op.ID] {
							leasedOnce[op.ID] = true
							firstLease[op.ConnectionID] = append(firstLease[op.ConnectionID], op.ID)
						}
						mu.Unlock()
						resp := "<done op=" + op.ID + "/>"
						switch r := rng.IntN(100); {
						case r < 5: // the connector crashed: the lease is lost, its answer may come late
							mu.Lock()
							troubled = append(troubled, op.ID)
							mu.Unlock()
							if rng.IntN(2) == 0 {
								stale = append(stale, held{l, resp})
							}
							continue
						case r < 10: // the answer is posted twice
							mu.Lock()
							troubled = append(troubled, op.ID)
							mu.Unlock()
							if err := complete(l, resp); err != nil {
								errs <- err
								return
							}
						}
						if err := complete(l, resp); err != nil {
							errs <- err
							return
						}
						if len(stale) > 0 && rng.IntN(4) == 0 {
							i := rng.IntN(len(stale))
							if err := complete(stale[i].l, stale[i].resp); err != nil {
								errs <- err
								return
							}
							stale = slices.Delete(stale, i, i+1)
						}
					}
					if applied == target {
						for _, st := range stale { // every late answer must now be ignored
							if err := complete(st.l, st.resp); err != nil {
								errs <- err
								return
							}
						}
						return
					}
					if !progress {
						// The rest waits for lost leases to expire.
						e.Clock.Advance(ttl)
					}
				}
			}()
		}
		wg.Wait()
		t.Logf("enqueue took %v; %d lease calls in %v", began.Sub(enqStart), leaseCalls.Load(), time.Since(began))
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		for connID, q := range expected {
			var want []string
			for _, op := range q {
				want = append(want, op.id)
			}
			if diff := cmp.Diff(want, firstLease[connID]); diff != "" {
				t.Errorf("connection %s: lease order (-want +got):\n%s", connID, diff)
			}
			if diff := cmp.Diff(want, appliedOrder[connID]); diff != "" {
				t.Errorf("connection %s: result order (-want +got):\n%s", connID, diff)
			}
		}
		done := 0
		for cursor := ""; ; {
			page, next, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID, Limit: 1000, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range page {
				if op.Status != qbconnect.OpSucceeded || string(op.Result) != "<done op="+op.ID+"/>" {
					t.Errorf("operation %s: %s %q", op.ID, op.Status, op.Result)
				}
				if appliedCount[op.ID] != 1 {
					t.Errorf("operation %s: result applied %d times", op.ID, appliedCount[op.ID])
				}
				done++
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if done != ops {
			t.Errorf("%d operations done, want %d", done, ops)
		}
		// The store's own record agrees: one applied outcome per troubled operation.
		for _, id := range troubled {
			outs, err := e.Queue.Outcomes(ctx, org.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, o := range outs {
				if o.Applied {
					n++
				}
			}
			if n != 1 {
				t.Errorf("operation %s: %d applied outcomes of %d", id, n, len(outs))
			}
		}
		t.Logf("%d operations, %d with lost leases or duplicate posts", ops, len(troubled))
	})
}

// Environment of the worker process of TestQueueSurvivesSIGKILL.
const (
	envWorkerDSN        = "QBCONNECT_QUEUE_WORKER_DSN"
	envWorkerConnectors = "QBCONNECT_QUEUE_WORKER_CONNECTORS"
	envWorkerOrg        = "QBCONNECT_QUEUE_WORKER_ORG"
	envWorkerTotal      = "QBCONNECT_QUEUE_WORKER_TOTAL"
)

// TestQueueWorkerProcess is the platform-side worker loop that
// TestQueueSurvivesSIGKILL runs in a child process; on its own it skips.
func TestQueueWorkerProcess(t *testing.T) {
	dsn := os.Getenv(envWorkerDSN)
	if dsn == "" {
		t.Skip("run by TestQueueSurvivesSIGKILL")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := store.NewQueueStore(db)
	var total int
	fmt.Sscan(os.Getenv(envWorkerTotal), &total)
	orgID := os.Getenv(envWorkerOrg)
	var wg sync.WaitGroup
	for _, ctr := range strings.Split(os.Getenv(envWorkerConnectors), ",") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				wake := q.Wait(ctx, ctr)
				l, err := q.Lease(ctx, ctr, 300*time.Millisecond)
				if err != nil {
					t.Error(err)
					return
				}
				if l != nil {
					resp := "<done op=" + l.Operation.ID + "/>"
					if _, _, err := q.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte(resp)}); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				done, _, err := q.ListOperations(ctx, qbconnect.OperationFilter{OrgID: orgID, Status: qbconnect.OpSucceeded, Limit: 1000})
				if err != nil {
					t.Error(err)
					return
				}
				if len(done) >= total {
					return
				}
				// Nothing leasable: wait for a wake-up or for leases of the
				// killed predecessor to expire.
				timer := time.NewTimer(50 * time.Millisecond)
				select {
				case <-wake:
				case <-timer.C:
				}
				timer.Stop()
			}
		}()
	}
	wg.Wait()
}

// TestQueueSurvivesSIGKILL kills the worker process with SIGKILL mid-run,
// restarts it, and checks that every operation ends Success with one
// applied result, in FIFO order per connection.
func TestQueueSurvivesSIGKILL(t *testing.T) {
	if os.Getenv(envWorkerDSN) != "" {
		t.Skip("inside the worker process")
	}
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		const connectors, total = 10, 1000
		ctx := context.Background()
		dsn := newDSN(t)
		e := storetest.OpenEnv(t, dsn, store.Options{}, nil)
		org := e.Org(t, "Kill")
		var ctrIDs []string
		var conns []*qbconnect.Connection
		for range connectors {
			c, _ := e.Linked(t, org.ID, "")
			conns = append(conns, c)
			ctrIDs = append(ctrIDs, c.ConnectorID)
		}
		want := map[string][]string{}
		for i := range total {
			c := conns[i%connectors]
			op := e.Enqueue(t, c, qbconnect.PriorityScheduled, fmt.Sprint(i))
			want[c.ID] = append(want[c.ID], op.ID)
		}
		succeeded := func() int {
			page, _, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID, Status: qbconnect.OpSucceeded, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(page)
		}
		start := func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^TestQueueWorkerProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), envWorkerDSN+"="+dsn, envWorkerConnectors+"="+strings.Join(ctrIDs, ","),
				envWorkerOrg+"="+org.ID, envWorkerTotal+"="+fmt.Sprint(total))
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("worker output:\n%s", out.String())
				}
			})
			return cmd
		}

		first := start()
		deadline := time.Now().Add(2 * time.Minute)
		ticker := time.NewTicker(2 * time.Millisecond)
		defer ticker.Stop()
		for n := succeeded(); n < total/4; n = succeeded() {
			if time.Now().After(deadline) {
				first.Process.Kill()
				t.Fatalf("worker made no progress: %d done", n)
			}
			<-ticker.C
		}
		if err := first.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		first.Wait()
		atKill := succeeded()
		if atKill >= total {
			t.Fatalf("the worker finished before it was killed; the test needs more work")
		}
		inFlight, _, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID, Status: qbconnect.OpInFlight})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("killed the worker with %d of %d operations done and %d leases held", atKill, total, len(inFlight))

		second := start()
		waitErr := make(chan error, 1)
		go func() { waitErr <- second.Wait() }()
		timer := time.NewTimer(3 * time.Minute)
		defer timer.Stop()
		select {
		case err := <-waitErr:
			if err != nil {
				t.Fatalf("restarted worker: %v", err)
			}
		case <-timer.C:
			second.Process.Kill()
			t.Fatal("restarted worker did not finish within 3 minutes")
		}

		for _, c := range conns {
			var got []string
			var last time.Time
			for _, id := range want[c.ID] {
				op, err := e.Queue.FindOperation(ctx, org.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				if op.Status != qbconnect.OpSucceeded || string(op.Result) != "<done op="+op.ID+"/>" {
					t.Errorf("operation %s: %s %q", op.ID, op.Status, op.Result)
					continue
				}
				if op.CompletedAt.Before(last) {
					t.Errorf("connection %s: operation %s completed before its predecessor", c.ID, op.ID)
				}
				last = *op.CompletedAt
				outs, err := e.Queue.Outcomes(ctx, org.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				applied := 0
				for _, o := range outs {
					if o.Applied {
						applied++
					}
				}
				if applied != 1 {
					t.Errorf("operation %s: %d applied results", id, applied)
				}
				got = append(got, id)
			}
			if len(got) != len(want[c.ID]) {
				t.Errorf("connection %s: %d of %d operations succeeded", c.ID, len(got), len(want[c.ID]))
			}
		}
	})
}
