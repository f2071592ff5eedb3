package companyfile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
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

// ListDeletedQuery reports a deleted list element as ListDeletedRet:
// ListDelType, ListID, TimeCreated (when the element was created),
// TimeDeleted and FullName, in that order (Intuit's qbXML 13.0 schema,
// qbxml130.xsd, ListDeletedRet), the FullName being the full name it had
// when it was deleted, parents included: "formed by combining the names
// of its hierarchical parent objects with its own name", and it "can
// still be arbitrarily changed by the QuickBooks user when they modify
// the underlying name field" (Conductor's reference of the deleted
// list-object, conductor-is/quickbooks-desktop-node,
// src/resources/qbd/deleted-list-objects.ts). The query returns the
// deletions "grouped according to object type" (QuBe Sync's reference of
// ListDeletedQuery) and "ordered by actual delete time (ascending)"
// (Conductor's); that the groups come in the order the request names the
// types is unverified. IncludeRetElement keeps only what it names, as in
// every query (the element is in ListDeletedQuery's schema).
func TestListDeletedQueryReportsTheLastFullNameGroupedByType(t *testing.T) {
	f, _ := newTestFile(t)
	add := func(rq, ret string) *qbxml.Node { return kid(ok(t, f, rq), ret) }
	acme := add(`<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`, "CustomerRet")
	roof := add(`<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`, "CustomerRet")
	spare := add(`<CustomerAddRq><CustomerAdd><Name>Spare Co</Name></CustomerAdd></CustomerAddRq>`, "CustomerRet")
	paper := add(`<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`, "VendorRet")
	modOK(t, f, "Customer", acme, `<Name>Acme Inc</Name>`)
	spare = modOK(t, f, "Customer", spare, `<Name>Spare Ltd</Name>`)

	del := func(typ string, ret *qbxml.Node) string {
		t.Helper()
		return textAt(ok(t, f, `<ListDelRq><ListDelType>`+typ+`</ListDelType><ListID>`+textAt(ret, "ListID")+`</ListID></ListDelRq>`), "TimeDeleted")
	}
	want := map[string][]string{}
	for _, d := range []struct {
		typ, name string
		ret       *qbxml.Node
	}{{"Customer", "Acme Inc:Roof", roof}, {"Vendor", "Paper Co", paper}, {"Customer", "Spare Ltd", spare}} {
		when := del(d.typ, d.ret)
		want[d.name] = []string{"ListDelType " + d.typ, "ListID " + textAt(d.ret, "ListID"), "TimeCreated " + textAt(d.ret, "TimeCreated"), "TimeDeleted " + when, "FullName " + d.name}
	}
	describe := func(rs *qbxml.Node) [][]string {
		var out [][]string
		for _, r := range kids(rs, "ListDeletedRet") {
			var els []string
			for _, k := range r.Children {
				els = append(els, k.Name+" "+k.Text)
			}
			out = append(out, els)
		}
		return out
	}
	query := func(types ...string) string {
		rq := `<ListDeletedQueryRq>`
		for _, typ := range types {
			rq += `<ListDelType>` + typ + `</ListDelType>`
		}
		return rq + `</ListDeletedQueryRq>`
	}
	for _, c := range []struct {
		types []string
		want  []string
	}{
		{[]string{"Vendor", "Customer"}, []string{"Paper Co", "Acme Inc:Roof", "Spare Ltd"}},
		{[]string{"Customer", "Vendor"}, []string{"Acme Inc:Roof", "Spare Ltd", "Paper Co"}},
	} {
		var w [][]string
		for _, n := range c.want {
			w = append(w, want[n])
		}
		if diff := cmp.Diff(w, describe(ok(t, f, query(c.types...)))); diff != "" {
			t.Errorf("ListDeletedQuery of %v (-want +got):\n%s", c.types, diff)
		}
	}
	only := ok(t, f, `<ListDeletedQueryRq><ListDelType>Customer</ListDelType><IncludeRetElement>FullName</IncludeRetElement></ListDeletedQueryRq>`)
	if diff := cmp.Diff([][]string{{"FullName Acme Inc:Roof"}, {"FullName Spare Ltd"}}, describe(only)); diff != "" {
		t.Errorf("with IncludeRetElement FullName (-want +got):\n%s", diff)
	}
}
