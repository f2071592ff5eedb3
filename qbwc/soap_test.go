package qbwc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"
)

// Requests in the shapes Web Connector versions and SOAP stacks send
// decode to the same call.
func TestParseCallAcceptsTheShapesClientsSend(t *testing.T) {
	want := &call{op: "receiveResponseXML", params: map[string]string{
		"ticket": "abc", "response": `<?xml version="1.0"?><QBXML><QBXMLMsgsRs/></QBXML>`, "hresult": "", "message": "",
	}}
	cases := map[string]string{
		"dotnet": `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>abc</ticket><response>&lt;?xml version="1.0"?&gt;&lt;QBXML&gt;&lt;QBXMLMsgsRs/&gt;&lt;/QBXML&gt;</response><hresult /><message /></receiveResponseXML></soap:Body></soap:Envelope>`,
		"indented, other prefixes, comments": "<?xml version=\"1.0\"?>\r\n<!-- QBWC -->\r\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">\r\n  <SOAP-ENV:Header/>\r\n  <SOAP-ENV:Body>\r\n" +
			"    <ns1:receiveResponseXML xmlns:ns1=\"http://developer.intuit.com/\">\r\n      <ns1:ticket>abc</ns1:ticket>\r\n" +
			"      <ns1:response><![CDATA[<?xml version=\"1.0\"?><QBXML><QBXMLMsgsRs/></QBXML>]]></ns1:response>\r\n" +
			"      <ns1:hresult></ns1:hresult>\r\n      <ns1:message xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/>\r\n" +
			"    </ns1:receiveResponseXML>\r\n  </SOAP-ENV:Body>\r\n</SOAP-ENV:Envelope>\r\n",
		"unqualified parameters (Axis RPC style)": `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><q:receiveResponseXML xmlns:q="http://developer.intuit.com/"><ticket>abc</ticket><response>&lt;?xml version="1.0"?>&lt;QBXML>&lt;QBXMLMsgsRs/>&lt;/QBXML></response><hresult/><message/></q:receiveResponseXML></e:Body></e:Envelope>`,
	}
	for name, body := range cases {
		got, err := parseCall(strings.NewReader(body))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(call{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	// ISO-8859-1 documents are read as such.
	var latin bytes.Buffer
	w := charmap.ISO8859_1.NewEncoder().Writer(&latin)
	_, _ = w.Write([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate xmlns="http://developer.intuit.com/"><strUserName>José</strUserName><strPassword>pässword</strPassword></authenticate></soap:Body></soap:Envelope>`))
	got, err := parseCall(&latin)
	if err != nil || got.params["strUserName"] != "José" || got.params["strPassword"] != "pässword" {
		t.Errorf("ISO-8859-1: %+v %v", got, err)
	}
	// An operation without parameters, as serverVersion() is called.
	got, err = parseCall(strings.NewReader(`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><serverVersion xmlns="http://developer.intuit.com/" /></soap:Body></soap:Envelope>`))
	if err != nil || got.op != "serverVersion" || len(got.params) != 0 {
		t.Errorf("serverVersion(): %+v %v", got, err)
	}
}

func TestParseCallRefusesWhatIsNotOneCall(t *testing.T) {
	env := func(body string) string {
		return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + body + `</soap:Body></soap:Envelope>`
	}
	cases := map[string]string{
		"empty":                 "",
		"not xml":               "ticket=abc",
		"no envelope":           `<getLastError xmlns="http://developer.intuit.com/"><ticket>a</ticket></getLastError>`,
		"two operations":        env(`<getLastError xmlns="http://developer.intuit.com/"/><closeConnection xmlns="http://developer.intuit.com/"/>`),
		"empty body":            env(``),
		"repeated parameter":    env(`<getLastError xmlns="http://developer.intuit.com/"><ticket>a</ticket><ticket>b</ticket></getLastError>`),
		"text in body":          env(`hello`),
		"data after envelope":   env(`<getLastError xmlns="http://developer.intuit.com/"/>`) + `<x/>`,
		"must-understand":       `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><sec soap:mustUnderstand="1"/></soap:Header><soap:Body><getLastError xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>`,
		"nil with value":        env(`<getLastError xmlns="http://developer.intuit.com/"><ticket xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">a</ticket></getLastError>`),
		"undeclared prefix":     `<soap:Envelope><soap:Body/></soap:Envelope>`,
		"unsupported encoding":  `<?xml version="1.0" encoding="UTF-16"?>` + env(`<getLastError xmlns="http://developer.intuit.com/"/>`),
		"body twice":            `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><getLastError xmlns="http://developer.intuit.com/"/></soap:Body><soap:Body/></soap:Envelope>`,
		"unknown envelope part": `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Trailer/><soap:Body><getLastError xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>`,
	}
	for name, body := range cases {
		if c, err := parseCall(strings.NewReader(body)); err == nil {
			t.Errorf("%s: accepted as %+v", name, c)
		} else if f := faultOf(err); f.code == faultServer {
			t.Errorf("%s: a server fault (%v) for a client mistake", name, err)
		}
	}
}

func TestAnswersEscapeTextAsDotNetDoes(t *testing.T) {
	got := string(marshalResult("sendRequestXML", stringResult("<a b=\"c\">x & y\r\n\x01</a>")))
	want := `<sendRequestXMLResult>&lt;a b="c"&gt;x &amp; y&#xD;` + "\n\uFFFD&lt;/a&gt;</sendRequestXMLResult>"
	if !strings.Contains(got, want) {
		t.Errorf("got %s\nwant it to contain %s", got, want)
	}
	// What is written reads back the same.
	c, err := parseCall(strings.NewReader(strings.NewReplacer("sendRequestXMLResponse", "getLastError", "sendRequestXMLResult", "ticket").Replace(
		string(marshalResult("sendRequestXML", stringResult("<qbxml a=\"1\">é & ü\r\n</qbxml>"))))))
	if err != nil || c.params["ticket"] != "<qbxml a=\"1\">é & ü\r\n</qbxml>" {
		t.Errorf("round trip: %q %v", c.params["ticket"], err)
	}
}

func TestVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"2.1.0.30", "2.1.0.30", 0}, {"2.0.1.0", "2.1.0.30", -1}, {"2.3", "2.1.0.30", 1}, {"10.0", "9.9.9", 1}} {
		if got := compareVersions(parseVersion(c.a), parseVersion(c.b)); got != c.want {
			t.Errorf("compare(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if parseVersion("2.x") != nil || parseVersion("") != nil {
		t.Error("non-versions parse")
	}
}

// The fast path for receiveResponseXML reads exactly what the XML parser
// reads, and leaves to it everything it does not handle.
func TestResponseFastPathMatchesTheParser(t *testing.T) {
	texts := []string{
		"&lt;QBXML&gt;&lt;A b=&quot;1&quot; c=&apos;2&apos;&gt;x &amp;amp; y&lt;/A&gt;&lt;/QBXML&gt;",
		"line\r\nbreaks\rand&#xD;refs &#233;&#x20AC; <![CDATA[<raw> & ]] \r\n]]> tail ]",
		"",
		"bad &unknown; entity",
		"bad &#1; char",
		"stray ]]> end",
		"<![CDATA[unterminated",
		"élan ✓",
	}
	for _, text := range texts {
		for _, prefix := range []string{"", "ns1:"} {
			body := `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
				`<` + prefix + `receiveResponseXML xmlns` + strings.TrimSuffix(":"+prefix, ":") + `="http://developer.intuit.com/">` +
				`<` + prefix + `ticket>t</` + prefix + `ticket><` + prefix + `response>` + text + `</` + prefix + `response>` +
				`</` + prefix + `receiveResponseXML></soap:Body></soap:Envelope>`
			fast, ferr := parseCall(strings.NewReader(body))
			slow, serr := parseDoc([]byte(body))
			if (ferr == nil) != (serr == nil) {
				t.Errorf("%q %q: fast %v, parser %v", prefix, text, ferr, serr)
				continue
			}
			if ferr == nil && fast.params["response"] != slow.params["response"] {
				t.Errorf("%q %q: fast %q, parser %q", prefix, text, fast.params["response"], slow.params["response"])
			}
		}
	}
}

// TestParseCallRefusesEnvelopesBeyondTheTokenizersLimits: before any
// authentication, a request whose envelope has an element with many
// attributes or namespace declarations, deep nesting or a long name is
// refused with a client fault by qbxml's bounded tokenizer, before
// encoding/xml (whose cost grows faster than the input's size on some of
// these shapes) reads it. The response text a receiveResponseXML carries
// is qbXML for the decoder, which has the same limits.
func TestParseCallRefusesEnvelopesBeyondTheTokenizersLimits(t *testing.T) {
	many := func(format string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, format, i)
		}
		return b.String()
	}
	auth := `<authenticate xmlns="http://developer.intuit.com/"><strUserName>u</strUserName><strPassword>p</strPassword></authenticate>`
	cases := map[string]string{
		"many attributes":             `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"` + many(` a%d="1"`, 50000) + `><soap:Body>` + auth + `</soap:Body></soap:Envelope>`,
		"many namespace declarations": `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate xmlns="http://developer.intuit.com/"` + many(` xmlns:p%d="u"`, 50000) + `><strUserName>u</strUserName><strPassword>p</strPassword></authenticate></soap:Body></soap:Envelope>`,
		"deep header":                 `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>` + strings.Repeat("<h>", 50000) + strings.Repeat("</h>", 50000) + `</soap:Header><soap:Body>` + auth + `</soap:Body></soap:Envelope>`,
		"long parameter name":         `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate xmlns="http://developer.intuit.com/"><` + strings.Repeat("x", 5000) + `/></authenticate></soap:Body></soap:Envelope>`,
	}
	for name, body := range cases {
		c, err := parseCall(strings.NewReader(body))
		if err == nil {
			t.Errorf("%s: accepted as %s", name, c.op)
			continue
		}
		if f := faultOf(err); f.code != faultClient || !strings.Contains(f.msg, "limits") {
			t.Errorf("%s: fault %s %q, want a client fault naming the limit", name, f.code, f.msg)
		}
	}
}
