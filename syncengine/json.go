package syncengine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// JSONName returns the JSON key of a qbXML element: the element name split
// into words at case changes (an acronym is one word: "ARAccountRef" is AR,
// Account, Ref), each word capitalised and the first lower-cased, with a
// trailing Ret, Add or Mod word dropped from a complex element so that one
// key serves reads and writes ("InvoiceLineRet", "InvoiceLineAdd" and
// "InvoiceLineMod" are all "invoiceLine"). "ListID" is "listId", "TxnID"
// "txnId", "EditSequence" "editSequence", "PONumber" "poNumber".
func JSONName(element string, complex bool) string {
	words := splitWords(element)
	if complex && len(words) > 1 {
		switch words[len(words)-1] {
		case "Ret", "Add", "Mod":
			words = words[:len(words)-1]
		}
	}
	var b strings.Builder
	b.Grow(len(element))
	for i, w := range words {
		for j, r := range w {
			if j == 0 && i > 0 {
				b.WriteRune(unicode.ToUpper(r))
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// splitWords splits "ARAccountRef" into AR, Account, Ref and "Addr1" into
// Addr1: a word starts at an upper-case letter that follows a lower-case
// letter or digit, or that precedes a lower-case letter after upper-case
// ones.
func splitWords(s string) []string {
	var words []string
	rs := []rune(s)
	start := 0
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		boundary := unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev) ||
			(unicode.IsUpper(prev) && unicode.IsLower(next)))
		if boundary {
			words = append(words, string(rs[start:i]))
			start = i
		}
	}
	return append(words, string(rs[start:]))
}

// codec turns qbXML elements into the records' JSON and client JSON into
// qbXML elements. Its name tables are filled lazily, per element type.
type codec struct {
	mu    sync.RWMutex
	names map[*qbxml.ElementType]*typeNames
}

// typeNames holds the JSON keys of an element type's children.
type typeNames struct {
	keys   []string       // by child index
	byKey  map[string]int // key -> child index
	byName map[string]int // element name -> child index
}

func newCodec() *codec { return &codec{names: map[*qbxml.ElementType]*typeNames{}} }

func (c *codec) namesOf(t *qbxml.ElementType) *typeNames {
	c.mu.RLock()
	n := c.names[t]
	c.mu.RUnlock()
	if n != nil {
		return n
	}
	n = &typeNames{keys: make([]string, len(t.Children)), byKey: make(map[string]int, len(t.Children)),
		byName: make(map[string]int, len(t.Children))}
	for i := range t.Children {
		ch := &t.Children[i]
		n.byName[ch.Name] = i
		k := JSONName(ch.Name, !ch.IsSimple())
		n.keys[i] = k
		if _, dup := n.byKey[k]; !dup {
			n.byKey[k] = i
		}
	}
	c.mu.Lock()
	c.names[t] = n
	c.mu.Unlock()
	return n
}

// appendJSON appends element n, of type t, as a JSON object. Simple values
// follow their schema kind: booleans are JSON booleans, integers JSON
// numbers, and everything else strings — amounts, prices, quantities and
// percentages too, so that no precision is lost ("1234.50"). A child the
// schema lets repeat is an array even when it occurs once. Elements the
// schema does not know keep their text (or object) under their JSON name.
func (c *codec) appendJSON(b []byte, n *qbxml.Node, t *qbxml.ElementType) []byte {
	b = append(b, '{')
	var names *typeNames
	if t != nil {
		names = c.namesOf(t)
	}
	first := true
	var done []string // repeated children already written
	for i, k := range n.Children {
		if slices.Contains(done, k.Name) {
			continue
		}
		idx := -1
		if t != nil {
			if j, ok := names.byName[k.Name]; ok {
				idx = j
			}
		}
		var ch *qbxml.Child
		key := ""
		if idx >= 0 {
			ch, key = &t.Children[idx], names.keys[idx]
		} else {
			key = JSONName(k.Name, len(k.Children) > 0)
		}
		repeated := ch != nil && ch.Max != 1
		if !repeated {
			for _, o := range n.Children[i+1:] {
				if o.Name == k.Name {
					repeated = true
					break
				}
			}
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, key)
		b = append(b, ':')
		if !repeated {
			b = c.appendValue(b, k, ch)
			continue
		}
		done = append(done, k.Name)
		b = append(b, '[')
		m := 0
		for _, o := range n.Children[i:] {
			if o.Name != k.Name {
				continue
			}
			if m > 0 {
				b = append(b, ',')
			}
			m++
			b = c.appendValue(b, o, ch)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (c *codec) appendValue(b []byte, n *qbxml.Node, ch *qbxml.Child) []byte {
	if ch != nil && ch.Simple != nil {
		switch ch.Simple.Kind {
		case qbxml.KindBool:
			switch n.Text {
			case "true", "1":
				return append(b, "true"...)
			case "false", "0":
				return append(b, "false"...)
			}
		case qbxml.KindInt:
			if _, err := strconv.ParseInt(n.Text, 10, 64); err == nil {
				return append(b, n.Text...)
			}
		}
		return appendJSONString(b, n.Text)
	}
	var t *qbxml.ElementType
	if ch != nil {
		t = ch.Type()
	}
	if t == nil && len(n.Children) == 0 {
		return appendJSONString(b, n.Text)
	}
	return c.appendJSON(b, n, t)
}

// appendJSONString appends s as a JSON string, escaping as encoding/json
// does for the characters that need it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf && c != '<' && c != '>' && c != '&' {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, "0123456789abcdef"[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// RecordJSON returns the JSON of a qbXML Ret element (or any element the
// schema knows), as stored in Record.Data.
func RecordJSON(n *qbxml.Node) []byte {
	return newCodec().appendJSON(nil, n, qbxml.Lookup(n.Name))
}

// fromJSON builds the qbXML element name of type t from a client's JSON
// object: keys are JSONName of t's children, arrays become repeated
// children, booleans "true"/"false", numbers their literal text. Children
// are put in schema order (members of a repeated choice keep the order of
// their keys). An unknown key, an array for a child that cannot repeat or
// an object for a simple child is EInvalid naming the path.
func (c *codec) fromJSON(name string, t *qbxml.ElementType, body []byte) (*qbxml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the body holds more than one JSON value")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the body must be a JSON object")
	}
	return c.objectNode(name, t, obj, "")
}

func (c *codec) objectNode(name string, t *qbxml.ElementType, obj map[string]any, path string) (*qbxml.Node, error) {
	names := c.namesOf(t)
	n := &qbxml.Node{Name: name}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type placed struct {
		idx   int
		order int
		node  *qbxml.Node
	}
	var kids []placed
	for _, k := range keys {
		idx, ok := names.byKey[k]
		p := joinPath(path, k)
		if !ok {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s is not a field of %s (fields: %s)", p, t.Name, strings.Join(names.keys, ", "))
		}
		ch := &t.Children[idx]
		vals := []any{obj[k]}
		if arr, isArr := obj[k].([]any); isArr {
			if ch.Max == 1 {
				return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s takes one value, not a list", p)
			}
			vals = arr
		}
		for i, v := range vals {
			ep := p
			if len(vals) > 1 {
				ep = fmt.Sprintf("%s[%d]", p, i)
			}
			node, err := c.valueNode(ch, v, ep)
			if err != nil {
				return nil, err
			}
			order := idx
			if ch.Repeated != 0 {
				order = firstOfRepeated(t, ch.Repeated)
			}
			kids = append(kids, placed{order, len(kids), node})
		}
	}
	sort.SliceStable(kids, func(i, j int) bool { return kids[i].idx < kids[j].idx })
	for _, k := range kids {
		n.Children = append(n.Children, k.node)
	}
	return n, nil
}

// firstOfRepeated returns the index of the first child of a repeated
// choice, so that its members sort together and keep their order.
func firstOfRepeated(t *qbxml.ElementType, group int) int {
	for i := range t.Children {
		if t.Children[i].Repeated == group {
			return i
		}
	}
	return 0
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func (c *codec) valueNode(ch *qbxml.Child, v any, path string) (*qbxml.Node, error) {
	if ch.Simple != nil {
		switch x := v.(type) {
		case string:
			return qbxml.NewText(ch.Name, x), nil
		case bool:
			return qbxml.NewText(ch.Name, strconv.FormatBool(x)), nil
		case json.Number:
			return qbxml.NewText(ch.Name, x.String()), nil
		case nil:
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s: null is not a value; leave the field out (or send \"\" to clear it)", path)
		default:
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s takes a string, number or boolean", path)
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s takes an object", path)
	}
	return c.objectNode(ch.Name, ch.Type(), obj, path)
}
