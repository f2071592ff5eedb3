package qbxml

import (
	"fmt"
	"io"
	"strings"
)

// ParseNode reads a whole XML document (for example a qbXML request) into
// a Node tree and returns its root element. It applies the decoder's
// rules: UTF-8, ISO-8859-1 or windows-1252 input, no DTDs, and the depth
// and token limits of opts, which may be nil. Anything but comments,
// processing instructions and white space after the root element is an
// error.
func ParseNode(r io.Reader, opts *Options) (*Node, error) {
	o := opts.withDefaults()
	// A document already in memory (a bytes.Reader, a strings.Reader)
	// gets buffers of its own size: a record of a few hundred bytes need
	// not pay for the 64 KiB a stream gets.
	size := gosaxBufSize
	if l, ok := r.(interface{ Len() int }); ok && l.Len()+2048 < size {
		size = l.Len() + 2048
	}
	in, err := prepareInput(r, o)
	if err != nil {
		return nil, err
	}
	d := &decodeState{tz: newGosaxTokenizerSize(in, o, size), maxText: o.MaxTokenSize}
	if size < gosaxBufSize {
		d.arena.chunk = make([]byte, 0, size)
	}
	for {
		t, err := d.nextAny()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokEOF:
			return nil, fmt.Errorf("%w: no root element", ErrSyntax)
		case tokStart:
			root, err := d.node(t)
			if err != nil {
				return nil, err
			}
			if err := d.end(); err != nil {
				return nil, err
			}
			return root, nil
		}
	}
}

// end reads what follows the root element up to the end of the input.
func (d *decodeState) end() error {
	for {
		t, err := d.nextAny()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			return nil
		case tokStart:
			return fmt.Errorf("%w: more than one root element", ErrSyntax)
		}
	}
}

// Example returns a small valid instance of the complex element name (for
// example "InvoiceAddRq"): every required attribute and element is present,
// the first alternative of each required choice is taken, and simple values
// are plausible values of their kind within their limits.
func Example(name string) (*Node, error) {
	t := Lookup(name)
	if t == nil {
		return nil, fmt.Errorf("qbxml: no complex element %q", name)
	}
	return exampleElement(t, 0), nil
}

// ExampleDocument returns a complete request document holding Example(name)
// in the message set the request belongs to.
func ExampleDocument(name string) ([]byte, error) {
	rq, err := Example(name)
	if err != nil {
		return nil, err
	}
	var set *Node
	switch {
	case isSubscriptionRequest(name):
		set = NewNode("QBXMLSubscriptionMsgsRq", rq)
	case isRequest(name):
		set = NewNode("QBXMLMsgsRq", rq)
		set.SetAttr("onError", StopOnError)
	default:
		return nil, fmt.Errorf("qbxml: %s is not a request", name)
	}
	return MarshalDocument(NewNode("QBXML", set))
}

func isRequest(name string) bool {
	for _, n := range requestNames {
		if n == name {
			return true
		}
	}
	return false
}

func exampleElement(t *ElementType, depth int) *Node {
	n := &Node{Name: t.Name}
	for _, a := range t.Attrs {
		switch {
		case a.Required:
			n.SetAttr(a.Name, exampleValue(a.Name, a.Type))
		case a.Name == "requestID":
			n.SetAttr(a.Name, "1")
		}
	}
	if depth > 12 {
		return n
	}
	var pick func(p *Particle, required bool)
	pick = func(p *Particle, required bool) {
		if !required || p.Min == 0 {
			// Optional content: add a few common fields, and the first
			// line of a transaction, so that examples read like real ones.
			if p.Kind == ElementParticle && examplePreferred(t.Children[p.Child].Name) {
				c := &t.Children[p.Child]
				if c.Simple != nil {
					n.Children = append(n.Children, &Node{Name: c.Name, Text: exampleValue(c.Name, c.Simple)})
				} else if depth < 4 {
					n.Children = append(n.Children, exampleElement(c.Type(), depth+1))
				}
			}
			if p.Kind == ChoiceParticle && p.Max != 1 && len(p.Items) > 0 && p.Items[0].Kind == ElementParticle &&
				strings.HasSuffix(t.Children[p.Items[0].Child].Name, "LineAdd") && depth < 2 {
				n.Children = append(n.Children, exampleElement(t.Children[p.Items[0].Child].Type(), depth+1))
			}
			return
		}
		switch p.Kind {
		case ElementParticle:
			c := &t.Children[p.Child]
			for i := 0; i < p.Min; i++ {
				if c.Simple != nil {
					n.Children = append(n.Children, &Node{Name: c.Name, Text: exampleValue(c.Name, c.Simple)})
				} else {
					n.Children = append(n.Children, exampleElement(c.Type(), depth+1))
				}
			}
		case SequenceParticle:
			for i := range p.Items {
				pick(&p.Items[i], true)
			}
		case ChoiceParticle:
			if len(p.Items) > 0 {
				pick(&p.Items[0], true)
			}
		}
	}
	pick(&t.Model, true)
	return n
}

// examplePreferred names optional fields that examples include.
func examplePreferred(name string) bool {
	switch name {
	case "FullName", "TxnDate", "RefNumber", "Memo", "Desc", "Quantity", "Amount", "ItemRef", "Phone", "Email":
		return true
	}
	return false
}

func exampleValue(name string, st *SimpleType) string {
	if len(st.Enum) > 0 {
		return st.Enum[0]
	}
	var v string
	switch st.Kind {
	case KindID:
		v = "80000001-1700000000"
	case KindBool:
		v = "true"
	case KindDate:
		v = "2024-01-31"
	case KindDateTime:
		v = "2024-01-31T09:30:00-05:00"
	case KindTimeInterval:
		v = "PT1H30M0S"
	case KindAmount:
		v = "100.00"
	case KindPrice, KindQuantity, KindPercent, KindFloat:
		v = "2.5"
	case KindInt:
		n := int64(1)
		if st.HasMin && n < st.MinInclusive {
			n = st.MinInclusive
		}
		if st.HasMax && n > st.MaxInclusive {
			n = st.MaxInclusive
		}
		v = fmt.Sprint(n)
	case KindGUID:
		v = "{3F2504E0-4F89-41D3-9A0C-0305E82C3301}"
	case KindMacro:
		v = "TxnID:1"
	default:
		switch {
		case strings.HasSuffix(name, "Name"):
			v = "Example " + name
		case strings.HasSuffix(name, "Number"):
			v = "1001"
		case name == "EditSequence":
			v = "1700000000"
		case name == "Phone" || name == "Fax" || name == "Mobile":
			v = "555-0100"
		case name == "Email":
			v = "billing@example.com"
		default:
			v = "Example"
		}
	}
	if st.MaxLength > 0 && len(v) > st.MaxLength {
		v = v[:st.MaxLength]
	}
	return v
}
