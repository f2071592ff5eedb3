package companyfile

import (
	"context"
	"sort"
	"strconv"
)

// supportedVersions are the qbXML versions QuickBooks 2014 and later report.
var supportedVersions = []string{"1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "13.0"}

func (f *File) hostQuery(rq *request, rs *response) error {
	h := rq.sess.Host
	ret := newElem("HostRet",
		textElem("ProductName", orDefault(h.ProductName, "QuickBooks Enterprise Solutions 24.0")),
		textElem("MajorVersion", orDefault(h.MajorVersion, "24")),
		textElem("MinorVersion", orDefault(h.MinorVersion, "0")),
		textElem("Country", orDefault(h.Country, "US")),
	)
	for _, v := range supportedVersions {
		ret.Kids = append(ret.Kids, textElem("SupportedQBXMLVersion", v))
	}
	ret.Kids = append(ret.Kids, textElem("IsAutomaticLogin", boolText(h.IsAutomaticLogin)), textElem("QBFileMode", orDefault(h.FileMode, "SingleUser")))
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
	addr := func(name, prefix string) *elem {
		a := &elem{Name: name}
		for _, k := range []string{"Addr1", "Addr2", "City", "State", "PostalCode", "Country"} {
			if v := info[prefix+k]; v != "" {
				a.Kids = append(a.Kids, textElem(k, v))
			}
		}
		return a
	}
	ret := newElem("CompanyRet",
		textElem("IsSampleCompany", "false"),
		textElem("CompanyName", f.name),
		textElem("LegalCompanyName", orDefault(info["legalName"], f.name)),
	)
	if a := addr("Address", "address."); len(a.Kids) > 0 {
		ret.Kids = append(ret.Kids, a)
		la := addr("LegalAddress", "address.")
		ret.Kids = append(ret.Kids, la)
	}
	for _, k := range []string{"Phone", "Email", "CompanyWebSite"} {
		if v := info[k]; v != "" {
			ret.Kids = append(ret.Kids, textElem(k, v))
		}
	}
	ret.Kids = append(ret.Kids, textElem("FirstMonthFiscalYear", "January"), textElem("FirstMonthIncomeTaxYear", "January"))
	if v := info["EIN"]; v != "" {
		ret.Kids = append(ret.Kids, textElem("EIN", v))
	}
	ret.Kids = append(ret.Kids, textElem("TaxForm", "Form1120"))
	var owners []string
	for _, o := range rq.el.all("OwnerID") {
		owners = append(owners, o.Text)
	}
	if len(owners) > 0 {
		ext, err := f.dataExtFor(ctx, []string{companyObjectID}, owners)
		if err != nil {
			return err
		}
		ret.Kids = append(ret.Kids, ext[companyObjectID]...)
	}
	model, _ := contentModel("CompanyRet")
	orderTree(ret, model)
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

// companyObjectID is the object ID under which the company's own DataExt
// values are kept (DataExtAdd with OwnerID and "Company" as the object).
const companyObjectID = "Company"

func (f *File) preferencesQuery(rq *request, rs *response) error {
	a := rq.sess.Access
	b := func(name string, v bool) *elem { return textElem(name, boolText(v)) }
	ref := func(name, full string) *elem { return newElem(name, textElem("FullName", full)) }
	rights := newElem("CurrentAppAccessRights", b("IsAutomaticLoginAllowed", a.IsAutomaticLoginAllowed))
	if a.AutomaticLoginUserName != "" {
		rights.Kids = append(rights.Kids, textElem("AutomaticLoginUserName", a.AutomaticLoginUserName))
	}
	rights.Kids = append(rights.Kids, b("IsPersonalDataAccessAllowed", a.IsPersonalDataAccessAllowed))
	ret := newElem("PreferencesRet",
		newElem("AccountingPreferences", b("IsUsingAccountNumbers", false), b("IsRequiringAccounts", true), b("IsUsingClassTracking", true),
			b("IsUsingAuditTrail", true), b("IsAssigningJournalEntryNumbers", true)),
		newElem("FinanceChargePreferences", textElem("AnnualInterestRate", "0"), textElem("MinFinanceCharge", "0.00"), textElem("GracePeriod", "0"),
			b("IsAssessingForOverdueCharges", false), textElem("CalculateChargesFrom", "DueDate"), b("IsMarkedToBePrinted", false)),
		newElem("JobsAndEstimatesPreferences", b("IsUsingEstimates", true), b("IsUsingProgressInvoicing", false), b("IsPrintingItemsWithZeroAmounts", false)),
		newElem("MultiCurrencyPreferences", b("IsMultiCurrencyOn", false)),
		newElem("PurchasesAndVendorsPreferences", b("IsUsingInventory", true), textElem("DaysBillsAreDue", "10"), b("IsAutomaticallyUsingDiscounts", false)),
		newElem("ReportsPreferences", textElem("AgingReportBasis", "AgeFromDueDate"), textElem("SummaryReportBasis", "Accrual")),
		newElem("SalesAndCustomersPreferences", b("IsTrackingReimbursedExpensesAsIncome", false), b("IsAutoApplyingPayments", false)),
		newElem("SalesTaxPreferences", ref("DefaultItemSalesTaxRef", defaultSalesTaxItem), textElem("PaySalesTax", "Monthly"),
			ref("DefaultTaxableSalesTaxCodeRef", "Tax"), ref("DefaultNonTaxableSalesTaxCodeRef", "Non")),
		newElem("TimeTrackingPreferences", textElem("FirstDayOfWeek", "Monday")),
		rights,
	)
	model, _ := contentModel("PreferencesRet")
	orderTree(ret, model)
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

// orderTree puts the children of e (recursively) in content-model order.
// Elements of one repeated choice keep their relative order.
func orderTree(e *elem, model *particle) {
	if model == nil {
		return
	}
	pos := map[string]int{}
	var walk func(p *particle, group int)
	n := 0
	walk = func(p *particle, group int) {
		for i := range p.Kids {
			k := &p.Kids[i]
			g := group
			if g < 0 && k.Kind != "e" && k.Max != 1 {
				g = n
			}
			if k.Kind == "e" {
				idx := n
				if g >= 0 {
					idx = g
				}
				if _, ok := pos[k.Name]; !ok {
					pos[k.Name] = idx
				}
				n++
				continue
			}
			walk(k, g)
		}
	}
	walk(model, -1)
	sort.SliceStable(e.Kids, func(i, j int) bool { return pos[e.Kids[i].Name] < pos[e.Kids[j].Name] })
	for _, k := range e.Kids {
		if len(k.Kids) == 0 {
			continue
		}
		if info, ok := lookupChild(model, k.Name); ok && info.model != nil {
			orderTree(k, info.model)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
