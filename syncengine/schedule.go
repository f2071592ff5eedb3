package syncengine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// InWindow reports whether t falls in the window: on one of its Days all
// day, or (on any day) between From and To in its time zone, From after To
// wrapping past midnight. A nil window, or one with neither days nor times,
// allows any time. The error is for an unknown time zone or a malformed
// time of day.
func InWindow(w *qbconnect.SyncWindow, t time.Time) (bool, error) {
	if w == nil || (len(w.Days) == 0 && w.From == "" && w.To == "") {
		return true, nil
	}
	loc := time.UTC
	if w.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(w.TimeZone); err != nil {
			return false, fmt.Errorf("sync window: time zone %q: %w", w.TimeZone, err)
		}
	}
	lt := t.In(loc)
	if slices.Contains(w.Days, lt.Weekday()) {
		return true, nil
	}
	if w.From == "" && w.To == "" {
		return false, nil
	}
	from, err := minuteOfDay(w.From, 0)
	if err != nil {
		return false, err
	}
	to, err := minuteOfDay(w.To, 24*60)
	if err != nil {
		return false, err
	}
	m := lt.Hour()*60 + lt.Minute()
	if from <= to {
		return m >= from && m < to, nil
	}
	return m >= from || m < to, nil
}

// minuteOfDay parses "HH:MM"; "" gives def.
func minuteOfDay(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(hh) != 2 || len(mm) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("sync window: time of day %q is not HH:MM", s)
	}
	return h*60 + m, nil
}

// due reports whether a type of a company with schedule every is due for a
// scheduled pass at now.
func due(st *qbconnect.SyncState, every time.Duration, now time.Time) bool {
	if st == nil || st.StartedAt == nil {
		return true
	}
	if st.Status.Active() {
		return false
	}
	return now.Sub(*st.StartedAt) >= every
}

// Tick runs one scheduler pass: it reconciles passes whose results were not
// handled, then starts a scheduled pass (at PriorityScheduled) for every
// data type of every company with a linked connection that is due and
// inside its schedule's window. It returns how many passes it started.
func (e *Engine) Tick(ctx context.Context) (int, error) {
	var errs []error
	if err := e.Reconcile(ctx); err != nil {
		errs = append(errs, fmt.Errorf("reconcile: %w", err))
	}
	now := e.cfg.Now()
	orgs, err := e.orgs.ListOrgs(ctx)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	started := 0
	for _, org := range orgs {
		cursor := ""
		for {
			comps, next, err := e.comps.ListCompanies(ctx, qbconnect.CompanyFilter{OrgID: org.ID, Limit: 1000, Cursor: cursor})
			if err != nil {
				errs = append(errs, err)
				break
			}
			for _, c := range comps {
				n, err := e.schedule(ctx, c, now)
				started += n
				if err != nil {
					errs = append(errs, fmt.Errorf("company %s: %w", c.ID, err))
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return started, errors.Join(errs...)
}

func (e *Engine) schedule(ctx context.Context, c *qbconnect.Company, now time.Time) (int, error) {
	every := time.Duration(c.Schedule.Every)
	if every < 0 {
		return 0, nil
	}
	if every == 0 {
		every = e.cfg.DefaultEvery
	}
	ok, err := InWindow(c.Schedule.Window, now)
	if err != nil || !ok {
		return 0, err
	}
	conn, err := e.conns.ActiveConnection(ctx, c.OrgID, c.ID)
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if conn.Status != qbconnect.StatusLinked {
		return 0, nil
	}
	states, err := e.states.ListSyncStates(ctx, c.ID)
	if err != nil {
		return 0, err
	}
	have := map[string]*qbconnect.SyncState{}
	for _, st := range states {
		have[st.DataType] = st
	}
	var dueTypes []*dataType
	for _, d := range e.types {
		if due(have[d.name], every, now) {
			dueTypes = append(dueTypes, d)
		}
	}
	if len(dueTypes) == 0 {
		return 0, nil
	}
	_, started, err := e.startPasses(ctx, c.OrgID, c.ID, dueTypes, qbconnect.TriggerSchedule, false)
	return started, err
}

// Start runs the scheduler in the background: a Tick at once and then
// every TickInterval, until Stop or ctx ends. Starting a running engine
// is an error.
func (e *Engine) Start(ctx context.Context) error {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.done != nil {
		return errors.New("syncengine: already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	e.cancel, e.done, e.kick = cancel, make(chan struct{}), make(chan struct{}, 1)
	go e.loop(ctx, e.done, e.kick)
	return nil
}

// Kick makes a running scheduler tick now (for example after a company's
// schedule changed); it does nothing when the engine is not started.
func (e *Engine) Kick() {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.kick != nil {
		select {
		case e.kick <- struct{}{}:
		default:
		}
	}
}

// Stop stops the scheduler and waits for its current tick to end.
func (e *Engine) Stop() {
	e.runMu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done, e.kick = nil, nil, nil
	e.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (e *Engine) loop(ctx context.Context, done chan struct{}, kick chan struct{}) {
	defer close(done)
	t := time.NewTicker(e.cfg.TickInterval)
	defer t.Stop()
	for {
		n, err := e.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "sync scheduler", "err", err)
		}
		if e.cfg.OnTick != nil {
			e.cfg.OnTick(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}
