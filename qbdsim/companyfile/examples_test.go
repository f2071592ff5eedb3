package companyfile

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// TestEveryExampleRequestGetsAResponse runs the example of every qbXML 13.0
// request (what `qbconnect qbxml examples` prints) against a generated
// company: none may fail to parse, and each gets a response element with a
// status; requests the simulator does not implement answer 1030.
func TestEveryExampleRequestGetsAResponse(t *testing.T) {
	f := generated(t, GenerateOptions{Seed: 5, Customers: 5, Vendors: 3, Items: 4, Invoices: 5, Payments: 2, Bills: 3, BillPayments: 1,
		End: smallCompany().End})
	var unsupported, answered []string
	for _, name := range qbxml.RequestNames() {
		doc, err := qbxml.ExampleDocument(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp, err := f.Process(context.Background(), doc, testSession)
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, doc)
			continue
		}
		keepResponse(t, resp)
		root, err := parseNode(resp)
		if err != nil {
			t.Fatalf("%s: response does not parse: %v", name, err)
		}
		var rs *qbxml.Node
		for _, set := range root.Children {
			if len(set.Children) > 0 {
				rs = set.Children[0]
			}
		}
		want := strings.TrimSuffix(name, "Rq") + "Rs"
		if rs == nil || rs.Name != want || attrValue(rs, "statusCode") == "" {
			t.Errorf("%s: no %s with a status in\n%s", name, want, resp)
			continue
		}
		if attrValue(rs, "statusCode") == "1030" {
			unsupported = append(unsupported, name)
		} else {
			answered = append(answered, name)
		}
	}
	sort.Strings(unsupported)
	t.Logf("%d requests implemented, %d answer 1030: %s", len(answered), len(unsupported), strings.Join(unsupported, " "))
	for _, must := range []string{"CustomerQueryRq", "InvoiceAddRq", "InvoiceQueryRq", "BillAddRq", "ReceivePaymentAddRq", "JournalEntryAddRq",
		"ItemQueryRq", "TermsQueryRq", "TransferQueryRq", "ItemReceiptQueryRq", "VendorCreditQueryRq", "ListDeletedQueryRq", "TxnDeletedQueryRq",
		"DataExtDefAddRq", "DataExtAddRq", "HostQueryRq", "CompanyQueryRq", "PreferencesQueryRq", "ListDelRq"} {
		for _, u := range unsupported {
			if u == must {
				t.Errorf("%s is not implemented", must)
			}
		}
	}
}
