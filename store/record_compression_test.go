package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// TestRecordsStoredBeforeTheLZ4MigrationReadTheSame: migration 01031
// applies to a database holding records, long ones (compressed by
// PostgreSQL) among them; they read back unchanged after it, and so do
// records written after it.
func TestRecordsStoredBeforeTheLZ4MigrationReadTheSame(t *testing.T) {
	forEachDB(t, func(t *testing.T, newDSN storetest.DSNFunc) {
		ctx := context.Background()
		dsn := newDSN(t)
		e := storetest.NewEnv(t, dsn, store.Options{})
		org := e.Org(t, "Acme")
		co := e.Company(t, org.ID, "Harbor")
		rec := func(id string) *qbconnect.Record {
			lines := make([]string, 40)
			for i := range lines {
				lines[i] = fmt.Sprintf(`{"txnLineId":"%s-%d","desc":"Line %d of an invoice long enough to be compressed","amount":"%d.00"}`, id, i, i, i)
			}
			return &qbconnect.Record{CompanyID: co.ID, Type: "invoices", ID: id, EditSequence: "1", Name: id, Active: true,
				ModifiedAt: e.Clock.Now(), Data: json.RawMessage(`{"txnId":"` + id + `","invoiceLine":[` + strings.Join(lines, ",") + `]}`)}
		}
		raw := rawDB(t, dsn)
		exec := func(q string) {
			t.Helper()
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		postgres := strings.HasPrefix(dsn, "postgres")
		if postgres {
			exec(`ALTER TABLE records ALTER COLUMN data SET COMPRESSION pglz`) // as before 01031
		}
		if err := e.Records.UpsertRecords(ctx, []*qbconnect.Record{rec("before")}); err != nil {
			t.Fatal(err)
		}
		if err := store.MigrateDownTo(ctx, e.DB, 1030); err != nil { // 01031 and those after it
			t.Fatal(err)
		}
		e2 := storetest.OpenEnv(t, dsn, store.Options{}, e.Clock) // applies 01031 again
		if err := e2.Records.UpsertRecords(ctx, []*qbconnect.Record{rec("after")}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"before", "after"} {
			got, err := e2.Records.FindRecord(ctx, org.ID, co.ID, "invoices", id)
			if err != nil {
				t.Fatal(err)
			}
			if want := rec(id).Data; string(got.Data) != string(want) {
				t.Errorf("record %s reads %d bytes that differ from the %d written", id, len(got.Data), len(want))
			}
		}
		if postgres {
			var method string
			if err := raw.QueryRowContext(ctx, `SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'records'::regclass AND attname = 'data'`).Scan(&method); err != nil {
				t.Fatal(err)
			}
			var before, after string
			if err := raw.QueryRowContext(ctx, `SELECT COALESCE(pg_column_compression(data), '') FROM records WHERE id = 'before'`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			if err := raw.QueryRowContext(ctx, `SELECT COALESCE(pg_column_compression(data), '') FROM records WHERE id = 'after'`).Scan(&after); err != nil {
				t.Fatal(err)
			}
			t.Logf("compression: column %q, record before the migration %q, after %q", method, before, after)
			if before != "pglz" || method == "l" && after != "lz4" {
				t.Errorf("records compressed with %q before the migration and %q after it (column %q), want pglz and lz4", before, after, method)
			}
		}
	})
}
