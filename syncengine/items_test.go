package syncengine

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// The items a transaction moves include those on the lines inside its
// group lines (InvoiceLineGroupRet's InvoiceLineRet, a bill's
// ItemGroupLineRet's ItemLineRet): their quantities on hand are read again
// after it, as those of its other lines are. The group itself keeps no
// quantity.
func TestItemsOfATransactionIncludeTheLinesInsideItsGroupLines(t *testing.T) {
	for _, xml := range []string{
		`<InvoiceRet><TxnID>1-1</TxnID><InvoiceLineRet><TxnLineID>2-1</TxnLineID><ItemRef><ListID>A</ListID></ItemRef></InvoiceLineRet>
			<InvoiceLineGroupRet><TxnLineID>3-1</TxnLineID><ItemGroupRef><ListID>G</ListID></ItemGroupRef><IsPrintItemsInGroup>false</IsPrintItemsInGroup><TotalAmount>0.00</TotalAmount>
			<InvoiceLineRet><TxnLineID>4-1</TxnLineID><ItemRef><ListID>B</ListID></ItemRef></InvoiceLineRet>
			<InvoiceLineRet><TxnLineID>5-1</TxnLineID><ItemRef><ListID>C</ListID></ItemRef></InvoiceLineRet></InvoiceLineGroupRet></InvoiceRet>`,
		`<BillRet><TxnID>1-1</TxnID><ItemLineRet><TxnLineID>2-1</TxnLineID><ItemRef><ListID>A</ListID></ItemRef></ItemLineRet>
			<ItemGroupLineRet><TxnLineID>3-1</TxnLineID><ItemGroupRef><ListID>G</ListID></ItemGroupRef><TotalAmount>0.00</TotalAmount>
			<ItemLineRet><TxnLineID>4-1</TxnLineID><ItemRef><ListID>B</ListID></ItemRef></ItemLineRet>
			<ItemLineRet><TxnLineID>5-1</TxnLineID><ItemRef><ListID>C</ListID></ItemRef></ItemLineRet></ItemGroupLineRet></BillRet>`,
	} {
		n, err := qbxml.ParseNode(strings.NewReader(xml), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := itemsOf(&qbconnect.Record{Data: RecordJSON(n)})
		slices.Sort(got)
		if diff := cmp.Diff([]string{"A", "B", "C"}, got); diff != "" {
			t.Errorf("%s: items (-want +got):\n%s", n.Name, diff)
		}
	}
}
