package control_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/platformtest"
)

// vendorsPage is QuickBooks' answer to a vendors sync: one vendor, the
// last page.
const vendorsPage = `<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><VendorQueryRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="0" iteratorID="{a1}">` +
	`<VendorRet><ListID>80000002-1772438400</ListID><TimeCreated>2026-03-02T09:00:00-05:00</TimeCreated><TimeModified>2026-03-02T09:00:00-05:00</TimeModified>` +
	`<EditSequence>1772438400</EditSequence><Name>Scheduled Supplies</Name><IsActive>true</IsActive></VendorRet>` +
	`</VendorQueryRs></QBXMLMsgsRs></QBXML>`

// TestASyncPassTheSchedulerEndsIsDeliveredWithoutWaitingForTheSweep: the
// answer of a sync page was recorded but not ingested (the process that
// recorded it stopped), and the sync scheduler's tick ends the pass. Its
// sync.completed is recorded in the pass's transaction and its delivery
// starts once that committed: the endpoint receives it although the
// webhook sender's sweep, which starts deliveries left without a job,
// never runs in this test.
func TestASyncPassTheSchedulerEndsIsDeliveredWithoutWaitingForTheSweep(t *testing.T) {
	for name, dsn := range platformtest.Databases() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			// The sweeper is not started (platformtest leaves it to the
			// test): only a delivery started after the commit arrives.
			p := platformtest.New(t, platformtest.Options{DSN: dsn(t), Webhooks: &platformtest.WebhookOptions{AllowPrivate: true}})
			if err := p.Jobs.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Jobs.Stop(context.Background()) })
			types := make(chan qbconnect.EventType, 10)
			hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var ev struct{ Type qbconnect.EventType }
				body, _ := io.ReadAll(r.Body)
				if json.Unmarshal(body, &ev) != nil {
					http.Error(w, "no event", http.StatusBadRequest)
					return
				}
				types <- ev.Type
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(hooks.Close)

			org, _ := p.NewOrg("Lender")
			conn, _ := p.Linked(t, org.ID, "")
			if _, err := p.Webhooks.CreateWebhook(ctx, &qbconnect.WebhookEndpoint{OrgID: org.ID, URL: hooks.URL + "/hooks",
				Events: []qbconnect.EventType{qbconnect.EventSyncCompleted}}); err != nil {
				t.Fatal(err)
			}
			states, err := p.Engine.SyncNow(ctx, org.ID, conn.CompanyID, qbconnect.SyncRequest{DataTypes: []string{"vendors"}})
			if err != nil || len(states) != 1 {
				t.Fatalf("sync now = %v, %v", states, err)
			}
			// The page's answer is recorded outside the control plane, as
			// by a process that stopped before handing it to the engine.
			l, err := p.Queue.LeaseConnection(ctx, conn.ID, time.Minute)
			if err != nil || l == nil {
				t.Fatalf("lease = %v, %v", l, err)
			}
			if _, applied, err := p.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte(vendorsPage)}); err != nil || !applied {
				t.Fatalf("complete = %v, %v", applied, err)
			}

			if _, err := p.Engine.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := p.Engine.SyncStates(ctx, org.ID, conn.CompanyID)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range got {
				if st.DataType == "vendors" && st.Status != qbconnect.SyncComplete {
					t.Fatalf("after the tick, the vendors pass is %s, want %s", st.Status, qbconnect.SyncComplete)
				}
			}
			select {
			case typ := <-types:
				if typ != qbconnect.EventSyncCompleted {
					t.Errorf("delivered %s, want %s", typ, qbconnect.EventSyncCompleted)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("sync.completed was not delivered within 30 s; it waits for the sweep")
			}
		})
	}
}
