package qbxml

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
)

// invoiceResponse streams a realistic InvoiceQueryRs of n invoices with
// three lines each, generated on the fly so that even a 500 MB response
// never exists in memory or on disk. The content is deterministic for a
// seed.
type invoiceResponse struct {
	n, i int
	rnd  *rand.Rand
	buf  bytes.Buffer
	tail bool
}

func newInvoiceResponse(n int, seed uint64) *invoiceResponse {
	r := &invoiceResponse{n: n, rnd: rand.New(rand.NewPCG(seed, 7))}
	fmt.Fprintf(&r.buf, `<?xml version="1.0" encoding="utf-8"?>`+"\n"+`<?qbxml version="13.0"?>`+"\n"+
		`<QBXML>`+"\n"+`<QBXMLMsgsRs>`+"\n"+
		`<InvoiceQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK" retCount="%d" iteratorRemainingCount="0" iteratorID="{b2d1c0f4-6b8e-4a57-9a37-3c6f1d0e9a11}">`+"\n", n)
	return r
}

func (r *invoiceResponse) Read(p []byte) (int, error) {
	for r.buf.Len() < len(p) && r.i < r.n {
		r.invoice()
		r.i++
	}
	if r.i == r.n && !r.tail {
		r.buf.WriteString("</InvoiceQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n")
		r.tail = true
	}
	if r.buf.Len() == 0 {
		return 0, io.EOF
	}
	return r.buf.Read(p)
}

var (
	customers = []string{"Abercrombie, Kristy", "Baker's Professional Lighting", "Cook, Brian:Kitchen", "Ecker Designs", "Jacobsen, Doug:Poolhouse", "Müller &amp; Söhne GmbH", "Nguyen Thi Lan", "Pretell Real Estate:75 Sunset Rd."}
	items     = []string{"Installation", "Framing", "Lumber:Trim", "Hardware:Doorknobs Std", "Subs:Electrical", "Wood Door:Exterior", "Cabinets:Cabinet Pulls", "Repairs"}
	cities    = []string{"Bayshore", "Middlefield", "San Francisco", "Menlo Park", "Redwood City"}
)

func (r *invoiceResponse) invoice() {
	b := &r.buf
	rnd := r.rnd
	id := 0x10000 + r.i
	created := 1700000000 + r.i*37
	cust := customers[rnd.IntN(len(customers))]
	lines := [3]int64{}
	var subtotal int64
	for k := range lines {
		lines[k] = int64(rnd.IntN(500000) + 100)
		subtotal += lines[k]
	}
	tax := subtotal * 775 / 10000
	fmt.Fprintf(b, `<InvoiceRet>
<TxnID>%X-%d</TxnID>
<TimeCreated>2023-11-14T%02d:%02d:%02d-08:00</TimeCreated>
<TimeModified>2024-02-%02dT10:15:42-08:00</TimeModified>
<EditSequence>%d</EditSequence>
<TxnNumber>%d</TxnNumber>
<CustomerRef>
<ListID>8000%04X-1197753015</ListID>
<FullName>%s</FullName>
</CustomerRef>
<ARAccountRef>
<ListID>80000009-1197748823</ListID>
<FullName>Accounts Receivable</FullName>
</ARAccountRef>
<TemplateRef>
<ListID>8000000B-1197748826</ListID>
<FullName>Intuit Service Invoice</FullName>
</TemplateRef>
<TxnDate>2023-11-%02d</TxnDate>
<RefNumber>%d</RefNumber>
<BillAddress>
<Addr1>%s</Addr1>
<Addr2>%d Main Street</Addr2>
<City>%s</City>
<State>CA</State>
<PostalCode>94%03d</PostalCode>
</BillAddress>
<BillAddressBlock>
<Addr1>%s</Addr1>
<Addr2>%d Main Street</Addr2>
<Addr3>%s, CA 94%03d</Addr3>
</BillAddressBlock>
<IsPending>false</IsPending>
<IsFinanceCharge>false</IsFinanceCharge>
<PONumber>PO-%d</PONumber>
<TermsRef>
<ListID>80000002-1197748824</ListID>
<FullName>Net 30</FullName>
</TermsRef>
<DueDate>2023-12-%02d</DueDate>
<ShipDate>2023-11-%02d</ShipDate>
<Subtotal>%s</Subtotal>
<ItemSalesTaxRef>
<ListID>2E0000-1197753014</ListID>
<FullName>San Tomas</FullName>
</ItemSalesTaxRef>
<SalesTaxPercentage>7.75</SalesTaxPercentage>
<SalesTaxTotal>%s</SalesTaxTotal>
<AppliedAmount>0.00</AppliedAmount>
<BalanceRemaining>%s</BalanceRemaining>
<Memo>Thank you for your business &amp; prompt payment – ref #%d</Memo>
<IsPaid>false</IsPaid>
<IsToBePrinted>true</IsToBePrinted>
<IsToBeEmailed>false</IsToBeEmailed>
<CustomerSalesTaxCodeRef>
<ListID>10000-1197748825</ListID>
<FullName>Tax</FullName>
</CustomerSalesTaxCodeRef>
`, id, created, r.i%24, r.i%60, r.i%60, 1+r.i%28, created, 1000+r.i, r.i%9999, cust,
		1+r.i%28, 10000+r.i, cust, 100+r.i%900, cities[r.i%len(cities)], r.i%1000,
		cust, 100+r.i%900, cities[r.i%len(cities)], r.i%1000,
		5000+r.i, 1+r.i%28, 1+r.i%28, cents(subtotal), cents(tax), cents(subtotal+tax), r.i)
	for k, amt := range lines {
		qty := 1 + rnd.IntN(20)
		fmt.Fprintf(b, `<InvoiceLineRet>
<TxnLineID>%X-%d</TxnLineID>
<ItemRef>
<ListID>%X0000-1197753%03d</ListID>
<FullName>%s</FullName>
</ItemRef>
<Desc>%s work performed on site, %d hours &lt;standard rate&gt;</Desc>
<Quantity>%d</Quantity>
<Rate>%s</Rate>
<Amount>%s</Amount>
<ServiceDate>2023-11-%02d</ServiceDate>
<SalesTaxCodeRef>
<ListID>20000-1197748825</ListID>
<FullName>Non</FullName>
</SalesTaxCodeRef>
</InvoiceLineRet>
`, id*4+k, created, 1+k, k*7, items[(r.i+k)%len(items)], items[(r.i+k)%len(items)], qty, qty, cents(amt/int64(qty)), cents(amt), 1+r.i%28)
	}
	b.WriteString("</InvoiceRet>\n")
}

func cents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
