package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// BenchmarkLeaseComplete measures one Lease and one Complete of a connector
// whose connection has 5,000 operations queued at three priorities, and
// reports operations/s against a baseline in the same run: the same cycle
// with a queue that holds one operation. A lease that scanned the queue would
// show a ratio far below 1.
func BenchmarkLeaseComplete(b *testing.B) {
	for _, d := range []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"sqlite", storetest.SQLiteDSN},
		{"postgres", func(tb testing.TB) string { return postgresDSN(tb)(tb) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			ctx := context.Background()
			e := storetest.NewEnv(b, d.dsn(b), store.Options{})
			org := e.Org(b, "Bench")
			deep, _ := e.Linked(b, org.ID, "")
			shallow, _ := e.Linked(b, org.ID, "")
			prios := []int{qbconnect.PriorityWrite, qbconnect.PriorityInteractive, qbconnect.PriorityScheduled}
			for i := range 5000 {
				e.Enqueue(b, deep, prios[i%3], "x")
			}
			cycle := func(conn *qbconnect.Connection) {
				l := e.Lease(b, conn.ConnectorID, time.Minute)
				if l == nil {
					b.Fatal("nothing to lease")
				}
				if _, _, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<ok/>")}); err != nil {
					b.Fatal(err)
				}
			}
			const baseN = 200
			var spent time.Duration
			for range baseN {
				e.Enqueue(b, shallow, qbconnect.PriorityWrite, "x")
				start := time.Now()
				cycle(shallow)
				spent += time.Since(start)
			}
			baseline := baseN / spent.Seconds()
			// Top the deep queue up outside the timer so it never drains.
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%1000 == 999 {
					b.StopTimer()
					for range 1000 {
						e.Enqueue(b, deep, qbconnect.PriorityScheduled, "x")
					}
					b.StartTimer()
				}
				cycle(deep)
			}
			b.StopTimer()
			perSec := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(perSec, "ops/s")
			b.ReportMetric(baseline, "baseline-ops/s")
			b.ReportMetric(perSec/baseline, "x-baseline")
		})
	}
}
