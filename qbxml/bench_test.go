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
			if it.Record.ElementName() != "InvoiceRet" {
				tb.Fatalf("record is %s, want InvoiceRet", it.Record.ElementName())
			}
			n++
		}
	}
}

// pairedRuns is how many iterations of a benchmark with a baseline are
// each followed by one run of the baseline.
const pairedRuns = 5

// benchDecode measures newDec over the benchmark response. With a
// baseline, each of the first pairedRuns iterations is followed by a run
// of the baseline outside the timer, and x-stdlib is the ratio of the two
// decoders' times over those pairs: on a shared, noisy machine a slow
// spell then slows both sides of a pair alike.
func benchDecode(b *testing.B, newDec func(io.Reader, *Options) *Decoder, baseline func(io.Reader, *Options) *Decoder) {
	data := benchResponse(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var fast, base time.Duration
	pairs := 0
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if n := decodeAll(b, newDec, data); n != benchInvoices {
			b.Fatalf("decoded %d invoices, want %d", n, benchInvoices)
		}
		took := time.Since(start)
		if baseline != nil && i < pairedRuns {
			b.StopTimer()
			start := time.Now()
			decodeAll(b, baseline, data)
			base += time.Since(start)
			fast += took
			pairs++
			b.StartTimer()
		}
	}
	mb := float64(len(data)) / 1e6
	b.ReportMetric(mb*float64(b.N)/b.Elapsed().Seconds(), "MB/s")
	if pairs > 0 {
		b.ReportMetric(mb*float64(pairs)/base.Seconds(), "stdlib-MB/s")
		b.ReportMetric(base.Seconds()/fast.Seconds(), "x-stdlib")
	}
}

// BenchmarkDecodeInvoiceQueryRs measures the gosax decoder on a 50 MB
// InvoiceQueryRs and, in the same run, its lead over the encoding/xml
// reference (x-stdlib; see benchDecode).
func BenchmarkDecodeInvoiceQueryRs(b *testing.B) {
	benchDecode(b, NewDecoder, NewStdDecoder)
}

// BenchmarkDecodeInvoiceQueryRsStdlib measures the encoding/xml reference
// decoder on the same response.
func BenchmarkDecodeInvoiceQueryRsStdlib(b *testing.B) {
	benchDecode(b, NewStdDecoder, nil)
}

// BenchmarkDecodeInvoiceQueryRsGeneric measures the decoder as the sync
// engine, the API and the CLI use it, into Nodes, against the encoding/xml
// reference doing the same.
func BenchmarkDecodeInvoiceQueryRsGeneric(b *testing.B) {
	generic := func(newDec func(io.Reader, *Options) *Decoder) func(io.Reader, *Options) *Decoder {
		return func(r io.Reader, _ *Options) *Decoder { return newDec(r, &Options{Generic: true}) }
	}
	benchDecode(b, generic(NewDecoder), generic(NewStdDecoder))
}
