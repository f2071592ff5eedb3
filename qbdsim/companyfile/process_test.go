package companyfile

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func addCustomers(tb testing.TB, f *File, n int) []string {
	tb.Helper()
	var body strings.Builder
	for i := 0; i < n; i++ {
		body.WriteString(`<CustomerAddRq requestID="` + strconv.Itoa(i) + `"><CustomerAdd><Name>Customer ` + strconv.Itoa(1000+i) + `</Name></CustomerAdd></CustomerAddRq>`)
	}
	rs := run(tb, f, body.String())
	var ids []string
	for _, r := range rs.Kids {
		if r.attr("statusCode") != "0" {
			tb.Fatalf("add: %s", r.attr("statusMessage"))
		}
		ids = append(ids, r.text("CustomerRet/ListID"))
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
		for _, c := range rs.all("CustomerRet") {
			got = append(got, c.text("ListID"))
		}
		remaining = append(remaining, rs.attr("iteratorRemainingCount"))
		if rs.attr("iteratorRemainingCount") == "0" {
			break
		}
		rs = ok(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="`+rs.attr("iteratorID")+`"><MaxReturned>10</MaxReturned></CustomerQueryRq>`)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"13", "3", "0"}, remaining); diff != "" {
		t.Errorf("iteratorRemainingCount (-want +got):\n%s", diff)
	}
}

func TestIteratorIsScopedToSessionAndExpires(t *testing.T) {
	f, clock := newTestFile(t)
	addCustomers(t, f, 5)
	rs := ok(t, f, `<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>`)
	id := rs.attr("iteratorID")
	if !strings.HasPrefix(id, "{") || len(id) != 38 {
		t.Errorf("iteratorID %q is not a braced GUID", id)
	}
	cont := `<CustomerQueryRq iterator="Continue" iteratorID="` + id + `"><MaxReturned>2</MaxReturned></CustomerQueryRq>`
	other := testSession
	other.Ticket = "ticket-2"
	wantStatus(t, runAs(t, f, other, `onError="stopOnError"`, cont).Kids[0], "3391")
	ok(t, f, cont)
	clock.Advance(21 * time.Minute)
	wantStatus(t, one(t, f, cont), "3391")

	rs = ok(t, f, `<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>`)
	f.EndSession(testSession.Ticket)
	wantStatus(t, one(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="`+rs.attr("iteratorID")+`"/>`), "3391")
	wantStatus(t, one(t, f, `<CustomerQueryRq iterator="Continue" iteratorID="{00000000-0000-0000-0000-000000000000}"/>`), "3391")
}

func TestRepeatedMessageSetReturnsStoredResponseAndChangesNothing(t *testing.T) {
	f, _ := newTestFile(t)
	body := `<CustomerAddRq requestID="1"><CustomerAdd><Name>Once Only</Name></CustomerAdd></CustomerAddRq>`
	first := runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="set-1"`, body)
	again := runAs(t, f, testSession, `onError="stopOnError" newMessageSetID="set-1"`, body)
	if first.attr("newMessageSetID") != "set-1" {
		t.Errorf("newMessageSetID not echoed")
	}
	if diff := cmp.Diff(marshalElem(first), marshalElem(again)); diff != "" {
		t.Errorf("repeat differs (-first +again):\n%s", diff)
	}
	if n, _ := f.Count(context.Background(), "Customer"); n != 1 {
		t.Errorf("%d customers after a repeated message set, want 1", n)
	}
	// Asking for the status of the last message set returns it too.
	status := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="set-1"`, ``)
	if status.text("CustomerAddRs/CustomerRet/ListID") != first.text("CustomerAddRs/CustomerRet/ListID") {
		t.Errorf("oldMessageSetID did not return the stored response")
	}
	unknown := runAs(t, f, testSession, `onError="stopOnError" oldMessageSetID="never"`, ``)
	if unknown.attr("messageSetStatusCode") != "600" {
		t.Errorf("unknown message set: messageSetStatusCode %q", unknown.attr("messageSetStatusCode"))
	}
}

func TestOnErrorStopsOrContinues(t *testing.T) {
	f, _ := newTestFile(t)
	body := `<CustomerAddRq requestID="a"><CustomerAdd><Name>Dup</Name></CustomerAdd></CustomerAddRq>` +
		`<CustomerAddRq requestID="b"><CustomerAdd><Name>Dup</Name></CustomerAdd></CustomerAddRq>` +
		`<CustomerAddRq requestID="c"><CustomerAdd><Name>After</Name></CustomerAdd></CustomerAddRq>`
	rs := runAs(t, f, testSession, `onError="stopOnError"`, body)
	if len(rs.Kids) != 2 || rs.Kids[1].attr("statusCode") != "3100" {
		t.Fatalf("stopOnError: %d responses", len(rs.Kids))
	}
	wantStatus(t, one(t, f, `<CustomerQueryRq><FullName>After</FullName></CustomerQueryRq>`), "1")
	rs = runAs(t, f, testSession, `onError="continueOnError"`, strings.ReplaceAll(body, "Dup", "Dup2"))
	var codes []string
	for _, k := range rs.Kids {
		codes = append(codes, k.attr("requestID")+":"+k.attr("statusCode"))
	}
	if diff := cmp.Diff([]string{"a:0", "b:3100", "c:0"}, codes); diff != "" {
		t.Errorf("continueOnError (-want +got):\n%s", diff)
	}
}

func TestReadOnlyApplicationCannotWrite(t *testing.T) {
	f, _ := newTestFile(t)
	ro := testSession
	ro.Access.IsReadOnly = true
	rs := runAs(t, f, ro, `onError="continueOnError"`, `<CustomerAddRq><CustomerAdd><Name>Nope</Name></CustomerAdd></CustomerAddRq><CustomerQueryRq><MaxReturned>1</MaxReturned></CustomerQueryRq>`)
	wantStatus(t, rs.Kids[0], "3260")
	wantStatus(t, rs.Kids[1], "1")
}

func TestUnsupportedRequestAnswersWithErrorStatus(t *testing.T) {
	f, _ := newTestFile(t)
	rs := one(t, f, `<TimeTrackingQueryRq requestID="9"/>`)
	wantStatus(t, rs, "1030")
	if rs.attr("requestID") != "9" || rs.attr("statusSeverity") != "Error" || rs.Name != "TimeTrackingQueryRs" {
		t.Errorf("response %s requestID %q severity %q", rs.Name, rs.attr("requestID"), rs.attr("statusSeverity"))
	}
}

func TestListDelAndListDeletedQuery(t *testing.T) {
	f, _ := newTestFile(t)
	ids := addCustomers(t, f, 2)
	rs := ok(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+ids[0]+`</ListID></ListDelRq>`)
	if rs.text("FullName") != "Customer 1000" {
		t.Errorf("ListDelRs FullName %q", rs.text("FullName"))
	}
	wantStatus(t, one(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+ids[0]+`</ListID></ListDelRq>`), "3000")
	q := ok(t, f, `<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>`)
	if q.text("ListDeletedRet/ListID") != ids[0] || q.attr("retCount") != "1" {
		t.Errorf("ListDeletedQuery: %q", q.text("ListDeletedRet/ListID"))
	}
	// A customer with transactions cannot be deleted.
	addCustomerAndItems(t, f)
	inv := ok(t, f, invoiceAdd).child("InvoiceRet")
	wantStatus(t, one(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+inv.text("CustomerRef/ListID")+`</ListID></ListDelRq>`), "3170")
}

func TestVoidZeroesTransactionAndRestoresBalance(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := ok(t, f, invoiceAdd).child("InvoiceRet")
	ok(t, f, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>`+inv.text("TxnID")+`</TxnID></TxnVoidRq>`)
	v := ok(t, f, `<InvoiceQueryRq><TxnID>`+inv.text("TxnID")+`</TxnID></InvoiceQueryRq>`).child("InvoiceRet")
	if v.text("BalanceRemaining") != "0.00" || !strings.HasPrefix(v.text("Memo"), "VOID") {
		t.Errorf("voided invoice balance %s memo %q", v.text("BalanceRemaining"), v.text("Memo"))
	}
	c := ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`).child("CustomerRet")
	if c.text("Balance") != "0.00" {
		t.Errorf("customer balance after void %s", c.text("Balance"))
	}
}

func TestClosingDateProtectsOldTransactions(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := ok(t, f, invoiceAdd).child("InvoiceRet")
	if err := f.SetClosingDate("2025-03-31"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, one(t, f, invoiceAdd), "3171")
	wantStatus(t, one(t, f, `<InvoiceModRq><InvoiceMod><TxnID>`+inv.text("TxnID")+`</TxnID><EditSequence>`+inv.text("EditSequence")+`</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>`), "3171")
	wantStatus(t, one(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+inv.text("TxnID")+`</TxnID></TxnDelRq>`), "3171")
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
	names := func(rs *elem) []string {
		var out []string
		for _, c := range rs.all("CustomerRet") {
			out = append(out, c.text("Name"))
		}
		return out
	}
	cases := []struct {
		query string
		want  []string
	}{
		{`<ActiveStatus>All</ActiveStatus><FromModifiedDate>` + mark + `</FromModifiedDate>`, []string{"Zed Late", "Amy Late"}},
		{`<FromModifiedDate>` + mark + `</FromModifiedDate>`, []string{"Amy Late"}},
		{`<ActiveStatus>InactiveOnly</ActiveStatus>`, []string{"Zed Late"}},
		{`<ToModifiedDate>` + mark + `</ToModifiedDate>`, []string{"Customer 1000", "Customer 1001", "Customer 1002"}},
		{`<NameFilter><MatchCriterion>StartsWith</MatchCriterion><Name>customer 100</Name></NameFilter>`, []string{"Customer 1000", "Customer 1001", "Customer 1002"}},
		{`<NameFilter><MatchCriterion>EndsWith</MatchCriterion><Name>late</Name></NameFilter>`, []string{"Amy Late"}},
		{`<NameRangeFilter><FromName>B</FromName><ToName>Customer 1001</ToName></NameRangeFilter>`, []string{"Customer 1000", "Customer 1001"}},
		{`<MaxReturned>2</MaxReturned>`, []string{"Customer 1000", "Customer 1001"}},
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
		for _, i := range one(t, f, `<InvoiceQueryRq>`+q+`</InvoiceQueryRq>`).all("InvoiceRet") {
			out = append(out, i.text("RefNumber"))
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
	if len(rs.child("InvoiceRet").all("InvoiceLineRet")) != 2 {
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
	if got := rs.text("CompanyRet/DataExtRet/DataExtValue"); got != "{abc}" {
		t.Errorf("company DataExt %q", got)
	}
	if ok(t, f, `<CompanyQueryRq/>`).child("CompanyRet").child("DataExtRet") != nil {
		t.Error("DataExtRet returned without OwnerID")
	}
	ok(t, f, `<DataExtModRq><DataExtMod><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><OtherDataExtType>Company</OtherDataExtType><DataExtValue>{def}</DataExtValue></DataExtMod></DataExtModRq>`)
	if got := ok(t, f, `<CompanyQueryRq><OwnerID>`+owner+`</OwnerID></CompanyQueryRq>`).text("CompanyRet/DataExtRet/DataExtValue"); got != "{def}" {
		t.Errorf("after mod %q", got)
	}
	// Custom fields on a customer.
	ok(t, f, `<DataExtDefAddRq><DataExtDefAdd><OwnerID>0</OwnerID><DataExtName>Region</DataExtName><DataExtType>STR255TYPE</DataExtType><AssignToObject>Customer</AssignToObject></DataExtDefAdd></DataExtDefAddRq>`)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Stamped</Name></CustomerAdd></CustomerAddRq>`)
	ok(t, f, `<DataExtAddRq><DataExtAdd><OwnerID>0</OwnerID><DataExtName>Region</DataExtName><ListDataExtType>Customer</ListDataExtType><ListObjRef><FullName>Stamped</FullName></ListObjRef><DataExtValue>North</DataExtValue></DataExtAdd></DataExtAddRq>`)
	c := ok(t, f, `<CustomerQueryRq><FullName>Stamped</FullName><OwnerID>0</OwnerID></CustomerQueryRq>`).child("CustomerRet")
	if c.text("DataExtRet/DataExtValue") != "North" {
		t.Errorf("customer DataExt %q", c.text("DataExtRet/DataExtValue"))
	}
	defs := ok(t, f, `<DataExtDefQueryRq><OwnerID>`+owner+`</OwnerID></DataExtDefQueryRq>`)
	if defs.text("DataExtDefRet/DataExtName") != "FileID" {
		t.Errorf("DataExtDefQuery %q", defs.text("DataExtDefRet/DataExtName"))
	}
	ok(t, f, `<DataExtDelRq><DataExtDel><OwnerID>`+owner+`</OwnerID><DataExtName>FileID</DataExtName><OtherDataExtType>Company</OtherDataExtType></DataExtDel></DataExtDelRq>`)
	if ok(t, f, `<CompanyQueryRq><OwnerID>`+owner+`</OwnerID></CompanyQueryRq>`).child("CompanyRet").child("DataExtRet") != nil {
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
	if rs.text("CustomerRet/Name") != "Café Müller" {
		t.Errorf("name %q", rs.text("CustomerRet/Name"))
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
	if got := ok(t, f, `<EmployeeQueryRq/>`).text("EmployeeRet/SSN"); got != "123-45-6789" {
		t.Errorf("SSN with permission: %q", got)
	}
	noPD := testSession
	noPD.Access.IsPersonalDataAccessAllowed = false
	rs := runAs(t, f, noPD, `onError="continueOnError"`, `<EmployeeQueryRq/><EmployeeAddRq><EmployeeAdd><FirstName>Bo</FirstName><SSN>987-65-4321</SSN></EmployeeAdd></EmployeeAddRq>`)
	if rs.Kids[0].child("EmployeeRet") == nil || rs.Kids[0].text("EmployeeRet/SSN") != "" {
		t.Errorf("SSN returned without personal-data access: %q", rs.Kids[0].text("EmployeeRet/SSN"))
	}
	wantStatus(t, rs.Kids[1], "3261")
}

func TestRenamingAParentRenamesItsJobs(t *testing.T) {
	f, _ := newTestFile(t)
	p := ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Parent</Name></CustomerAdd></CustomerAddRq>`).child("CustomerRet")
	job := ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Job 1</Name><ParentRef><FullName>Parent</FullName></ParentRef></CustomerAdd></CustomerAddRq>`).child("CustomerRet")
	if job.text("FullName") != "Parent:Job 1" || job.text("Sublevel") != "1" {
		t.Fatalf("job FullName %q Sublevel %q", job.text("FullName"), job.text("Sublevel"))
	}
	ok(t, f, `<CustomerModRq><CustomerMod><ListID>`+p.text("ListID")+`</ListID><EditSequence>`+p.text("EditSequence")+`</EditSequence><Name>Renamed</Name></CustomerMod></CustomerModRq>`)
	got := ok(t, f, `<CustomerQueryRq><ListID>`+job.text("ListID")+`</ListID></CustomerQueryRq>`).text("CustomerRet/FullName")
	if got != "Renamed:Job 1" {
		t.Errorf("job FullName after parent rename %q", got)
	}
}
