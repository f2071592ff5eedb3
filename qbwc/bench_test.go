package qbwc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// BenchmarkParseReceiveResponseXML measures decoding a receiveResponseXML
// envelope carrying a 10 MB qbXML response (escaped, as the Web Connector
// sends it), against copying the same bytes (the floor any parser sits
// on) in the same run.
func BenchmarkParseReceiveResponseXML(b *testing.B) {
	var q strings.Builder
	q.WriteString(`<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><InvoiceQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">`)
	for i := 0; q.Len() < 10<<20; i++ {
		fmt.Fprintf(&q, `<InvoiceRet><TxnID>%X-1232697602</TxnID><EditSequence>1232697602</EditSequence><CustomerRef><FullName>Customer &amp; Sons %d</FullName></CustomerRef><Memo>Line one</Memo><InvoiceLineRet><Desc>Widget</Desc><Amount>125.00</Amount></InvoiceLineRet></InvoiceRet>`, i, i)
	}
	q.WriteString(`</InvoiceQueryRs></QBXMLMsgsRs></QBXML>`)
	var env bytes.Buffer
	env.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><receiveResponseXML xmlns="http://developer.intuit.com/"><ticket>abc</ticket><response>`)
	_ = xml.EscapeText(&env, []byte(q.String()))
	env.WriteString(`</response><hresult /><message /></receiveResponseXML></soap:Body></soap:Envelope>`)
	body := env.Bytes()
	mb := float64(len(body)) / 1e6

	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			c, err := parseCall(bytes.NewReader(body))
			if err != nil || len(c.params["response"]) != q.Len() {
				b.Fatalf("%v", err)
			}
		}
		b.ReportMetric(mb*float64(b.N)/b.Elapsed().Seconds(), "MB/s")
	})
	b.Run("copy-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var buf bytes.Buffer
			_, _ = io.Copy(&buf, bytes.NewReader(body))
		}
		b.ReportMetric(mb*float64(b.N)/b.Elapsed().Seconds(), "MB/s")
	})
}
