package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The Web Connector store's conformance scenarios.

// wcConnection creates a company with a Web Connector connection.
func wcConnection(t *testing.T, e *Env, orgID, name string) *qbconnect.Connection {
	t.Helper()
	co := e.Company(t, orgID, name)
	conn := &qbconnect.Connection{OrgID: orgID, CompanyID: co.ID, Kind: qbconnect.KindWebConnector}
	must(t, e.Connections.CreateConnection(ctx, conn))
	return conn
}

// testWebConnectorOwnerIDIsSetOnce: the first candidate becomes the
// platform's OwnerID, later ones (and later handles) read it back.
func testWebConnectorOwnerIDIsSetOnce(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e := NewEnv(t, dsn, store.Options{})
	wc := store.NewWebConnectorStore(e.DB)
	_, err := wc.OwnerID(ctx, "")
	wantCode(t, err, qbconnect.EInvalid)
	first, err := wc.OwnerID(ctx, "{11111111-1111-1111-1111-111111111111}")
	must(t, err)
	second, err := store.NewWebConnectorStore(OpenEnv(t, dsn, store.Options{}, e.Clock).DB).OwnerID(ctx, "{22222222-2222-2222-2222-222222222222}")
	must(t, err)
	if first != "{11111111-1111-1111-1111-111111111111}" || second != first {
		t.Errorf("owner IDs %q then %q, want the first candidate both times", first, second)
	}
}

// testWebConnectorCredentials: a credential reads back by connection and
// by user name, replacing it keeps its creation time and clears failures,
// a user name belongs to one connection, and failures count per window.
func testWebConnectorCredentials(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	wc := store.NewWebConnectorStore(e.DB)
	org := e.Org(t, "Lender")
	conn, other := wcConnection(t, e, org.ID, "Bakery"), wcConnection(t, e, org.ID, "Florist")

	wantCode(t, wc.SaveCredential(ctx, &qbconnect.WebConnectorCredential{ConnectionID: conn.ID, UserName: "u"}), qbconnect.EInvalid)
	wantCode(t, wc.SaveCredential(ctx, &qbconnect.WebConnectorCredential{ConnectionID: "con_unknown", UserName: "u",
		PasswordHash: []byte("h"), FileID: "{f}"}), qbconnect.ENotFound)
	_, err := wc.FindCredential(ctx, conn.ID)
	wantCode(t, err, qbconnect.ENotFound)

	cred := &qbconnect.WebConnectorCredential{ConnectionID: conn.ID, UserName: "qbwc-bakery", PasswordHash: []byte("hash-1"), FileID: "{file-1}"}
	must(t, wc.SaveCredential(ctx, cred))
	created := e.Clock.Now()
	want := &qbconnect.WebConnectorCredential{ConnectionID: conn.ID, OrgID: org.ID, UserName: "qbwc-bakery",
		PasswordHash: []byte("hash-1"), FileID: "{file-1}", CreatedAt: created, UpdatedAt: created}
	if diff := cmp.Diff(want, cred); diff != "" {
		t.Errorf("saved credential (-want +got):\n%s", diff)
	}
	got, err := wc.FindCredential(ctx, conn.ID)
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("credential by connection (-want +got):\n%s", diff)
	}
	got, err = wc.CredentialByUser(ctx, "qbwc-bakery")
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("credential by user (-want +got):\n%s", diff)
	}
	_, err = wc.CredentialByUser(ctx, "qbwc-nobody")
	wantCode(t, err, qbconnect.ENotFound)

	taken := &qbconnect.WebConnectorCredential{ConnectionID: other.ID, UserName: "qbwc-bakery", PasswordHash: []byte("h"), FileID: "{file-2}"}
	wantCode(t, wc.SaveCredential(ctx, taken), qbconnect.EConflict)
	_, err = wc.FindCredential(ctx, other.ID)
	wantCode(t, err, qbconnect.ENotFound)

	// Failures count within the window and start again after it.
	const window = 10 * time.Minute
	for i, wantN := range []int{1, 2} {
		n, err := wc.RecordLoginFailure(ctx, "qbwc-bakery", window)
		must(t, err)
		if n != wantN {
			t.Errorf("failure %d counted %d, want %d", i+1, n, wantN)
		}
		e.Clock.Advance(time.Minute)
	}
	if n, err := wc.RecordLoginFailure(ctx, "qbwc-nobody", window); err != nil || n != 0 {
		t.Errorf("failure of an unknown user = %d, %v; want 0", n, err)
	}
	got, err = wc.FindCredential(ctx, conn.ID)
	must(t, err)
	if got.FailedLogins != 2 || got.FailedSince == nil || !got.FailedSince.Equal(created) {
		t.Errorf("after two failures: %d since %v, want 2 since %v", got.FailedLogins, got.FailedSince, created)
	}
	e.Clock.Advance(window)
	if n, err := wc.RecordLoginFailure(ctx, "qbwc-bakery", window); err != nil || n != 1 {
		t.Errorf("a failure after the window = %d, %v; want 1", n, err)
	}
	must(t, wc.ResetLoginFailures(ctx, "qbwc-bakery"))
	got, err = wc.FindCredential(ctx, conn.ID)
	must(t, err)
	if got.FailedLogins != 0 || got.FailedSince != nil {
		t.Errorf("after reset: %d since %v, want none", got.FailedLogins, got.FailedSince)
	}

	// Replacing: a new user name and hash, the same creation time, the old
	// user name free again, failures cleared.
	_, err = wc.RecordLoginFailure(ctx, "qbwc-bakery", window)
	must(t, err)
	e.Clock.Advance(time.Minute)
	repl := &qbconnect.WebConnectorCredential{ConnectionID: conn.ID, UserName: "qbwc-bakery-2", PasswordHash: []byte("hash-2"), FileID: "{file-1}"}
	must(t, wc.SaveCredential(ctx, repl))
	want = &qbconnect.WebConnectorCredential{ConnectionID: conn.ID, OrgID: org.ID, UserName: "qbwc-bakery-2",
		PasswordHash: []byte("hash-2"), FileID: "{file-1}", CreatedAt: created, UpdatedAt: e.Clock.Now()}
	got, err = wc.FindCredential(ctx, conn.ID)
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replaced credential (-want +got):\n%s", diff)
	}
	_, err = wc.CredentialByUser(ctx, "qbwc-bakery")
	wantCode(t, err, qbconnect.ENotFound)
	taken.UserName = "qbwc-bakery"
	must(t, wc.SaveCredential(ctx, taken))
}

// testWebConnectorSessions: one open session per connection, a session
// reads back by ticket, updates apply only over the version read, and the
// connection's live sessions (open or holding an operation) list newest
// first.
func testWebConnectorSessions(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	wc := store.NewWebConnectorStore(e.DB)
	org := e.Org(t, "Lender")
	conn := wcConnection(t, e, org.ID, "Bakery")

	wantCode(t, wc.CreateSession(ctx, &qbconnect.WebConnectorSession{ConnectionID: conn.ID, Status: qbconnect.SessionOpen}), qbconnect.EInvalid)
	_, err := wc.FindSession(ctx, []byte("ticket-1"))
	wantCode(t, err, qbconnect.ENotFound)

	s1 := &qbconnect.WebConnectorSession{TicketHash: []byte("ticket-1"), ConnectionID: conn.ID, OrgID: org.ID, CompanyID: conn.CompanyID,
		Status: qbconnect.SessionOpen, CompanyFile: `C:\Books\Bakery.qbw`}
	must(t, wc.CreateSession(ctx, s1))
	if s1.ID == "" || s1.Version != 1 || !s1.CreatedAt.Equal(e.Clock.Now()) {
		t.Errorf("created session %+v", s1)
	}
	got, err := wc.FindSession(ctx, []byte("ticket-1"))
	must(t, err)
	if diff := cmp.Diff(s1, got); diff != "" {
		t.Errorf("session by ticket (-want +got):\n%s", diff)
	}
	second := &qbconnect.WebConnectorSession{TicketHash: []byte("ticket-2"), ConnectionID: conn.ID, OrgID: org.ID, Status: qbconnect.SessionOpen}
	wantCode(t, wc.CreateSession(ctx, second), qbconnect.EConflict)

	// A callback moves the session on; a stale copy cannot overwrite it.
	stale := *got
	e.Clock.Advance(time.Second)
	got.HCPDone, got.OpID, got.LeaseID, got.Sent = true, "op_1", "lse_1", 1
	must(t, wc.UpdateSession(ctx, got))
	if got.Version != 2 || !got.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("updated session version %d at %v", got.Version, got.UpdatedAt)
	}
	stale.LastError = "stale"
	wantCode(t, wc.UpdateSession(ctx, &stale), qbconnect.EConflict)
	reread, err := wc.FindSession(ctx, []byte("ticket-1"))
	must(t, err)
	if diff := cmp.Diff(got, reread); diff != "" {
		t.Errorf("session after a stale update (-want +got):\n%s", diff)
	}

	// Closed while it still holds an operation: it stays listed, and a new
	// session may open.
	closed := e.Clock.Now()
	reread.Status, reread.ClosedAt = qbconnect.SessionClosed, &closed
	must(t, wc.UpdateSession(ctx, reread))
	e.Clock.Advance(time.Second)
	must(t, wc.CreateSession(ctx, second))
	e.Clock.Advance(time.Second)
	done := &qbconnect.WebConnectorSession{TicketHash: []byte("ticket-3"), ConnectionID: conn.ID, OrgID: org.ID,
		Status: qbconnect.SessionClosed, ClosedAt: &closed}
	must(t, wc.CreateSession(ctx, done))

	live, err := wc.ConnectionSessions(ctx, conn.ID)
	must(t, err)
	var ids []string
	for _, s := range live {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{second.ID, s1.ID}, ids); diff != "" {
		t.Errorf("live sessions newest first (-want +got):\n%s", diff)
	}
	if live, err := wc.ConnectionSessions(ctx, "con_unknown"); err != nil || len(live) != 0 {
		t.Errorf("sessions of an unknown connection = %v, %v", live, err)
	}
}

// testWebConnectorLinksAndCountsPendingWork: linking records the file on
// a Web Connector connection only, and pending operations count queued and
// in-flight work of that connection alone.
func testWebConnectorLinksAndCountsPendingWork(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	wc := store.NewWebConnectorStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	conn := wcConnection(t, e, org.ID, "Bakery")
	connector, _ := e.Linked(t, org.ID, "")

	ok := qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected to QuickBooks through the Web Connector."}
	_, err := e.Connections.LinkWebConnector(ctx, connector.ID, qbconnect.FileIdentity{Path: `C:\x.qbw`}, ok)
	wantCode(t, err, qbconnect.EConflict)
	_, err = e.Connections.LinkWebConnector(ctx, "con_unknown", qbconnect.FileIdentity{Path: `C:\x.qbw`}, ok)
	wantCode(t, err, qbconnect.ENotFound)
	file := qbconnect.FileIdentity{Path: `C:\Books\Bakery.qbw`, CompanyName: "Bakery", FileID: "{file-1}"}
	_, err = e.Connections.LinkWebConnector(ctx, conn.ID, file, qbconnect.Health{})
	wantCode(t, err, qbconnect.EInvalid)
	if c, err := e.Connections.LookupConnection(ctx, conn.ID); err != nil || c.Status != qbconnect.StatusPendingAuth {
		t.Fatalf("a refused link changed the connection: %+v, %v", c, err)
	}
	linked, err := e.Connections.LinkWebConnector(ctx, conn.ID, file, ok)
	must(t, err)
	if linked.Status != qbconnect.StatusLinked || linked.File.Path != file.Path || linked.File.FileID != file.FileID {
		t.Errorf("linked connection = %+v", linked)
	}
	// The link shows the Web Connector's state, not the health the
	// connection had before it (never connected).
	if linked.Health.Code != qbconnect.HealthOK || linked.Health.Message != ok.Message || linked.Health.NeedsUser || linked.Health.Since.IsZero() {
		t.Errorf("linked connection's health = %+v, want the Web Connector's", linked.Health)
	}
	looked, err := e.Connections.LookupConnection(ctx, conn.ID)
	must(t, err)
	if diff := cmp.Diff(linked, looked); diff != "" {
		t.Errorf("looked-up connection (-want +got):\n%s", diff)
	}
	_, err = e.Connections.LookupConnection(ctx, "con_unknown")
	wantCode(t, err, qbconnect.ENotFound)
	// Unscoped lookup is for the platform; the scoped find still hides the
	// connection from another organisation.
	_, err = e.Connections.FindConnection(ctx, other.ID, conn.ID)
	wantCode(t, err, qbconnect.ENotFound)

	e.Enqueue(t, conn, qbconnect.PriorityScheduled, "<QBXML/>")
	e.Enqueue(t, conn, qbconnect.PriorityScheduled, "<QBXML/>")
	canceled := e.Enqueue(t, conn, qbconnect.PriorityScheduled, "<QBXML/>")
	must(t, e.Queue.Cancel(ctx, org.ID, canceled.ID))
	e.Enqueue(t, connector, qbconnect.PriorityScheduled, "<QBXML/>")
	// The link's health is ok, so that work may be leased.
	if l, err := e.Queue.LeaseConnection(ctx, conn.ID, time.Minute); err != nil || l == nil {
		t.Fatalf("lease = %v, %v", l, err)
	}
	n, err := wc.PendingOperations(ctx, conn.ID)
	must(t, err)
	if n != 2 {
		t.Errorf("pending operations = %d, want 2 (one queued, one in flight)", n)
	}
}

// testWebConnectorLinkRunsTheChangeHookInItsTransaction: the Web
// Connector's link runs the connection store's hook (OnChange) in its
// transaction, with the connection before and after it, so that its event
// is recorded with it; a hook that fails leaves the connection unlinked.
// What the hook asks to run after the commit (AfterCommit, which the
// control plane finds on the recorder) runs once it committed, never
// after a rollback.
func testWebConnectorLinkRunsTheChangeHookInItsTransaction(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Lender")
	conn := wcConnection(t, e, org.ID, "Bakery")
	type change struct {
		status qbconnect.ConnectionStatus
		health string
	}
	var seen [][2]change
	afterCommit := 0
	fail := errors.New("the event could not be recorded")
	var hookErr error
	e.Connections.OnChange(func(ctx context.Context, rec qbconnect.EventRecorder, before, after *qbconnect.Connection) error {
		if rec == nil {
			t.Error("the hook has no recorder")
		}
		seen = append(seen, [2]change{{before.Status, before.Health.Code}, {after.Status, after.Health.Code}})
		ac, ok := rec.(interface{ AfterCommit(func()) })
		if !ok {
			t.Fatalf("the hook's recorder %T cannot run a func after the commit", rec)
		}
		ac.AfterCommit(func() {
			// Committed: another connection of the store sees the link.
			c, err := e.Connections.LookupConnection(ctx, after.ID)
			if err != nil || c.Status != qbconnect.StatusLinked {
				t.Errorf("after the commit, the connection is %+v, %v", c, err)
			}
			afterCommit++
		})
		return hookErr
	})
	t.Cleanup(func() { e.Connections.OnChange(nil) })
	ok := qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected to QuickBooks through the Web Connector."}
	file := qbconnect.FileIdentity{Path: `C:\Books\Bakery.qbw`, CompanyName: "Bakery"}

	hookErr = fail
	if _, err := e.Connections.LinkWebConnector(ctx, conn.ID, file, ok); !errors.Is(err, fail) {
		t.Fatalf("link with a failing hook = %v, want its error", err)
	}
	if c, err := e.Connections.LookupConnection(ctx, conn.ID); err != nil || c.Status != qbconnect.StatusPendingAuth || c.File.Path != "" {
		t.Fatalf("a link whose hook failed changed the connection: %+v, %v", c, err)
	}
	if afterCommit != 0 {
		t.Errorf("a rolled-back link ran %d after-commit funcs", afterCommit)
	}
	hookErr = nil
	if _, err := e.Connections.LinkWebConnector(ctx, conn.ID, file, ok); err != nil {
		t.Fatal(err)
	}
	if afterCommit != 1 {
		t.Errorf("the link ran %d after-commit funcs, want 1", afterCommit)
	}
	link := [2]change{{qbconnect.StatusPendingAuth, qbconnect.HealthNeverConnected}, {qbconnect.StatusLinked, qbconnect.HealthOK}}
	if diff := cmp.Diff([][2]change{link, link}, seen, cmp.AllowUnexported(change{})); diff != "" {
		t.Errorf("hook calls (-want +got):\n%s", diff)
	}
}
