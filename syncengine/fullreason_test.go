package syncengine_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/syncengine"
)

// reasons returns each type's mode and, for a full pass, why: "full
// first_sync", "incremental".
func reasons(tb testing.TB, states []*qbconnect.SyncState, types ...string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, typ := range types {
		st := stateOf(tb, states, typ)
		out[typ] = string(st.Mode)
		if st.FullReason != "" {
			out[typ] += " " + string(st.FullReason)
		}
	}
	return out
}

// A client sees why a pass is full (SyncState.FullReason, and the same on
// the pass's SyncRun): a full pass reads every record and marks deleted
// what QuickBooks no longer returns, so it takes longer and may report
// deletions. QuickBooks' deleted queries reach back 90 days (see
// sweep_test.go); TemplateQueryRq has no modified-date filter (qbXML 13.0
// schema); TxnDeletedQuery's TxnDelType has no Transfer (ibid.).
func TestAFullPassSaysWhyItIsFull(t *testing.T) {
	for name, dsn := range stores() {
		t.Run(name, func(t *testing.T) { fullPassSaysWhy(t, dsn(t)) })
	}
}

func fullPassSaysWhy(t *testing.T, dsn string) {
	h := newHarness(t, harnessOptions{DSN: dsn, Generate: companyfile.GenerateOptions{Seed: 3, Customers: 4},
		Engine: syncengine.Config{FullEvery: 24 * time.Hour}})
	for _, name := range []string{"Harbor Checking", "Harbor Savings"} {
		h.qb(`<AccountAddRq><AccountAdd><Name>` + name + `</Name><AccountType>Bank</AccountType></AccountAdd></AccountAddRq>`)
	}
	h.qb(`<TransferAddRq><TransferAdd><TxnDate>2026-03-02</TxnDate>
		<TransferFromAccountRef><FullName>Harbor Checking</FullName></TransferFromAccountRef>
		<TransferToAccountRef><FullName>Harbor Savings</FullName></TransferToAccountRef><Amount>100.00</Amount></TransferAdd></TransferAddRq>`)
	// vehicles: a type the new company holds none of.
	types := []string{"customers", "templates", "transfers", "vehicles"}
	sync := func(full bool) map[string]string {
		t.Helper()
		states := h.syncNow(qbconnect.SyncRequest{DataTypes: types, Full: full})
		allComplete(t, states, types...)
		return reasons(t, states, types...)
	}
	step := func(when string, got, want map[string]string) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", when, diff)
		}
	}

	step("first sync", sync(false), map[string]string{"customers": "full first_sync", "templates": "full first_sync",
		"transfers": "full first_sync", "vehicles": "full first_sync"})
	h.later(time.Hour)
	step("an hour later", sync(false), map[string]string{"customers": "incremental", "templates": "full read_whole",
		"transfers": "incremental", "vehicles": "full was_empty"})
	h.later(time.Hour)
	step("a full sync asked for", sync(true), map[string]string{"customers": "full requested", "templates": "full requested",
		"transfers": "full requested", "vehicles": "full was_empty"})
	h.later(time.Hour)
	step("an hour after the full sync", sync(false), map[string]string{"customers": "incremental", "templates": "full read_whole",
		"transfers": "incremental", "vehicles": "full was_empty"})
	h.later(24 * time.Hour)
	step("a day after the full sync", sync(false), map[string]string{"customers": "incremental", "templates": "full read_whole",
		"transfers": "full no_deleted_query", "vehicles": "full was_empty"})
	h.later(86 * 24 * time.Hour)
	step("86 days offline", sync(false), map[string]string{"customers": "full deletions_out_of_reach", "templates": "full read_whole",
		"transfers": "full no_deleted_query", "vehicles": "full was_empty"})

	// The history says the same of each pass, newest first.
	runs, _, err := h.eng.SyncRuns(h.ctx, qbconnect.SyncRunFilter{OrgID: h.org.ID, CompanyID: h.conn.CompanyID, DataType: "customers"})
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	for _, r := range runs {
		history = append(history, string(r.Mode)+" "+string(r.FullReason))
	}
	want := []string{"full deletions_out_of_reach", "incremental ", "incremental ", "full requested", "incremental ", "full first_sync"}
	if diff := cmp.Diff(want, history); diff != "" {
		t.Errorf("customers' history (-want +got):\n%s", diff)
	}
}
