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
)

// BenchmarkDispatchLatency measures, over the real platform wiring, the real
// connector binary and the simulator on loopback, how long after a client's
// write is accepted (durably enqueued) the connector holds it (its journal
// records the item), and how long until the result is visible to the
// client. The baseline, measured in the same run, is the same write sent
// straight to the simulator: what QuickBooks itself takes.
func BenchmarkDispatchLatency(b *testing.B) {
	e := newEnv(b, envOptions{})
	e.link(e.conn.ID)
	e.startAgent()
	waitFor(b, "the connection to be healthy", 10*time.Second, func() (bool, string) {
		h := e.health(e.conn.ID)
		return h.Code == qbconnect.HealthOK, h.Code
	})

	// Baseline: QuickBooks' own time for the same kind of write.
	var direct []time.Duration
	for i := range 20 {
		start := time.Now()
		e.exec("acme.qbw", customerAdd(fmt.Sprintf("Direct %d", i)))
		direct = append(direct, time.Since(start))
	}

	accepted := map[string]time.Time{}
	var visible []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op := e.enqueueWrite(e.conn.ID, fmt.Sprintf("Bench %d %d", b.N, i))
		accepted[op.ID] = time.Now()
		for {
			o := e.op(op.ID)
			if o.Status.Done() {
				if o.Status != qbconnect.OpSucceeded {
					b.Fatalf("write %s: %s", op.ID, o.Status)
				}
				visible = append(visible, time.Since(accepted[op.ID]))
				break
			}
			<-time.After(200 * time.Microsecond) // polling the operation as a client would, finely
		}
	}
	b.StopTimer()

	// When the connector held each item: its journal's receive time.
	jr, err := connector.OpenJournal(context.Background(), filepath.Join(e.dataDir, "journal.db"), nil)
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
