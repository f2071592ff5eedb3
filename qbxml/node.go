package qbxml

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"
)

// Node is a generic, order-preserving qbXML element: any request, response
// or record can be held, inspected and written without its generated type.
type Node struct {
	// Name is the element name.
	Name string
	// Attrs are the attributes in document order.
	Attrs []NodeAttr
	// Children are the child elements in document order.
	Children []*Node
	// Text is the character data of an element without children.
	Text string
}

// NodeAttr is one attribute of a Node.
type NodeAttr struct {
	Name  string
	Value string
}

// NewNode returns an element with the given children.
func NewNode(name string, children ...*Node) *Node {
	return &Node{Name: name, Children: children}
}

// NewText returns a simple element holding text.
func NewText(name, text string) *Node { return &Node{Name: name, Text: text} }

// ElementName returns n.Name, so that a Node is an Element.
func (n *Node) ElementName() string { return n.Name }

// ToNode returns n itself, so that a Node is an Element.
func (n *Node) ToNode() *Node { return n }

// Attr returns the value of the attribute name and whether it is present.
func (n *Node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// SetAttr sets or adds the attribute name and returns n.
func (n *Node) SetAttr(name, value string) *Node {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			n.Attrs[i].Value = value
			return n
		}
	}
	n.Attrs = append(n.Attrs, NodeAttr{Name: name, Value: value})
	return n
}

// Add appends children and returns n.
func (n *Node) Add(children ...*Node) *Node {
	n.Children = append(n.Children, children...)
	return n
}

// Child returns the first child named name, or nil.
func (n *Node) Child(name string) *Node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ChildrenNamed returns every child named name, in document order.
func (n *Node) ChildrenNamed(name string) []*Node {
	var out []*Node
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// ChildText returns the text of the first child named name and whether
// that child exists.
func (n *Node) ChildText(name string) (string, bool) {
	if c := n.Child(name); c != nil {
		return c.Text, true
	}
	return "", false
}

// Path returns the text of the element reached by following names from n
// ("CustomerRef", "FullName"), and whether it exists.
func (n *Node) Path(names ...string) (string, bool) {
	cur := n
	for _, name := range names {
		cur = cur.Child(name)
		if cur == nil {
			return "", false
		}
	}
	return cur.Text, true
}

// Clone returns a deep copy of n.
func (n *Node) Clone() *Node {
	c := &Node{Name: n.Name, Text: n.Text}
	c.Attrs = append([]NodeAttr(nil), n.Attrs...)
	if len(n.Children) > 0 {
		c.Children = make([]*Node, len(n.Children))
		for i, k := range n.Children {
			c.Children[i] = k.Clone()
		}
	}
	return c
}

func (n *Node) addAttr(name, value string) {
	if value != "" {
		n.Attrs = append(n.Attrs, NodeAttr{Name: name, Value: value})
	}
}

func (n *Node) addText(name string, v *string) {
	if v != nil {
		n.Children = append(n.Children, &Node{Name: name, Text: *v})
	}
}

func (n *Node) addTexts(name string, vs []string) {
	for _, v := range vs {
		n.Children = append(n.Children, &Node{Name: name, Text: v})
	}
}

func (n *Node) addMacro(name string, v *MacroID) {
	if v == nil {
		return
	}
	c := &Node{Name: name, Text: v.Value}
	c.addAttr("useMacro", v.UseMacro)
	n.Children = append(n.Children, c)
}

func (n *Node) addChild(c *Node) {
	if c != nil {
		n.Children = append(n.Children, c)
	}
}

// MacroID is the value of an ID element that may refer, through useMacro,
// to an object created earlier in the same message set (qbXML defMacro).
type MacroID struct {
	// Value is the ID itself; empty when UseMacro is set.
	Value string
	// UseMacro names the macro defined by a defMacro attribute.
	UseMacro string
}

// AppendXML appends n as XML to b. Text and attribute values are escaped
// and every character outside ISO-8859-1 is written as a numeric character
// reference, which is what QuickBooks accepts.
func (n *Node) AppendXML(b []byte) []byte { return n.appendXML(b, 0xFF) }

// AppendXMLASCII appends n like AppendXML but writes every character
// outside ASCII as a numeric character reference, so that the output reads
// the same in any ASCII-compatible encoding (UTF-8, ISO-8859-1,
// windows-1252) whatever the document declares.
func (n *Node) AppendXMLASCII(b []byte) []byte { return n.appendXML(b, 0x7F) }

// AppendEscapedASCII appends s escaped as XML character data, or as the
// value of a double-quoted attribute when attr is set, with the escaping of
// AppendXMLASCII. It serves documents written piece by piece around
// elements appended with AppendXMLASCII.
func AppendEscapedASCII(b []byte, s string, attr bool) []byte {
	return appendEscaped(b, s, attr, 0x7F)
}

// appendXML writes n with every character above limit as a reference.
func (n *Node) appendXML(b []byte, limit rune) []byte {
	b = append(b, '<')
	b = append(b, n.Name...)
	for _, a := range n.Attrs {
		b = append(b, ' ')
		b = append(b, a.Name...)
		b = append(b, '=', '"')
		b = appendEscaped(b, a.Value, true, limit)
		b = append(b, '"')
	}
	if len(n.Children) == 0 && n.Text == "" {
		return append(b, '/', '>')
	}
	b = append(b, '>')
	if len(n.Children) > 0 {
		for _, c := range n.Children {
			b = c.appendXML(b, limit)
		}
	} else {
		b = appendEscaped(b, n.Text, false, limit)
	}
	b = append(b, '<', '/')
	b = append(b, n.Name...)
	return append(b, '>')
}

// WriteXML writes n as XML to w, with the escaping of AppendXML.
func (n *Node) WriteXML(w io.Writer) error {
	_, err := w.Write(n.AppendXML(nil))
	return err
}

// String returns n as XML.
func (n *Node) String() string { return string(n.AppendXML(nil)) }

// appendEscaped escapes XML markup and writes characters above limit (U+00FF
// or U+007F) as character references. Invalid UTF-8 bytes become U+FFFD's
// reference.
func appendEscaped(b []byte, s string, attr bool, limit rune) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '"':
				if attr {
					b = append(b, "&quot;"...)
				} else {
					b = append(b, c)
				}
			case '\r':
				b = append(b, "&#13;"...)
			case '\n', '\t':
				if attr {
					b = append(b, "&#"...)
					b = strconv.AppendInt(b, int64(c), 10)
					b = append(b, ';')
				} else {
					b = append(b, c)
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r <= limit {
			b = append(b, s[i:i+size]...)
		} else {
			b = append(b, "&#"...)
			b = strconv.AppendInt(b, int64(r), 10)
			b = append(b, ';')
		}
		i += size
	}
	return b
}

// MarshalJSON writes n as a JSON object keyed by element names: see Map.
func (n *Node) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	n.appendJSONObject(&buf, Lookup(n.Name))
	return buf.Bytes(), nil
}

// Map returns the content of n as nested maps keyed by qbXML element
// names: a simple child is a string, a complex child a map, and a child
// that the schema lets repeat is a slice, even when it occurs once.
// Attributes appear under "@name"; the text of an element that also has
// attributes appears under "#text".
func (n *Node) Map() map[string]any {
	var v map[string]any
	b, _ := n.MarshalJSON()
	_ = json.Unmarshal(b, &v)
	return v
}

func (n *Node) appendJSONObject(buf *bytes.Buffer, t *ElementType) {
	buf.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			buf.WriteByte(',')
		}
		first = false
	}
	for _, a := range n.Attrs {
		sep()
		writeJSONString(buf, "@"+a.Name)
		buf.WriteByte(':')
		writeJSONString(buf, a.Value)
	}
	if len(n.Children) == 0 && len(n.Attrs) > 0 && n.Text != "" {
		sep()
		buf.WriteString(`"#text":`)
		writeJSONString(buf, n.Text)
	}
	done := make(map[string]bool, len(n.Children))
	for i, c := range n.Children {
		if done[c.Name] {
			continue
		}
		var ct *Child
		if t != nil {
			ct = t.Child(c.Name)
		}
		repeated := ct != nil && ct.Max != 1
		count := 0
		for _, o := range n.Children[i:] {
			if o.Name == c.Name {
				count++
			}
		}
		if count > 1 {
			repeated = true
		}
		sep()
		writeJSONString(buf, c.Name)
		buf.WriteByte(':')
		if !repeated {
			c.appendJSONValue(buf, ct)
			continue
		}
		done[c.Name] = true
		buf.WriteByte('[')
		k := 0
		for _, o := range n.Children[i:] {
			if o.Name != c.Name {
				continue
			}
			if k > 0 {
				buf.WriteByte(',')
			}
			k++
			o.appendJSONValue(buf, ct)
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
}

func (n *Node) appendJSONValue(buf *bytes.Buffer, ct *Child) {
	var t *ElementType
	if ct != nil {
		if ct.Simple != nil && len(n.Children) == 0 && len(n.Attrs) == 0 {
			writeJSONString(buf, n.Text)
			return
		}
		t = ct.Type()
	} else {
		t = Lookup(n.Name)
		if t == nil && len(n.Children) == 0 && len(n.Attrs) == 0 {
			writeJSONString(buf, n.Text)
			return
		}
	}
	if t == nil && len(n.Children) == 0 && len(n.Attrs) == 0 {
		writeJSONString(buf, n.Text)
		return
	}
	n.appendJSONObject(buf, t)
}

const hexDigits = "0123456789abcdef"

// writeJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func writeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hexDigits[c>>4])
				buf.WriteByte(hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}
