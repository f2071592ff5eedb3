package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
)

// BenchmarkDispatchLatency measures, over the real `qbconnect serve`, the
// real connector binary and the simulator on loopback, how long after the
// REST API accepted a client's write (POST .../customers answered; the
// operation's createdAt is when it was durably queued) the connector holds
// it (its journal records the item), and how long until the result is
// visible to the client through GET /v1/operations/{id}?wait=. The
// baseline, measured in the same run, is the same write sent straight to
// the simulator: what QuickBooks itself takes; visible-per-qb-direct is the
// ratio of the medians.
func BenchmarkDispatchLatency(b *testing.B) {
	e := newEnv(b, envOptions{})
	e.link()
	e.agent.Run()
	e.waitHealthy()

	// Baseline: QuickBooks' own time for the same kind of write.
	var direct []time.Duration
	for i := range 20 {
		start := time.Now()
		e.sim.Query(testenv.AcmeFile, customerAdd(fmt.Sprintf("Direct %d", i)))
		direct = append(direct, time.Since(start))
	}

	accepted := map[string]time.Time{}
	var visible []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op := e.writeCustomer(fmt.Sprintf("Bench %d %d", b.N, i))
		accepted[op.Id] = op.CreatedAt
		op = e.plat.WaitOperation(op.Id, 30*time.Second)
		if string(op.Status) != string(qbconnect.OpSucceeded) {
			b.Fatalf("write %s: %s %+v", op.Id, op.Status, op.Error)
		}
		visible = append(visible, time.Since(accepted[op.Id]))
	}
	b.StopTimer()

	// When the connector held each item: its journal's receive time.
	jr, err := connector.OpenJournal(context.Background(), filepath.Join(e.agent.DataDir, "journal.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer jr.Close()
	var held []time.Duration
	for id, at := range accepted {
		en, err := jr.Get(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		held = append(held, max(en.ReceivedAt.Sub(at), 0))
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(held, 50)), "held-p50-ms")
	b.ReportMetric(ms(percentile(held, 99)), "held-p99-ms")
	b.ReportMetric(ms(percentile(visible, 50)), "visible-p50-ms")
	b.ReportMetric(ms(percentile(visible, 99)), "visible-p99-ms")
	b.ReportMetric(ms(percentile(direct, 50)), "qb-direct-p50-ms")
	b.ReportMetric(float64(percentile(visible, 50))/float64(percentile(direct, 50)), "visible-per-qb-direct")
	b.ReportMetric(0, "ns/op")
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}
