package companyfile

import (
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // America/Los_Angeles and Australia/Sydney on any machine

	"github.com/google/go-cmp/cmp"
)

// QuickBooks Desktop writes a DATETIMETYPE as the local wall-clock time with
// the time zone's standard offset, even while daylight saving time is in
// effect: "The DateTime is otherwise accurate (follows DST), but the offset
// does not follow DST" (jsgoupil/quickbooks-sync pull request #28, also #33),
// and "When the Daylight Saving Time is activated, the times returned by
// QuickBooks are off by the delta DST (typically 1h)" (that project's
// README). A request's date-time without an offset is the QuickBooks
// computer's local time (jsgoupil/quickbooks-sync#19).
func TestDateTimesCarryTheStandardOffsetDuringDaylightSavingTime(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 1, 15, 10, 0, 0, 0, la) // PST, -08:00
	f, err := Create(filepath.Join(t.TempDir(), "Pacific.qbw"), "Pacific", Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })

	winter := ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Winter Co</Name></CustomerAdd></CustomerAddRq>`)
	spare := textAt(ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Spare Co</Name></CustomerAdd></CustomerAddRq>`), "CustomerRet/ListID")
	addCustomerAndItems(t, f)
	inv := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID")

	now = time.Date(2025, 7, 15, 10, 0, 0, 0, la) // PDT, -07:00
	summer := ok(t, f, `<CustomerAddRq><CustomerAdd><Name>Summer Co</Name></CustomerAdd></CustomerAddRq>`)
	julyInv := textAt(ok(t, f, invoiceAdd), "InvoiceRet/TxnID")
	now = time.Date(2025, 7, 15, 10, 5, 0, 0, la)
	ok(t, f, `<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>`+inv+`</TxnID></TxnDelRq>`)
	ok(t, f, `<ListDelRq><ListDelType>Customer</ListDelType><ListID>`+spare+`</ListID></ListDelRq>`)

	got := map[string]string{
		"January customer TimeModified": textAt(winter, "CustomerRet/TimeModified"),
		"July customer TimeCreated":     textAt(summer, "CustomerRet/TimeCreated"),
		"July customer TimeModified":    textAt(summer, "CustomerRet/TimeModified"),
		"queried July customer TimeModified": textAt(ok(t, f,
			`<CustomerQueryRq><FullName>Summer Co</FullName></CustomerQueryRq>`), "CustomerRet/TimeModified"),
		"TxnDeletedQuery TimeDeleted": textAt(ok(t, f,
			`<TxnDeletedQueryRq><TxnDelType>Invoice</TxnDelType></TxnDeletedQueryRq>`), "TxnDeletedRet/TimeDeleted"),
		"ListDeletedQuery TimeDeleted": textAt(ok(t, f,
			`<ListDeletedQueryRq><ListDelType>Customer</ListDelType></ListDeletedQueryRq>`), "ListDeletedRet/TimeDeleted"),
		"report Last modified": reportModifiedTime(t, f, julyInv),
	}
	want := map[string]string{
		"report Last modified":               "2025-07-15T10:00:00-08:00",
		"January customer TimeModified":      "2025-01-15T10:00:00-08:00",
		"July customer TimeCreated":          "2025-07-15T10:00:00-08:00",
		"July customer TimeModified":         "2025-07-15T10:00:00-08:00",
		"queried July customer TimeModified": "2025-07-15T10:00:00-08:00",
		"TxnDeletedQuery TimeDeleted":        "2025-07-15T10:05:00-08:00",
		"ListDeletedQuery TimeDeleted":       "2025-07-15T10:05:00-08:00",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("date-times (-want +got):\n%s", diff)
	}

	// 09:59 local, without an offset, is before the July customer's 10:00.
	rs := ok(t, f, `<CustomerQueryRq><FromModifiedDate>2025-07-15T09:59:00</FromModifiedDate><ToModifiedDate>2025-07-15T10:01:00</ToModifiedDate></CustomerQueryRq>`)
	if diff := cmp.Diff([]string{"Summer Co"}, customerNames(rs)); diff != "" {
		t.Errorf("customers modified from 09:59 to 10:01 local (-want +got):\n%s", diff)
	}
}

// The standard offset is the smaller of a zone's January and July offsets,
// so a southern-hemisphere zone, on daylight saving time in January, is
// written with its July offset; a zone without daylight saving time keeps
// its one offset. Unverified against QuickBooks outside North America: the
// sources above are reports from US users.
func TestDateTimesCarryTheStandardOffsetInBothHemispheres(t *testing.T) {
	sydney, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2025, 1, 15, 10, 0, 0, 0, sydney), "2025-01-15T10:00:00+10:00"}, // AEDT, +11:00
		{time.Date(2025, 7, 15, 10, 0, 0, 0, sydney), "2025-07-15T10:00:00+10:00"}, // AEST
		{time.Date(2025, 7, 15, 10, 0, 0, 0, time.FixedZone("IST", 5*3600+1800)), "2025-07-15T10:00:00+05:30"},
		{time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC), "2025-07-15T10:00:00+00:00"},
	}
	for _, c := range cases {
		if got := qbTime(c.at); got != c.want {
			t.Errorf("qbTime(%v) = %s, want %s", c.at, got, c.want)
		}
	}
}

// reportModifiedTime is the "Last modified" column of the OpenInvoices
// report's row for txnID.
func reportModifiedTime(tb testing.TB, f *File, txnID string) string {
	tb.Helper()
	rep := parseReport(tb, ok(tb, f, `<GeneralDetailReportQueryRq><GeneralDetailReportType>OpenInvoices</GeneralDetailReportType>`+
		`<IncludeColumn>TxnID</IncludeColumn><IncludeColumn>ModifiedTime</IncludeColumn></GeneralDetailReportQueryRq>`))
	id, mod := -1, -1
	for i, c := range rep.cols {
		switch c {
		case "Trans #":
			id = i + 1
		case "Last modified":
			mod = i + 1
		}
	}
	for _, r := range rep.rows {
		if id > 0 && r.cells[id] == txnID {
			return r.cells[mod]
		}
	}
	tb.Fatalf("no OpenInvoices row for %s (columns %q)", txnID, rep.cols)
	return ""
}
