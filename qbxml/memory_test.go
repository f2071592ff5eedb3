package qbxml

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestDecodeHalfGigabyteResponseKeepsHeapSmall decodes a 500 MB
// InvoiceQueryRs generated on the fly and samples the Go heap while doing
// so: it must stay under 64 MB, proving that records are streamed.
func TestDecodeHalfGigabyteResponseKeepsHeapSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 500 MB; skipped with -short")
	}
	const (
		size     = 500 << 20
		maxHeap  = 64 << 20
		invoices = size / 3100 // each generated invoice is about 3.1 kB
	)
	src := &countingReader{r: newInvoiceResponse(invoices, 3)}
	dec := NewDecoder(src, nil)
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for {
		it, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind != ItemRecord {
			continue
		}
		n++
		if n%2000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc, ms.HeapInuse)
		}
	}
	if n != invoices {
		t.Fatalf("decoded %d invoices, want %d", n, invoices)
	}
	if src.n < size*9/10 {
		t.Fatalf("read only %d bytes", src.n)
	}
	t.Logf("decoded %d MB, %d invoices; peak heap %.1f MB", src.n>>20, n, float64(peak)/(1<<20))
	if peak >= maxHeap {
		t.Errorf("peak heap %d bytes, want under %d", peak, maxHeap)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestDecodeLargeWebConnectorEnvelopeStreams decodes a 100 MB response
// escaped inside a receiveResponseXML SOAP envelope with a small heap.
func TestDecodeLargeWebConnectorEnvelopeStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 100 MB; skipped with -short")
	}
	const invoices = (100 << 20) / 3100
	env := io.MultiReader(
		strings.NewReader(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>t</ticket><response>`),
		&escapingReader{r: newInvoiceResponse(invoices, 5)},
		strings.NewReader(`</response><hresult /><message /></receiveResponseXML></soap:Body></soap:Envelope>`),
	)
	dec := NewDecoder(env, nil)
	var ms runtime.MemStats
	var peak uint64
	n := 0
	for {
		it, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == ItemRecord {
			n++
			if n%2000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		}
	}
	if n != invoices {
		t.Fatalf("decoded %d invoices, want %d", n, invoices)
	}
	if peak >= 64<<20 {
		t.Errorf("peak heap %d bytes, want under 64 MB", peak)
	}
}

// escapingReader XML-escapes what it reads, as a SOAP string parameter.
type escapingReader struct {
	r   io.Reader
	buf []byte
	out []byte
}

func (e *escapingReader) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if cap(e.buf) == 0 {
			e.buf = make([]byte, 32<<10)
		}
		n, err := e.r.Read(e.buf[:cap(e.buf)])
		for _, c := range e.buf[:n] {
			switch c {
			case '<':
				e.out = append(e.out, "&lt;"...)
			case '>':
				e.out = append(e.out, "&gt;"...)
			case '&':
				e.out = append(e.out, "&amp;"...)
			case '"':
				e.out = append(e.out, "&quot;"...)
			default:
				e.out = append(e.out, c)
			}
		}
		if n == 0 && err != nil {
			return 0, err
		}
	}
	c := copy(p, e.out)
	e.out = e.out[c:]
	return c, nil
}
