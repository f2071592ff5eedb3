package syncengine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/internal/platformtest"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
	"github.com/qbconnect/qbconnect/syncengine/synctest"
)

// harness is the platform (internal/platformtest: store, queue, engine,
// control plane, API) and QuickBooks (an in-process simulator) in one test, with a tiny runner in between that
// does what the connector does: lease an operation, run it through the qbd
// contract, complete it and hand the result to the engine.
type harness struct {
	tb     testing.TB
	ctx    context.Context
	env    *platformtest.Platform
	eng    *syncengine.Engine
	org    *qbconnect.Org
	conn   *qbconnect.Connection
	connID string // connector ID
	sim    *qbdsim.Simulator
	simNow *clocktest.Clock
	file   string
	proc   *qbdsim.Processor
	ticket string
	qbTime time.Duration // time spent in ProcessRequest
	// ingest is the time spent completing operations with their answers
	// (control.Plane.Complete, which ingests a sync page) and handing
	// failures to HandleOperation.
	ingest time.Duration
	// ingestCPU is the CPU time of ingest's thread.
	ingestCPU time.Duration
	// responses, when not nil, collects every answer QuickBooks gave (sync
	// pages' answers are not stored).
	responses *[][]byte
	// handleAfter, when set, picks operations whose answers are recorded
	// without the engine (the queue's Complete) and handed to
	// HandleOperation after the commit, as the control plane does when
	// its engine cannot ingest a page in the completion's transaction.
	handleAfter func(op *qbconnect.Operation) bool
}

// harnessOptions shape a harness.
type harnessOptions struct {
	DSN      string // "" means a new SQLite file
	Generate companyfile.GenerateOptions
	Engine   syncengine.Config // DB, Queue and Now are set by the harness
	// CompanyFile, when set, is an existing company file to copy instead of
	// generating one.
	CompanyFile string
	// Features are switched on in the generated company file.
	Features []companyfile.Feature
	// BalanceMarksModified is qbdsim.Options.BalanceMarksModified.
	BalanceMarksModified bool
	// Start is QuickBooks' clock at the start, in the zone of the
	// QuickBooks computer; zero means 2 March 2026, 08:00 UTC.
	Start time.Time
}

// stores returns the databases to run a scenario on: SQLite always,
// PostgreSQL when QBCONNECT_TEST_POSTGRES names a database.
func stores() map[string]storetest.DSNFunc { return platformtest.Databases() }

func newHarness(tb testing.TB, o harnessOptions) *harness {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	tb.Cleanup(cancel)
	start := o.Start
	if start.IsZero() {
		start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	}
	h := &harness{tb: tb, ctx: ctx, simNow: clocktest.New(start)}
	h.env = platformtest.New(tb, platformtest.Options{DSN: o.DSN, Engine: o.Engine})
	h.eng = h.env.Engine
	h.org = h.env.Org(tb, "Lender")
	conn, _ := h.env.Linked(tb, h.org.ID, "")
	h.conn, h.connID = conn, conn.ConnectorID

	dir := tb.TempDir()
	h.file = filepath.Join(dir, "books.qbw")
	if o.CompanyFile != "" {
		copyFile(tb, o.CompanyFile, h.file)
	} else {
		makeCompany(tb, h.file, h.simNow.Now, o.Generate, o.Features...)
	}
	sim, err := qbdsim.New(qbdsim.Options{Dir: dir, Now: h.simNow.Now, Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways},
		BalanceMarksModified: o.BalanceMarksModified})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sim.Close() })
	h.sim = sim
	h.openQuickBooks()
	return h
}

// makeCompany creates a company file at path with features and generates
// o into it.
func makeCompany(tb testing.TB, path string, now func() time.Time, o companyfile.GenerateOptions, features ...companyfile.Feature) {
	tb.Helper()
	f, err := companyfile.Create(path, "Harbor Supply Co", companyfile.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	for _, ft := range features {
		if err := f.SetFeature(ft, true); err != nil {
			tb.Fatal(err)
		}
	}
	if o.Total() > 0 {
		if err := f.Generate(context.Background(), o); err != nil {
			tb.Fatalf("generate: %v", err)
		}
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// restartPlatform stops the platform, closes the store and starts the
// platform again on it, as when the platform process restarts.
func (h *harness) restartPlatform() {
	h.tb.Helper()
	h.env.Restart()
	h.eng = h.env.Engine
}

// openQuickBooks opens the company file in QuickBooks and begins a session
// as the connector would.
func (h *harness) openQuickBooks() {
	h.tb.Helper()
	if err := h.sim.OpenFile(h.file, qbd.FileModeSingleUser, ""); err != nil {
		h.tb.Fatalf("open company file: %v", err)
	}
	h.proc = h.sim.NewProcessor()
	if err := h.proc.OpenConnection(h.ctx, qbd.App{Name: "qbconnect tests", ConnectionType: qbd.ConnectionLocalQBD}); err != nil {
		h.tb.Fatalf("OpenConnection: %v", err)
	}
	t, err := h.proc.BeginSession(h.ctx, h.file, qbd.FileModeDoNotCare)
	if err != nil {
		h.tb.Fatalf("BeginSession: %v", err)
	}
	h.ticket = t
	h.tb.Cleanup(func() { h.proc.CloseConnection(context.Background()) })
	if err := h.env.Connections.SetHealth(h.ctx, h.conn.ID, qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected to QuickBooks.", Since: h.env.Clock.Now()}); err != nil {
		h.tb.Fatal(err)
	}
}

// later moves QuickBooks' clock and the platform's forward by d: time
// passes for both (or the connector was away that long).
func (h *harness) later(d time.Duration) {
	h.simNow.Advance(d)
	h.env.Clock.Advance(d)
}

// process runs a request in the runner's session.
func (h *harness) process(req string) ([]byte, error) {
	start := time.Now()
	resp, err := h.proc.ProcessRequest(h.ctx, h.ticket, []byte(req))
	h.qbTime += time.Since(start)
	return resp, err
}

// writeCustomer adds a customer named name in QuickBooks and stores it as
// a client's write stores what it wrote (the write's completion), and
// returns its ListID and EditSequence.
func (h *harness) writeCustomer(name string) (id, editSequence string) {
	h.tb.Helper()
	added := h.qb(`<CustomerAddRq><CustomerAdd><Name>` + name + `</Name></CustomerAdd></CustomerAddRq>`)
	id, _ = added.ChildText("ListID")
	editSequence, _ = added.ChildText("EditSequence")
	if err := h.env.Records.UpsertRecords(h.ctx, []*qbconnect.Record{{CompanyID: h.conn.CompanyID, Type: "customers", ID: id,
		EditSequence: editSequence, Name: name, Active: true, Data: json.RawMessage(syncengine.RecordJSON(added))}}); err != nil {
		h.tb.Fatal(err)
	}
	return id, editSequence
}

// qb runs a request directly (a user working in QuickBooks) and returns
// the first response's first record, failing on an error status.
func (h *harness) qb(req string) *qbxml.Node {
	h.tb.Helper()
	resp, err := h.quickBooks(synctest.Doc(req))
	if err != nil {
		h.tb.Fatalf("QuickBooks: %v", err)
	}
	recs, err := synctest.Records(resp)
	if err != nil {
		h.tb.Fatalf("QuickBooks answered %v to %.200s", err, req)
	}
	if len(recs) == 0 {
		return nil
	}
	return recs[0]
}

// quickBooks runs a qbXML document in QuickBooks in the runner's session,
// outside the platform (synctest.QuickBooks).
func (h *harness) quickBooks(doc []byte) ([]byte, error) {
	return h.proc.ProcessRequest(h.ctx, h.ticket, doc)
}

// step leases, runs and completes one operation; false when none is
// runnable. drop loses the result in transit (the operation ran in
// QuickBooks, the platform never heard back). skipHandle completes the
// operation without calling the engine (the platform stopped in between).
func (h *harness) step(drop, skipHandle bool) bool {
	h.tb.Helper()
	l, err := h.env.Queue.Lease(h.ctx, h.connID, time.Minute)
	if err != nil {
		h.tb.Fatalf("lease: %v", err)
	}
	if l == nil {
		return false
	}
	op := l.Operation
	req := op.Request
	var out qbconnect.Outcome
	if op.MessageSetID != "" && op.Attempts > 1 {
		// The connector's journal: an earlier attempt of this write may
		// have run; ask QuickBooks for its stored answer first.
		rec := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError" oldMessageSetID="` + op.MessageSetID + `"/></QBXML>`
		resp, err := h.process(rec)
		if err == nil && !bytes.Contains(resp, []byte(`messageSetStatusCode="600"`)) {
			out.Response = resp
		}
	}
	if out.Response == nil {
		resp, err := h.process(req)
		if err != nil {
			var qe *qbd.Error
			errors.As(err, &qe)
			hr := ""
			if qe != nil {
				hr = qbd.FormatHRESULT(qe.HRESULT)
			}
			out.Failure = &qbconnect.Error{Code: qbconnect.EUnavailable, Message: err.Error(), QBCode: hr, Retryable: true}
			out.Health = &qbconnect.Health{Code: "qb_not_running", Message: "QuickBooks is not running.", NeedsUser: true, Since: h.env.Clock.Now()}
		} else {
			out.Response = resp
		}
	}
	if drop {
		return true
	}
	if h.responses != nil && out.Response != nil {
		*h.responses = append(*h.responses, out.Response)
	}
	if out.Failure == nil && !skipHandle && (h.handleAfter == nil || !h.handleAfter(op)) {
		// What the connector's result post does: the control plane
		// completes the operation and ingests the page in one transaction.
		start := time.Now()
		var err error
		h.ingestCPU += threadCPU(func() {
			_, _, err = h.env.Control.Complete(h.ctx, op, control.Report{LeaseID: l.LeaseID, Response: out.Response})
		})
		if err != nil {
			h.tb.Fatalf("complete: %v", err)
		}
		h.ingest += time.Since(start)
		return true
	}
	done, applied, err := h.env.Queue.Complete(h.ctx, op.ID, l.LeaseID, out)
	if err != nil {
		h.tb.Fatalf("complete: %v", err)
	}
	if applied && done.Status.Done() && !skipHandle {
		start := time.Now()
		var herr error
		h.ingestCPU += threadCPU(func() { _, herr = h.eng.HandleOperation(h.ctx, done, bytes.NewReader(done.Result)) })
		if herr != nil {
			h.tb.Fatalf("HandleOperation: %v", herr)
		}
		h.ingest += time.Since(start)
	}
	return true
}

// drain runs operations until none is runnable.
func (h *harness) drain() int {
	h.tb.Helper()
	n := 0
	for h.step(false, false) {
		n++
		if n > 100000 {
			h.tb.Fatal("the queue never drains")
		}
	}
	return n
}

// syncNow starts an on-demand sync and runs it to the end.
func (h *harness) syncNow(req qbconnect.SyncRequest) []*qbconnect.SyncState {
	h.tb.Helper()
	if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, req); err != nil {
		h.tb.Fatalf("SyncNow: %v", err)
	}
	h.drain()
	states, err := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	if err != nil {
		h.tb.Fatal(err)
	}
	return states
}

// stored returns the live records of a type: ID -> record.
func (h *harness) stored(typ string, includeDeleted bool) map[string]*qbconnect.Record {
	h.tb.Helper()
	out := map[string]*qbconnect.Record{}
	cursor := ""
	for {
		page, next, err := h.env.Records.ListRecords(h.ctx, qbconnect.RecordFilter{OrgID: h.org.ID, CompanyID: h.conn.CompanyID, Type: typ,
			IncludeDeleted: includeDeleted, Limit: 1000, Cursor: cursor})
		if err != nil {
			h.tb.Fatal(err)
		}
		for _, r := range page {
			if _, dup := out[r.ID]; dup {
				h.tb.Fatalf("%s %s listed twice", typ, r.ID)
			}
			out[r.ID] = r
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// modifiedSince counts the objects of a type QuickBooks holds as modified
// at or after from; of a type whose query has no modified-date filter
// (templates), every object, as every pass of it reads them all.
func (h *harness) modifiedSince(info qbconnect.DataTypeInfo, from time.Time) int {
	h.tb.Helper()
	q := qbxml.Lookup(info.Object + "QueryRq")
	idEl, filter := "ListID", synctest.ActiveAll(info)
	switch {
	case q.Child("ModifiedDateRangeFilter") != nil:
		idEl, filter = "TxnID", "<ModifiedDateRangeFilter><FromModifiedDate>"+from.Format(time.RFC3339)+"</FromModifiedDate></ModifiedDateRangeFilter>"
	case q.Child("FromModifiedDate") != nil:
		filter += "<FromModifiedDate>" + from.Format(time.RFC3339) + "</FromModifiedDate>"
	}
	if info.Transaction {
		idEl = "TxnID"
	}
	doc := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><` + info.Object + `QueryRq>` + filter +
		`<IncludeRetElement>` + idEl + `</IncludeRetElement></` + info.Object + `QueryRq></QBXMLMsgsRq></QBXML>`
	resp, err := h.proc.ProcessRequest(h.ctx, h.ticket, []byte(doc))
	if err != nil {
		h.tb.Fatal(err)
	}
	recs, err := synctest.Holding(resp)
	if err != nil {
		h.tb.Fatalf("%s: %v", info.Name, err)
	}
	return len(recs)
}

// retOf returns QuickBooks' current Ret element of a record.
func (h *harness) retOf(info qbconnect.DataTypeInfo, id string) *qbxml.Node {
	h.tb.Helper()
	return synctest.Ret(h.tb, h.quickBooks, info, id)
}

// checkMirror verifies that the store holds exactly what QuickBooks holds
// for every data type, or for those named (synctest.Check), comparing the
// JSON of sample records of each type. It returns the number of objects
// compared.
func (h *harness) checkMirror(sample int, types ...string) int {
	h.tb.Helper()
	var infos []qbconnect.DataTypeInfo
	for _, info := range h.eng.DataTypes() {
		if len(types) == 0 || slices.Contains(types, info.Name) {
			infos = append(infos, info)
		}
	}
	return synctest.Check(h.tb, h.quickBooks, h.live, infos, sample)
}

// live returns the live records of a type: ID -> record.
func (h *harness) live(typ string) map[string]*qbconnect.Record {
	h.tb.Helper()
	return h.stored(typ, false)
}

func mustUnmarshal(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("invalid JSON %.200s: %v", b, err)
	}
}

// stateOf returns the sync state of one type.
func stateOf(tb testing.TB, states []*qbconnect.SyncState, typ string) *qbconnect.SyncState {
	tb.Helper()
	for _, st := range states {
		if st.DataType == typ {
			return st
		}
	}
	tb.Fatalf("no sync state for %s", typ)
	return nil
}

// fetched sums the records the last pass of every type fetched.
func fetched(states []*qbconnect.SyncState) int {
	n := 0
	for _, st := range states {
		n += st.Fetched
	}
	return n
}

// allComplete fails unless every state (or every state of types) is
// Complete.
func allComplete(tb testing.TB, states []*qbconnect.SyncState, types ...string) {
	tb.Helper()
	var bad []string
	for _, st := range states {
		if len(types) > 0 && !slices.Contains(types, st.DataType) {
			continue
		}
		if st.Status != qbconnect.SyncComplete {
			bad = append(bad, fmt.Sprintf("%s %s (%v)", st.DataType, st.Status, st.Error))
		}
	}
	if len(bad) > 0 {
		tb.Fatalf("not complete: %s", strings.Join(bad, "; "))
	}
}
