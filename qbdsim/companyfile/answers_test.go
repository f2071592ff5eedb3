package companyfile

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/qbxml"
)

// metaData="MetaDataOnly" answers how many records the query matches,
// in retCount, and none of the records.
func TestMetaDataOnlyReturnsTheCountOnly(t *testing.T) {
	f, _ := newTestFile(t)
	rs := ok(t, f, `<PaymentMethodQueryRq metaData="MetaDataOnly"/>`)
	if attrValue(rs, "retCount") != "8" || len(rs.Children) != 0 {
		t.Errorf("MetaDataOnly: retCount %q and %d records, want 8 and none", attrValue(rs, "retCount"), len(rs.Children))
	}
	if n := len(ok(t, f, `<PaymentMethodQueryRq metaData="MetaDataAndResponseData"/>`).Children); n != 8 {
		t.Errorf("MetaDataAndResponseData: %d records, want 8", n)
	}
}

// responseData="includeNone" on the message set: each request's status,
// none of its data; the write still happens.
func TestResponseDataIncludeNoneReturnsStatusOnly(t *testing.T) {
	f, _ := newTestFile(t)
	rs := runAs(t, f, testSession, `onError="stopOnError" responseData="includeNone"`,
		`<CustomerAddRq><CustomerAdd><Name>Quiet</Name></CustomerAdd></CustomerAddRq><TermsQueryRq/>`)
	for _, r := range rs.Children {
		if attrValue(r, "statusCode") != "0" || len(r.Children) != 0 {
			t.Errorf("%s: status %s with %d children, want 0 and none", r.Name, attrValue(r, "statusCode"), len(r.Children))
		}
	}
	ok(t, f, `<CustomerQueryRq><FullName>Quiet</FullName></CustomerQueryRq>`)
}

// retCount is written where the schema declares it (list and transaction
// queries), not on AccountTaxLineInfoQueryRs or CompanyQueryRs, and only
// when metaData asks for the count: "(The default is that no count is
// returned.)" (Intuit's reference of metaData); the query responses
// captured from QuickBooks carry none (Intuit's iterator example,
// consolibyte/quickbooks-php#92).
func TestRetCountOnlyWhereQuickBooksWritesIt(t *testing.T) {
	f, _ := newTestFile(t)
	for q, want := range map[string]bool{`<TermsQueryRq metaData="MetaDataAndResponseData"/>`: true, `<TermsQueryRq/>`: false,
		`<TermsQueryRq metaData="NoMetaData"/>`: false, `<AccountTaxLineInfoQueryRq/>`: false, `<CompanyQueryRq/>`: false} {
		rs := ok(t, f, q)
		if _, has := rs.Attr("retCount"); has != want {
			t.Errorf("%s: retCount present %v, want %v", rs.Name, has, want)
		}
	}
}

// Asking for several ListIDs or FullNames of which some do not exist
// returns the others with status 500 (Warn), "One or more objects cannot
// be found", naming a missing one; none found is 500 too (Intuit's status
// code table; consolibyte's "Querying for a Customer by Name").
func TestQueryForSomeMissingNamesWarns500(t *testing.T) {
	f, _ := newTestFile(t)
	rs := one(t, f, `<TermsQueryRq><FullName>Net 30</FullName><FullName>Net 999</FullName><FullName>net 15</FullName></TermsQueryRq>`)
	wantStatus(t, rs, "500")
	var names []string
	for _, r := range rs.Children {
		names = append(names, textAt(r, "Name"))
	}
	if diff := cmp.Diff([]string{"Net 15", "Net 30"}, names); diff != "" || attrValue(rs, "statusSeverity") != "Warn" || !strings.Contains(attrValue(rs, "statusMessage"), `"Net 999"`) {
		t.Errorf("found %v (diff %s), severity %q, message %q", names, diff, attrValue(rs, "statusSeverity"), attrValue(rs, "statusMessage"))
	}
	id := textAt(rs, "StandardTermsRet/ListID")
	rs = one(t, f, `<StandardTermsQueryRq><ListID>`+id+`</ListID><ListID>80FFFFFF-1700000000</ListID></StandardTermsQueryRq>`)
	wantStatus(t, rs, "500")
	if len(rs.Children) != 1 {
		t.Errorf("by ListID: %d records, want the 1 found", len(rs.Children))
	}
	wantStatus(t, one(t, f, `<TermsQueryRq><FullName>Net 30</FullName></TermsQueryRq>`), "0")
}

// A date range whose start is after its end is status 3030, "Invalid date
// range: From date is greater than To date." (Intuit's statusCode table,
// read in AmigoPOS's verbatim copy, amigopos.com/help7/html/
// qbi_status_codes.htm), for modified dates, transaction dates and
// deleted dates alike; a range of one day is no error.
func TestDateRangeStartingAfterItsEndIsAnError(t *testing.T) {
	f, _ := newTestFile(t)
	for _, q := range []string{
		`<InvoiceQueryRq><ModifiedDateRangeFilter><FromModifiedDate>2025-03-01</FromModifiedDate><ToModifiedDate>2025-01-01</ToModifiedDate></ModifiedDateRangeFilter></InvoiceQueryRq>`,
		`<InvoiceQueryRq><TxnDateRangeFilter><FromTxnDate>2025-03-01</FromTxnDate><ToTxnDate>2025-01-01</ToTxnDate></TxnDateRangeFilter></InvoiceQueryRq>`,
		`<CustomerQueryRq><FromModifiedDate>2025-03-01</FromModifiedDate><ToModifiedDate>2025-01-01</ToModifiedDate></CustomerQueryRq>`,
		`<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType><DeletedDateRangeFilter><FromDeletedDate>2025-03-01</FromDeletedDate><ToDeletedDate>2025-01-01</ToDeletedDate></DeletedDateRangeFilter></TxnDeletedQueryRq>`,
	} {
		rs := one(t, f, q)
		wantStatus(t, rs, "3030")
		if got, want := attrValue(rs, "statusMessage"), "Invalid date range: From date is greater than To date."; got != want {
			t.Errorf("message %q, want %q", got, want)
		}
	}
	wantStatus(t, one(t, f, `<CustomerQueryRq><FromModifiedDate>2025-01-01</FromModifiedDate><ToModifiedDate>2025-01-01</ToModifiedDate></CustomerQueryRq>`), "1")
}

// A status check (oldMessageSetID and no request) for a message set
// QuickBooks never kept answers messageSetStatusCode 600 and keeps
// nothing, not even under the newMessageSetID sent with it: a write sent
// later under that ID runs.
func TestStatusCheckOfAnUnknownMessageSetStoresNothing(t *testing.T) {
	f, _ := newTestFile(t)
	check := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="lost-1" newMessageSetID="next-1"`, ``)
	if attrValue(check, "messageSetStatusCode") != "600" {
		t.Errorf("status check of an unknown set: messageSetStatusCode %q, want 600", attrValue(check, "messageSetStatusCode"))
	}
	ok := runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="next-1"`, `<CustomerAddRq><CustomerAdd><Name>Runs</Name></CustomerAdd></CustomerAddRq>`)
	if len(ok.Children) != 1 || attrValue(ok.Children[0], "statusCode") != "0" {
		t.Fatalf("the write under the checked ID did not run: %s", marshalNode(ok))
	}
	wantStatus(t, one(t, f, `<CustomerQueryRq><FullName>Runs</FullName></CustomerQueryRq>`), "0")
}

// oldMessageSetID without newMessageSetID hands back the kept response and
// clears it, as Intuit's error recovery describes: asked again, QuickBooks
// has no state to return (600).
func TestOldMessageSetIDAloneClearsTheKeptResponse(t *testing.T) {
	f, _ := newTestFile(t)
	runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="set-9"`, `<CustomerAddRq><CustomerAdd><Name>Once</Name></CustomerAdd></CustomerAddRq>`)
	first := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="set-9"`, ``)
	if textAt(first, "CustomerAddRs/CustomerRet/Name") != "Once" {
		t.Fatalf("the kept response was not returned: %s", marshalNode(first))
	}
	again := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="set-9"`, ``)
	if attrValue(again, "messageSetStatusCode") != "600" {
		t.Errorf("after clearing: messageSetStatusCode %q, want 600", attrValue(again, "messageSetStatusCode"))
	}
	runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="set-10"`, `<TermsQueryRq/>`)
	runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="ClearAllMessageSets"`, ``)
	if n := countRows(t, f, `SELECT COUNT(*) FROM message_sets`); n != 0 {
		t.Errorf("ClearAllMessageSets left %d message sets", n)
	}
}

func countRows(tb testing.TB, f *File, q string) int {
	tb.Helper()
	var n int
	if err := f.db.QueryRow(q).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// OwnerID is a GUID QuickBooks matches without regard to case and keeps
// upper-case.
func TestOwnerIDIsMatchedWithoutRegardToCaseAndKeptUpperCase(t *testing.T) {
	f, _ := newTestFile(t)
	lower, upper := "{6b063959-81b0-4f6b-a1e4-3c0d4d1c8b1f}", "{6B063959-81B0-4F6B-A1E4-3C0D4D1C8B1F}"
	def := kid(ok(t, f, `<DataExtDefAddRq><DataExtDefAdd><OwnerID>`+lower+`</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType><AssignToObject>Company</AssignToObject></DataExtDefAdd></DataExtDefAddRq>`), "DataExtDefRet")
	if got := textAt(def, "OwnerID"); got != upper {
		t.Errorf("stored OwnerID %q, want %q", got, upper)
	}
	ok(t, f, `<DataExtAddRq><DataExtAdd><OwnerID>`+upper+`</OwnerID><DataExtName>FileID</DataExtName><OtherDataExtType>Company</OtherDataExtType><DataExtValue>v</DataExtValue></DataExtAdd></DataExtAddRq>`)
	if got := textAt(ok(t, f, `<CompanyQueryRq><OwnerID>`+lower+`</OwnerID></CompanyQueryRq>`), "CompanyRet/DataExtRet/DataExtValue"); got != "v" {
		t.Errorf("DataExt asked for with the lower-case OwnerID: %q", got)
	}
}

// A request whose <?qbxml version?> QuickBooks does not support fails
// with ErrVersion (the simulator's HRESULT 0x80040423); a supported older
// version is processed, and HostQuery lists the supported versions.
func TestQBXMLVersionIsHonoured(t *testing.T) {
	f, _ := newTestFile(t)
	doc := func(v string) []byte {
		return []byte(`<?xml version="1.0"?><?qbxml version="` + v + `"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq/></QBXMLMsgsRq></QBXML>`)
	}
	if _, err := f.Process(context.Background(), doc("99.0"), testSession); !errors.Is(err, ErrVersion) {
		t.Errorf("version 99.0: err = %v, want ErrVersion", err)
	}
	resp, err := f.Process(context.Background(), doc("8.0"), testSession)
	if err != nil {
		t.Fatalf("version 8.0: %v", err)
	}
	keepResponse(t, resp)
	if !strings.Contains(string(resp), "<SupportedQBXMLVersion>13.0</SupportedQBXMLVersion>") || !strings.Contains(string(resp), "<SupportedQBXMLVersion>8.0</SupportedQBXMLVersion>") {
		t.Errorf("HostQuery does not list the supported versions:\n%s", resp)
	}
}

// ListIDs and TxnIDs have QuickBooks' shape: a hexadecimal sequence, a
// dash, and the creation time in Unix seconds.
func TestIDsHaveQuickBooksShape(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	created, err := parseQBDateTime(textAt(inv, "TimeCreated"), time.Local, false)
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^[0-9A-F]+-(\d+)$`)
	for _, id := range []string{textAt(inv, "TxnID"), textAt(kids(inv, "InvoiceLineRet")[0], "TxnLineID")} {
		m := shape.FindStringSubmatch(id)
		if m == nil || m[1] != strconv.FormatInt(created.Unix(), 10) {
			t.Errorf("ID %q is not <hex>-<creation unix seconds %d>", id, created.Unix())
		}
	}
	if !shape.MatchString(textAt(inv, "CustomerRef/ListID")) {
		t.Errorf("ListID %q is not <hex>-<unix seconds>", textAt(inv, "CustomerRef/ListID"))
	}
}

// References to the lists a new company has (ship methods, payment
// methods, terms, sales reps, price levels, templates) are checked: an
// unknown one is 3140 and adds nothing.
func TestUnknownListReferencesAre3140(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	for _, ref := range []string{"ShipMethodRef", "TermsRef", "SalesRepRef", "TemplateRef"} {
		req := strings.Replace(invoiceAdd, `<TxnDate>`, `<`+ref+`><FullName>Nope</FullName></`+ref+`><TxnDate>`, 1)
		if ref == "TermsRef" {
			req = strings.Replace(invoiceAdd, `<FullName>Net 30</FullName>`, `<FullName>Nope</FullName>`, 1)
		}
		if ref == "ShipMethodRef" || ref == "SalesRepRef" {
			// Both come after the terms in InvoiceAdd.
			req = strings.Replace(invoiceAdd, `<ItemSalesTaxRef>`, `<`+ref+`><FullName>Nope</FullName></`+ref+`><ItemSalesTaxRef>`, 1)
		}
		wantStatus(t, one(t, f, req), "3140")
	}
	wantStatus(t, one(t, f, `<InvoiceQueryRq/>`), "1")
	// A sales tax item's agency must be a vendor.
	wantStatus(t, one(t, f, `<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>County</Name><TaxRate>1</TaxRate><TaxVendorRef><FullName>Nope</FullName></TaxVendorRef></ItemSalesTaxAdd></ItemSalesTaxAddRq>`), "3140")
	wantStatus(t, one(t, f, `<ItemSalesTaxAddRq><ItemSalesTaxAdd><Name>County</Name><TaxRate>1</TaxRate><TaxVendorRef><FullName>Acme Corp</FullName></TaxVendorRef></ItemSalesTaxAdd></ItemSalesTaxAddRq>`), "3140")
}

// List queries return elements by full name, without regard to case, each
// parent followed by its sub-elements, as QuickBooks lists them; an
// iterator's pages follow the same order.
func TestListQueriesComeInQuickBooksOrder(t *testing.T) {
	f, _ := newTestFile(t)
	for _, n := range []string{"Zed Cafe", "acme builders", "Acme"} {
		ok(t, f, `<CustomerAddRq><CustomerAdd><Name>`+n+`</Name></CustomerAdd></CustomerAddRq>`)
	}
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Job 1</Name><ParentRef><FullName>Acme</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	want := []string{"Acme", "Acme:Job 1", "acme builders", "Zed Cafe"}
	names := func(rs []*qbxml.Node) []string {
		var out []string
		for _, r := range rs {
			out = append(out, textAt(r, "FullName"))
		}
		return out
	}
	if diff := cmp.Diff(want, names(ok(t, f, `<CustomerQueryRq/>`).Children)); diff != "" {
		t.Errorf("CustomerQuery order (-want +got):\n%s", diff)
	}
	first := ok(t, f, `<CustomerQueryRq iterator="Start"><MaxReturned>3</MaxReturned></CustomerQueryRq>`)
	next := ok(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="`+attrValue(first, "iteratorID")+`"><MaxReturned>3</MaxReturned></CustomerQueryRq>`)
	if diff := cmp.Diff(want, append(names(first.Children), names(next.Children)...)); diff != "" {
		t.Errorf("iterator pages (-want +got):\n%s", diff)
	}
}

// Rets carry what QuickBooks fills when the Add leaves it out: the
// customer's addresses on its forms, address blocks, Is* flags, the default form template, inventory quantities and
// average cost, each line's sales tax code (from its item) and, on sales
// orders, what was invoiced; all in schema order (the responses are
// validated against Intuit's schema).
func TestRetsCarryWhatQuickBooksFills(t *testing.T) {
	f, _ := newTestFile(t)
	cust := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name><BillAddress><Addr1>1 Main St</Addr1><City>Springfield</City><State>IL</State><PostalCode>62701</PostalCode></BillAddress></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	if got := []string{textAt(cust, "BillAddressBlock/Addr1"), textAt(cust, "BillAddressBlock/Addr2"), textAt(cust, "IsStatementWithParent")}; !cmp.Equal(got, []string{"1 Main St", "Springfield, IL 62701", "false"}) {
		t.Errorf("CustomerRet BillAddressBlock, IsStatementWithParent = %q", got)
	}
	addCustomerAndItems2(t, f)
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<InvoiceLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>1</Quantity><Rate>20</Rate></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	got := []string{textAt(inv, "TemplateRef/FullName"), textAt(inv, "IsToBePrinted"), textAt(inv, "IsFinanceCharge"), textAt(inv, "BillAddressBlock/Addr1"), textAt(inv, "InvoiceLineRet/SalesTaxCodeRef/FullName")}
	if diff := cmp.Diff([]string{"Intuit Product Invoice", "false", "false", "1 Main St", "Tax"}, got); diff != "" {
		t.Errorf("InvoiceRet (-want +got):\n%s", diff)
	}
	so := kid(ok(t, f, `<SalesOrderAddRq><SalesOrderAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef>
		<SalesOrderLineAdd><ItemRef><FullName>Widget</FullName></ItemRef><Quantity>2</Quantity></SalesOrderLineAdd></SalesOrderAdd></SalesOrderAddRq>`), "SalesOrderRet")
	got = []string{textAt(so, "IsManuallyClosed"), textAt(so, "IsFullyInvoiced"), textAt(so, "SalesOrderLineRet/Invoiced"), textAt(so, "SalesOrderLineRet/IsManuallyClosed"), textAt(so, "TemplateRef/FullName")}
	if diff := cmp.Diff([]string{"false", "false", "0", "false", "Custom Sales Order"}, got); diff != "" {
		t.Errorf("SalesOrderRet (-want +got):\n%s", diff)
	}
	item := kid(ok(t, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>1.25</PurchaseCost>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef></ItemInventoryAdd></ItemInventoryAddRq>`), "ItemInventoryRet")
	got = []string{textAt(item, "QuantityOnHand"), textAt(item, "AverageCost"), textAt(item, "QuantityOnOrder"), textAt(item, "QuantityOnSalesOrder")}
	if diff := cmp.Diff([]string{"0", "1.25", "0", "0"}, got); diff != "" {
		t.Errorf("ItemInventoryRet (-want +got):\n%s", diff)
	}
}

// addCustomerAndItems2 adds the two items of addCustomerAndItems (the
// customer exists already).
func addCustomerAndItems2(tb testing.TB, f *File) {
	tb.Helper()
	ok(tb, f, `<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Widget</Name><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef><SalesOrPurchase><Price>20</Price><AccountRef><FullName>Product Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>`)
}

// PreferencesQuery reports multicurrency as the company has it.
func TestPreferencesReportMultiCurrency(t *testing.T) {
	f, _ := newTestFile(t)
	if got := textAt(ok(t, f, `<PreferencesQueryRq/>`), "PreferencesRet/MultiCurrencyPreferences/IsMultiCurrencyOn"); got != "false" {
		t.Errorf("new company: IsMultiCurrencyOn %q", got)
	}
	if err := f.SetFeature(FeatureMultiCurrency, true); err != nil {
		t.Fatal(err)
	}
	if got := textAt(ok(t, f, `<PreferencesQueryRq/>`), "PreferencesRet/MultiCurrencyPreferences/HomeCurrencyRef/FullName"); got != "US Dollar" {
		t.Errorf("with multicurrency: home currency %q", got)
	}
}
