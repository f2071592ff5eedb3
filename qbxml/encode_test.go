package qbxml

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenRequests are message sets of the main list and transaction types.
func goldenRequests() map[string]*MsgsRq {
	from := time.Date(2024, 3, 1, 8, 30, 0, 0, time.FixedZone("PST", -8*3600))
	return map[string]*MsgsRq{
		"customer_add": {NewMessageSetID: "c1f0", Requests: []Element{&CustomerAddRq{RequestID: "1", CustomerAdd: &CustomerAdd{
			Name: String("Müller & Söhne <GmbH>"), CompanyName: String("Müller & Söhne"), FirstName: String("Zoë"),
			BillAddress: &BillAddress{Addr1: String("Łódź office"), City: String("Kraków"), PostalCode: String("30-001")},
			Phone:       String("555-0100"), Email: String("ap@example.com"), Notes: String("line one\nline two – €5 \"quoted\""),
		}}}},
		"customer_query_iterator": {Requests: []Element{&CustomerQueryRq{RequestID: "2", Iterator: "Start",
			MaxReturned: Int(500), ActiveStatus: String("All"), FromModifiedDate: DateTime(from),
			IncludeRetElement: []string{"ListID", "FullName", "EditSequence"}, OwnerID: []string{"0"}}}},
		"invoice_add_lines": {OnError: ContinueOnError, NewMessageSetID: "inv-77", Requests: []Element{&InvoiceAddRq{RequestID: "3", InvoiceAdd: &InvoiceAdd{
			DefMacro:    "TxnID:Invoice77",
			CustomerRef: &CustomerRef{FullName: String("Abercrombie, Kristy")},
			TxnDate:     Date(from), RefNumber: String("77"), Memo: String("Net 30 ✓"),
			InvoiceLineAddOrInvoiceLineGroupAdd: []InvoiceLineAddOrInvoiceLineGroupAdd{
				{InvoiceLineAdd: &InvoiceLineAdd{ItemRef: &ItemRef{FullName: String("Installation")}, Desc: String("Install & test"), Quantity: String("3"), Rate: String("35.5"), Amount: Amount(10650)}},
				{InvoiceLineGroupAdd: &InvoiceLineGroupAdd{ItemGroupRef: &ItemGroupRef{FullName: String("Door Kit")}, Quantity: String("1")}},
				{InvoiceLineAdd: &InvoiceLineAdd{ItemRef: &ItemRef{FullName: String("Framing")}, Amount: Amount(-1250)}},
			},
		}}}},
		"invoice_query_modified": {Requests: []Element{&InvoiceQueryRq{RequestID: "4", Iterator: "Continue", IteratorID: "{eb05f701-e727-472f-8ade-6753c4f67a46}",
			MaxReturned: Int(100), ModifiedDateRangeFilter: &ModifiedDateRangeFilter{FromModifiedDate: DateTime(from), ToModifiedDate: DateTime(from.Add(24 * time.Hour))},
			PaidStatus: String("NotPaidOnly"), IncludeLineItems: Bool(true), IncludeRetElement: []string{"TxnID", "TimeModified"}}}},
		"payment_and_bill": {OldMessageSetID: "pay-1", NewMessageSetID: "pay-2", Requests: []Element{
			&ReceivePaymentAddRq{RequestID: "5", ReceivePaymentAdd: &ReceivePaymentAdd{CustomerRef: &CustomerRef{ListID: String("80000001-1197753015")},
				TotalAmount: Amount(12345), AppliedToTxnAdd: []AppliedToTxnAdd{{TxnID: &MacroID{UseMacro: "TxnID:Invoice77"}, PaymentAmount: Amount(12345)}}}},
			&BillAddRq{RequestID: "6", BillAdd: &BillAdd{VendorRef: &VendorRef{FullName: String("Lumber Co")}, DueDate: String("2024-04-01"),
				ExpenseLineAdd: []ExpenseLineAdd{{AccountRef: &AccountRef{FullName: String("Job Expenses:Materials")}, Amount: Amount(50000), Memo: String("lumber")}}}},
			&ItemInventoryAddRq{RequestID: "7", ItemInventoryAdd: &ItemInventoryAdd{Name: String("Deck screws"), SalesPrice: String("12.99999"),
				IncomeAccountRef: &IncomeAccountRef{FullName: String("Sales")}, COGSAccountRef: &COGSAccountRef{FullName: String("Cost of Goods Sold")},
				AssetAccountRef: &AssetAccountRef{FullName: String("Inventory Asset")}}},
			&JournalEntryAddRq{RequestID: "8", JournalEntryAdd: &JournalEntryAdd{TxnDate: String("2024-03-31"),
				JournalDebitLineOrJournalCreditLine: []JournalDebitLineOrJournalCreditLine{
					{JournalDebitLine: &JournalDebitLine{AccountRef: &AccountRef{FullName: String("Checking")}, Amount: Amount(500)}},
					{JournalCreditLine: &JournalCreditLine{AccountRef: &AccountRef{FullName: String("Savings")}, Amount: Amount(500)}},
				}}},
			&CustomerModRq{RequestID: "9", CustomerMod: &CustomerMod{ListID: String("80000001-1197753015"), EditSequence: String("1197753015"), Notes: String("")}},
			&TxnDelRq{RequestID: "10", TxnDelType: String("Invoice"), TxnID: String("1A2-1197753015")},
		}},
	}
}

func TestMarshalGolden(t *testing.T) {
	reqs := goldenRequests()
	for name, m := range reqs {
		t.Run(name, func(t *testing.T) {
			got, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte(Header+"<QBXML>")) {
				t.Errorf("document starts with %q", got[:80])
			}
			checkLatin1(t, got)
			golden(t, filepath.Join("testdata", name+".golden"), got)
		})
	}
}

// checkLatin1 fails when the document holds a character above U+00FF
// that is not written as a character reference.
func checkLatin1(tb testing.TB, doc []byte) {
	tb.Helper()
	for _, r := range string(doc) {
		if r > 0xFF {
			tb.Errorf("document holds %q literally; want a character reference", r)
		}
	}
}

func golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestGoldenRequestsValidateWithXmllint checks the encoder's schema order
// with Intuit's schema.
func TestGoldenRequestsValidateWithXmllint(t *testing.T) {
	schema := sharedSchemaDir(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed")
	}
	files, _ := filepath.Glob("testdata/*.golden")
	var reqs []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_rs.golden") {
			reqs = append(reqs, f)
		}
	}
	if len(reqs) < 5 {
		t.Fatalf("found %d golden requests", len(reqs))
	}
	out, err := exec.Command(xmllint, append([]string{"--noout", "--schema", filepath.Join(schema, "qbxmlops130.xsd")}, reqs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

func TestMarshalEscapesOutsideLatin1AsCharacterReferences(t *testing.T) {
	m := &MsgsRq{Requests: []Element{&CustomerAddRq{CustomerAdd: &CustomerAdd{Name: String("a<b>&\"c\" é € 😀\r")}}}}
	got, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `<Name>a&lt;b&gt;&amp;"c" é &#8364; &#128512;&#13;</Name>`
	if !bytes.Contains(got, []byte(want)) {
		t.Errorf("got %s\nwant it to contain %s", got, want)
	}
	// and the decoder reads the same text back
	dec := NewDecoder(bytes.NewReader(got), nil)
	for {
		it, err := dec.Next()
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == ItemRecord {
			if got := Value(it.Record.(*CustomerAdd).Name); got != "a<b>&\"c\" é € 😀\r" {
				t.Errorf("decoded %q", got)
			}
			break
		}
	}
}

func TestMarshalRejectsInvalidRequestsNamingMessageFieldAndLimit(t *testing.T) {
	tests := []struct {
		name string
		rq   Element
		want []string
	}{
		{"max length", &InvoiceAddRq{RequestID: "1", InvoiceAdd: &InvoiceAdd{CustomerRef: &CustomerRef{FullName: String("A")}, RefNumber: String("123456789012")}},
			[]string{"QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd/RefNumber: \"123456789012\" is 12 characters long; the maximum length is 11"}},
		{"required element", &InvoiceAddRq{InvoiceAdd: &InvoiceAdd{Memo: String("x")}},
			[]string{"QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd: missing required element CustomerRef in InvoiceAdd"}},
		{"enumeration", &CustomerQueryRq{ActiveStatus: String("Sometimes")},
			[]string{"QBXML/QBXMLMsgsRq/CustomerQueryRq/ActiveStatus: \"Sometimes\" is not one of ActiveOnly, InactiveOnly, All"}},
		{"iterator attribute", &CustomerQueryRq{Iterator: "Begin"},
			[]string{"QBXML/QBXMLMsgsRq/CustomerQueryRq/@iterator: \"Begin\" is not one of Start, Continue, Stop"}},
		{"choice", &CustomerQueryRq{ListID: []string{"1-1"}, FullName: []string{"x"}},
			[]string{"QBXML/QBXMLMsgsRq/CustomerQueryRq: CustomerQueryRq takes only one of"}},
		{"amount", &InvoiceAddRq{InvoiceAdd: &InvoiceAdd{CustomerRef: &CustomerRef{FullName: String("A")},
			InvoiceLineAddOrInvoiceLineGroupAdd: []InvoiceLineAddOrInvoiceLineGroupAdd{{InvoiceLineAdd: &InvoiceLineAdd{Amount: String("12.5")}}}}},
			[]string{"QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/Amount: \"12.5\" is not a valid AMTTYPE"}},
		{"minimum", &CustomerQueryRq{MaxReturned: Int(0)},
			[]string{"QBXML/QBXMLMsgsRq/CustomerQueryRq/MaxReturned: 0 is less than the minimum 1"}},
		{"date", &InvoiceQueryRq{TxnDateRangeFilter: &TxnDateRangeFilter{FromTxnDate: String("2024-13-01")}},
			[]string{"FromTxnDate: \"2024-13-01\" is not a valid DATETYPE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(&MsgsRq{Requests: []Element{tt.rq}})
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestValidateReportsOrderAndUnknownElements(t *testing.T) {
	doc, err := ParseNode(strings.NewReader(`<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><CompanyName>x</CompanyName><Name>n</Name><Colour>red</Colour></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := Problems(doc)
	want := []Problem{
		{"QBXML/QBXMLMsgsRq/CustomerAddRq/CustomerAdd/Name", "Name must come before CompanyName in CustomerAdd", ProblemStructure},
		{"QBXML/QBXMLMsgsRq/CustomerAddRq/CustomerAdd/Colour", "Colour is not a child of CustomerAdd", ProblemStructure},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestMsgsRqDefaultsAndSubscriptionSets(t *testing.T) {
	doc, err := (&MsgsRq{Requests: []Element{&HostQueryRq{RequestID: "0"}}}).Document()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := doc.Child("QBXMLMsgsRq").Attr("onError"); v != StopOnError {
		t.Errorf("onError = %q, want %q", v, StopOnError)
	}
	sub, err := Marshal(&MsgsRq{Requests: []Element{&DataEventSubscriptionQueryRq{RequestID: "1", SubscriberID: String("{3F2504E0-4F89-41D3-9A0C-0305E82C3301}")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sub, []byte("<QBXMLSubscriptionMsgsRq><DataEventSubscriptionQueryRq")) {
		t.Errorf("subscription request not in QBXMLSubscriptionMsgsRq: %s", sub)
	}
	if _, err := Marshal(&MsgsRq{Requests: []Element{&HostQueryRq{}, &DataEventSubscriptionQueryRq{}}}); err == nil {
		t.Error("mixing subscription and other requests: no error")
	}
}

// TestRequestRoundTrip encodes typed requests and decodes them back into
// the same typed values.
func TestRequestRoundTrip(t *testing.T) {
	reqs := goldenRequests()
	m := reqs["invoice_add_lines"]
	doc, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(bytes.NewReader(doc), nil)
	var got []Element
	for {
		it, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == ItemRecord {
			got = append(got, it.Record)
		}
	}
	want := []Element{m.Requests[0].(*InvoiceAddRq).InvoiceAdd}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
