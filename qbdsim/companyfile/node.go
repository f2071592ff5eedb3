package companyfile

import (
	"bytes"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Requests are read, and Ret objects built, stored and returned, as
// qbxml.Node trees. The helpers below accept a nil node (an absent
// element), which keeps lookups in optional elements short.

// kid returns the first child of e named name, or nil.
func kid(e *qbxml.Node, name string) *qbxml.Node {
	if e == nil {
		return nil
	}
	return e.Child(name)
}

// kids returns every child of e named name.
func kids(e *qbxml.Node, name string) []*qbxml.Node {
	if e == nil {
		return nil
	}
	return e.ChildrenNamed(name)
}

// textAt returns the text of the element at the slash-separated path below
// e, or "".
func textAt(e *qbxml.Node, path string) string {
	for e != nil {
		name, rest, more := strings.Cut(path, "/")
		e = e.Child(name)
		if !more {
			break
		}
		path = rest
	}
	if e == nil {
		return ""
	}
	return e.Text
}

func hasKid(e *qbxml.Node, name string) bool { return kid(e, name) != nil }

// attrValue returns the value of e's attribute name, or "".
func attrValue(e *qbxml.Node, name string) string {
	if e == nil {
		return ""
	}
	v, _ := e.Attr(name)
	return v
}

// setKid replaces (or appends) the child of e named name.
func setKid(e *qbxml.Node, name, text string) {
	if c := e.Child(name); c != nil {
		c.Text, c.Children = text, nil
		return
	}
	e.Children = append(e.Children, qbxml.NewText(name, text))
}

// removeKids deletes every child of e named name.
func removeKids(e *qbxml.Node, name string) {
	keep := e.Children[:0]
	for _, k := range e.Children {
		if k.Name != name {
			keep = append(keep, k)
		}
	}
	e.Children = keep
}

// parseNode parses a request document or a stored Ret.
func parseNode(data []byte) (*qbxml.Node, error) {
	return qbxml.ParseNode(bytes.NewReader(data), nil)
}

// The simulator writes pure ASCII: every other character becomes a
// character reference, which is how QuickBooks' ISO-8859-1 text survives
// any transport.

// marshalNode returns e as compact XML, as Ret objects are stored.
func marshalNode(e *qbxml.Node) []byte { return e.AppendXMLASCII(nil) }

// writeNode appends e as compact XML.
func writeNode(b *bytes.Buffer, e *qbxml.Node) { b.Write(e.AppendXMLASCII(b.AvailableBuffer())) }

// escapeText appends s escaped as character data or, with attr, as a
// double-quoted attribute value.
func escapeText(b *bytes.Buffer, s string, attr bool) {
	b.Write(qbxml.AppendEscapedASCII(b.AvailableBuffer(), s, attr))
}
