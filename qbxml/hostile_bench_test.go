package qbxml

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// hostileShape builds a qbXML response of about size bytes in one of the
// shapes that cost a tokenizer most per byte.
type hostileShape struct {
	name  string
	build func(size int) []byte
}

// hostileShapes are the worst inputs a tenant can send through the
// passthrough or a connector can return: one tag with as many attributes
// as fit, records at the attribute limit, elements nested to the depth
// limit over and over, long element names (ASCII and not), text made of
// entity references, one long text, and text split by comments.
var hostileShapes = []hostileShape{
	{"one-tag-many-attributes", func(size int) []byte {
		var b bytes.Buffer
		b.WriteString("<CustomerRet")
		for i := 0; b.Len() < size; i++ {
			fmt.Fprintf(&b, ` a%d="v"`, i)
		}
		b.WriteString("><Name>x</Name></CustomerRet>")
		return wrapResponse(b.Bytes())
	}},
	{"records-at-attribute-limit", func(size int) []byte {
		var b bytes.Buffer
		for b.Len() < size {
			b.WriteString("<CustomerRet")
			for i := 0; i < maxAttrs; i++ {
				fmt.Fprintf(&b, ` a%d="v&amp;%d"`, i, i)
			}
			b.WriteString("><Name>x</Name></CustomerRet>")
		}
		return wrapResponse(b.Bytes())
	}},
	{"deep-nesting", func(size int) []byte {
		var b bytes.Buffer
		const depth = 56 // under the limit of 64 with the envelope's levels
		for b.Len() < size {
			b.WriteString("<CustomerRet>")
			b.WriteString(strings.Repeat("<Sub>", depth))
			b.WriteString("x")
			b.WriteString(strings.Repeat("</Sub>", depth))
			b.WriteString("</CustomerRet>")
		}
		return wrapResponse(b.Bytes())
	}},
	{"long-names", func(size int) []byte {
		var b bytes.Buffer
		n := "N" + strings.Repeat("a", maxNameLen-1)
		for b.Len() < size {
			fmt.Fprintf(&b, "<CustomerRet><%s>x</%s></CustomerRet>", n, n)
		}
		return wrapResponse(b.Bytes())
	}},
	{"one-huge-non-ascii-name", func(size int) []byte {
		n := "N" + strings.Repeat("é", size/2)
		return wrapResponse([]byte("<CustomerRet><" + n + ">x</" + n + "></CustomerRet>"))
	}},
	{"entity-references", func(size int) []byte {
		var b bytes.Buffer
		for b.Len() < size {
			b.WriteString("<CustomerRet><Name>")
			for i := 0; i < 200; i++ {
				b.WriteString("&amp;&#233;&lt;&#x10000;")
			}
			b.WriteString("</Name></CustomerRet>")
		}
		return wrapResponse(b.Bytes())
	}},
	{"long-text", func(size int) []byte {
		return wrapResponse([]byte("<CustomerRet><Notes>" + strings.Repeat("x", size) + "</Notes></CustomerRet>"))
	}},
	{"text-split-by-comments", func(size int) []byte {
		return wrapResponse([]byte("<CustomerRet><Notes>" + strings.Repeat("xy<!---->", size/9) + "</Notes></CustomerRet>"))
	}},
}

func wrapResponse(body []byte) []byte {
	return []byte(`<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" statusCode="0" statusSeverity="Info">` +
		string(body) + `</CustomerQueryRs></QBXMLMsgsRs></QBXML>`)
}

// decodeHostile decodes data as the API and the sync engine do (into
// Nodes) up to its end or its first error: the shapes past a limit are
// refused, which is what they should cost.
func decodeHostile(data []byte) error {
	dec := NewDecoder(bytes.NewReader(data), &Options{Generic: true})
	for {
		if _, err := dec.Next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// BenchmarkDecodeHostileShapes measures, for each hostile shape, the time
// per KB of input at 10 KB and at 1 MB in the same run; x-1MB/10KB is
// their ratio, 1 when the cost per byte is flat as the input grows (a
// quadratic step makes it about 100).
func BenchmarkDecodeHostileShapes(b *testing.B) {
	for _, sh := range hostileShapes {
		b.Run(sh.name, func(b *testing.B) {
			small, large := sh.build(10<<10), sh.build(1<<20)
			reps := len(large) / len(small)
			_, _ = decodeHostile(small), decodeHostile(large) // warm caches and the heap
			var tSmall, tLarge time.Duration
			for b.Loop() {
				start := time.Now()
				for range reps {
					_ = decodeHostile(small)
				}
				tSmall += time.Since(start)
				start = time.Now()
				_ = decodeHostile(large)
				tLarge += time.Since(start)
			}
			perKB := func(d time.Duration, n int) float64 {
				return float64(d.Nanoseconds()) / float64(b.N) / (float64(n) / 1024)
			}
			s, l := perKB(tSmall, reps*len(small)), perKB(tLarge, len(large))
			b.ReportMetric(s, "ns/KB-10KB")
			b.ReportMetric(l, "ns/KB-1MB")
			b.ReportMetric(l/s, "x-1MB/10KB")
		})
	}
}
