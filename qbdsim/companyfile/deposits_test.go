package companyfile

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Sources named in the tests below:
//
//   - INTUIT-TXNVOID: Intuit's qbXML reference for TxnVoid
//     (developer.intuit.com/app/developer/qbdesktop/docs/api-reference/
//     qbdesktop/txnvoid): "You will also get an error if you try to void
//     or delete a transaction (say a sales receipt) while a linked
//     transaction (such as a deposit) is in use." It names no status
//     code. A TxnDel of a transaction others depend on (a paid bill, a
//     refunded payment) answers 3160, the code QuBe Sync names
//     "cannot_delete" for TxnDel (QUBESYNC-CODES in statuscodes_test.go);
//     a TxnVoid 3170 (unverified).
//   - QBD-CORRECT-DEPOSITED: QuickBooks Desktop help, "Correct customer
//     payments that have been deposited or reconciled"
//     (quickbooks.intuit.com/community/.../m-p/206054): to replace a
//     deposited payment the user first adds the new payment to the
//     deposit and deletes the old one's line (Edit > Delete Line), then
//     deletes the payment; and the QuickBooks consultants' note "Deleting
//     QuickBooks Payment and Deposit Transactions"
//     (qualityqbconsultinggroup.blogspot.com, 2009): deleting the payment's
//     deposit line "will unlock your payment so you can edit it". A
//     deposited payment is locked: deleting it answers 3160, as above;
//     voiding or changing it 3170 (unverified).
//   - QBD-MAKE-DEPOSITS: QuickBooks Desktop 2012 in-product help, "Enter
//     deposits that aren't customer-related" (support.quickbooks.intuit.com
//     .../task_dep_vendor_refund.html): in Make Deposits the user chooses
//     the account the cash back goes to, a memo and "the amount you want
//     to get back from this deposit". That the deposit total is the lines
//     less the cash back is how the window shows it (Deposit Subtotal,
//     Cash back amount, Deposit Total); DepositTotal following it is
//     unverified.
//   - Removing a payment's line from a deposit returns the payment to
//     Undeposited Funds ("Remove the payment or sales receipt from the
//     deposit", QuickBooks' "How to edit a payment or sales receipt that
//     has been deposited", quickbooks.intuit.com/community/Help-Articles/
//     .../m-p/257429); a payment another deposit holds is refused with
//     3140, as an invalid reference, unverified: QuBe Sync's list of the
//     codes a DepositAdd answers has 3140, 3180 and 3210 alike
//     (QUBESYNC-CODES in statuscodes_test.go), and no source says which
//     this refusal is.

// depositRet returns the deposit id with its lines.
func depositRet(tb testing.TB, f *File, id string) *qbxml.Node {
	tb.Helper()
	return kid(ok(tb, f, `<DepositQueryRq><TxnID>`+id+`</TxnID><IncludeLineItems>true</IncludeLineItems></DepositQueryRq>`), "DepositRet")
}

// keepOnlyInDeposit modifies the deposit id to keep only its line of the
// payment or sales receipt txnID (a DepositMod lists the lines it keeps).
func keepOnlyInDeposit(tb testing.TB, f *File, id, txnID string) {
	tb.Helper()
	d := depositRet(tb, f, id)
	var line string
	for _, l := range kids(d, "DepositLineRet") {
		if textAt(l, "TxnID") == txnID {
			line = textAt(l, "TxnLineID")
		}
	}
	ok(tb, f, `<DepositModRq><DepositMod><TxnID>`+id+`</TxnID><EditSequence>`+textAt(d, "EditSequence")+`</EditSequence>
		<DepositLineMod><TxnLineID>`+line+`</TxnLineID><PaymentTxnID>`+txnID+`</PaymentTxnID></DepositLineMod></DepositMod></DepositModRq>`)
}

// toDeposit lists "TxnID Amount" of what ReceivePaymentToDepositQuery
// answers.
func toDeposit(tb testing.TB, f *File) []string {
	tb.Helper()
	var out []string
	for _, r := range kids(one(tb, f, `<ReceivePaymentToDepositQueryRq/>`), "ReceivePaymentToDepositRet") {
		out = append(out, textAt(r, "TxnID")+" "+textAt(r, "Amount"))
	}
	return out
}

func txnDel(typ, id string) string {
	return `<TxnDelRq><TxnDelType>` + typ + `</TxnDelType><TxnID>` + id + `</TxnID></TxnDelRq>`
}

func txnVoid(typ, id string) string {
	return `<TxnVoidRq><TxnVoidType>` + typ + `</TxnVoidType><TxnID>` + id + `</TxnID></TxnVoidRq>`
}

// A payment or sales receipt a deposit took can be neither deleted nor
// voided, nor change its amount or the account it was received into,
// while the deposit holds it (INTUIT-TXNVOID, QBD-CORRECT-DEPOSITED); its
// memo may change. Once the deposit lets it go it can be deleted.
func TestADepositedPaymentIsLockedUntilItsDepositLetsItGo(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	pay := receivePayment(t, f, "120.00", "")
	receipt := kid(ok(t, f, `<SalesReceiptAddRq><SalesReceiptAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-04</TxnDate><RefNumber>SR-1</RefNumber>
		<SalesReceiptLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity><Rate>150</Rate></SalesReceiptLineAdd></SalesReceiptAdd></SalesReceiptAddRq>`), "SalesReceiptRet")
	sr := textAt(receipt, "TxnID")
	dep := kid(ok(t, f, depositOf(pay, sr)), "DepositRet")
	depID := textAt(dep, "TxnID")

	for rq, status := range map[string]string{txnDel("ReceivePayment", pay): "3160", txnDel("SalesReceipt", sr): "3160", txnVoid("SalesReceipt", sr): "3170"} {
		rs := one(t, f, rq)
		wantStatus(t, rs, status)
		if msg := attrValue(rs, "statusMessage"); !strings.Contains(msg, depID) {
			t.Errorf("%s: message %q does not name the deposit %s", rq, msg, depID)
		}
	}
	payMod := func(body string) *qbxml.Node {
		cur := currentTxn(t, f, "ReceivePayment", pay)
		return one(t, f, `<ReceivePaymentModRq><ReceivePaymentMod><TxnID>`+pay+`</TxnID><EditSequence>`+textAt(cur, "EditSequence")+`</EditSequence>`+body+`</ReceivePaymentMod></ReceivePaymentModRq>`)
	}
	wantStatus(t, payMod(`<TotalAmount>100.00</TotalAmount>`), "3170")
	wantStatus(t, payMod(`<DepositToAccountRef><FullName>Checking</FullName></DepositToAccountRef>`), "3170")
	cur := currentTxn(t, f, "SalesReceipt", sr)
	wantStatus(t, one(t, f, `<SalesReceiptModRq><SalesReceiptMod><TxnID>`+sr+`</TxnID><EditSequence>`+textAt(cur, "EditSequence")+`</EditSequence>
		<DepositToAccountRef><FullName>Savings</FullName></DepositToAccountRef></SalesReceiptMod></SalesReceiptModRq>`), "3170")
	ok(t, f, `<SalesReceiptModRq><SalesReceiptMod><TxnID>`+sr+`</TxnID><EditSequence>`+textAt(cur, "EditSequence")+`</EditSequence><Memo>counter sale</Memo></SalesReceiptMod></SalesReceiptModRq>`)
	wantStatus(t, payMod(`<TotalAmount>120.00</TotalAmount><Memo>paid by check</Memo>`), "0")
	// Nothing of the deposit moved.
	wantBalancesOf(t, f, map[string]string{"Checking": "270.00", "Undeposited Funds": "0.00"})

	// The deposit keeps the sales receipt only: the payment is free.
	keepOnlyInDeposit(t, f, depID, sr)
	ok(t, f, txnDel("ReceivePayment", pay))
	wantStatus(t, one(t, f, txnDel("SalesReceipt", sr)), "3160")
	wantBalancesOf(t, f, map[string]string{"Checking": "150.00", "Undeposited Funds": "0.00", "Accounts Receivable": "0.00"})
}

// Deleting a deposit, or voiding it, puts its payments back in
// Undeposited Funds: ReceivePaymentToDepositQuery lists them again, the
// bank account loses what the deposit brought, and another deposit can
// take them (the deposit's lines were the only thing holding them;
// QBD-CORRECT-DEPOSITED).
func TestDeletingOrVoidingADepositPutsItsPaymentsBackInUndepositedFunds(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	p1 := receivePayment(t, f, "120.00", "")
	p2 := receivePayment(t, f, "80.00", "")
	waiting := []string{p1 + " 120.00", p2 + " 80.00"}
	wantBalancesOf(t, f, map[string]string{"Checking": "0.00", "Undeposited Funds": "200.00"})

	for _, remove := range []string{"TxnDelRq", "TxnVoidRq"} {
		dep := textAt(ok(t, f, depositOf(p1, p2)), "DepositRet/TxnID")
		if got := toDeposit(t, f); len(got) != 0 {
			t.Fatalf("%s: still to deposit after the deposit: %v", remove, got)
		}
		wantBalancesOf(t, f, map[string]string{"Checking": "200.00", "Undeposited Funds": "0.00"})

		if remove == "TxnDelRq" {
			ok(t, f, txnDel("Deposit", dep))
		} else {
			ok(t, f, txnVoid("Deposit", dep))
			if got := textAt(depositRet(t, f, dep), "DepositTotal"); got != "0.00" {
				t.Errorf("voided deposit: DepositTotal %s, want 0.00", got)
			}
		}
		if diff := cmp.Diff(waiting, toDeposit(t, f)); diff != "" {
			t.Errorf("%s: payments to deposit (-want +got):\n%s", remove, diff)
		}
		wantBalancesOf(t, f, map[string]string{"Checking": "0.00", "Undeposited Funds": "200.00", "Accounts Receivable": "-200.00"})
	}
	// Free again, a payment can be deleted.
	ok(t, f, txnDel("ReceivePayment", p1))
}

// A DepositMod lays its lines over the deposit's: a payment whose line
// it drops goes back to Undeposited Funds, a new line with PaymentTxnID
// takes another waiting payment, and one that names a payment another
// deposit holds is refused (3140, unverified), leaving the deposit as it
// was.
func TestDepositModReturnsDroppedPaymentsAndTakesWaitingOnes(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	p1 := receivePayment(t, f, "120.00", "")
	p2 := receivePayment(t, f, "80.00", "")
	p3 := receivePayment(t, f, "30.00", "")
	p4 := receivePayment(t, f, "5.00", "")
	ok(t, f, depositOf(p4))
	depID := textAt(ok(t, f, depositOf(p1, p2)), "DepositRet/TxnID")
	d := depositRet(t, f, depID)
	lineOf := map[string]string{}
	for _, l := range kids(d, "DepositLineRet") {
		lineOf[textAt(l, "TxnID")] = textAt(l, "TxnLineID")
	}
	keepP1 := `<DepositLineMod><TxnLineID>` + lineOf[p1] + `</TxnLineID><PaymentTxnID>` + p1 + `</PaymentTxnID></DepositLineMod>`
	take := func(id string) string {
		return `<DepositLineMod><TxnLineID>-1</TxnLineID><PaymentTxnID>` + id + `</PaymentTxnID></DepositLineMod>`
	}
	mod := func(seq, lines string) *qbxml.Node {
		return one(t, f, `<DepositModRq><DepositMod><TxnID>`+depID+`</TxnID><EditSequence>`+seq+`</EditSequence>`+lines+`</DepositMod></DepositModRq>`)
	}

	wantStatus(t, mod(textAt(d, "EditSequence"), keepP1+take(p4)), "3140")
	if got := textAt(depositRet(t, f, depID), "DepositTotal"); got != "200.00" {
		t.Errorf("after the refused Mod: DepositTotal %s, want 200.00", got)
	}

	rs := mod(textAt(d, "EditSequence"), keepP1+take(p3))
	wantStatus(t, rs, "0")
	got := kid(rs, "DepositRet")
	var lines []string
	for _, l := range kids(got, "DepositLineRet") {
		lines = append(lines, textAt(l, "TxnID")+" "+textAt(l, "Amount"))
	}
	if diff := cmp.Diff([]string{p1 + " 120.00", p3 + " 30.00"}, lines); diff != "" {
		t.Errorf("deposit lines (-want +got):\n%s", diff)
	}
	if total := textAt(got, "DepositTotal"); total != "150.00" {
		t.Errorf("DepositTotal %s, want 150.00", total)
	}
	if diff := cmp.Diff([]string{p2 + " 80.00"}, toDeposit(t, f)); diff != "" {
		t.Errorf("payments to deposit (-want +got):\n%s", diff)
	}
	wantBalancesOf(t, f, map[string]string{"Checking": "155.00", "Undeposited Funds": "80.00"})
	// The dropped payment is free; the one taken is not.
	ok(t, f, txnDel("ReceivePayment", p2))
	wantStatus(t, one(t, f, txnDel("ReceivePayment", p3)), "3160")
}

// A deposit's cash back (CashBackInfoAdd) takes money out of it into
// another account: DepositRet answers CashBackInfoRet with its own
// TxnLineID, DepositTotal is the lines less the cash back, the bank gets
// that and the cash back account the rest (QBD-MAKE-DEPOSITS). A
// CashBackInfoMod changes it; voiding the deposit undoes all of it.
func TestDepositCashBackComesOutOfTheDepositTotal(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<AccountAddRq><AccountAdd><Name>Petty Cash</Name><AccountType>Bank</AccountType></AccountAdd></AccountAddRq>`)
	p1 := receivePayment(t, f, "120.00", "")
	dep := kid(ok(t, f, `<DepositAddRq><DepositAdd><TxnDate>2025-03-05</TxnDate><DepositToAccountRef><FullName>Checking</FullName></DepositToAccountRef>
		<CashBackInfoAdd><AccountRef><FullName>Petty Cash</FullName></AccountRef><Memo>till float</Memo><Amount>20.00</Amount></CashBackInfoAdd>
		<DepositLineAdd><PaymentTxnID>`+p1+`</PaymentTxnID></DepositLineAdd>
		<DepositLineAdd><AccountRef><FullName>Interest Income</FullName></AccountRef><Amount>4.50</Amount></DepositLineAdd></DepositAdd></DepositAddRq>`), "DepositRet")
	if got := textAt(dep, "DepositTotal"); got != "104.50" {
		t.Errorf("DepositTotal %s, want 104.50 (124.50 less 20.00 cash back)", got)
	}
	cb := kid(dep, "CashBackInfoRet")
	if got := []string{textAt(cb, "AccountRef/FullName"), textAt(cb, "Memo"), textAt(cb, "Amount")}; !cmp.Equal(got, []string{"Petty Cash", "till float", "20.00"}) || textAt(cb, "TxnLineID") == "" {
		t.Errorf("CashBackInfoRet %s", marshalNode(cb))
	}
	wantBalancesOf(t, f, map[string]string{"Checking": "104.50", "Petty Cash": "20.00", "Undeposited Funds": "0.00", "Interest Income": "4.50"})
	tx := kids(ok(t, f, `<TransactionQueryRq><TransactionTypeFilter><TxnTypeFilter>Deposit</TxnTypeFilter></TransactionTypeFilter></TransactionQueryRq>`), "TransactionRet")
	if len(tx) != 1 || textAt(tx[0], "Amount") != "104.50" {
		t.Errorf("TransactionQuery of the deposit: %v", tx)
	}

	id := textAt(dep, "TxnID")
	got := kid(ok(t, f, `<DepositModRq><DepositMod><TxnID>`+id+`</TxnID><EditSequence>`+textAt(dep, "EditSequence")+`</EditSequence>
		<CashBackInfoMod><Amount>50.00</Amount></CashBackInfoMod></DepositMod></DepositModRq>`), "DepositRet")
	if total, back := textAt(got, "DepositTotal"), textAt(got, "CashBackInfoRet/Amount"); total != "74.50" || back != "50.00" {
		t.Errorf("after CashBackInfoMod: DepositTotal %s, cash back %s; want 74.50, 50.00", total, back)
	}
	wantBalancesOf(t, f, map[string]string{"Checking": "74.50", "Petty Cash": "50.00", "Undeposited Funds": "0.00"})

	ok(t, f, txnVoid("Deposit", id))
	wantBalancesOf(t, f, map[string]string{"Checking": "0.00", "Petty Cash": "0.00", "Undeposited Funds": "120.00", "Interest Income": "0.00"})
}

// A deposited payment, or sales receipt, cannot move to another customer
// or job while the deposit holds it: QuickBooks' own way to move one is to
// record a new payment for the right customer, put it in the deposit in
// the old one's place and delete the old one (QBD-CORRECT-DEPOSITED,
// "Scenario 1: You need to move a deposited and reconciled payment to the
// correct customer job"); AccuraBooks' "Misapplied customer payments"
// (accurabooks.com/misapplied-customer-payments) says that for a payment
// applied to the wrong customer or job "the option listed above will not
// be available" and the deposit must be undone first. The status, 3170
// as for the amount, is unverified. Once the deposit lets the payment go
// it may move.
func TestADepositedPaymentCannotMoveToAnotherCustomer(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Roof</Name><ParentRef><FullName>Acme Corp</FullName></ParentRef></CustomerAdd></CustomerAddRq>`)
	pay := receivePayment(t, f, "120.00", "")
	sr := textAt(ok(t, f, `<SalesReceiptAddRq><SalesReceiptAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-04</TxnDate>
		<SalesReceiptLineAdd><Desc>Counter sale</Desc><Amount>30.00</Amount></SalesReceiptLineAdd></SalesReceiptAdd></SalesReceiptAddRq>`), "SalesReceiptRet/TxnID")
	depID := textAt(ok(t, f, depositOf(pay, sr)), "DepositRet/TxnID")
	toRoof := `<CustomerRef><FullName>Acme Corp:Roof</FullName></CustomerRef>`
	mod := func(typ, id string) *qbxml.Node {
		cur := currentTxn(t, f, typ, id)
		return one(t, f, `<`+typ+`ModRq><`+typ+`Mod><TxnID>`+id+`</TxnID><EditSequence>`+textAt(cur, "EditSequence")+`</EditSequence>`+toRoof+`</`+typ+`Mod></`+typ+`ModRq>`)
	}

	for _, typ := range []string{"ReceivePayment", "SalesReceipt"} {
		id := map[string]string{"ReceivePayment": pay, "SalesReceipt": sr}[typ]
		rs := mod(typ, id)
		wantStatus(t, rs, "3170")
		if msg := attrValue(rs, "statusMessage"); !strings.Contains(msg, "CustomerRef") || !strings.Contains(msg, depID) {
			t.Errorf("%s: message %q names neither the CustomerRef nor the deposit %s", typ, msg, depID)
		}
		if got := textAt(currentTxn(t, f, typ, id), "CustomerRef/FullName"); got != "Acme Corp" {
			t.Errorf("%s: customer %q after the refusal, want Acme Corp", typ, got)
		}
	}

	// The deposit keeps the sales receipt only: the payment may move.
	keepOnlyInDeposit(t, f, depID, sr)
	wantStatus(t, mod("ReceivePayment", pay), "0")
	if got := textAt(currentTxn(t, f, "ReceivePayment", pay), "CustomerRef/FullName"); got != "Acme Corp:Roof" {
		t.Errorf("released payment's customer %q, want Acme Corp:Roof", got)
	}
}

// A deposit's cash back cannot be more than its lines: DepositAdd and
// DepositMod that ask for it are refused and leave everything as it was.
// QuickBooks records no negative deposit from the Make Deposits window
// (Certek, "Negative Deposits Not Transferring into QuickBooks",
// certek.com/kb4/negative-deposits-not-transferring-into-quickbooks:
// most versions of QuickBooks do not allow Deposit transactions to be
// negative; eBetterBooks, "How to Record a Negative Deposit in QuickBooks":
// depositing a negative amount to QuickBooks Desktop is not possible), and
// cash back larger than the lines would make one. The status (3210, an
// invalid value) and its message are unverified: no source quotes
// QuickBooks' answer, and QuBe Sync's list of the codes a DepositAdd
// answers has 3180 and 3210 alike (QUBESYNC-CODES in statuscodes_test.go).
// Cash back of all the lines, a deposit of 0.00, is
// allowed (unverified too).
func TestDepositCashBackCannotExceedItsLines(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, `<AccountAddRq><AccountAdd><Name>Petty Cash</Name><AccountType>Bank</AccountType></AccountAdd></AccountAddRq>`)
	p1 := receivePayment(t, f, "120.00", "")
	depositWith := func(back string) string {
		return `<DepositAddRq><DepositAdd><TxnDate>2025-03-05</TxnDate><DepositToAccountRef><FullName>Checking</FullName></DepositToAccountRef>
		<CashBackInfoAdd><AccountRef><FullName>Petty Cash</FullName></AccountRef><Amount>` + back + `</Amount></CashBackInfoAdd>
		<DepositLineAdd><PaymentTxnID>` + p1 + `</PaymentTxnID></DepositLineAdd>
		<DepositLineAdd><AccountRef><FullName>Interest Income</FullName></AccountRef><Amount>4.50</Amount></DepositLineAdd></DepositAdd></DepositAddRq>`
	}
	nothingDeposited := map[string]string{"Checking": "0.00", "Petty Cash": "0.00", "Undeposited Funds": "120.00", "Interest Income": "0.00"}
	wantStatus(t, one(t, f, depositWith("124.51")), "3210")
	wantBalancesOf(t, f, nothingDeposited)
	if diff := cmp.Diff([]string{p1 + " 120.00"}, toDeposit(t, f)); diff != "" {
		t.Errorf("after the refused DepositAdd, payments to deposit (-want +got):\n%s", diff)
	}

	dep := kid(ok(t, f, depositWith("124.50")), "DepositRet")
	if got := textAt(dep, "DepositTotal"); got != "0.00" {
		t.Errorf("DepositTotal %s with all of it as cash back, want 0.00", got)
	}
	dep = kid(ok(t, f, `<DepositModRq><DepositMod><TxnID>`+textAt(dep, "TxnID")+`</TxnID><EditSequence>`+textAt(dep, "EditSequence")+`</EditSequence>
		<CashBackInfoMod><Amount>20.00</Amount></CashBackInfoMod></DepositMod></DepositModRq>`), "DepositRet")
	deposited := map[string]string{"Checking": "104.50", "Petty Cash": "20.00", "Undeposited Funds": "0.00", "Interest Income": "4.50"}
	wantBalancesOf(t, f, deposited)
	for _, c := range []struct{ name, mod string }{
		{"more cash back", `<CashBackInfoMod><Amount>124.51</Amount></CashBackInfoMod>`},
		// Keeping the interest line only: 4.50 of lines, 20.00 back.
		{"fewer lines", `<DepositLineMod><TxnLineID>` + textAt(kids(dep, "DepositLineRet")[1], "TxnLineID") + `</TxnLineID><Amount>4.50</Amount></DepositLineMod>`},
	} {
		wantStatus(t, one(t, f, `<DepositModRq><DepositMod><TxnID>`+textAt(dep, "TxnID")+`</TxnID><EditSequence>`+textAt(dep, "EditSequence")+`</EditSequence>`+c.mod+`</DepositMod></DepositModRq>`), "3210")
		wantBalancesOf(t, f, deposited)
		if got := textAt(depositRet(t, f, textAt(dep, "TxnID")), "DepositTotal"); got != "104.50" {
			t.Errorf("%s: DepositTotal %s after the refused DepositMod, want 104.50", c.name, got)
		}
	}
}

// A deposit and the payments it takes do not list each other as LinkedTxn:
// in qbXML 13.0 ReceivePaymentRet, SalesReceiptRet and DepositRet have no
// LinkedTxn element, and ReceivePaymentQuery, SalesReceiptQuery and
// DepositQuery have no IncludeLinkedTxns (Intuit's qbXML 13.0 schema,
// qbxml130.xsd: ReceivePaymentRet, SalesReceiptRet, DepositRet, and the
// groups TxnQuery and DepositQuery), so asking for them is a request
// QuickBooks rejects as a whole. What ties them is the deposit line: its
// TxnID and TxnType name the payment (DepositLineRet). The invoice the
// payment pays lists the payment, not the deposit.
func TestADepositAndItsPaymentsDoNotListEachOtherAsLinkedTxn(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID")
	pay := textAt(ok(t, f, paymentWithCredits("R-1", "100.00", inv)), "ReceivePaymentRet/TxnID")
	sr := textAt(ok(t, f, `<SalesReceiptAddRq><SalesReceiptAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-04</TxnDate>
		<SalesReceiptLineAdd><Desc>Counter sale</Desc><Amount>30.00</Amount></SalesReceiptLineAdd></SalesReceiptAdd></SalesReceiptAddRq>`), "SalesReceiptRet/TxnID")
	dep := textAt(ok(t, f, depositOf(pay, sr)), "DepositRet/TxnID")

	var lines []string
	for _, l := range kids(depositRet(t, f, dep), "DepositLineRet") {
		lines = append(lines, textAt(l, "TxnType")+" "+textAt(l, "TxnID"))
	}
	if diff := cmp.Diff([]string{"ReceivePayment " + pay, "SalesReceipt " + sr}, lines); diff != "" {
		t.Errorf("the deposit's lines (-want +got):\n%s", diff)
	}
	for _, q := range []string{
		`<ReceivePaymentQueryRq><TxnID>` + pay + `</TxnID><IncludeLineItems>true</IncludeLineItems></ReceivePaymentQueryRq>`,
		`<SalesReceiptQueryRq><TxnID>` + sr + `</TxnID><IncludeLineItems>true</IncludeLineItems></SalesReceiptQueryRq>`,
		`<DepositQueryRq><TxnID>` + dep + `</TxnID><IncludeLineItems>true</IncludeLineItems></DepositQueryRq>`,
	} {
		if got := marshalNode(one(t, f, q)); strings.Contains(string(got), "LinkedTxn") {
			t.Errorf("%s answers a LinkedTxn:\n%s", q, got)
		}
	}
	if diff := cmp.Diff([]string{"ReceivePayment R-1 AMTTYPE -100.00"}, linkedOf(t, f, "Invoice", inv)); diff != "" {
		t.Errorf("the paid invoice's LinkedTxn (-want +got):\n%s", diff)
	}
	for _, typ := range []string{"ReceivePayment", "SalesReceipt", "Deposit"} {
		rq := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><` + typ + `QueryRq><IncludeLinkedTxns>true</IncludeLinkedTxns></` + typ + `QueryRq></QBXMLMsgsRq></QBXML>`
		if _, err := f.Process(context.Background(), []byte(rq), testSession); !errors.Is(err, ErrParse) {
			t.Errorf("%sQuery with IncludeLinkedTxns: error %v, want ErrParse", typ, err)
		}
	}
}
