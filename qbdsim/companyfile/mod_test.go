package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/qbxml"
)

// modOK sends a XxxModRq for the object ret (a XxxRet) with body inside
// XxxMod after its ID and EditSequence, requires status 0 and returns the
// new XxxRet.
func modOK(tb testing.TB, f *File, typ string, ret *qbxml.Node, body string) *qbxml.Node {
	tb.Helper()
	return kid(ok(tb, f, modRq(typ, ret, body)), typ+"Ret")
}

func modRq(typ string, ret *qbxml.Node, body string) string {
	idName := "ListID"
	if kid(ret, "TxnID") != nil {
		idName = "TxnID"
	}
	return `<` + typ + `ModRq><` + typ + `Mod><` + idName + `>` + textAt(ret, idName) + `</` + idName + `><EditSequence>` + textAt(ret, "EditSequence") +
		`</EditSequence>` + body + `</` + typ + `Mod></` + typ + `ModRq>`
}

// texts returns the text at each path below e.
func texts(e *qbxml.Node, paths ...string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = textAt(e, p)
	}
	return out
}

// A XxxMod aggregate (SalesOrPurchaseMod, SalesAndPurchaseMod) changes the
// elements it holds and keeps the others; choosing the other side of a
// choice replaces the stored side.
func TestModMergesNestedModAggregates(t *testing.T) {
	f, _ := newTestFile(t)
	item := kid(ok(t, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Consulting</Name><SalesOrPurchase><Desc>Hourly consulting</Desc><Price>150.00</Price>
		<AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`), "ItemServiceRet")
	sop := []string{"Name", "SalesOrPurchase/Desc", "SalesOrPurchase/Price", "SalesOrPurchase/PricePercent", "SalesOrPurchase/AccountRef/FullName"}

	item = modOK(t, f, "ItemService", item, `<SalesOrPurchaseMod><Price>175.00</Price></SalesOrPurchaseMod>`)
	if diff := cmp.Diff([]string{"Consulting", "Hourly consulting", "175.00", "", "Services"}, texts(item, sop...)); diff != "" {
		t.Errorf("after SalesOrPurchaseMod{Price} (-want +got):\n%s", diff)
	}
	stored := kid(ok(t, f, `<ItemServiceQueryRq><FullName>Consulting</FullName></ItemServiceQueryRq>`), "ItemServiceRet")
	if got := textAt(stored, "SalesOrPurchase/Price"); got != "175.00" {
		t.Errorf("stored price %q, want 175.00", got)
	}

	item = modOK(t, f, "ItemService", item, `<SalesOrPurchaseMod><PricePercent>12.5</PricePercent><AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchaseMod>`)
	if diff := cmp.Diff([]string{"Consulting", "Hourly consulting", "", "12.5", "Sales"}, texts(item, sop...)); diff != "" {
		t.Errorf("after SalesOrPurchaseMod{PricePercent} (-want +got):\n%s", diff)
	}

	sap := []string{"SalesOrPurchase/Desc", "SalesAndPurchase/SalesDesc", "SalesAndPurchase/SalesPrice", "SalesAndPurchase/IncomeAccountRef/FullName",
		"SalesAndPurchase/PurchaseDesc", "SalesAndPurchase/PurchaseCost", "SalesAndPurchase/ExpenseAccountRef/FullName"}
	item = modOK(t, f, "ItemService", item, `<SalesAndPurchaseMod><SalesDesc>Consulting</SalesDesc><SalesPrice>160.00</SalesPrice><IncomeAccountRef><FullName>Services</FullName></IncomeAccountRef>
		<PurchaseDesc>Subcontracted</PurchaseDesc><PurchaseCost>90.00</PurchaseCost><ExpenseAccountRef><FullName>Professional Fees</FullName></ExpenseAccountRef></SalesAndPurchaseMod>`)
	if diff := cmp.Diff([]string{"", "Consulting", "160.00", "Services", "Subcontracted", "90.00", "Professional Fees"}, texts(item, sap...)); diff != "" {
		t.Errorf("after SalesAndPurchaseMod replacing SalesOrPurchase (-want +got):\n%s", diff)
	}
	item = modOK(t, f, "ItemService", item, `<SalesAndPurchaseMod><SalesPrice>165.00</SalesPrice></SalesAndPurchaseMod>`)
	if diff := cmp.Diff([]string{"", "Consulting", "165.00", "Services", "Subcontracted", "90.00", "Professional Fees"}, texts(item, sap...)); diff != "" {
		t.Errorf("after SalesAndPurchaseMod{SalesPrice} (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, modRq("ItemService", item, `<SalesAndPurchaseMod><ExpenseAccountRef><FullName>No Such Account</FullName></ExpenseAccountRef></SalesAndPurchaseMod>`)), "3140")

	// The other item types with sales-or-purchase aggregates behave alike.
	ni := kid(ok(t, f, `<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Widget</Name><SalesOrPurchase><Desc>A widget</Desc><Price>20.00</Price>
		<AccountRef><FullName>Product Sales</FullName></AccountRef></SalesOrPurchase></ItemNonInventoryAdd></ItemNonInventoryAddRq>`), "ItemNonInventoryRet")
	ni = modOK(t, f, "ItemNonInventory", ni, `<SalesOrPurchaseMod><Desc>A better widget</Desc></SalesOrPurchaseMod>`)
	if diff := cmp.Diff([]string{"A better widget", "20.00"}, texts(ni, "SalesOrPurchase/Desc", "SalesOrPurchase/Price")); diff != "" {
		t.Errorf("non-inventory item (-want +got):\n%s", diff)
	}
}

// An address in a Mod replaces the stored address as a whole, as
// QuickBooks does: the elements it leaves out are cleared.
func TestModReplacesAnAddressAsAWhole(t *testing.T) {
	f, _ := newTestFile(t)
	c := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme</Name><BillAddress><Addr1>1 Main St</Addr1><City>Springfield</City><State>IL</State></BillAddress>
		<ShipAddress><Addr1>9 Dock Rd</Addr1></ShipAddress></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	c = modOK(t, f, "Customer", c, `<BillAddress><Addr1>2 Side St</Addr1></BillAddress>`)
	if diff := cmp.Diff([]string{"2 Side St", "", "", "9 Dock Rd"}, texts(c, "BillAddress/Addr1", "BillAddress/City", "BillAddress/State", "ShipAddress/Addr1")); diff != "" {
		t.Errorf("addresses after the Mod (-want +got):\n%s", diff)
	}
}

// Contacts and notes inside a customer have their own identity: a Mod names
// them by ListID (with the contact's EditSequence) or NoteID, changes only
// them and keeps the others.
func TestModChangesContactsAndNotesByTheirIDs(t *testing.T) {
	f, clock := newTestFile(t)
	c := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme</Name><Contacts><Salutation>Mr</Salutation><FirstName>Bo</FirstName></Contacts><Contacts><FirstName>Al</FirstName></Contacts>
		<AdditionalNotes><Note>first</Note></AdditionalNotes><AdditionalNotes><Note>second</Note></AdditionalNotes></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	contacts := kids(c, "ContactsRet")
	if len(contacts) != 2 {
		t.Fatalf("%d contacts, want 2", len(contacts))
	}
	for _, k := range contacts {
		if textAt(k, "ListID") == "" || textAt(k, "TimeCreated") == "" || textAt(k, "EditSequence") == "" {
			t.Errorf("contact without its identity: %s", marshalNode(k))
		}
	}
	if diff := cmp.Diff([]string{"1", "2"}, []string{textAt(kids(c, "AdditionalNotesRet")[0], "NoteID"), textAt(kids(c, "AdditionalNotesRet")[1], "NoteID")}); diff != "" {
		t.Errorf("NoteIDs (-want +got):\n%s", diff)
	}
	bo, al := contacts[0], contacts[1]
	clock.Advance(1)
	contactMod := func(k *qbxml.Node, es string) string {
		return `<ContactsMod><ListID>` + textAt(k, "ListID") + `</ListID><EditSequence>` + es + `</EditSequence><FirstName>Bob</FirstName><LastName>Lee</LastName></ContactsMod>`
	}
	wantStatus(t, one(t, f, modRq("Customer", c, contactMod(bo, "1"))), "3200")
	wantStatus(t, one(t, f, modRq("Customer", c, `<ContactsMod><ListID>80000999-1</ListID><EditSequence>1</EditSequence><FirstName>X</FirstName></ContactsMod>`)), "3120")
	c2 := modOK(t, f, "Customer", c, contactMod(bo, textAt(bo, "EditSequence"))+`<AdditionalNotesMod><NoteID>2</NoteID><Note>changed</Note></AdditionalNotesMod>`)
	contacts = kids(c2, "ContactsRet")
	if len(contacts) != 2 {
		t.Fatalf("%d contacts after the Mod, want 2", len(contacts))
	}
	got := []string{textAt(contacts[0], "ListID"), textAt(contacts[0], "Salutation"), textAt(contacts[0], "FirstName"), textAt(contacts[0], "LastName"), textAt(contacts[1], "FirstName")}
	if diff := cmp.Diff([]string{textAt(bo, "ListID"), "Mr", "Bob", "Lee", "Al"}, got); diff != "" {
		t.Errorf("contacts after the Mod (-want +got):\n%s", diff)
	}
	if textAt(contacts[0], "EditSequence") == textAt(bo, "EditSequence") || textAt(contacts[1], "EditSequence") != textAt(al, "EditSequence") {
		t.Errorf("contact EditSequences: changed %s (was %s), unchanged %s (was %s)", textAt(contacts[0], "EditSequence"), textAt(bo, "EditSequence"),
			textAt(contacts[1], "EditSequence"), textAt(al, "EditSequence"))
	}
	notes := kids(c2, "AdditionalNotesRet")
	if diff := cmp.Diff([]string{"first", "changed"}, []string{textAt(notes[0], "Note"), textAt(notes[1], "Note")}); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

// JournalLineMod lines keep their side (or take the one they name), and the
// entry must still balance.
func TestJournalEntryModChangesItsLines(t *testing.T) {
	f, _ := newTestFile(t)
	je := kid(ok(t, f, `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-01-31</TxnDate>
		<JournalDebitLine><AccountRef><FullName>Checking</FullName></AccountRef><Amount>100</Amount></JournalDebitLine>
		<JournalCreditLine><AccountRef><FullName>Owners Equity</FullName></AccountRef><Amount>100</Amount></JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>`), "JournalEntryRet")
	debit, credit := textAt(je, "JournalDebitLine/TxnLineID"), textAt(je, "JournalCreditLine/TxnLineID")
	line := func(id, extra string) string {
		return `<JournalLineMod><TxnLineID>` + id + `</TxnLineID>` + extra + `</JournalLineMod>`
	}
	wantStatus(t, one(t, f, modRq("JournalEntry", je, line(debit, `<Amount>50</Amount>`)+line(credit, ""))), "3180")
	wantStatus(t, one(t, f, modRq("JournalEntry", je, line(debit, "")+line(credit, "")+line("-1", `<AccountRef><FullName>Savings</FullName></AccountRef><Amount>0</Amount>`))), "3210")
	je = modOK(t, f, "JournalEntry", je, line(debit, `<Amount>50</Amount>`)+line(credit, `<Amount>40</Amount>`)+
		line("-1", `<JournalLineType>Credit</JournalLineType><AccountRef><FullName>Savings</FullName></AccountRef><Amount>10</Amount>`))
	var got []string
	for _, l := range je.Children {
		if l.Name == "JournalDebitLine" || l.Name == "JournalCreditLine" {
			got = append(got, l.Name+" "+textAt(l, "AccountRef/FullName")+" "+textAt(l, "Amount"))
		}
	}
	want := []string{"JournalDebitLine Checking 50.00", "JournalCreditLine Owners Equity 40.00", "JournalCreditLine Savings 10.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal lines (-want +got):\n%s", diff)
	}
}
