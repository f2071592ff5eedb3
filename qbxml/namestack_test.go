package qbxml

import (
	"errors"
	"strings"
	"testing"
)

// TestNameStackTellsEveryDifferentEndTagApart changes each byte of names of
// every length up to 40 and requires pop to refuse the changed name and
// name the open element, whatever the bytes around the name hold.
func TestNameStackTellsEveryDifferentEndTagApart(t *testing.T) {
	for n := 1; n <= 40; n++ {
		name := []byte(strings.Repeat("AbcdefghijKlmnopqrstUvwxyz0123456789ZYXW", 2)[:n])
		// the name sits in a larger buffer, as in the tokenizer's window
		window := append(append([]byte("<"), name...), "></x>garbage"...)
		open := window[1 : 1+n]
		for i := 0; i < n; i++ {
			s := nameStack{max: 8}
			if err := s.push(open); err != nil {
				t.Fatal(err)
			}
			changed := []byte(string(name))
			changed[i] ^= 0x01
			err := s.pop(changed)
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "<"+string(name)+"> closed by </"+string(changed)+">") {
				t.Fatalf("len %d, byte %d changed: pop = %v", n, i, err)
			}
			if err := s.pop(append([]byte(nil), name...)); err != nil {
				t.Fatalf("len %d: pop of the same name: %v", n, err)
			}
		}
		s := nameStack{max: 8}
		s.push(open)
		if err := s.pop(name[:n-1]); err == nil {
			t.Fatalf("len %d: a shorter name closed the element", n)
		}
	}
}

func TestNameStackNestsAndLimitsDepth(t *testing.T) {
	s := nameStack{max: 3}
	for _, n := range []string{"QBXML", "CustomerSalesTaxCodeRef", "A"} {
		if err := s.push([]byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.push([]byte("B")); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("fourth level: %v, want ErrTooDeep", err)
	}
	for _, n := range []string{"A", "CustomerSalesTaxCodeRef", "QBXML"} {
		if err := s.pop([]byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.pop([]byte("QBXML")); !errors.Is(err, ErrSyntax) || s.depth() != 0 {
		t.Fatalf("pop of an empty stack: %v", err)
	}
}

func TestAlnumNameAgreesWithTheByteRule(t *testing.T) {
	byteRule := func(b []byte) bool {
		if len(b) == 0 || !(b[0] >= 'a' && b[0] <= 'z' || b[0] >= 'A' && b[0] <= 'Z') {
			return false
		}
		for _, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
		return true
	}
	for c := 0; c < 256; c++ {
		for n := 1; n <= 17; n++ {
			for pos := 0; pos < n; pos++ {
				name := []byte(strings.Repeat("Ab9", 6)[:n])
				name[pos] = byte(c)
				for _, b := range [][]byte{name, append(name, '>', 0, 0x80, ' ', 0, 0, 0, 0)[:n]} {
					if got, want := alnumName(b), byteRule(b); got != want {
						t.Fatalf("alnumName(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}
