package qbxml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// stdTokenizer is the encoding/xml reference tokenizer, reading tokens the
// usual way with Decoder.Token. It applies the same nesting, depth, size
// and DTD rules as the gosax tokenizer.
type stdTokenizer struct {
	d       *xml.Decoder
	guard   *guardReader
	stack   nameStack
	name    []byte
	text    []byte
	attrBuf []rawAttr
	cur     []xml.Attr
	done    bool
}

func newStdTokenizer(r io.Reader, o *Options) *stdTokenizer {
	g := &guardReader{r: r, limit: o.MaxTokenSize + 4096}
	d := xml.NewDecoder(g)
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// prepareInput has already converted the input to UTF-8.
		return in, nil
	}
	return &stdTokenizer{d: d, guard: g, stack: nameStack{max: o.MaxDepth}}
}

// qname returns the local name: both tokenizers match elements and
// attributes by local name, as qbXML uses no namespaces.
func qname(dst []byte, n xml.Name) []byte {
	return append(dst[:0], n.Local...)
}

func (z *stdTokenizer) read(t *token) error {
	for {
		if z.done {
			t.kind = tokEOF
			return nil
		}
		tok, err := z.d.Token()
		z.guard.since = 0
		if err != nil {
			if z.guard.hit {
				return ErrTokenTooLarge
			}
			if err == io.EOF {
				if z.stack.depth() > 0 {
					return fmt.Errorf("%w: unexpected end of input inside an element", ErrSyntax)
				}
				z.done = true
				t.kind = tokEOF
				return nil
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: %v", ErrSyntax, err)
			}
			return fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			z.name = qname(z.name, tk.Name)
			if err := z.stack.push(z.name); err != nil {
				return err
			}
			t.kind, t.name, t.parsed = tokStart, z.name, false
			z.cur = tk.Attr
			if len(z.name) > maxNameLen {
				// encoding/xml has checked the tag's syntax; duplicate
				// attributes are still a syntax error rather than a limit.
				if _, err := z.attrs(t); err != nil && !errors.Is(err, ErrTokenTooLarge) {
					return err
				}
				return nameTooLong("element", z.name)
			}
			return nil
		case xml.EndElement:
			z.name = qname(z.name, tk.Name)
			if err := z.stack.pop(z.name); err != nil {
				return err
			}
			t.kind, t.name = tokEnd, z.name
			return nil
		case xml.CharData:
			if z.stack.depth() == 0 {
				if !allSpace(tk) {
					return fmt.Errorf("%w: text outside the root element", ErrSyntax)
				}
				continue
			}
			z.text = append(z.text[:0], tk...)
			t.kind, t.text = tokText, z.text
			return nil
		case xml.Comment, xml.ProcInst:
			continue
		case xml.Directive:
			if len(tk) > 0 && (tk[0] == 'D' || tk[0] == 'd') {
				return ErrDTD
			}
			return fmt.Errorf("%w: unexpected directive", ErrSyntax)
		}
	}
}

// attrs applies parseAttrs' rules to the attributes encoding/xml read:
// duplicates among the first maxAttrs are a syntax error, then more than
// maxAttrs attributes or a name longer than maxNameLen is a limit error.
func (z *stdTokenizer) attrs(t *token) ([]rawAttr, error) {
	if t.parsed {
		return t.attrs, nil
	}
	out := z.attrBuf[:0]
	var limit error
	for i, a := range z.cur {
		name := []byte(a.Name.Local)
		if i < maxAttrs {
			for _, o := range out {
				if string(o.name) == string(name) {
					return nil, fmt.Errorf("%w: duplicate attribute %s", ErrSyntax, truncate(name))
				}
			}
			out = append(out, rawAttr{name: name, value: []byte(a.Value)})
		}
		if limit == nil && len(name) > maxNameLen {
			limit = nameTooLong("attribute", name)
		}
	}
	if limit == nil && len(z.cur) > maxAttrs {
		limit = tooManyAttrs(len(z.cur))
	}
	z.attrBuf = out
	t.attrs, t.parsed = out, true
	return out, limit
}
