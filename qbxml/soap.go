package qbxml

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// soapReader streams the qbXML document carried, escaped or in a CDATA
// section, by the response parameter of a Web Connector
// receiveResponseXML call. It yields the unescaped document and stops at
// the parameter's end tag, so a large response is never held whole.
type soapReader struct {
	br    *bufio.Reader
	cdata bool
	done  bool
	err   error
	pend  []byte
}

const maxSOAPTag = 64 << 10

func newSOAPReader(br *bufio.Reader, o *Options) (io.Reader, error) {
	var hresult, message string
	found := false
	for {
		if _, err := br.ReadSlice('<'); err != nil {
			if err == bufio.ErrBufferFull {
				continue
			}
			break
		}
		tag, err := readTag(br)
		if err != nil {
			return nil, err
		}
		if len(tag) == 0 || tag[0] == '?' || tag[0] == '!' || tag[0] == '/' {
			continue
		}
		selfClosing := tag[len(tag)-1] == '/'
		name := tag
		if i := bytes.IndexAny(name, " \t\r\n/"); i >= 0 {
			name = name[:i]
		}
		if i := bytes.IndexByte(name, ':'); i >= 0 {
			name = name[i+1:]
		}
		switch string(name) {
		case "response":
			if selfClosing {
				found = true
				continue
			}
			next, _ := br.Peek(2)
			if string(next) == "</" {
				found = true
				continue
			}
			return &soapReader{br: br}, nil
		case "hresult", "message":
			if selfClosing {
				continue
			}
			txt, _ := br.ReadSlice('<')
			if len(txt) > 0 {
				v, err := unescape(append([]byte(nil), txt[:len(txt)-1]...))
				if err == nil {
					if string(name) == "hresult" {
						hresult = string(v)
					} else {
						message = string(v)
					}
				}
			}
			if len(txt) > 0 {
				if _, err := readTag(br); err != nil {
					return nil, err
				}
			}
		}
	}
	if found {
		return nil, fmt.Errorf("%w: receiveResponseXML carries no response (hresult %q, message %q)", ErrNotQBXML, hresult, message)
	}
	return nil, fmt.Errorf("%w: SOAP envelope without a receiveResponseXML response", ErrNotQBXML)
}

// readTag reads the rest of a tag after '<' and returns its content
// without the closing '>'.
func readTag(br *bufio.Reader) ([]byte, error) {
	var tag []byte
	for {
		b, err := br.ReadSlice('>')
		tag = append(tag, b...)
		if len(tag) > maxSOAPTag {
			return nil, ErrTokenTooLarge
		}
		if err == nil {
			return tag[:len(tag)-1], nil
		}
		if err != bufio.ErrBufferFull {
			return nil, fmt.Errorf("%w: unexpected end of input in SOAP envelope", ErrSyntax)
		}
	}
}

func (s *soapReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.pend) > 0 {
			c := copy(p[n:], s.pend)
			s.pend = s.pend[c:]
			n += c
			continue
		}
		if s.err != nil {
			break
		}
		if s.done {
			s.err = io.EOF
			break
		}
		buf, err := s.br.Peek(1)
		if len(buf) == 0 {
			if err == io.EOF {
				err = fmt.Errorf("%w: unexpected end of input in SOAP response", ErrSyntax)
			}
			s.err = err
			break
		}
		avail := s.br.Buffered()
		chunk, _ := s.br.Peek(avail)
		if s.cdata {
			i := bytes.Index(chunk, []byte("]]>"))
			if i < 0 {
				// keep two bytes back in case "]]>" straddles the buffer
				keep := len(chunk) - 2
				if keep <= 0 {
					more, err := s.br.Peek(3)
					if len(more) < 3 {
						if err == io.EOF {
							err = fmt.Errorf("%w: unterminated CDATA in SOAP response", ErrSyntax)
						}
						s.err = err
						break
					}
					continue
				}
				c := copy(p[n:], chunk[:keep])
				_, _ = s.br.Discard(c)
				n += c
				continue
			}
			c := copy(p[n:], chunk[:i])
			_, _ = s.br.Discard(c)
			n += c
			if c == i {
				_, _ = s.br.Discard(3)
				s.cdata = false
			}
			continue
		}
		i := bytes.IndexAny(chunk, "&<")
		if i < 0 {
			c := copy(p[n:], chunk)
			_, _ = s.br.Discard(c)
			n += c
			continue
		}
		if i > 0 {
			c := copy(p[n:], chunk[:i])
			_, _ = s.br.Discard(c)
			n += c
			continue
		}
		if chunk[0] == '<' {
			head, _ := s.br.Peek(9)
			if string(head) == "<![CDATA[" {
				_, _ = s.br.Discard(9)
				s.cdata = true
				continue
			}
			s.done = true
			continue
		}
		ref, err := s.br.ReadSlice(';')
		if err != nil || len(ref) > 16 {
			s.err = fmt.Errorf("%w: invalid entity reference in SOAP response", ErrSyntax)
			break
		}
		switch string(ref) {
		case "&lt;":
			s.pend = append(s.pend[:0], '<')
		case "&gt;":
			s.pend = append(s.pend[:0], '>')
		case "&amp;":
			s.pend = append(s.pend[:0], '&')
		case "&quot;":
			s.pend = append(s.pend[:0], '"')
		case "&apos;":
			s.pend = append(s.pend[:0], '\'')
		default:
			v, err := unescape(append(s.pend[:0], ref...))
			if err != nil {
				s.err = err
				continue
			}
			s.pend = v
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, s.err
}
