package syncengine_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
)

// company100k is a company of 100,000 transactions.
var company100k = companyfile.GenerateOptions{Seed: 100, Customers: 1000, Jobs: 200, Vendors: 300, Employees: 30, Items: 200, Classes: 10,
	Invoices: 30000, Payments: 15000, SalesReceipts: 10000, CreditMemos: 4000, Estimates: 5000, SalesOrders: 5000,
	Bills: 13000, BillPayments: 6000, PurchaseOrders: 4500, Checks: 4000, CreditCardCharges: 1500, Deposits: 1000, JournalEntries: 1000}

// benchFiles caches generated company files for the test binary's run;
// TestMain removes them.
var benchFiles struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchFiles.dir != "" {
		os.RemoveAll(benchFiles.dir)
	}
	os.Exit(code)
}

func cachedCompany100k(b *testing.B) string {
	b.Helper()
	benchFiles.once.Do(func() {
		benchFiles.dir, benchFiles.err = os.MkdirTemp("", "syncengine-bench-")
		if benchFiles.err != nil {
			return
		}
		benchFiles.path = filepath.Join(benchFiles.dir, "books100k.qbw")
		start := time.Now()
		clock := clocktest.New(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
		f, err := companyfile.Create(benchFiles.path, "Bench Co", companyfile.Options{Now: clock.Now})
		if err != nil {
			benchFiles.err = err
			return
		}
		defer f.Close()
		benchFiles.err = f.Generate(b.Context(), company100k)
		b.Logf("generated %d objects in %s", company100k.Total(), time.Since(start).Round(time.Second))
	})
	if benchFiles.err != nil {
		b.Fatal(benchFiles.err)
	}
	return benchFiles.path
}

// BenchmarkFullSync runs a full sync of every data type of a 100,000
// transaction company through the whole pipeline — queue (lease,
// complete), the simulator answering in process with zero latency, and the
// engine (stream-decode, JSON, upsert, commit with the checkpoint, next
// page) — on SQLite and, when QBCONNECT_TEST_POSTGRES is set, PostgreSQL.
// It reports:
//
//   - records/s: records stored per second of wall time, everything
//     included (the acceptance figure);
//   - cpu-records/s: records per second of this process's CPU time (all
//     threads, garbage collection included), which other work on a shared
//     machine distorts far less than wall time; with PostgreSQL the
//     server's own CPU is not in it;
//   - decode-records/s and decode-cpu-records/s: the baseline, measured in
//     the same run: the generic qbXML decoder alone on the very same
//     responses, by wall time and by process CPU time;
//   - x-decoder and x-decoder-cpu: the pipeline's rate over the baseline's
//     (1 would mean the whole pipeline costs no more than decoding);
//   - ingest-records/s and ingest-cpu-records/s: the engine's
//     HandleOperation alone, by wall time and by the CPU time of its thread
//     (Linux);
//   - engine-records/s: records per second of wall time spent outside the
//     simulator (what the platform itself sustains).
func BenchmarkFullSync(b *testing.B) {
	file := cachedCompany100k(b)
	b.Run("sqlite", func(b *testing.B) { benchFullSync(b, file, storetest.SQLiteDSN) })
	if pg := os.Getenv("QBCONNECT_TEST_POSTGRES"); pg != "" {
		b.Run("postgres", func(b *testing.B) { benchFullSync(b, file, storetest.PostgresDSN(pg)) })
	}
}

func benchFullSync(b *testing.B, file string, dsn storetest.DSNFunc) {
	var wall, inQB, cpu, ingest, ingestCPU time.Duration
	records := 0
	var last *harness
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarness(b, harnessOptions{CompanyFile: file, DSN: dsn(b), Engine: syncengine.Config{MaxReturned: 500}})
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		states := h.syncNow(qbconnect.SyncRequest{})
		wall += time.Since(start)
		cpu += processCPU() - cpu0
		b.StopTimer()
		allComplete(b, states)
		inQB += h.qbTime
		ingest += h.ingest
		ingestCPU += h.ingestCPU
		records += fetched(states)
		last = h
	}
	if records < 100000 {
		b.Fatalf("synced %d records, want at least 100,000", records)
	}
	rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	pipeline := rate(records, wall)
	b.ReportMetric(pipeline, "records/s")
	b.ReportMetric(rate(records, ingest), "ingest-records/s")
	b.ReportMetric(rate(records, wall-inQB), "engine-records/s")
	decoded, took, tookCPU := decodeResponses(b, last)
	b.ReportMetric(rate(decoded, took), "decode-records/s")
	b.ReportMetric(pipeline/rate(decoded, took), "x-decoder")
	if cpu > 0 && tookCPU > 0 {
		b.ReportMetric(rate(records, cpu), "cpu-records/s")
		b.ReportMetric(rate(decoded, tookCPU), "decode-cpu-records/s")
		b.ReportMetric(rate(records, cpu)/rate(decoded, tookCPU), "x-decoder-cpu")
	}
	if ingestCPU > 0 {
		b.ReportMetric(rate(records, ingestCPU), "ingest-cpu-records/s")
	}
	b.ReportMetric(0, "ns/op")
}

// decodeResponses decodes every sync response of the harness's company with
// the generic decoder alone and returns the records, the time taken and
// the process CPU time used.
func decodeResponses(b *testing.B, h *harness) (int, time.Duration, time.Duration) {
	b.Helper()
	var results [][]byte
	cursor := ""
	for {
		ops, next, err := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID, Kind: qbconnect.OpSync, Limit: 1000, Cursor: cursor})
		if err != nil {
			b.Fatal(err)
		}
		for _, op := range ops {
			results = append(results, op.Result)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	runtime.GC() // the pipeline's garbage is not the decoder's cost
	start, cpu0 := time.Now(), processCPU()
	n := decodeResults(b, results)
	return n, time.Since(start), processCPU() - cpu0
}

func decodeResults(b *testing.B, results [][]byte) int {
	n := 0
	for _, r := range results {
		dec := qbxml.NewDecoder(bytes.NewReader(r), &qbxml.Options{Generic: true})
		for {
			it, err := dec.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(fmt.Errorf("decode: %w", err))
			}
			if it.Kind == qbxml.ItemRecord {
				n++
			}
		}
	}
	return n
}
