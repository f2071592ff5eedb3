package syncengine_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/syncengine/synctest"
)

// aCompanyOfEveryType is, in qbXML as a QuickBooks user's work would
// leave it, one or more objects of each type the engine syncs besides
// those the company generator makes: form templates, sites, payroll items,
// to-dos, statement charges, refunds, time and mileage, and more. The
// company needs payroll, sites, assemblies and multicurrency.
var aCompanyOfEveryType = []string{
	`<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`,
	`<ItemServiceAddRq><ItemServiceAdd><Name>Consulting</Name><SalesOrPurchase><Price>150.00</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`,
	`<CurrencyAddRq><CurrencyAdd><Name>Swiss Franc</Name><CurrencyCode>CHF</CurrencyCode></CurrencyAdd></CurrencyAddRq>`,
	`<InventorySiteAddRq><InventorySiteAdd><Name>Main</Name></InventorySiteAdd></InventorySiteAddRq>`,
	`<InventorySiteAddRq><InventorySiteAdd><Name>Truck</Name></InventorySiteAdd></InventorySiteAddRq>`,
	`<PayrollItemWageAddRq><PayrollItemWageAdd><Name>Salary</Name><WageType>SalaryRegular</WageType><ExpenseAccountRef><FullName>Payroll Expenses</FullName></ExpenseAccountRef></PayrollItemWageAdd></PayrollItemWageAddRq>`,
	`<WorkersCompCodeAddRq><WorkersCompCodeAdd><Name>8810</Name><Desc>Clerical</Desc><RateEntry><Rate>0.5</Rate><EffectiveDate>2026-01-01</EffectiveDate></RateEntry></WorkersCompCodeAdd></WorkersCompCodeAddRq>`,
	`<UnitOfMeasureSetAddRq><UnitOfMeasureSetAdd><Name>Count</Name><UnitOfMeasureType>Count</UnitOfMeasureType><BaseUnit><Name>Each</Name><Abbreviation>ea</Abbreviation></BaseUnit></UnitOfMeasureSetAdd></UnitOfMeasureSetAddRq>`,
	`<VehicleAddRq><VehicleAdd><Name>Van 1</Name><Desc>Delivery van</Desc></VehicleAdd></VehicleAddRq>`,
	`<BillingRateAddRq><BillingRateAdd><Name>Standard</Name><FixedBillingRate>95.00</FixedBillingRate></BillingRateAdd></BillingRateAddRq>`,
	`<LeadAddRq><LeadAdd><FullName>Jane Prospect</FullName><Status>Hot</Status><CompanyName>Prospect Co</CompanyName></LeadAdd></LeadAddRq>`,
	`<ToDoAddRq><ToDoAdd><Notes>Call Acme about the invoice</Notes><ReminderDate>2026-04-01</ReminderDate></ToDoAdd></ToDoAddRq>`,
	`<EmployeeAddRq><EmployeeAdd><FirstName>Ann</FirstName><LastName>Lee</LastName></EmployeeAdd></EmployeeAddRq>`,
	`<ItemInventoryAddRq><ItemInventoryAdd><Name>Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>40</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`,
	`<ItemInventoryAssemblyAddRq><ItemInventoryAssemblyAdd><Name>Kit</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
		<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
		<ItemInventoryAssemblyLine><ItemInventoryRef><FullName>Bolt</FullName></ItemInventoryRef><Quantity>4</Quantity></ItemInventoryAssemblyLine></ItemInventoryAssemblyAdd></ItemInventoryAssemblyAddRq>`,

	`<ChargeAddRq><ChargeAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2026-03-01</TxnDate><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>2</Quantity><Rate>150</Rate></ChargeAdd></ChargeAddRq>`,
	`<SalesTaxPaymentCheckAddRq><SalesTaxPaymentCheckAdd><PayeeEntityRef><FullName>State Board of Equalization</FullName></PayeeEntityRef><TxnDate>2026-03-01</TxnDate>
		<BankAccountRef><FullName>Checking</FullName></BankAccountRef><RefNumber>102</RefNumber><SalesTaxPaymentCheckLineAdd><ItemSalesTaxRef><FullName>State Tax</FullName></ItemSalesTaxRef><Amount>10.00</Amount></SalesTaxPaymentCheckLineAdd>
		</SalesTaxPaymentCheckAdd></SalesTaxPaymentCheckAddRq>`,
	`<InventoryAdjustmentAddRq><InventoryAdjustmentAdd><AccountRef><FullName>Ask My Accountant</FullName></AccountRef><TxnDate>2026-03-01</TxnDate>
		<InventoryAdjustmentLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><QuantityAdjustment><NewQuantity>36</NewQuantity></QuantityAdjustment></InventoryAdjustmentLineAdd></InventoryAdjustmentAdd></InventoryAdjustmentAddRq>`,
	`<BuildAssemblyAddRq><BuildAssemblyAdd><ItemInventoryAssemblyRef><FullName>Kit</FullName></ItemInventoryAssemblyRef><TxnDate>2026-03-01</TxnDate><QuantityToBuild>2</QuantityToBuild></BuildAssemblyAdd></BuildAssemblyAddRq>`,
	`<TransferInventoryAddRq><TransferInventoryAdd><TxnDate>2026-03-01</TxnDate><FromInventorySiteRef><FullName>Main</FullName></FromInventorySiteRef><ToInventorySiteRef><FullName>Truck</FullName></ToInventorySiteRef>
		<TransferInventoryLineAdd><ItemRef><FullName>Bolt</FullName></ItemRef><QuantityToTransfer>4</QuantityToTransfer></TransferInventoryLineAdd></TransferInventoryAdd></TransferInventoryAddRq>`,
	`<TimeTrackingAddRq><TimeTrackingAdd><TxnDate>2026-03-01</TxnDate><EntityRef><FullName>Ann Lee</FullName></EntityRef><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><Duration>PT7H30M</Duration>
		<PayrollItemWageRef><FullName>Salary</FullName></PayrollItemWageRef></TimeTrackingAdd></TimeTrackingAddRq>`,
	`<VehicleMileageAddRq><VehicleMileageAdd><VehicleRef><FullName>Van 1</FullName></VehicleRef><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TripStartDate>2026-03-01</TripStartDate><TripEndDate>2026-03-01</TripEndDate><TotalMiles>42</TotalMiles></VehicleMileageAdd></VehicleMileageAddRq>`,
	`<CreditMemoAddRq><CreditMemoAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><TxnDate>2026-03-01</TxnDate>
		<CreditMemoLineAdd><ItemRef><FullName>Consulting</FullName></ItemRef><Quantity>1</Quantity><Rate>100</Rate></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>`,
}

// apiList lists a data type of the harness's company through the REST
// API, as a client would, and returns the records' IDs.
func (h *harness) apiList(key, typ, query string) []string {
	h.tb.Helper()
	req, err := http.NewRequest("GET", h.env.URL()+"/v1/companies/"+h.conn.CompanyID+"/"+typ+"?limit=100"+query, nil)
	if err != nil {
		h.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := h.env.Client().Do(req)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		h.tb.Fatalf("GET %s: %d %s", typ, resp.StatusCode, b)
	}
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		h.tb.Fatalf("GET %s: %v", typ, err)
	}
	ids := make([]string, len(page.Data))
	for i, r := range page.Data {
		ids[i] = r.ID
	}
	return ids
}

func TestAFullSyncStoresAndServesEveryTypeQuickBooksHolds(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Generate: smallCompany(3), Features: companyfile.Features()})
			var credit string
			for _, rq := range aCompanyOfEveryType {
				credit = txnID(h.qb(rq))
			}
			// Acme is refunded part of the credit memo added last.
			h.qb(`<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><RefundFromAccountRef><FullName>Checking</FullName></RefundFromAccountRef>
				<TxnDate>2026-03-02</TxnDate><RefundAppliedToTxnAdd><TxnID>` + credit + `</TxnID><RefundAmount>40.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>`)

			states := h.syncNow(qbconnect.SyncRequest{})
			allComplete(t, states)
			h.checkMirror(3)

			_, key, err := h.env.Orgs.CreateAPIKey(h.ctx, h.org.ID, "test")
			if err != nil {
				t.Fatal(err)
			}
			// Every type the scenario added is stored, and the API serves
			// what QuickBooks holds. (No payroll non-wage item: qbXML 13.0
			// has no PayrollItemNonWageAdd.)
			added := []string{"templates", "currencies", "inventorySites", "payrollWageItems", "workersCompCodes", "unitOfMeasureSets",
				"vehicles", "billingRates", "leads", "toDos", "charges", "arRefundCreditCards", "salesTaxPaymentChecks",
				"inventoryAdjustments", "buildAssemblies", "transferInventories", "timeTrackingActivities", "vehicleMileages"}
			for _, info := range h.eng.DataTypes() {
				want := synctest.Holdings(h.tb, h.quickBooks, info)
				if len(want) == 0 && slices.Contains(added, info.Name) {
					t.Errorf("QuickBooks holds no %s: the scenario does not cover the type", info.Name)
				}
				if len(want) > 100 {
					continue // the generated types; checkMirror compared them
				}
				got := h.apiList(key, info.Name, "")
				if len(got) != len(want) {
					t.Errorf("the API lists %d %s, QuickBooks holds %d", len(got), info.Name, len(want))
				}
				for _, id := range got {
					if _, ok := want[id]; !ok {
						t.Errorf("the API lists %s %s, which QuickBooks does not hold", info.Name, id)
					}
				}
			}
			// A transaction's customer, or its entity, filters the list.
			acme := listID(h.qb(`<CustomerQueryRq><FullName>Acme Corp</FullName></CustomerQueryRq>`))
			ann := listID(h.qb(`<EmployeeQueryRq><FullName>Ann Lee</FullName></EmployeeQueryRq>`))
			for _, c := range []struct{ typ, query string }{
				{"charges", "&customerId=" + acme}, {"arRefundCreditCards", "&customerId=" + acme},
				{"vehicleMileages", "&customerId=" + acme}, {"timeTrackingActivities", "&entityId=" + ann},
			} {
				if got := h.apiList(key, c.typ, c.query); len(got) != 1 {
					t.Errorf("%s%s lists %d records, want 1", c.typ, c.query, len(got))
				}
				if got := h.apiList(key, c.typ, c.query[:strings.Index(c.query, "=")+1]+h.vendorID()); len(got) != 0 {
					t.Errorf("%s of another entity lists %d records, want none", c.typ, len(got))
				}
			}
		})
	}
}

// vendorID returns the ListID of a vendor of the harness's company.
func (h *harness) vendorID() string {
	h.tb.Helper()
	return listID(h.qb(`<VendorQueryRq><MaxReturned>1</MaxReturned></VendorQueryRq>`))
}

// QuickBooks answers a query for a type whose feature the company lacks
// (payroll items without payroll, sites without Advanced Inventory,
// currencies without multicurrency) with status 3250: the company holds
// none, and the pass completes empty rather than failing every sync.
func TestTypesOfAFeatureTheCompanyLacksSyncEmpty(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	types := []string{"payrollWageItems", "inventorySites", "currencies", "buildAssemblies", "transferInventories", "customers"}
	states := h.syncNow(qbconnect.SyncRequest{DataTypes: types})
	allComplete(t, states, types...)
	for _, typ := range types[:5] {
		if st := stateOf(t, states, typ); st.Fetched != 0 || st.Error != nil {
			t.Errorf("%s: fetched %d (%v), want an empty pass", typ, st.Fetched, st.Error)
		}
	}
	// The pass stored no high-water mark: the next one reads the type whole,
	// and so finds what the company holds once it has the feature.
	h.env.Clock.Advance(time.Hour)
	states = h.syncNow(qbconnect.SyncRequest{DataTypes: types})
	if st := stateOf(t, states, "payrollWageItems"); st.Mode != qbconnect.SyncFull {
		t.Errorf("the pass after an empty one is %s, want full", st.Mode)
	}
}

// TemplateQueryRq has no modified-date filter (nor ActiveStatus): every
// pass of templates reads them whole, as a full pass.
func TestATypeQuickBooksCannotFilterByModifiedDateIsReadWholeEveryPass(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	states := h.syncNow(qbconnect.SyncRequest{DataTypes: []string{"templates"}})
	allComplete(t, states, "templates")
	first := stateOf(t, states, "templates")
	if first.Fetched == 0 {
		t.Fatal("a new company has no templates")
	}
	h.env.Clock.Advance(time.Hour)
	states = h.syncNow(qbconnect.SyncRequest{DataTypes: []string{"templates"}})
	if st := stateOf(t, states, "templates"); st.Mode != qbconnect.SyncFull || st.Fetched != first.Fetched || st.Status != qbconnect.SyncComplete {
		t.Errorf("second templates pass: %s %s, fetched %d; want a complete full pass of %d", st.Mode, st.Status, st.Fetched, first.Fetched)
	}
	h.checkMirror(2, "templates")
}
