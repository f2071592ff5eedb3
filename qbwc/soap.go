package qbwc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Namespaces of the protocol.
const (
	// Namespace is the Web Connector's service namespace: every operation
	// and parameter element is in it, and SOAPAction is Namespace+operation.
	Namespace = "http://developer.intuit.com/"
	nsSOAP11  = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12  = "http://www.w3.org/2003/05/soap-envelope"
	nsXSI     = "http://www.w3.org/2001/XMLSchema-instance"
)

// Fault codes (SOAP 1.1 §4.4.1).
const (
	faultClient          = "soap:Client"
	faultServer          = "soap:Server"
	faultVersionMismatch = "soap:VersionMismatch"
)

// fault is a SOAP 1.1 fault: the only way this endpoint reports that it
// could not serve a call. Its text is written for the developer reading
// QBWCLog.txt; nothing else (no log line, no stack) ever reaches the body.
type fault struct {
	code   string
	msg    string
	status int // HTTP status; 0 means 500 as SOAP 1.1 asks
}

func (f *fault) Error() string { return f.code + ": " + f.msg }

func clientFault(format string, args ...any) *fault {
	return &fault{code: faultClient, msg: fmt.Sprintf(format, args...)}
}

// call is one decoded request: the operation and its string parameters.
// A parameter sent empty, as an empty element, or with xsi:nil is "".
type call struct {
	op     string
	params map[string]string
}

func (c *call) param(name string) string { return c.params[name] }

// parseCall decodes a SOAP 1.1 document/literal request. It accepts what
// .NET, Axis and hand-written clients send: any prefixes, whitespace and
// comments between elements, a Header, unqualified parameter elements,
// empty and nil elements, CDATA, and ISO-8859-1 or windows-1252 documents.
// It refuses SOAP 1.2, DTDs, mixed content, repeated parameters and
// anything after the envelope.
func parseCall(r io.Reader) (*call, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, parseError(err)
	}
	// receiveResponseXML carries QuickBooks' whole answer as one escaped
	// text: encoding/xml reads such text at about 15 MB/s. The answer is
	// cut out, the rest parsed and checked as usual, and the answer
	// unescaped by a scanner a hundred times faster.
	if start, end, ok := findResponseText(body); ok {
		rest := make([]byte, 0, len(body)-(end-start)+len(responsePlaceholder))
		rest = append(append(append(rest, body[:start]...), responsePlaceholder...), body[end:]...)
		c, err := parseDoc(rest)
		if err == nil && c.op == "receiveResponseXML" && c.params["response"] == responsePlaceholder {
			if text, ok := unescapeText(body[start:end]); ok {
				c.params["response"] = text
				return c, nil
			}
		}
	}
	return parseDoc(body)
}

func parseError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fault{code: faultClient, msg: fmt.Sprintf("the request is larger than %d bytes", mbe.Limit), status: http.StatusRequestEntityTooLarge}
	}
	var f *fault
	if errors.As(err, &f) {
		return f
	}
	return clientFault("malformed SOAP request: %v", err)
}

// responsePlaceholder stands for the cut-out answer; it cannot occur in a
// well-formed request's text by chance (it holds no markup and is checked
// to be the response parameter's whole value).
const responsePlaceholder = "qbconnect-response-placeholder-7f3a9c"

var (
	responseStartRE = regexp.MustCompile(`<([A-Za-z_][\w.-]*:)?response(\s[^<>]*)?>`)
	utf8DeclRE      = regexp.MustCompile(`^(\xEF\xBB\xBF)?\s*(<\?xml[^>]*encoding\s*=\s*["'](?i:utf-8)["'][^>]*\?>|<\?xml(\s+version\s*=\s*["'][^"']*["'])?\s*\?>|<)`)
)

// findResponseText returns the byte range of the text of the first
// <response> element of a UTF-8 document: text and CDATA sections up to
// its end tag, with no element inside.
func findResponseText(body []byte) (int, int, bool) {
	if !utf8DeclRE.Match(body) {
		return 0, 0, false
	}
	loc := responseStartRE.FindSubmatchIndex(body)
	if loc == nil || body[loc[1]-2] == '/' {
		return 0, 0, false
	}
	start, i := loc[1], loc[1]
	for {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return 0, 0, false
		}
		i += j
		if bytes.HasPrefix(body[i:], []byte("<![CDATA[")) {
			k := bytes.Index(body[i:], []byte("]]>"))
			if k < 0 {
				return 0, 0, false
			}
			i += k + 3
			continue
		}
		prefix := ""
		if loc[2] >= 0 {
			prefix = string(body[loc[2]:loc[3]])
		}
		end := "</" + prefix + "response"
		if !bytes.HasPrefix(body[i:], []byte(end)) {
			return 0, 0, false
		}
		return start, i, true
	}
}

// unescapeText returns XML text as a parser reads it: entity and character
// references replaced, CDATA sections unwrapped, line ends normalised.
// ok is false for anything it does not handle exactly (the caller then
// parses the slow way, which reports the error).
func unescapeText(b []byte) (string, bool) {
	var out strings.Builder
	out.Grow(len(b))
	for len(b) > 0 {
		i := bytes.IndexAny(b, "&<\r]")
		if i < 0 {
			out.Write(b)
			break
		}
		out.Write(b[:i])
		b = b[i:]
		switch b[0] {
		case '\r':
			out.WriteByte('\n')
			b = b[1:]
			if len(b) > 0 && b[0] == '\n' {
				b = b[1:]
			}
		case ']':
			if bytes.HasPrefix(b, []byte("]]>")) {
				return "", false
			}
			out.WriteByte(']')
			b = b[1:]
		case '<':
			k := bytes.Index(b, []byte("]]>"))
			if !bytes.HasPrefix(b, []byte("<![CDATA[")) || k < 0 {
				return "", false
			}
			cdata := b[len("<![CDATA["):k]
			for len(cdata) > 0 {
				j := bytes.IndexByte(cdata, '\r')
				if j < 0 {
					out.Write(cdata)
					break
				}
				out.Write(cdata[:j])
				out.WriteByte('\n')
				cdata = cdata[j+1:]
				if len(cdata) > 0 && cdata[0] == '\n' {
					cdata = cdata[1:]
				}
			}
			b = b[k+3:]
		case '&':
			k := bytes.IndexByte(b, ';')
			if k < 2 || k > 12 {
				return "", false
			}
			ref := string(b[1:k])
			switch ref {
			case "lt":
				out.WriteByte('<')
			case "gt":
				out.WriteByte('>')
			case "amp":
				out.WriteByte('&')
			case "quot":
				out.WriteByte('"')
			case "apos":
				out.WriteByte('\'')
			default:
				var n uint64
				var err error
				switch {
				case strings.HasPrefix(ref, "#x"):
					n, err = strconv.ParseUint(ref[2:], 16, 32)
				case strings.HasPrefix(ref, "#"):
					n, err = strconv.ParseUint(ref[1:], 10, 32)
				default:
					return "", false
				}
				if err != nil || !isXMLChar(rune(n)) {
					return "", false
				}
				out.WriteRune(rune(n))
			}
			b = b[k+1:]
		}
	}
	s := out.String()
	if !utf8.ValidString(s) {
		return "", false
	}
	for _, r := range s {
		if !isXMLChar(r) {
			return "", false
		}
	}
	return s, true
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// parseDoc parses a request. encoding/xml, which resolves its
// namespaces, has no limits of its own (its cost grows faster than the
// size of a tag with many namespace declarations), so qbxml's bounded
// tokenizer reads the document first and refuses what is beyond its
// limits: more than 64 levels, 16 attributes on an element, names of more
// than 128 bytes. Its other findings are left to encoding/xml, whose
// messages name SOAP's rules.
func parseDoc(doc []byte) (*call, error) {
	err := qbxml.CheckDocument(bytes.NewReader(doc), &qbxml.Options{MaxTokenSize: len(doc) + 1})
	if errors.Is(err, qbxml.ErrTokenTooLarge) || errors.Is(err, qbxml.ErrTooDeep) {
		return nil, clientFault("the request is beyond this endpoint's limits: %v", err)
	}
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return in, nil
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
			return charmap.ISO8859_1.NewDecoder().Reader(in), nil
		case "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(in), nil
		}
		return nil, fmt.Errorf("encoding %q is not supported (send UTF-8)", label)
	}
	p := &parser{d: d}
	c, err := p.envelope()
	if err != nil {
		return nil, parseError(err)
	}
	return c, nil
}

type parser struct{ d *xml.Decoder }

// next returns the next start or end element, skipping comments,
// processing instructions and whitespace; other text is an error.
func (p *parser) next() (xml.Token, error) {
	for {
		tok, err := p.d.Token()
		if err != nil {
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement, xml.EndElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, clientFault("unexpected text %q outside a parameter", truncate(string(t), 40))
			}
		case xml.Directive:
			return nil, clientFault("DTDs and other directives are not accepted")
		}
	}
}

func (p *parser) envelope() (*call, error) {
	tok, err := p.next()
	if err != nil {
		return nil, err
	}
	env, ok := tok.(xml.StartElement)
	if !ok || env.Name.Local != "Envelope" {
		return nil, clientFault("the document is not a SOAP envelope")
	}
	switch env.Name.Space {
	case nsSOAP11:
	case nsSOAP12:
		return nil, &fault{code: faultVersionMismatch, msg: "SOAP 1.2 is not supported; the Web Connector speaks SOAP 1.1"}
	default:
		return nil, &fault{code: faultVersionMismatch, msg: fmt.Sprintf("envelope namespace %q is not SOAP 1.1's %q", env.Name.Space, nsSOAP11)}
	}
	var c *call
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		if _, end := tok.(xml.EndElement); end {
			break
		}
		el := tok.(xml.StartElement)
		switch {
		case el.Name.Space == nsSOAP11 && el.Name.Local == "Header" && c == nil:
			if err := p.skipHeader(); err != nil {
				return nil, err
			}
		case el.Name.Space == nsSOAP11 && el.Name.Local == "Body" && c == nil:
			if c, err = p.body(); err != nil {
				return nil, err
			}
		default:
			return nil, clientFault("unexpected element <%s> in the envelope", el.Name.Local)
		}
	}
	if c == nil {
		return nil, clientFault("the envelope has no Body")
	}
	// Nothing but whitespace and comments may follow the envelope.
	for {
		tok, err := p.d.Token()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, clientFault("data after the envelope")
			}
		default:
			return nil, clientFault("data after the envelope")
		}
	}
}

// skipHeader skips the Header; a header block that must be understood is
// refused, as SOAP requires, since this service understands none.
func (p *parser) skipHeader() error {
	depth := 1
	for depth > 0 {
		tok, err := p.d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 1 {
				for _, a := range t.Attr {
					if a.Name.Space == nsSOAP11 && a.Name.Local == "mustUnderstand" && strings.TrimSpace(a.Value) == "1" {
						return &fault{code: "soap:MustUnderstand", msg: fmt.Sprintf("header block <%s> is not understood", t.Name.Local)}
					}
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func (p *parser) body() (*call, error) {
	tok, err := p.next()
	if err != nil {
		return nil, err
	}
	op, ok := tok.(xml.StartElement)
	if !ok {
		return nil, clientFault("the Body is empty; it must hold one operation element")
	}
	if op.Name.Space != Namespace {
		return nil, clientFault("operation <%s> must be in namespace %q, not %q", op.Name.Local, Namespace, op.Name.Space)
	}
	c := &call{op: op.Name.Local, params: map[string]string{}}
	for {
		tok, err := p.next()
		if err != nil {
			return nil, err
		}
		if _, end := tok.(xml.EndElement); end {
			break
		}
		el := tok.(xml.StartElement)
		if el.Name.Space != Namespace && el.Name.Space != "" {
			return nil, clientFault("parameter <%s> must be in namespace %q, not %q", el.Name.Local, Namespace, el.Name.Space)
		}
		if _, dup := c.params[el.Name.Local]; dup {
			return nil, clientFault("parameter <%s> is repeated", el.Name.Local)
		}
		v, err := p.text(el)
		if err != nil {
			return nil, err
		}
		c.params[el.Name.Local] = v
	}
	tok, err = p.next()
	if err != nil {
		return nil, err
	}
	if _, end := tok.(xml.EndElement); !end {
		return nil, clientFault("the Body must hold exactly one operation element")
	}
	return c, nil
}

// text reads a parameter's text up to its end tag.
func (p *parser) text(el xml.StartElement) (string, error) {
	nilled := false
	for _, a := range el.Attr {
		if a.Name.Space == nsXSI && a.Name.Local == "nil" {
			nilled = strings.TrimSpace(a.Value) == "true" || strings.TrimSpace(a.Value) == "1"
		}
	}
	var b strings.Builder
	for {
		tok, err := p.d.Token()
		if err != nil {
			if err == io.EOF {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			if nilled {
				if strings.TrimSpace(b.String()) != "" {
					return "", clientFault("parameter <%s> is nil but has a value", el.Name.Local)
				}
				return "", nil
			}
			return b.String(), nil
		case xml.StartElement:
			return "", clientFault("parameter <%s> holds an element <%s>; its value must be text (escape the qbXML)", el.Name.Local, t.Name.Local)
		case xml.Directive:
			return "", clientFault("directives are not accepted")
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// The answers. They are written by hand, byte for byte in the shape .NET's
// ASMX services produce and the Web Connector has always parsed.

const envelopeStart = `<?xml version="1.0" encoding="utf-8"?>` +
	`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
	`<soap:Body>`
const envelopeEnd = `</soap:Body></soap:Envelope>`

// result is an operation's answer: a string, an int or an array of
// strings (authenticate).
type result struct {
	str   string
	num   *int
	array []string
}

func stringResult(s string) result { return result{str: s} }
func intResult(n int) result       { return result{num: &n} }
func arrayResult(a []string) result {
	if a == nil {
		a = []string{}
	}
	return result{array: a}
}

// escape writes s as XML text the way .NET does: &, < and > escaped,
// quotes and line breaks as they are (a carriage return as &#xD; so that
// it survives parsing), characters XML cannot carry replaced by U+FFFD.
func escape(b *bytes.Buffer, s string) {
	last := 0
	for i, r := range s {
		var rep string
		switch {
		case r == '&':
			rep = "&amp;"
		case r == '<':
			rep = "&lt;"
		case r == '>':
			rep = "&gt;"
		case r == '\r':
			rep = "&#xD;"
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			rep = "\uFFFD"
		case r < 0x20 && r != '\t' && r != '\n', r == 0xFFFE, r == 0xFFFF:
			rep = "\uFFFD"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		_, size := utf8.DecodeRuneInString(s[i:])
		last = i + size
	}
	b.WriteString(s[last:])
}

// marshalResult returns the answer envelope of op.
func marshalResult(op string, r result) []byte {
	var b bytes.Buffer
	b.Grow(len(envelopeStart) + len(envelopeEnd) + 2*len(op) + len(r.str) + 128)
	b.WriteString(envelopeStart)
	b.WriteString("<" + op + `Response xmlns="` + Namespace + `">`)
	b.WriteString("<" + op + "Result>")
	switch {
	case r.num != nil:
		b.WriteString(strconv.Itoa(*r.num))
	case r.array != nil:
		for _, s := range r.array {
			b.WriteString("<string>")
			escape(&b, s)
			b.WriteString("</string>")
		}
	default:
		escape(&b, r.str)
	}
	b.WriteString("</" + op + "Result>")
	b.WriteString("</" + op + "Response>")
	b.WriteString(envelopeEnd)
	return b.Bytes()
}

// marshalFault returns a fault envelope.
func marshalFault(f *fault) []byte {
	var b bytes.Buffer
	b.WriteString(envelopeStart)
	b.WriteString("<soap:Fault><faultcode>")
	escape(&b, f.code)
	b.WriteString("</faultcode><faultstring>")
	escape(&b, f.msg)
	b.WriteString("</faultstring><detail /></soap:Fault>")
	b.WriteString(envelopeEnd)
	return b.Bytes()
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the Web Connector went away; nothing to do
}
