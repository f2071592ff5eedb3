package qbxml

import (
	"encoding/binary"
	"fmt"
)

// nameStack records the open elements to check end tags and depth. A name
// of up to 16 bytes is kept as two words, its first and last eight bytes,
// which identify it exactly together with its length; longer names are
// copied to buf. So pushing and popping the usual qbXML name costs two
// loads and a comparison instead of a copy.
type nameStack struct {
	open []openName
	buf  []byte
	max  int
}

type openName struct {
	w0, w1 uint64
	n      int  // name length
	off    int  // where buf holds a name longer than 16 bytes
	plain  bool // the name is ASCII letters and digits (no prefix to strip)
}

const shortName = 16

// nameWords returns the first and last eight bytes of a name of up to 16
// bytes; a name shorter than eight bytes is padded with zeros.
func nameWords(name []byte) (w0, w1 uint64) {
	n := len(name)
	if n >= 8 {
		return binary.LittleEndian.Uint64(name), binary.LittleEndian.Uint64(name[n-8:])
	}
	if cap(name) >= 8 {
		// the bytes after the name, within the capacity, are masked off
		return binary.LittleEndian.Uint64(name[:8]) & (1<<(8*n) - 1), 0
	}
	for i := n - 1; i >= 0; i-- {
		w0 = w0<<8 | uint64(name[i])
	}
	return w0, 0
}

func (s *nameStack) push(name []byte) error {
	if len(s.open) >= s.max {
		return s.tooDeep()
	}
	e := openName{n: len(name)}
	if len(name) <= shortName {
		e.w0, e.w1 = nameWords(name)
	} else {
		e.off = len(s.buf)
		s.buf = append(s.buf, name...)
	}
	s.open = append(s.open, e)
	return nil
}

func (s *nameStack) tooDeep() error {
	return fmt.Errorf("%w: more than %d levels", ErrTooDeep, s.max)
}

// pop closes the innermost element, which must be called name.
func (s *nameStack) pop(name []byte) error {
	k := len(s.open) - 1
	if k < 0 || s.open[k].n != len(name) {
		return s.mismatch(name)
	}
	e := &s.open[k]
	if len(name) <= shortName {
		if w0, w1 := nameWords(name); w0 != e.w0 || w1 != e.w1 {
			return s.mismatch(name)
		}
	} else {
		if string(s.buf[e.off:]) != string(name) {
			return s.mismatch(name)
		}
		s.buf = s.buf[:e.off]
	}
	s.open = s.open[:k]
	return nil
}

func (s *nameStack) mismatch(name []byte) error {
	if len(s.open) == 0 {
		return fmt.Errorf("%w: unexpected end tag </%s>", ErrSyntax, name)
	}
	return fmt.Errorf("%w: element <%s> closed by </%s>", ErrSyntax, s.top(), name)
}

// top returns the name of the innermost open element.
func (s *nameStack) top() []byte {
	e := s.open[len(s.open)-1]
	if e.n > shortName {
		return s.buf[e.off:]
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], e.w0)
	if e.n > 8 {
		binary.LittleEndian.PutUint64(b[e.n-8:], e.w1)
	}
	return b[:e.n]
}

func (s *nameStack) depth() int { return len(s.open) }
