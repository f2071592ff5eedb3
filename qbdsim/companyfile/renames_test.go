package companyfile

import (
	"strconv"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Renames and references. QuickBooks keeps a reference as the ListID of the
// element it names ("within the QuickBooks database the object identifiers
// are used in object references to identify related objects": Intuit,
// "Objects, object identifiers, fullnames, and object references",
// https://developer.intuit.com/app/developer/qbdesktop/docs/additional-reference/objects-object-identifiers-fullnames-and-object-references;
// and "if a CustomerRef aggregate includes both FullName and ListID,
// FullName will be ignored": CustomerAdd reference), so a query answers the
// element's current FullName in every reference, however long ago the
// referencing record was written ("For all lists, any changes made take
// effect immediately. The change will affect both present and future
// transactions": Accounting Software Secrets, "Edit List Entry",
// https://accountingsoftwaresecrets.com/book/edit-list-entry/). A job's FullName is its parent's FullName,
// a colon and its Name (Conductor, "Jobs and customers",
// https://docs.conductor.is/qbd-examples/jobs-and-customers).

// renameCustomer renames the customer named old and returns its Ret.
func renameCustomer(tb testing.TB, f *File, old, name string) *qbxml.Node {
	tb.Helper()
	c := kid(ok(tb, f, `<CustomerQueryRq><FullName>`+old+`</FullName></CustomerQueryRq>`), "CustomerRet")
	return kid(ok(tb, f, `<CustomerModRq><CustomerMod><ListID>`+textAt(c, "ListID")+`</ListID><EditSequence>`+textAt(c, "EditSequence")+
		`</EditSequence><Name>`+name+`</Name></CustomerMod></CustomerModRq>`), "CustomerRet")
}

func TestARenamedCustomerAndItemAreNamedAnewInTheirInvoices(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	before := kid(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet")
	after := renameCustomer(t, f, "Acme Corp", "Acme Holdings")
	w := kid(ok(t, f, `<ItemNonInventoryQueryRq><FullName>Widget</FullName></ItemNonInventoryQueryRq>`), "ItemNonInventoryRet")
	ok(t, f, `<ItemNonInventoryModRq><ItemNonInventoryMod><ListID>`+textAt(w, "ListID")+`</ListID><EditSequence>`+textAt(w, "EditSequence")+
		`</EditSequence><Name>Gadget</Name></ItemNonInventoryMod></ItemNonInventoryModRq>`)

	// The rename is a Mod of the customer: a new TimeModified and
	// EditSequence ("Every time the object is changed, the server will
	// change its EditSequence value": Intuit, OtherNameMod reference).
	if textAt(after, "EditSequence") == textAt(before, "EditSequence") || textAt(after, "TimeModified") <= textAt(before, "TimeModified") {
		t.Errorf("renamed customer: EditSequence %s -> %s, TimeModified %s -> %s", textAt(before, "EditSequence"), textAt(after, "EditSequence"),
			textAt(before, "TimeModified"), textAt(after, "TimeModified"))
	}
	got := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+textAt(inv, "TxnID")+`</TxnID><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`), "InvoiceRet")
	if textAt(got, "CustomerRef/ListID") != textAt(before, "ListID") || textAt(got, "CustomerRef/FullName") != "Acme Holdings" {
		t.Errorf("CustomerRef after rename: %s / %s, want %s / Acme Holdings", textAt(got, "CustomerRef/ListID"), textAt(got, "CustomerRef/FullName"), textAt(before, "ListID"))
	}
	var items []string
	for _, l := range kids(got, "InvoiceLineRet") {
		items = append(items, textAt(l, "ItemRef/FullName"))
	}
	if len(items) != 2 || items[0] != "Consulting" || items[1] != "Gadget" {
		t.Errorf("line items after rename %q, want [Consulting Gadget]", items)
	}
	// The invoice itself was not modified.
	if textAt(got, "EditSequence") != textAt(inv, "EditSequence") || textAt(got, "TimeModified") != textAt(inv, "TimeModified") {
		t.Errorf("invoice EditSequence %s TimeModified %s after a rename, want %s %s", textAt(got, "EditSequence"), textAt(got, "TimeModified"),
			textAt(inv, "EditSequence"), textAt(inv, "TimeModified"))
	}
}

// A renamed account is named anew in the items that post to it, however
// deep in the item's Ret the reference is.
func TestARenamedAccountIsNamedAnewInItsItems(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	a := kid(ok(t, f, `<AccountQueryRq><FullName>Services</FullName></AccountQueryRq>`), "AccountRet")
	ok(t, f, `<AccountModRq><AccountMod><ListID>`+textAt(a, "ListID")+`</ListID><EditSequence>`+textAt(a, "EditSequence")+
		`</EditSequence><Name>Consulting Income</Name></AccountMod></AccountModRq>`)
	got := textAt(ok(t, f, `<ItemServiceQueryRq><FullName>Consulting</FullName></ItemServiceQueryRq>`), "ItemServiceRet/SalesOrPurchase/AccountRef/FullName")
	if got != "Consulting Income" {
		t.Errorf("item's AccountRef after the account's rename %q, want Consulting Income", got)
	}
}

// Renaming a parent gives its jobs a new FullName, which the jobs' own
// transactions answer too. The jobs keep their TimeModified and
// EditSequence: unverified, no source found says whether QuickBooks
// touches a job whose parent alone was renamed (an incremental sync by
// TimeModified then sees the parent's change only).
func TestRenamingAParentRenamesItsJobInTheJobsInvoices(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	job := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Job 1</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	sub := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Phase 2</Name><ParentRef><FullName>Acme Corp:Job 1</FullName></ParentRef></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>`+textAt(sub, "ListID")+`</ListID></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<InvoiceLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
	renameCustomer(t, f, "Acme Corp", "Acme Holdings")

	if got := textAt(ok(t, f, `<InvoiceQueryRq/>`), "InvoiceRet/CustomerRef/FullName"); got != "Acme Holdings:Job 1:Phase 2" {
		t.Errorf("invoice CustomerRef %q, want Acme Holdings:Job 1:Phase 2", got)
	}
	gotJob := kid(ok(t, f, `<CustomerQueryRq><ListID>`+textAt(job, "ListID")+`</ListID></CustomerQueryRq>`), "CustomerRet")
	gotSub := kid(ok(t, f, `<CustomerQueryRq><ListID>`+textAt(sub, "ListID")+`</ListID></CustomerQueryRq>`), "CustomerRet")
	if textAt(gotJob, "ParentRef/FullName") != "Acme Holdings" || textAt(gotSub, "FullName") != "Acme Holdings:Job 1:Phase 2" ||
		textAt(gotSub, "ParentRef/FullName") != "Acme Holdings:Job 1" {
		t.Errorf("job ParentRef %q, sub-job FullName %q ParentRef %q", textAt(gotJob, "ParentRef/FullName"), textAt(gotSub, "FullName"), textAt(gotSub, "ParentRef/FullName"))
	}
	if textAt(gotJob, "EditSequence") != textAt(job, "EditSequence") || textAt(gotJob, "TimeModified") != textAt(job, "TimeModified") {
		t.Errorf("job EditSequence %s TimeModified %s after its parent's rename, want %s %s (unverified)", textAt(gotJob, "EditSequence"), textAt(gotJob, "TimeModified"),
			textAt(job, "EditSequence"), textAt(job, "TimeModified"))
	}
}

// BenchmarkRenameCustomer renames a customer with jobs in a company of
// 20,000 invoices, which rewrites the references of every record naming it
// or its jobs, and compares with a Mod of the same customer that keeps its
// name (the baseline, measured in the same run).
func BenchmarkRenameCustomer(b *testing.B) {
	f := generated(b, GenerateOptions{Seed: 1, Customers: 300, Jobs: 300, Items: 100, Invoices: 20000, Payments: 10000, End: smallCompany().End})
	var parent string
	for _, c := range kids(ok(b, f, `<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>`), "CustomerRet") {
		if textAt(c, "ParentRef/ListID") != "" {
			parent = textAt(c, "ParentRef/ListID")
			break
		}
	}
	if parent == "" {
		b.Fatal("no job")
	}
	mod := func(b *testing.B, field func(i int) string) {
		for i := 0; b.Loop(); i++ {
			c := kid(ok(b, f, `<CustomerQueryRq><ListID>`+parent+`</ListID></CustomerQueryRq>`), "CustomerRet")
			ok(b, f, `<CustomerModRq><CustomerMod><ListID>`+parent+`</ListID><EditSequence>`+textAt(c, "EditSequence")+`</EditSequence>`+field(i)+`</CustomerMod></CustomerModRq>`)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/mod")
	}
	b.Run("baseline-phone", func(b *testing.B) {
		mod(b, func(i int) string { return `<Phone>555-` + strconv.Itoa(1000+i%9000) + `</Phone>` })
	})
	b.Run("rename", func(b *testing.B) {
		mod(b, func(i int) string { return `<Name>Renamed ` + strconv.Itoa(i) + `</Name>` })
	})
}
