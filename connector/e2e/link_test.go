package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbd"
)

func TestLinkFirstSyncAndClientWrite(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.link(e.conn.ID)
	e.startAgent()

	// The connector reports its identity and the file's state.
	waitFor(t, "the connection to be healthy", 10*time.Second, func() (bool, string) {
		h := e.health(e.conn.ID)
		return h.Code == qbconnect.HealthOK && h.LastSuccessAt != nil, fmt.Sprintf("%+v", h)
	})
	st := e.status()
	if st.Identity.Version != "9.9.9-e2e" || !strings.Contains(st.Identity.Signer, "qbconnect Ltd") || st.Identity.Thumbprint == "" {
		t.Errorf("identity = %+v, want version 9.9.9-e2e signed by qbconnect Ltd", st.Identity)
	}
	conns, err := e.plat.Connections.ConnectorConnections(e.ctx, mustConnectorID(t, e))
	if err != nil || len(conns) != 1 {
		t.Fatalf("connector connections: %v %v", conns, err)
	}
	linked := conns[0]
	if linked.File.CompanyName != "Acme Plumbing" || !strings.HasSuffix(linked.File.Path, "acme.qbw") || !strings.HasPrefix(linked.File.FileID, "fid_") {
		t.Errorf("linked file = %+v", linked.File)
	}

	// First sync: Perform Sync through the local API queues one, and the
	// connector runs it.
	if code := e.ui("POST", "/api/files/"+e.conn.ID+"/sync", nil, nil); code != 200 {
		t.Fatalf("perform sync: %d", code)
	}
	waitFor(t, "the sync to succeed", 10*time.Second, func() (bool, string) {
		ops, _, _ := e.plat.Queue.ListOperations(e.ctx, qbconnect.OperationFilter{OrgID: e.orgID, Kind: qbconnect.OpSync})
		return len(ops) == 1 && ops[0].Status == qbconnect.OpSucceeded, fmt.Sprint(ops)
	})

	// A client write runs once and its raw answer reaches the platform.
	op := e.enqueueWrite(e.conn.ID, "Bob's Diner")
	waitFor(t, "the write to succeed", 10*time.Second, func() (bool, string) {
		o := e.op(op.ID)
		return o.Status == qbconnect.OpSucceeded, string(o.Status)
	})
	if got := string(e.op(op.ID).Result); !strings.Contains(got, `statusCode="0"`) || !strings.Contains(got, "Bob&apos;s Diner") && !strings.Contains(got, "Bob's Diner") {
		t.Errorf("write result = %s", got)
	}
	if n := e.customerCount("acme.qbw", "Bob's Diner"); n != 1 {
		t.Errorf("customers named Bob's Diner = %d, want 1", n)
	}
	st = e.status()
	fs := st.File(e.conn.ID)
	if fs == nil || fs.Shown.Code != qbd.CondOK || fs.LastSuccess == nil || fs.Items < 2 {
		t.Errorf("local file status = %+v", fs)
	}

	// status prints the same through the command line.
	out := e.connector("status")
	for _, want := range []string{"Acme Plumbing", e.conn.ID, "Connected to QuickBooks."} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	if diff := cmp.Diff(1, e.syncs); diff != "" {
		t.Errorf("sync requests (-want +got):\n%s", diff)
	}
}

func mustConnectorID(t *testing.T, e *env) string {
	t.Helper()
	c, err := e.plat.Connections.LookupConnection(e.ctx, e.conn.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c.ConnectorID
}
