package qbxml

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// isNameRune decides non-ASCII name characters exactly as encoding/xml
// does, so that both decoders accept the same names. Non-ASCII element
// names never occur in qbXML, so the cost does not matter.
func isNameRune(r rune, first bool) bool {
	var b bytes.Buffer
	b.WriteByte('<')
	if !first {
		b.WriteByte('a')
	}
	b.WriteRune(r)
	b.WriteString("/>")
	_, err := xml.NewDecoder(&b).RawToken()
	return err == nil
}

// Options configure a Decoder. The zero value is ready to use.
type Options struct {
	// Generic makes every record a *Node instead of its generated type.
	Generic bool
	// MaxDepth limits element nesting; 0 means 64.
	MaxDepth int
	// MaxTokenSize limits the size of one tag or text in bytes; 0 means 8 MiB.
	MaxTokenSize int
}

func (o *Options) withDefaults() *Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = defaultMaxDepth
	}
	if c.MaxTokenSize <= 0 {
		c.MaxTokenSize = defaultMaxTokenSize
	}
	return &c
}

// decodeState reads tokens for the generated decodeXML methods.
type decodeState struct {
	fast  *gosaxTokenizer // set when tz is the gosax tokenizer, to avoid an interface call per token
	tz    tokenizer
	tok   token
	arena arena
	text0 []byte
	names map[string]string // element and attribute names seen, for Nodes
	// maxText bounds the text of one element, which may come in many
	// tokens (split by comments or CDATA sections); 0 means the default
	// MaxTokenSize.
	maxText int
}

// textLimit returns the longest text one element may hold.
func (d *decodeState) textLimit() int {
	if d.maxText > 0 {
		return d.maxText
	}
	return defaultMaxTokenSize
}

// typedElement is implemented by every generated type.
type typedElement interface {
	Element
	decodeXML(d *decodeState, start *token) error
}

// next returns the next start or end tag, skipping character data.
func (d *decodeState) next() (*token, error) {
	for {
		var err error
		if d.fast != nil {
			err = d.fast.nextTag(&d.tok)
		} else {
			err = d.tz.read(&d.tok)
		}
		if err != nil {
			return nil, err
		}
		switch d.tok.kind {
		case tokStart, tokEnd:
			return &d.tok, nil
		case tokEOF:
			return nil, fmt.Errorf("%w: unexpected end of input", ErrSyntax)
		}
	}
}

// nextAny returns the next token of any kind.
func (d *decodeState) nextAny() (*token, error) {
	var err error
	if d.fast != nil {
		err = d.fast.read(&d.tok)
	} else {
		err = d.tz.read(&d.tok)
	}
	if err != nil {
		return nil, err
	}
	return &d.tok, nil
}

func (d *decodeState) attrs(t *token) ([]rawAttr, error) { return d.tz.attrs(t) }

// noAttrs still parses the attributes so that malformed ones are reported
// the same way by both tokenizers.
func (d *decodeState) noAttrs(t *token) error {
	if d.fast != nil && len(t.raw) == 0 {
		// a gosax start tag without attribute text: nothing to check
		return nil
	}
	_, err := d.tz.attrs(t)
	return err
}

func (d *decodeState) str(b []byte) string { return d.arena.str(b) }

// text reads the content of a simple element whose start tag was just
// read, up to its end tag. Nested elements (a schema deviation) are skipped.
func (d *decodeState) text() (string, error) {
	if err := d.noAttrs(&d.tok); err != nil {
		return "", err
	}
	return d.textBody()
}

// textPtr is text for the optional fields of the generated types. It is
// the most frequent call of the typed decoder, so on a gosax start tag
// without attributes it goes to quickText itself, two calls sooner than
// through text and textBody (about 3% of a decode).
func (d *decodeState) textPtr() (*string, error) {
	var s string
	if d.fast != nil && len(d.tok.raw) == 0 {
		d.arena.begin()
		ok, err := d.fast.quickText(&d.arena)
		if err != nil {
			return nil, err
		}
		if ok {
			return d.arena.ptr(d.arena.end()), nil
		}
		if s, err = d.textRest(); err != nil {
			return nil, err
		}
	} else {
		var err error
		if s, err = d.text(); err != nil {
			return nil, err
		}
	}
	return d.arena.ptr(s), nil
}

func (d *decodeState) textBody() (string, error) {
	// Token bytes die at the next read, so text goes straight into the
	// arena and is carved at the end tag.
	d.arena.begin()
	if d.fast != nil {
		ok, err := d.fast.quickText(&d.arena)
		if err != nil {
			return "", err
		}
		if ok {
			return d.arena.end(), nil
		}
	}
	return d.textRest()
}

// textRest continues a text begun in the arena up to the end tag.
func (d *decodeState) textRest() (string, error) {
	for {
		t, err := d.nextAny()
		if err != nil {
			return "", err
		}
		switch t.kind {
		case tokText:
			d.arena.write(t.text)
			if d.arena.size() > d.textLimit() {
				return "", textTooLong(d.textLimit())
			}
		case tokStart:
			if err := d.noAttrs(t); err != nil {
				return "", err
			}
			if err := d.skip(); err != nil {
				return "", err
			}
		case tokEnd:
			return d.arena.end(), nil
		case tokEOF:
			return "", fmt.Errorf("%w: unexpected end of input", ErrSyntax)
		}
	}
}

func (d *decodeState) macro(start *token) (*MacroID, error) {
	attrs, err := d.attrs(start)
	if err != nil {
		return nil, err
	}
	m := new(MacroID)
	for _, a := range attrs {
		if string(a.name) == "useMacro" {
			m.UseMacro = d.str(a.value)
		}
	}
	m.Value, err = d.textBody()
	return m, err
}

// skip consumes the rest of the element whose start tag was just read.
func (d *decodeState) skip() error {
	depth := 1
	for {
		t, err := d.nextAny()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokStart:
			if err := d.noAttrs(t); err != nil {
				return err
			}
			depth++
		case tokEnd:
			depth--
			if depth == 0 {
				return nil
			}
		case tokEOF:
			return fmt.Errorf("%w: unexpected end of input", ErrSyntax)
		}
	}
}

// node decodes the element whose start tag is start into a Node.
func (d *decodeState) node(start *token) (*Node, error) {
	attrs, err := d.attrs(start)
	if err != nil {
		return nil, err
	}
	n := &Node{Name: d.name(start.name)}
	if len(attrs) > 0 {
		n.Attrs = make([]NodeAttr, len(attrs))
		for i, a := range attrs {
			n.Attrs[i] = NodeAttr{Name: d.name(a.name), Value: d.str(a.value)}
		}
	}
	return d.nodeRest(n, "")
}

// nodeRest reads the content of n, whose start tag and the text prefix
// were read, up to its end tag. A child that is a simple element without
// attributes, nearly every one in qbXML, takes the gosax fast path.
func (d *decodeState) nodeRest(n *Node, prefix string) (*Node, error) {
	d.text0 = append(d.text0[:0], prefix...)
	for {
		t, err := d.nextAny()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokText:
			if len(n.Children) == 0 {
				d.text0 = append(d.text0, t.text...)
				if len(d.text0) > d.textLimit() {
					return nil, textTooLong(d.textLimit())
				}
			}
		case tokStart:
			var c *Node
			if d.fast != nil && len(t.raw) == 0 {
				c = &Node{Name: d.name(t.name)} // t dies at the next read
				d.arena.begin()
				ok, err := d.fast.quickText(&d.arena)
				if err != nil {
					return nil, err
				}
				if ok {
					c.Text = d.arena.end()
				} else {
					// More than text: go on with the text read so far,
					// which stays in the arena's scratch space.
					prefix := d.arena.pending()
					if c, err = d.nodeRest(c, prefix); err != nil {
						return nil, err
					}
				}
			} else if c, err = d.node(t); err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		case tokEnd:
			if len(n.Children) == 0 {
				n.Text = d.str(d.text0)
			}
			d.text0 = d.text0[:0]
			return n, nil
		case tokEOF:
			return nil, fmt.Errorf("%w: unexpected end of input", ErrSyntax)
		}
	}
}

// name returns b as a string, shared with every earlier equal name: a
// document repeats a few hundred element names.
func (d *decodeState) name(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.names == nil {
		d.names = make(map[string]string)
	}
	if len(d.names) < 4096 {
		d.names[s] = s
	}
	return s
}

// ItemKind tells what a decoded Item is.
type ItemKind uint8

// The kinds of items a Decoder yields.
const (
	// ItemResponse starts a response: Item.Response holds its status.
	ItemResponse ItemKind = iota + 1
	// ItemRecord is one child element of the current response.
	ItemRecord
)

// Response is the status of one response element (for example
// InvoiceQueryRs), read from its attributes.
type Response struct {
	// Name is the response element name, e.g. "InvoiceQueryRs".
	Name string
	// RequestID echoes the request's requestID.
	RequestID string
	// StatusCode is the qbXML status code; see Status.
	StatusCode int
	// HasStatus reports whether the response carried a statusCode
	// attribute, as every QuickBooks response does: without one,
	// StatusCode 0 does not mean success.
	HasStatus bool
	// StatusSeverity is "Info", "Warn" or "Error" as QuickBooks sent it.
	StatusSeverity string
	// StatusMessage is QuickBooks' message.
	StatusMessage string
	// RetCount is the number of records returned, nil when absent.
	RetCount *int
	// IteratorRemainingCount is the number of records an iterator still
	// holds, nil when absent.
	IteratorRemainingCount *int
	// IteratorID identifies the iterator to continue.
	IteratorID string
}

// More reports whether the response's iterator holds more records: send
// the same query again with iterator="Continue" and IteratorID.
func (r *Response) More() bool {
	return r.IteratorID != "" && r.IteratorRemainingCount != nil && *r.IteratorRemainingCount > 0
}

// Status returns the status table entry of r.StatusCode.
func (r *Response) Status() StatusInfo { return Status(r.StatusCode) }

// Item is one event of a decoded qbXML response document.
type Item struct {
	Kind ItemKind
	// Response is the response the item belongs to. All items of one
	// response share the pointer.
	Response *Response
	// Record is the record of an ItemRecord: a generated type such as
	// *InvoiceRet, or a *Node for elements without a generated type and
	// when Options.Generic is set.
	Record Element
}

// Element is a qbXML element: a generated type or a *Node.
type Element interface {
	// ElementName returns the qbXML element name, e.g. "InvoiceRet".
	ElementName() string
	// ToNode returns the element as a generic tree in schema order.
	ToNode() *Node
}

// MessageSet is the status of the message set (QBXMLMsgsRs) itself.
type MessageSet struct {
	// Name is the message set element, e.g. "QBXMLMsgsRs".
	Name string
	// NewMessageSetID echoes the request's newMessageSetID.
	NewMessageSetID string
	// MessageSetStatusCode is set when QuickBooks answers an
	// oldMessageSetID for error recovery.
	MessageSetStatusCode string
}

// Decoder reads a qbXML response document (or a Web Connector
// receiveResponseXML SOAP envelope carrying one) and yields its responses
// and their records one at a time, holding only the current record.
type Decoder struct {
	d      decodeState
	opts   *Options
	state  int
	resp   *Response
	msgSet MessageSet
	err    error
	init   func() error
}

const (
	stDoc = iota
	stRoot
	stMsgSet
	stResponse
	stDone
)

// NewDecoder returns a decoder that reads r with the fast gosax tokenizer.
// opts may be nil.
func NewDecoder(r io.Reader, opts *Options) *Decoder {
	o := opts.withDefaults()
	dec := &Decoder{opts: o}
	dec.init = func() error {
		in, err := prepareInput(r, o)
		if err != nil {
			return err
		}
		dec.d.fast = newGosaxTokenizer(in, o)
		dec.d.tz = dec.d.fast
		dec.d.maxText = o.MaxTokenSize
		return nil
	}
	return dec
}

// NewStdDecoder returns a decoder with the same behaviour as NewDecoder
// built on encoding/xml. It is the reference implementation that the
// differential tests and benchmarks compare the fast decoder with.
func NewStdDecoder(r io.Reader, opts *Options) *Decoder {
	o := opts.withDefaults()
	dec := &Decoder{opts: o}
	dec.init = func() error {
		in, err := prepareInput(r, o)
		if err != nil {
			return err
		}
		dec.d.tz = newStdTokenizer(in, o)
		dec.d.maxText = o.MaxTokenSize
		return nil
	}
	return dec
}

// MessageSet returns the message set's status, complete once the first
// response has been read.
func (dec *Decoder) MessageSet() MessageSet { return dec.msgSet }

// Next returns the next item. It returns io.EOF after the last one; any
// other error wraps one of ErrSyntax, ErrDTD, ErrTooDeep,
// ErrTokenTooLarge, ErrCharset or ErrNotQBXML, and every later call
// returns it again.
func (dec *Decoder) Next() (Item, error) {
	if dec.err != nil {
		return Item{}, dec.err
	}
	it, err := dec.next()
	if err != nil {
		dec.err = err
	}
	return it, err
}

func (dec *Decoder) next() (Item, error) {
	d := &dec.d
	if dec.init != nil {
		err := dec.init()
		dec.init = nil
		if err != nil {
			return Item{}, err
		}
	}
	for {
		switch dec.state {
		case stDone:
			return Item{}, io.EOF
		case stDoc:
			t, err := d.nextAny()
			if err != nil {
				return Item{}, err
			}
			switch t.kind {
			case tokEOF:
				return Item{}, fmt.Errorf("%w: no root element", ErrNotQBXML)
			case tokText:
				continue
			case tokEnd:
				return Item{}, fmt.Errorf("%w: unexpected end tag", ErrSyntax)
			}
			if err := d.noAttrs(t); err != nil {
				return Item{}, err
			}
			if string(t.name) != "QBXML" {
				return Item{}, fmt.Errorf("%w: root element is <%s>, want <QBXML>", ErrNotQBXML, truncate(t.name))
			}
			dec.state = stRoot
		case stRoot:
			t, err := d.next()
			if err != nil {
				return Item{}, err
			}
			if t.kind == tokEnd {
				dec.state = stDone
				return Item{}, io.EOF
			}
			attrs, err := d.attrs(t)
			if err != nil {
				return Item{}, err
			}
			dec.msgSet = MessageSet{Name: d.str(t.name)}
			for _, a := range attrs {
				switch string(a.name) {
				case "newMessageSetID":
					dec.msgSet.NewMessageSetID = d.str(a.value)
				case "messageSetStatusCode":
					dec.msgSet.MessageSetStatusCode = d.str(a.value)
				}
			}
			dec.state = stMsgSet
		case stMsgSet:
			t, err := d.next()
			if err != nil {
				return Item{}, err
			}
			if t.kind == tokEnd {
				dec.state = stRoot
				continue
			}
			r, err := dec.response(t)
			if err != nil {
				return Item{}, err
			}
			dec.resp = r
			dec.state = stResponse
			return Item{Kind: ItemResponse, Response: r}, nil
		case stResponse:
			t, err := d.next()
			if err != nil {
				return Item{}, err
			}
			if t.kind == tokEnd {
				dec.state = stMsgSet
				continue
			}
			var rec Element
			if !dec.opts.Generic {
				if te := newTypedElement(t.name); te != nil {
					if err := te.decodeXML(d, t); err != nil {
						return Item{}, err
					}
					rec = te
				}
			}
			if rec == nil {
				n, err := d.node(t)
				if err != nil {
					return Item{}, err
				}
				rec = n
			}
			return Item{Kind: ItemRecord, Response: dec.resp, Record: rec}, nil
		}
	}
}

func (dec *Decoder) response(t *token) (*Response, error) {
	d := &dec.d
	attrs, err := d.attrs(t)
	if err != nil {
		return nil, err
	}
	r := &Response{Name: d.str(t.name)}
	for _, a := range attrs {
		switch string(a.name) {
		case "requestID":
			r.RequestID = d.str(a.value)
		case "statusCode":
			n, err := strconv.Atoi(string(a.value))
			if err != nil {
				return nil, fmt.Errorf("%w: %s statusCode %q is not a number", ErrNotQBXML, r.Name, truncate(a.value))
			}
			r.StatusCode, r.HasStatus = n, true
		case "statusSeverity":
			r.StatusSeverity = d.str(a.value)
		case "statusMessage":
			r.StatusMessage = d.str(a.value)
		case "retCount", "iteratorRemainingCount":
			n, err := strconv.Atoi(string(a.value))
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s %q is not a number", ErrNotQBXML, r.Name, a.name, truncate(a.value))
			}
			if string(a.name) == "retCount" {
				r.RetCount = &n
			} else {
				r.IteratorRemainingCount = &n
			}
		case "iteratorID":
			r.IteratorID = d.str(a.value)
		}
	}
	return r, nil
}
