package companyfile

import (
	"context"

	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// supportedVersions are the qbXML versions QuickBooks 2014 and later report.
var supportedVersions = []string{"1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "13.0"}

func (f *File) hostQuery(rq *request, rs *response) error {
	h := rq.sess.Host
	ret := qbxml.NewNode("HostRet",
		qbxml.NewText("ProductName", orDefault(h.ProductName, "QuickBooks Enterprise Solutions 24.0")),
		qbxml.NewText("MajorVersion", orDefault(h.MajorVersion, "24")),
		qbxml.NewText("MinorVersion", orDefault(h.MinorVersion, "0")),
		qbxml.NewText("Country", orDefault(h.Country, "US")),
	)
	for _, v := range supportedVersions {
		ret.Children = append(ret.Children, qbxml.NewText("SupportedQBXMLVersion", v))
	}
	ret.Children = append(ret.Children, qbxml.NewText("IsAutomaticLogin", boolText(h.IsAutomaticLogin)), qbxml.NewText("QBFileMode", orDefault(h.FileMode, "SingleUser")))
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

func (f *File) companyQuery(ctx context.Context, rq *request, rs *response) error {
	info := map[string]string{}
	rows, err := f.db.QueryContext(ctx, `SELECT key, value FROM meta WHERE key LIKE 'company.%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		info[k[len("company."):]] = string(v)
	}
	rows.Close()
	addr := func(name, prefix string) *qbxml.Node {
		a := &qbxml.Node{Name: name}
		for _, k := range []string{"Addr1", "Addr2", "City", "State", "PostalCode", "Country"} {
			if v := info[prefix+k]; v != "" {
				a.Children = append(a.Children, qbxml.NewText(k, v))
			}
		}
		return a
	}
	ret := qbxml.NewNode("CompanyRet",
		qbxml.NewText("IsSampleCompany", "false"),
		qbxml.NewText("CompanyName", f.name),
		qbxml.NewText("LegalCompanyName", orDefault(info["legalName"], f.name)),
	)
	if a := addr("Address", "address."); len(a.Children) > 0 {
		ret.Children = append(ret.Children, a)
		la := addr("LegalAddress", "address.")
		ret.Children = append(ret.Children, la)
	}
	for _, k := range []string{"Phone", "Email", "CompanyWebSite"} {
		if v := info[k]; v != "" {
			ret.Children = append(ret.Children, qbxml.NewText(k, v))
		}
	}
	ret.Children = append(ret.Children, qbxml.NewText("FirstMonthFiscalYear", "January"), qbxml.NewText("FirstMonthIncomeTaxYear", "January"))
	if v := info["EIN"]; v != "" {
		ret.Children = append(ret.Children, qbxml.NewText("EIN", v))
	}
	ret.Children = append(ret.Children, qbxml.NewText("TaxForm", "Form1120"))
	var owners []string
	for _, o := range kids(rq.el, "OwnerID") {
		owners = append(owners, o.Text)
	}
	if len(owners) > 0 {
		ext, err := f.dataExtFor(ctx, []string{companyObjectID}, owners)
		if err != nil {
			return err
		}
		ret.Children = append(ret.Children, ext[companyObjectID]...)
	}
	model, _ := contentModel("CompanyRet")
	newOrderer().order(ret, model)
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

// companyObjectID is the object ID under which the company's own DataExt
// values are kept (DataExtAdd with OwnerID and "Company" as the object).
const companyObjectID = "Company"

func (f *File) preferencesQuery(ctx context.Context, rq *request, rs *response) error {
	multi, err := f.hasFeature(ctx, FeatureMultiCurrency)
	if err != nil {
		return err
	}
	a := rq.sess.Access
	b := func(name string, v bool) *qbxml.Node { return qbxml.NewText(name, boolText(v)) }
	ref := func(name, full string) *qbxml.Node { return qbxml.NewNode(name, qbxml.NewText("FullName", full)) }
	rights := qbxml.NewNode("CurrentAppAccessRights", b("IsAutomaticLoginAllowed", a.IsAutomaticLoginAllowed))
	if a.AutomaticLoginUserName != "" {
		rights.Children = append(rights.Children, qbxml.NewText("AutomaticLoginUserName", a.AutomaticLoginUserName))
	}
	rights.Children = append(rights.Children, b("IsPersonalDataAccessAllowed", a.IsPersonalDataAccessAllowed))
	ret := qbxml.NewNode("PreferencesRet",
		qbxml.NewNode("AccountingPreferences", b("IsUsingAccountNumbers", false), b("IsRequiringAccounts", true), b("IsUsingClassTracking", true),
			b("IsUsingAuditTrail", true), b("IsAssigningJournalEntryNumbers", true)),
		qbxml.NewNode("FinanceChargePreferences", qbxml.NewText("AnnualInterestRate", "0"), qbxml.NewText("MinFinanceCharge", "0.00"), qbxml.NewText("GracePeriod", "0"),
			b("IsAssessingForOverdueCharges", false), qbxml.NewText("CalculateChargesFrom", "DueDate"), b("IsMarkedToBePrinted", false)),
		qbxml.NewNode("JobsAndEstimatesPreferences", b("IsUsingEstimates", true), b("IsUsingProgressInvoicing", false), b("IsPrintingItemsWithZeroAmounts", false)),
		multiCurrencyPrefs(multi),
		qbxml.NewNode("PurchasesAndVendorsPreferences", b("IsUsingInventory", true), qbxml.NewText("DaysBillsAreDue", "10"), b("IsAutomaticallyUsingDiscounts", false)),
		qbxml.NewNode("ReportsPreferences", qbxml.NewText("AgingReportBasis", "AgeFromDueDate"), qbxml.NewText("SummaryReportBasis", "Accrual")),
		qbxml.NewNode("SalesAndCustomersPreferences", b("IsTrackingReimbursedExpensesAsIncome", false), b("IsAutoApplyingPayments", false)),
		qbxml.NewNode("SalesTaxPreferences", ref("DefaultItemSalesTaxRef", defaultSalesTaxItem), qbxml.NewText("PaySalesTax", "Monthly"),
			ref("DefaultTaxableSalesTaxCodeRef", "Tax"), ref("DefaultNonTaxableSalesTaxCodeRef", "Non")),
		qbxml.NewNode("TimeTrackingPreferences", qbxml.NewText("FirstDayOfWeek", "Monday")),
		rights,
	)
	model, _ := contentModel("PreferencesRet")
	newOrderer().order(ret, model)
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

// multiCurrencyPrefs reports the multicurrency feature; a company that
// has it keeps its books in US dollars.
func multiCurrencyPrefs(on bool) *qbxml.Node {
	p := qbxml.NewNode("MultiCurrencyPreferences", qbxml.NewText("IsMultiCurrencyOn", boolText(on)))
	if on {
		p.Add(qbxml.NewNode("HomeCurrencyRef", qbxml.NewText("FullName", "US Dollar")))
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }
