package api_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// company is one organisation's company linked through the real gateway to
// a QuickBooks simulator, with a small connector that does what the real
// one does: poll, run the item against QuickBooks, post the result.
type company struct {
	e            *env
	org          *qbconnect.Org
	key          string
	id, connID   string
	gw           *gatewayclient.Client
	sim          *qbdsim.Simulator
	proc         *qbdsim.Processor
	ticket, file string
	ctx          context.Context

	// fail, when set, makes the connector report this failure instead of
	// running an item (QuickBooks closed, access denied).
	mu   sync.Mutex
	fail *gateway.Failure
}

// smallCompany is a generated company file small enough for every test.
func smallCompany() companyfile.GenerateOptions {
	return companyfile.GenerateOptions{Seed: 7, Customers: 12, Jobs: 3, Vendors: 6, Employees: 2, Items: 8, Classes: 2,
		Invoices: 25, Payments: 8, SalesReceipts: 4, CreditMemos: 2, Estimates: 3, SalesOrders: 2,
		Bills: 10, BillPayments: 4, PurchaseOrders: 2, Checks: 5, CreditCardCharges: 3, Deposits: 2, JournalEntries: 2, Years: 1}
}

// newCompany creates an organisation, a company and a connection through
// the API, links it with a link code, and opens a generated company file
// in a simulated QuickBooks.
func newCompany(tb testing.TB, e *env, gen companyfile.GenerateOptions) *company {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	c := &company{e: e, ctx: ctx}
	c.org, c.key = e.newOrg("Lender")
	var code string
	c.id, c.connID, code = e.linkedCompany(c.key, "Harbor Supply")
	dir := tb.TempDir()
	c.file = filepath.Join(dir, "harbor.qbw")
	simNow := func() time.Time { return e.clock.Now().Add(-time.Hour) }
	f, err := companyfile.Create(c.file, "Harbor Supply Co", companyfile.Options{Now: simNow})
	if err != nil {
		tb.Fatal(err)
	}
	// An edition with every feature (assemblies, sites, payroll,
	// multicurrency), so that every writable type can be written.
	for _, ft := range companyfile.Features() {
		if err := f.SetFeature(ft, true); err != nil {
			tb.Fatal(err)
		}
	}
	if gen.Total() > 0 {
		if err := f.Generate(ctx, gen); err != nil {
			tb.Fatal(err)
		}
	}
	f.Close()
	c.sim, err = qbdsim.New(qbdsim.Options{Dir: dir, Now: simNow, Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.sim.Close() })
	if err := c.sim.OpenFile(c.file, qbd.FileModeSingleUser, ""); err != nil {
		tb.Fatal(err)
	}
	c.proc = c.sim.NewProcessor()
	if err := c.proc.OpenConnection(ctx, qbd.App{Name: "qbconnect tests", ConnectionType: qbd.ConnectionLocalQBD}); err != nil {
		tb.Fatal(err)
	}
	if c.ticket, err = c.proc.BeginSession(ctx, c.file, qbd.FileModeDoNotCare); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.proc.CloseConnection(context.Background()) })
	linked, err := e.client("").Link(ctx, linkRequest(code, c.file))
	if err != nil {
		tb.Fatal(err)
	}
	c.gw = e.client(linked.Credential)
	return c
}

// failWith makes the connector report f for every item until cleared with
// nil.
func (c *company) failWith(f *gateway.Failure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fail = f
}

// step polls once without waiting and runs the item; false when there was
// none.
func (c *company) step(tb testing.TB) bool {
	tb.Helper()
	p, err := c.gw.Poll(c.ctx, gateway.PollRequest{})
	if err != nil {
		tb.Fatalf("poll: %v", err)
	}
	if p.Item == nil {
		return false
	}
	c.run(tb, p.Item)
	return true
}

// drain runs items until none is left.
func (c *company) drain(tb testing.TB) int {
	tb.Helper()
	n := 0
	for c.step(tb) {
		if n++; n > 10000 {
			tb.Fatal("the queue never drains")
		}
	}
	return n
}

// run runs one item as the connector does and posts its result.
func (c *company) run(tb testing.TB, it *gateway.WorkItem) {
	c.mu.Lock()
	fail := c.fail
	c.mu.Unlock()
	res := gateway.Result{ItemID: it.ID, LeaseID: it.LeaseID}
	if fail != nil {
		res.Failure = fail
	} else {
		var resp []byte
		if it.MessageSetID != "" && it.Attempt > 1 {
			rec := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError" oldMessageSetID="` + it.MessageSetID + `"/></QBXML>`
			if r, err := c.proc.ProcessRequest(c.ctx, c.ticket, []byte(rec)); err == nil && !bytes.Contains(r, []byte(`messageSetStatusCode="600"`)) {
				resp = r
			}
		}
		if resp == nil {
			r, err := c.proc.ProcessRequest(c.ctx, c.ticket, []byte(it.Request))
			if err != nil {
				var qe *qbd.Error
				hr := ""
				if errors.As(err, &qe) {
					hr = qbd.FormatHRESULT(qe.HRESULT)
				}
				res.Failure = &gateway.Failure{HResult: hr, Message: err.Error(), Condition: "qb_error", Retryable: false}
			}
			resp = r
		}
		if res.Failure == nil {
			res.Response = string(resp)
		}
	}
	if _, err := c.gw.PostResult(c.ctx, res); err != nil && c.ctx.Err() == nil {
		tb.Errorf("post result: %v", err)
	}
}

// background runs the connector in a goroutine, long-polling like the real
// one, until the test ends.
func (c *company) background(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(c.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			p, err := c.gw.Poll(ctx, gateway.PollRequest{Wait: 5 * time.Second})
			if err != nil || p.Item == nil {
				continue
			}
			c.run(tb, p.Item)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
}

// syncAll syncs every data type and runs the sync to the end.
func (c *company) syncAll(tb testing.TB) {
	tb.Helper()
	c.e.mustDo(202, "POST", "/v1/companies/"+c.id+"/sync", c.key, map[string]any{}, nil)
	c.drain(tb)
	var st struct {
		Data []struct {
			DataType, Status string
		}
	}
	c.e.mustDo(200, "GET", "/v1/companies/"+c.id+"/sync-status", c.key, nil, &st)
	for _, s := range st.Data {
		if s.Status != "Complete" {
			tb.Fatalf("%s: sync %s after the queue drained", s.DataType, s.Status)
		}
	}
}
