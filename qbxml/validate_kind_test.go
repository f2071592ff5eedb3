package qbxml

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateClassifiesEachProblem(t *testing.T) {
	doc, err := ParseNode(strings.NewReader(`<CustomerAddRq requestID="1" colour="red"><CustomerAdd>`+
		`<Name>`+strings.Repeat("n", 42)+`</Name><IsActive>maybe</IsActive>`+
		`<ParentRef><ListID>`+strings.Repeat("8", 37)+`</ListID></ParentRef>`+
		`<Salutation>Dr</Salutation><CompanyName>x</CompanyName>`+
		`<CreditLimit>12.3</CreditLimit><PreferredDeliveryMethod>Pigeon</PreferredDeliveryMethod>`+
		`</CustomerAdd></CustomerAddRq>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	type kp struct {
		Path string
		Kind ProblemKind
	}
	var got []kp
	for _, p := range Problems(doc) {
		got = append(got, kp{p.Path, p.Kind})
	}
	want := []kp{
		{"CustomerAddRq", ProblemStructure},
		{"CustomerAddRq/CustomerAdd/Name", ProblemLength},
		{"CustomerAddRq/CustomerAdd/IsActive", ProblemFormat},
		{"CustomerAddRq/CustomerAdd/ParentRef/ListID", ProblemLength},
		{"CustomerAddRq/CustomerAdd/CompanyName", ProblemStructure},
		{"CustomerAddRq/CustomerAdd/CreditLimit", ProblemFormat},
		{"CustomerAddRq/CustomerAdd/PreferredDeliveryMethod", ProblemEnum},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s\nall: %v", diff, Problems(doc))
	}
}

func TestIDsInheritTheMaximumLengthOfIDTYPE(t *testing.T) {
	for _, name := range []string{"CustomerRef", "InvoiceLineRet"} {
		et := Lookup(name)
		var id *Child
		for i := range et.Children {
			if et.Children[i].Simple != nil && et.Children[i].Simple.Kind == KindID {
				id = &et.Children[i]
				break
			}
		}
		if id == nil {
			t.Fatalf("%s has no ID child", name)
		}
		if id.Simple.MaxLength != 36 {
			t.Errorf("%s/%s: MaxLength = %d, want 36 (IDTYPE's maxLength)", name, id.Name, id.Simple.MaxLength)
		}
	}
}

func TestParseNodeRejectsASecondRootElement(t *testing.T) {
	for _, doc := range []string{`<QBXML/><QBXML/>`, `<A><B/></A><!-- c --><C/>`, `<A/>text`} {
		if _, err := ParseNode(strings.NewReader(doc), nil); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseNode(%q) = %v, want ErrSyntax", doc, err)
		}
	}
	n, err := ParseNode(strings.NewReader("<A/>\n<!-- trailing comment --><?pi x?>\n"), nil)
	if err != nil || n.Name != "A" {
		t.Errorf("ParseNode with trailing comment and PI = %v, %v", n, err)
	}
}

func TestAppendXMLASCIIWritesOnlyASCII(t *testing.T) {
	n := NewNode("CustomerRet", NewText("Name", "Café <Müller> & Zoë \u20ac5"))
	n.SetAttr("note", "l'été \"hot\"\tx")
	got := string(n.AppendXMLASCII(nil))
	want := `<CustomerRet note="l'&#233;t&#233; &quot;hot&quot;&#9;x"><Name>Caf&#233; &lt;M&#252;ller&gt; &amp; Zo&#235; &#8364;5</Name></CustomerRet>`
	if got != want {
		t.Errorf("AppendXMLASCII =\n%s\nwant\n%s", got, want)
	}
	if latin := string(n.AppendXML(nil)); !strings.Contains(latin, "Café") || !strings.Contains(latin, "&#8364;") {
		t.Errorf("AppendXML changed: %s", latin)
	}
	if got := string(AppendEscapedASCII([]byte("x="), "ñ\"<", true)); got != `x=&#241;&quot;&lt;` {
		t.Errorf("AppendEscapedASCII = %s", got)
	}
	back, err := ParseNode(strings.NewReader(want), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(n, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
