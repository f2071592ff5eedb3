package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// invoices returns n invoice records of about 700 bytes of JSON each, with
// IDs starting at first.
func invoices(companyID string, first, n int, editSeq string) []*qbconnect.Record {
	rs := make([]*qbconnect.Record, n)
	for i := range rs {
		id := fmt.Sprintf("%X-1700000000", first+i)
		data, _ := json.Marshal(map[string]any{
			"txnId": id, "editSequence": editSeq, "refNumber": fmt.Sprint(10000 + first + i), "txnDate": "2026-01-15",
			"customerRef": map[string]string{"listId": "80000001-1600000000", "fullName": "Bob's Bakery"},
			"billAddress": map[string]string{"addr1": "12 High Street", "city": "Springfield", "state": "IL", "postalCode": "62701"},
			"lines": []map[string]any{
				{"itemRef": map[string]string{"fullName": "Flour:Rye"}, "quantity": 12, "rate": "3.50", "amount": "42.00"},
				{"itemRef": map[string]string{"fullName": "Delivery"}, "quantity": 1, "rate": "15.00", "amount": "15.00"},
			},
			"subtotal": "57.00", "balanceRemaining": "57.00", "isPaid": false, "memo": "Weekly order",
		})
		rs[i] = &qbconnect.Record{CompanyID: companyID, Type: "invoices", ID: id, EditSequence: editSeq,
			Name: fmt.Sprint(10000 + first + i), RefID: "80000001-1600000000", TxnDate: "2026-01-15", Active: true,
			ModifiedAt: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), Data: data}
	}
	return rs
}

// BenchmarkUpsertRecords measures bulk upserts in batches of 1,000 (as the
// sync engine stores one qbXML page) and reports records/s, against a
// baseline in the same run: one transaction per record.
func BenchmarkUpsertRecords(b *testing.B) {
	const batch = 1000
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
			c := e.Company(b, org.ID, "Bakery")

			// Baseline: 200 records, one UpsertRecords call (one transaction) each.
			base := invoices(c.ID, 1_000_000, 200, "1")
			start := time.Now()
			for _, r := range base {
				if err := e.Records.UpsertRecords(ctx, []*qbconnect.Record{r}); err != nil {
					b.Fatal(err)
				}
			}
			baseline := float64(len(base)) / time.Since(start).Seconds()

			pages := make([][]*qbconnect.Record, b.N)
			for i := range pages {
				pages[i] = invoices(c.ID, i*batch, batch, "1")
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := e.Records.UpsertRecords(ctx, pages[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			perSec := float64(b.N*batch) / b.Elapsed().Seconds()
			b.ReportMetric(perSec, "records/s")
			b.ReportMetric(baseline, "baseline-records/s")
			b.ReportMetric(perSec/baseline, "x-baseline")
		})
	}
}
