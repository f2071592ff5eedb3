package companyfile

import (
	"testing"
	"time"
)

// QuickBooks' deleted queries reach back 90 days: "A ListDeletedQuery will
// return all list elements deleted within the last 90 days" (QuBe Sync's
// reference of the request); Conductor's API reference says a deleted
// list-object is one "removed from the company file within the last 90
// days" and that its deleted-transactions endpoint "Lists deleted
// transactions ... in the last 90 days". An older deletion is not
// reported, whatever FromDeletedDate asks for.
func TestDeletedQueriesReportTheLast90DaysOnly(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := textAt(kid(ok(t, f, invoiceAdd), "InvoiceRet"), "TxnID")
	spare := textAt(kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Spare Co</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet"), "ListID")
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+inv+`</TxnID></TxnDelRq>`)
	ok(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+spare+`</ListID></ListDelRq>`)

	const since = `<DeletedDateRangeFilter><FromDeletedDate>2020-01-01T00:00:00</FromDeletedDate></DeletedDateRangeFilter>`
	txns := `<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType>` + since + `</TxnDeletedQueryRq>`
	lists := `<ListDeletedQueryRq><ListDelType>Customer</ListDelType>` + since + `</ListDeletedQueryRq>`

	clock.Advance(89 * 24 * time.Hour)
	if got := textAt(ok(t, f, txns), "TxnDeletedRet/TxnID"); got != inv {
		t.Errorf("89 days after, TxnDeletedQuery returned %q, want the deleted invoice %s", got, inv)
	}
	if got := textAt(ok(t, f, lists), "ListDeletedRet/ListID"); got != spare {
		t.Errorf("89 days after, ListDeletedQuery returned %q, want the deleted customer %s", got, spare)
	}

	clock.Advance(2 * 24 * time.Hour)
	wantStatus(t, one(t, f, txns), "1") // no match
	wantStatus(t, one(t, f, lists), "1")
}

// "A template query returns the names of all templates that have been
// defined in QuickBooks" (Intuit's reference of TemplateQuery, which has
// no ActiveStatus filter): inactive ones too, unlike the list queries
// that take ActiveStatus and default to ActiveOnly.
func TestTemplateQueryReturnsInactiveTemplates(t *testing.T) {
	f, _ := newTestFile(t)
	all := kids(ok(t, f, `<TemplateQueryRq/>`), "TemplateRet")
	if len(all) == 0 {
		t.Fatal("no templates")
	}
	name := textAt(all[0], "Name")
	// The user makes the template inactive in QuickBooks (the SDK has no
	// TemplateMod).
	if _, err := f.db.Exec(`UPDATE objects SET active = 0 WHERE id = ?`, textAt(all[0], "ListID")); err != nil {
		t.Fatal(err)
	}
	again := kids(ok(t, f, `<TemplateQueryRq/>`), "TemplateRet")
	if len(again) != len(all) {
		t.Errorf("TemplateQuery returned %d templates after %q became inactive, want all %d", len(again), name, len(all))
	}
}
