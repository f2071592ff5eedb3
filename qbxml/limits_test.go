package qbxml

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// attrsTag returns a start tag named name with n attributes a0="v"...
func attrsTag(name string, n int) string {
	var b strings.Builder
	b.WriteString("<" + name)
	for i := range n {
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	return b.String() + ">"
}

// TestDecodersRefuseElementsBeyondQBXMLsLimits: an element with more
// attributes, or a longer name, than qbXML ever uses, and an element
// whose text outgrows the token limit piece by piece, are refused with
// ErrTokenTooLarge by both decoders, for responses (typed and generic)
// and for requests (ParseNode, the passthrough's parser); an element at
// each limit is accepted.
func TestDecodersRefuseElementsBeyondQBXMLsLimits(t *testing.T) {
	wrap := func(s string) string {
		return `<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info">` + s + `</CustomerQueryRs></QBXMLMsgsRs></QBXML>`
	}
	long := "N" + strings.Repeat("a", maxNameLen) // one byte over
	atLimit := long[:maxNameLen]
	tests := []struct {
		name string
		doc  string
		opts *Options
		want error // nil: accepted
	}{
		{"attributes at the limit", wrap(attrsTag("CustomerRet", maxAttrs) + `<Name>x</Name></CustomerRet>`), nil, nil},
		{"one attribute too many", wrap(attrsTag("CustomerRet", maxAttrs+1) + `<Name>x</Name></CustomerRet>`), nil, ErrTokenTooLarge},
		{"80,000 attributes", wrap(attrsTag("CustomerRet", 80000) + `<Name>x</Name></CustomerRet>`), nil, ErrTokenTooLarge},
		{"attributes on a simple element", wrap(`<CustomerRet>` + attrsTag("Name", maxAttrs+1) + `x</Name></CustomerRet>`), nil, ErrTokenTooLarge},
		{"attributes on the response", `<QBXML><QBXMLMsgsRs>` + attrsTag("CustomerQueryRs", maxAttrs+1) + `</CustomerQueryRs></QBXMLMsgsRs></QBXML>`, nil, ErrTokenTooLarge},
		{"a syntax error after too many attributes wins", wrap(attrsTag("CustomerRet", maxAttrs+1)[:len(attrsTag("CustomerRet", maxAttrs+1))-1] + ` b=unquoted><Name>x</Name></CustomerRet>`), nil, ErrSyntax},
		{"element name at the limit", wrap(`<CustomerRet><` + atLimit + `>x</` + atLimit + `></CustomerRet>`), nil, nil},
		{"element name too long", wrap(`<CustomerRet><` + long + `>x</` + long + `></CustomerRet>`), nil, ErrTokenTooLarge},
		{"prefixed element name too long", wrap(`<CustomerRet><p:` + long + `>x</p:` + long + `></CustomerRet>`), nil, ErrTokenTooLarge},
		{"non-ASCII element name too long", wrap(`<CustomerRet><` + strings.Repeat("é", maxNameLen) + `>x</` + strings.Repeat("é", maxNameLen) + `></CustomerRet>`), nil, ErrTokenTooLarge},
		{"attribute name too long", wrap(`<CustomerRet ` + long + `="1"><Name>x</Name></CustomerRet>`), nil, ErrTokenTooLarge},
		{"duplicate attribute of a long-named element", wrap(`<` + long + ` a="1" a="2"></` + long + `>`), nil, ErrSyntax},
		{"text split by comments", wrap(`<CustomerRet><Notes>` + strings.Repeat("0123456789abcdef<!---->", 5000) + `</Notes></CustomerRet>`), &Options{MaxTokenSize: 64 << 10}, ErrTokenTooLarge},
		{"text split by CDATA on a simple element", wrap(`<CustomerRet><Name>` + strings.Repeat("0123456789abcdef<![CDATA[x]]>", 5000) + `</Name></CustomerRet>`), &Options{MaxTokenSize: 64 << 10}, ErrTokenTooLarge},
		{"one text over the limit", wrap(`<CustomerRet><Name>` + strings.Repeat("x", 64<<10+100) + `</Name></CustomerRet>`), &Options{MaxTokenSize: 64 << 10}, ErrTokenTooLarge},
	}
	for _, tt := range tests {
		for _, d := range decoders {
			for _, generic := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/generic=%v", tt.name, d.name, generic), func(t *testing.T) {
					o := Options{Generic: generic}
					if tt.opts != nil {
						o.MaxTokenSize = tt.opts.MaxTokenSize
					}
					_, err := records(d.new(strings.NewReader(tt.doc), &o))
					checkLimitErr(t, err, tt.want)
				})
			}
		}
		t.Run(tt.name+"/ParseNode", func(t *testing.T) {
			_, err := ParseNode(strings.NewReader(tt.doc), tt.opts)
			checkLimitErr(t, err, tt.want)
		})
	}
}

func checkLimitErr(tb testing.TB, err, want error) {
	tb.Helper()
	if want == nil {
		if err != nil {
			tb.Fatalf("refused: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		tb.Fatalf("err = %v, want %v", err, want)
	}
	if len(err.Error()) > 300 || strings.Contains(err.Error(), "\n") {
		tb.Errorf("error is not one short line: %.400q", err)
	}
}

// TestLimitsLeaveRoomForEveryQBXMLElement checks the attribute and name
// limits against the schema: the numbers the limits' comments quote are
// the schema's, and every element and attribute of qbXML fits.
func TestLimitsLeaveRoomForEveryQBXMLElement(t *testing.T) {
	attrs, name := 0, 0
	for _, et := range ElementTypes() {
		attrs = max(attrs, len(et.Attrs))
		name = max(name, len(et.Name))
		for _, a := range et.Attrs {
			name = max(name, len(a.Name))
		}
		for _, c := range et.Children {
			name = max(name, len(c.Name))
			if c.Simple != nil {
				attrs = max(attrs, len(c.Simple.Attrs))
			}
		}
	}
	if attrs != schemaMaxAttrs || name != schemaMaxNameLen {
		t.Errorf("the schema uses up to %d attributes and names of %d bytes; the constants say %d and %d", attrs, name, schemaMaxAttrs, schemaMaxNameLen)
	}
	if maxAttrs < 2*schemaMaxAttrs || maxNameLen < 2*schemaMaxNameLen {
		t.Errorf("limits %d attributes and %d-byte names leave too little room over the schema's %d and %d", maxAttrs, maxNameLen, attrs, name)
	}
}

// TestCheckDocumentAppliesTheDecodersLimitsToAnyDocument: a SOAP envelope
// (or any XML) is checked, not unwrapped; hostile shapes are refused with
// the decoder's error classes.
func TestCheckDocumentAppliesTheDecodersLimitsToAnyDocument(t *testing.T) {
	env := func(s string) string {
		return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + s + `</soap:Body></soap:Envelope>`
	}
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"a Web Connector call", env(`<authenticate xmlns="http://developer.intuit.com/"><strUserName>u</strUserName><strPassword xsi:nil="true" xmlns:xsi="x"/></authenticate>`), nil},
		{"ISO-8859-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a>Caf` + "\xe9</a>", nil},
		{"many attributes", env(attrsTag("authenticate", 80000) + `</authenticate>`), ErrTokenTooLarge},
		{"deep", env(strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)), ErrTooDeep},
		{"long name", env(`<` + strings.Repeat("a", 200) + `/>`), ErrTokenTooLarge},
		{"DTD", `<!DOCTYPE a><a/>`, ErrDTD},
		{"two roots", `<a/><b/>`, ErrSyntax},
		{"no root", ` `, ErrSyntax},
		{"malformed", env(`<a>`), ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLimitErr(t, CheckDocument(strings.NewReader(tt.doc), nil), tt.want)
		})
	}
	long := env(`<Notes>` + strings.Repeat("0123456789abcdef<!---->", 5000) + `</Notes>`)
	checkLimitErr(t, CheckDocument(strings.NewReader(long), &Options{MaxTokenSize: 64 << 10}), ErrTokenTooLarge)
}
