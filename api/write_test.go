package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/api"
)

// operation is an operation as the API answers it.
type operation struct {
	ID, CompanyID, Kind, Status string
	DataType, Action, RecordID  string
	IdempotencyKey              string
	Record                      map[string]any
	Response                    string
	Error                       map[string]string
}

// refs are IDs of a synced company that write bodies refer to.
type refs map[string]string

// companyRefs picks a customer, a vendor, a service item and accounts of
// each kind from the synced records.
func (c *company) refs(tb testing.TB) refs {
	tb.Helper()
	r := refs{}
	r["customer"] = c.listAll(tb, "customers", "", 1000)[0]["id"].(string)
	r["vendor"] = c.listAll(tb, "vendors", "", 1000)[0]["id"].(string)
	r["item"] = c.listAll(tb, "serviceItems", "", 1000)[0]["id"].(string)
	for _, a := range c.listAll(tb, "accounts", "", 1000) {
		key := map[string]string{"Bank": "bank", "Income": "income", "Expense": "expense", "CreditCard": "cc",
			"FixedAsset": "asset", "CostOfGoodsSold": "cogs", "OtherCurrentAsset": "otherAsset", "Equity": "equity"}[fmt.Sprint(a["accountType"])]
		if key != "" && r[key] == "" {
			r[key] = a["id"].(string)
		}
	}
	for _, k := range []string{"bank", "income", "expense", "cc", "asset", "cogs"} {
		if r[k] == "" {
			tb.Fatalf("the generated company has no %s account", k)
		}
	}
	return r
}

func (r refs) expand(s string) string {
	for k, v := range r {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// writeCases is, for every writable data type, a body that creates a
// record and one field that an update changes.
func writeCases() map[string]struct{ create, update string } {
	named := func(n string) struct{ create, update string } {
		return struct{ create, update string }{`{"name":"` + n + `"}`, `{"name":"` + n + ` 2"}`}
	}
	txnLine := `"customerRef":{"listId":"{customer}"},"txnDate":"2026-02-10"`
	itemLine := `{"itemRef":{"listId":"{item}"},"desc":"Consulting","quantity":"2","rate":"75.00"}`
	expense := `"expenseLine":[{"accountRef":{"listId":"{expense}"},"amount":"42.50","memo":"Supplies"}]`
	return map[string]struct{ create, update string }{
		"accounts":               {`{"name":"API Test Bank","accountType":"Bank"}`, `{"name":"API Test Bank 2"}`},
		"customers":              named("API Test Customer"),
		"vendors":                named("API Test Vendor"),
		"employees":              {`{"firstName":"Ada","lastName":"Lovelace"}`, `{"firstName":"Augusta"}`},
		"otherNames":             named("API Test Other"),
		"serviceItems":           {`{"name":"API Service","salesOrPurchase":{"price":"10.00","accountRef":{"listId":"{income}"}}}`, `{"name":"API Service 2"}`},
		"nonInventoryItems":      {`{"name":"API NonInv","salesOrPurchase":{"price":"5.00","accountRef":{"listId":"{income}"}}}`, `{"name":"API NonInv 2"}`},
		"otherChargeItems":       {`{"name":"API Charge","salesOrPurchase":{"price":"3.00","accountRef":{"listId":"{income}"}}}`, `{"name":"API Charge 2"}`},
		"inventoryItems":         {`{"name":"API Widget","incomeAccountRef":{"listId":"{income}"},"cogsAccountRef":{"listId":"{cogs}"},"assetAccountRef":{"listId":"{otherAsset}"}}`, `{"name":"API Widget 2"}`},
		"inventoryAssemblyItems": {`{"name":"API Assembly","incomeAccountRef":{"listId":"{income}"},"cogsAccountRef":{"listId":"{cogs}"},"assetAccountRef":{"listId":"{otherAsset}"}}`, `{"name":"API Assembly 2"}`},
		"fixedAssetItems":        {`{"name":"API Truck","acquiredAs":"New","purchaseDesc":"Truck","purchaseDate":"2026-01-05","purchaseCost":"30000.00","assetAccountRef":{"listId":"{asset}"}}`, `{"name":"API Truck 2"}`},
		"subtotalItems":          named("API Subtotal"),
		"discountItems":          {`{"name":"API Discount","discountRate":"10.00","accountRef":{"listId":"{income}"}}`, `{"name":"API Discount 2"}`},
		"paymentItems":           named("API Payment Item"),
		"salesTaxItems":          {`{"name":"API Tax","taxRate":"7.5","taxVendorRef":{"listId":"{vendor}"}}`, `{"name":"API Tax 2"}`},
		"salesTaxGroupItems":     {`{"name":"API Tax Group","itemSalesTaxRef":[{"listId":"{salesTax}"}]}`, `{"name":"API Tax Group 2"}`},
		"groupItems":             {`{"name":"API Bundle","itemGroupLine":[{"itemRef":{"listId":"{item}"},"quantity":"1"}]}`, `{"name":"API Bundle 2"}`},
		"classes":                named("API Class"),
		"standardTerms":          {`{"name":"Net 45 API","stdDueDays":45}`, ``},
		"dateDrivenTerms":        {`{"name":"15th API","dayOfMonthDue":15}`, ``},
		"paymentMethods":         {`{"name":"API Wire"}`, ``},
		"salesReps":              {`{"initial":"APX","salesRepEntityRef":{"fullName":"{employeeName}"}}`, `{"initial":"APY"}`},
		"salesTaxCodes":          {`{"name":"APX","isTaxable":false}`, `{"name":"APY"}`},
		"shipMethods":            {`{"name":"API Courier"}`, ``},
		"customerTypes":          {`{"name":"API Wholesale"}`, ``},
		"vendorTypes":            {`{"name":"API Supplier"}`, ``},
		"jobTypes":               {`{"name":"API Remodel"}`, ``},
		"customerMessages":       {`{"name":"Thanks from the API"}`, ``},
		"priceLevels":            {`{"name":"API Level","priceLevelFixedPercentage":"10.0"}`, `{"name":"API Level 2"}`},
		"invoices":               {`{` + txnLine + `,"refNumber":"API-1","invoiceLine":[` + itemLine + `]}`, `{"memo":"updated by the API"}`},
		"creditMemos":            {`{` + txnLine + `,"creditMemoLine":[` + itemLine + `]}`, `{"memo":"updated by the API"}`},
		"receivePayments":        {`{` + txnLine + `,"totalAmount":"10.00","isAutoApply":true}`, `{"memo":"updated by the API"}`},
		"salesReceipts":          {`{` + txnLine + `,"salesReceiptLine":[` + itemLine + `]}`, `{"memo":"updated by the API"}`},
		"estimates":              {`{` + txnLine + `,"estimateLine":[` + itemLine + `]}`, `{"memo":"updated by the API"}`},
		"salesOrders":            {`{` + txnLine + `,"salesOrderLine":[` + itemLine + `]}`, `{"memo":"updated by the API"}`},
		"bills":                  {`{"vendorRef":{"listId":"{vendor}"},"txnDate":"2026-02-10",` + expense + `}`, `{"memo":"updated by the API"}`},
		"vendorCredits":          {`{"vendorRef":{"listId":"{vendor}"},"txnDate":"2026-02-10",` + expense + `}`, `{"memo":"updated by the API"}`},
		"billPaymentChecks":      {`{"payeeEntityRef":{"listId":"{billVendor}"},"refNumber":"API-BP","bankAccountRef":{"listId":"{bank}"},"appliedToTxn":[{"txnId":"{bill}","paymentAmount":"1.00"}]}`, `{"memo":"updated by the API"}`},
		"billPaymentCreditCards": {`{"payeeEntityRef":{"listId":"{billVendor}"},"creditCardAccountRef":{"listId":"{cc}"},"appliedToTxn":[{"txnId":"{bill}","paymentAmount":"1.00"}]}`, ``},
		"purchaseOrders":         {`{"vendorRef":{"listId":"{vendor}"},"purchaseOrderLine":[{"itemRef":{"listId":"{item}"},"quantity":"1"}]}`, `{"memo":"updated by the API"}`},
		"itemReceipts":           {`{"vendorRef":{"listId":"{vendor}"},` + expense + `}`, `{"memo":"updated by the API"}`},
		"checks":                 {`{"accountRef":{"listId":"{bank}"},"payeeEntityRef":{"listId":"{vendor}"},` + expense + `}`, `{"memo":"updated by the API"}`},
		"creditCardCharges":      {`{"accountRef":{"listId":"{cc}"},"payeeEntityRef":{"listId":"{vendor}"},` + expense + `}`, `{"memo":"updated by the API"}`},
		"creditCardCredits":      {`{"accountRef":{"listId":"{cc}"},"payeeEntityRef":{"listId":"{vendor}"},` + expense + `}`, `{"memo":"updated by the API"}`},
		"deposits":               {`{"depositToAccountRef":{"listId":"{bank}"},"depositLine":[{"accountRef":{"listId":"{income}"},"amount":"25.00"}]}`, `{"memo":"updated by the API"}`},
		"journalEntries":         {`{"journalDebitLine":[{"accountRef":{"listId":"{expense}"},"amount":"9.00"}],"journalCreditLine":[{"accountRef":{"listId":"{bank}"},"amount":"9.00"}]}`, `{"refNumber":"JE-API-2"}`},
		"transfers":              {`{"transferFromAccountRef":{"listId":"{bank}"},"transferToAccountRef":{"listId":"{otherAsset}"},"amount":"12.00"}`, `{"memo":"updated by the API"}`},
		"currencies":             {`{"name":"API Franc","currencyCode":"XAF"}`, `{"name":"API Franc 2"}`},
		"inventorySites":         named("API Site"),
		"payrollWageItems":       {`{"name":"API Salary","wageType":"SalaryRegular","expenseAccountRef":{"listId":"{expense}"}}`, ``},
		// qbXML 13.0 has no PayrollItemNonWageAdd: one cannot be created,
		// only deleted.
		"payrollNonWageItems":    {``, ``},
		"workersCompCodes":       {`{"name":"API 8810","desc":"Clerical","rateEntry":[{"rate":"0.5","effectiveDate":"2026-01-01"}]}`, `{"desc":"Clerical 2"}`},
		"unitOfMeasureSets":      {`{"name":"API Count","unitOfMeasureType":"Count","baseUnit":{"name":"Each","abbreviation":"ea"}}`, ``},
		"vehicles":               named("API Van"),
		"billingRates":           {`{"name":"API Rate","fixedBillingRate":"95.00"}`, ``},
		"leads":                  {`{"fullName":"API Prospect","status":"Hot"}`, `{"fullName":"API Prospect 2"}`},
		"toDos":                  {`{"notes":"Call from the API","reminderDate":"2026-04-01"}`, `{"notes":"Call again"}`},
		"charges":                {`{"customerRef":{"listId":"{customer}"},"txnDate":"2026-02-10","itemRef":{"listId":"{item}"},"quantity":"2","rate":"150.00"}`, `{"desc":"updated by the API"}`},
		"arRefundCreditCards":    {`{"customerRef":{"listId":"{creditCustomer}"},"refundFromAccountRef":{"listId":"{bank}"},"refundAppliedToTxn":[{"txnId":"{credit}","refundAmount":"1.00"}]}`, ``},
		"salesTaxPaymentChecks":  {`{"payeeEntityRef":{"fullName":"State Board of Equalization"},"txnDate":"2026-02-10","refNumber":"API-STP","bankAccountRef":{"listId":"{bank}"},"salesTaxPaymentCheckLine":[{"itemSalesTaxRef":{"listId":"{salesTax}"},"amount":"10.00"}]}`, `{"memo":"updated by the API"}`},
		"inventoryAdjustments":   {`{"accountRef":{"listId":"{expense}"},"inventoryAdjustmentLine":[{"itemRef":{"fullName":"API Bolt"},"quantityAdjustment":{"quantityDifference":"1"}}]}`, `{"memo":"updated by the API"}`},
		"buildAssemblies":        {`{"itemInventoryAssemblyRef":{"fullName":"API Kit"},"quantityToBuild":"1"}`, `{"memo":"updated by the API"}`},
		"transferInventories":    {`{"fromInventorySiteRef":{"fullName":"API Main"},"toInventorySiteRef":{"fullName":"API Truck"},"transferInventoryLine":[{"itemRef":{"fullName":"API Bolt"},"quantityToTransfer":"1"}]}`, `{"memo":"updated by the API"}`},
		"timeTrackingActivities": {`{"txnDate":"2026-02-10","entityRef":{"fullName":"{employeeName}"},"duration":"PT1H30M"}`, `{"entityRef":{"fullName":"{employeeName}"},"duration":"PT2H","notes":"updated by the API"}`},
		"vehicleMileages":        {`{"vehicleRef":{"fullName":"API Fleet Van"},"tripStartDate":"2026-02-10","tripEndDate":"2026-02-10","totalMiles":"42"}`, ``},
	}
}

// write sends a write and decodes the operation it answers with.
func (c *company) write(tb testing.TB, want int, method, path, body string, headers ...string) (operation, response) {
	tb.Helper()
	var b any
	if body != "" {
		b = body
	}
	r := c.e.do(method, path, c.key, b, headers...)
	if r.Status != want {
		tb.Fatalf("%s %s: %d, want %d\n%s\nbody: %s", method, path, r.Status, want, r.Body, body)
	}
	var op operation
	json.Unmarshal(r.Body, &op)
	return op, r
}

// qb runs requests in QuickBooks as its user would, failing on an error
// status.
func (c *company) qb(tb testing.TB, requests ...string) {
	tb.Helper()
	for _, rq := range requests {
		resp, err := c.sim.Exec(c.ctx, c.file, []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">`+rq+`</QBXMLMsgsRq></QBXML>`))
		if err != nil || !strings.Contains(string(resp), `statusCode="0"`) {
			tb.Fatalf("QuickBooks answered %v %s to %.200s", err, resp, rq)
		}
	}
}

func TestWritesCreateUpdateDeleteAndVoidEveryWritableType(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	// Inventory at two sites, an assembly and a vehicle, which the
	// inventory and mileage write cases name.
	c.qb(t, `<InventorySiteAddRq><InventorySiteAdd><Name>API Main</Name></InventorySiteAdd></InventorySiteAddRq>`,
		`<InventorySiteAddRq><InventorySiteAdd><Name>API Truck</Name></InventorySiteAdd></InventorySiteAddRq>`,
		`<ItemInventoryAddRq><ItemInventoryAdd><Name>API Bolt</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef><PurchaseCost>2</PurchaseCost>
			<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef><QuantityOnHand>40</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>`,
		`<ItemInventoryAssemblyAddRq><ItemInventoryAssemblyAdd><Name>API Kit</Name><IncomeAccountRef><FullName>Product Sales</FullName></IncomeAccountRef>
			<COGSAccountRef><FullName>Cost of Goods Sold</FullName></COGSAccountRef><AssetAccountRef><FullName>Inventory Asset</FullName></AssetAccountRef>
			<ItemInventoryAssemblyLine><ItemInventoryRef><FullName>API Bolt</FullName></ItemInventoryRef><Quantity>2</Quantity></ItemInventoryAssemblyLine></ItemInventoryAssemblyAdd></ItemInventoryAssemblyAddRq>`,
		`<VehicleAddRq><VehicleAdd><Name>API Fleet Van</Name></VehicleAdd></VehicleAddRq>`)
	c.syncAll(t)
	r := c.refs(t)
	r["employeeName"] = c.listAll(t, "employees", "", 100)[0]["name"].(string)
	r["salesTax"] = c.listAll(t, "salesTaxItems", "", 100)[0]["id"].(string)
	for _, b := range c.listAll(t, "bills", "", 100) {
		if b["isPaid"] == false {
			r["bill"], r["billVendor"] = b["id"].(string), b["vendorRef"].(map[string]any)["listId"].(string)
			break
		}
	}
	if r["bill"] == "" {
		t.Fatal("no unpaid bill")
	}
	for _, cm := range c.listAll(t, "creditMemos", "", 100) {
		if cm["creditRemaining"] != "0.00" {
			r["credit"], r["creditCustomer"] = cm["id"].(string), cm["customerRef"].(map[string]any)["listId"].(string)
			break
		}
	}
	if r["credit"] == "" {
		t.Fatal("no credit memo with credit left")
	}
	c.background(t)

	var types struct {
		Data []struct {
			Name    string
			Actions []string
		}
	}
	e.mustDo(200, "GET", "/v1/data-types", c.key, nil, &types)
	cases := writeCases()
	base := "/v1/companies/" + c.id + "/"
	tested := 0
	for _, dt := range types.Data {
		if len(dt.Actions) == 0 {
			continue
		}
		tc, ok := cases[dt.Name]
		if !ok {
			t.Errorf("%s is writable (%v) but has no write case", dt.Name, dt.Actions)
			continue
		}
		t.Run(dt.Name, func(t *testing.T) {
			if tc.create == "" {
				t.Skip("QuickBooks cannot create one")
			}
			tested++
			created, _ := c.write(t, 200, "POST", base+dt.Name+"?wait=30s", r.expand(tc.create))
			if created.Status != "Success" || created.Kind != "write" || created.Action != "create" || created.DataType != dt.Name {
				t.Fatalf("create: %+v", created)
			}
			id, _ := created.Record["id"].(string)
			es, _ := created.Record["editSequence"].(string)
			if id == "" || es == "" || created.RecordID != id {
				t.Fatalf("created record has no id or editSequence: %+v", created)
			}
			var stored map[string]any
			c.get(t, base+dt.Name+"/"+id, &stored)
			if stored["editSequence"] != es {
				t.Errorf("the store has editSequence %v after the create, want %s", stored["editSequence"], es)
			}
			if has(dt.Actions, "update") && tc.update != "" {
				upd := strings.Replace(tc.update, "{", `{"editSequence":"`+es+`",`, 1)
				updated, _ := c.write(t, 200, "PATCH", base+dt.Name+"/"+id+"?wait=30s", r.expand(upd))
				newES, _ := updated.Record["editSequence"].(string)
				if updated.Status != "Success" || newES == "" || newES == es {
					t.Fatalf("update: %+v", updated)
				}
				// The same update again carries a stale editSequence.
				_, resp := c.write(t, 409, "PATCH", base+dt.Name+"/"+id+"?wait=30s", r.expand(upd))
				var eb struct{ Error map[string]string }
				json.Unmarshal(resp.Body, &eb)
				if eb.Error["code"] != "conflict" || eb.Error["qbCode"] != "3200" || !strings.HasPrefix(resp.Header.Get("Location"), "/v1/operations/") {
					t.Errorf("stale editSequence: %s (Location %q)", resp.Body, resp.Header.Get("Location"))
				}
				// The operation has failed for good: the answer must not
				// promise a retry, and must say what the client does.
				if msg := eb.Error["userMessage"]; strings.Contains(msg, "retried") || !strings.Contains(msg, "editSequence") {
					t.Errorf("stale editSequence's userMessage %q: promises a retry or does not name editSequence", msg)
				}
				var failed operation
				c.get(t, resp.Header.Get("Location"), &failed)
				if failed.Status != "Failed" || failed.Error["code"] != "conflict" {
					t.Errorf("the stale update's operation: %+v", failed)
				}
			}
			if has(dt.Actions, "void") {
				voided, _ := c.write(t, 200, "POST", base+dt.Name+"/"+id+"/void?wait=30s", "")
				if voided.Status != "Success" || voided.Action != "void" {
					t.Errorf("void: %+v", voided)
				}
			}
			if has(dt.Actions, "delete") {
				deleted, _ := c.write(t, 200, "DELETE", base+dt.Name+"/"+id+"?wait=30s", "")
				if deleted.Status != "Success" || deleted.Action != "delete" {
					t.Errorf("delete: %+v", deleted)
				}
				c.get(t, base+dt.Name+"/"+id, &stored)
				if stored["deleted"] != true {
					t.Errorf("the store does not show the deleted record as deleted: %v", stored["deleted"])
				}
				for _, rec := range c.listAll(t, dt.Name, "", 1000) {
					if rec["id"] == id {
						t.Errorf("the deleted record is still listed")
					}
				}
			}
		})
	}
	if tested < 62 {
		t.Errorf("tested writes of %d types", tested)
	}
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestWriteIsQueuedAndIdempotent(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	base := "/v1/companies/" + c.id + "/customers"
	body := `{"name":"Idempotent Ltd"}`

	// No connector runs: the write is accepted and pending.
	first, resp := c.write(t, 202, "POST", base, body, "Idempotency-Key", "order-77")
	if first.Status != "Pending" || first.IdempotencyKey != "order-77" || resp.Header.Get("Location") != "/v1/operations/"+first.ID {
		t.Fatalf("first: %+v (Location %q)", first, resp.Header.Get("Location"))
	}
	again, _ := c.write(t, 202, "POST", base, body, "Idempotency-Key", "order-77")
	if again.ID != first.ID {
		t.Errorf("the same Idempotency-Key made a second operation: %s and %s", first.ID, again.ID)
	}
	// The key of another request is refused, not a silent replay: another
	// data type, another body for the same data type, another action.
	for _, other := range []struct{ method, path, body string }{
		{"POST", "/v1/companies/" + c.id + "/vendors", `{"name":"Other"}`},
		{"POST", base, `{"name":"Idempotent Ltd (second)"}`},
		{"DELETE", base + "/80000001-1234567890", ""},
		{"PATCH", base + "/80000001-1234567890", `{"editSequence":"1","name":"Idempotent Ltd"}`},
		{"POST", "/v1/companies/" + c.id + "/invoices/1A2B-1234567890/void", ""},
	} {
		var rd any
		if other.body != "" {
			rd = other.body
		}
		resp := e.do(other.method, other.path, c.key, rd, "Idempotency-Key", "order-77")
		if resp.Status != 422 || resp.ErrorCode() != "idempotency_mismatch" || !strings.Contains(string(resp.Body), "already used for a different request") {
			t.Errorf("reused key for %s %s %s: %d %s", other.method, other.path, other.body, resp.Status, resp.Body)
		}
	}
	// The same record with its keys in another order and other spacing is
	// the same request.
	if same, _ := c.write(t, 202, "POST", base, ` { "name" : "Idempotent Ltd" } `, "Idempotency-Key", "order-77"); same.ID != first.ID {
		t.Errorf("the same body, spaced differently, made operation %s, want %s", same.ID, first.ID)
	}
	var pending operation
	e.mustDo(200, "GET", "/v1/operations/"+first.ID, c.key, nil, &pending)
	if pending.Status != "Pending" {
		t.Errorf("before the connector ran: %s", pending.Status)
	}
	if n := c.drain(t); n != 1 {
		t.Errorf("the connector ran %d items, want the one write", n)
	}
	var done operation
	e.mustDo(200, "GET", "/v1/operations/"+first.ID+"?wait=1s", c.key, nil, &done)
	if done.Status != "Success" || done.Record["name"] != "Idempotent Ltd" {
		t.Fatalf("after the connector ran: %+v", done)
	}
	// A retry after success returns the finished operation, and QuickBooks
	// holds the customer once.
	replay, _ := c.write(t, 200, "POST", base, body, "Idempotency-Key", "order-77")
	if replay.ID != first.ID || replay.Status != "Success" {
		t.Errorf("replay after success: %+v", replay)
	}
	if n := c.drain(t); n != 0 {
		t.Errorf("the replay queued %d items", n)
	}
	if got := c.listAll(t, "customers", "name="+url.QueryEscape("Idempotent Ltd"), 10); len(got) != 1 {
		t.Errorf("%d customers named Idempotent Ltd", len(got))
	}
}

func TestWriteWaitsForQuickBooks(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	base := "/v1/companies/" + c.id + "/customers"
	// The request waits (on the queue's signal, OnWait tells when) while
	// the connector runs the write.
	type answer struct {
		op operation
		r  response
	}
	got := make(chan answer, 1)
	go func() {
		r := e.do("POST", base+"?wait=30s", c.key, `{"name":"Waited For Inc"}`)
		var op operation
		json.Unmarshal(r.Body, &op)
		got <- answer{op, r}
	}()
	<-e.opWaits
	if n := c.drain(t); n != 1 {
		t.Fatalf("ran %d items", n)
	}
	a := <-got
	if a.r.Status != 200 || a.op.Status != "Success" || a.op.Record["name"] != "Waited For Inc" {
		t.Fatalf("waited write: %d %s", a.r.Status, a.r.Body)
	}
	// A write QuickBooks rejects answers with QuickBooks' code when waited
	// for, and with what to do about it: the name is taken now.
	go func() {
		r := e.do("POST", base+"?wait=30s", c.key, `{"name":"Waited For Inc"}`)
		got <- answer{r: r}
	}()
	<-e.opWaits
	c.drain(t)
	a = <-got
	var eb struct{ Error map[string]string }
	json.Unmarshal(a.r.Body, &eb)
	if a.r.Status != 502 || eb.Error["code"] != "quickbooks" || eb.Error["qbCode"] != "3100" ||
		!strings.Contains(eb.Error["resolution"], "Choose a name no other record") {
		t.Errorf("duplicate name: %d %s", a.r.Status, a.r.Body)
	}

	for _, tc := range []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		msg                      string
	}{
		{"wait too long", "POST", base + "?wait=2m", `{"name":"x"}`, nil, 400, "wait must be at most 1m0s"},
		{"bad wait", "POST", base + "?wait=soon", `{"name":"x"}`, nil, 400, "wait must be a duration"},
		{"bad timeout", "POST", base + "?timeout=1ms", `{"name":"x"}`, nil, 400, "timeout must be"},
		{"unknown query", "POST", base + "?dryRun=1", `{"name":"x"}`, nil, 400, `unknown query parameter "dryRun"`},
		{"unknown field", "POST", base, `{"nmae":"x"}`, nil, 400, "nmae"},
		{"not an object", "POST", base, `["x"]`, nil, 400, "JSON object"},
		{"empty body", "POST", base, ``, nil, 400, "body is empty"},
		{"too large", "POST", base, `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, "larger than"},
		{"long idempotency key", "POST", base, `{"name":"x"}`, []string{"Idempotency-Key", strings.Repeat("k", 201)}, 400, "Idempotency-Key"},
		{"update without editSequence", "PATCH", base + "/80000001-1", `{"name":"x"}`, nil, 400, "editSequence"},
		{"void a list element", "POST", base + "/80000001-1/void", ``, nil, 404, "cannot be voided"},
		{"update terms", "PATCH", "/v1/companies/" + c.id + "/standardTerms/1", `{"editSequence":"1","name":"x"}`, nil, 404, "cannot be updated"},
		{"delete with a body", "DELETE", base + "/80000001-1", `{"x":1}`, nil, 400, "unknown field"},
		{"unknown type", "POST", "/v1/companies/" + c.id + "/widgets", `{"name":"x"}`, nil, 404, "unknown data type"},
		{"unknown company", "POST", "/v1/companies/cmp_0000000000000000/customers", `{"name":"x"}`, nil, 404, "company not found"},
		{"unknown operation", "GET", "/v1/operations/op_0000000000000000", ``, nil, 404, "operation not found"},
		{"operation bad wait", "GET", "/v1/operations/op_0000000000000000?wait=-1s", ``, nil, 400, "wait must be"},
	} {
		var b any
		if tc.body != "" {
			b = tc.body
		}
		r := e.do(tc.method, tc.path, c.key, b, tc.headers...)
		var eb struct{ Error map[string]string }
		json.Unmarshal(r.Body, &eb)
		if r.Status != tc.status || !strings.Contains(eb.Error["message"], tc.msg) {
			t.Errorf("%s: %d %s; want %d containing %q", tc.name, r.Status, r.Body, tc.status, tc.msg)
		}
	}
}

// TestActionADataTypeLacksIsNotFoundWithAllow: a write a data type does not
// take (voiding a list element, updating or deleting a type QuickBooks'
// SDK only reads) answers as any method a path does not take: 404
// not_found, with Allow naming exactly the methods the document lists on
// that data type's path, and none on a .../void path the type lacks.
func TestActionADataTypeLacksIsNotFoundWithAllow(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	documented := func(path string) string {
		var ms []string
		for _, m := range []string{"get", "post", "patch", "delete"} {
			if _, ok := doc.Paths[path][m]; ok {
				ms = append(ms, strings.ToUpper(m))
			}
		}
		return strings.Join(ms, ", ")
	}
	types := e.do("GET", "/v1/data-types", c.key, nil)
	var list struct {
		Data []struct {
			Name    string   `json:"name"`
			Actions []string `json:"actions"`
		} `json:"data"`
	}
	if err := json.Unmarshal(types.Body, &list); err != nil || len(list.Data) == 0 {
		t.Fatalf("data types: %v %s", err, types.Body)
	}
	tried := 0
	for _, dt := range list.Data {
		base := "/v1/companies/{companyId}/" + dt.Name
		for _, a := range []struct{ action, method, path, body, verb string }{
			{"create", "POST", base, `{"name":"x"}`, "created"},
			{"update", "PATCH", base + "/{id}", `{"editSequence":"1"}`, "updated"},
			{"delete", "DELETE", base + "/{id}", ``, "deleted"},
			{"void", "POST", base + "/{id}/void", ``, "voided"},
		} {
			if slices.Contains(dt.Actions, a.action) {
				continue
			}
			tried++
			path := strings.NewReplacer("{companyId}", c.id, "{id}", "80000001-1").Replace(a.path)
			var body any
			if a.body != "" {
				body = a.body
			}
			r := e.do(a.method, path, c.key, body)
			if r.Status != 404 || r.ErrorCode() != "not_found" || !strings.Contains(string(r.Body), "cannot be "+a.verb) {
				t.Errorf("%s %s: %d %s; want 404 not_found saying it cannot be %s", a.method, path, r.Status, r.Body, a.verb)
			}
			if got, want := r.Header.Get("Allow"), documented(a.path); got != want {
				t.Errorf("%s %s: Allow %q, want the document's methods on %s: %q", a.method, path, got, a.path, want)
			}
		}
	}
	if tried == 0 {
		t.Fatal("every data type takes every write; nothing was tried")
	}
}
