package qbxml

import (
	"fmt"
	"io"
)

// CheckDocument reads a whole XML document, such as a SOAP envelope, with
// the decoder's tokenizer and its limits, building nothing: UTF-8,
// ISO-8859-1 or windows-1252 input, no DTD, opts' depth and token size,
// at most 16 attributes per element, names of at most 128 bytes, one root
// element. It returns the first problem, wrapping the same classes as
// Decoder.Next, or nil. Its cost is linear in the document's size, so a
// caller that must parse an untrusted document with a parser without such
// limits (encoding/xml, for its namespaces) checks it here first. opts
// may be nil.
func CheckDocument(r io.Reader, opts *Options) error {
	o := opts.withDefaults()
	in, err := prepare(r, o, false)
	if err != nil {
		return err
	}
	z := newGosaxTokenizer(in, o)
	var t token
	roots, text := 0, 0
	for {
		if err := z.read(&t); err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			if roots == 0 {
				return fmt.Errorf("%w: no root element", ErrSyntax)
			}
			return nil
		case tokStart:
			if z.stack.depth() == 1 {
				if roots++; roots > 1 {
					return fmt.Errorf("%w: more than one root element", ErrSyntax)
				}
			}
			if _, err := z.attrs(&t); err != nil {
				return err
			}
			text = 0
		case tokEnd:
			text = 0
		case tokText:
			// text split by comments or CDATA sections is one text
			if text += len(t.text); text > o.MaxTokenSize {
				return textTooLong(o.MaxTokenSize)
			}
		}
	}
}
