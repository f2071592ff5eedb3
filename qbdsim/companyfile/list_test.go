package companyfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A SalesRep has no Name: QuickBooks names it by its Initial (at most five
// characters, unique whatever the case) and links it to an employee, a
// vendor or an other name through SalesRepEntityRef.
func TestSalesRepIsNamedByItsInitial(t *testing.T) {
	f, _ := newTestFile(t)
	emp := kid(ok(t, f, `<EmployeeAddRq><EmployeeAdd><FirstName>Ada</FirstName><LastName>Lovelace</LastName></EmployeeAdd></EmployeeAddRq>`), "EmployeeRet")
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme Corp</Name></CustomerAdd></CustomerAddRq>`)

	rep := kid(ok(t, f, `<SalesRepAddRq><SalesRepAdd><Initial>AL</Initial><SalesRepEntityRef><FullName>Ada Lovelace</FullName></SalesRepEntityRef></SalesRepAdd></SalesRepAddRq>`), "SalesRepRet")
	got := []string{textAt(rep, "Initial"), textAt(rep, "IsActive"), textAt(rep, "SalesRepEntityRef/ListID"), textAt(rep, "SalesRepEntityRef/FullName")}
	want := []string{"AL", "true", textAt(emp, "ListID"), "Ada Lovelace"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SalesRepRet (-want +got):\n%s", diff)
	}
	if textAt(rep, "ListID") == "" || textAt(rep, "EditSequence") == "" {
		t.Errorf("SalesRepRet has no ListID or EditSequence: %s", marshalNode(rep))
	}

	for name, tc := range map[string]struct{ body, code string }{
		"initial in use, other case": {`<SalesRepAdd><Initial>al</Initial><SalesRepEntityRef><FullName>Ada Lovelace</FullName></SalesRepEntityRef></SalesRepAdd>`, "3100"},
		"initial too long":           {`<SalesRepAdd><Initial>ABCDEF</Initial><SalesRepEntityRef><FullName>Ada Lovelace</FullName></SalesRepEntityRef></SalesRepAdd>`, "3070"},
		"entity is a customer":       {`<SalesRepAdd><Initial>AC</Initial><SalesRepEntityRef><FullName>Acme Corp</FullName></SalesRepEntityRef></SalesRepAdd>`, "3140"},
		"unknown entity":             {`<SalesRepAdd><Initial>NB</Initial><SalesRepEntityRef><FullName>Nobody</FullName></SalesRepEntityRef></SalesRepAdd>`, "3140"},
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, one(t, f, `<SalesRepAddRq>`+tc.body+`</SalesRepAddRq>`), tc.code)
		})
	}
	if n, _ := f.Count(t.Context(), "SalesRep"); n != 1 {
		t.Errorf("%d sales reps after the refused adds, want 1", n)
	}

	// Transactions and queries name the rep by its initial.
	inv := kid(ok(t, f, `<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>Acme Corp</FullName></CustomerRef><SalesRepRef><FullName>al</FullName></SalesRepRef>
		<InvoiceLineAdd><Desc>Setup</Desc><Amount>10.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>`), "InvoiceRet")
	if got := textAt(inv, "SalesRepRef/ListID"); got != textAt(rep, "ListID") {
		t.Errorf("invoice SalesRepRef ListID %q, want %q", got, textAt(rep, "ListID"))
	}
	if got := textAt(ok(t, f, `<SalesRepQueryRq><FullName>AL</FullName></SalesRepQueryRq>`), "SalesRepRet/ListID"); got != textAt(rep, "ListID") {
		t.Errorf("SalesRepQuery by initial: %q", got)
	}

	// A new initial renames the rep; the old one is free again.
	mod := kid(ok(t, f, `<SalesRepModRq><SalesRepMod><ListID>`+textAt(rep, "ListID")+`</ListID><EditSequence>`+textAt(rep, "EditSequence")+`</EditSequence><Initial>ADA</Initial></SalesRepMod></SalesRepModRq>`), "SalesRepRet")
	if textAt(mod, "Initial") != "ADA" || textAt(mod, "SalesRepEntityRef/ListID") != textAt(emp, "ListID") {
		t.Errorf("after SalesRepMod: %s", marshalNode(mod))
	}
	wantStatus(t, one(t, f, `<SalesRepQueryRq><FullName>AL</FullName></SalesRepQueryRq>`), "500")
	ok(t, f, `<VendorAddRq><VendorAdd><Name>Agent Lee</Name></VendorAdd></VendorAddRq>`)
	ok(t, f, `<SalesRepAddRq><SalesRepAdd><Initial>AL</Initial><SalesRepEntityRef><FullName>Agent Lee</FullName></SalesRepEntityRef></SalesRepAdd></SalesRepAddRq>`)
}

// Each list type is named the way QuickBooks names it: standard and
// date-driven terms share one namespace, types and classes are
// hierarchical (FullName "Parent:Child"), and transactions need no
// RefNumber where QuickBooks does not number them.
func TestListNamingRules(t *testing.T) {
	f, _ := newTestFile(t)
	steps := []struct {
		name, body, code string
		path, want       string // an element of the answer, when code is 0
	}{
		{"standard terms", `<StandardTermsAddRq><StandardTermsAdd><Name>Net 45</Name><StdDueDays>45</StdDueDays></StandardTermsAdd></StandardTermsAddRq>`, "0", "StandardTermsRet/Name", "Net 45"},
		{"date-driven terms share the namespace", `<DateDrivenTermsAddRq><DateDrivenTermsAdd><Name>net 45</Name><DayOfMonthDue>15</DayOfMonthDue></DateDrivenTermsAdd></DateDrivenTermsAddRq>`, "3100", "", ""},
		{"standard terms see date-driven names", `<StandardTermsAddRq><StandardTermsAdd><Name>Due 10th of next month</Name></StandardTermsAdd></StandardTermsAddRq>`, "3100", "", ""},
		{"payment method", `<PaymentMethodAddRq><PaymentMethodAdd><Name>Wire</Name><PaymentMethodType>Other</PaymentMethodType></PaymentMethodAdd></PaymentMethodAddRq>`, "0", "PaymentMethodRet/Name", "Wire"},
		{"payment method in use", `<PaymentMethodAddRq><PaymentMethodAdd><Name>WIRE</Name></PaymentMethodAdd></PaymentMethodAddRq>`, "3100", "", ""},
		{"ship method", `<ShipMethodAddRq><ShipMethodAdd><Name>Courier</Name></ShipMethodAdd></ShipMethodAddRq>`, "0", "ShipMethodRet/Name", "Courier"},
		{"ship method name too long", `<ShipMethodAddRq><ShipMethodAdd><Name>Overnight Courier</Name></ShipMethodAdd></ShipMethodAddRq>`, "3070", "", ""},
		{"sub customer type", `<CustomerTypeAddRq><CustomerTypeAdd><Name>Retail</Name><ParentRef><FullName>Commercial</FullName></ParentRef></CustomerTypeAdd></CustomerTypeAddRq>`, "0", "CustomerTypeRet/FullName", "Commercial:Retail"},
		{"same name under another parent", `<CustomerTypeAddRq><CustomerTypeAdd><Name>Retail</Name><ParentRef><FullName>Residential</FullName></ParentRef></CustomerTypeAdd></CustomerTypeAddRq>`, "0", "CustomerTypeRet/Sublevel", "1"},
		{"same full name", `<CustomerTypeAddRq><CustomerTypeAdd><Name>retail</Name><ParentRef><FullName>Commercial</FullName></ParentRef></CustomerTypeAdd></CustomerTypeAddRq>`, "3100", "", ""},
		{"sub vendor type", `<VendorTypeAddRq><VendorTypeAdd><Name>Paper</Name><ParentRef><FullName>Suppliers</FullName></ParentRef></VendorTypeAdd></VendorTypeAddRq>`, "0", "VendorTypeRet/FullName", "Suppliers:Paper"},
		{"job type", `<JobTypeAddRq><JobTypeAdd><Name>Remodel</Name></JobTypeAdd></JobTypeAddRq>`, "0", "JobTypeRet/FullName", "Remodel"},
		{"sub job type", `<JobTypeAddRq><JobTypeAdd><Name>Kitchen</Name><ParentRef><FullName>Remodel</FullName></ParentRef></JobTypeAdd></JobTypeAddRq>`, "0", "JobTypeRet/FullName", "Remodel:Kitchen"},
		{"class", `<ClassAddRq><ClassAdd><Name>East</Name></ClassAdd></ClassAddRq>`, "0", "ClassRet/Sublevel", "0"},
		{"sub sub class", `<ClassAddRq><ClassAdd><Name>Boston</Name><ParentRef><FullName>East</FullName></ParentRef></ClassAdd></ClassAddRq>`, "0", "ClassRet/FullName", "East:Boston"},
		{"class under a customer type", `<ClassAddRq><ClassAdd><Name>Odd</Name><ParentRef><FullName>Remodel</FullName></ParentRef></ClassAdd></ClassAddRq>`, "3140", "", ""},
		{"name with a colon", `<ClassAddRq><ClassAdd><Name>East:Boston</Name></ClassAdd></ClassAddRq>`, "3210", "", ""},
		{"journal entry without RefNumber", `<JournalEntryAddRq><JournalEntryAdd><TxnDate>2025-01-31</TxnDate>
			<JournalDebitLine><AccountRef><FullName>Checking</FullName></AccountRef><Amount>5</Amount></JournalDebitLine>
			<JournalCreditLine><AccountRef><FullName>Owners Equity</FullName></AccountRef><Amount>5</Amount></JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>`, "0", "JournalEntryRet/RefNumber", ""},
		{"transfer", `<TransferAddRq><TransferAdd><TxnDate>2025-01-31</TxnDate><TransferFromAccountRef><FullName>Checking</FullName></TransferFromAccountRef>
			<TransferToAccountRef><FullName>Savings</FullName></TransferToAccountRef><Amount>12.5</Amount></TransferAdd></TransferAddRq>`, "0", "TransferRet/Amount", "12.50"},
	}
	for _, s := range steps {
		rs := one(t, f, s.body)
		if got := attrValue(rs, "statusCode"); got != s.code {
			t.Errorf("%s: status %s (%s), want %s", s.name, got, attrValue(rs, "statusMessage"), s.code)
			continue
		}
		if s.code == "0" {
			if got := textAt(rs, s.path); got != s.want {
				t.Errorf("%s: %s = %q, want %q", s.name, s.path, got, s.want)
			}
		}
	}
	if got := textAt(ok(t, f, `<CustomerTypeQueryRq><FullName>Commercial:Retail</FullName></CustomerTypeQueryRq>`), "CustomerTypeRet/ParentRef/FullName"); got != "Commercial" {
		t.Errorf("sub type's ParentRef FullName %q", got)
	}
}
