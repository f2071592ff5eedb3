package qbwc_test

import (
	"math"
	"testing"

	"github.com/qbconnect/qbconnect/qbdsim/webconnector"
)

// TestReportRunsAtTheWebConnectorsNextVisit: a company served by Intuit's
// Web Connector gets its report query at the Web Connector's next visit;
// until then the API answers 202 with the operation, and the repeat after
// the visit answers the report.
func TestReportRunsAtTheWebConnectorsNextVisit(t *testing.T) {
	e := newEnv(t, envOptions{Seed: 5})
	a := e.newTenant("Harbor", smallCompany(7))
	path := "/v1/companies/" + a.company.ID + "/reports/balance-sheet?to=2026-03-01&basis=cash"
	var pending struct{ ID, Status string }
	if st := e.do("GET", path, a.key, &pending); st != 202 || pending.Status != "Pending" {
		t.Fatalf("before the visit: %d %+v, want 202 Pending", st, pending)
	}
	if res := a.update(); res.Outcome != webconnector.OutcomeDone || res.Err != nil {
		t.Fatalf("visit: outcome %s, err %v", res.Outcome, res.Err)
	}
	var bs struct {
		Title       string
		Basis       string
		Cached      bool
		OperationID string
		Totals      map[string][]*float64
	}
	if st := e.do("GET", path, a.key, &bs); st != 200 {
		t.Fatalf("after the visit: %d", st)
	}
	assets, le := bs.Totals["TOTAL ASSETS"], bs.Totals["TOTAL LIABILITIES & EQUITY"]
	if bs.OperationID != pending.ID || bs.Cached || bs.Basis != "cash" || len(assets) != 1 || len(le) != 1 || math.Abs(*assets[0]-*le[0]) > 0.001 || *assets[0] == 0 {
		t.Errorf("report after the visit: %+v", bs)
	}
}
