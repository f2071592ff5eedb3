package companyfile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// elem is an order-preserving XML element: the form in which requests are
// read and Ret objects are built and modified.
type elem struct {
	Name  string
	Attrs []xml.Attr
	Text  string
	Kids  []*elem
}

func newElem(name string, kids ...*elem) *elem { return &elem{Name: name, Kids: kids} }

func textElem(name, text string) *elem { return &elem{Name: name, Text: text} }

// child returns the first child named name, or nil.
func (e *elem) child(name string) *elem {
	if e == nil {
		return nil
	}
	for _, k := range e.Kids {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// all returns every child named name.
func (e *elem) all(name string) []*elem {
	if e == nil {
		return nil
	}
	var out []*elem
	for _, k := range e.Kids {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// text returns the text of the child at the slash-separated path, or "".
func (e *elem) text(path string) string {
	c := e
	for _, p := range strings.Split(path, "/") {
		c = c.child(p)
		if c == nil {
			return ""
		}
	}
	return c.Text
}

func (e *elem) has(name string) bool { return e.child(name) != nil }

func (e *elem) attr(name string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// set replaces (or appends) the child named name.
func (e *elem) set(name, text string) {
	if c := e.child(name); c != nil {
		c.Text, c.Kids = text, nil
		return
	}
	e.Kids = append(e.Kids, textElem(name, text))
}

// remove deletes every child named name.
func (e *elem) remove(name string) {
	kids := e.Kids[:0]
	for _, k := range e.Kids {
		if k.Name != name {
			kids = append(kids, k)
		}
	}
	e.Kids = kids
}

func (e *elem) clone() *elem {
	c := &elem{Name: e.Name, Attrs: append([]xml.Attr(nil), e.Attrs...), Text: e.Text}
	c.Kids = make([]*elem, len(e.Kids))
	for i, k := range e.Kids {
		c.Kids[i] = k.clone()
	}
	return c
}

// parseElem parses a document or fragment into an element tree. Processing
// instructions and comments are skipped; whitespace-only text between
// elements is dropped. ISO-8859-1 and windows-1252 declarations are honoured.
func parseElem(data []byte) (*elem, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "iso-8859-1", "latin1", "latin-1", "iso8859-1":
			return charmap.ISO8859_1.NewDecoder().Reader(r), nil
		case "windows-1252", "cp1252":
			return charmap.Windows1252.NewDecoder().Reader(r), nil
		case "us-ascii", "ascii":
			return r, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	var root *elem
	var stack []*elem
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, errors.New("more than one root element")
			}
			e := &elem{Name: t.Name.Local}
			if len(t.Attr) > 0 {
				e.Attrs = append([]xml.Attr(nil), t.Attr...)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Kids = append(p.Kids, e)
			} else {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			top := stack[len(stack)-1]
			if len(top.Kids) > 0 {
				top.Text = ""
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			top := stack[len(stack)-1]
			if len(top.Kids) == 0 {
				top.Text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// writeElem appends e as compact XML. Text is escaped so that the output is
// pure ASCII: every character outside it becomes a character reference,
// which is how QuickBooks' ISO-8859-1 text survives any transport.
func writeElem(b *bytes.Buffer, e *elem) {
	b.WriteByte('<')
	b.WriteString(e.Name)
	for _, a := range e.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Name.Local)
		b.WriteString(`="`)
		escapeText(b, a.Value, true)
		b.WriteByte('"')
	}
	if len(e.Kids) == 0 && e.Text == "" {
		b.WriteString(" />")
		return
	}
	b.WriteByte('>')
	if len(e.Kids) > 0 {
		for _, k := range e.Kids {
			writeElem(b, k)
		}
	} else {
		escapeText(b, e.Text, false)
	}
	b.WriteString("</")
	b.WriteString(e.Name)
	b.WriteByte('>')
}

func marshalElem(e *elem) []byte {
	var b bytes.Buffer
	writeElem(&b, e)
	return b.Bytes()
}

func escapeText(b *bytes.Buffer, s string, attr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && attr:
			b.WriteString("&quot;")
		case r == '\'' && attr:
			b.WriteString("&apos;")
		case r == '\t' || r == '\n' || r == '\r':
			if attr {
				fmt.Fprintf(b, "&#%d;", r)
			} else {
				b.WriteRune(r)
			}
		case r < 0x20:
			// Control characters are not allowed in XML 1.0; drop them.
		case r < 0x80:
			b.WriteByte(byte(r))
		default:
			fmt.Fprintf(b, "&#%d;", r)
		}
	}
}
