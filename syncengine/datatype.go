package syncengine

import (
	"slices"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// dataTypeSpec is one row of the data type table: the API name and the
// qbXML object. Everything else (iterator support, deleted-query type,
// write requests) is derived from the schema by newDataType.
type dataTypeSpec struct {
	name   string // API name, plural camelCase
	object string // qbXML object: XxxQueryRq, XxxRet, XxxAdd...
	txn    bool
	// ref is the element whose ListID fills Record.RefID (the customer,
	// vendor, payee or entity of a transaction, the parent of a list
	// element).
	ref string
}

// dataTypeTable is the one table of data types: every list and transaction
// type the simulator implements, lists first (transactions refer to them).
var dataTypeTable = [...]dataTypeSpec{
	{"accounts", "Account", false, "ParentRef"},
	{"customers", "Customer", false, "ParentRef"},
	{"vendors", "Vendor", false, ""},
	{"employees", "Employee", false, ""},
	{"otherNames", "OtherName", false, ""},
	{"serviceItems", "ItemService", false, "ParentRef"},
	{"nonInventoryItems", "ItemNonInventory", false, "ParentRef"},
	{"otherChargeItems", "ItemOtherCharge", false, "ParentRef"},
	{"inventoryItems", "ItemInventory", false, "ParentRef"},
	{"inventoryAssemblyItems", "ItemInventoryAssembly", false, "ParentRef"},
	{"fixedAssetItems", "ItemFixedAsset", false, ""},
	{"subtotalItems", "ItemSubtotal", false, ""},
	{"discountItems", "ItemDiscount", false, "ParentRef"},
	{"paymentItems", "ItemPayment", false, ""},
	{"salesTaxItems", "ItemSalesTax", false, ""},
	{"salesTaxGroupItems", "ItemSalesTaxGroup", false, ""},
	{"groupItems", "ItemGroup", false, ""},
	{"classes", "Class", false, "ParentRef"},
	{"standardTerms", "StandardTerms", false, ""},
	{"dateDrivenTerms", "DateDrivenTerms", false, ""},
	{"paymentMethods", "PaymentMethod", false, ""},
	{"salesReps", "SalesRep", false, ""},
	{"salesTaxCodes", "SalesTaxCode", false, ""},
	{"shipMethods", "ShipMethod", false, ""},
	{"customerTypes", "CustomerType", false, "ParentRef"},
	{"vendorTypes", "VendorType", false, "ParentRef"},
	{"jobTypes", "JobType", false, "ParentRef"},
	{"customerMessages", "CustomerMsg", false, ""},
	{"priceLevels", "PriceLevel", false, ""},
	{"templates", "Template", false, ""},
	{"currencies", "Currency", false, ""},
	{"inventorySites", "InventorySite", false, "ParentSiteRef"},
	{"payrollWageItems", "PayrollItemWage", false, ""},
	{"payrollNonWageItems", "PayrollItemNonWage", false, ""},
	{"workersCompCodes", "WorkersCompCode", false, ""},
	{"unitOfMeasureSets", "UnitOfMeasureSet", false, ""},
	{"vehicles", "Vehicle", false, ""},
	{"billingRates", "BillingRate", false, ""},
	{"leads", "Lead", false, ""},
	{"toDos", "ToDo", false, ""},

	{"invoices", "Invoice", true, "CustomerRef"},
	{"creditMemos", "CreditMemo", true, "CustomerRef"},
	{"receivePayments", "ReceivePayment", true, "CustomerRef"},
	{"salesReceipts", "SalesReceipt", true, "CustomerRef"},
	{"estimates", "Estimate", true, "CustomerRef"},
	{"salesOrders", "SalesOrder", true, "CustomerRef"},
	{"bills", "Bill", true, "VendorRef"},
	{"vendorCredits", "VendorCredit", true, "VendorRef"},
	{"billPaymentChecks", "BillPaymentCheck", true, "PayeeEntityRef"},
	{"billPaymentCreditCards", "BillPaymentCreditCard", true, "PayeeEntityRef"},
	{"purchaseOrders", "PurchaseOrder", true, "VendorRef"},
	{"itemReceipts", "ItemReceipt", true, "VendorRef"},
	{"checks", "Check", true, "PayeeEntityRef"},
	{"creditCardCharges", "CreditCardCharge", true, "PayeeEntityRef"},
	{"creditCardCredits", "CreditCardCredit", true, "PayeeEntityRef"},
	{"deposits", "Deposit", true, ""},
	{"journalEntries", "JournalEntry", true, ""},
	{"transfers", "Transfer", true, ""},
	{"charges", "Charge", true, "CustomerRef"},
	{"arRefundCreditCards", "ARRefundCreditCard", true, "CustomerRef"},
	{"salesTaxPaymentChecks", "SalesTaxPaymentCheck", true, "PayeeEntityRef"},
	{"inventoryAdjustments", "InventoryAdjustment", true, "CustomerRef"},
	{"buildAssemblies", "BuildAssembly", true, ""},
	{"transferInventories", "TransferInventory", true, ""},
	{"timeTrackingActivities", "TimeTracking", true, "EntityRef"},
	{"vehicleMileages", "VehicleMileage", true, "CustomerRef"},
}

// dataType is a data type with what the schema says about it.
type dataType struct {
	dataTypeSpec
	query    *qbxml.ElementType // XxxQueryRq
	ret      *qbxml.ElementType // XxxRet
	iterator bool               // the query supports iterator="Start"
	// includeLines is the query's element that asks for a transaction's
	// lines: IncludeLineItems, or a build's IncludeComponentLineItems;
	// "" when it has none.
	includeLines string
	// activeStatus says the query takes ActiveStatus (most lists: without
	// it QuickBooks returns active elements only).
	activeStatus bool
	// modifiedFilter is how the query asks for what changed since a
	// time: "FromModifiedDate" (lists), "ModifiedDateRangeFilter"
	// (transactions), or "" when it cannot (templates): then every pass
	// of the type reads it whole.
	modifiedFilter string
	// delType is the ListDelType/TxnDelType of deleted queries, "" when
	// QuickBooks does not report deletions of the type.
	delType string
	// canDelete and canVoid: ListDelRq/TxnDelRq and TxnVoidRq accept it.
	canDelete, canVoid bool
	add, mod           *qbxml.ElementType // XxxAdd, XxxMod; nil when not writable
	// movesRef says the type's transactions post to accounts receivable
	// or payable (its Ret names an ARAccountRef or APAccountRef), so
	// that one changed, added, voided or deleted moves the balance of
	// the customer or vendor its ref names. movesLines says the same of
	// the entities its lines name (a journal entry's EntityRef).
	movesRef, movesLines bool
	// movesStock says the type's transactions move the quantity on hand
	// (and, purchases, the average cost) of the inventory items they name
	// (see stockObjects).
	movesStock bool
}

// stockObjects are the transactions that move the quantities of the
// inventory items they name: purchases and returns to vendors on their
// item lines, sales and customer returns on theirs, inventory
// adjustments, and assembly builds (the assembly built and the
// components it uses, which its ComponentItemLineRet lists) what is on
// hand; purchase orders what is on order (QuantityOnOrder) and sales
// orders what is on sales orders (QuantityOnSalesOrder) until they are
// received, invoiced or closed.
var stockObjects = []string{"Bill", "ItemReceipt", "Check", "CreditCardCharge", "VendorCredit", "CreditCardCredit",
	"Invoice", "SalesReceipt", "CreditMemo", "InventoryAdjustment", "BuildAssembly", "PurchaseOrder", "SalesOrder"}

func (d *dataType) idElem() string {
	if d.txn {
		return "TxnID"
	}
	return "ListID"
}

func (d *dataType) actions() []string {
	var a []string
	if d.add != nil {
		a = append(a, string(qbconnect.WriteCreate))
	}
	if d.mod != nil {
		a = append(a, string(qbconnect.WriteUpdate))
	}
	if d.canDelete {
		a = append(a, string(qbconnect.WriteDelete))
	}
	if d.canVoid {
		a = append(a, string(qbconnect.WriteVoid))
	}
	return a
}

func enumOf(request, child string) []string {
	t := qbxml.Lookup(request)
	if t == nil {
		return nil
	}
	c := t.Child(child)
	if c == nil || c.Simple == nil {
		return nil
	}
	return c.Simple.Enum
}

// newDataTypes builds the data types from the table and the schema.
func newDataTypes() ([]*dataType, map[string]*dataType) {
	listDel, txnDel := enumOf("ListDeletedQueryRq", "ListDelType"), enumOf("TxnDeletedQueryRq", "TxnDelType")
	listDelRq, txnDelRq, voidRq := enumOf("ListDelRq", "ListDelType"), enumOf("TxnDelRq", "TxnDelType"), enumOf("TxnVoidRq", "TxnVoidType")
	list := make([]*dataType, 0, len(dataTypeTable))
	byName := make(map[string]*dataType, len(dataTypeTable))
	for _, s := range dataTypeTable {
		d := &dataType{dataTypeSpec: s, query: qbxml.Lookup(s.object + "QueryRq"), ret: qbxml.Lookup(s.object + "Ret")}
		if d.query == nil || d.ret == nil {
			continue // not in this schema version
		}
		d.iterator = d.query.Attr("iterator") != nil
		d.activeStatus = d.query.Child("ActiveStatus") != nil
		for _, f := range []string{"IncludeLineItems", "IncludeComponentLineItems"} {
			if s.txn && d.query.Child(f) != nil {
				d.includeLines = f
			}
		}
		for _, f := range []string{"FromModifiedDate", "ModifiedDateRangeFilter"} {
			if d.query.Child(f) != nil {
				d.modifiedFilter = f
			}
		}
		if s.txn {
			if slices.Contains(txnDel, s.object) {
				d.delType = s.object
			}
			d.canDelete, d.canVoid = slices.Contains(txnDelRq, s.object), slices.Contains(voidRq, s.object)
		} else {
			if slices.Contains(listDel, s.object) {
				d.delType = s.object
			}
			d.canDelete = slices.Contains(listDelRq, s.object)
		}
		d.movesRef = s.txn && s.ref != "" && (d.ret.Child("ARAccountRef") != nil || d.ret.Child("APAccountRef") != nil)
		d.movesLines = s.object == "JournalEntry"
		d.movesStock = slices.Contains(stockObjects, s.object)
		if qbxml.Lookup(s.object+"AddRq") != nil {
			d.add = qbxml.Lookup(s.object + "Add")
		}
		if qbxml.Lookup(s.object+"ModRq") != nil {
			d.mod = qbxml.Lookup(s.object + "Mod")
		}
		list = append(list, d)
		byName[s.name] = d
	}
	return list, byName
}
