package qbxml

import (
	"bytes"
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSchemaListsEveryMessage(t *testing.T) {
	if got := len(RequestNames()); got != 232 {
		t.Errorf("QBXMLMsgsRq has %d requests, want the schema's 232", got)
	}
	if got := len(SubscriptionRequestNames()); got != 7 {
		t.Errorf("QBXMLSubscriptionMsgsRq has %d requests, want 7", got)
	}
	for _, rq := range append(RequestNames(), SubscriptionRequestNames()...) {
		if Lookup(rq) == nil {
			t.Errorf("Lookup(%q) = nil", rq)
		}
		if newTypedElement([]byte(rq)) == nil {
			t.Errorf("no generated type for %s", rq)
		}
	}
	if got := ResponseName("InvoiceAddRq"); got != "InvoiceAddRs" {
		t.Errorf("ResponseName(InvoiceAddRq) = %q", got)
	}
	if got := ResponseName("InvoiceAdd"); got != "" {
		t.Errorf("ResponseName(InvoiceAdd) = %q, want empty", got)
	}
	names := make([]string, 0)
	for _, et := range ElementTypes() {
		names = append(names, et.Name)
	}
	if !sort.StringsAreSorted(names) {
		t.Error("ElementTypes not sorted")
	}
}

func TestLookupDescribesChildrenInSchemaOrder(t *testing.T) {
	ca := Lookup("CustomerAdd")
	if ca == nil {
		t.Fatal("no CustomerAdd")
	}
	var first []string
	for _, c := range ca.Children[:4] {
		first = append(first, c.Name)
	}
	if diff := cmp.Diff([]string{"Name", "IsActive", "ClassRef", "ParentRef"}, first); diff != "" {
		t.Errorf("CustomerAdd children (-want +got):\n%s", diff)
	}
	name := ca.Child("Name")
	if name.Min != 1 || name.Max != 1 || name.Simple == nil || name.Simple.Kind != KindString || name.Simple.MaxLength != 41 {
		t.Errorf("CustomerAdd/Name = %+v %+v", name, name.Simple)
	}
	if ref := ca.Child("ParentRef"); ref.IsSimple() || ref.Type().Name != "ParentRef" || ref.Min != 0 {
		t.Errorf("CustomerAdd/ParentRef = %+v", ref)
	}
	if Lookup("InvoiceAdd").Attr("defMacro") == nil {
		t.Error("InvoiceAdd has no defMacro attribute")
	}

	line := Lookup("InvoiceLineRet")
	kinds := map[string]Kind{"TxnLineID": KindID, "Quantity": KindQuantity, "Rate": KindPrice, "RatePercent": KindPercent, "Amount": KindAmount, "ServiceDate": KindDate}
	for n, k := range kinds {
		c := line.Child(n)
		if c == nil || c.Simple == nil || c.Simple.Kind != k {
			t.Errorf("InvoiceLineRet/%s: %+v, want kind %v", n, c, k)
		}
	}

	q := Lookup("InvoiceQueryRq")
	txnID, maxRet, paid := q.Child("TxnID"), q.Child("MaxReturned"), q.Child("PaidStatus")
	if txnID.Max != Unbounded || txnID.Choice == 0 || maxRet.Choice != txnID.Choice {
		t.Errorf("InvoiceQueryRq TxnID %+v MaxReturned %+v: want both in the same choice", txnID, maxRet)
	}
	if !maxRet.Simple.HasMin || maxRet.Simple.MinInclusive != 1 || maxRet.Simple.Kind != KindInt {
		t.Errorf("MaxReturned = %+v", maxRet.Simple)
	}
	if diff := cmp.Diff([]string{"All", "NotPaidOnly", "PaidOnly"}, sorted(paid.Simple.Enum)); diff != "" {
		t.Errorf("PaidStatus enum (-want +got):\n%s", diff)
	}
	if it := q.Attr("iterator"); it == nil || len(it.Type.Enum) != 3 {
		t.Errorf("iterator attribute = %+v", it)
	}
	rs := Lookup("InvoiceQueryRs")
	if a := rs.Attr("statusCode"); a == nil || !a.Required || a.Type.Kind != KindInt {
		t.Errorf("InvoiceQueryRs statusCode = %+v", a)
	}
	ret := Lookup("InvoiceRet")
	l, g := ret.Child("InvoiceLineRet"), ret.Child("InvoiceLineGroupRet")
	if l.Repeated == 0 || l.Repeated != g.Repeated || l.Max != Unbounded {
		t.Errorf("InvoiceRet lines: %+v %+v, want one repeated choice", l, g)
	}
	if LookupSimple("TxnID").Kind != KindID || LookupSimple("NoSuchThing") != nil {
		t.Error("LookupSimple")
	}
	if Lookup("NoSuchThing") != nil {
		t.Error("Lookup of an unknown name")
	}
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func TestStatusTable(t *testing.T) {
	codes := StatusCodes()
	for i, s := range codes {
		if i > 0 && codes[i-1].Code >= s.Code {
			t.Errorf("table not sorted at %d", s.Code)
		}
		if s.UserMessage == "" || s.Meaning == "" || !s.Known {
			t.Errorf("code %d incomplete: %+v", s.Code, s)
		}
		want := SeverityError
		switch {
		case s.Code < 500:
			want = SeverityInfo
		case s.Code < 1000:
			want = SeverityWarn
		}
		if s.Severity != want {
			t.Errorf("code %d severity %s, want %s for its range", s.Code, s.Severity, want)
		}
	}
	// A stale edit sequence fails the same way however often it is sent.
	if Status(3200).Retryable || !Status(3170).Retryable || Status(3100).Retryable {
		t.Error("retryable flags wrong for 3200/3170/3100")
	}
	unknown := Status(3333)
	if unknown.Known || unknown.Severity != SeverityError {
		t.Errorf("Status(3333) = %+v", unknown)
	}
	if Status(777).Severity != SeverityWarn {
		t.Error("Status(777) should be a warning")
	}
}

func TestNodeJSONKeepsRepeatableChildrenInArrays(t *testing.T) {
	n := NewNode("InvoiceRet",
		NewText("TxnID", "1-1"),
		NewNode("CustomerRef", NewText("FullName", "A \"B\"\n")),
		NewNode("InvoiceLineRet", NewText("Amount", "1.00")),
		NewText("Unknown", "x"),
		NewText("Unknown", "y"),
	)
	n.SetAttr("note", "é")
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@note":"é","TxnID":"1-1","CustomerRef":{"FullName":"A \"B\"\n"},"InvoiceLineRet":[{"Amount":"1.00"}],"Unknown":["x","y"]}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	m := n.Map()
	if m["CustomerRef"].(map[string]any)["FullName"] != "A \"B\"\n" {
		t.Errorf("Map = %v", m)
	}
	c := n.Clone()
	c.Children[0].Text = "changed"
	if v, _ := n.ChildText("TxnID"); v != "1-1" {
		t.Error("Clone shares children")
	}
	if v, ok := n.Path("CustomerRef", "FullName"); !ok || v != "A \"B\"\n" {
		t.Errorf("Path = %q %v", v, ok)
	}
}

func TestParseNodeRoundTripsThroughAppendXML(t *testing.T) {
	doc, err := ExampleDocument("InvoiceAddRq")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ParseNode(bytesReader(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(AppendDocument(nil, n)); got != string(doc) {
		t.Errorf("round trip:\n got %s\nwant %s", got, doc)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func TestCharClassTable(t *testing.T) {
	for c := 0; c < 256; c++ {
		if got, want := charClass[c], charClassOf(byte(c)); got != want {
			t.Errorf("charClass[%#x] = %#x, want %#x", c, got, want)
		}
	}
}
