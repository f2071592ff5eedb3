package syncengine_test

import (
	"context"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/syncengine"
)

func TestInWindow(t *testing.T) {
	nightsAndWeekends := &qbconnect.SyncWindow{TimeZone: "America/New_York", Days: []time.Weekday{time.Saturday, time.Sunday}, From: "22:00", To: "06:00"}
	office := &qbconnect.SyncWindow{From: "09:00", To: "17:30"}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	cases := []struct {
		name string
		w    *qbconnect.SyncWindow
		t    time.Time
		want bool
	}{
		{"no window", nil, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), true},
		{"weekday noon", nightsAndWeekends, time.Date(2026, 3, 4, 12, 0, 0, 0, ny), false},
		{"weekday 23:00", nightsAndWeekends, time.Date(2026, 3, 4, 23, 0, 0, 0, ny), true},
		{"weekday 05:59", nightsAndWeekends, time.Date(2026, 3, 4, 5, 59, 0, 0, ny), true},
		{"weekday 06:00", nightsAndWeekends, time.Date(2026, 3, 4, 6, 0, 0, 0, ny), false},
		{"saturday noon", nightsAndWeekends, time.Date(2026, 3, 7, 12, 0, 0, 0, ny), true},
		{"weekday noon in UTC is 07:00 in New York", nightsAndWeekends, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), false},
		{"weekday 03:00 UTC is 22:00 in New York", nightsAndWeekends, time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC), true},
		{"office 09:00", office, time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), true},
		{"office 17:30", office, time.Date(2026, 3, 4, 17, 30, 0, 0, time.UTC), false},
		{"days only, other day", &qbconnect.SyncWindow{Days: []time.Weekday{time.Sunday}}, time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC), false},
	}
	for _, c := range cases {
		got, err := syncengine.InWindow(c.w, c.t)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v (%v), want %v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []*qbconnect.SyncWindow{{TimeZone: "Mars/Olympus"}, {From: "25:00"}, {From: "9:00"}, {To: "noon"}} {
		bad.Days = nil
		if bad.TimeZone != "" {
			bad.From = "01:00"
		}
		if _, err := syncengine.InWindow(bad, time.Now()); err == nil {
			t.Errorf("window %+v: no error", bad)
		}
	}
}

func TestSchedulerStartsDueSyncsInsideTheWindowOnly(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: smallCompany(4), Engine: syncengine.Config{DataTypes: []string{"customers", "invoices"}}})
	sched := qbconnect.SyncSchedule{Every: qbconnect.Duration(time.Hour), Window: &qbconnect.SyncWindow{From: "22:00", To: "06:00"}}
	if _, err := h.env.Companies.UpdateCompany(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.CompanyUpdate{Schedule: &sched}); err != nil {
		t.Fatal(err)
	}
	// A company without a connection and one with syncing disabled are
	// never scheduled.
	h.env.Company(t, h.org.ID, "No connection")
	tick := func() int {
		t.Helper()
		n, err := h.eng.Tick(h.ctx)
		if err != nil {
			t.Fatalf("tick: %v", err)
		}
		return n
	}
	if n := tick(); n != 0 { // 09:00 UTC: outside the window
		t.Fatalf("started %d passes outside the window", n)
	}
	h.env.Clock.Advance(13*time.Hour + 30*time.Minute) // 22:30
	if n := tick(); n != 2 {
		t.Fatalf("started %d passes inside the window, want 2", n)
	}
	ops, _, _ := h.env.Queue.ListOperations(h.ctx, qbconnect.OperationFilter{OrgID: h.org.ID})
	for _, op := range ops {
		if op.Priority != qbconnect.PriorityScheduled {
			t.Errorf("scheduled page has priority %d", op.Priority)
		}
	}
	if n := tick(); n != 0 {
		t.Fatalf("started %d passes while the first are queued", n)
	}
	h.drain()
	h.env.Clock.Advance(30 * time.Minute)
	if n := tick(); n != 0 {
		t.Fatalf("started %d passes before they were due", n)
	}
	h.env.Clock.Advance(31 * time.Minute)
	if n := tick(); n != 2 {
		t.Fatalf("started %d passes when due, want 2", n)
	}
	h.drain()
	states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	for _, st := range states {
		if st.Status != qbconnect.SyncComplete || st.Mode != qbconnect.SyncIncremental || st.Trigger != qbconnect.TriggerSchedule {
			t.Errorf("%s: %s %s %s", st.DataType, st.Status, st.Mode, st.Trigger)
		}
	}
	disabled := qbconnect.SyncSchedule{Every: qbconnect.Duration(-1)}
	if _, err := h.env.Companies.UpdateCompany(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.CompanyUpdate{Schedule: &disabled}); err != nil {
		t.Fatal(err)
	}
	h.env.Clock.Advance(48 * time.Hour)
	if n := tick(); n != 0 {
		t.Fatalf("started %d passes with syncing disabled", n)
	}
}

func TestSchedulerLifecycle(t *testing.T) {
	ticks := make(chan int, 16)
	h := newHarness(t, harnessOptions{Engine: syncengine.Config{DataTypes: []string{"customers"}, TickInterval: time.Hour,
		OnTick: func(n int, err error) {
			if err != nil {
				t.Errorf("tick: %v", err)
			}
			ticks <- n
		}}})
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	if err := h.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.Start(ctx); err == nil {
		t.Error("a second Start succeeded")
	}
	wait := func() int {
		select {
		case n := <-ticks:
			return n
		case <-time.After(30 * time.Second):
			t.Fatal("no tick")
			return 0
		}
	}
	if n := wait(); n != 1 { // the first tick starts the never-synced type
		t.Errorf("first tick started %d passes, want 1", n)
	}
	h.drain()
	h.eng.Kick()
	if n := wait(); n != 0 {
		t.Errorf("kicked tick started %d passes, want 0", n)
	}
	h.eng.Stop()
	h.eng.Stop() // stopping twice is harmless
	h.eng.Kick() // and kicking a stopped engine does nothing
	select {
	case n := <-ticks:
		t.Errorf("tick after Stop (%d)", n)
	default:
	}
}

func TestReconcileHandlesResultsThePlatformMissed(t *testing.T) {
	h := newHarness(t, harnessOptions{Generate: smallCompany(5), Engine: syncengine.Config{MaxReturned: 50, DataTypes: []string{"invoices"}}})
	if _, err := h.eng.SyncNow(h.ctx, h.org.ID, h.conn.CompanyID, qbconnect.SyncRequest{}); err != nil {
		t.Fatal(err)
	}
	// Every result is recorded by the queue but never handed to the engine;
	// each tick reconciles one page and queues the next.
	for i := 0; i < 20 && h.step(false, true); i++ {
		if _, err := h.eng.Tick(h.ctx); err != nil {
			t.Fatal(err)
		}
	}
	states, _ := h.eng.SyncStates(h.ctx, h.org.ID, h.conn.CompanyID)
	if st := stateOf(t, states, "invoices"); st.Status != qbconnect.SyncComplete || st.Fetched != 300 {
		t.Fatalf("invoices %s with %d fetched, want Complete with 300", st.Status, st.Fetched)
	}
	h.checkMirror(2, "invoices")
}
