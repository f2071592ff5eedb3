package companyfile

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qbconnect/qbconnect/qbxml"
)

// defaultSalesTaxItem is the sales tax item a new company charges.
const defaultSalesTaxItem = "State Tax"

// standardAccounts are the accounts of a new company: name, type, number.
var standardAccounts = [][3]string{
	{"Checking", "Bank", "10100"},
	{"Savings", "Bank", "10200"},
	{"Accounts Receivable", "AccountsReceivable", "11000"},
	{"Undeposited Funds", "OtherCurrentAsset", "12000"},
	{"Inventory Asset", "OtherCurrentAsset", "12100"},
	{"Furniture and Equipment", "FixedAsset", "15000"},
	{"Accounts Payable", "AccountsPayable", "20000"},
	{"Credit Card", "CreditCard", "20500"},
	{"Sales Tax Payable", "OtherCurrentLiability", "25500"},
	{"Payroll Liabilities", "OtherCurrentLiability", "24000"},
	{"Opening Balance Equity", "Equity", "30000"},
	{"Owners Equity", "Equity", "30100"},
	{"Retained Earnings", "Equity", "32000"},
	{"Sales", "Income", "40000"},
	{"Services", "Income", "40100"},
	{"Product Sales", "Income", "40200"},
	{"Cost of Goods Sold", "CostOfGoodsSold", "50000"},
	{"Advertising and Promotion", "Expense", "60000"},
	{"Bank Service Charges", "Expense", "60400"},
	{"Insurance Expense", "Expense", "63300"},
	{"Office Supplies", "Expense", "64900"},
	{"Payroll Expenses", "Expense", "66000"},
	{"Professional Fees", "Expense", "66700"},
	{"Rent Expense", "Expense", "67100"},
	{"Repairs and Maintenance", "Expense", "67200"},
	{"Telephone Expense", "Expense", "68100"},
	{"Travel Expense", "Expense", "68400"},
	{"Utilities", "Expense", "68600"},
	{"Ask My Accountant", "Expense", "69800"},
	{"Interest Income", "OtherIncome", "70100"},
}

// seedStandardLists adds what a new QuickBooks company file has: accounts,
// terms, payment methods, sales tax codes and item, ship methods, customer
// and vendor types, customer messages, and the form templates.
func (f *File) seedStandardLists(ctx context.Context) error {
	add := func(q querier, typ string, kids ...*qbxml.Node) (*qbxml.Node, error) {
		t := f.reg().byName[typ]
		return f.addObject(ctx, q, t, qbxml.NewNode(typ+"Add", kids...))
	}
	t := qbxml.NewText
	return f.writeTx(ctx, func(tx *sql.Tx) error {
		for _, a := range standardAccounts {
			ret, err := add(tx, "Account", t("Name", a[0]), t("AccountType", a[1]), t("AccountNumber", a[2]))
			if err != nil {
				return fmt.Errorf("companyfile: seed account %s: %w", a[0], err)
			}
			switch a[1] {
			case "AccountsReceivable":
				err = putMetaTx(ctx, tx, "account.ar", textAt(ret, "ListID"))
			case "AccountsPayable":
				err = putMetaTx(ctx, tx, "account.ap", textAt(ret, "ListID"))
			}
			if a[0] == "Undeposited Funds" {
				err = putMetaTx(ctx, tx, "account.undeposited", textAt(ret, "ListID"))
			}
			if err != nil {
				return err
			}
		}
		lists := []struct {
			typ  string
			kids []*qbxml.Node
		}{
			{"StandardTerms", []*qbxml.Node{t("Name", "Due on receipt"), t("StdDueDays", "0")}},
			{"StandardTerms", []*qbxml.Node{t("Name", "Net 15"), t("StdDueDays", "15")}},
			{"StandardTerms", []*qbxml.Node{t("Name", "Net 30"), t("StdDueDays", "30")}},
			{"StandardTerms", []*qbxml.Node{t("Name", "Net 60"), t("StdDueDays", "60")}},
			{"StandardTerms", []*qbxml.Node{t("Name", "1% 10 Net 30"), t("StdDueDays", "30"), t("StdDiscountDays", "10"), t("DiscountPct", "1")}},
			{"StandardTerms", []*qbxml.Node{t("Name", "2% 10 Net 30"), t("StdDueDays", "30"), t("StdDiscountDays", "10"), t("DiscountPct", "2")}},
			{"DateDrivenTerms", []*qbxml.Node{t("Name", "Due 10th of next month"), t("DayOfMonthDue", "10"), t("DueNextMonthDays", "5")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "Cash"), t("PaymentMethodType", "Cash")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "Check"), t("PaymentMethodType", "Check")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "American Express"), t("PaymentMethodType", "AmericanExpress")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "Discover"), t("PaymentMethodType", "Discover")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "MasterCard"), t("PaymentMethodType", "MasterCard")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "Visa"), t("PaymentMethodType", "Visa")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "E-Check"), t("PaymentMethodType", "ECheck")}},
			{"PaymentMethod", []*qbxml.Node{t("Name", "Debit Card"), t("PaymentMethodType", "DebitCard")}},
			{"SalesTaxCode", []*qbxml.Node{t("Name", "Tax"), t("IsTaxable", "true"), t("Desc", "Taxable Sales")}},
			{"SalesTaxCode", []*qbxml.Node{t("Name", "Non"), t("IsTaxable", "false"), t("Desc", "Non-Taxable Sales")}},
			{"ShipMethod", []*qbxml.Node{t("Name", "DHL")}},
			{"ShipMethod", []*qbxml.Node{t("Name", "FedEx")}},
			{"ShipMethod", []*qbxml.Node{t("Name", "UPS")}},
			{"ShipMethod", []*qbxml.Node{t("Name", "US Mail")}},
			{"CustomerType", []*qbxml.Node{t("Name", "Commercial")}},
			{"CustomerType", []*qbxml.Node{t("Name", "Residential")}},
			{"CustomerType", []*qbxml.Node{t("Name", "Referral")}},
			{"VendorType", []*qbxml.Node{t("Name", "Consultant")}},
			{"VendorType", []*qbxml.Node{t("Name", "Service Providers")}},
			{"VendorType", []*qbxml.Node{t("Name", "Suppliers")}},
			{"VendorType", []*qbxml.Node{t("Name", "Tax agency")}},
			{"CustomerMsg", []*qbxml.Node{t("Name", "Thank you for your business.")}},
			{"CustomerMsg", []*qbxml.Node{t("Name", "Please remit to above address.")}},
			{"Vendor", []*qbxml.Node{t("Name", "State Board of Equalization"), qbxml.NewNode("VendorTypeRef", t("FullName", "Tax agency"))}},
			{"Template", []*qbxml.Node{t("Name", "Intuit Product Invoice"), t("TemplateType", "Invoice")}},
			{"Template", []*qbxml.Node{t("Name", "Intuit Professional Invoice"), t("TemplateType", "Invoice")}},
			{"Template", []*qbxml.Node{t("Name", "Intuit Service Invoice"), t("TemplateType", "Invoice")}},
			{"Template", []*qbxml.Node{t("Name", "Custom Credit Memo"), t("TemplateType", "CreditMemo")}},
			{"Template", []*qbxml.Node{t("Name", "Custom Estimate"), t("TemplateType", "Estimate")}},
			{"Template", []*qbxml.Node{t("Name", "Custom Purchase Order"), t("TemplateType", "PurchaseOrder")}},
			{"Template", []*qbxml.Node{t("Name", "Custom Sales Order"), t("TemplateType", "SalesOrder")}},
			{"Template", []*qbxml.Node{t("Name", "Custom Sales Receipt"), t("TemplateType", "SalesReceipt")}},
			{"Template", []*qbxml.Node{t("Name", "Custom Build Assembly"), t("TemplateType", "BuildAssembly")}},
			{"ItemSalesTax", []*qbxml.Node{t("Name", defaultSalesTaxItem), t("ItemDesc", "Sales tax"), t("TaxRate", "7.25"),
				qbxml.NewNode("TaxVendorRef", t("FullName", "State Board of Equalization"))}},
		}
		for _, l := range lists {
			if _, err := add(tx, l.typ, l.kids...); err != nil {
				return fmt.Errorf("companyfile: seed %s: %w", l.typ, err)
			}
		}
		return nil
	})
}
