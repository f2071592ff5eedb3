package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/testenv"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbd"
)

func TestLinkFirstSyncAndClientWrite(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link()
	e.agent.Run()

	// The connector reports its identity and the file's state.
	e.waitHealthy()
	st := e.agent.Status()
	if st.Identity.Version != testenv.Version || !strings.Contains(st.Identity.Signer, "qbconnect Ltd") || st.Identity.Thumbprint == "" {
		t.Errorf("identity = %+v, want version %s signed by qbconnect Ltd", st.Identity, testenv.Version)
	}
	conns := e.plat.Connections(e.company.ID)
	if len(conns) != 1 || conns[0].ID != e.conn.ID || conns[0].ConnectorID == "" || conns[0].Status != qbconnect.StatusLinked {
		t.Fatalf("the company's connections: %+v", conns)
	}
	linked := conns[0]
	if linked.File.CompanyName != testenv.AcmeName || !strings.HasSuffix(linked.File.Path, testenv.AcmeFile) || !strings.HasPrefix(linked.File.FileID, "fid_") {
		t.Errorf("linked file = %+v", linked.File)
	}

	// First sync: the client asks for one through the REST API, and the
	// connector runs a pass of every data type.
	e.plat.StartSync(e.company.ID)
	types := e.plat.WaitSynced(e.company.ID, time.Minute)
	// Perform Sync on the connector's local API asks for another.
	e.press("sync", nil)
	wait.For(t, "the second pass of every data type", time.Minute, func() (bool, string) {
		runs := e.plat.SyncRuns(e.company.ID)
		return len(runs) == 2*len(types), fmt.Sprintf("%d passes of %d types", len(runs), len(types))
	})
	e.plat.WaitSynced(e.company.ID, time.Minute)
	// Exactly the two syncs asked for ran, each a pass per data type.
	passes := map[string]int{}
	for _, r := range e.plat.SyncRuns(e.company.ID) {
		if string(r.Trigger) != string(qbconnect.TriggerOnDemand) || string(r.Status) != string(qbconnect.SyncComplete) {
			t.Errorf("pass %s of %s: trigger %s, status %s", r.Id, r.DataType, r.Trigger, r.Status)
		}
		passes[r.DataType]++
	}
	want := map[string]int{}
	for _, s := range types {
		want[s.DataType] = 2
	}
	if diff := cmp.Diff(want, passes); diff != "" {
		t.Errorf("passes per data type (-want +got):\n%s", diff)
	}

	// A client write through the REST API runs once, and its result is
	// visible to the client.
	op := e.writeCustomer("Bob's Diner")
	if op.Status != "Pending" {
		t.Errorf("the write was accepted as %s, want Pending", op.Status)
	}
	op = e.plat.WaitOperation(op.Id, 30*time.Second)
	e.checkWritten(op, "Bob's Diner")
	// The platform stores the record the write created.
	if rec := e.plat.Customer(e.company.ID, *op.RecordId); rec.Id != *op.RecordId || rec.Name == nil || *rec.Name != "Bob's Diner" {
		t.Errorf("GET the written customer = %+v", rec)
	}
	// The same key again is the same operation, not a second write.
	if again := e.writeCustomer("Bob's Diner"); again.Id != op.Id {
		t.Errorf("repeating the Idempotency-Key made operation %s, want %s", again.Id, op.Id)
	}
	if n := e.sim.CustomersNamed(testenv.AcmeFile, "Bob's Diner"); n != 1 {
		t.Errorf("after the repeated request Bob's Diner exists %d times, want once", n)
	}
	fs := e.file()
	if fs.Shown.Code != qbd.CondOK || fs.LastSuccess == nil || fs.Items < 2 {
		t.Errorf("local file status = %+v", fs)
	}

	// status prints the same through the command line.
	out := e.agent.Cmd("status")
	for _, want := range []string{testenv.AcmeName, e.conn.ID, "Connected to QuickBooks."} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
}
