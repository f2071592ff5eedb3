package qbxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decoders are the fast decoder and the encoding/xml reference; every
// behaviour test runs against both.
var decoders = []struct {
	name string
	new  func(io.Reader, *Options) *Decoder
}{
	{"gosax", NewDecoder},
	{"stdlib", NewStdDecoder},
}

// jsonLines decodes r and renders every item as one line of JSON, the way
// the decode command prints them.
func jsonLines(tb testing.TB, dec *Decoder) (string, error) {
	tb.Helper()
	var b strings.Builder
	for {
		it, err := dec.Next()
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch it.Kind {
		case ItemResponse:
			r := it.Response
			fmt.Fprintf(&b, "%s %q status=%d %s %q", r.Name, r.RequestID, r.StatusCode, r.StatusSeverity, r.StatusMessage)
			if r.RetCount != nil {
				fmt.Fprintf(&b, " retCount=%d", *r.RetCount)
			}
			if r.IteratorRemainingCount != nil {
				fmt.Fprintf(&b, " remaining=%d", *r.IteratorRemainingCount)
			}
			if r.IteratorID != "" {
				fmt.Fprintf(&b, " iterator=%s", r.IteratorID)
			}
			b.WriteByte('\n')
		case ItemRecord:
			j, err := it.Record.ToNode().MarshalJSON()
			if err != nil {
				tb.Fatal(err)
			}
			fmt.Fprintf(&b, "  %T %s %s\n", it.Record, it.Record.ElementName(), j)
		}
	}
}

func TestDecodeResponsesGolden(t *testing.T) {
	in := readFile(t, "testdata/responses.xml")
	for _, generic := range []bool{false, true} {
		for _, d := range decoders {
			t.Run(fmt.Sprintf("%s/generic=%v", d.name, generic), func(t *testing.T) {
				got, err := jsonLines(t, d.new(bytes.NewReader(in), &Options{Generic: generic}))
				if err != nil {
					t.Fatal(err)
				}
				name := "testdata/responses_rs.golden"
				if generic {
					name = "testdata/responses_generic_rs.golden"
				}
				golden(t, name, []byte(got))
			})
		}
	}
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeTypedRecords(t *testing.T) {
	dec := NewDecoder(bytes.NewReader(readFile(t, "testdata/responses.xml")), nil)
	var recs []Element
	var resps []*Response
	for {
		it, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == ItemResponse {
			resps = append(resps, it.Response)
		} else {
			recs = append(recs, it.Record)
		}
	}
	if got := dec.MessageSet(); got.NewMessageSetID != "set-42" {
		t.Errorf("message set = %+v", got)
	}
	if len(resps) != 4 || len(recs) != 3 {
		t.Fatalf("got %d responses and %d records, want 4 and 3", len(resps), len(recs))
	}
	if err := resps[1].Err(); err == nil || !strings.Contains(err.Error(), "3140") {
		t.Errorf("InvoiceAddRs Err() = %v, want status 3140", err)
	}
	if resps[0].More() || !resps[3].More() {
		t.Errorf("More: %v %v, want false for a finished iterator and true with 12 remaining", resps[0].More(), resps[3].More())
	}
	if resps[0].Err() != nil || resps[1].Status().Retryable {
		t.Error("status helpers disagree with the table")
	}
	c2 := recs[1].(*CustomerRet)
	want := &CustomerRet{
		ListID: String("80000002-1197753016"), Name: String("Café ☃ Zoë"), FullName: String("Café ☃ Zoë"),
		IsActive: String("false"), Notes: String("Uses <b>CDATA</b> & keeps it"),
		ContactsRet: []ContactsRet{{ListID: String("9-1"), FirstName: String("Jo")}},
		JobStatus:   String("SomethingNew"),
	}
	if diff := cmp.Diff(want, c2); diff != "" {
		t.Errorf("CustomerRet (-want +got):\n%s", diff)
	}
	inv := recs[2].(*InvoiceRet)
	lines := inv.InvoiceLineRetOrInvoiceLineGroupRet
	if len(lines) != 2 || lines[0].InvoiceLineRet == nil || lines[1].InvoiceLineGroupRet == nil ||
		Value(lines[1].InvoiceLineGroupRet.InvoiceLineRet[0].Amount) != "100.00" {
		t.Errorf("invoice lines = %+v", lines)
	}
	if Value(inv.Memo) != "first line\nsecond line" {
		t.Errorf("memo = %q", Value(inv.Memo))
	}
}

func TestDecodeCharsets(t *testing.T) {
	tests := []struct {
		name, decl string
		raw        []byte
		want       string
	}{
		{"utf-8", `<?xml version="1.0" encoding="utf-8"?>`, []byte("Caf\xc3\xa9 \xe2\x82\xac"), "Café €"},
		{"iso-8859-1", `<?xml version="1.0" encoding="ISO-8859-1"?>`, []byte("Caf\xe9 \xa3"), "Café £"},
		{"windows-1252", `<?xml version="1.0" encoding="windows-1252"?>`, []byte("Caf\xe9 \x80 \x96"), "Café € –"},
		{"bom", "\xEF\xBB\xBF" + `<?xml version="1.0"?>`, []byte("Caf\xc3\xa9"), "Café"},
		{"references", `<?xml version="1.0"?>`, []byte("&lt;&#233;&#x20AC;&amp;&quot;&apos;&gt;"), `<é€&"'>`},
	}
	for _, tt := range tests {
		for _, d := range decoders {
			t.Run(tt.name+"/"+d.name, func(t *testing.T) {
				doc := append([]byte(tt.decl+`<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet><Name>`), tt.raw...)
				doc = append(doc, "</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"...)
				recs, err := records(d.new(bytes.NewReader(doc), nil))
				if err != nil {
					t.Fatal(err)
				}
				if got := Value(recs[0].(*CustomerRet).Name); got != tt.want {
					t.Errorf("Name = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func records(dec *Decoder) ([]Element, error) {
	var out []Element
	for {
		it, err := dec.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if it.Kind == ItemRecord {
			out = append(out, it.Record)
		}
	}
}

func TestDecodeWebConnectorEnvelope(t *testing.T) {
	inner := `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="7" statusCode="0" statusSeverity="Info"><CustomerRet><Name>A &amp; B – Zoë</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>`
	var esc bytes.Buffer
	_ = xmlEscape(&esc, inner)
	envelope := func(body string) string {
		return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
			`<receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>t-1</ticket>` + body +
			`<hresult /><message /></receiveResponseXML></soap:Body></soap:Envelope>`
	}
	for _, tt := range []struct{ name, doc string }{
		{"escaped", envelope("<response>" + esc.String() + "</response>")},
		{"cdata", envelope("<response><![CDATA[" + inner + "]]></response>")},
	} {
		for _, d := range decoders {
			t.Run(tt.name+"/"+d.name, func(t *testing.T) {
				recs, err := records(d.new(strings.NewReader(tt.doc), nil))
				if err != nil {
					t.Fatal(err)
				}
				if len(recs) != 1 || Value(recs[0].(*CustomerRet).Name) != "A & B – Zoë" {
					t.Errorf("records = %#v", recs)
				}
			})
		}
	}
	failed := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>t</ticket><response /><hresult>0x80040400</hresult><message>QuickBooks found an error when parsing the provided XML text stream.</message></receiveResponseXML></soap:Body></soap:Envelope>`
	_, err := records(NewDecoder(strings.NewReader(failed), nil))
	if !errors.Is(err, ErrNotQBXML) || !strings.Contains(err.Error(), "0x80040400") {
		t.Errorf("empty response: err = %v, want ErrNotQBXML naming the hresult", err)
	}
}

func xmlEscape(w *bytes.Buffer, s string) error {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	_, err := r.WriteString(w, s)
	return err
}

func TestDecodeRejectsHostileAndMalformedInput(t *testing.T) {
	wrap := func(s string) string {
		return `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info">` + s + `</CustomerQueryRs></QBXMLMsgsRs></QBXML>`
	}
	deep := wrap(strings.Repeat("<CustomerRet>", 100) + strings.Repeat("</CustomerRet>", 100))
	tests := []struct {
		name string
		doc  string
		opts *Options
		want error
	}{
		{"doctype", `<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><QBXML/>`, nil, ErrDTD},
		{"external entity use", wrap(`<CustomerRet><Name>&x;</Name></CustomerRet>`), nil, ErrSyntax},
		{"too deep", deep, nil, ErrTooDeep},
		{"token too large", wrap(`<CustomerRet><Notes>` + strings.Repeat("x", 300<<10) + `</Notes></CustomerRet>`), &Options{MaxTokenSize: 64 << 10}, ErrTokenTooLarge},
		{"mismatched tags", wrap(`<CustomerRet><Name>x</FullName></CustomerRet>`), nil, ErrSyntax},
		{"unterminated", `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet><Name>x`, nil, ErrSyntax},
		{"bare ampersand", wrap(`<CustomerRet><Name>A & B</Name></CustomerRet>`), nil, ErrSyntax},
		{"bad character reference", wrap(`<CustomerRet><Name>&#1;</Name></CustomerRet>`), nil, ErrSyntax},
		{"unquoted attribute", `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode=0></CustomerQueryRs></QBXMLMsgsRs></QBXML>`, nil, ErrSyntax},
		{"not qbxml", `<html><body/></html>`, nil, ErrNotQBXML},
		{"empty", ``, nil, ErrNotQBXML},
		{"charset", `<?xml version="1.0" encoding="EBCDIC-US"?><QBXML/>`, nil, ErrCharset},
		{"status code", `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="zero"/></QBXMLMsgsRs></QBXML>`, nil, ErrNotQBXML},
	}
	for _, tt := range tests {
		for _, d := range decoders {
			t.Run(tt.name+"/"+d.name, func(t *testing.T) {
				dec := d.new(strings.NewReader(tt.doc), tt.opts)
				_, err := records(dec)
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				if _, again := dec.Next(); again != err {
					t.Errorf("second Next = %v, want the same error", again)
				}
			})
		}
	}
}

// TestDecodersAgreeOnEveryNameAndTextShape decodes a document of many
// records, whose elements take every shape the gosax decoder's fast path
// tells apart (names of 1 to 20 bytes, with and without digits, '_', '-',
// '.' or a prefix; short, long, empty, white-space and escaped text), with
// the encoding/xml reference and with the gosax decoder at its usual
// buffer size and at a tiny one that puts tokens across every refill.
func TestDecodersAgreeOnEveryNameAndTextShape(t *testing.T) {
	names := []string{"A", "Ab", "Name", "ListID", "FullName", "Abcdefgh", "Abcdefghi", "AbcdefghijklmnoP",
		"AbcdefghijklmnoPq", "A1b2C3d4E5f6G7h8", "Ab_c", "Ab-c", "Ab.c", "p:Name", "ABC123", "Addr1", "Zz9"}
	texts := []string{"", "x", "12345678", "&amp;", "a&lt;b&gt;", " ", "  \n ", "Müller", "a\r\nb",
		"123456789012345678901234567890", "&#233;t&#xE9;", "7"}
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" statusCode="0" statusSeverity="Info">` + "\n")
	for i := 0; i < 1500; i++ {
		doc.WriteString("<CustomerRet>\n<ListID>" + texts[i%len(texts)] + "</ListID>\n")
		for k := 0; k < 7; k++ {
			n := names[(i*7+k)%len(names)]
			txt := texts[(i*3+k)%len(texts)]
			switch k % 3 {
			case 0:
				fmt.Fprintf(&doc, "<%s>%s</%s>\n", n, txt, n)
			case 1:
				fmt.Fprintf(&doc, "<%s><Name>%s</Name><%s/></%s >", n, txt, n, n)
			default:
				fmt.Fprintf(&doc, "<Name>%s</Name><Sublevel><%s>%s</%s></Sublevel>", txt, n, txt, n)
			}
		}
		doc.WriteString("<Name>" + texts[i%len(texts)] + "</Name></CustomerRet>\n")
	}
	doc.WriteString("</CustomerQueryRs></QBXMLMsgsRs></QBXML>\n")
	in := []byte(doc.String())

	tinyBuffer := func(r io.Reader, o *Options) *Decoder {
		o = o.withDefaults()
		dec := &Decoder{opts: o}
		dec.init = func() error {
			in, err := prepareInput(r, o)
			if err != nil {
				return err
			}
			dec.d.fast = newGosaxTokenizerSize(in, o, 64)
			dec.d.tz = dec.d.fast
			return nil
		}
		return dec
	}
	for _, generic := range []bool{false, true} {
		opts := &Options{Generic: generic}
		want, err := jsonLines(t, NewStdDecoder(bytes.NewReader(in), opts))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(want, "CustomerRet") < 1500 {
			t.Fatalf("reference decoded too little:\n%.500s", want)
		}
		for name, newDec := range map[string]func(io.Reader, *Options) *Decoder{"gosax": NewDecoder, "gosax-tiny-buffer": tinyBuffer} {
			got, err := jsonLines(t, newDec(bytes.NewReader(in), opts))
			if err != nil {
				t.Fatalf("%s generic=%v: %v", name, generic, err)
			}
			if got != want {
				t.Fatalf("%s generic=%v differs from the reference:\n%s", name, generic, firstDifference(got, want))
			}
		}
	}
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d\n got:  %s\n want: %s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g), len(w))
}
