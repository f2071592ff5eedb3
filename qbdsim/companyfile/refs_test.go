package companyfile

import (
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// A rename or a merge names the element anew in every record that refers
// to it, and a ListDel is refused while any record refers to the element
// (renames_test.go cites the sources for renames; "If the account has
// been used in a transaction, an item or in your payroll setup, then
// QuickBooks won't let you delete it": Samarak, "Deleting accounts from
// the QuickBooks chart of accounts",
// http://www.samarak.com/accounting-blog/quickbooks/quickbooks-tutorials/deleting-accounts-from-the-quickbooks-chart-of-accounts/;
// the refusal is status 3160, which QuBe Sync names "cannot_delete" for
// ListDel: QUBESYNC-CODES in statuscodes_test.go). The simulator finds
// those records in its refs table (refs.go); these tests pin that it
// finds exactly what searching every stored record would.

// wantRefsAsAScanFinds requires the refs table, as every write leaves
// it, to list for each ListID exactly the objects whose stored Ret holds
// it, as a search of every Ret finds them.
func wantRefsAsAScanFinds(tb testing.TB, f *File, after string) {
	tb.Helper()
	var stale int
	if err := f.db.QueryRow(`SELECT COUNT(*) FROM refs_stale`).Scan(&stale); err != nil {
		tb.Fatal(err)
	}
	if stale != 0 {
		tb.Errorf("after %s: %d objects left stale in refs", after, stale)
	}
	type stored struct {
		seq int64
		ret []byte
	}
	var objs []stored
	rows, err := f.db.Query(`SELECT seq, ret FROM objects ORDER BY seq`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var o stored
		if err := rows.Scan(&o.seq, &o.ret); err != nil {
			tb.Fatal(err)
		}
		objs = append(objs, o)
	}
	rows.Close()
	indexed := map[string][]int64{}
	rows, err = f.db.Query(`SELECT list_id, seq FROM refs ORDER BY list_id, seq`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			tb.Fatal(err)
		}
		indexed[id] = append(indexed[id], seq)
	}
	rows.Close()
	rows, err = f.db.Query(`SELECT id FROM objects UNION SELECT id FROM deleted UNION SELECT list_id FROM refs`)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	wrong := 0
	for _, id := range ids {
		var scan []int64
		pattern := []byte("<ListID>" + id + "</ListID>")
		for _, o := range objs {
			if bytes.Contains(o.ret, pattern) {
				scan = append(scan, o.seq)
			}
		}
		if got := indexed[id]; !slices.Equal(got, scan) {
			if wrong++; wrong <= 5 {
				tb.Errorf("after %s: refs lists %v for %s, a scan of every Ret finds %v", after, got, id, scan)
			}
		}
	}
	if len(ids) < 20 {
		tb.Fatalf("after %s: only %d ListIDs to compare", after, len(ids))
	}
}

// modList sends a Mod of the list element id of type typ with the
// current EditSequence and body, and returns its Ret.
func modList(tb testing.TB, f *File, typ, id, body string) *qbxml.Node {
	tb.Helper()
	es := textAt(kid(ok(tb, f, `<`+typ+`QueryRq><ListID>`+id+`</ListID></`+typ+`QueryRq>`), typ+"Ret"), "EditSequence")
	return kid(ok(tb, f, `<`+typ+`ModRq><`+typ+`Mod><ListID>`+id+`</ListID><EditSequence>`+es+`</EditSequence>`+body+`</`+typ+`Mod></`+typ+`ModRq>`), typ+"Ret")
}

func TestRenamesMergesAndDeletesFindEveryRecordThatNamesTheElement(t *testing.T) {
	f := generated(t, smallCompany())
	wantRefsAsAScanFinds(t, f, "Generate")

	var parent string
	var loners []*qbxml.Node // customers without jobs or parent
	customers := kids(ok(t, f, `<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>`), "CustomerRet")
	hasJobs := map[string]bool{}
	for _, c := range customers {
		hasJobs[textAt(c, "ParentRef/ListID")] = true
	}
	for _, c := range customers {
		if p := textAt(c, "ParentRef/ListID"); p != "" && parent == "" {
			parent = p
		}
		if textAt(c, "ParentRef/ListID") == "" && !hasJobs[textAt(c, "ListID")] {
			loners = append(loners, c)
		}
	}
	if parent == "" || len(loners) < 2 {
		t.Fatalf("parent %q, %d customers without jobs", parent, len(loners))
	}
	item := kid(ok(t, f, `<ItemServiceQueryRq><MaxReturned>1</MaxReturned></ItemServiceQueryRq>`), "ItemServiceRet")
	itemID, accountID := textAt(item, "ListID"), textAt(item, "SalesOrPurchase/AccountRef/ListID")

	// Renames: a customer with jobs, an item, an account.
	modList(t, f, "Customer", parent, `<Name>Renamed Parent</Name>`)
	modList(t, f, "ItemService", itemID, `<Name>Renamed Service</Name>`)
	modList(t, f, "Account", accountID, `<Name>Renamed Income</Name>`)
	wantRefsAsAScanFinds(t, f, "renames")
	for _, inv := range kids(ok(t, f, `<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`), "InvoiceRet") {
		for _, l := range kids(inv, "InvoiceLineRet") {
			if textAt(l, "ItemRef/ListID") == itemID && textAt(l, "ItemRef/FullName") != "Renamed Service" {
				t.Errorf("invoice %s names the renamed item %q", textAt(inv, "RefNumber"), textAt(l, "ItemRef/FullName"))
			}
		}
	}

	// A merge: every record of the first customer names the second.
	from, to := loners[0], loners[1]
	ok(t, f, `<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom><ListID>`+textAt(from, "ListID")+`</ListID><EditSequence>`+textAt(from, "EditSequence")+`</EditSequence></MergeFrom>
		<MergeTo><ListID>`+textAt(to, "ListID")+`</ListID><EditSequence>`+textAt(to, "EditSequence")+`</EditSequence></MergeTo></ListMergeRq>`)
	wantRefsAsAScanFinds(t, f, "a merge")
	if n := len(kids(ok(t, f, `<InvoiceQueryRq><EntityFilter><ListID>`+textAt(to, "ListID")+`</ListID></EntityFilter></InvoiceQueryRq>`), "InvoiceRet")); n == 0 {
		t.Errorf("no invoice of the customer merged into")
	}

	// Deletes and voids: a used item cannot be deleted, an unused one can.
	wantStatus(t, one(t, f, `<ListDelRq><ListDelType>ItemService</ListDelType><ListID>`+itemID+`</ListID></ListDelRq>`), strconv.Itoa(stCannotDelete))
	spare := textAt(ok(t, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Spare</Name><SalesOrPurchase><Price>1</Price><AccountRef><ListID>`+accountID+`</ListID></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`), "ItemServiceRet/ListID")
	ok(t, f, `<ListDelRq><ListDelType>ItemService</ListDelType><ListID>`+spare+`</ListID></ListDelRq>`)
	var open []string
	for _, inv := range kids(ok(t, f, `<InvoiceQueryRq><PaidStatus>NotPaidOnly</PaidStatus></InvoiceQueryRq>`), "InvoiceRet") {
		if textAt(inv, "AppliedAmount") == "0.00" {
			open = append(open, textAt(inv, "TxnID"))
		}
	}
	if len(open) < 2 {
		t.Fatalf("%d invoices with nothing applied", len(open))
	}
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+open[0]+`</TxnID></TxnDelRq>`)
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+open[1]+`</TxnID></TxnVoidRq>`)
	wantRefsAsAScanFinds(t, f, "deletes and a void")

	// A new transaction, and one that now names other elements.
	ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>`+textAt(to, "ListID")+`</ListID></CustomerRef>
		<InvoiceLineAdd><ItemRef><ListID>`+itemID+`</ListID></ItemRef><Quantity>1</Quantity><Rate>5</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`)
	inv := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+open[1]+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	ok(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+open[1]+`</TxnID><EditSequence>`+textAt(inv, "EditSequence")+`</EditSequence>
		<CustomerRef><ListID>`+textAt(to, "ListID")+`</ListID></CustomerRef>
		<InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><ListID>`+itemID+`</ListID></ItemRef><Quantity>1</Quantity><Rate>5</Rate></InvoiceLineMod></InvoiceMod></InvoiceModRq>`)
	wantRefsAsAScanFinds(t, f, "an InvoiceAdd and an InvoiceMod")
}

// A company file that an earlier simulator wrote, before refs or after
// (one that knows nothing of refs, as raw SQL does here), renames and
// refuses deletes as before: what it wrote is indexed when the file is
// opened, or when a rename or a delete next reads refs.
func TestACompanyFileWrittenByAnEarlierSimulatorRenamesAndRefusesDeletesAsBefore(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	invID := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID")
	for _, drop := range []string{`DROP TRIGGER objects_refs_insert`, `DROP TRIGGER objects_refs_update`, `DROP TRIGGER objects_refs_delete`, `DROP TABLE refs_stale`} {
		if _, err := f.db.Exec(drop); err != nil {
			t.Fatal(err)
		}
	}
	f = reopenWithout(t, f, "refs")
	wantRefsAsAScanFinds(t, f, "opening a file written before refs")
	renameCustomer(t, f, "Acme Corp", "Acme Holdings")
	if got := textAt(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID></InvoiceQueryRq>`), "InvoiceRet/CustomerRef/FullName"); got != "Acme Holdings" {
		t.Errorf("invoice CustomerRef after a rename in an upgraded file: %q", got)
	}

	// Written behind the processor's back: the invoice's Widget line now
	// names a new item, Gadget.
	gadget := textAt(ok(t, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Gadget</Name><SalesOrPurchase><Price>20</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`), "ItemServiceRet/ListID")
	widget := textAt(ok(t, f, `<ItemNonInventoryQueryRq><FullName>Widget</FullName></ItemNonInventoryQueryRq>`), "ItemNonInventoryRet/ListID")
	rewrite := func() {
		t.Helper()
		o, err := getObjectByID(t.Context(), f.db, invID)
		if err != nil {
			t.Fatal(err)
		}
		ret := bytes.Replace(o.ret, []byte("<ListID>"+widget+"</ListID><FullName>Widget</FullName>"), []byte("<ListID>"+gadget+"</ListID><FullName>Gadget</FullName>"), 1)
		if bytes.Equal(ret, o.ret) {
			t.Fatal("no Widget line to rewrite")
		}
		if _, err := f.db.Exec(`UPDATE objects SET ret = ? WHERE seq = ?`, ret, o.seq); err != nil {
			t.Fatal(err)
		}
	}
	rewrite()
	wantStatus(t, one(t, f, `<ListDelRq><ListDelType>ItemService</ListDelType><ListID>`+gadget+`</ListID></ListDelRq>`), strconv.Itoa(stCannotDelete))

	modList(t, f, "ItemService", gadget, `<Name>Gizmo</Name>`)
	var items []string
	for _, l := range kids(kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+invID+`</TxnID><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`), "InvoiceRet"), "InvoiceLineRet") {
		items = append(items, textAt(l, "ItemRef/FullName"))
	}
	if !slices.Equal(items, []string{"Consulting", "Gizmo"}) {
		t.Errorf("invoice items after renaming the item an earlier simulator wrote in: %q, want [Consulting Gizmo]", items)
	}
	wantRefsAsAScanFinds(t, f, "a rename")

	// Written while the file was closed, then opened again.
	modList(t, f, "ItemService", gadget, `<Name>Gadget</Name>`)
	o, err := getObjectByID(t.Context(), f.db, invID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`UPDATE objects SET ret = ? WHERE seq = ?`, bytes.Replace(o.ret, []byte("<ListID>"+gadget+"</ListID><FullName>Gadget</FullName>"),
		[]byte("<ListID>"+widget+"</ListID><FullName>Widget</FullName>"), 1), o.seq); err != nil {
		t.Fatal(err)
	}
	f = reopen(t, f)
	wantRefsAsAScanFinds(t, f, "opening a file written behind the processor's back")
	ok(t, f, `<ListDelRq><ListDelType>ItemService</ListDelType><ListID>`+gadget+`</ListID></ListDelRq>`)
}
