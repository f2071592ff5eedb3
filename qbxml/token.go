package qbxml

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/orisano/gosax"
)

// Error classes of the decoders. Every decoding error wraps exactly one of
// them, so callers (and the differential tests) can tell them apart with
// errors.Is.
var (
	// ErrSyntax reports input that is not well-formed XML.
	ErrSyntax = errors.New("qbxml: malformed XML")
	// ErrDTD reports a document type declaration; DTDs and the external
	// entities they could declare are never processed.
	ErrDTD = errors.New("qbxml: DTDs are not allowed")
	// ErrTooDeep reports elements nested deeper than the decoder's limit.
	ErrTooDeep = errors.New("qbxml: elements nested too deeply")
	// ErrTokenTooLarge reports a tag or text larger than the decoder's
	// limit, or an element with more attributes or a longer name than any
	// qbXML document has.
	ErrTokenTooLarge = errors.New("qbxml: token too large")
	// ErrCharset reports a declared encoding other than UTF-8, ISO-8859-1
	// and windows-1252.
	ErrCharset = errors.New("qbxml: unsupported character encoding")
	// ErrNotQBXML reports well-formed XML that is not a qbXML document.
	ErrNotQBXML = errors.New("qbxml: not a qbXML document")
)

type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
	tokEOF
)

// token is one markup event. Its byte slices are valid until the next read.
type token struct {
	kind   tokKind
	name   []byte
	text   []byte // unescaped character data of a tokText
	attrs  []rawAttr
	raw    []byte // unparsed attributes of a start tag (gosax)
	parsed bool
}

type rawAttr struct {
	name  []byte
	value []byte
}

// tokenizer produces tokens; both the gosax and the encoding/xml
// implementations check nesting, depth and token size the same way.
type tokenizer interface {
	read(t *token) error
	// attrs parses the attributes of the start tag in t.
	attrs(t *token) ([]rawAttr, error)
}

const (
	defaultMaxDepth     = 64
	defaultMaxTokenSize = 8 << 20
	gosaxBufSize        = 64 << 10
)

// Limits that no qbXML document comes near, which keep the cost of a
// hostile document linear in its size.
const (
	// maxAttrs is the most attributes an element may have. The schema's
	// busiest elements, the responses, carry seven (requestID,
	// statusCode, statusSeverity, statusMessage, retCount,
	// iteratorRemainingCount, iteratorID); requests carry at most four.
	// Sixteen leaves room for the namespace declarations (xmlns,
	// xmlns:xsi, xsi:type) some tools add, and bounds the duplicate check
	// to a few comparisons per attribute.
	maxAttrs = 16
	// maxNameLen is the longest local name of an element or attribute,
	// in bytes. qbXML's longest name has 39
	// (isTrackingOnPurchaseTransactionsEnabled).
	maxNameLen = 128
)

// schemaMaxAttrs and schemaMaxNameLen are what the schema itself uses;
// TestLimitsLeaveRoomForEveryQBXMLElement checks them against the
// generated tables.
const (
	schemaMaxAttrs   = 7
	schemaMaxNameLen = 39
)

// guardReader fails when too many bytes are read without the tokenizer
// producing a token, which bounds the buffer of a tokenizer that grows to
// hold a whole token.
type guardReader struct {
	r     io.Reader
	since int
	limit int
	hit   bool
}

func (g *guardReader) Read(p []byte) (int, error) {
	if g.since > g.limit {
		g.hit = true
		return 0, ErrTokenTooLarge
	}
	n, err := g.r.Read(p)
	g.since += n
	return n, err
}

// gosaxTokenizer is the fast tokenizer.
type gosaxTokenizer struct {
	r         *gosax.Reader
	pending   bool        // pendingEv was read by quickText and not yet handled
	pendingEv gosax.Event // valid until the next Event call
	skipSpace bool        // drop white-space-only text: the caller wants elements only
	guard     guardReader
	stack     nameStack
	attrBuf   []rawAttr
	rc        runeCache
	maxText   int // Options.MaxTokenSize: the longest text of one element
	done      bool
}

func newGosaxTokenizer(r io.Reader, o *Options) *gosaxTokenizer {
	return newGosaxTokenizerSize(r, o, gosaxBufSize)
}

// newGosaxTokenizerSize starts with a buffer of size bytes, which grows
// for longer tokens.
func newGosaxTokenizerSize(r io.Reader, o *Options, size int) *gosaxTokenizer {
	t := &gosaxTokenizer{stack: nameStack{max: o.MaxDepth}, maxText: o.MaxTokenSize}
	t.guard = guardReader{r: r, limit: o.MaxTokenSize + gosaxBufSize}
	t.r = gosax.NewReaderSize(&t.guard, size)
	t.r.EmitSelfClosingTag = true
	return t
}

func (z *gosaxTokenizer) read(t *token) error {
	for {
		if z.done {
			t.kind = tokEOF
			return nil
		}
		var ev gosax.Event
		var err error
		if z.pending {
			ev, z.pending = z.pendingEv, false
		} else {
			ev, err = z.r.Event()
			z.guard.since = 0
		}
		if err != nil {
			if z.guard.hit {
				return ErrTokenTooLarge
			}
			if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
				return fmt.Errorf("%w: unexpected end of input", ErrSyntax)
			}
			return fmt.Errorf("%w: %v", ErrSyntax, err)
		}
		b := ev.Bytes
		switch ev.Type() {
		case gosax.EventStart:
			return z.start(t, b)
		case gosax.EventEnd:
			return z.end(t, b)
		case gosax.EventText:
			if z.skipSpace && allSpace(b) {
				// white space between elements that the caller skips anyway
				continue
			}
			if z.stack.depth() == 0 {
				if !allSpace(b) {
					return fmt.Errorf("%w: text outside the root element", ErrSyntax)
				}
				continue
			}
			txt, err := unescape(b)
			if err != nil {
				return err
			}
			t.kind, t.text = tokText, txt
			return nil
		case gosax.EventCData:
			if z.stack.depth() == 0 {
				return fmt.Errorf("%w: CDATA outside the root element", ErrSyntax)
			}
			if len(b) < 12 || string(b[:9]) != "<![CDATA[" {
				return fmt.Errorf("%w: invalid CDATA section", ErrSyntax)
			}
			txt := b[9 : len(b)-3]
			if err := checkChars(txt); err != nil {
				return err
			}
			t.kind, t.text = tokText, normalizeNewlines(txt)
			return nil
		case gosax.EventComment:
			if len(b) < 7 || string(b[:4]) != "<!--" {
				return fmt.Errorf("%w: invalid comment", ErrSyntax)
			}
			continue
		case gosax.EventProcessingInstruction:
			if err := checkProcInst(b); err != nil {
				return err
			}
			continue
		case gosax.EventDocType:
			return ErrDTD
		case gosax.EventEOF:
			if z.stack.depth() > 0 {
				return fmt.Errorf("%w: unexpected end of input inside an element", ErrSyntax)
			}
			z.done = true
			t.kind = tokEOF
			return nil
		default:
			return fmt.Errorf("%w: unexpected markup", ErrSyntax)
		}
	}
}

// nextTag reads the next start or end tag for the typed decoder, skipping
// white space between elements; it leaves anything else to read. A start
// tag of a short plain name without attributes, and its end tag, are
// handled here without further calls: they are nearly all of qbXML.
func (z *gosaxTokenizer) nextTag(t *token) error {
	for !z.pending && !z.done {
		ev, err := z.r.Event()
		z.guard.since = 0
		if err != nil {
			return z.failed(err)
		}
		b := ev.Bytes
		switch ev.Type() {
		case gosax.EventStart:
			if in := b[1 : len(b)-1]; len(z.stack.open) < z.stack.max {
				if w0, w1, ok := plainNameWords(in); ok {
					z.pushPlain(t, in, w0, w1)
					return nil
				}
			}
			return z.start(t, b)
		case gosax.EventEnd:
			if z.popQuick(b) {
				t.kind, t.name = tokEnd, b[2:len(b)-1]
				return nil
			}
			return z.end(t, b)
		case gosax.EventText:
			if allSpace(b) {
				continue
			}
		}
		z.pendingEv, z.pending = ev, true
	}
	z.skipSpace = true
	err := z.read(t)
	z.skipSpace = false
	return err
}

// plainNameWords returns the name stack's words for in when it is a name
// of one to 16 ASCII letters and digits starting with a letter.
func plainNameWords(in []byte) (w0, w1 uint64, ok bool) {
	n := len(in)
	switch {
	case n >= 8 && n <= shortName:
		w0 = binary.LittleEndian.Uint64(in)
		w1 = binary.LittleEndian.Uint64(in[n-8:])
		ok = swarAlnum(w0) && swarAlnum(w1)
	case n > 0 && n < 8 && cap(in) >= 8:
		// the bytes after the name, within the capacity, are masked off
		keep := uint64(1)<<(8*n) - 1
		w0 = binary.LittleEndian.Uint64(in[:8]) & keep
		ok = swarAlnum(w0 | 0x6161616161616161&^keep)
	default:
		return 0, 0, false
	}
	return w0, w1, ok && charClass[in[0]]&ccNameStart != 0
}

// popQuick closes the innermost element when it was opened by nextTag's
// plain-name path and b is its end tag "</name>", without white space;
// otherwise it changes nothing and end or pop decide.
func (z *gosaxTokenizer) popQuick(b []byte) bool {
	k := len(z.stack.open) - 1
	if len(b) < 4 || b[1] != '/' || k < 0 {
		return false
	}
	name := b[2 : len(b)-1]
	n := len(name)
	top := &z.stack.open[k]
	if !top.plain || top.n != n {
		return false
	}
	if w0, w1 := nameWords(name); w0 != top.w0 || w1 != top.w1 {
		return false
	}
	z.stack.open = z.stack.open[:k]
	return true
}

// start makes t the start tag b. A short plain name without attributes,
// nearly every tag of qbXML, is handled without further calls.
func (z *gosaxTokenizer) start(t *token, b []byte) error {
	if in := b[1 : len(b)-1]; len(z.stack.open) < z.stack.max {
		if w0, w1, ok := plainNameWords(in); ok {
			z.pushPlain(t, in, w0, w1)
			return nil
		}
	}
	name, rest, colon, err := splitTag(b, &z.rc)
	if err != nil {
		return err
	}
	if err := z.stack.push(name); err != nil {
		return err
	}
	if colon {
		if name, err = localName(name); err != nil {
			return err
		}
	}
	if len(name) > maxNameLen {
		// A syntax error in the attributes wins, as it does for
		// encoding/xml, which reads the whole tag first.
		if _, err := parseAttrs(rest, z.attrBuf[:0], &z.rc); err != nil && !errors.Is(err, ErrTokenTooLarge) {
			return err
		}
		return nameTooLong("element", name)
	}
	t.kind, t.name, t.raw, t.parsed = tokStart, name, rest, false
	return nil
}

// pushPlain opens the element of a start tag whose name in is plain (see
// plainNameWords, which gave w0 and w1) and makes t that start tag.
func (z *gosaxTokenizer) pushPlain(t *token, in []byte, w0, w1 uint64) {
	z.stack.open = append(z.stack.open, openName{w0: w0, w1: w1, n: len(in), plain: true})
	t.kind, t.name, t.raw, t.parsed = tokStart, in, nil, false
}

// end makes t the end tag b, which is "</name>" or, for a self-closing
// tag, the same bytes as its start.
func (z *gosaxTokenizer) end(t *token, b []byte) error {
	var name []byte
	if len(b) > 1 && b[1] == '/' {
		name = b[2 : len(b)-1]
		for len(name) > 0 && isSpace(name[len(name)-1]) {
			name = name[:len(name)-1]
		}
		// pop compares with the validated start tag's name
	} else {
		name, _, _, _ = splitTag(b, &z.rc)
	}
	if err := z.stack.pop(name); err != nil {
		return err
	}
	t.kind, t.name = tokEnd, name
	if i := bytes.IndexByte(name, ':'); i > 0 && i < len(name)-1 {
		t.name = name[i+1:]
	}
	return nil
}

// quickText reads the content of a simple element whose start tag was
// just read when it is plain text followed by the end tag, the common
// case, writing it to the arena begun by the caller. Otherwise it leaves
// the unexpected event pending for read and returns ok false.
func (z *gosaxTokenizer) quickText(a *arena) (ok bool, err error) {
	if z.done || z.pending {
		return false, nil
	}
	ev, err := z.r.Event()
	z.guard.since = 0
	if err != nil {
		return false, z.failed(err)
	}
	if ev.Type() == gosax.EventText {
		txt, err := unescape(ev.Bytes)
		if err != nil {
			return false, err
		}
		if len(txt) > z.maxText {
			return false, textTooLong(z.maxText)
		}
		a.write(txt)
		ev, err = z.r.Event()
		z.guard.since = 0
		if err != nil {
			return false, z.failed(err)
		}
	}
	b := ev.Bytes
	if ev.Type() != gosax.EventEnd || len(b) < 3 || b[1] != '/' {
		z.pendingEv, z.pending = ev, true
		return false, nil
	}
	if z.popQuick(b) {
		return true, nil
	}
	name := b[2 : len(b)-1]
	for len(name) > 0 && isSpace(name[len(name)-1]) {
		name = name[:len(name)-1]
	}
	if err := z.stack.pop(name); err != nil {
		return false, err
	}
	return true, nil
}

func (z *gosaxTokenizer) failed(err error) error {
	if z.guard.hit {
		return ErrTokenTooLarge
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return fmt.Errorf("%w: unexpected end of input", ErrSyntax)
	}
	return fmt.Errorf("%w: %v", ErrSyntax, err)
}

func (z *gosaxTokenizer) attrs(t *token) ([]rawAttr, error) {
	if t.parsed {
		return t.attrs, nil
	}
	as, err := parseAttrs(t.raw, z.attrBuf[:0], &z.rc)
	z.attrBuf = as
	t.attrs, t.parsed = as, true
	return as, err
}

// splitTag splits a start tag "<name attrs>" or "<name attrs/>" into its
// name and the unparsed attribute text; colon reports a ':' in the name.
func splitTag(b []byte, rc *runeCache) (name, rest []byte, colon bool, err error) {
	if len(b) < 3 || b[0] != '<' || b[len(b)-1] != '>' {
		return nil, nil, false, fmt.Errorf("%w: invalid tag %q", ErrSyntax, truncate(b))
	}
	in := b[1 : len(b)-1]
	if in[len(in)-1] == '/' {
		in = in[:len(in)-1]
	}
	// The common tag, a name of ASCII letters and digits without
	// attributes, is checked eight bytes at a time.
	if alnumName(in) {
		return in, in[len(in):], false, nil
	}
	i := 0
	slow := false
	for i < len(in) {
		c := charClass[in[i]]
		if c&ccName == 0 {
			if c&ccSpace != 0 {
				break
			}
			return nil, nil, false, fmt.Errorf("%w: invalid element name %q", ErrSyntax, truncate(in))
		}
		if c&(ccHigh|ccColon) != 0 {
			slow = slow || c&ccHigh != 0
			colon = colon || c&ccColon != 0
		}
		i++
	}
	name = in[:i]
	if len(name) == 0 || charClass[name[0]]&ccNameStart == 0 || slow && !rc.validName(name) {
		return nil, nil, false, fmt.Errorf("%w: invalid element name %q", ErrSyntax, truncate(name))
	}
	return name, in[i:], colon, nil
}

// alnumName reports whether b is a name of ASCII letters and digits that
// starts with a letter.
func alnumName(b []byte) bool {
	if len(b) == 0 || charClass[b[0]]&ccNameStart == 0 {
		return false
	}
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if !swarAlnum(binary.LittleEndian.Uint64(b[i:])) {
			return false
		}
	}
	n := len(b) - i
	if n == 0 {
		return true
	}
	if cap(b)-i >= 8 {
		// the bytes after the name, within the capacity, count as letters
		keep := uint64(1)<<(8*n) - 1
		return swarAlnum(binary.LittleEndian.Uint64(b[i:i+8])&keep | 0x6161616161616161&^keep)
	}
	for _, c := range b[i:] {
		if c >= 0x80 || charClass[c]&ccPlain == 0 || c == '_' || c == '-' || c == '.' {
			return false
		}
	}
	return true
}

// swarAlnum reports whether all 8 bytes are ASCII letters or digits.
func swarAlnum(v uint64) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	if v&hi != 0 {
		return false
	}
	// Each byte is below 0x80, so adding at most 0x7f never carries into
	// the next byte: the high bit of x+(0x80-a) is set when x >= a.
	l := v | 0x20*lo // folds upper case onto lower case
	letter := (l + (0x80-'a')*lo) &^ (l + (0x7f-'z')*lo)
	digit := (v + (0x80-'0')*lo) &^ (v + (0x7f-'9')*lo)
	return (letter|digit)&hi == hi
}

// swarSpecial reports whether any of 8 bytes may need unescape's slow
// path: a control character (including CR, LF and tab), a non-ASCII byte,
// '&' or ']'.
func swarSpecial(v uint64) bool {
	const (
		lo    = 0x0101010101010101
		hi    = 0x8080808080808080
		amp   = '&' * lo
		brack = ']' * lo
	)
	less20 := (v - 0x20*lo) & ^v & hi
	zeroAmp := ((v ^ amp) - lo) & ^(v ^ amp) & hi
	zeroBr := ((v ^ brack) - lo) & ^(v ^ brack) & hi
	return less20|zeroAmp|zeroBr|(v&hi) != 0
}

// Character classes for table-driven scanning.
const (
	ccName        = 1 << iota // may appear in a name
	ccNameStart               // may start a name
	ccSpace                   // XML white space
	ccHigh                    // non-ASCII: names need a rune check
	ccTextSpecial             // text byte that unescape must look at
	ccColon                   // ':', which splits a namespace prefix
	ccPlain                   // ASCII name byte other than ':'
)

// charClass classifies bytes for table-driven scanning; charClassOf
// documents it and TestCharClassTable checks that they agree.
var charClass = [256]uint8{
	0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x04, 0x04, 0x10, 0x10, 0x14, 0x10, 0x10,
	0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41, 0x41, 0x00,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x23, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43,
	0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x00, 0x00, 0x10, 0x00, 0x43,
	0x00, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43,
	0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x43, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
	0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b, 0x1b,
}

func charClassOf(b byte) uint8 {
	var c uint8
	if isNameStart(b) {
		c |= ccName | ccNameStart
	}
	if isNameByte(b) {
		c |= ccName
	}
	if isSpace(b) {
		c |= ccSpace
	}
	if b >= 0x80 {
		c |= ccHigh | ccTextSpecial
	}
	if b == ':' {
		c |= ccColon
	}
	if isNameByte(b) && b < 0x80 && b != ':' {
		c |= ccPlain
	}
	if b == '&' || b == '\r' || b == ']' || b < 0x20 && b != '\n' && b != '\t' {
		c |= ccTextSpecial
	}
	return c
}

// checkProcInst checks "<?target data?>": the target must be a name, and
// an "xml" declaration may only declare version 1.0.
func checkProcInst(b []byte) error {
	in := b[2 : len(b)-2]
	i := 0
	for i < len(in) && charClass[in[i]]&ccName != 0 {
		i++
	}
	target := in[:i]
	if !validName(target) {
		return fmt.Errorf("%w: invalid processing instruction target", ErrSyntax)
	}
	if string(target) == "xml" {
		if v, ok := declParam(string(in[i:]), "version"); ok && v != "" && v != "1.0" {
			return fmt.Errorf("%w: unsupported XML version %q", ErrSyntax, v)
		}
	}
	return nil
}

// declParam finds param="value" (or single quotes) in the content of an
// XML declaration.
func declParam(content, param string) (string, bool) {
	key := param + "="
	rest := content
	for {
		k := strings.Index(rest, key)
		if k < 0 || k+len(key) >= len(rest) {
			return "", false
		}
		q := rest[k+len(key)]
		rest = rest[k+len(key)+1:]
		if q == '"' || q == '\'' {
			j := strings.IndexByte(rest, q)
			if j < 0 {
				return "", false
			}
			return rest[:j], true
		}
	}
}

// localName strips a namespace prefix the way encoding/xml splits names:
// "p:local" gives "local"; a name with more than one colon is invalid.
func localName(b []byte) ([]byte, error) {
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return b, nil
	}
	if bytes.IndexByte(b[i+1:], ':') >= 0 {
		return nil, fmt.Errorf("%w: invalid name %q", ErrSyntax, truncate(b))
	}
	if i == 0 || i == len(b)-1 {
		return b, nil
	}
	return b[i+1:], nil
}

func truncate(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// parseAttrs parses name="value" pairs, unescaping values in place.
// Only the first maxAttrs attributes are kept and checked for duplicates,
// so its cost is linear in the tag's size; the rest are still read, so
// that a syntax error anywhere in the tag wins over a limit, as it does
// for encoding/xml, which reads the whole tag before the reference
// tokenizer counts. The limit errors wrap ErrTokenTooLarge.
func parseAttrs(b []byte, out []rawAttr, rc *runeCache) ([]rawAttr, error) {
	n := 0
	var limit error
	for {
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			if limit == nil && n > maxAttrs {
				limit = tooManyAttrs(n)
			}
			return out, limit
		}
		b = b[i:]
		j := 0
		for j < len(b) && b[j] != '=' && !isSpace(b[j]) {
			j++
		}
		name := b[:j]
		if !rc.validName(name) {
			return out, fmt.Errorf("%w: invalid attribute name %q", ErrSyntax, truncate(name))
		}
		name, err := localName(name)
		if err != nil {
			return out, err
		}
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j == len(b) || b[j] != '=' {
			return out, fmt.Errorf("%w: attribute %s has no value", ErrSyntax, truncate(name))
		}
		j++
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if j == len(b) || (b[j] != '"' && b[j] != '\'') {
			return out, fmt.Errorf("%w: attribute %s value is not quoted", ErrSyntax, truncate(name))
		}
		q := b[j]
		k := j + 1
		for k < len(b) && b[k] != q {
			if b[k] == '<' {
				return out, fmt.Errorf("%w: '<' in attribute %s", ErrSyntax, truncate(name))
			}
			k++
		}
		if k == len(b) {
			return out, fmt.Errorf("%w: unterminated attribute %s", ErrSyntax, truncate(name))
		}
		val, err := unescapeAttr(b[j+1 : k])
		if err != nil {
			return out, err
		}
		if n < maxAttrs {
			for _, a := range out {
				if string(a.name) == string(name) {
					return out, fmt.Errorf("%w: duplicate attribute %s", ErrSyntax, truncate(name))
				}
			}
			out = append(out, rawAttr{name: name, value: val})
		}
		if limit == nil && len(name) > maxNameLen {
			limit = nameTooLong("attribute", name)
		}
		n++
		b = b[k+1:]
	}
}

func tooManyAttrs(n int) error {
	return fmt.Errorf("%w: an element has %d attributes; qbXML uses at most %d and the limit is %d", ErrTokenTooLarge, n, schemaMaxAttrs, maxAttrs)
}

func nameTooLong(what string, name []byte) error {
	return fmt.Errorf("%w: %s name %q... is %d bytes long; the limit is %d", ErrTokenTooLarge, what, truncate(name), len(name), maxNameLen)
}

// textTooLong reports the text of one element beyond max bytes.
func textTooLong(max int) error {
	return fmt.Errorf("%w: the text of an element is longer than %d bytes", ErrTokenTooLarge, max)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func allSpace(b []byte) bool {
	for _, c := range b {
		if charClass[c]&ccSpace == 0 {
			return false
		}
	}
	return true
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// validName accepts XML names; non-ASCII letters are checked as runes.
func validName(b []byte) bool { return (*runeCache)(nil).validName(b) }

// runeCache remembers isNameRune's verdicts, which cost an encoding/xml
// decoder each: a long name of non-ASCII letters then costs a map lookup
// per letter. The nil cache remembers nothing.
type runeCache struct {
	first, other map[rune]bool
}

func (c *runeCache) nameRune(r rune, first bool) bool {
	if c == nil {
		return isNameRune(r, first)
	}
	m := &c.other
	if first {
		m = &c.first
	}
	if v, ok := (*m)[r]; ok {
		return v
	}
	v := isNameRune(r, first)
	if *m == nil {
		*m = make(map[rune]bool)
	}
	if len(*m) < 1<<16 {
		(*m)[r] = v
	}
	return v
}

// validName accepts XML names, deciding non-ASCII letters through rc.
func (rc *runeCache) validName(b []byte) bool {
	if len(b) == 0 || !isNameStart(b[0]) {
		return false
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if !isNameByte(c) {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 || !rc.nameRune(r, i == 0) {
			return false
		}
		i += n
	}
	return true
}

// checkChars rejects invalid UTF-8 and characters XML 1.0 forbids.
func checkChars(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("%w: illegal character U+%04X", ErrSyntax, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("%w: invalid UTF-8", ErrSyntax)
		}
		if !isXMLChar(r) {
			return fmt.Errorf("%w: illegal character U+%04X", ErrSyntax, r)
		}
		i += n
	}
	return nil
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// normalizeNewlines turns CR LF and lone CR into LF, in place.
func normalizeNewlines(b []byte) []byte {
	w := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				continue
			}
			c = '\n'
		}
		b[w] = c
		w++
	}
	return b[:w]
}

func unescapeAttr(b []byte) ([]byte, error) {
	v, err := unescape(b)
	if err != nil {
		return nil, err
	}
	// Literal white space is kept as encoding/xml keeps it, rather than
	// normalised to spaces, so that both decoders agree.
	return v, nil
}

// unescape checks characters, normalizes newlines and expands entity and
// character references, in place.
func unescape(b []byte) ([]byte, error) {
	amp := -1
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if swarSpecial(binary.LittleEndian.Uint64(b[i:])) {
			break
		}
	}
	if n := len(b) - i; n > 0 && n < 8 && cap(b)-i >= 8 {
		// The last few bytes in one word too: the bytes after the text
		// (within the slice's capacity) are masked out as plain letters.
		keep := uint64(1)<<(8*n) - 1
		v := binary.LittleEndian.Uint64(b[i : i+8])
		if !swarSpecial(v&keep | 0x6161616161616161&^keep) {
			return b, nil
		}
	}
	for ; i < len(b); i++ {
		if charClass[b[i]]&ccTextSpecial != 0 {
			amp = i
			break
		}
	}
	if amp < 0 {
		return b, nil
	}
	if bytes.Contains(b[amp:], []byte("]]>")) {
		return nil, fmt.Errorf("%w: ']]>' in text", ErrSyntax)
	}
	if err := checkChars(b[amp:]); err != nil {
		return nil, err
	}
	w := amp
	for i := amp; i < len(b); {
		c := b[i]
		switch c {
		case '\r':
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
				continue
			}
			b[w] = '\n'
			w++
			i++
		case '&':
			end := -1
			for k := i + 1; k < len(b) && k < i+12; k++ {
				if b[k] == ';' {
					end = k
					break
				}
			}
			if end < 0 {
				return nil, fmt.Errorf("%w: invalid entity reference", ErrSyntax)
			}
			ref := b[i+1 : end]
			var r rune
			switch string(ref) {
			case "lt":
				r = '<'
			case "gt":
				r = '>'
			case "amp":
				r = '&'
			case "apos":
				r = '\''
			case "quot":
				r = '"'
			default:
				var ok bool
				r, ok = charRef(ref)
				if !ok {
					return nil, fmt.Errorf("%w: invalid entity reference &%s;", ErrSyntax, truncate(ref))
				}
			}
			w += utf8.EncodeRune(b[w:], r)
			i = end + 1
		default:
			b[w] = c
			w++
			i++
		}
	}
	return b[:w], nil
}

func charRef(ref []byte) (rune, bool) {
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	var v int64
	digits := ref[1:]
	base := int64(10)
	if digits[0] == 'x' {
		base = 16
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	for _, c := range digits {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int64(c-'A') + 10
		default:
			return 0, false
		}
		v = v*base + d
		if v > 0x10FFFF {
			return 0, false
		}
	}
	r := rune(v)
	if !isXMLChar(r) {
		return 0, false
	}
	return r, true
}

// arena hands out strings carved from shared chunks, so that decoding a
// record costs one allocation per chunk instead of one per value. A chunk
// is never written again after a string is carved from it, and the
// strings a caller keeps keep their chunk alive.
type arena struct {
	chunk []byte
	start int
	ptrs  []string
}

const (
	arenaChunk = 32 << 10
	ptrChunk   = 1024
)

// size returns how many bytes were written since begin.
func (a *arena) size() int { return len(a.chunk) - a.start }

func (a *arena) str(b []byte) string {
	a.begin()
	a.write(b)
	return a.end()
}

// begin starts a string that write extends and end carves.
func (a *arena) begin() { a.start = len(a.chunk) }

func (a *arena) write(b []byte) {
	if cap(a.chunk)-len(a.chunk) >= len(b) {
		a.chunk = append(a.chunk, b...)
		return
	}
	// Move the string begun so far to a fresh chunk.
	cur := a.chunk[a.start:]
	size := arenaChunk
	if n := len(cur) + len(b); n > arenaChunk/4 {
		size = n
	}
	nc := make([]byte, 0, size)
	nc = append(nc, cur...)
	nc = append(nc, b...)
	a.chunk, a.start = nc, 0
}

// pending returns what was written since begin without carving it: the
// bytes are overwritten by the next begin.
func (a *arena) pending() string {
	b := a.chunk[a.start:]
	a.chunk = a.chunk[:a.start]
	return string(b)
}

func (a *arena) end() string {
	n := len(a.chunk) - a.start
	if n == 0 {
		return ""
	}
	s := a.chunk[a.start:len(a.chunk):len(a.chunk)]
	if cap(a.chunk)-len(a.chunk) == 0 || len(a.chunk) > arenaChunk {
		// a chunk made for one large string is not shared
		a.chunk = nil
	}
	return unsafe.String(unsafe.SliceData(s), n)
}

// ptr returns a pointer to a copy of s, carved from a chunk of strings.
func (a *arena) ptr(s string) *string {
	if len(a.ptrs) == cap(a.ptrs) {
		a.ptrs = make([]string, 0, ptrChunk)
	}
	a.ptrs = append(a.ptrs, s)
	return &a.ptrs[len(a.ptrs)-1]
}
