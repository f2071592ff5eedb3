package companyfile

import "strings"

// objKind says whether an object type is a list element or a transaction.
type objKind int

const (
	kindList objKind = iota
	kindTxn
)

// objType describes one object type the company file stores. Everything
// else about it (elements, their order, Add and Mod support) comes from the
// qbXML schema; per-type behaviour lives in the hooks of txn.go.
type objType struct {
	Name string // "Customer", "ItemService", "Invoice"
	Kind objKind
	// NS is the name-uniqueness namespace of list elements: customers,
	// vendors, employees and other names share "Entity"; every item type
	// shares "Item"; terms share "Terms".
	NS string
	// Entity names the transaction element that holds its customer, vendor
	// or payee ("CustomerRef", "VendorRef", "PayeeEntityRef", "EntityRef").
	Entity string
	// Account names the transaction element that holds its main account.
	Account string
	// Side says whose balance the transaction moves: "AR" (the
	// customer's), "AP" (the vendor's) or "".
	Side string
	// AutoRef is true when QuickBooks numbers the transaction itself.
	AutoRef bool
	// Ident is the element that names a list element, unique within NS:
	// "" means Name; a SalesRep is named by its Initial, a Lead by its
	// FullName.
	Ident string
	// Unnamed list elements (to-dos) have no name and no namespace.
	Unnamed bool
	// Feature is the company feature the type needs ("" for none): a
	// company without it answers status 3250 (see features.go).
	Feature Feature
}

// ident returns the element that names a list element of the type.
func (t *objType) ident() string {
	if t.Ident == "" {
		return "Name"
	}
	return t.Ident
}

// Ret returns the name of the type's Ret element.
func (t *objType) Ret() string { return t.Name + "Ret" }

// objTypes lists every object type the company file stores, in the order of
// the issue: lists first, then transactions.
var objTypes = []objType{
	{Name: "Account", NS: "Account"},
	{Name: "Customer", NS: "Entity"},
	{Name: "Vendor", NS: "Entity"},
	{Name: "Employee", NS: "Entity"},
	{Name: "OtherName", NS: "Entity"},
	{Name: "ItemService", NS: "Item"},
	{Name: "ItemNonInventory", NS: "Item"},
	{Name: "ItemOtherCharge", NS: "Item"},
	{Name: "ItemInventory", NS: "Item"},
	{Name: "ItemInventoryAssembly", NS: "Item"},
	{Name: "ItemFixedAsset", NS: "Item"},
	{Name: "ItemSubtotal", NS: "Item"},
	{Name: "ItemDiscount", NS: "Item"},
	{Name: "ItemPayment", NS: "Item"},
	{Name: "ItemSalesTax", NS: "Item"},
	{Name: "ItemSalesTaxGroup", NS: "Item"},
	{Name: "ItemGroup", NS: "Item"},
	{Name: "Class", NS: "Class"},
	{Name: "StandardTerms", NS: "Terms"},
	{Name: "DateDrivenTerms", NS: "Terms"},
	{Name: "PaymentMethod", NS: "PaymentMethod"},
	{Name: "SalesRep", NS: "SalesRep", Ident: "Initial"},
	{Name: "SalesTaxCode", NS: "SalesTaxCode"},
	{Name: "ShipMethod", NS: "ShipMethod"},
	{Name: "CustomerType", NS: "CustomerType"},
	{Name: "VendorType", NS: "VendorType"},
	{Name: "JobType", NS: "JobType"},
	{Name: "CustomerMsg", NS: "CustomerMsg"},
	{Name: "PriceLevel", NS: "PriceLevel"},
	{Name: "Template", NS: "Template"},
	{Name: "Currency", NS: "Currency", Feature: FeatureMultiCurrency},
	{Name: "InventorySite", NS: "InventorySite", Feature: FeatureSites},
	{Name: "PayrollItemWage", NS: "PayrollItem", Feature: FeaturePayroll},
	{Name: "PayrollItemNonWage", NS: "PayrollItem", Feature: FeaturePayroll},
	{Name: "WorkersCompCode", NS: "WorkersCompCode", Feature: FeaturePayroll},
	{Name: "UnitOfMeasureSet", NS: "UnitOfMeasureSet"},
	{Name: "Vehicle", NS: "Vehicle"},
	{Name: "BillingRate", NS: "BillingRate"},
	{Name: "Lead", NS: "Lead", Ident: "FullName"},
	{Name: "ToDo", Unnamed: true},

	{Name: "Invoice", Kind: kindTxn, Entity: "CustomerRef", Account: "ARAccountRef", Side: "AR", AutoRef: true},
	{Name: "CreditMemo", Kind: kindTxn, Entity: "CustomerRef", Account: "ARAccountRef", Side: "AR", AutoRef: true},
	{Name: "ReceivePayment", Kind: kindTxn, Entity: "CustomerRef", Account: "ARAccountRef", Side: "AR"},
	{Name: "SalesReceipt", Kind: kindTxn, Entity: "CustomerRef", Account: "DepositToAccountRef", AutoRef: true},
	{Name: "Estimate", Kind: kindTxn, Entity: "CustomerRef", AutoRef: true},
	{Name: "SalesOrder", Kind: kindTxn, Entity: "CustomerRef", AutoRef: true},
	{Name: "Bill", Kind: kindTxn, Entity: "VendorRef", Account: "APAccountRef", Side: "AP"},
	{Name: "VendorCredit", Kind: kindTxn, Entity: "VendorRef", Account: "APAccountRef", Side: "AP"},
	{Name: "BillPaymentCheck", Kind: kindTxn, Entity: "PayeeEntityRef", Account: "BankAccountRef", Side: "AP"},
	{Name: "BillPaymentCreditCard", Kind: kindTxn, Entity: "PayeeEntityRef", Account: "CreditCardAccountRef", Side: "AP"},
	{Name: "PurchaseOrder", Kind: kindTxn, Entity: "VendorRef", AutoRef: true},
	// An item receipt is owed to its vendor until the bill comes, as a
	// bill is (txn.go).
	{Name: "ItemReceipt", Kind: kindTxn, Entity: "VendorRef", Account: "APAccountRef", Side: "AP"},
	{Name: "Check", Kind: kindTxn, Entity: "PayeeEntityRef", Account: "AccountRef"},
	{Name: "CreditCardCharge", Kind: kindTxn, Entity: "PayeeEntityRef", Account: "AccountRef"},
	{Name: "CreditCardCredit", Kind: kindTxn, Entity: "PayeeEntityRef", Account: "AccountRef"},
	{Name: "Deposit", Kind: kindTxn, Account: "DepositToAccountRef"},
	{Name: "JournalEntry", Kind: kindTxn},
	{Name: "Transfer", Kind: kindTxn, Account: "TransferFromAccountRef"},
	{Name: "Charge", Kind: kindTxn, Entity: "CustomerRef", Account: "ARAccountRef", Side: "AR"},
	{Name: "ARRefundCreditCard", Kind: kindTxn, Entity: "CustomerRef", Account: "RefundFromAccountRef"},
	{Name: "SalesTaxPaymentCheck", Kind: kindTxn, Entity: "PayeeEntityRef", Account: "BankAccountRef"},
	{Name: "InventoryAdjustment", Kind: kindTxn, Entity: "CustomerRef", Account: "AccountRef"},
	{Name: "BuildAssembly", Kind: kindTxn, Feature: FeatureAssemblies},
	{Name: "TransferInventory", Kind: kindTxn, Feature: FeatureSites},
	{Name: "TimeTracking", Kind: kindTxn, Entity: "EntityRef"},
	{Name: "VehicleMileage", Kind: kindTxn, Entity: "CustomerRef"},
}

// typeRegistry indexes objTypes by name and by Ret element name.
type typeRegistry struct {
	byName map[string]*objType
	byRet  map[string]*objType
}

func newTypeRegistry() *typeRegistry {
	r := &typeRegistry{byName: map[string]*objType{}, byRet: map[string]*objType{}}
	for i := range objTypes {
		t := &objTypes[i]
		r.byName[t.Name] = t
		r.byRet[t.Ret()] = t
	}
	return r
}

// queryTypes returns the object types a XxxQueryRq returns, from the Ret
// elements its XxxQueryRs may contain.
func (r *typeRegistry) queryTypes(queryName string) []*objType {
	model, ok := contentModel(queryName + "QueryRs")
	if !ok {
		return nil
	}
	var out []*objType
	for _, c := range model.Children {
		if t, ok := r.byRet[c.Name]; ok {
			out = append(out, t)
		}
	}
	return out
}

// refTarget says which namespace (and object types) a reference element
// points into. owner is the type of the object holding the reference, used
// for ParentRef. ok is false for references the simulator does not check.
func refTarget(refName string, owner *objType) (ns string, types []string, ok bool) {
	switch refName {
	case "ParentRef":
		if owner != nil && owner.NS != "" {
			if owner.NS == "Item" || owner.NS == "Entity" {
				return owner.NS, []string{owner.Name}, true
			}
			return owner.NS, nil, true
		}
		return "", nil, false
	case "CustomerRef", "ReceivedFromRef":
		return "Entity", []string{"Customer"}, true
	case "VendorRef", "PrefVendorRef", "TaxVendorRef", "TaxAgencyVendorRef":
		return "Entity", []string{"Vendor"}, true
	case "SupervisorRef":
		return "Entity", []string{"Employee"}, true
	case "ShipToEntityRef":
		return "Entity", nil, true
	case "DiscountClassRef", "OverrideClassRef":
		return "Class", nil, true
	case "ItemPurchaseTaxRef":
		return "Item", nil, true
	case "PurchaseTaxCodeRef":
		return "SalesTaxCode", nil, true
	case "EmployeeRef":
		return "Entity", []string{"Employee"}, true
	case "EntityRef", "PayeeEntityRef":
		return "Entity", nil, true
	case "SalesRepEntityRef":
		// A sales rep is an employee, a vendor or an other name.
		return "Entity", []string{"Employee", "Vendor", "OtherName"}, true
	case "ItemRef", "ItemSalesTaxRef", "SalesTaxItemRef":
		return "Item", nil, true
	case "ItemGroupRef":
		return "Item", []string{"ItemGroup"}, true
	case "ClassRef":
		return "Class", nil, true
	case "TermsRef":
		return "Terms", nil, true
	case "SalesRepRef":
		return "SalesRep", nil, true
	case "SalesTaxCodeRef", "CustomerSalesTaxCodeRef", "TaxCodeRef":
		return "SalesTaxCode", nil, true
	case "PaymentMethodRef", "PreferredPaymentMethodRef":
		return "PaymentMethod", nil, true
	case "ShipMethodRef":
		return "ShipMethod", nil, true
	case "CustomerTypeRef":
		return "CustomerType", nil, true
	case "VendorTypeRef":
		return "VendorType", nil, true
	case "JobTypeRef":
		return "JobType", nil, true
	case "CustomerMsgRef":
		return "CustomerMsg", nil, true
	case "PriceLevelRef":
		return "PriceLevel", nil, true
	case "TemplateRef":
		return "Template", nil, true
	case "CurrencyRef":
		return "Currency", nil, true
	case "InventorySiteRef", "FromInventorySiteRef", "ToInventorySiteRef", "ParentSiteRef":
		return "InventorySite", nil, true
	case "PayrollItemWageRef":
		return "PayrollItem", []string{"PayrollItemWage"}, true
	case "WorkersCompCodeRef":
		return "WorkersCompCode", nil, true
	case "UnitOfMeasureSetRef", "OverrideUOMSetRef":
		return "UnitOfMeasureSet", nil, true
	case "VehicleRef":
		return "Vehicle", nil, true
	case "BillingRateRef":
		return "BillingRate", nil, true
	case "LeadRef":
		return "Lead", nil, true
	case "ItemInventoryAssemblyRef":
		return "Item", []string{"ItemInventoryAssembly"}, true
	case "ItemServiceRef":
		return "Item", []string{"ItemService"}, true
	case "ItemInventoryRef":
		// Assembly components may be any item, whatever the name says.
		return "Item", nil, true
	}
	if strings.HasSuffix(refName, "AccountRef") {
		return "Account", nil, true
	}
	return "", nil, false
}
