package syncengine_test

import (
	"testing"
	"time"
	_ "time/tzdata" // America/Los_Angeles on any machine

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// In daylight saving time QuickBooks writes the right local time with its
// zone's standard offset: 10:00 on a July morning in California is
// "10:00:00-08:00", an hour late as an instant ("The DateTime is otherwise
// accurate (follows DST), but the offset does not follow DST",
// jsgoupil/quickbooks-sync#28; qbdsim writes its times so). Had the engine
// sent its high-water mark back as an instant, QuickBooks would be asked
// for changes since an hour after the last one it reported, and every
// change of that hour would be skipped until the next full pass. The
// engine asks in QuickBooks' own local time instead, without an offset,
// which QuickBooks reads as its local time (jsgoupil/quickbooks-sync#19):
// a customer added or deleted minutes after a pass is found by the next.
func TestAnIncrementalSyncInDaylightSavingTimeMissesNoChange(t *testing.T) {
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{DSN: dsn(t), Start: time.Date(2026, 7, 2, 9, 0, 0, 0, pacific),
				Generate: companyfile.GenerateOptions{Seed: 3, Customers: 4, End: time.Date(2026, 7, 1, 0, 0, 0, 0, pacific)}})
			customers := qbconnect.SyncRequest{DataTypes: []string{"customers"}}
			allComplete(t, h.syncNow(customers), "customers")
			// The last pass sees a change of 09:01, its high-water mark.
			h.later(time.Minute)
			h.qb(`<CustomerAddRq><CustomerAdd><Name>Early Summer Inc</Name></CustomerAdd></CustomerAddRq>`)
			st := stateOf(t, h.syncNow(customers), "customers")
			if st.QBOffset == nil || *st.QBOffset != -8*3600 {
				got := "none"
				if st.QBOffset != nil {
					got = (time.Duration(*st.QBOffset) * time.Second).String()
				}
				t.Fatalf("QBOffset after two passes = %s, want -8h0m0s: QuickBooks writes Pacific Standard Time's offset in July", got)
			}
			before := h.stored("customers", false)
			var gone string
			for id := range before {
				gone = id
				break
			}

			h.later(10 * time.Minute)
			added := h.qb(`<CustomerAddRq><CustomerAdd><Name>Late Summer Ltd</Name></CustomerAdd></CustomerAddRq>`)
			if tm, _ := added.ChildText("TimeModified"); tm != "2026-07-02T09:11:00-08:00" {
				t.Fatalf("TimeModified %q, want QuickBooks' 2026-07-02T09:11:00-08:00 for 09:11 PDT", tm)
			}
			id, _ := added.ChildText("ListID")
			h.qb(`<ListDelRq><ListDelType>Customer</ListDelType><ListID>` + gone + `</ListID></ListDelRq>`)
			h.later(time.Minute)
			st = stateOf(t, h.syncNow(customers), "customers")
			if st.Mode != qbconnect.SyncIncremental {
				t.Fatalf("third pass is %s, want incremental", st.Mode)
			}
			after := h.stored("customers", false)
			if _, ok := after[id]; !ok {
				t.Errorf("the customer added 10 minutes after the last pass is not stored: the incremental pass skipped it")
			}
			if _, ok := after[gone]; ok {
				t.Errorf("the customer deleted 10 minutes after the last pass is still live: the pass did not ask for its deletion")
			}
			if len(after) != len(before) {
				t.Errorf("%d live customers, want %d (one added, one deleted)", len(after), len(before))
			}
		})
	}
}
