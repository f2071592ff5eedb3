package qbxml

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// benchInvoices is the size of the benchmark response: 20,000 invoices of
// three lines, about 50 MB.
const benchInvoices = 20000

func benchResponse(tb testing.TB) []byte {
	tb.Helper()
	b, err := io.ReadAll(newInvoiceResponse(benchInvoices, 1))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodeAll decodes every record of data and returns the number of records.
func decodeAll(tb testing.TB, newDec func(io.Reader, *Options) *Decoder, data []byte) int {
	dec := newDec(bytes.NewReader(data), nil)
	n := 0
	for {
		it, err := dec.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		if it.Kind == ItemRecord {
			if _, ok := it.Record.(*InvoiceRet); !ok {
				tb.Fatalf("record is %T, want *InvoiceRet", it.Record)
			}
			n++
		}
	}
}

func benchDecode(b *testing.B, newDec func(io.Reader, *Options) *Decoder, baseline func(io.Reader, *Options) *Decoder) {
	data := benchResponse(b)
	var baseMBps float64
	if baseline != nil {
		// The reference decoder, measured once in the same run.
		start := time.Now()
		decodeAll(b, baseline, data)
		baseMBps = float64(len(data)) / 1e6 / time.Since(start).Seconds()
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if n := decodeAll(b, newDec, data); n != benchInvoices {
			b.Fatalf("decoded %d invoices, want %d", n, benchInvoices)
		}
	}
	mbps := float64(len(data)) * float64(b.N) / 1e6 / time.Since(start).Seconds()
	b.ReportMetric(mbps, "MB/s")
	if baseline != nil {
		b.ReportMetric(baseMBps, "stdlib-MB/s")
		b.ReportMetric(mbps/baseMBps, "x-stdlib")
	}
}

// BenchmarkDecodeInvoiceQueryRs measures the gosax decoder on a 50 MB
// InvoiceQueryRs and, once in the same run, the encoding/xml reference.
func BenchmarkDecodeInvoiceQueryRs(b *testing.B) {
	benchDecode(b, NewDecoder, NewStdDecoder)
}

// BenchmarkDecodeInvoiceQueryRsStdlib measures the encoding/xml reference
// decoder on the same response.
func BenchmarkDecodeInvoiceQueryRsStdlib(b *testing.B) {
	benchDecode(b, NewStdDecoder, nil)
}
