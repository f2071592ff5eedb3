package companyfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// receivePayment adds a payment of amount from Acme Corp, unapplied, into
// the deposit-to account given ("" for the default, Undeposited Funds).
func receivePayment(tb testing.TB, f *File, amount, depositTo string) string {
	tb.Helper()
	to := ""
	if depositTo != "" {
		to = `<DepositToAccountRef><FullName>` + depositTo + `</FullName></DepositToAccountRef>`
	}
	rs := ok(tb, f, `<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefNumber>CHK-`+amount+`</RefNumber>
		<TotalAmount>`+amount+`</TotalAmount><PaymentMethodRef><FullName>Check</FullName></PaymentMethodRef>`+to+`<IsAutoApply>false</IsAutoApply></ReceivePaymentAdd></ReceivePaymentAddRq>`)
	return textAt(rs, "ReceivePaymentRet/TxnID")
}

func depositOf(ids ...string) string {
	var b strings.Builder
	b.WriteString(`<DepositAddRq><DepositAdd><TxnDate>2025-03-05</TxnDate><DepositToAccountRef><FullName>Checking</FullName></DepositToAccountRef>`)
	for _, id := range ids {
		b.WriteString(`<DepositLineAdd><PaymentTxnID>` + id + `</PaymentTxnID></DepositLineAdd>`)
	}
	b.WriteString(`</DepositAdd></DepositAddRq>`)
	return b.String()
}

// A deposit takes payments waiting in Undeposited Funds: each line gets
// the payment's customer, amount, method and check number, the total is
// their sum, and ReceivePaymentToDepositQuery no longer lists them. A
// payment deposited once, one received straight into a bank account and
// an unknown TxnID are refused with 3140.
func TestDepositTakesUndepositedPaymentsOnce(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	p1 := receivePayment(t, f, "120.00", "")
	p2 := receivePayment(t, f, "80.50", "")
	direct := receivePayment(t, f, "10.00", "Checking")

	waiting := ok(t, f, `<ReceivePaymentToDepositQueryRq/>`)
	var ids []string
	for _, r := range kids(waiting, "ReceivePaymentToDepositRet") {
		ids = append(ids, textAt(r, "TxnID")+" "+textAt(r, "Amount"))
	}
	if diff := cmp.Diff([]string{p1 + " 120.00", p2 + " 80.50"}, ids); diff != "" {
		t.Errorf("payments to deposit (-want +got):\n%s", diff)
	}

	dep := kid(ok(t, f, depositOf(p1, p2)), "DepositRet")
	if got := textAt(dep, "DepositTotal"); got != "200.50" {
		t.Errorf("DepositTotal = %s, want 200.50", got)
	}
	var lines []string
	for _, l := range kids(dep, "DepositLineRet") {
		lines = append(lines, strings.Join([]string{textAt(l, "TxnType"), textAt(l, "TxnID"), textAt(l, "EntityRef/FullName"), textAt(l, "AccountRef/FullName"),
			textAt(l, "CheckNumber"), textAt(l, "PaymentMethodRef/FullName"), textAt(l, "Amount")}, "|"))
		if textAt(l, "TxnLineID") == "" {
			t.Errorf("deposit line without TxnLineID: %s", marshalNode(l))
		}
	}
	want := []string{"ReceivePayment|" + p1 + "|Acme Corp|Undeposited Funds|CHK-120.00|Check|120.00", "ReceivePayment|" + p2 + "|Acme Corp|Undeposited Funds|CHK-80.50|Check|80.50"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("deposit lines (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, `<ReceivePaymentToDepositQueryRq/>`), "1")
	wantStatus(t, one(t, f, depositOf(p1)), "3140")
	wantStatus(t, one(t, f, depositOf(direct)), "3140")
	wantStatus(t, one(t, f, depositOf("80000FFF-1700000000")), "3140")

	// Deleting the deposit puts the payments back in Undeposited Funds.
	ok(t, f, `<TxnDelRq><TxnDelType>Deposit</TxnDelType><TxnID>`+textAt(dep, "TxnID")+`</TxnID></TxnDelRq>`)
	if n := len(kids(ok(t, f, `<ReceivePaymentToDepositQueryRq/>`), "ReceivePaymentToDepositRet")); n != 2 {
		t.Errorf("after deleting the deposit %d payments wait, want 2", n)
	}
}

// TransactionQuery returns every kind of transaction as a summary, by
// date, and filters by type, date and entity.
func TestTransactionQueryListsEveryKindOfTransaction(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	inv := kid(ok(t, f, invoiceAdd), "InvoiceRet")
	pay := receivePayment(t, f, "50.00", "")
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	bill := kid(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate>
		<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>42.00</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet")

	rs := ok(t, f, `<TransactionQueryRq/>`)
	var got []string
	for _, r := range kids(rs, "TransactionRet") {
		got = append(got, textAt(r, "TxnType")+" "+textAt(r, "TxnID")+" "+textAt(r, "EntityRef/FullName")+" "+textAt(r, "Amount"))
	}
	// The bill is the oldest; the payment is dated today (the test clock).
	want := []string{"Bill " + textAt(bill, "TxnID") + " Paper Co 42.00", "Invoice " + textAt(inv, "TxnID") + " Acme Corp 664.50", "ReceivePayment " + pay + " Acme Corp 50.00"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TransactionQuery (-want +got):\n%s", diff)
	}
	if n := len(kids(ok(t, f, `<TransactionQueryRq><TransactionEntityFilter><FullName>Paper Co</FullName></TransactionEntityFilter></TransactionQueryRq>`), "TransactionRet")); n != 1 {
		t.Errorf("entity filter: %d transactions, want 1", n)
	}
	if n := len(kids(ok(t, f, `<TransactionQueryRq><TransactionTypeFilter><TxnTypeFilter>Invoice</TxnTypeFilter></TransactionTypeFilter></TransactionQueryRq>`), "TransactionRet")); n != 1 {
		t.Errorf("type filter: %d transactions, want 1", n)
	}
	// A range whose start is after its end is an invalid date range (3030,
	// Intuit's statusCode table; see TestDateRangeStartingAfterItsEndIsAnError).
	wantStatus(t, one(t, f, `<TransactionQueryRq><TransactionDateRangeFilter><FromTxnDate>2025-03-01</FromTxnDate><ToTxnDate>2025-01-01</ToTxnDate></TransactionDateRangeFilter></TransactionQueryRq>`), "3030")
}

// BillToPayQuery lists a vendor's open bills with what is due, as the Pay
// Bills window does; a paid bill is gone from it.
func TestBillToPayListsOpenBills(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Paper Co</Name></VendorAdd></VendorAddRq>`)
	bill := func(amt string) string {
		return textAt(ok(t, f, `<BillAddRq><BillAdd><VendorRef><FullName>Paper Co</FullName></VendorRef><TxnDate>2025-02-01</TxnDate><DueDate>2025-03-01</DueDate>
			<ExpenseLineAdd><AccountRef><FullName>Office Supplies</FullName></AccountRef><Amount>`+amt+`</Amount></ExpenseLineAdd></BillAdd></BillAddRq>`), "BillRet/TxnID")
	}
	b1, b2 := bill("42.00"), bill("10.00")
	ok(t, f, `<BillPaymentCheckAddRq><BillPaymentCheckAdd><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef><BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>101</RefNumber>
		<AppliedToTxnAdd><TxnID>`+b2+`</TxnID><PaymentAmount>10.00</PaymentAmount></AppliedToTxnAdd></BillPaymentCheckAdd></BillPaymentCheckAddRq>`)
	rs := ok(t, f, `<BillToPayQueryRq><PayeeEntityRef><FullName>Paper Co</FullName></PayeeEntityRef></BillToPayQueryRq>`)
	var got []string
	for _, r := range kids(rs, "BillToPayRet") {
		got = append(got, textAt(r, "BillToPay/TxnID")+" "+textAt(r, "BillToPay/AmountDue")+" "+textAt(r, "BillToPay/APAccountRef/FullName"))
	}
	if diff := cmp.Diff([]string{b1 + " 42.00 Accounts Payable"}, got); diff != "" {
		t.Errorf("bills to pay (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, f, `<BillToPayQueryRq><PayeeEntityRef><FullName>Nobody</FullName></PayeeEntityRef></BillToPayQueryRq>`), "3140")
}

// Templates are a list of the company (TemplateQuery), and a TemplateRef
// must name one of them.
func TestTemplatesAreListedAndReferencesChecked(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	rs := ok(t, f, `<TemplateQueryRq/>`)
	var invoices []string
	for _, r := range kids(rs, "TemplateRet") {
		if textAt(r, "TemplateType") == "Invoice" {
			invoices = append(invoices, textAt(r, "Name"))
		}
	}
	if diff := cmp.Diff([]string{"Intuit Product Invoice", "Intuit Professional Invoice", "Intuit Service Invoice"}, invoices); diff != "" {
		t.Errorf("invoice templates (-want +got):\n%s", diff)
	}
	with := func(tpl string) string {
		return strings.Replace(invoiceAdd, `<TxnDate>`, `<TemplateRef><FullName>`+tpl+`</FullName></TemplateRef><TxnDate>`, 1)
	}
	inv := kid(ok(t, f, with("Intuit Service Invoice")), "InvoiceRet")
	if got := textAt(inv, "TemplateRef/FullName"); got != "Intuit Service Invoice" {
		t.Errorf("TemplateRef = %q", got)
	}
	wantStatus(t, one(t, f, with("No Such Template")), "3140")
}

// ListMerge moves every reference of the merged element to the one it is
// merged into and deletes it; ListDeletedQuery then reports it.
func TestListMergeMovesReferences(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, invoiceAdd)
	from := kid(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet")
	to := kid(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corporation</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet")
	rs := ok(t, f, `<ListMergeRq><ListMergeType>Customer</ListMergeType><MergeFrom><ListID>`+textAt(from, "ListID")+`</ListID><EditSequence>`+textAt(from, "EditSequence")+`</EditSequence></MergeFrom>
		<MergeTo><ListID>`+textAt(to, "ListID")+`</ListID><EditSequence>`+textAt(to, "EditSequence")+`</EditSequence></MergeTo></ListMergeRq>`)
	if textAt(rs, "MergedFrom/ListID") != textAt(from, "ListID") || textAt(rs, "MergedTo/FullName") != "Acme Corporation" {
		t.Errorf("ListMergeRs: %s", marshalNode(rs))
	}
	inv := kid(ok(t, f, `<InvoiceQueryRq/>`), "InvoiceRet")
	if got := textAt(inv, "CustomerRef/FullName"); got != "Acme Corporation" || textAt(inv, "CustomerRef/ListID") != textAt(to, "ListID") {
		t.Errorf("invoice customer after merge = %q (%s), want Acme Corporation (%s)", got, textAt(inv, "CustomerRef/ListID"), textAt(to, "ListID"))
	}
	if got := textAt(ok(t, f, `<CustomerQueryRq><FullName>Acme Corporation</FullName></CustomerQueryRq>`), "CustomerRet/Balance"); got != "664.50" {
		t.Errorf("merged balance = %s, want 664.50", got)
	}
	if got := textAt(ok(t, f, `<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>`), "ListDeletedRet/ListID"); got != textAt(from, "ListID") {
		t.Errorf("deleted customer = %q", got)
	}
}

// Sites, assemblies and payroll: 3250 until the company has the feature.
func TestFeatureRequestsWorkOnceSwitchedOn(t *testing.T) {
	f, _ := newTestFile(t)
	site := `<InventorySiteAddRq><InventorySiteAdd><Name>Warehouse</Name></InventorySiteAdd></InventorySiteAddRq>`
	wantStatus(t, one(t, f, site), "3250")
	wantStatus(t, one(t, f, `<ItemSitesQueryRq/>`), "3250")
	for _, ft := range Features() {
		if err := f.SetFeature(ft, true); err != nil {
			t.Fatal(err)
		}
	}
	ok(t, f, site)
	ok(t, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><BarCode><BarCodeValue>0123456789</BarCodeValue></BarCode><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
		<QuantityOnHand>25</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`)
	if got := textAt(ok(t, f, `<ItemSitesQueryRq/>`), "ItemSitesRet/QuantityOnHand"); got != "25" {
		t.Errorf("item site quantity = %q, want 25", got)
	}
	if got := textAt(ok(t, f, `<BarCodeQueryRq><BarCodeValue>0123456789</BarCodeValue></BarCodeQueryRq>`), "BarCodeRet/FullName"); got != "Bolt" {
		t.Errorf("bar code names %q, want Bolt", got)
	}
	ok(t, f, `<ItemInventoryAssemblyAddRq><ItemInventoryAssemblyAdd><Name>Kit</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
		<ItemInventoryAssemblyLine><ItemInventoryRef><FullName>Bolt</FullName></ItemInventoryRef><Quantity>4</Quantity></ItemInventoryAssemblyLine></ItemInventoryAssemblyAdd></ItemInventoryAssemblyAddRq>`)
	if got := textAt(ok(t, f, `<ItemAssembliesCanBuildQueryRq><ItemInventoryAssemblyRef><FullName>Kit</FullName></ItemInventoryAssemblyRef><TxnDate>2025-03-01</TxnDate></ItemAssembliesCanBuildQueryRq>`),
		"ItemAssembliesCanBuildRet/QuantityCanBuild"); got != "6" {
		t.Errorf("can build %s kits from 25 bolts at 4 each, want 6", got)
	}
	build := kid(ok(t, f, `<BuildAssemblyAddRq><BuildAssemblyAdd><ItemInventoryAssemblyRef><FullName>Kit</FullName></ItemInventoryAssemblyRef><TxnDate>2025-03-01</TxnDate>
		<QuantityToBuild>8</QuantityToBuild></BuildAssemblyAdd></BuildAssemblyAddRq>`), "BuildAssemblyRet")
	if got := textAt(build, "IsPending") + " " + textAt(build, "QuantityCanBuild"); got != "true 6" {
		t.Errorf("a build of 8 when 6 can be built: IsPending QuantityCanBuild = %s, want true 6", got)
	}
	// A build that can be made takes its components off hand.
	ok(t, f, `<BuildAssemblyAddRq><BuildAssemblyAdd><ItemInventoryAssemblyRef><FullName>Kit</FullName></ItemInventoryAssemblyRef><TxnDate>2025-03-01</TxnDate>
		<QuantityToBuild>5</QuantityToBuild></BuildAssemblyAdd></BuildAssemblyAddRq>`)
	onHand := func(item string) string {
		return textAt(ok(t, f, `<ItemQueryRq><FullName>`+item+`</FullName></ItemQueryRq>`).Children[0], "QuantityOnHand")
	}
	if got := onHand("Bolt") + " " + onHand("Kit"); got != "5 5" {
		t.Errorf("after building 5 kits of 4 bolts from 25: bolts and kits on hand %s, want 5 5", got)
	}
	ok(t, f, `<PayrollItemWageAddRq><PayrollItemWageAdd><Name>Salary</Name><WageType>SalaryRegular</WageType><ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef></PayrollItemWageAdd></PayrollItemWageAddRq>`)
	ok(t, f, `<EmployeeAddRq><EmployeeAdd><FirstName>Ann</FirstName><LastName>Lee</LastName></EmployeeAdd></EmployeeAddRq>`)
	tt := kid(ok(t, f, `<TimeTrackingAddRq><TimeTrackingAdd><TxnDate>2025-03-02</TxnDate><EntityRef><FullName>Ann Lee</FullName></EntityRef><Duration>PT7H30M</Duration>
		<PayrollItemWageRef><FullName>Salary</FullName></PayrollItemWageRef></TimeTrackingAdd></TimeTrackingAddRq>`), "TimeTrackingRet")
	if textAt(tt, "Duration") != "PT7H30M" || textAt(tt, "PayrollItemWageRef/FullName") != "Salary" {
		t.Errorf("TimeTrackingRet: %s", marshalNode(tt))
	}
}

// ClearedStatusMod marks an existing transaction; an unknown one is 3120
// (TestReferencesToUnknownObjectsAnswerQuickBooksStatus).
func TestClearedStatusMod(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	pay := receivePayment(t, f, "5.00", "Checking")
	ok(t, f, `<ClearedStatusModRq><ClearedStatusMod><TxnID>`+pay+`</TxnID><ClearedStatus>Cleared</ClearedStatus></ClearedStatusMod></ClearedStatusModRq>`)
	var st string
	if err := f.db.QueryRow(`SELECT status FROM cleared WHERE txn_id = ?`, pay).Scan(&st); err != nil || st != "Cleared" {
		t.Errorf("stored cleared status %q, %v", st, err)
	}
	wantStatus(t, one(t, f, `<ClearedStatusModRq><ClearedStatusMod><TxnID>80000FFF-1700000000</TxnID><ClearedStatus>Cleared</ClearedStatus></ClearedStatusMod></ClearedStatusModRq>`), "3120")
}

// SpecialAccountAdd returns the company's special account, creating it the
// first time only.
func TestSpecialAccountAddCreatesOnce(t *testing.T) {
	f, _ := newTestFile(t)
	a := kid(ok(t, f, `<SpecialAccountAddRq><SpecialAccountAdd><SpecialAccountType>PettyCash</SpecialAccountType></SpecialAccountAdd></SpecialAccountAddRq>`), "AccountRet")
	b := kid(ok(t, f, `<SpecialAccountAddRq><SpecialAccountAdd><SpecialAccountType>PettyCash</SpecialAccountType></SpecialAccountAdd></SpecialAccountAddRq>`), "AccountRet")
	if textAt(a, "ListID") == "" || textAt(a, "ListID") != textAt(b, "ListID") || textAt(a, "AccountType") != "Bank" || textAt(a, "SpecialAccountType") != "PettyCash" {
		t.Errorf("special account: %s then %s", marshalNode(a), marshalNode(b))
	}
}

// Sales tax charged on invoices is owed to the tax agency until a sales
// tax payment check pays it.
func TestSalesTaxPayable(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	ok(t, f, invoiceAdd)
	owed := func() string {
		return textAt(ok(t, f, `<SalesTaxPayableQueryRq/>`), "SalesTaxPayableRet/Amount")
	}
	if got := owed(); got != "14.50" {
		t.Errorf("owed %s, want 14.50", got)
	}
	ok(t, f, `<SalesTaxPaymentCheckAddRq><SalesTaxPaymentCheckAdd><PayeeEntityRef><FullName>State Board of Equalization</FullName></PayeeEntityRef><TxnDate>2025-03-10</TxnDate>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>102</RefNumber><SalesTaxPaymentCheckLineAdd><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef><Amount>10.00</Amount></SalesTaxPaymentCheckLineAdd>
		</SalesTaxPaymentCheckAdd></SalesTaxPaymentCheckAddRq>`)
	if got := owed(); got != "4.50" {
		t.Errorf("owed after paying 10.00: %s, want 4.50", got)
	}
}

// Each list and transaction type the simulator added for full coverage
// can be added and queried back, and its Ret validates against Intuit's
// schema (all responses of the tests are validated).
func TestNewTypesAddAndQuery(t *testing.T) {
	f, _ := newTestFile(t)
	for _, ft := range Features() {
		if err := f.SetFeature(ft, true); err != nil {
			t.Fatal(err)
		}
	}
	addCustomerAndItems(t, f)
	adds := []string{
		`<VehicleAddRq><VehicleAdd><Name>Van 1</Name><Desc>Delivery van</Desc></VehicleAdd></VehicleAddRq>`,
		`<LeadAddRq><LeadAdd><FullName>Jane Prospect</FullName><Status>Hot</Status><CompanyName>Prospect Co</CompanyName></LeadAdd></LeadAddRq>`,
		`<ToDoAddRq><ToDoAdd><Notes>Call Acme about the invoice</Notes><ReminderDate>2025-04-01</ReminderDate></ToDoAdd></ToDoAddRq>`,
		`<CurrencyAddRq><CurrencyAdd><Name>Swiss Franc</Name><CurrencyCode>CHF</CurrencyCode></CurrencyAdd></CurrencyAddRq>`,
		`<UnitOfMeasureSetAddRq><UnitOfMeasureSetAdd><Name>Count</Name><UnitOfMeasureType>Count</UnitOfMeasureType><BaseUnit><Name>Each</Name><Abbreviation>ea</Abbreviation></BaseUnit></UnitOfMeasureSetAdd></UnitOfMeasureSetAddRq>`,
		`<WorkersCompCodeAddRq><WorkersCompCodeAdd><Name>8810</Name><Desc>Clerical</Desc><RateEntry><Rate>0.5</Rate><EffectiveDate>2025-01-01</EffectiveDate></RateEntry></WorkersCompCodeAdd></WorkersCompCodeAddRq>`,
		`<BillingRateAddRq><BillingRateAdd><Name>Standard</Name><FixedBillingRate>95.00</FixedBillingRate></BillingRateAdd></BillingRateAddRq>`,
		`<ChargeAddRq><ChargeAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-03</TxnDate><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>2</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`,
		`<VehicleMileageAddRq><VehicleMileageAdd><VehicleRef><FullName>Van 1</FullName></VehicleRef><TripStartDate>2025-03-03</TripStartDate><TripEndDate>2025-03-03</TripEndDate><TotalMiles>42</TotalMiles></VehicleMileageAdd></VehicleMileageAddRq>`,
		`<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
			<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`,
		`<InventoryAdjustmentAddRq><InventoryAdjustmentAdd><AccountRef><FullName>Ask My Accountant</FullName></AccountRef><TxnDate>2025-03-04</TxnDate>
			<InventoryAdjustmentLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><QuantityAdjustment><NewQuantity>7</NewQuantity></QuantityAdjustment></InventoryAdjustmentLineAdd></InventoryAdjustmentAdd></InventoryAdjustmentAddRq>`,
	}
	for _, a := range adds {
		rs := ok(t, f, a)
		if len(rs.Children) != 1 {
			t.Errorf("%s: %d Rets", rs.Name, len(rs.Children))
			continue
		}
		q := strings.TrimSuffix(rs.Name, "AddRs") + "QueryRq"
		if n := len(ok(t, f, `<`+q+`/>`).Children); n != 1 && q != "ItemInventoryQueryRq" {
			t.Errorf("%s: %d records, want 1", q, n)
		}
	}
	// The adjustment to 7 moved the bolts on hand by -3, valued at cost.
	adj := kid(ok(t, f, `<InventoryAdjustmentQueryRq><IncludeLineItems>true</IncludeLineItems></InventoryAdjustmentQueryRq>`), "InventoryAdjustmentRet")
	if got := textAt(adj, "InventoryAdjustmentLineRet/QuantityDifference") + " " + textAt(adj, "InventoryAdjustmentLineRet/ValueDifference"); got != "-3 -6.00" {
		t.Errorf("adjustment line: %s, want -3 -6.00", got)
	}
	if got := textAt(ok(t, f, `<ItemInventoryQueryRq><FullName>Bolt</FullName></ItemInventoryQueryRq>`), "ItemInventoryRet/QuantityOnHand"); got != "7" {
		t.Errorf("bolts on hand after the adjustment: %s, want 7", got)
	}
	ok(t, f, `<TxnDelRq><TxnDelType>InventoryAdjustment</TxnDelType><TxnID>`+textAt(adj, "TxnID")+`</TxnID></TxnDelRq>`)
	if got := textAt(ok(t, f, `<ItemInventoryQueryRq><FullName>Bolt</FullName></ItemInventoryQueryRq>`), "ItemInventoryRet/QuantityOnHand"); got != "10" {
		t.Errorf("bolts on hand after deleting the adjustment: %s, want 10", got)
	}
	// A charge owes its amount like an invoice.
	if got := textAt(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet/Balance"); got != "300.00" {
		t.Errorf("balance after a 300.00 statement charge: %s", got)
	}
}

// A credit card refund pays back a credit memo: the memo's credit and the
// customer's balance go down by the refund, and more than is left is
// refused; with sites on, inventory moves between sites.
func TestRefundAndTransferInventory(t *testing.T) {
	f, _ := newTestFile(t)
	if err := f.SetFeature(FeatureSites, true); err != nil {
		t.Fatal(err)
	}
	addCustomerAndItems(t, f)
	cm := kid(ok(t, f, `<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2025-03-01</TxnDate>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity><Rate>100</Rate></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`), "CreditMemoRet")
	refund := func(amt string) string {
		return `<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
			<TxnDate>2025-03-02</TxnDate><RefundAppliedToTxnAdd><TxnID>` + textAt(cm, "TxnID") + `</TxnID><RefundAmount>` + amt + `</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`
	}
	r := kid(ok(t, f, refund("60.00")), "ARRefundCreditCardRet")
	if got := textAt(r, "TotalAmount") + " " + textAt(r, "RefundAppliedToTxnRet/TxnType") + " " + textAt(r, "RefundAppliedToTxnRet/CreditRemaining"); got != "60.00 CreditMemo 40.00" {
		t.Errorf("refund: %s", got)
	}
	if got := textAt(ok(t, f, `<CreditMemoQueryRq><TxnID>`+textAt(cm, "TxnID")+`</TxnID></CreditMemoQueryRq>`), "CreditMemoRet/CreditRemaining"); got != "40.00" {
		t.Errorf("credit left after the refund: %s", got)
	}
	if got := textAt(ok(t, f, `<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`), "CustomerRet/Balance"); got != "-40.00" {
		t.Errorf("balance after refunding 60 of a 100 credit: %s", got)
	}
	wantStatus(t, one(t, f, refund("50.00")), "3210")

	ok(t, f, `<InventorySiteAddRq><InventorySiteAdd><Name>Main</Name></InventorySiteAdd></InventorySiteAddRq>`)
	ok(t, f, `<InventorySiteAddRq><InventorySiteAdd><Name>Truck</Name></InventorySiteAdd></InventorySiteAddRq>`)
	ok(t, f, `<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`)
	tr := kid(ok(t, f, `<TransferInventoryAddRq><TransferInventoryAdd><TxnDate>2025-03-03</TxnDate><FromInventorySiteRef><FullName>Main</FullName></FromInventorySiteRef><ToInventorySiteRef><FullName>Truck</FullName></ToInventorySiteRef>
		<TransferInventoryLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><QuantityToTransfer>4</QuantityToTransfer></TransferInventoryLineAdd></TransferInventoryAdd></TransferInventoryAddRq>`), "TransferInventoryRet")
	if got := textAt(tr, "TransferInventoryLineRet/QuantityTransferred"); got != "4" {
		t.Errorf("QuantityTransferred = %q", got)
	}
}

// A company file written before the simulator kept applied credits
// (credit_links) rebuilds the payments' links when it is opened, and
// keeps the deposits': a payment deposited before stays deposited, and
// cannot be deposited again.
func TestOpeningAnOlderFileKeepsItsDepositsLinks(t *testing.T) {
	f, _ := newTestFile(t)
	addCustomerAndItems(t, f)
	deposited := receivePayment(t, f, "120.00", "")
	waiting := receivePayment(t, f, "80.50", "")
	ok(t, f, depositOf(deposited))
	g := reopenWithout(t, f, "credit_links")
	var ids []string
	for _, r := range kids(ok(t, g, `<ReceivePaymentToDepositQueryRq/>`), "ReceivePaymentToDepositRet") {
		ids = append(ids, textAt(r, "TxnID"))
	}
	if diff := cmp.Diff([]string{waiting}, ids); diff != "" {
		t.Errorf("payments to deposit after opening the older file (-want +got):\n%s", diff)
	}
	wantStatus(t, one(t, g, depositOf(deposited)), "3140")
}
