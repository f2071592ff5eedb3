package connector

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// The runner: one work item at a time, through the journal.

// messageSetIDFor returns the message-set ID an item's request runs with:
// the platform's, or for a write without one the connector's own, so that
// every write can be recovered instead of repeated.
func messageSetIDFor(it *gateway.WorkItem) string {
	if it.MessageSetID != "" {
		return it.MessageSetID
	}
	if IsWrite(it.Request) {
		return "qbc-" + it.ID
	}
	return ""
}

// handle runs a work item (or delivers the answer the journal already has
// for it). fromJournal says the item comes from the journal after a
// restart rather than from the platform: a failure recorded then is
// delivered as it is instead of running the item again.
//
// An item from the platform is delivered asking for the next one, which
// handle returns: the caller runs it as it would a polled one (nil means
// poll). An item from the journal asks for none, since other answers of
// the journal may wait to be delivered before any new item is taken.
func (a *Agent) handle(ctx context.Context, it *gateway.WorkItem, fromJournal bool) *gateway.WorkItem {
	log := a.log.With("item", it.ID, "connection", it.ConnectionID, "kind", it.Kind, "attempt", it.Attempt)
	lf := a.linked(it.ConnectionID)
	if lf == nil {
		a.reloadConfig()
		lf = a.linked(it.ConnectionID)
	}
	msgSet := messageSetIDFor(it)
	if msgSet != "" {
		if _, used, err := withMessageSetID(it.Request, msgSet); err == nil {
			msgSet = used
		}
	}
	e, err := a.jr.Receive(ctx, it, msgSet)
	if err != nil {
		// Without the journal nothing may reach QuickBooks: the lease runs
		// out and the item is offered again.
		log.Error("connector: cannot journal the work item; not running it", "err", err)
		return nil
	}
	log.Debug("connector: item received")
	stop := a.keepLease(ctx, it)
	defer stop()

	switch {
	case e.Response != nil:
		log.Info("connector: reporting the answer stored in the journal instead of running the item again")
	case e.Failure != nil && fromJournal && e.SentAt == nil:
		// Decided before the crash; deliver it.
	case e.SentAt != nil && e.MessageSetID != "":
		if lf == nil {
			return nil
		}
		a.recoverItem(ctx, lf, e, log)
	case lf == nil:
		f := &gateway.Failure{Condition: "not_linked", Message: "this connector does not serve connection " + it.ConnectionID,
			UserMessage: "This company file is not linked on this computer.", Resolution: "Link it again with a new link code."}
		if err := a.jr.Answer(ctx, e.ItemID, nil, f, 0, false); err != nil {
			log.Error("connector: journal", "err", err)
			return nil
		}
	case a.candidateAsking(lf.ConnectionID) && e.SentAt == nil:
		// The new version asks QuickBooks about this file now; the running
		// one would only make QuickBooks ask about itself. The item is
		// offered again once the question is answered.
		c := qbd.Diagnose(qbd.NewError(qbd.HRModalDialog))
		f := &gateway.Failure{Condition: c.Code, Message: "the new version of the connector is asking QuickBooks for access",
			UserMessage: "QuickBooks is asking whether the new version of the connector may use this company file.",
			Resolution:  "Answer QuickBooks' window; the work runs right after.", NeedsUser: true, Retryable: true}
		if err := a.jr.Answer(ctx, e.ItemID, nil, f, 0, false); err != nil {
			log.Error("connector: journal", "err", err)
			return nil
		}
	case lf.Paused:
		c := OwnCondition(CondPaused)
		f := &gateway.Failure{Condition: CondPaused, Message: "paused on the connector", UserMessage: c.Message,
			Resolution: c.Resolution, NeedsUser: true, Retryable: true}
		if err := a.jr.Answer(ctx, e.ItemID, nil, f, 0, false); err != nil {
			log.Error("connector: journal", "err", err)
			return nil
		}
	default:
		if e.Failure != nil {
			if err := a.jr.ForgetFailure(ctx, e.ItemID); err != nil {
				log.Error("connector: journal", "err", err)
				return nil
			}
		}
		a.runItem(ctx, lf, e, log)
	}
	if ctx.Err() != nil {
		return nil
	}
	next, _ := a.deliver(ctx, e.ItemID, it.LeaseID, !fromJournal)
	return next
}

// runItem sends the item's request to QuickBooks and journals the answer.
func (a *Agent) runItem(ctx context.Context, lf *LinkedFile, e *Entry, log *slog.Logger) {
	req := e.Request
	if e.MessageSetID != "" {
		r, _, err := withMessageSetID(req, e.MessageSetID)
		if err != nil {
			f := &gateway.Failure{Condition: qbd.CondQBXMLParseError, Message: err.Error(),
				UserMessage: "The platform sent a request QuickBooks cannot read.", Resolution: "Nothing to do on this computer."}
			if err := a.jr.Answer(ctx, e.ItemID, nil, f, 0, false); err != nil {
				log.Error("connector: journal", "err", err)
			}
			return
		}
		req = r
	}
	start := time.Now()
	resp, err := a.quickBooksFor(lf.ConnectionID).ProcessWith(ctx, lf.File, []byte(req), func() error { return a.jr.MarkSent(ctx, e.ItemID) })
	d := time.Since(start)
	if ctx.Err() != nil {
		return // shutting down: the journal says what to do at restart
	}
	a.state.CountItem(lf.ConnectionID)
	if err != nil {
		f := a.observe(lf, err)
		if err := a.jr.Answer(ctx, e.ItemID, nil, f, d, false); err != nil {
			log.Error("connector: journal", "err", err)
		}
		return
	}
	a.observe(lf, nil)
	s := string(resp)
	if err := a.jr.Answer(ctx, e.ItemID, &s, nil, d, false); err != nil {
		log.Error("connector: journal", "err", err)
		return
	}
	log.Info("connector: item answered by QuickBooks", "ms", d.Milliseconds())
	switch e.Kind {
	case gateway.KindSync, gateway.KindWrite, gateway.KindQBXML:
		// Data moved; a health check or a stamp moves none.
		a.synced(lf.ConnectionID)
	}
}

// lastSyncSaveEvery is how stale the saved "Last successful sync" may be
// after a crash: a sync runs many items, and the configuration is not
// rewritten for each. A normal stop saves the latest (saveLastSyncs).
const lastSyncSaveEvery = time.Minute

// synced records a work item that moved data and QuickBooks answered: the state at once, the
// configuration (which survives restarts and updates) when what it holds
// is older than lastSyncSaveEvery or missing.
func (a *Agent) synced(connectionID string) {
	a.state.Synced(connectionID)
	now := a.now()
	if lf := a.linked(connectionID); lf != nil && lf.LastSyncAt != nil && now.Sub(*lf.LastSyncAt) < lastSyncSaveEvery {
		return
	}
	if err := a.updateConfig(func(c *Config) error {
		if f := c.File(connectionID); f != nil {
			t := now.UTC()
			f.LastSyncAt = &t
		}
		return nil
	}); err != nil {
		a.log.Warn("connector: saving the last successful sync", "err", err)
	}
}

// recoverItem asks QuickBooks for the stored answer of a write that was
// sent but whose answer was lost. QuickBooks answers an unknown message set
// with status 600: the write never ran, and it is sent now.
func (a *Agent) recoverItem(ctx context.Context, lf *LinkedFile, e *Entry, log *slog.Logger) {
	start := time.Now()
	resp, err := a.quickBooksFor(lf.ConnectionID).Process(ctx, lf.File, recoveryRequest(e.MessageSetID))
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		f := a.observe(lf, err)
		if err := a.jr.Answer(ctx, e.ItemID, nil, f, time.Since(start), false); err != nil {
			log.Error("connector: journal", "err", err)
		}
		return
	}
	a.observe(lf, nil)
	status, err := messageSetStatus(resp)
	if err != nil {
		f := &gateway.Failure{Condition: qbd.CondUnknown, Message: err.Error(), Retryable: true,
			UserMessage: "QuickBooks gave an unreadable answer while the connector recovered a write.", Resolution: "The connector tries again by itself."}
		if err := a.jr.Answer(ctx, e.ItemID, nil, f, time.Since(start), false); err != nil {
			log.Error("connector: journal", "err", err)
		}
		return
	}
	if status == "600" {
		log.Info("connector: QuickBooks never processed this write; sending it now", "messageSet", e.MessageSetID)
		if err := a.jr.ClearSent(ctx, e.ItemID); err != nil {
			log.Error("connector: journal", "err", err)
			return
		}
		if e.Failure != nil {
			if err := a.jr.ForgetFailure(ctx, e.ItemID); err != nil {
				log.Error("connector: journal", "err", err)
				return
			}
		}
		a.runItem(ctx, lf, e, log)
		return
	}
	s := string(resp)
	if err := a.jr.Answer(ctx, e.ItemID, &s, nil, time.Since(start), true); err != nil {
		log.Error("connector: journal", "err", err)
		return
	}
	log.Info("connector: recovered the answer of a write from QuickBooks instead of writing again", "messageSet", e.MessageSetID)
}

// deliver posts the journaled answer of an item with lease leaseID and
// marks it reported once the platform acknowledged it (also when the
// platform ignored it as a duplicate or for a stale lease). With next it
// asks for the connector's next item and returns the one the answer
// carries, or nil.
//
// The returned item is the platform's only copy of that lease's offer:
// should the connector stop before journalling it, its next poll is
// offered the item again (the platform re-offers what a polling connector
// still holds), so nothing is lost; and it runs through handle, whose
// journal records the message-set ID before QuickBooks sees the request,
// so nothing is written twice.
func (a *Agent) deliver(ctx context.Context, itemID, leaseID string, next bool) (*gateway.WorkItem, error) {
	e, err := a.jr.Get(ctx, itemID)
	if err != nil {
		return nil, err
	}
	if !e.Answered() {
		return nil, nil
	}
	r := gateway.Result{ItemID: e.ItemID, LeaseID: leaseID, Failure: e.Failure, DurationMillis: e.Duration.Milliseconds(), Next: next}
	if e.Response != nil {
		r.Response = *e.Response
	}
	ack, err := a.gw.PostResult(ctx, r)
	switch code := gateway.CodeOf(err); {
	case err == nil:
		a.log.Debug("connector: result posted", "item", itemID, "applied", ack.Applied, "status", ack.Status, "next", ack.Next != nil)
	case code == gateway.CodeNotFound || code == gateway.CodeInvalid || code == gateway.CodeTooLarge:
		a.log.Error("connector: the platform refused the result; dropping it", "item", itemID, "err", err)
	default:
		if ctx.Err() == nil {
			a.log.Warn("connector: posting the result failed; it stays in the journal", "item", itemID, "err", err)
		}
		return nil, err
	}
	if err := a.jr.Reported(ctx, itemID); err != nil {
		// Not marked: the answer is posted again before the next poll,
		// which re-offers the item this answer carried.
		return nil, err
	}
	if ack == nil {
		return nil, nil
	}
	return ack.Next, nil
}

// deliverAnswers posts every answered item the platform has not
// acknowledged yet (the platform was unreachable, or the connector
// stopped).
func (a *Agent) deliverAnswers(ctx context.Context) error {
	es, err := a.jr.Unreported(ctx)
	if err != nil {
		return err
	}
	for _, e := range es {
		if !e.Answered() {
			continue
		}
		if _, err := a.deliver(ctx, e.ItemID, e.LeaseID, false); err != nil {
			return err
		}
	}
	return nil
}

// recoverJournal finishes what a crash or stop interrupted: answered items
// are delivered, unanswered ones run (or, for a write that was sent, are
// recovered from QuickBooks).
func (a *Agent) recoverJournal(ctx context.Context) {
	es, err := a.jr.Unreported(ctx)
	if err != nil {
		a.log.Error("connector: reading the journal", "err", err)
		return
	}
	if len(es) > 0 {
		a.log.Info("connector: finishing work interrupted by a stop", "items", len(es))
	}
	for _, e := range es {
		if ctx.Err() != nil {
			return
		}
		it := &gateway.WorkItem{ID: e.ItemID, LeaseID: e.LeaseID, ConnectionID: e.ConnectionID, Kind: e.Kind,
			Request: e.Request, MessageSetID: e.MessageSetID, Attempt: e.Attempt}
		a.handle(ctx, it, true)
	}
	if n, err := a.jr.Prune(ctx, a.now().Add(-7*24*time.Hour)); err == nil && n > 0 {
		a.log.Info("connector: pruned old journal entries", "items", n)
	}
}

// keepLease extends the item's lease at half its remaining time while it
// runs; the returned func stops it.
func (a *Agent) keepLease(ctx context.Context, it *gateway.WorkItem) func() {
	if it.LeaseExpiresAt.IsZero() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		exp := it.LeaseExpiresAt
		for {
			t := time.NewTimer(max(exp.Sub(a.now())/2, 100*time.Millisecond))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			resp, err := a.gw.ExtendLease(ctx, gateway.LeaseRequest{ItemID: it.ID, LeaseID: it.LeaseID})
			if err != nil {
				if ctx.Err() == nil {
					a.log.Warn("connector: extending the lease failed", "item", it.ID, "err", err)
				}
				if gateway.CodeOf(err) == gateway.CodeConflict {
					return
				}
				exp = a.now().Add(2 * time.Second)
				continue
			}
			exp = resp.LeaseExpiresAt
		}
	}()
	return func() { cancel(); <-done }
}

// reloadConfig reads the configuration again (a file linked by another
// process).
func (a *Agent) reloadConfig() {
	c, err := a.store.Load()
	if err != nil {
		a.log.Error("connector: reloading the configuration", "err", err)
		return
	}
	a.mu.Lock()
	a.cfg.Files = c.Files
	files := c.Files
	a.mu.Unlock()
	a.state.SetFiles(files)
}

func pid() int { return os.Getpid() }

// saveLastSyncs saves each file's latest "Last successful sync" that the
// configuration does not hold yet, when the agent stops.
func (a *Agent) saveLastSyncs() {
	snap := a.state.Snapshot()
	if err := a.updateConfig(func(c *Config) error {
		for _, fs := range snap.Files {
			if f := c.File(fs.ConnectionID); f != nil && fs.LastSync != nil && (f.LastSyncAt == nil || fs.LastSync.After(*f.LastSyncAt)) {
				t := fs.LastSync.UTC()
				f.LastSyncAt = &t
			}
		}
		return nil
	}); err != nil {
		a.log.Warn("connector: saving the last successful sync", "err", err)
	}
}
