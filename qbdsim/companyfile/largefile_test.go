package companyfile

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// The benchmarks of this file time single requests on a large company
// file (30,000 transactions, 300 customers with 300 jobs): what one write
// or one lookup costs should not grow with the file. Each reports ms/op
// per request; compare two builds by running them in turn on the same
// machine.

// largeCompanyOptions is a company of 30,000 transactions.
func largeCompanyOptions() GenerateOptions {
	return GenerateOptions{Seed: 3, Customers: 300, Jobs: 300, Vendors: 60, Employees: 8, Items: 100, Classes: 6,
		Invoices: 13300, Payments: 9000, SalesReceipts: 1500, CreditMemos: 300, Estimates: 500, SalesOrders: 300,
		Bills: 2500, BillPayments: 1500, PurchaseOrders: 200, Checks: 400, CreditCardCharges: 300, Deposits: 100, JournalEntries: 100,
		End: smallCompany().End}
}

// largeCompanyFile is the large company, generated once per test binary
// and closed; each benchmark opens a copy of it.
var largeCompanyFile struct {
	once sync.Once
	path string
	err  error
}

// largeCompany returns a copy of the large company, opened, which the
// benchmark may change.
func largeCompany(b *testing.B) *File {
	b.Helper()
	largeCompanyFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "qbdsim-large-")
		if err != nil {
			largeCompanyFile.err = err
			return
		}
		largeCompanyDir = dir
		path := filepath.Join(dir, "Large.qbw")
		f, err := Create(path, "Large Company", Options{Now: newTestClock().Now})
		if err != nil {
			largeCompanyFile.err = err
			return
		}
		if err := f.Generate(context.Background(), largeCompanyOptions()); err != nil {
			f.Close()
			largeCompanyFile.err = err
			return
		}
		largeCompanyFile.path, largeCompanyFile.err = path, f.Close()
	})
	if largeCompanyFile.err != nil {
		b.Fatal(largeCompanyFile.err)
	}
	path := filepath.Join(b.TempDir(), "Large.qbw")
	if err := copyFile(path, largeCompanyFile.path); err != nil {
		b.Fatal(err)
	}
	f, err := Open(path, Options{Now: newTestClock().Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// benchRq processes one request, requires status 0 and returns its Rs;
// unlike ok it keeps no response for the schema validation.
func benchRq(b *testing.B, f *File, body string) *qbxml.Node {
	b.Helper()
	resp := processBench(b, f, body)
	root, err := parseNode(resp)
	if err != nil {
		b.Fatalf("response does not parse: %v", err)
	}
	rs := kid(root, "QBXMLMsgsRs").Children[0]
	if attrValue(rs, "statusCode") != "0" {
		b.Fatalf("status %s: %s\nrequest: %s", attrValue(rs, "statusCode"), attrValue(rs, "statusMessage"), body)
	}
	return rs
}

// timed runs do b.N times and reports the time of what it times, in
// milliseconds per request; do calls timeIt around the request it
// measures.
func timed(b *testing.B, do func(i int, timeIt func(func()))) {
	b.Helper()
	var spent time.Duration
	timeIt := func(fn func()) {
		start := time.Now()
		fn()
		spent += time.Since(start)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		do(i, timeIt)
	}
	b.ReportMetric(float64(spent.Microseconds())/1000/float64(b.N), "ms/rq")
}

// largeParentAndJob returns a customer with jobs and one of its jobs.
func largeParentAndJob(b *testing.B, f *File) (parent, job string) {
	b.Helper()
	for _, c := range kids(benchRq(b, f, `<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>`), "CustomerRet") {
		if textAt(c, "ParentRef/ListID") != "" {
			return textAt(c, "ParentRef/ListID"), textAt(c, "ListID")
		}
	}
	b.Fatal("no job")
	return "", ""
}

// modEach modifies the list element id of type typ in turn, each time
// with field(i), and times the Mods.
func modEach(b *testing.B, f *File, typ, id string, field func(i int) string) {
	b.Helper()
	es := textAt(kid(benchRq(b, f, `<`+typ+`QueryRq><ListID>`+id+`</ListID></`+typ+`QueryRq>`), typ+"Ret"), "EditSequence")
	timed(b, func(i int, timeIt func(func())) {
		var rs *qbxml.Node
		timeIt(func() {
			rs = benchRq(b, f, `<`+typ+`ModRq><`+typ+`Mod><ListID>`+id+`</ListID><EditSequence>`+es+`</EditSequence>`+field(i)+`</`+typ+`Mod></`+typ+`ModRq>`)
		})
		es = textAt(kid(rs, typ+"Ret"), "EditSequence")
	})
}

func phone(i int) string { return `<Phone>555-` + strconv.Itoa(1000+i%9000) + `</Phone>` }

// BenchmarkCustomerModOnALargeFile modifies a customer's phone: the Mod
// recomputes its Balance and TotalBalance, which add up its jobs'.
func BenchmarkCustomerModOnALargeFile(b *testing.B) {
	f := largeCompany(b)
	parent, job := largeParentAndJob(b, f)
	b.Run("customer-with-jobs", func(b *testing.B) { modEach(b, f, "Customer", parent, phone) })
	b.Run("job", func(b *testing.B) { modEach(b, f, "Customer", job, phone) })
}

// BenchmarkRenameOnALargeFile renames a customer with jobs, an item and
// an account: every stored record that names them, or the jobs, is
// named anew.
func BenchmarkRenameOnALargeFile(b *testing.B) {
	f := largeCompany(b)
	parent, _ := largeParentAndJob(b, f)
	item := kid(benchRq(b, f, `<ItemServiceQueryRq><MaxReturned>1</MaxReturned></ItemServiceQueryRq>`), "ItemServiceRet")
	name := func(prefix string) func(i int) string {
		return func(i int) string { return `<Name>` + prefix + ` ` + strconv.Itoa(i) + `</Name>` }
	}
	b.Run("customer-with-jobs", func(b *testing.B) { modEach(b, f, "Customer", parent, name("Renamed Customer")) })
	b.Run("item", func(b *testing.B) { modEach(b, f, "ItemService", textAt(item, "ListID"), name("Renamed Item")) })
	b.Run("account", func(b *testing.B) {
		modEach(b, f, "Account", textAt(item, "SalesOrPurchase/AccountRef/ListID"), name("Renamed Account"))
	})
}

// BenchmarkRequestsOnALargeFile times the requests a sync sends most:
// adding an invoice and a payment that pays it, reading one customer and
// one invoice by their IDs, deleting a transaction, deleting a list
// element (which no record may name), and merging a customer with an
// invoice into another (whose records then name the other).
func BenchmarkRequestsOnALargeFile(b *testing.B) {
	f := largeCompany(b)
	_, job := largeParentAndJob(b, f)
	item := textAt(kid(benchRq(b, f, `<ItemServiceQueryRq><MaxReturned>1</MaxReturned></ItemServiceQueryRq>`), "ItemServiceRet"), "ListID")
	invoiceAdd := `<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>` + job + `</ListID></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<InvoiceLineAdd><ItemRef><ListID>` + item + `</ListID></ItemRef><Quantity>2</Quantity><Rate>40</Rate></InvoiceLineAdd>
		<InvoiceLineAdd><ItemRef><ListID>` + item + `</ListID></ItemRef><Quantity>1</Quantity><Rate>15</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`
	addInvoice := func() string { return textAt(kid(benchRq(b, f, invoiceAdd), "InvoiceRet"), "TxnID") }
	b.Run("InvoiceAdd", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) { timeIt(func() { addInvoice() }) })
	})
	b.Run("ReceivePaymentAdd", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			inv := addInvoice()
			timeIt(func() {
				benchRq(b, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><ListID>`+job+`</ListID></CustomerRef><TxnDate>2025-03-02</TxnDate>
					<TotalAmount>95.00</TotalAmount><AppliedToTxnAdd><TxnID>`+inv+`</TxnID><PaymentAmount>95.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`)
			})
		})
	})
	b.Run("CustomerQuery-ListID", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			timeIt(func() { benchRq(b, f, `<CustomerQueryRq><ListID>`+job+`</ListID></CustomerQueryRq>`) })
		})
	})
	inv := addInvoice()
	b.Run("InvoiceQuery-TxnID", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			timeIt(func() {
				benchRq(b, f, `<InvoiceQueryRq><TxnID>`+inv+`</TxnID><IncludeLineItems>true</IncludeLineItems><IncludeLinkedTxns>true</IncludeLinkedTxns></InvoiceQueryRq>`)
			})
		})
	})
	b.Run("TxnDel", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			inv := addInvoice()
			timeIt(func() {
				benchRq(b, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+inv+`</TxnID></TxnDelRq>`)
			})
		})
	})
	b.Run("ListDel", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			id := textAt(kid(benchRq(b, f, `<CustomerAddRq><CustomerAdd><Name>Spare `+strconv.Itoa(i)+`</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet"), "ListID")
			timeIt(func() {
				benchRq(b, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+id+`</ListID></ListDelRq>`)
			})
		})
	})
	b.Run("ListMerge", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			from := kid(benchRq(b, f, `<CustomerAddRq><CustomerAdd><Name>Merged `+strconv.Itoa(i)+`</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet")
			benchRq(b, f, strings.Replace(invoiceAdd, job, textAt(from, "ListID"), 1))
			to := kid(benchRq(b, f, `<CustomerQueryRq><ListID>`+job+`</ListID></CustomerQueryRq>`), "CustomerRet")
			timeIt(func() {
				benchRq(b, f, `<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom><ListID>`+textAt(from, "ListID")+`</ListID><EditSequence>`+textAt(from, "EditSequence")+`</EditSequence></MergeFrom>
					<MergeTo><ListID>`+job+`</ListID><EditSequence>`+textAt(to, "EditSequence")+`</EditSequence></MergeTo></ListMergeRq>`)
			})
		})
	})
}

// BenchmarkAccountWritesOnALargeFile adds accounts and changes an
// account's description, as a client setting up its chart does: each
// answer holds the account's Balance and TotalBalance. CustomerMod, the
// baseline, is a list write whose answer holds no account balance.
func BenchmarkAccountWritesOnALargeFile(b *testing.B) {
	f := largeCompany(b)
	parent, _ := largeParentAndJob(b, f)
	item := kid(benchRq(b, f, `<ItemServiceQueryRq><MaxReturned>1</MaxReturned></ItemServiceQueryRq>`), "ItemServiceRet")
	account := textAt(item, "SalesOrPurchase/AccountRef/ListID")
	added := 0 // b.Run runs the function more than once: names must not repeat
	b.Run("AccountAdd", func(b *testing.B) {
		timed(b, func(i int, timeIt func(func())) {
			added++
			timeIt(func() {
				benchRq(b, f, `<AccountAddRq><AccountAdd><Name>Added `+strconv.Itoa(added)+`</Name><AccountType>Expense</AccountType></AccountAdd></AccountAddRq>`)
			})
		})
	})
	b.Run("AccountMod-Desc", func(b *testing.B) {
		modEach(b, f, "Account", account, func(i int) string { return `<Desc>Described ` + strconv.Itoa(i) + `</Desc>` })
	})
	b.Run("CustomerMod-baseline", func(b *testing.B) { modEach(b, f, "Customer", parent, phone) })
}
