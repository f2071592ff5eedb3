package companyfile

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/qbxml"
)

func addCustomers(tb testing.TB, f *File, n int) []string {
	tb.Helper()
	var body strings.Builder
	for i := 0; i < n; i++ {
		body.WriteString(`<CustomerAddRq requestID="` + strconv.Itoa(i) + `"><CustomerAdd><Name>Customer ` + strconv.Itoa(1000+i) + `</Name></CustomerAdd></CustomerAddRq>`)
	}
	rs := run(tb, f, body.String())
	var ids []string
	for _, r := range rs.Children {
		if attrValue(r, "statusCode") != "0" {
			tb.Fatalf("add: %s", attrValue(r, "statusMessage"))
		}
		ids = append(ids, textAt(r, "CustomerRet/ListID"))
	}
	return ids
}

func TestIteratorPagesThroughEveryRecordOnce(t *testing.T) {
	f, _ := newTestFile(t)
	want := addCustomers(t, f, 23)
	rs := ok(t, f, `<CustomerQueryRq iterator="Start"><MaxReturned>10</MaxReturned></CustomerQueryRq>`)
	var got []string
	var remaining []string
	for {
		for _, c := range kids(rs, "CustomerRet") {
			got = append(got, textAt(c, "ListID"))
		}
		remaining = append(remaining, attrValue(rs, "iteratorRemainingCount"))
		if attrValue(rs, "iteratorRemainingCount") == "0" {
			break
		}
		rs = ok(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="`+attrValue(rs, "iteratorID")+`"><MaxReturned>10</MaxReturned></CustomerQueryRq>`)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"13", "3", "0"}, remaining); diff != "" {
		t.Errorf("iteratorRemainingCount (-want +got):\n%s", diff)
	}
}

// An iterator belongs to the session that started it: "Iterators are only
// valid for the application that starts them, and they are only valid for
// the current QuickBooks session" (Intuit's reference of InvoiceQuery's
// iterator attribute, developer.intuit.com/app/developer/qbdesktop/docs/
// api-reference/qbdesktop/invoicequery); a Continue from another session
// or after the session ended is 3391, QuickBooks' status for an iteratorID
// it does not know (consolibyte/quickbooks-php#183). That an idle iterator
// expires after 20 minutes is unverified.
func TestIteratorIsScopedToSessionAndExpires(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomers(t, f, 5)
	rs := ok(t, f, `<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>`)
	id := attrValue(rs, "iteratorID")
	if !strings.HasPrefix(id, "{") || len(id) != 38 {
		t.Errorf("iteratorID %q is not a braced GUID", id)
	}
	cont := `<CustomerQueryRq iterator="Continue" iteratorID="` + id + `"><MaxReturned>2</MaxReturned></CustomerQueryRq>`
	other := testSession
	other.Ticket = "ticket-2"
	wantStatus(t, runAs(t, f, other, `onError="stopOnError"`, cont).Children[0], "3391")
	ok(t, f, cont)
	clock.Advance(21 * time.Minute)
	wantStatus(t, one(t, f, cont), "3391")

	rs = ok(t, f, `<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>`)
	f.EndSession(testSession.Ticket)
	wantStatus(t, one(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="`+attrValue(rs, "iteratorID")+`"/>`), "3391")
	wantStatus(t, one(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="{00000000-0000-0000-0000-000000000000}"/>`), "3391")
}

func TestRepeatedMessageSetReturnsStoredResponseAndChangesNothing(t *testing.T) {
	f, _ := newTestFile(t)
	body := `<CustomerAddRq requestID="1"><CustomerAdd><Name>Once Only</Name></CustomerAdd></CustomerAddRq>`
	first := runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="set-1"`, body)
	again := runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="set-1"`, body)
	if attrValue(first, "newMessageSetID") != "set-1" {
		t.Errorf("newMessageSetID not echoed")
	}
	if diff := cmp.Diff(marshalNode(first), marshalNode(again)); diff != "" {
		t.Errorf("repeat differs (-first +again):\n%s", diff)
	}
	if n, _ := f.Count(context.Background(), "Customer"); n != 1 {
		t.Errorf("%d customers after a repeated message set, want 1", n)
	}
	// Asking for the status of the last message set returns it too.
	status := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="set-1"`, ``)
	if textAt(status, "CustomerAddRs/CustomerRet/ListID") != textAt(first, "CustomerAddRs/CustomerRet/ListID") {
		t.Errorf("oldMessageSetID did not return the stored response")
	}
	unknown := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="never"`, ``)
	if attrValue(unknown, "messageSetStatusCode") != "600" {
		t.Errorf("unknown message set: messageSetStatusCode %q", attrValue(unknown, "messageSetStatusCode"))
	}
}

// With stopOnError, the requests after the first error are not run, and
// each is answered with status 3231, "The request has not been
// processed." (a SalesOrderAddRs QuickBooks returned after a failed one in
// the same message set, quoted in flowlink/quickbooks_desktop_integration,
// lib/qbwc/response/sales_order_add_rs.rb); with continueOnError they run.
func TestOnErrorStopsOrContinues(t *testing.T) {
	f, _ := newTestFile(t)
	body := `<CustomerAddRq requestID="a"><CustomerAdd><Name>Dup</Name></CustomerAdd></CustomerAddRq>` +
		`<CustomerAddRq requestID="b"><CustomerAdd><Name>Dup</Name></CustomerAdd></CustomerAddRq>` +
		`<CustomerAddRq requestID="c"><CustomerAdd><Name>After</Name></CustomerAdd></CustomerAddRq>`
	answers := func(rs *qbxml.Node) []string {
		var out []string
		for _, k := range rs.Children {
			out = append(out, k.Name+" "+attrValue(k, "requestID")+":"+attrValue(k, "statusCode")+" "+attrValue(k, "statusSeverity")+" "+attrValue(k, "statusMessage"))
		}
		return out
	}
	rs := runAs(t, f, testSession, `onError="stopOnError"`, body)
	want := []string{"CustomerAddRs a:0 Info Status OK", "CustomerAddRs b:3100 Error The name \"Dup\" of the list element is already in use.",
		"CustomerAddRs c:3231 Error The request has not been processed."}
	if diff := cmp.Diff(want, answers(rs)); diff != "" {
		t.Errorf("stopOnError (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, `<CustomerQueryRq><FullName>After</FullName></CustomerQueryRq>`), "500")
	rs = runAs(t, f, testSession, `onError="continueOnError"`, strings.ReplaceAll(body, "Dup", "Dup2"))
	var codes []string
	for _, k := range rs.Children {
		codes = append(codes, attrValue(k, "requestID")+":"+attrValue(k, "statusCode"))
	}
	if diff := cmp.Diff([]string{"a:0", "b:3100", "c:0"}, codes); diff != "" {
		t.Errorf("continueOnError (-want +got):\n%s", diff)
	}
}

// A read-only application's write answers 3263, "read_only_access"
// (QUBESYNC-CODES in statuscodes_test.go); its reads are answered.
func TestReadOnlyApplicationCannotWrite(t *testing.T) {
	f, _ := newTestFile(t)
	ro := testSession
	ro.Access.IsReadOnly = true
	rs := runAs(t, f, ro, `onError="continueOnError"`, `<CustomerAddRq><CustomerAdd><Name>Nope</Name></CustomerAdd></CustomerAddRq><CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq>`)
	wantStatus(t, rs.Children[0], "3263")
	wantStatus(t, rs.Children[1], "1")
}

// A company without payroll answers a payroll request with status 3250,
// "This feature is not enabled or not available in this version of
// QuickBooks." (Intuit's status code table); once payroll is switched on
// the same request is answered.
func TestRequestForAFeatureTheCompanyLacksAnswers3250(t *testing.T) {
	f, _ := newTestFile(t)
	rs := one(t, f, `<PayrollItemWageQueryRq requestID="9"/>`)
	wantStatus(t, rs, "3250")
	if attrValue(rs, "requestID") != "9" || attrValue(rs, "statusSeverity") != "Error" || rs.Name != "PayrollItemWageQueryRs" {
		t.Errorf("response %s requestID %q severity %q", rs.Name, attrValue(rs, "requestID"), attrValue(rs, "statusSeverity"))
	}
	if err := f.SetFeature(FeaturePayroll, true); err != nil {
		t.Fatal(err)
	}
	ok(t, f, `<PayrollItemWageAddRq><PayrollItemWageAdd><Name>Hourly</Name><WageType>HourlyRegular</WageType>
		<ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef></PayrollItemWageAdd></PayrollItemWageAddRq>`)
	if got := textAt(ok(t, f, `<PayrollItemWageQueryRq/>`), "PayrollItemWageRet/Name"); got != "Hourly" {
		t.Errorf("PayrollItemWageQuery after the add: %q", got)
	}
}

func TestListDelAndListDeletedQuery(t *testing.T) {
	f, _ := newTestFile(t)
	ids := addCustomers(t, f, 2)
	rs := ok(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+ids[0]+`</ListID></ListDelRq>`)
	if textAt(rs, "FullName") != "Customer 1000" {
		t.Errorf("ListDelRs FullName %q", textAt(rs, "FullName"))
	}
	wantStatus(t, one(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+ids[0]+`</ListID></ListDelRq>`), "3120") // deleted already: an ID QuickBooks no longer holds (statuscodes_test.go)
	q := ok(t, f, `<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>`)
	if textAt(q, "ListDeletedRet/ListID") != ids[0] || len(kids(q, "ListDeletedRet")) != 1 {
		t.Errorf("ListDeletedQuery: %q", textAt(q, "ListDeletedRet/ListID"))
	}
	// A customer with transactions cannot be deleted (3160: QUBESYNC-CODES
	// in statuscodes_test.go).
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	wantStatus(t, one(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+textAt(inv, "CustomerRef/ListID")+`</ListID></ListDelRq>`), "3160")
}

func TestVoidZeroesTransactionAndRestoresBalance(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+textAt(inv, "TxnID")+`</TxnID></TxnVoidRq>`)
	v := kid(ok(t, f, `<InvoiceQueryRq><TxnID>`+textAt(inv, "TxnID")+`</TxnID></InvoiceQueryRq>`), "InvoiceRet")
	if textAt(v, "BalanceRemaining") != "0.00" || !strings.HasPrefix(textAt(v, "Memo"), "VOID") {
		t.Errorf("voided invoice balance %s memo %q", textAt(v, "BalanceRemaining"), textAt(v, "Memo"))
	}
	c := kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet")
	if textAt(c, "Balance") != "0.00" {
		t.Errorf("customer balance after void %s", textAt(c, "Balance"))
	}
}

// A transaction dated on or before the closing date can be neither added,
// modified (3171) nor deleted (3161); the codes and their sources are in
// TestRefusedChangesAnswerQuickBooksStatus.
func TestClosingDateProtectsOldTransactions(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	if err := f.SetClosingDate("2025-03-31"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, one(t, f, invoiceAdd), "3171")
	wantStatus(t, one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+textAt(inv, "TxnID")+`</TxnID><EditSequence>`+textAt(inv, "EditSequence")+`</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>`), "3171")
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+textAt(inv, "TxnID")+`</TxnID></TxnDelRq>`), "3161")
	ok(t, f, strings.Replace(invoiceAdd, "2025-03-01", "2025-04-02", 1))
}

func TestFiltersSelectRecords(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomers(t, f, 3)
	clock.Advance(time.Hour)
	mark := clock.now.Format("2006-01-02T15:04:05")
	clock.Advance(time.Minute)
	ids := addCustomers(t, f, 0)
	_ = ids
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Zed Late</Name><IsActive>false</IsActive></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Amy Late</Name></CustomerAdd></CustomerAddRq>`)
	names := func(rs *qbxml.Node) []string {
		var out []string
		for _, c := range kids(rs, "CustomerRet") {
			out = append(out, textAt(c, "Name"))
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		{`<ActiveStatus>All</ActiveStatus><FromModifiedDate>` + mark + `</FromModifiedDate>`, []string{"Amy Late", "Zed Late"}},
		{`<FromModifiedDate>` + mark + `</FromModifiedDate>`, []string{"Amy Late"}},
		{`<ActiveStatus>InactiveOnly</ActiveStatus>`, []string{"Zed Late"}},
		{`<ToModifiedDate>` + mark + `</ToModifiedDate>`, []string{"Customer 1000", "Customer 1001", "Customer 1002"}},
		{`<NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>customer 100</Name></NameFilter>`, []string{"Customer 1000", "Customer 1001", "Customer 1002"}},
		{`<NameFilter><MatchCriterion>EndsWith</MatchCriterion><Name>late</Name></NameFilter>`, []string{"Amy Late"}},
		{`<NameRangeFilter><FromName>B</FromName><ToName>Customer 1001</ToName></NameRangeFilter>`, []string{"Customer 1000", "Customer 1001"}},
		{`<MaxReturned>2</MaxReturned>`, []string{"Amy Late", "Customer 1000"}}, // by name, as QuickBooks lists them
	}
	for _, c := range cases {
		got := names(one(t, f, `<CustomerQueryRq>`+c.query+`</CustomerQueryRq>`))
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.query, diff)
		}
	}
}

func TestTransactionFilters(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Other</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, invoiceAdd)
	ok(t, f, strings.Replace(invoiceAdd, "2025-03-01", "2025-01-15", 1))
	ok(t, f, strings.Replace(strings.Replace(invoiceAdd, "Acme Corp", "Other", 1), "2025-03-01", "2025-02-10", 1))
	refs := func(q string) []string {
		var out []string
		for _, i := range kids(one(t, f, `<InvoiceQueryRq>`+q+`</InvoiceQueryRq>`), "InvoiceRet") {
			out = append(out, textAt(i, "RefNumber"))
		}
		return out
	}
	cases := map[string][]string{
		`<TxnDateRangeFilter><FromTxnDate>2025-02-01</FromTxnDate><ToTxnDate>2025-03-01</ToTxnDate></TxnDateRangeFilter>`: {"1", "3"},
		`<EntityFilter><FullName>Other</FullName></EntityFilter>`:                                                         {"3"},
		`<RefNumberRangeFilter><FromRefNumber>2</FromRefNumber><ToRefNumber>3</ToRefNumber></RefNumberRangeFilter>`:       {"2", "3"},
		`<RefNumberFilter><MatchCriterion>Contains</MatchCriterion><RefNumber>2</RefNumber></RefNumberFilter>`:            {"2"},
		`<PaidStatus>NotPaidOnly</PaidStatus>`:                                                                            {"1", "2", "3"},
	}
	for q, want := range cases {
		if diff := cmp.Diff(want, refs(q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q, diff)
		}
	}
	rs := ok(t, f, `<InvoiceQueryRq><RefNumber>2</RefNumber><IncludeLineItems>true</IncludeLineItems></InvoiceQueryRq>`)
	if len(kids(kid(rs, "InvoiceRet"), "InvoiceLineRet")) != 2 {
		t.Error("IncludeLineItems returned no lines")
	}
}

func TestDataExtStampsCompanyAndObjects(t *testing.T) {
	f, _ := newTestFile(t)
	owner := "{6B063959-81B0-4F6B-A1E4-3C0D4D1C8B1F}"
	ok(t, f, `<DataExtDefAddRq><DataExtDefAdd><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType><AssignToObject>Company</AssignToObject></DataExtDefAdd></DataExtDefAddRq>`)
	wantStatus(t, one(t, f, `<DataExtDefAddRq><DataExtDefAdd><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><DataExtType>STR255TYPE</DataExtType></DataExtDefAdd></DataExtDefAddRq>`), "3100")
	ok(t, f, `<DataExtAddRq><DataExtAdd><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><OtherDataExtType>Company</OtherDataExtType><DataExtValue>{abc}</DataExtValue></DataExtAdd></DataExtAddRq>`)
	rs := ok(t, f, `<CompanyQueryRq><OwnerID>`+owner+`</OwnerID></CompanyQueryRq>`)
	if got := textAt(rs, "CompanyRet/DataExtRet/DataExtValue"); got != "{abc}" {
		t.Errorf("company DataExt %q", got)
	}
	if kid(kid(ok(t, f, `<CompanyQueryRq/>`), "CompanyRet"), "DataExtRet") != nil {
		t.Error("DataExtRet returned without OwnerID")
	}
	ok(t, f, `<DataExtModRq><DataExtMod><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><OtherDataExtType>Company</OtherDataExtType><DataExtValue>{def}</DataExtValue></DataExtMod></DataExtModRq>`)
	if got := textAt(ok(t, f, `<CompanyQueryRq><OwnerID>`+owner+`</OwnerID></CompanyQueryRq>`), "CompanyRet/DataExtRet/DataExtValue"); got != "{def}" {
		t.Errorf("after mod %q", got)
	}
	// Custom fields on a customer.
	ok(t, f, `<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Region</DataExtName><DataExtType>STR255TYPE</DataExtType><AssignToObject>Customer</AssignToObject></DataExtDefAdd></DataExtDefAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Stamped</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<DataExtAddRq><DataExtAdd><OwnerID>0</OwnerID><DataExtName>Region</DataExtName><ListDataExtType>Customer</ListDataExtType><ListObjRef><FullName>Stamped</FullName></ListObjRef><DataExtValue>North</DataExtValue></DataExtAdd></DataExtAddRq>`)
	c := kid(ok(t, f, `<CustomerQueryRq><FullName>Stamped</FullName><OwnerID>0</OwnerID></CustomerQueryRq>`), "CustomerRet")
	if textAt(c, "DataExtRet/DataExtValue") != "North" {
		t.Errorf("customer DataExt %q", textAt(c, "DataExtRet/DataExtValue"))
	}
	defs := ok(t, f, `<DataExtDefQueryRq><OwnerID>`+owner+`</OwnerID></DataExtDefQueryRq>`)
	if textAt(defs, "DataExtDefRet/DataExtName") != "FileID" {
		t.Errorf("DataExtDefQuery %q", textAt(defs, "DataExtDefRet/DataExtName"))
	}
	ok(t, f, `<DataExtDelRq><DataExtDel><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><OtherDataExtType>Company</OtherDataExtType></DataExtDel></DataExtDelRq>`)
	if kid(kid(ok(t, f, `<CompanyQueryRq><OwnerID>`+owner+`</OwnerID></CompanyQueryRq>`), "CompanyRet"), "DataExtRet") != nil {
		t.Error("DataExt still there after DataExtDel")
	}
}

func TestISO88591TextRoundTrips(t *testing.T) {
	f, _ := newTestFile(t)
	req := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><QBXML><QBXMLMsgsRq onError=\"stopOnError\"><CustomerAddRq><CustomerAdd><Name>Caf\xe9 M\xfcller</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
	resp, err := f.Process(context.Background(), []byte(req), testSession)
	if err != nil {
		t.Fatal(err)
	}
	keepResponse(t, resp)
	if !strings.Contains(string(resp), "Caf&#233; M&#252;ller") {
		t.Errorf("response does not carry the name as character references:\n%s", resp)
	}
	rs := ok(t, f, `<CustomerQueryRq><FullName>Café Müller</FullName></CustomerQueryRq>`)
	if textAt(rs, "CustomerRet/Name") != "Café Müller" {
		t.Errorf("name %q", textAt(rs, "CustomerRet/Name"))
	}
}

func TestLatencyDelaysResponsesAndHonoursCancel(t *testing.T) {
	f, _ := newTestFile(t)
	f.SetLatency(Latency{PerRequest: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.Process(ctx, []byte(`<QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq/></QBXMLMsgsRq></QBXML>`), testSession)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	f.SetLatency(Latency{})
	ok(t, f, `<HostQueryRq/>`)
}

func TestPersonalDataNeedsPermission(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<EmployeeAddRq><EmployeeAdd><FirstName>Ann</FirstName><LastName>Lee</LastName><SSN>123-45-6789</SSN></EmployeeAdd></EmployeeAddRq>`)
	if got := textAt(ok(t, f, `<EmployeeQueryRq/>`), "EmployeeRet/SSN"); got != "123-45-6789" {
		t.Errorf("SSN with permission: %q", got)
	}
	noPD := testSession
	noPD.Access.IsPersonalDataAccessAllowed = false
	rs := runAs(t, f, noPD, `onError="continueOnError"`, `<EmployeeQueryRq/><EmployeeAddRq><EmployeeAdd><FirstName>Bo</FirstName><SSN>987-65-4321</SSN></EmployeeAdd></EmployeeAddRq>`)
	if kid(rs.Children[0], "EmployeeRet") == nil || textAt(rs.Children[0], "EmployeeRet/SSN") != "" {
		t.Errorf("SSN returned without personal-data access: %q", textAt(rs.Children[0], "EmployeeRet/SSN"))
	}
	wantStatus(t, rs.Children[1], "3261")
}

func TestRenamingAParentRenamesItsJobs(t *testing.T) {
	f, _ := newTestFile(t)
	p := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Parent</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	job := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Job 1</Name><ParentRef><FullName>Parent</FullName></ParentRef></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	if textAt(job, "FullName") != "Parent:Job 1" || textAt(job, "Sublevel") != "1" {
		t.Fatalf("job FullName %q Sublevel %q", textAt(job, "FullName"), textAt(job, "Sublevel"))
	}
	ok(t, f, `<CustomerModRq><CustomerMod><ListID>`+textAt(p, "ListID")+`</ListID><EditSequence>`+textAt(p, "EditSequence")+`</EditSequence><Name>Renamed</Name></CustomerMod></CustomerModRq>`)
	got := textAt(ok(t, f, `<CustomerQueryRq><ListID>`+textAt(job, "ListID")+`</ListID></CustomerQueryRq>`), "CustomerRet/FullName")
	if got != "Renamed:Job 1" {
		t.Errorf("job FullName after parent rename %q", got)
	}
}

// QuickBooks rejects a request whose structure breaks the schema as a whole
// (ErrParse, HRESULT 0x80040400), but reports a value that is too long or
// not of its type's form as a status of that request.
func TestBadValuesAreStatusesButBadStructureIsAParseError(t *testing.T) {
	f, _ := newTestFile(t)
	for _, tc := range []struct{ body, code string }{
		{`<CustomerAddRq><CustomerAdd><Name>` + strings.Repeat("x", 42) + `</Name></CustomerAdd></CustomerAddRq>`, "3070"},
		{`<CustomerAddRq><CustomerAdd><Name>B</Name><IsActive>maybe</IsActive></CustomerAdd></CustomerAddRq>`, "3010"},
		{`<CustomerAddRq><CustomerAdd><Name>B</Name><JobStartDate>2025-02-30x</JobStartDate></CustomerAdd></CustomerAddRq>`, "3020"},
		{`<CustomerAddRq><CustomerAdd><Name>B</Name><CreditLimit>ten</CreditLimit></CustomerAdd></CustomerAddRq>`, "3210"},
		{`<CustomerAddRq requestID="` + strings.Repeat("9", 51) + `"><CustomerAdd><Name>B</Name></CustomerAdd></CustomerAddRq>`, "1060"},
	} {
		wantStatus(t, one(t, f, tc.body), tc.code)
	}
	for name, body := range map[string]string{
		"unknown attribute":          `<CustomerQueryRq colour="red"/>`,
		"bad iterator":               `<CustomerQueryRq iterator="Sideways"/>`,
		"text in a complex element":  `<CustomerAddRq><CustomerAdd>Bob</CustomerAdd></CustomerAddRq>`,
		"element in a simple one":    `<CustomerAddRq><CustomerAdd><Name><First>B</First></Name></CustomerAdd></CustomerAddRq>`,
		"too many":                   `<CustomerAddRq><CustomerAdd><Name>B</Name><Name>C</Name></CustomerAdd></CustomerAddRq>`,
		"both sides of a choice":     `<CustomerQueryRq><ListID>80000001-1</ListID><FullName>B</FullName></CustomerQueryRq>`,
		"subscription request":       `<DataEventSubscriptionQueryRq><SubscriberID>{3F2504E0-4F89-41D3-9A0C-0305E82C3301}</SubscriberID></DataEventSubscriptionQueryRq>`,
		"second request is bad":      `<CustomerAddRq><CustomerAdd><Name>B</Name></CustomerAdd></CustomerAddRq><CustomerAddRq><CustomerAdd/></CustomerAddRq>`,
		"second root element":        `<CustomerAddRq><CustomerAdd><Name>B</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML><QBXML><QBXMLMsgsRq onError="stopOnError">`,
		"character XML cannot carry": `<CustomerAddRq><CustomerAdd><Name>B&#1;</Name></CustomerAdd></CustomerAddRq>`,
	} {
		t.Run(name, func(t *testing.T) {
			req := `<QBXML><QBXMLMsgsRq onError="continueOnError">` + body + `</QBXMLMsgsRq></QBXML>`
			if _, err := f.Process(context.Background(), []byte(req), testSession); !errors.Is(err, ErrParse) {
				t.Fatalf("err = %v, want ErrParse", err)
			}
		})
	}
	// Nothing of the rejected documents was added.
	wantStatus(t, one(t, f, `<CustomerQueryRq><FullName>B</FullName></CustomerQueryRq>`), "500")
}

// A message set whose sender gave up once QuickBooks had started on it
// (the connector was killed mid-request) still runs to its end: the
// customer is added once and the response is kept for error recovery, so
// the status check the application makes when it starts again finds it
// (Intuit, "Error recovery": ProcessRequest returned nothing; did the
// CheckAdd run?). Without the kept response the application would send
// the write again and QuickBooks would answer 3100, name in use.
func TestAMessageSetWhoseSenderGaveUpRunsToItsEndAndIsKept(t *testing.T) {
	f, _ := newTestFile(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the HTTP request's context once the connector is gone
	req := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError" newMessageSetID="orphan-1">` +
		`<CustomerAddRq><CustomerAdd><Name>Sent Then Killed</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>`
	if _, err := f.Process(ctx, []byte(req), testSession); err != nil {
		t.Logf("the sender gave up: %v", err) // its answer is lost either way
	}
	if n, _ := f.Count(context.Background(), "Customer"); n != 1 {
		t.Fatalf("%d customers, want the one the message set added", n)
	}
	status := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="orphan-1"`, ``)
	if got := textAt(status, "CustomerAddRs/CustomerRet/Name"); got != "Sent Then Killed" {
		t.Errorf("the status check did not return the kept response: %s", marshalNode(status))
	}
}
