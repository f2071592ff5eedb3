package connector

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDescribeSaysWhatAWorkItemDid(t *testing.T) {
	q := func(body string) string {
		return `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">` + body + `</QBXMLMsgsRq></QBXML>`
	}
	got := map[string]string{
		"customers":  Describe("sync", q(`<CustomerQueryRq requestID="1"><MaxReturned>100</MaxReturned></CustomerQueryRq>`)),
		"classes":    Describe("sync", q(`<ClassQueryRq/>`)),
		"company":    Describe("sync", q(`<CompanyQueryRq/>`)),
		"add":        Describe("write", q(`<CustomerAddRq><CustomerAdd><Name>Bob&apos;s Diner</Name></CustomerAdd></CustomerAddRq>`)),
		"mod":        Describe("write", q(`<SalesReceiptModRq><SalesReceiptMod><TxnID>1-2</TxnID><RefNumber>R-7</RefNumber></SalesReceiptMod></SalesReceiptModRq>`)),
		"delete":     Describe("write", q(`<TxnDelRq><TxnDelType>Invoice</TxnDelType></TxnDelRq>`)),
		"two":        Describe("qbxml", q(`<InvoiceQueryRq/><BillQueryRq/>`)),
		"health":     Describe("health", q(`<CompanyQueryRq/>`)),
		"categories": Describe("sync", q(`<InventorySiteQueryRq/>`)),
	}
	want := map[string]string{
		"customers":  "Read customers",
		"classes":    "Read classes",
		"company":    "Read the company's details",
		"add":        "Wrote a new customer “Bob's Diner”",
		"mod":        "Changed a sales receipt “R-7”",
		"delete":     "Deleted a record",
		"two":        "Read invoices (and 1 more)",
		"health":     "Checked that QuickBooks answers, for the platform",
		"categories": "Read inventory sites",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if got := plainMessage("connector: item answered by QuickBooks"); got != "Item answered by QuickBooks" {
		t.Errorf("plainMessage = %q", got)
	}
}
