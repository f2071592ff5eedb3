package qbxml

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// prepareInput strips a UTF-8 byte order mark, converts ISO-8859-1 and
// windows-1252 input to UTF-8 as its XML declaration says, and unwraps a
// Web Connector SOAP envelope so that the tokenizers always see a UTF-8
// qbXML document.
func prepareInput(r io.Reader, o *Options) (io.Reader, error) { return prepare(r, o, true) }

// prepare is prepareInput; unwrapSOAP false leaves a SOAP envelope as it is.
func prepare(r io.Reader, o *Options, unwrapSOAP bool) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
		head = head[3:]
	} else if bytes.HasPrefix(head, []byte("\xFE\xFF")) || bytes.HasPrefix(head, []byte("\xFF\xFE")) {
		return nil, fmt.Errorf("%w: UTF-16", ErrCharset)
	}
	var in io.Reader = br
	enc, err := declaredEncoding(head)
	if err != nil {
		return nil, err
	}
	switch enc {
	case "", "utf-8", "utf8":
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso_8859-1", "l1":
		in = charmap.ISO8859_1.NewDecoder().Reader(br)
	case "windows-1252", "cp1252", "x-cp1252":
		in = charmap.Windows1252.NewDecoder().Reader(br)
	case "us-ascii", "ascii":
	default:
		return nil, fmt.Errorf("%w: %q", ErrCharset, enc)
	}
	if unwrapSOAP && isSOAP(head) {
		return newSOAPReader(bufio.NewReaderSize(in, 4096), o)
	}
	return in, nil
}

// declaredEncoding returns the lower-cased encoding of the XML declaration
// at the start of head, or "".
func declaredEncoding(head []byte) (string, error) {
	if !bytes.HasPrefix(head, []byte("<?xml")) {
		return "", nil
	}
	end := bytes.Index(head, []byte("?>"))
	if end < 0 {
		return "", nil
	}
	decl := string(head[5:end])
	i := strings.Index(decl, "encoding")
	if i < 0 {
		return "", nil
	}
	rest := strings.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if !strings.HasPrefix(rest, "=") {
		return "", nil
	}
	rest = strings.TrimLeft(rest[1:], " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return "", nil
	}
	q := rest[0]
	j := strings.IndexByte(rest[1:], q)
	if j < 0 {
		return "", nil
	}
	return strings.ToLower(rest[1 : 1+j]), nil
}

// isSOAP reports whether the document's root element is a SOAP Envelope.
func isSOAP(head []byte) bool {
	b := head
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return false
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return false
			}
			b = b[i+3:]
		case bytes.HasPrefix(b, []byte("<")):
			name := b[1:]
			if i := bytes.IndexAny(name, " \t\r\n/>"); i >= 0 {
				name = name[:i]
			}
			if i := bytes.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return string(name) == "Envelope"
		default:
			return false
		}
	}
}
