package syncengine_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/syncengine"
)

func TestJSONName(t *testing.T) {
	cases := []struct {
		in      string
		complex bool
		want    string
	}{
		{"ListID", false, "listId"},
		{"TxnID", false, "txnId"},
		{"EditSequence", false, "editSequence"},
		{"ARAccountRef", true, "arAccountRef"},
		{"PONumber", false, "poNumber"},
		{"Addr1", false, "addr1"},
		{"TxnLineID", false, "txnLineId"},
		{"InvoiceLineRet", true, "invoiceLine"},
		{"InvoiceLineAdd", true, "invoiceLine"},
		{"InvoiceLineMod", true, "invoiceLine"},
		{"BillAddress", true, "billAddress"},
		{"IsActive", false, "isActive"},
		{"FOB", false, "fob"},
		{"Ret", true, "ret"},
		{"DataExtRet", true, "dataExt"},
	}
	for _, c := range cases {
		if got := syncengine.JSONName(c.in, c.complex); got != c.want {
			t.Errorf("JSONName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Every element of the schema must map its children to distinct keys, or
// a record's JSON would lose data and a write could not be read back.
func TestJSONKeysAreDistinctInEveryElement(t *testing.T) {
	for _, et := range qbxml.ElementTypes() {
		seen := map[string]string{}
		for _, c := range et.Children {
			k := syncengine.JSONName(c.Name, !c.IsSimple())
			if other, dup := seen[k]; dup {
				t.Errorf("%s: %s and %s both map to %q", et.Name, other, c.Name, k)
			}
			seen[k] = c.Name
		}
	}
}

func TestRecordJSONTypesAndArrays(t *testing.T) {
	ret, err := qbxml.ParseNode(strings.NewReader(`<InvoiceRet><TxnID>1-1</TxnID><TimeCreated>2026-01-02T03:04:05+00:00</TimeCreated>
		<TxnNumber>17</TxnNumber><CustomerRef><ListID>8-1</ListID><FullName>Ada &amp; Co "East"</FullName></CustomerRef>
		<Subtotal>1234.50</Subtotal><IsPaid>false</IsPaid>
		<InvoiceLineRet><TxnLineID>9-1</TxnLineID><Desc>Line
two</Desc><Quantity>2.5</Quantity></InvoiceLineRet></InvoiceRet>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(syncengine.RecordJSON(ret), &got); err != nil {
		t.Fatalf("invalid JSON %s: %v", syncengine.RecordJSON(ret), err)
	}
	want := map[string]any{
		"txnId": "1-1", "timeCreated": "2026-01-02T03:04:05+00:00", "txnNumber": float64(17),
		"customerRef": map[string]any{"listId": "8-1", "fullName": `Ada & Co "East"`},
		"subtotal":    "1234.50", "isPaid": false,
		"invoiceLine": []any{map[string]any{"txnLineId": "9-1", "desc": "Line\ntwo", "quantity": "2.5"}},
	}
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}
