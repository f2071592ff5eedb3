package companyfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCreateThenOpenKeepsCompanyNameUsersAndMeta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Acme.qbw")
	f, err := Create(path, "Acme Plumbing", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.PutMeta("integrated-apps", []byte(`{"apps":[]}`)); err != nil {
		t.Fatal(err)
	}
	if err := f.AddUser("Bookkeeper"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetMeta("missing"); !errors.Is(err, ErrNoMeta) {
		t.Fatalf("GetMeta(missing) = %v, want ErrNoMeta", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	g, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got := g.CompanyName(); got != "Acme Plumbing" {
		t.Errorf("CompanyName = %q", got)
	}
	if got := g.Path(); got != path {
		t.Errorf("Path = %q", got)
	}
	if diff := cmp.Diff([]string{"Admin", "Bookkeeper"}, g.Users()); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	v, err := g.GetMeta("integrated-apps")
	if err != nil || string(v) != `{"apps":[]}` {
		t.Errorf("GetMeta = %q, %v", v, err)
	}
}

func TestOpenMissingOrForeignFileFails(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "nope.qbw"), Options{}); !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotFound wrapping fs.ErrNotExist", err)
	}
	text := filepath.Join(dir, "text.qbw")
	os.WriteFile(text, []byte("hello, not a database"), 0o644)
	if _, err := Open(text, Options{}); !errors.Is(err, ErrNotCompanyFile) {
		t.Errorf("Open(text) = %v, want ErrNotCompanyFile", err)
	}
	if _, err := Create(text, "X", Options{}); err == nil {
		t.Error("Create over an existing file succeeded")
	}
}

func TestNewCompanyHasStandardLists(t *testing.T) {
	f, _ := newTestFile(t)
	rs := ok(t, f, `<AccountQueryRq requestID="1"><FullName>Accounts Receivable</FullName></AccountQueryRq>`)
	if got := textAt(rs, "AccountRet/AccountType"); got != "AccountsReceivable" {
		t.Errorf("AccountType = %q", got)
	}
	rs = ok(t, f, `<TermsQueryRq/>`)
	if len(kids(rs, "StandardTermsRet")) < 5 || len(kids(rs, "DateDrivenTermsRet")) != 1 {
		t.Errorf("terms: %d standard, %d date-driven", len(kids(rs, "StandardTermsRet")), len(kids(rs, "DateDrivenTermsRet")))
	}
	for _, q := range []string{"PaymentMethod", "SalesTaxCode", "ShipMethod", "CustomerType", "VendorType", "Item", "Vendor", "CustomerMsg"} {
		rs := ok(t, f, `<`+q+`QueryRq/>`)
		if len(rs.Children) == 0 {
			t.Errorf("%s: no records", q)
		}
	}
}

func TestHostCompanyPreferencesQueries(t *testing.T) {
	f, _ := newTestFile(t)
	s := testSession
	s.Access = AccessRights{IsAutomaticLoginAllowed: true, AutomaticLoginUserName: "Admin", IsPersonalDataAccessAllowed: false}
	s.Host = HostInfo{ProductName: "QuickBooks Pro 2014", MajorVersion: "24", FileMode: "MultiUser"}
	rs := runAs(t, f, s, `onError="continueOnError"`, `<HostQueryRq requestID="0"/><CompanyQueryRq requestID="1"/><PreferencesQueryRq requestID="2"/>`)
	if len(rs.Children) != 3 {
		t.Fatalf("%d responses", len(rs.Children))
	}
	host, company, prefs := rs.Children[0], rs.Children[1], rs.Children[2]
	got := []string{attrValue(host, "requestID"), attrValue(company, "requestID"), attrValue(prefs, "requestID"),
		textAt(host, "HostRet/ProductName"), textAt(host, "HostRet/QBFileMode"), textAt(company, "CompanyRet/CompanyName"),
		textAt(prefs, "PreferencesRet/CurrentAppAccessRights/IsAutomaticLoginAllowed"),
		textAt(prefs, "PreferencesRet/CurrentAppAccessRights/AutomaticLoginUserName"),
		textAt(prefs, "PreferencesRet/CurrentAppAccessRights/IsPersonalDataAccessAllowed")}
	want := []string{"0", "1", "2", "QuickBooks Pro 2014", "MultiUser", "Test Company", "true", "Admin", "false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := len(kids(kid(host, "HostRet"), "SupportedQBXMLVersion")); n < 10 {
		t.Errorf("%d supported versions", n)
	}
}

func TestCustomerAddReturnsQuickBooksIdentifiersAndQueryFindsIt(t *testing.T) {
	f, _ := newTestFile(t)
	rs := ok(t, f, `<CustomerAddRq requestID="7"><CustomerAdd><Name>Jane Doe</Name><CompanyName>Doe &amp; Sons</CompanyName>
		<BillAddress><Addr1>1 Main St</Addr1><City>Springfield</City></BillAddress>
		<Phone>555-0100</Phone><TermsRef><FullName>Net 30</FullName></TermsRef><OpenBalance>125.5</OpenBalance></CustomerAdd></CustomerAddRq>`)
	c := kid(rs, "CustomerRet")
	id := textAt(c, "ListID")
	if !strings.Contains(id, "-") || len(strings.Split(id, "-")[1]) != 10 {
		t.Errorf("ListID %q is not hex-epoch", id)
	}
	if textAt(c, "EditSequence") == "" || textAt(c, "TimeCreated") == "" || !strings.HasSuffix(textAt(c, "TimeCreated"), "-05:00") {
		t.Errorf("EditSequence %q TimeCreated %q", textAt(c, "EditSequence"), textAt(c, "TimeCreated"))
	}
	got := []string{textAt(c, "Name"), textAt(c, "FullName"), textAt(c, "IsActive"), textAt(c, "Sublevel"), textAt(c, "CompanyName"), textAt(c, "BillAddress/City"),
		textAt(c, "TermsRef/FullName"), textAt(c, "Balance"), textAt(c, "TotalBalance")}
	want := []string{"Jane Doe", "Jane Doe", "true", "0", "Doe & Sons", "Springfield", "Net 30", "125.50", "125.50"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if textAt(c, "TermsRef/ListID") == "" {
		t.Error("TermsRef has no ListID")
	}

	q := ok(t, f, `<CustomerQueryRq><ListID>`+id+`</ListID></CustomerQueryRq>`)
	if len(kids(q, "CustomerRet")) != 1 || textAt(q, "CustomerRet/Name") != "Jane Doe" {
		t.Errorf("query by ListID: %d records, name %q", len(kids(q, "CustomerRet")), textAt(q, "CustomerRet/Name"))
	}
	q = ok(t, f, `<CustomerQueryRq><FullName>jane doe</FullName><IncludeRetElement>ListID</IncludeRetElement><IncludeRetElement>Name</IncludeRetElement></CustomerQueryRq>`)
	var names []string
	for _, k := range kid(q, "CustomerRet").Children {
		names = append(names, k.Name)
	}
	if diff := cmp.Diff([]string{"ListID", "Name"}, names); diff != "" {
		t.Errorf("IncludeRetElement (-want +got):\n%s", diff)
	}
}

func TestDuplicateNameIsRejectedAcrossEntityTypes(t *testing.T) {
	f, _ := newTestFile(t)
	ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Acme</Name></CustomerAdd></CustomerAddRq>`)
	wantStatus(t, one(t, f, `<CustomerAddRq><CustomerAdd><Name>ACME</Name></CustomerAdd></CustomerAddRq>`), "3100")
	wantStatus(t, one(t, f, `<VendorAddRq><VendorAdd><Name>Acme</Name></VendorAdd></VendorAddRq>`), "3100")
	// Items live in their own namespace.
	ok(t, f, `<ItemServiceAddRq><ItemServiceAdd><Name>Acme</Name><SalesOrPurchase><Price>10</Price><AccountRef><FullName>Services</FullName></AccountRef></SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>`)
}

func TestInvalidReferenceIsRejectedAndChangesNothing(t *testing.T) {
	f, _ := newTestFile(t)
	rs := one(t, f, `<CustomerAddRq><CustomerAdd><Name>Bob</Name><TermsRef><FullName>Net 999</FullName></TermsRef></CustomerAdd></CustomerAddRq>`)
	wantStatus(t, rs, "3140")
	wantStatus(t, one(t, f, `<CustomerQueryRq><FullName>Bob</FullName></CustomerQueryRq>`), "500")
}

func TestMalformedRequestsReturnErrParse(t *testing.T) {
	f, _ := newTestFile(t)
	for name, req := range map[string]string{
		"not xml":          `this is not xml`,
		"unclosed":         `<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq></QBXMLMsgsRq></QBXML>`,
		"no onError":       `<QBXML><QBXMLMsgsRq><CustomerQueryRq/></QBXMLMsgsRq></QBXML>`,
		"unknown request":  `<QBXML><QBXMLMsgsRq onError="stopOnError"><FrobnicateRq/></QBXMLMsgsRq></QBXML>`,
		"wrong order":      `<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><IsActive>true</IsActive><Name>X</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>`,
		"missing required": `<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><CompanyName>X</CompanyName></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>`,
		"bad enum":         `<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><ActiveStatus>Sometimes</ActiveStatus></CustomerQueryRq></QBXMLMsgsRq></QBXML>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.Process(context.Background(), []byte(req), testSession)
			if !errors.Is(err, ErrParse) {
				t.Fatalf("err = %v, want ErrParse", err)
			}
		})
	}
}
