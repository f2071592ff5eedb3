package storetest

import (
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The dispatcher (store/dispatch.go): what a long-poll asks of it, and
// when it must go to the database.

// testDispatcherAnswersAnIdlePollFromMemory: once a claim found nothing,
// the next ones are answered from memory until a notification names the
// connector; the first claim of a poll re-offers the connector's lease.
func testDispatcherAnswersAnIdlePollFromMemory(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	d := e.DB.Dispatcher()
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	id := conn.ConnectorID
	claim := func(reoffer bool) (*qbconnect.Lease, int, bool) {
		t.Helper()
		before := d.Stats().ClaimsRun
		l, n, err := d.Claim(ctx, id, time.Minute, reoffer)
		must(t, err)
		return l, n, d.Stats().ClaimsRun > before
	}
	if l, _, queried := claim(true); l != nil || !queried {
		t.Fatalf("first claim: lease %v, queried %v; want none, queried", l, queried)
	}
	for range 3 {
		if l, _, queried := claim(true); l != nil || queried {
			t.Fatalf("idle claim: lease %v, queried %v; want none from memory", l, queried)
		}
	}
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "a")
	l1, _, queried := claim(false)
	if l1 == nil || l1.Operation.ID != op.ID || !queried {
		t.Fatalf("claim after an enqueue = %+v (queried %v), want %s", l1, queried, op.ID)
	}
	// The connector polls again without answering: its item was lost and
	// is offered again at once.
	l2, n, _ := claim(true)
	if n != 1 || l2 == nil || l2.Operation.ID != op.ID || l2.LeaseID == l1.LeaseID {
		t.Fatalf("poll while holding a lease: reoffered %d, lease %+v; want 1 and %s under a new lease", n, l2, op.ID)
	}
	_, applied, err := e.Queue.Complete(ctx, op.ID, l2.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
	if !applied {
		t.Fatal("result not applied")
	}
	if l, _, queried := claim(true); l != nil || !queried {
		t.Fatalf("claim after the result: lease %v, queried %v; want none, queried", l, queried)
	}
	if l, _, queried := claim(true); l != nil || queried {
		t.Fatalf("claim once idle again: lease %v, queried %v", l, queried)
	}
}

// testDispatcherKeepsConnectionsWhileWorkComesAndGoes: work enqueued,
// handed out and finished with the same health leaves the remembered
// connections as they were (a poll reads them from memory); a change of
// health or a pause makes the next poll read them again, and see it.
func testDispatcherKeepsConnectionsWhileWorkComesAndGoes(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	d := e.DB.Dispatcher()
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	id := conn.ConnectorID
	connected := qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected to QuickBooks."}
	run := func(out qbconnect.Outcome) {
		t.Helper()
		op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "a")
		l, _, err := d.Claim(ctx, id, time.Minute, true)
		must(t, err)
		if l == nil || l.Operation.ID != op.ID {
			t.Fatalf("claim = %+v, want %s", l, op.ID)
		}
		_, _, err = e.Queue.Complete(ctx, op.ID, l.LeaseID, out)
		must(t, err)
	}
	read := func() (*qbconnect.Connection, bool) {
		t.Helper()
		before := d.Stats().ConnectionsHits
		conns, err := d.ConnectorConnections(ctx, id)
		must(t, err)
		if len(conns) != 1 {
			t.Fatalf("connections = %d, want 1", len(conns))
		}
		return conns[0], d.Stats().ConnectionsHits > before
	}
	run(qbconnect.Outcome{Response: []byte("ok"), Health: &connected})
	if c, hit := read(); hit || c.Health.Message != connected.Message {
		t.Fatalf("after the first result: health %q, from memory %v; want %q read again", c.Health.Message, hit, connected.Message)
	}
	for i := range 3 {
		run(qbconnect.Outcome{Response: []byte("ok"), Health: &connected})
		if _, hit := read(); !hit {
			t.Fatalf("result %d with the same health: the connections were read again", i+2)
		}
	}
	closed := qbconnect.Health{Code: "qb_not_running", Message: "QuickBooks is not running.", NeedsUser: true}
	run(qbconnect.Outcome{Failure: &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "closed", Retryable: true}, Health: &closed})
	if c, hit := read(); hit || c.Health.Code != closed.Code {
		t.Fatalf("after a health change: health %q, from memory %v; want %q read again", c.Health.Code, hit, closed.Code)
	}
	_, err := e.Connections.SetPaused(ctx, org.ID, conn.ID, qbconnect.Pause{Paused: true, By: qbconnect.PausedByAPI})
	must(t, err)
	if c, hit := read(); hit || !c.Paused {
		t.Fatalf("after a pause: paused %v, from memory %v; want paused, read again", c.Paused, hit)
	}
}

// testDispatcherClaimsAgainWhenABackOffOrAPauseEnds: work that becomes
// runnable by itself, with no write to tell, is claimed once its time
// comes.
func testDispatcherClaimsAgainWhenABackOffOrAPauseEnds(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{RetryBase: 10 * time.Second, RetryMax: 10 * time.Second})
	d := e.DB.Dispatcher()
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	id := conn.ConnectorID
	claim := func() *qbconnect.Lease {
		t.Helper()
		l, _, err := d.Claim(ctx, id, time.Minute, true)
		must(t, err)
		return l
	}
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "a")
	l := claim()
	_, _, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Failure: &qbconnect.Error{
		Code: qbconnect.EUnavailable, Message: "busy", Retryable: true}})
	must(t, err)
	if l := claim(); l != nil {
		t.Fatalf("claim during the back-off = %+v", l)
	}
	ran := d.Stats().ClaimsRun
	if l := claim(); l != nil || d.Stats().ClaimsRun != ran {
		t.Fatal("a claim during the back-off went to the database")
	}
	e.Clock.Advance(11 * time.Second)
	if l := claim(); l == nil || l.Operation.ID != op.ID {
		t.Fatalf("claim after the back-off = %+v, want %s", l, op.ID)
	}
	_, _, err = e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)

	until := e.Clock.Now().Add(time.Minute)
	_, err = e.Connections.SetPaused(ctx, org.ID, conn.ID, qbconnect.Pause{Paused: true, Until: &until, By: qbconnect.PausedByAPI})
	must(t, err)
	op2 := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "b")
	if l := claim(); l != nil {
		t.Fatalf("claim while paused = %+v", l)
	}
	e.Clock.Advance(61 * time.Second)
	if l := claim(); l == nil || l.Operation.ID != op2.ID {
		t.Fatalf("claim once the pause ended = %+v, want %s", l, op2.ID)
	}
}

// testDispatcherHearsOtherProcesses: with PostgreSQL, what another process
// writes reaches this one's memory: new work, a lease it handed out (and
// lost), a pause, a revoked credential, a revoked API key.
func testDispatcherHearsOtherProcesses(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e1 := NewEnv(t, dsn, store.Options{})
	if e1.DB.Dialect() != store.Postgres {
		t.Skip("SQLite has no notifications between processes")
	}
	e2 := OpenEnv(t, dsn, store.Options{}, e1.Clock)
	d1, d2 := e1.DB.Dispatcher(), e2.DB.Dispatcher()
	org := e1.Org(t, "Acme")
	conn, cred := e1.Linked(t, org.ID, "")
	id := conn.ConnectorID
	idle := func() {
		t.Helper()
		for range 2 {
			l, _, err := d1.Claim(ctx, id, time.Minute, true)
			must(t, err)
			if l != nil {
				t.Fatalf("idle connector got %+v", l)
			}
		}
	}
	idle()
	wake := d1.Wait(id)
	op := e2.Enqueue(t, conn, qbconnect.PriorityInteractive, "a")
	waitClosed(t, wake, "an enqueue by the other process")
	l, _, err := d1.Claim(ctx, id, time.Minute, false)
	must(t, err)
	if l == nil || l.Operation.ID != op.ID {
		t.Fatalf("claim after the other process's enqueue = %+v, want %s", l, op.ID)
	}
	_, _, err = e1.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
	idle()

	// The other process hands out an item and dies before the connector
	// gets it; the connector's next poll lands here.
	op2 := e2.Enqueue(t, conn, qbconnect.PriorityInteractive, "b")
	lost, _, err := d2.Claim(ctx, id, time.Minute, true)
	must(t, err)
	if lost == nil || lost.Operation.ID != op2.ID {
		t.Fatalf("the other process leased %+v, want %s", lost, op2.ID)
	}
	eventually(t, "the lost lease offered again here", func() bool {
		l, n, err := d1.Claim(ctx, id, time.Minute, true)
		must(t, err)
		return n == 1 && l != nil && l.Operation.ID == op2.ID
	})

	// A pause through the other process shows in the remembered
	// connections; a revocation refuses the remembered credential.
	if _, err := d1.ConnectorConnections(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = e2.Connections.SetPaused(ctx, org.ID, conn.ID, qbconnect.Pause{Paused: true, By: qbconnect.PausedByAPI})
	must(t, err)
	eventually(t, "the pause seen here", func() bool {
		conns, err := d1.ConnectorConnections(ctx, id)
		must(t, err)
		return len(conns) == 1 && conns[0].Paused
	})
	for range 2 {
		if _, err := d1.AuthenticateConnector(ctx, cred); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
	}
	if d1.Stats().CredentialHits == 0 {
		t.Error("a second authentication went to the database")
	}
	must(t, e2.Connections.RevokeConnector(ctx, org.ID, id))
	eventually(t, "the revocation refusing the credential here", func() bool {
		_, err := d1.AuthenticateConnector(ctx, cred)
		return qbconnect.ErrorCodeOf(err) == qbconnect.EUnauthorized
	})

	// An API key this process remembers is refused once the other
	// process revoked it.
	key, secret, err := e1.Orgs.CreateAPIKey(ctx, org.ID, "client")
	must(t, err)
	for range 2 {
		_, err := e1.Orgs.AuthenticateAPIKey(ctx, secret)
		must(t, err)
	}
	must(t, e2.Orgs.RevokeAPIKey(ctx, key.ID))
	eventually(t, "the API key's revocation refusing it here", func() bool {
		_, err := e1.Orgs.AuthenticateAPIKey(ctx, secret)
		return qbconnect.ErrorCodeOf(err) == qbconnect.EUnauthorized
	})
}

// testDispatcherRecordsConnectorsSeen: a connector authenticated from
// memory is still recorded as seen (FlushSeen, which the sweep calls),
// at most every 30 s, so that other processes know it is online.
func testDispatcherRecordsConnectorsSeen(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	d := e.DB.Dispatcher()
	org := e.Org(t, "Acme")
	conn, cred := e.Linked(t, org.ID, "")
	for i := range 8 {
		e.Clock.Advance(15 * time.Second)
		_, err := d.AuthenticateConnector(ctx, cred)
		must(t, err)
		_, err = d.FlushSeen(ctx)
		must(t, err)
		c, err := e.Connections.FindConnector(ctx, conn.ConnectorID)
		must(t, err)
		if now := e.Clock.Now(); c.LastSeenAt == nil || now.Sub(*c.LastSeenAt) > 35*time.Second || c.LastSeenAt.After(now) {
			t.Fatalf("after %d authentications 15 s apart: last seen %v, want within 35 s before %v", i+1, c.LastSeenAt, now)
		}
	}
	if d.Stats().CredentialHits == 0 && e.DB.Dialect() == store.Postgres {
		t.Error("every authentication went to the database")
	}
}

// testDispatcherForgetsConnectorsGoneQuiet: Forget, which the sweep calls,
// drops what the dispatcher keeps about connectors it has not served for
// the idle period, but not one whose last-seen time it has yet to write,
// and drops expired credentials; a forgotten connector's next claim asks
// the database again and finds its work.
func testDispatcherForgetsConnectorsGoneQuiet(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	d := e.DB.Dispatcher()
	org := e.Org(t, "Acme")
	connA, credA := e.Linked(t, org.ID, "")
	connB, credB := e.Linked(t, org.ID, "")
	a, b := connA.ConnectorID, connB.ConnectorID
	claim := func(id string) (*qbconnect.Lease, bool) {
		t.Helper()
		before := d.Stats().ClaimsRun
		l, _, err := d.Claim(ctx, id, time.Minute, true)
		must(t, err)
		return l, d.Stats().ClaimsRun > before
	}
	forget := func(idle time.Duration, want, wantKept int) {
		t.Helper()
		if n := d.Forget(idle); n != want || d.Stats().Connectors != wantKept {
			t.Fatalf("Forget(%v) = %d, keeping %d connectors; want %d, keeping %d", idle, n, d.Stats().Connectors, want, wantKept)
		}
	}
	for _, id := range []string{a, b} {
		if l, queried := claim(id); l != nil || !queried {
			t.Fatalf("first claim of %s: lease %v, queried %v; want none, queried", id, l, queried)
		}
	}
	_, err := d.AuthenticateConnector(ctx, credB)
	must(t, err)
	// B authenticates from memory: seen, not yet written.
	e.Clock.Advance(time.Second)
	_, err = d.AuthenticateConnector(ctx, credB)
	must(t, err)
	if d.Stats().CredentialHits == 0 {
		t.Fatal("the second authentication went to the database")
	}
	forget(time.Hour, 0, 2)

	e.Clock.Advance(time.Minute)
	claim(a)
	forget(30*time.Second, 0, 2) // B has not been written as seen yet
	_, err = d.FlushSeen(ctx)
	must(t, err)
	forget(30*time.Second, 1, 1) // now it goes; A was served just now

	op := e.Enqueue(t, connB, qbconnect.PriorityInteractive, "b")
	if l, queried := claim(b); l == nil || l.Operation.ID != op.ID || !queried {
		t.Fatalf("claim of the forgotten connector = %+v (queried %v), want %s from the database", l, queried, op.ID)
	}
	if d.Stats().Connectors != 2 {
		t.Fatalf("after its claim the dispatcher keeps %d connectors, want 2", d.Stats().Connectors)
	}

	// Credentials are dropped once they expire, whoever used them last.
	_, err = d.AuthenticateConnector(ctx, credA)
	must(t, err)
	if d.Stats().CachedCredentials == 0 {
		t.Fatal("no credential cached after an authentication")
	}
	e.Clock.Advance(10 * time.Minute)
	forget(time.Hour, 0, 2)
	if n := d.Stats().CachedCredentials; n != 0 {
		t.Fatalf("%d credentials cached 10 minutes on, want none", n)
	}
	if _, err := d.AuthenticateConnector(ctx, credA); err != nil {
		t.Fatalf("authenticate after the credential was forgotten: %v", err)
	}
}

// eventually polls cond every 5 ms for up to 10 s.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within 10 s: %s", what)
		}
		<-tick.C
	}
}
