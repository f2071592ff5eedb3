package companyfile

import (
	"strconv"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Sources named in the rows below:
//
//   - INTUIT-CODES: Intuit, "Status codes in response messages"
//     (developer.intuit.com/app/developer/qbdesktop/docs/develop/
//     exploring-the-quickbooks-desktop-sdk/status-codes-in-response-messages):
//     code 1 (Info) for a query that matches nothing, 500 (Warn) for a
//     query naming an object QuickBooks does not hold, 3000 for an
//     invalid object ID.
//   - BUILDERPRIME-KB: help.builderprime.com, "Managing the QuickBooks
//     Export Queue / Common Errors": QuickBooks answers `Object "<TxnID>"
//     specified in the request cannot be found.` for a payment naming an
//     invoice deleted in QuickBooks, and `The given object ID "" in the
//     field "list id" is invalid.` for an empty ID.
//   - CONSOLIBYTE: quickbooks-php files 3120 with the "cannot be found"
//     answers and retries 3200 for an out-of-date EditSequence
//     (shared/reference/intuit-sdk.md §4.5).
//   - QB-3140: a QuickBooks answer quoted in a qbwc integration
//     (flowlink/quickbooks_desktop_integration,
//     lib/qbwc/response/sales_order_add_rs.rb: 3140, "There is an invalid
//     reference to QuickBooks Item "da product id 1" in the SalesOrder
//     line.  QuickBooks error message: Invalid argument.  The specified
//     record does not exist in the list.") and ayssoftware's KB
//     (intuit-sdk.md §4.5): a reference by name to a list element
//     QuickBooks does not hold is 3140.
//   - REF-3120: a reference by ListID to one is answered as an ID
//     QuickBooks cannot find: `Object "80000027-1429563689" specified in
//     the request cannot be found.  QuickBooks error message: Invalid
//     argument.  The specified record does not exist in the list.` for an
//     InvoiceAdd whose customer was deleted (jsgoupil/quickbooks-sync#4,
//     whose client branches on statusCode 3120), the same words for a
//     customer naming a deleted tax item (Acctivate, "Sync errors after
//     deleting a tax category in QuickBooks", hub.acctivate.com).
//   - QUBESYNC-CODES: QuBe Sync's reference of each qbXML request lists
//     the status codes it may answer, with a name for each
//     (glama.ai/mcp/connectors/com.qubesync/quickbooks-desktop-api/tools/
//     delete_txn, delete_list, update_invoice, create_deposit,
//     execute_txn_void): TxnDel 3160 "cannot_delete" and 3161
//     "closing_date_delete"; ListDel 3160 "cannot_delete"; the Mods 3170
//     "cannot_modify" and 3171 "closing_date_modify"; every write 3260
//     "insufficient_permission", 3261 "personal_data_access_denied" and
//     3263 "read_only_access"; TxnVoid only the codes any request may
//     answer. It quotes no statusMessage: the simulator's are its own
//     words where no other source quotes QuickBooks'.
//   - AYS-3171: ayssoftware, "Resolving QuickBooks export errors"
//     (ayssoftware.com/aysguide/resolvingquickbooksexporterrors.htm):
//     "Error 3171: An attempt was made to modify a Invoice with a date that
//     is on or before the closing date of the company. ..." for a modified
//     invoice.
//   - QB-3260: 3260 "Insufficient permission level to perform this
//     action" is the QuickBooks login's permission, not the application's
//     read-only grant: Zed Axis KB a152 (support.zed-systems.com/kb/a152/
//     error-insufficient-permission-level-to-perform-this-action.aspx),
//     CCR Software, "CCRQInvoice and QuickBooks Permissions"
//     (ccrqblog.ccrsoftware.info): a user without the permissions gets 3260.
//
// Rows marked UNVERIFIED keep the simulator's answer: no source says what
// QuickBooks answers there.

// A request that refers to an object QuickBooks does not hold, by a Ref,
// by the ID a Mod, Del or Void names, or by a query's IDs, is answered
// with the status code and severity QuickBooks gives it.
func TestReferencesToUnknownObjectsAnswerQuickBooksStatus(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	invID, invSeq := textAt(inv, "TxnID"), textAt(inv, "EditSequence")
	cust := kid(ok(t, f, `<CustomerQueryRq><ListID>`+custID+`</ListID></CustomerQueryRq>`), "CustomerRet")
	custSeq := textAt(cust, "EditSequence")
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Other Co</Name></CustomerAdd></CustomerAddRq>`)
	otherInv := textAt(ok(t, f, strings.Replace(invoiceAdd, `<FullName>Acme Corp</FullName>`, `<FullName>Other Co</FullName>`, 1)), "InvoiceRet/TxnID")
	vendor := kid(ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`), "VendorRet")
	vendorID, vendorSeq := textAt(vendor, "ListID"), textAt(vendor, "EditSequence")
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Ink Co</Name></VendorAdd></VendorAddRq>`)
	billOf := func(vendor string) string {
		return textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>`+vendor+`</FullName></VendorRef><TxnDate>2025-02-01</TxnDate>
			<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>40.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	}
	billID, inkBill := billOf("Paper Co"), billOf("Ink Co")
	deleted := textAt(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Gone Co</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet/ListID")
	ok(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+deleted+`</ListID></ListDelRq>`)
	const unknown = "80000FFF-1700000000"

	payment := func(txnID string) string {
		return `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-05</TxnDate><TotalAmount>10.00</TotalAmount>
			<AppliedToTxnAdd><TxnID>` + txnID + `</TxnID><PaymentAmount>10.00</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>`
	}
	billPayment := func(txnID string) string {
		return `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>101</RefNumber>
			<AppliedToTxnAdd><TxnID>` + txnID + `</TxnID><PaymentAmount>10.00</PaymentAmount></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`
	}
	customerMod := func(listID, seq string) string {
		return `<CustomerModRq><CustomerMod><ListID>` + listID + `</ListID><EditSequence>` + seq + `</EditSequence><Phone>555</Phone></CustomerMod></CustomerModRq>`
	}
	// entryMod modifies a contact or a note of a customer or vendor.
	entryMod := func(typ, listID, seq, entry string) string {
		return `<` + typ + `ModRq><` + typ + `Mod><ListID>` + listID + `</ListID><EditSequence>` + seq + `</EditSequence>` + entry + `</` + typ + `Mod></` + typ + `ModRq>`
	}
	invoiceMod := func(txnID, seq string) string {
		return `<InvoiceModRq><InvoiceMod><TxnID>` + txnID + `</TxnID><EditSequence>` + seq + `</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>`
	}

	cases := []struct {
		name     string
		request  string
		code     string
		severity string
		message  string // a part of statusMessage, when the wording is known
	}{
		// References in an Add by name (QB-3140) and by ListID (REF-3120).
		{"CustomerRef naming no customer", strings.Replace(invoiceAdd, `<FullName>Acme Corp</FullName>`, `<FullName>Nobody</FullName>`, 1), "3140", "Error", `There is an invalid reference to QuickBooks Customer "Nobody" in the Invoice`},
		{"ItemRef naming no item", strings.Replace(invoiceAdd, `<FullName>Widget</FullName>`, `<FullName>No Such Item</FullName>`, 1), "3140", "Error",
			`"No Such Item" in the Invoice.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list.`},
		{"CustomerRef by an unknown ListID", strings.Replace(invoiceAdd, `<FullName>Acme Corp</FullName>`, `<ListID>`+unknown+`</ListID>`, 1), "3120", "Error",
			`Object "` + unknown + `" specified in the request cannot be found.  QuickBooks error message: Invalid argument.  The specified record does not exist in the list.`},
		{"CustomerRef by the ListID of a deleted customer", strings.Replace(invoiceAdd, `<FullName>Acme Corp</FullName>`, `<ListID>`+deleted+`</ListID>`, 1), "3120", "Error", `Object "` + deleted + `"`},
		// UNVERIFIED: a Ref by the ListID of an element of another list.
		{"VendorRef naming a customer's ListID", `<BillAddRq><BillAdd><VendorRef><ListID>` + custID + `</ListID></VendorRef><ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>1.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`, "3120", "Error", ""},

		// A payment applied to a transaction QuickBooks does not hold
		// (BUILDERPRIME-KB for the wording, CONSOLIBYTE for the code).
		{"payment applied to an unknown invoice", payment(unknown), "3120", "Error", `Object "` + unknown + `" specified in the request cannot be found.`},
		{"bill payment applied to an unknown bill", billPayment(unknown), "3120", "Error", `Object "` + unknown + `" specified in the request cannot be found.`},
		// UNVERIFIED: a transaction of another customer or vendor, or of
		// another type.
		{"payment applied to another customer's invoice", payment(otherInv), "3140", "Error", ""},
		{"payment applied to a bill", payment(billID), "3140", "Error", ""},
		{"bill payment applied to another vendor's bill", billPayment(inkBill), "3140", "Error", ""},

		// A Mod, Del or Void naming an ID QuickBooks does not hold
		// (BUILDERPRIME-KB, CONSOLIBYTE).
		{"CustomerMod of an unknown ListID", customerMod(unknown, custSeq), "3120", "Error", `Object "` + unknown + `" specified in the request cannot be found.`},
		{"CustomerMod of a deleted customer", customerMod(deleted, "1"), "3120", "Error", ""},
		{"InvoiceMod of an unknown TxnID", invoiceMod(unknown, invSeq), "3120", "Error", `Object "` + unknown + `" specified in the request cannot be found.`},
		{"ListDel of an unknown ListID", `<ListDelRq><ListDelType>Customer</ListDelType><ListID>` + unknown + `</ListID></ListDelRq>`, "3120", "Error", ""},
		{"TxnDel of an unknown TxnID", `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>` + unknown + `</TxnID></TxnDelRq>`, "3120", "Error", ""},
		{"TxnVoid of an unknown TxnID", `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>` + unknown + `</TxnID></TxnVoidRq>`, "3120", "Error", ""},
		// UNVERIFIED, by analogy with the Mods above: the other requests
		// that name an object by its ID.
		{"ClearedStatusMod of an unknown TxnID", `<ClearedStatusModRq><ClearedStatusMod><TxnID>` + unknown + `</TxnID><ClearedStatus>Cleared</ClearedStatus></ClearedStatusMod></ClearedStatusModRq>`, "3120", "Error", ""},
		{"ClearedStatusMod of a customer's ListID", `<ClearedStatusModRq><ClearedStatusMod><TxnID>` + custID + `</TxnID><ClearedStatus>Cleared</ClearedStatus></ClearedStatusMod></ClearedStatusModRq>`, "3000", "Error", ""},
		{"ListMerge from an unknown ListID", `<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom><ListID>` + unknown + `</ListID><EditSequence>1</EditSequence></MergeFrom><MergeTo><ListID>` + custID + `</ListID><EditSequence>` + custSeq + `</EditSequence></MergeTo></ListMergeRq>`, "3120", "Error", ""},
		{"TxnDisplayMod of an unknown TxnID", `<TxnDisplayModRq><TxnDisplayModType>Invoice</TxnDisplayModType><TxnID>` + unknown + `</TxnID></TxnDisplayModRq>`, "3120", "Error", ""},
		// UNVERIFIED, by analogy with the Mods above (no report found of
		// what QuickBooks answers): a contact or note that ContactsMod or
		// AdditionalNotesMod names by an ID the customer or vendor does
		// not hold is not found; an empty one is invalid.
		{"ContactsMod of an unknown contact ListID", entryMod("Customer", custID, custSeq, `<ContactsMod><ListID>`+unknown+`</ListID><EditSequence>1</EditSequence><FirstName>X</FirstName></ContactsMod>`), "3120", "Error", `Object "` + unknown + `" specified in the request cannot be found.`},
		{"vendor ContactsMod of an unknown contact ListID", entryMod("Vendor", vendorID, vendorSeq, `<ContactsMod><ListID>`+unknown+`</ListID><EditSequence>1</EditSequence><FirstName>X</FirstName></ContactsMod>`), "3120", "Error", ""},
		{"AdditionalNotesMod of an unknown NoteID", entryMod("Customer", custID, custSeq, `<AdditionalNotesMod><NoteID>99</NoteID><Note>x</Note></AdditionalNotesMod>`), "3120", "Error", `Object "99" specified in the request cannot be found.`},
		{"vendor AdditionalNotesMod of an unknown NoteID", entryMod("Vendor", vendorID, vendorSeq, `<AdditionalNotesMod><NoteID>99</NoteID><Note>x</Note></AdditionalNotesMod>`), "3120", "Error", ""},
		{"ContactsMod of an empty contact ListID", entryMod("Customer", custID, custSeq, `<ContactsMod><ListID></ListID><EditSequence>1</EditSequence><FirstName>X</FirstName></ContactsMod>`), "3000", "Error", ""},

		// An empty ID is invalid (BUILDERPRIME-KB, INTUIT-CODES 3000).
		{"CustomerMod of an empty ListID", customerMod("", custSeq), "3000", "Error", `The given object ID "" in the field "ListID" is invalid.`},
		// UNVERIFIED: an ID of an object of another type.
		{"CustomerMod of a vendor's ListID", customerMod(vendorID, custSeq), "3000", "Error", ""},
		{"TxnDel naming a bill as an invoice", `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>` + billID + `</TxnID></TxnDelRq>`, "3000", "Error", ""},

		// An out-of-date EditSequence (CONSOLIBYTE).
		{"CustomerMod with an old EditSequence", customerMod(custID, "1"), "3200", "Error", ""},
		{"InvoiceMod with an old EditSequence", invoiceMod(invID, "1"), "3200", "Error", ""},

		// Queries (INTUIT-CODES): an ID QuickBooks does not hold is 500,
		// a filter matching nothing is 1.
		{"query by an unknown ListID", `<CustomerQueryRq><ListID>` + unknown + `</ListID></CustomerQueryRq>`, "500", "Warn", `There was a required element ("` + unknown + `") that could not be found in QuickBooks.`},
		{"query by a known and an unknown ListID", `<CustomerQueryRq><ListID>` + custID + `</ListID><ListID>` + unknown + `</ListID></CustomerQueryRq>`, "500", "Warn", ""},
		{"query by an unknown FullName", `<CustomerQueryRq><FullName>Nobody</FullName></CustomerQueryRq>`, "500", "Warn", ""},
		{"query by an unknown TxnID", `<InvoiceQueryRq><TxnID>` + unknown + `</TxnID></InvoiceQueryRq>`, "500", "Warn", ""},
		{"query matching nothing", `<InvoiceQueryRq><RefNumberFilter><MatchCriterion>StartsWith</MatchCriterion><RefNumber>ZZZ</RefNumber></RefNumberFilter></InvoiceQueryRq>`, "1", "Info", "A query request did not find a matching object in QuickBooks"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := one(t, f, c.request)
			got := attrValue(rs, "statusCode") + " " + attrValue(rs, "statusSeverity")
			if want := c.code + " " + c.severity; got != want {
				t.Errorf("status %s (%s), want %s", got, attrValue(rs, "statusMessage"), want)
			}
			if msg := attrValue(rs, "statusMessage"); !strings.Contains(msg, c.message) {
				t.Errorf("statusMessage %q, want it to contain %q", msg, c.message)
			}
		})
	}
}

// QuickBooks refuses a delete, void or modify that the books forbid with
// the status code it gives that refusal, and the platform reads none of
// them as a lock to retry (qbxml.StatusOf): deleting a list element that
// transactions use, or a transaction others depend on, is 3160; deleting a
// transaction dated on or before the closing date 3161, modifying it 3171
// (QUBESYNC-CODES, AYS-3171); any write of a read-only application 3263
// (QUBESYNC-CODES; QB-3260 for why not 3260).
func TestRefusedChangesAnswerQuickBooksStatus(t *testing.T) {
	f, _ := newTestFile(t)
	custID := addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet") // dated 2025-03-01
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	bill := textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-04-02</TxnDate>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>200.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><TxnDate>2025-04-03</TxnDate>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>1001</RefNumber><AppliedToTxnAdd><TxnID>`+bill+`</TxnID><PaymentAmount>150.00</PaymentAmount></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`)
	if err := f.SetClosingDate("2025-03-31"); err != nil {
		t.Fatal(err)
	}
	invID, invSeq := textAt(inv, "TxnID"), textAt(inv, "EditSequence")
	ro := testSession
	ro.Access.IsReadOnly = true

	cases := []struct {
		name    string
		session Session
		request string
		code    string
		message string // a part of statusMessage
	}{
		{"ListDel of a customer an invoice names", testSession, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>` + custID + `</ListID></ListDelRq>`, "3160", "cannot be deleted"},
		{"TxnDel of a paid bill", testSession, `<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>` + bill + `</TxnID></TxnDelRq>`, "3160", "cannot be deleted"},
		// UNVERIFIED: QUBESYNC-CODES lists no specific code for TxnVoid.
		{"TxnVoid of a paid bill", testSession, `<TxnVoidRq><TxnVoidType>Bill</TxnVoidType><TxnID>` + bill + `</TxnID></TxnVoidRq>`, "3170", "voided"},
		{"TxnDel before the closing date", testSession, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>` + invID + `</TxnID></TxnDelRq>`, "3161", "closing date"},
		{"InvoiceMod before the closing date", testSession, `<InvoiceModRq><InvoiceMod><TxnID>` + invID + `</TxnID><EditSequence>` + invSeq + `</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>`, "3171",
			"An attempt was made to modify a Invoice with a date that is on or before the closing date of the company"},
		// UNVERIFIED: a void or an add so dated.
		{"TxnVoid before the closing date", testSession, `<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>` + invID + `</TxnID></TxnVoidRq>`, "3171", "closing date"},
		{"InvoiceAdd before the closing date", testSession, invoiceAdd, "3171", "closing date"},
		{"CustomerAdd of a read-only application", ro, `<CustomerAddRq><CustomerAdd><Name>Nope</Name></CustomerAdd></CustomerAddRq>`, "3263", "read-only"},
		{"TxnDel of a read-only application", ro, `<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>` + bill + `</TxnID></TxnDelRq>`, "3263", "read-only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := runAs(t, f, c.session, `onError="stopOnError"`, c.request).Children[0]
			code, msg := attrValue(rs, "statusCode"), attrValue(rs, "statusMessage")
			if code != c.code || attrValue(rs, "statusSeverity") != "Error" || !strings.Contains(msg, c.message) {
				t.Errorf("status %s %s %q, want %s Error containing %q", code, attrValue(rs, "statusSeverity"), msg, c.code, c.message)
			}
			n, _ := strconv.Atoi(code)
			if st := qbxml.StatusOf(n, msg); !st.Known || st.Retryable {
				t.Errorf("the platform reads status %s %q as %+v: want a known code, not retried", code, msg, st)
			}
		})
	}
}
