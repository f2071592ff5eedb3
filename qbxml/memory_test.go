package qbxml

import (
	"io"
	"runtime"
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
