package syncengine

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// TestJSONSchemasDescribeWhatTheCodecWrites: every data type has a record
// schema, and a create or update body exactly when it takes that write; a
// record the codec writes from a qbXML Ret element has only fields the
// schema names, with the JSON types it gives them.
func TestJSONSchemasDescribeWhatTheCodecWrites(t *testing.T) {
	types, comps := JSONSchemas()
	if len(types) != len(DataTypes()) {
		t.Fatalf("%d schemas for %d data types", len(types), len(DataTypes()))
	}
	for _, ts := range types {
		if comps[ts.Record] == nil {
			t.Errorf("%s: no record schema %s", ts.Info.Name, ts.Record)
		}
		if (ts.Create != "") != slices.Contains(ts.Info.Actions, "create") || (ts.Update != "") != slices.Contains(ts.Info.Actions, "update") {
			t.Errorf("%s: create %q, update %q for actions %v", ts.Info.Name, ts.Create, ts.Update, ts.Info.Actions)
		}
	}
	for name, c := range comps {
		if c == nil {
			t.Errorf("component %s is empty", name)
		}
	}

	ret := qbxml.NewNode("InvoiceRet",
		qbxml.NewText("TxnID", "1A-1712345678"), qbxml.NewText("EditSequence", "1712345678"),
		qbxml.NewText("TxnDate", "2026-03-14"), qbxml.NewText("Subtotal", "1250.00"), qbxml.NewText("IsPaid", "false"),
		qbxml.NewNode("CustomerRef", qbxml.NewText("ListID", "80000001-1712345678"), qbxml.NewText("FullName", "Acme Bakery")),
		qbxml.NewNode("InvoiceLineRet", qbxml.NewText("TxnLineID", "1B-1712345678"), qbxml.NewText("Amount", "1250.00")))
	var rec map[string]any
	if err := json.Unmarshal(RecordJSON(ret), &rec); err != nil {
		t.Fatal(err)
	}
	props := comps["Invoice"].(map[string]any)["properties"].(map[string]any)
	wantType := map[string]string{"txnId": "string", "editSequence": "string", "txnDate": "string", "subtotal": "string",
		"isPaid": "boolean", "customerRef": "", "invoiceLine": "array"}
	for k, v := range rec {
		p, ok := props[k].(map[string]any)
		if !ok {
			t.Errorf("the record's %s is not in the Invoice schema", k)
			continue
		}
		if want := wantType[k]; want != "" && p["type"] != want {
			t.Errorf("%s: schema type %v, want %s (value %v)", k, p["type"], want, v)
		}
	}
	if f := props["subtotal"].(map[string]any)["format"]; f != "decimal" {
		t.Errorf("subtotal's format = %v, want decimal", f)
	}
	if f := props["txnDate"].(map[string]any)["format"]; f != "date" {
		t.Errorf("txnDate's format = %v, want date", f)
	}
}
