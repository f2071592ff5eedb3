package companyfile

import (
	"bytes"
	"context"
	"html"
	"path/filepath"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

func smallCompany() GenerateOptions {
	return GenerateOptions{Seed: 42, Customers: 30, Jobs: 8, Vendors: 12, Employees: 4, Items: 25, Classes: 4,
		Invoices: 120, Payments: 90, SalesReceipts: 20, CreditMemos: 6, Estimates: 10, SalesOrders: 8,
		Bills: 40, BillPayments: 30, PurchaseOrders: 8, Checks: 15, CreditCardCharges: 12, Deposits: 5, JournalEntries: 6,
		End: time.Date(2025, 3, 1, 17, 0, 0, 0, time.FixedZone("EST", -5*3600))}
}

func generated(tb testing.TB, opt GenerateOptions) *File {
	tb.Helper()
	f, _ := newTestFile(tb)
	if err := f.Generate(context.Background(), opt); err != nil {
		tb.Fatal(err)
	}
	return f
}

func TestGenerateWritesExactCountsThatQueriesReturn(t *testing.T) {
	opt := smallCompany()
	var progress []int
	opt.Progress = func(done, total int) { progress = append(progress, done) }
	f := generated(t, opt)
	if len(progress) == 0 || progress[len(progress)-1] != opt.Total() {
		t.Errorf("progress %v, want last %d", progress, opt.Total())
	}
	// Billing payments are written with their bills.
	want := map[string]int{"Invoice": 120, "ReceivePayment": 90, "SalesReceipt": 20, "CreditMemo": 6, "Estimate": 10, "SalesOrder": 8,
		"Bill": 40, "BillPaymentCheck": 30, "PurchaseOrder": 8, "Check": 15, "CreditCardCharge": 12, "Deposit": 5, "JournalEntry": 6, "Class": 4, "Employee": 4}
	for typ, n := range want {
		got, err := f.Count(context.Background(), typ)
		if err != nil || got != n {
			t.Errorf("Count(%s) = %d, %v; want %d", typ, got, err, n)
		}
		rs := ok(t, f, `<`+typ+`QueryRq metaData="MetaDataAndResponseData">`+includeLines(typ)+`</`+typ+`QueryRq>`)
		if attrValue(rs, "retCount") != itoa(n) {
			t.Errorf("%sQuery retCount %s, want %d", typ, attrValue(rs, "retCount"), n)
		}
	}
	if n, _ := f.Count(context.Background(), "Customer"); n != 38 {
		t.Errorf("customers+jobs = %d, want 38", n)
	}
	ok(t, f, `<CustomerQueryRq/>`)
	ok(t, f, `<VendorQueryRq/>`)
	ok(t, f, `<ItemQueryRq/>`)
}

func includeLines(typ string) string {
	if _, ok := lookupChild(mustModel(typ+"QueryRq"), "IncludeLineItems"); ok {
		return "<IncludeLineItems>true</IncludeLineItems>"
	}
	return ""
}

func mustModel(name string) *qbxml.ElementType {
	m, _ := contentModel(name)
	return m
}

func TestGenerateIsDeterministicForASeed(t *testing.T) {
	opt := smallCompany()
	dump := func() []byte {
		f := generated(t, opt)
		rows, err := f.db.Query(`SELECT ret FROM objects ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b bytes.Buffer
		for rows.Next() {
			var r []byte
			rows.Scan(&r)
			b.Write(r)
		}
		return b.Bytes()
	}
	a, b := dump(), dump()
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	opt.Seed = 43
	if bytes.Equal(a, dump()) {
		t.Fatal("a different seed gives the same company")
	}
}

func TestGeneratedBalancesAgreeWithTransactions(t *testing.T) {
	f := generated(t, smallCompany())
	ctx := context.Background()
	// Every customer's Balance equals its opening balance plus open invoices
	// minus credits and unused payments, as the processor computes it.
	rows, err := f.db.Query(`SELECT id, effect FROM objects WHERE type = 'Customer'`)
	if err != nil {
		t.Fatal(err)
	}
	type cb struct {
		id      string
		opening int64
	}
	var custs []cb
	for rows.Next() {
		var c cb
		rows.Scan(&c.id, &c.opening)
		custs = append(custs, c)
	}
	rows.Close()
	for _, c := range custs {
		want, err := entityBalance(ctx, f.db, c.id, c.opening)
		if err != nil {
			t.Fatal(err)
		}
		_, raw, err := f.RetXML(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		ret, _ := parseNode(raw)
		if got := textAt(ret, "Balance"); got != formatCents(want) {
			t.Errorf("customer %s Balance %s, want %s", c.id, got, formatCents(want))
		}
	}
	// A paid invoice's payment points at it with the amount applied.
	rs := ok(t, f, `<ReceivePaymentQueryRq><MaxReturned>5</MaxReturned></ReceivePaymentQueryRq>`)
	for _, p := range kids(rs, "ReceivePaymentRet") {
		a := kid(p, "AppliedToTxnRet")
		if a == nil {
			continue
		}
		inv := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+textAt(a, "TxnID")+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
		paid := -mustCents(textAt(inv, "AppliedAmount"))
		if paid != mustCents(textAt(a, "Amount")) || textAt(inv, "CustomerRef/ListID") != textAt(p, "CustomerRef/ListID") {
			t.Errorf("invoice %s paid %d, payment applied %s", textAt(inv, "TxnID"), paid, textAt(a, "Amount"))
		}
	}
}

func TestGeneratedCompanyAcceptsNewWork(t *testing.T) {
	f := generated(t, smallCompany())
	// The processor continues where the generator stopped: IDs and
	// reference numbers do not collide.
	cust := html.EscapeString(textAt(ok(t, f, `<CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq>`), "CustomerRet/FullName"))
	item := textAt(ok(t, f, `<ItemServiceQueryRq><MaxReturned>1</MaxReturned></ItemServiceQueryRq>`), "ItemServiceRet/FullName")
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>`+cust+`</FullName></CustomerRef><InvoiceLineAdd><ItemRef><FullName>`+item+`</FullName></ItemRef><Quantity>2</Quantity><Rate>10</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	if textAt(inv, "RefNumber") != "121" {
		t.Errorf("next invoice number %s, want 121", textAt(inv, "RefNumber"))
	}
}

func TestGenerateRejectsImpossibleOptions(t *testing.T) {
	f, _ := newTestFile(t)
	for name, opt := range map[string]GenerateOptions{
		"invoices without customers": {Invoices: 1, Items: 1},
		"payments without invoices":  {Customers: 1, Payments: 1},
		"negative":                   {Customers: -1},
	} {
		if err := f.Generate(context.Background(), opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n, _ := f.Count(context.Background(), "Customer"); n != 0 {
		t.Errorf("%d customers after failed generates", n)
	}
}

func BenchmarkGenerate(b *testing.B) {
	opt := GenerateOptions{Seed: 1, Customers: 200, Vendors: 50, Items: 100, Invoices: 4000, Payments: 3000, Bills: 2000, BillPayments: 1000}
	for b.Loop() {
		b.StopTimer()
		f, err := Create(filepath.Join(b.TempDir(), "bench.qbw"), "Bench", Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := f.Generate(context.Background(), opt); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		f.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(opt.Transactions()*b.N)/b.Elapsed().Seconds(), "txns/s")
}

// BenchmarkIteratorSync pages through every invoice (with lines) with an
// iterator as a full sync does, and compares with reading the same stored
// records straight from SQLite (the baseline, measured in the same run).
// iterator-no-lines pages without IncludeLineItems, which reshapes each
// record; iterator-linked adds IncludeLinkedTxns, which looks up the
// payments applied to each invoice.
func BenchmarkIteratorSync(b *testing.B) {
	opt := GenerateOptions{Seed: 1, Customers: 300, Items: 100, Invoices: 20000, Payments: 10000, End: smallCompany().End}
	f := generated(b, opt)
	ctx := context.Background()
	b.Run("baseline-sqlite", func(b *testing.B) {
		for b.Loop() {
			rows, err := f.db.QueryContext(ctx, `SELECT ret FROM objects WHERE type = 'Invoice' ORDER BY seq`)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var r []byte
				rows.Scan(&r)
				n++
			}
			rows.Close()
			if n != opt.Invoices {
				b.Fatalf("%d rows", n)
			}
		}
		b.ReportMetric(float64(opt.Invoices*b.N)/b.Elapsed().Seconds(), "records/s")
	})
	iterate := func(b *testing.B, page string) {
		for b.Loop() {
			n := 0
			resp := processBench(b, f, `<InvoiceQueryRq iterator="Start">`+page)
			for {
				n += bytes.Count(resp, []byte("<InvoiceRet>"))
				if attrOf(resp, "statusCode") != "0" {
					b.Fatalf("status %s", attrOf(resp, "statusCode"))
				}
				if attrOf(resp, "iteratorRemainingCount") == "0" {
					break
				}
				resp = processBench(b, f, `<InvoiceQueryRq iterator="Continue" iteratorID="`+attrOf(resp, "iteratorID")+`">`+page)
			}
			if n != opt.Invoices {
				b.Fatalf("%d records", n)
			}
		}
		b.ReportMetric(float64(opt.Invoices*b.N)/b.Elapsed().Seconds(), "records/s")
	}
	b.Run("iterator", func(b *testing.B) {
		iterate(b, `<MaxReturned>1000</MaxReturned><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`)
	})
	// Without IncludeLineItems every stored invoice is parsed, its lines
	// dropped and the rest written again.
	b.Run("iterator-no-lines", func(b *testing.B) {
		iterate(b, `<MaxReturned>1000</MaxReturned></InvoiceQueryRq>`)
	})
	b.Run("iterator-linked", func(b *testing.B) {
		iterate(b, `<MaxReturned>1000</MaxReturned><IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns></InvoiceQueryRq>`)
	})
}

func processBench(tb testing.TB, f *File, body string) []byte {
	tb.Helper()
	resp, err := f.Process(context.Background(), []byte(`<QBXML><QBXMLMsgsRq onError="stopOnError">`+body+`</QBXMLMsgsRq></QBXML>`), testSession)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// attrOf returns the first value of the attribute name in an XML document.
func attrOf(doc []byte, name string) string {
	i := bytes.Index(doc, []byte(" "+name+`="`))
	if i < 0 {
		return ""
	}
	rest := doc[i+len(name)+3:]
	return string(rest[:bytes.IndexByte(rest, '"')])
}
