package syncengine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store"
)

// Config configures an Engine. DB is required; every other field has the
// default its comment names.
type Config struct {
	// DB is the store holding sync state, records and the queue.
	DB *store.DB
	// Queue is where operations are enqueued; nil means store.NewQueueStore(DB).
	// It must be a queue of DB: the next page of a pass is queued in DB
	// directly, in the transaction of the page before it.
	Queue qbconnect.Queue
	// Logger receives one record per pass and per failure; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of run and message-set IDs; nil means crypto/rand.
	Rand io.Reader

	// MaxReturned is the page size of iterator queries; 0 means 500.
	MaxReturned int
	// Overlap is subtracted from the high-water marks of incremental and
	// deleted-object queries, since QuickBooks' clock and ours differ; 0
	// means 5 minutes.
	Overlap time.Duration
	// MaxRestarts is how often a pass may start over (an expired iterator,
	// QuickBooks closed mid-iterator, a retryable QuickBooks status) before
	// it fails; 0 means 3.
	MaxRestarts int
	// DataTypes restricts syncing to these API names; nil means every type.
	DataTypes []string
	// FullEvery is how old the last full pass of a type QuickBooks
	// reports no deletions of (no ListDelType or TxnDelType: leads,
	// transfers) may be before its next pass is full, since only a full
	// pass finds what was deleted (SyncPage.SweepUnseen); 0 means 24
	// hours. Templates, which cannot be asked for what changed, are read
	// whole by every pass anyway.
	FullEvery time.Duration

	// DefaultEvery is the interval of scheduled syncs for companies whose
	// schedule does not set one; 0 means one hour.
	DefaultEvery time.Duration
	// TickInterval is how often the scheduler looks for due syncs and
	// reconciles passes whose results were not handled; 0 means one minute.
	TickInterval time.Duration
	// OnTick, when set, is called after every scheduler pass with the number
	// of passes it started and its first error. Tests wait on it.
	OnTick func(started int, err error)
}

// Engine is the sync engine. It is safe for concurrent use; several
// platform processes may run one each on a shared PostgreSQL database.
type Engine struct {
	cfg     Config
	db      *store.DB
	states  *store.SyncStore
	queue   qbconnect.Queue
	records *store.RecordStore
	comps   *store.CompanyStore
	conns   *store.ConnectionStore
	orgs    *store.OrgStore
	log     *slog.Logger

	types  []*dataType
	byName map[string]*dataType
	byRet  map[string]*dataType // by the Ret element of its records
	codec  *codec

	randMu sync.Mutex

	runMu  sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	kick   chan struct{}
}

var _ qbconnect.SyncService = (*Engine)(nil)

// New fills cfg's defaults, validates it and returns an Engine.
func New(cfg Config) (*Engine, error) {
	if cfg.DB == nil {
		return nil, errors.New("syncengine: DB is required")
	}
	if cfg.Queue == nil {
		cfg.Queue = store.NewQueueStore(cfg.DB)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.MaxReturned == 0 {
		cfg.MaxReturned = 500
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = 5 * time.Minute
	}
	if cfg.MaxRestarts == 0 {
		cfg.MaxRestarts = 3
	}
	if cfg.DefaultEvery == 0 {
		cfg.DefaultEvery = time.Duration(qbconnect.DefaultSyncEvery)
	}
	if cfg.TickInterval == 0 {
		cfg.TickInterval = time.Minute
	}
	if cfg.FullEvery == 0 {
		cfg.FullEvery = 24 * time.Hour
	}
	switch {
	case cfg.MaxReturned < 1:
		return nil, fmt.Errorf("syncengine: MaxReturned %d must be positive", cfg.MaxReturned)
	case cfg.Overlap < 0 || cfg.MaxRestarts < 0 || cfg.DefaultEvery < 0 || cfg.TickInterval < 0 || cfg.FullEvery < 0:
		return nil, errors.New("syncengine: Overlap, MaxRestarts, DefaultEvery, TickInterval and FullEvery must not be negative")
	}
	e := &Engine{
		cfg: cfg, db: cfg.DB, states: store.NewSyncStore(cfg.DB), queue: cfg.Queue, records: store.NewRecordStore(cfg.DB),
		comps: store.NewCompanyStore(cfg.DB), conns: store.NewConnectionStore(cfg.DB), orgs: store.NewOrgStore(cfg.DB),
		log: cfg.Logger, codec: newCodec(),
	}
	all, byName := newDataTypes()
	if cfg.DataTypes == nil {
		e.types, e.byName = all, byName
	} else {
		e.byName = map[string]*dataType{}
		for _, n := range cfg.DataTypes {
			d, ok := byName[n]
			if !ok {
				return nil, fmt.Errorf("syncengine: unknown data type %q", n)
			}
			e.byName[n] = d
		}
		for _, d := range all {
			if e.byName[d.name] != nil {
				e.types = append(e.types, d)
			}
		}
	}
	e.byRet = make(map[string]*dataType, len(e.types))
	for _, d := range e.types {
		e.byRet[d.object+"Ret"] = d
	}
	return e, nil
}

// DataTypes lists the data types the engine syncs, lists first.
func (e *Engine) DataTypes() []qbconnect.DataTypeInfo {
	out := make([]qbconnect.DataTypeInfo, len(e.types))
	for i, d := range e.types {
		out[i] = qbconnect.DataTypeInfo{Name: d.name, Object: d.object, Transaction: d.txn, Actions: d.actions(), RefFilter: refFilter(d.ref)}
	}
	return out
}

// refFilter names the read API's query parameter for a reference element
// that fills Record.RefID.
func refFilter(ref string) string {
	switch ref {
	case "CustomerRef":
		return "customerId"
	case "VendorRef":
		return "vendorId"
	case "PayeeEntityRef":
		return "payeeId"
	case "EntityRef":
		return "entityId"
	case "ParentRef", "ParentSiteRef":
		return "parentId"
	}
	return ""
}

func (e *Engine) newID(prefix string, n int) (string, error) {
	b := make([]byte, n)
	e.randMu.Lock()
	_, err := io.ReadFull(e.cfg.Rand, b)
	e.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("syncengine: random: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}

func (e *Engine) now() time.Time { return e.cfg.Now().UTC().Truncate(time.Microsecond) }

// syncMeta is the page state an OpSync operation carries in its Meta.
type syncMeta struct {
	DataType string             `json:"dataType"`
	Mode     qbconnect.SyncMode `json:"mode"`
	RunID    string             `json:"runId"`
	Restarts int                `json:"restarts"`
	Page     int                `json:"page"`
	// IteratorID is the iterator a continuation page continues.
	IteratorID string `json:"iteratorId,omitempty"`
	// ModifiedFrom and DeletedFrom are the filters of the first page.
	ModifiedFrom string `json:"modifiedFrom,omitempty"`
	DeletedFrom  string `json:"deletedFrom,omitempty"`
	// Refresh is set on a refresh rather than a page: it reads again the
	// customers, vendors and items whose balances or stock the page of
	// DataType before Page moved (see balance.go). Ends says the pass
	// awaits it to end: that page was its last.
	Refresh bool `json:"refresh,omitempty"`
	Ends    bool `json:"ends,omitempty"`
}

func (m *syncMeta) key() store.SyncKey {
	return store.SyncKey{RunID: m.RunID, Restarts: m.Restarts, Pages: m.Page}
}

// qbTime formats a time for FromModifiedDate and FromDeletedDate.
func qbTime(t time.Time) string { return t.Format("2006-01-02T15:04:05-07:00") }

// qbLocalTime formats a mark of st for FromModifiedDate or
// FromDeletedDate. Once a pass has seen the offset QuickBooks writes its
// times with (st.QBOffset), the mark goes back to the local time
// QuickBooks wrote and is sent without an offset, which QuickBooks reads
// as its own local time ("<FromModifiedDate>2016-05-17T20:00:00
// </FromModifiedDate> actually means that it checks for 20:00 LOCAL time",
// jsgoupil/quickbooks-sync#19). In daylight saving time QuickBooks writes
// the right local time with its zone's standard offset, an hour off
// (jsgoupil/quickbooks-sync#28), and what it does with an offset in a
// request is documented nowhere: an offset sent back could make an
// incremental pass skip an hour of changes. Without a known offset, the
// mark is sent in UTC as before.
func qbLocalTime(st *qbconnect.SyncState, t time.Time) string {
	if st.QBOffset == nil {
		return qbTime(t)
	}
	return t.In(time.FixedZone("", *st.QBOffset)).Format("2006-01-02T15:04:05")
}

// qbOffset returns the UTC offset, in seconds east, of a DATETIMETYPE
// that has one.
func qbOffset(s string) (int, bool) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, false
	}
	_, off := t.Zone()
	return off, true
}

// parseQBTime reads a DATETIMETYPE as QuickBooks writes it; a value without
// an offset is taken as UTC.
func parseQBTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// pagePlan returns the meta and the qbXML request of the page st awaits.
func (e *Engine) pagePlan(st *qbconnect.SyncState, d *dataType) (*syncMeta, string, error) {
	m := &syncMeta{DataType: d.name, Mode: st.Mode, RunID: st.RunID, Restarts: st.Restarts, Page: st.Pages}
	q := qbxml.NewNode(d.object+"QueryRq").SetAttr("requestID", "q")
	var reqs []qbxml.Element
	if st.Pages > 0 {
		if st.IteratorID == "" {
			return nil, "", fmt.Errorf("syncengine: page %d of %s needs an iterator", st.Pages, d.name)
		}
		m.IteratorID = st.IteratorID
		q.SetAttr("iterator", "Continue").SetAttr("iteratorID", st.IteratorID)
		q.Add(qbxml.NewText("MaxReturned", strconv.Itoa(e.cfg.MaxReturned)))
	} else {
		if !st.DeletedMark.IsZero() && d.delType != "" {
			m.DeletedFrom = qbLocalTime(st, st.DeletedMark.Add(-e.cfg.Overlap))
			rq, typeEl := "ListDeletedQueryRq", "ListDelType"
			if d.txn {
				rq, typeEl = "TxnDeletedQueryRq", "TxnDelType"
			}
			reqs = append(reqs, qbxml.NewNode(rq, qbxml.NewText(typeEl, d.delType),
				qbxml.NewNode("DeletedDateRangeFilter", qbxml.NewText("FromDeletedDate", m.DeletedFrom))).SetAttr("requestID", "d"))
		}
		if st.Mode == qbconnect.SyncIncremental {
			m.ModifiedFrom = qbLocalTime(st, st.HighWater.Add(-e.cfg.Overlap))
		}
		if d.iterator {
			q.SetAttr("iterator", "Start")
			q.Add(qbxml.NewText("MaxReturned", strconv.Itoa(e.cfg.MaxReturned)))
		}
		if d.activeStatus {
			q.Add(qbxml.NewText("ActiveStatus", "All"))
		}
		switch {
		case m.ModifiedFrom == "":
		case d.modifiedFilter == "ModifiedDateRangeFilter":
			q.Add(qbxml.NewNode("ModifiedDateRangeFilter", qbxml.NewText("FromModifiedDate", m.ModifiedFrom)))
		default:
			q.Add(qbxml.NewText("FromModifiedDate", m.ModifiedFrom))
		}
		if d.includeLines != "" {
			q.Add(qbxml.NewText(d.includeLines, "true"))
		}
	}
	reqs = append(reqs, q)
	doc, err := qbxml.Marshal(&qbxml.MsgsRq{OnError: qbxml.ContinueOnError, Requests: reqs})
	if err != nil {
		return nil, "", fmt.Errorf("syncengine: %s request: %w", d.name, err)
	}
	return m, string(doc), nil
}

// pageOperation returns the operation of the page st awaits. Its
// idempotency key names the run, restart and page, so enqueuing it again
// returns the same operation.
func (e *Engine) pageOperation(st *qbconnect.SyncState, d *dataType) (*qbconnect.Operation, error) {
	m, req, err := e.pagePlan(st, d)
	if err != nil {
		return nil, err
	}
	meta, _ := json.Marshal(m)
	prio := qbconnect.PriorityContinuation
	if st.Pages == 0 {
		prio = qbconnect.PriorityScheduled
		if st.Trigger == qbconnect.TriggerOnDemand {
			prio = qbconnect.PriorityInteractive
		}
	}
	return &qbconnect.Operation{
		OrgID: st.OrgID, CompanyID: st.CompanyID, Kind: qbconnect.OpSync, Priority: prio,
		IdempotencyKey: fmt.Sprintf("qbconnect-sync:%s:%d:%d", st.RunID, st.Restarts, st.Pages),
		Request:        req, Meta: meta,
	}, nil
}

// enqueuePage enqueues the page st awaits (idempotently) and records its
// ID in the state. Continuation pages are queued by ingest in the page's
// transaction instead; this serves first pages, restarts and Reconcile.
func (e *Engine) enqueuePage(ctx context.Context, st *qbconnect.SyncState, d *dataType) (*qbconnect.Operation, error) {
	if awaitsRefresh(st) {
		// Its last page queued it with the checkpoint that names it.
		return e.queue.FindOperation(ctx, st.OrgID, st.OpID)
	}
	want, err := e.pageOperation(st, d)
	if err != nil {
		return nil, err
	}
	op, err := e.queue.Enqueue(ctx, want)
	if err != nil {
		return nil, err
	}
	if st.OpID != op.ID {
		next := *st
		next.OpID = op.ID
		if err := e.states.SaveSyncState(ctx, &next, nil, store.KeyOf(st)); err == nil {
			st.OpID = op.ID
		} else if qbconnect.ErrorCodeOf(err) != qbconnect.EConflict {
			return op, err
		}
	}
	return op, nil
}

// OnRecordsChanged makes fn run in the transaction of each sync page that
// created, changed or deleted records (see store.SyncStore): the control
// plane records record.created, record.updated and record.deleted there.
// Call it before the engine starts.
func (e *Engine) OnRecordsChanged(fn qbconnect.RecordsChangedFunc) { e.states.OnRecordsChanged(fn) }

// OnRunEnd makes fn run in the transaction that ends the last pass of a
// company sync (the passes one SyncNow or one scheduler tick started),
// with the sync's summary: the control plane records sync.completed there,
// once per sync. Call it before the engine starts.
func (e *Engine) OnRunEnd(fn qbconnect.SyncRunEndFunc) { e.states.OnRunEnd(fn) }

// OnPassEnd makes fn run in the transaction that ends a pass, complete
// or failed, with the pass's state as it leaves it: the control plane
// records sync.failed there (an outbox). Call it before e runs.
func (e *Engine) OnPassEnd(fn qbconnect.SyncEndFunc) { e.states.OnPassEnd(fn) }

// HandleOperation ingests a finished sync or write operation; see
// qbconnect.SyncService. A response that cannot be read, or a QuickBooks
// error status, restarts the pass (up to MaxRestarts) when a retry can
// help (an expired iterator, a busy file) and fails it otherwise.
func (e *Engine) HandleOperation(ctx context.Context, op *qbconnect.Operation, response io.Reader) ([]*qbconnect.Operation, error) {
	switch op.Kind {
	case qbconnect.OpWrite:
		return nil, e.handleWrite(ctx, op, response)
	case qbconnect.OpSync:
	default:
		return nil, nil
	}
	if !op.Status.Done() {
		return nil, nil
	}
	m, err := pageMeta(op)
	if err != nil {
		return nil, err
	}
	d := e.byName[m.DataType]
	if d == nil {
		return nil, fmt.Errorf("syncengine: operation %s syncs unknown type %q", op.ID, m.DataType)
	}
	if m.Refresh {
		return nil, e.ingestRefresh(ctx, op, d, m)
	}
	st, err := e.states.FindSyncState(ctx, op.CompanyID, m.DataType)
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.Status.Active() || store.KeyOf(st) != m.key() {
		return nil, nil // a duplicate, or a page of an abandoned pass
	}
	if op.Status != qbconnect.OpSucceeded {
		cause := op.Error
		if cause == nil {
			cause = &qbconnect.Error{Code: qbconnect.EUnavailable, Message: fmt.Sprintf("the sync request ended %s", op.Status)}
		}
		return nil, e.failPass(ctx, st, cause)
	}
	if response == nil {
		response = bytes.NewReader(op.Result)
	}
	return e.ingest(ctx, st, d, response)
}

// pageMeta is the sync page state a sync operation carries.
func pageMeta(op *qbconnect.Operation) (syncMeta, error) {
	var m syncMeta
	if err := json.Unmarshal(op.Meta, &m); err != nil || m.RunID == "" {
		return m, fmt.Errorf("syncengine: operation %s has no sync page state", op.ID)
	}
	return m, nil
}

// IngestPage ingests the finished sync page that tx completes in tx
// itself (see control.PageIngester): the completion, the page's records,
// its checkpoint, the next page's operation and the events they raise
// commit together, and the page's answer is not stored (its records are).
// It returns false, having changed nothing, for an operation that is not
// a finished sync page and when the page could not be ingested (err says
// why); the caller then hands the stored answer to HandleOperation after
// the commit, as before.
func (e *Engine) IngestPage(ctx context.Context, tx qbconnect.CompletionTx) (bool, error) {
	op := tx.Operation()
	if op.Kind != qbconnect.OpSync || !op.Status.Done() {
		return false, nil
	}
	m, err := pageMeta(op)
	if err != nil {
		return false, err
	}
	d := e.byName[m.DataType]
	if d == nil {
		return false, nil // a type this engine was configured not to sync
	}
	if m.Refresh {
		return e.ingestRefreshIn(ctx, tx, op, d, m)
	}
	page, err := e.states.JoinSyncPage(ctx, tx, op.CompanyID, m.DataType, m.key())
	if c := qbconnect.ErrorCodeOf(err); c == qbconnect.EConflict || c == qbconnect.ENotFound {
		return true, nil // a duplicate, or a page of an abandoned pass
	}
	if err != nil {
		return false, err
	}
	defer page.Rollback()
	st := page.State()
	if op.Status != qbconnect.OpSucceeded {
		cause := op.Error
		if cause == nil {
			cause = &qbconnect.Error{Code: qbconnect.EUnavailable, Message: fmt.Sprintf("the sync request ended %s", op.Status)}
		}
		err = e.failIn(ctx, page, st, cause)
	} else {
		_, err = e.fill(ctx, page, st, d, bytes.NewReader(op.Result))
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// ingest streams one page's response into the store and plans what follows.
func (e *Engine) ingest(ctx context.Context, st *qbconnect.SyncState, d *dataType, r io.Reader) ([]*qbconnect.Operation, error) {
	page, err := e.states.BeginSyncPage(ctx, st.CompanyID, d.name, store.KeyOf(st))
	if c := qbconnect.ErrorCodeOf(err); c == qbconnect.EConflict || c == qbconnect.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer page.Rollback()
	return e.fill(ctx, page, st, d, r)
}

// fill writes a page's response into page and commits it with the
// checkpoint and the next page's operation. A page begun with
// BeginSyncPage restarts or fails its pass in transactions of their own;
// a joined page (IngestPage) does so in its own transaction, and returns
// no follow-up operations.
func (e *Engine) fill(ctx context.Context, page *store.SyncPage, st *qbconnect.SyncState, d *dataType, r io.Reader) ([]*qbconnect.Operation, error) {
	joined := page.Joined()
	restart := func(cause *qbconnect.Error) ([]*qbconnect.Operation, error) {
		if joined {
			return nil, e.restartIn(ctx, page, st, d, cause)
		}
		page.Rollback()
		return e.restartPass(ctx, st, d, cause)
	}
	// The answer is decoded on a goroutine of its own while this one
	// writes what it decoded so far (the page writes every few hundred
	// records, store.SyncPage.flushAt): with two cores the page takes
	// about as long as the slower of the two.
	items := make(chan []pageItem, 4)
	stop := make(chan struct{})
	read := make(chan pageRead, 1)
	go func() {
		defer close(items)
		read <- e.decodePage(d, st, r, items, stop)
	}()
	track := e.newMoveTracker(st, d)
	renames := newRenameTracker(st, d)
	gone := newGoneTracker(st, d)
	var upsertErr error
	for batch := range items {
		if upsertErr != nil {
			continue
		}
		if track != nil {
			upsertErr = track.before(page, batch)
		}
		if renames != nil && upsertErr == nil {
			upsertErr = renames.before(page, batch)
		}
		if gone != nil && upsertErr == nil {
			upsertErr = gone.before(page, batch)
		}
		if upsertErr != nil {
			close(stop)
			continue
		}
		for _, it := range batch {
			if it.rec == nil {
				page.Delete(it.delID, it.delAt)
				continue
			}
			if upsertErr = page.Upsert(it.rec); upsertErr != nil {
				close(stop)
				break
			}
		}
	}
	res := <-read
	if upsertErr != nil {
		return nil, upsertErr
	}
	if res.err != nil {
		return restart(&qbconnect.Error{Code: qbconnect.EQuickBooks, Retryable: true,
			Message: "the QuickBooks response could not be read", Err: res.err})
	}
	main, statusErr, fetched, deleted, passHigh, delHigh := res.main, res.statusErr, res.fetched, res.deleted, res.passHigh, res.delHigh
	if statusErr != nil {
		return restart(statusError(statusErr))
	}
	if main == nil {
		return restart(&qbconnect.Error{Code: qbconnect.EQuickBooks, Retryable: true,
			Message: fmt.Sprintf("the QuickBooks response holds no %sQueryRs", d.object)})
	}
	next := *st
	next.Status = qbconnect.SyncFetching
	next.Error = nil
	next.Pages++
	next.Fetched += fetched
	next.Deleted += deleted
	next.PassHighWater = passHigh
	if res.offset != nil {
		next.QBOffset = res.offset
	}
	if delHigh.After(next.DeletedMark) {
		next.DeletedMark = delHigh
	}
	remaining := 0
	if main.IteratorRemainingCount != nil {
		remaining = *main.IteratorRemainingCount
	}
	if st.Pages > 0 && fetched+remaining != st.Remaining {
		// The iterator moved past records this pass never received: an
		// earlier run of this continuation answered, and the answer was
		// lost. Only a new iterator can bring them back.
		return restart(&qbconnect.Error{Code: qbconnect.EQuickBooks, Retryable: true,
			Message: fmt.Sprintf("page %d of the %s iterator returned %d records with %d remaining, but %d remained: a page was lost",
				st.Pages, d.name, fetched, remaining, st.Remaining)})
	}
	next.Remaining = remaining
	more := d.iterator && remaining > 0 && main.IteratorID != ""
	if !more && st.Mode == qbconnect.SyncFull && main.StatusCode != featureOff {
		// The pass returned every record QuickBooks has: what else is
		// stored was deleted there.
		swept, err := page.SweepUnseen()
		if err != nil {
			return nil, err
		}
		next.Deleted += len(swept)
		if gone != nil {
			gone.swept(swept, passHigh)
		}
	}
	run := &qbconnect.SyncRun{ID: st.RunID, Status: qbconnect.SyncFetching, Pages: next.Pages, Fetched: next.Fetched,
		Deleted: next.Deleted, Restarts: next.Restarts}
	var moved map[string]time.Time
	if track != nil {
		moved = track.since
	}
	var merged map[string][]string
	var skip []string
	if gone != nil {
		var err error
		if merged, err = mergedReferrers(page, d.name, gone.gone); err != nil {
			return nil, err
		}
		if m := gone.movedByMerge(merged); m != nil {
			moved, skip = m, gone.gone
		}
	}
	refresh, err := e.refreshOperation(page, &next, moved, merged, skip, !more)
	if err != nil {
		return nil, err
	}
	if more {
		// The next page is queued in the page's transaction, and the
		// checkpoint names it: a crash keeps the page, the checkpoint and
		// the next page's operation, or none of them.
		next.IteratorID = main.IteratorID
		want, err := e.pageOperation(&next, d)
		if err == nil {
			next.OpID, err = page.Enqueue(want)
		}
		if err != nil && joined {
			return nil, e.failIn(ctx, page, st, asError(err, "the next page could not be queued"))
		}
		if err != nil {
			page.Rollback()
			return nil, e.failPass(ctx, st, asError(err, "the next page could not be queued"))
		}
		if refresh != nil {
			if _, err := page.Enqueue(refresh); err != nil {
				return nil, err
			}
		}
	} else if refresh != nil {
		// The pass ends once the balances its last page moved are
		// stored (endPass): its sync's sync.completed follows them.
		next.IteratorID = ""
		var err error
		if next.OpID, err = page.Enqueue(refresh); err != nil {
			return nil, err
		}
	} else {
		e.complete(&next)
		run.Status, run.FinishedAt = qbconnect.SyncComplete, next.LastCompleteAt
	}
	if renames != nil {
		origin := qbconnect.RecordChanges{OrgID: st.OrgID, CompanyID: st.CompanyID, RunID: st.RunID}
		fresh := func(r *qbconnect.Record) bool { return r.Type == d.name && renames.page[r.ID] }
		if err := e.followRenames(page, origin, renames.renames, fresh); err != nil {
			return nil, err
		}
	}
	if err := page.Commit(&next, run); err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.EConflict {
			return nil, nil
		}
		return nil, err
	}
	if !more {
		e.log.InfoContext(ctx, "sync pass complete", "company", st.CompanyID, "type", d.name, "mode", st.Mode,
			"pages", next.Pages, "fetched", next.Fetched, "deleted", next.Deleted, "restarts", next.Restarts)
		return nil, nil
	}
	if joined {
		return nil, nil
	}
	op, err := e.queue.FindOperation(ctx, next.OrgID, next.OpID)
	if err != nil {
		return nil, err
	}
	return []*qbconnect.Operation{op}, nil
}

// pageItem is a record of a page to upsert, or (rec nil) a deletion.
type pageItem struct {
	rec   *qbconnect.Record
	delID string
	delAt time.Time
}

// pageRead is what decodePage found in a page's answer.
type pageRead struct {
	main      *qbxml.Response // the type's QueryRs; nil when absent
	statusErr *qbxml.StatusError
	err       error // the answer could not be read
	fetched   int
	deleted   int
	passHigh  time.Time // the latest TimeModified, at least the pass's so far
	delHigh   time.Time // the latest TimeDeleted, at least the state's mark
	// offset is the UTC offset of the latest of those times the page
	// brought (qbconnect.SyncState.QBOffset); nil when it brought none.
	offset *int
	zone   string // the offset as written ("-08:00"), not parsed again
}

// itemBatch is how many records decodePage hands over at a time.
const itemBatch = 50

// decodePage decodes a page's answer, sending its records and deletions to
// out in batches, in the answer's order. It stops early, with what it
// found so far, once stop is closed.
func (e *Engine) decodePage(d *dataType, st *qbconnect.SyncState, r io.Reader, out chan<- []pageItem, stop <-chan struct{}) pageRead {
	res := pageRead{passHigh: st.PassHighWater, delHigh: st.DeletedMark}
	dec := qbxml.NewDecoder(r, &qbxml.Options{Generic: true})
	inDeleted := false
	var arena []byte // the page's records' JSON, in shared chunks
	batch := make([]pageItem, 0, itemBatch)
	send := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- batch:
			batch = make([]pageItem, 0, itemBatch)
			return true
		case <-stop:
			return false
		}
	}
	for {
		it, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			res.err = err
			return res
		}
		switch it.Kind {
		case qbxml.ItemResponse:
			inDeleted = strings.HasSuffix(it.Response.Name, "DeletedQueryRs")
			if !inDeleted {
				res.main = it.Response
			}
			if !inDeleted && it.Response.StatusCode == featureOff {
				// The company lacks the type's feature (payroll, sites,
				// assemblies, multicurrency): it holds none of them, and
				// the pass completes empty.
				continue
			}
			if err := it.Response.Err(); err != nil && res.statusErr == nil {
				errors.As(err, &res.statusErr)
			}
		case qbxml.ItemRecord:
			n := it.Record.ToNode()
			if inDeleted {
				id, at, ok := deletedOf(n, d)
				if !ok {
					continue
				}
				batch = append(batch, pageItem{delID: id, delAt: at})
				res.deleted++
				if at.After(res.delHigh) {
					res.delHigh = at
					res.noteOffset(n, "TimeDeleted")
				}
			} else if n.Name == d.object+"Ret" {
				rec := e.record(d, n, &arena)
				batch = append(batch, pageItem{rec: rec})
				res.fetched++
				if rec.ModifiedAt.After(res.passHigh) {
					res.passHigh = rec.ModifiedAt
					res.noteOffset(n, "TimeModified")
				}
			}
			if len(batch) == itemBatch && !send() {
				return res
			}
		}
	}
	send()
	return res
}

// complete turns the state of a pass that fetched its last page into the
// completed state. The next incremental pass must ask for everything
// modified after this pass began in QuickBooks' clock; the latest
// TimeModified seen, minus the pass's duration on our clock, is at most
// that.
func (e *Engine) complete(st *qbconnect.SyncState) {
	now := e.now()
	if !st.PassHighWater.IsZero() {
		var took time.Duration
		if st.StartedAt != nil {
			took = max(now.Sub(*st.StartedAt), 0)
		}
		if h := st.PassHighWater.Add(-took); h.After(st.HighWater) {
			st.HighWater = h
		}
	}
	if st.HighWater.After(st.DeletedMark) {
		st.DeletedMark = st.HighWater
	}
	st.Status, st.IteratorID, st.OpID = qbconnect.SyncComplete, "", ""
	st.LastCompleteAt = &now
	if st.Mode == qbconnect.SyncFull {
		st.LastFullAt = &now
	}
}

// restartPass starts the pass over from its first page, or fails it when
// cause is not retryable or the pass restarted MaxRestarts times already.
func (e *Engine) restartPass(ctx context.Context, st *qbconnect.SyncState, d *dataType, cause *qbconnect.Error) ([]*qbconnect.Operation, error) {
	if !cause.Retryable || st.Restarts >= e.cfg.MaxRestarts {
		return nil, e.failPass(ctx, st, cause)
	}
	e.log.WarnContext(ctx, "sync pass restarts", "company", st.CompanyID, "type", d.name, "page", st.Pages, "err", cause)
	next, run := restarted(st)
	if err := e.states.SaveSyncState(ctx, next, run, store.KeyOf(st)); err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.EConflict {
			return nil, nil
		}
		return nil, err
	}
	op, err := e.enqueuePage(ctx, next, d)
	if err != nil {
		return nil, e.failPass(ctx, next, asError(err, "the restarted pass could not be queued"))
	}
	return []*qbconnect.Operation{op}, nil
}

// restarted is a pass started again from its first page after st, and its
// run's change.
func restarted(st *qbconnect.SyncState) (*qbconnect.SyncState, *qbconnect.SyncRun) {
	next := *st
	next.Restarts++
	// The pass fetches every record again from its first page: what it
	// counted so far would be counted twice.
	next.Pages, next.Fetched, next.Deleted, next.IteratorID, next.OpID, next.Remaining = 0, 0, 0, "", "", 0
	next.Status = qbconnect.SyncFetching
	return &next, &qbconnect.SyncRun{ID: st.RunID, Status: qbconnect.SyncFetching, Restarts: next.Restarts}
}

// failed is st's pass ended Failed with cause, and its run's change.
func failed(st *qbconnect.SyncState, cause *qbconnect.Error, now time.Time) (*qbconnect.SyncState, *qbconnect.SyncRun) {
	next := *st
	next.Status, next.Error, next.IteratorID = qbconnect.SyncFailed, cause, ""
	return &next, &qbconnect.SyncRun{ID: st.RunID, Status: qbconnect.SyncFailed, Error: cause, Pages: st.Pages, Fetched: st.Fetched,
		Deleted: st.Deleted, Restarts: st.Restarts, FinishedAt: &now}
}

// restartIn is restartPass in a joined page's transaction: what the page
// wrote is discarded, and the restarted state and its first page's
// operation commit with the page's completion.
func (e *Engine) restartIn(ctx context.Context, page *store.SyncPage, st *qbconnect.SyncState, d *dataType, cause *qbconnect.Error) error {
	if !cause.Retryable || st.Restarts >= e.cfg.MaxRestarts {
		return e.failIn(ctx, page, st, cause)
	}
	e.log.WarnContext(ctx, "sync pass restarts", "company", st.CompanyID, "type", d.name, "page", st.Pages, "err", cause)
	if err := page.Discard(); err != nil {
		return err
	}
	next, run := restarted(st)
	want, err := e.pageOperation(next, d)
	if err == nil {
		next.OpID, err = page.Enqueue(want)
	}
	if err != nil {
		return e.failIn(ctx, page, next, asError(err, "the restarted pass could not be queued"))
	}
	return ignoreConflict(page.Commit(next, run))
}

// failIn is failPass in a joined page's transaction.
func (e *Engine) failIn(ctx context.Context, page *store.SyncPage, st *qbconnect.SyncState, cause *qbconnect.Error) error {
	e.log.WarnContext(ctx, "sync pass failed", "company", st.CompanyID, "type", st.DataType, "page", st.Pages, "err", cause)
	if err := page.Discard(); err != nil {
		return err
	}
	return ignoreConflict(page.Commit(failed(st, cause, e.now())))
}

func ignoreConflict(err error) error {
	if qbconnect.ErrorCodeOf(err) == qbconnect.EConflict {
		return nil
	}
	return err
}

// failPass marks the pass Failed with cause.
func (e *Engine) failPass(ctx context.Context, st *qbconnect.SyncState, cause *qbconnect.Error) error {
	e.log.WarnContext(ctx, "sync pass failed", "company", st.CompanyID, "type", st.DataType, "page", st.Pages, "err", cause)
	next, run := failed(st, cause, e.now())
	return ignoreConflict(e.states.SaveSyncState(ctx, next, run, store.KeyOf(st)))
}

func asError(err error, msg string) *qbconnect.Error {
	var qe *qbconnect.Error
	if errors.As(err, &qe) {
		c := *qe
		c.Message = msg + ": " + c.Message
		return &c
	}
	return &qbconnect.Error{Code: qbconnect.EInternal, Message: msg, Err: err}
}

// featureOff is QuickBooks' status for a request that needs a feature
// the company's edition or preferences lack (qbxml's status table, 3250).
const featureOff = 3250

// iteratorUnknown is QuickBooks' status for an iterator that expired or
// belongs to a session that ended.
const iteratorUnknown = 3391

// statusError maps a QuickBooks error status to the platform's Error.
func statusError(se *qbxml.StatusError) *qbconnect.Error {
	code := qbconnect.EQuickBooks
	if se.Response.StatusCode == 3200 {
		code = qbconnect.EConflict
	}
	user, resolution := se.UserMessage, se.Resolution
	if se.Response.StatusCode == iteratorUnknown {
		user = "QuickBooks ended the query before every page was read; it starts over."
		resolution = "Nothing to do: the sync reads the data type again by itself."
	}
	return &qbconnect.Error{
		Code:        code,
		Message:     fmt.Sprintf("%s: QuickBooks status %d: %s", se.Response.Name, se.Response.StatusCode, se.Response.StatusMessage),
		UserMessage: user,
		Resolution:  resolution,
		QBCode:      strconv.Itoa(se.Response.StatusCode),
		Retryable:   se.Retryable || se.Response.StatusCode == iteratorUnknown,
	}
}

// arenaChunk is the size of the chunks a page's records' JSON is written
// into: one allocation per few dozen records instead of one or two each.
const arenaChunk = 64 << 10

// record builds the stored record of a Ret element. Its Data is appended
// to *arena (a new chunk when little room is left) and capped, so that
// records share chunks but never each other's bytes; a nil arena gives the
// record its own.
func (e *Engine) record(d *dataType, n *qbxml.Node, arena *[]byte) *qbconnect.Record {
	r := &qbconnect.Record{Type: d.name, Active: true}
	for _, c := range n.Children {
		switch c.Name {
		case "ListID", "TxnID":
			r.ID = c.Text
		case "EditSequence":
			r.EditSequence = c.Text
		case "TimeModified":
			r.ModifiedAt, _ = parseQBTime(c.Text)
		case "FullName":
			if !d.txn {
				r.Name = c.Text
			}
		case "Name":
			if !d.txn && r.Name == "" {
				r.Name = c.Text
			}
		case "RefNumber":
			if d.txn {
				r.Name = c.Text
			}
		case "TxnDate":
			r.TxnDate = c.Text
		case "IsActive":
			r.Active = c.Text != "false"
		case d.ref:
			if d.ref != "" {
				r.RefID, _ = c.ChildText("ListID")
			}
		}
	}
	if arena == nil {
		r.Data = e.codec.appendJSON(make([]byte, 0, 1024), n, d.ret)
		return r
	}
	if cap(*arena)-len(*arena) < arenaChunk/16 {
		*arena = make([]byte, 0, arenaChunk)
	}
	start := len(*arena)
	*arena = e.codec.appendJSON(*arena, n, d.ret)
	r.Data = (*arena)[start:len(*arena):len(*arena)]
	return r
}

// noteOffset keeps the UTC offset of n's element el (a time).
func (res *pageRead) noteOffset(n *qbxml.Node, el string) {
	ts, _ := n.ChildText(el)
	if len(ts) < 6 || (res.offset != nil && ts[len(ts)-6:] == res.zone) {
		return
	}
	if off, ok := qbOffset(ts); ok {
		res.offset, res.zone = &off, ts[len(ts)-6:]
	}
}

// deletedOf reads a ListDeletedRet or TxnDeletedRet of the data type.
func deletedOf(n *qbxml.Node, d *dataType) (string, time.Time, bool) {
	typeEl := "ListDelType"
	if d.txn {
		typeEl = "TxnDelType"
	}
	if t, _ := n.ChildText(typeEl); t != d.delType {
		return "", time.Time{}, false
	}
	id, _ := n.ChildText(d.idElem())
	ts, _ := n.ChildText("TimeDeleted")
	at, ok := parseQBTime(ts)
	return id, at, id != "" && ok
}

// SyncNow starts passes for a company; see qbconnect.SyncService.
func (e *Engine) SyncNow(ctx context.Context, orgID, companyID string, req qbconnect.SyncRequest) ([]*qbconnect.SyncState, error) {
	types, err := e.resolve(req.DataTypes)
	if err != nil {
		return nil, err
	}
	if _, err := e.comps.FindCompany(ctx, orgID, companyID); err != nil {
		return nil, err
	}
	if _, err := e.conns.ActiveConnection(ctx, orgID, companyID); err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
			return nil, &qbconnect.Error{Code: qbconnect.EConflict, Message: fmt.Sprintf("company %s has no connection to QuickBooks", companyID),
				UserMessage: "This company is not connected to QuickBooks yet.", Resolution: "Create a connection and link the connector or the Web Connector first."}
		}
		return nil, err
	}
	out, _, err := e.startPasses(ctx, orgID, companyID, types, qbconnect.TriggerOnDemand, req.Full)
	return out, err
}

// startPasses starts a pass of each type but those under way, as one
// company sync (SyncRun.SyncID), and returns each type's state and how
// many passes started. The passes and their first pages are recorded in
// one transaction (store.SyncStore.StartSyncPasses), so no pass can end
// (and with it the sync) before its sync is whole, and a company's sync
// costs one commit however many types it starts.
func (e *Engine) startPasses(ctx context.Context, orgID, companyID string, types []*dataType, trigger qbconnect.SyncTrigger, full bool) ([]*qbconnect.SyncState, int, error) {
	syncID, err := e.newID("snc_", 10)
	if err != nil {
		return nil, 0, err
	}
	// The stored states decide each pass's mode; StartSyncPasses checks
	// again, under lock, that none is under way.
	stored, err := e.states.ListSyncStates(ctx, companyID)
	if err != nil {
		return nil, 0, err
	}
	have := make(map[string]*qbconnect.SyncState, len(stored))
	for _, st := range stored {
		have[st.DataType] = st
	}
	passes := make([]store.PassStart, len(types))
	for i, d := range types {
		if passes[i], err = e.newPass(ctx, orgID, companyID, d, have[d.name], trigger, full, syncID); err != nil {
			return nil, 0, err
		}
	}
	return e.states.StartSyncPasses(ctx, passes)
}

func (e *Engine) resolve(names []string) ([]*dataType, error) {
	if len(names) == 0 {
		return e.types, nil
	}
	var out []*dataType
	seen := map[string]bool{}
	for _, n := range names {
		d := e.byName[n]
		if d == nil {
			valid := make([]string, len(e.types))
			for i, t := range e.types {
				valid[i] = t.name
			}
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "unknown data type %q (known: %s)", n, strings.Join(valid, ", "))
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// newPass builds a new pass of one type, part of the company sync
// syncID, after the type's stored state old (nil when it was never
// synced): its state, its run and its first page.
func (e *Engine) newPass(ctx context.Context, orgID, companyID string, d *dataType, old *qbconnect.SyncState, trigger qbconnect.SyncTrigger, full bool, syncID string) (store.PassStart, error) {
	runID, err := e.newID("syn_", 10)
	if err != nil {
		return store.PassStart{}, err
	}
	now := e.now()
	st := &qbconnect.SyncState{CompanyID: companyID, OrgID: orgID, DataType: d.name, Status: qbconnect.SyncQueued,
		RunID: runID, Mode: qbconnect.SyncFull, Trigger: trigger, StartedAt: &now}
	if old != nil {
		st.HighWater, st.DeletedMark, st.LastFullAt, st.LastCompleteAt = old.HighWater, old.DeletedMark, old.LastFullAt, old.LastCompleteAt
		st.QBOffset = old.QBOffset
	}
	why, detail := e.fullReason(d, old, full, now)
	if why == "" {
		st.Mode = qbconnect.SyncIncremental
	} else {
		st.FullReason = why
		// A pass full although an incremental one was due is news; a
		// first or requested one is not.
		level := slog.LevelDebug
		if why == qbconnect.FullDeletionsOutOfReach || why == qbconnect.FullNoDeletedQuery {
			level = slog.LevelInfo
		}
		e.log.Log(ctx, level, "sync pass is full", "company", companyID, "type", d.name, "reason", why, "detail", detail)
	}
	run := &qbconnect.SyncRun{ID: runID, OrgID: orgID, CompanyID: companyID, DataType: d.name, Mode: st.Mode, FullReason: st.FullReason,
		Trigger: trigger, Status: qbconnect.SyncQueued, StartedAt: now, SyncID: syncID}
	page, err := e.pageOperation(st, d)
	if err != nil {
		return store.PassStart{}, err
	}
	return store.PassStart{State: st, Run: run, Page: page}, nil
}

// deletedHorizon is how long after its last completed pass a type's
// deletions can still be learnt from QuickBooks' deleted queries, which
// answer the last 90 days only (deletedWindow): a little less, for
// QuickBooks' clock and ours, and the length of the pass.
const (
	deletedWindow  = 90 * 24 * time.Hour
	deletedHorizon = deletedWindow - 5*24*time.Hour
)

// fullReason says why the pass after old (nil when the type was never
// synced) must be full, the first of qbconnect.SyncFullReasons that
// holds, with the engine's log's words for it; "" when it may be
// incremental. Every completed pass learnt the deletions up to its start
// (its deleted query, or a full pass's sweep), so a type whose last
// completed pass is older than deletedHorizon has deletions that
// QuickBooks no longer reports. The type's deleted mark does not say
// this: it is the latest change seen, which stays old in a type nobody
// changes however often it is synced. A type QuickBooks reports no
// deletions of is read whole once its last full pass is FullEvery old.
func (e *Engine) fullReason(d *dataType, old *qbconnect.SyncState, full bool, now time.Time) (qbconnect.SyncFullReason, string) {
	switch {
	case old == nil || old.LastCompleteAt == nil:
		return qbconnect.FullFirstSync, "the type never completed a pass"
	case old.HighWater.IsZero():
		return qbconnect.FullWasEmpty, "the last pass found the type empty: there is no modified date to ask from"
	case full:
		return qbconnect.FullRequested, "a full sync was asked for"
	case balancesMove(d):
		return qbconnect.FullBalancesMove, "QuickBooks moves the balances of " + d.name + " without marking them modified"
	case d.modifiedFilter == "":
		return qbconnect.FullReadWhole, "QuickBooks cannot be asked for what changed in " + d.name
	case d.delType != "" && now.Sub(*old.LastCompleteAt) > deletedHorizon:
		return qbconnect.FullDeletionsOutOfReach, fmt.Sprintf("the last completed pass is older than the %d days QuickBooks reports deletions for", deletedWindow/(24*time.Hour))
	case d.delType == "" && (old.LastFullAt == nil || now.Sub(*old.LastFullAt) >= e.cfg.FullEvery):
		return qbconnect.FullNoDeletedQuery, fmt.Sprintf("QuickBooks reports no deletions of %s, and the last full pass is older than %s", d.name, e.cfg.FullEvery)
	}
	return "", ""
}

// SyncStates returns the state of every data type of a company, with Idle
// states for types never synced.
func (e *Engine) SyncStates(ctx context.Context, orgID, companyID string) ([]*qbconnect.SyncState, error) {
	if _, err := e.comps.FindCompany(ctx, orgID, companyID); err != nil {
		return nil, err
	}
	list, err := e.states.ListSyncStates(ctx, companyID)
	if err != nil {
		return nil, err
	}
	have := map[string]*qbconnect.SyncState{}
	for _, st := range list {
		have[st.DataType] = st
	}
	out := make([]*qbconnect.SyncState, 0, len(e.types))
	for _, d := range e.types {
		st := have[d.name]
		if st == nil {
			st = &qbconnect.SyncState{CompanyID: companyID, OrgID: orgID, DataType: d.name, Status: qbconnect.SyncIdle}
		}
		out = append(out, st)
	}
	return out, nil
}

// SyncRuns returns a page of a company's sync history, newest first.
func (e *Engine) SyncRuns(ctx context.Context, f qbconnect.SyncRunFilter) ([]*qbconnect.SyncRun, string, error) {
	if f.DataType != "" && e.byName[f.DataType] == nil {
		return nil, "", qbconnect.Errorf(qbconnect.EInvalid, "unknown data type %q", f.DataType)
	}
	return e.states.ListSyncRuns(ctx, f)
}

// Reconcile finds passes whose awaited page finished without being handled
// (the platform stopped between the queue's Complete and HandleOperation,
// or the caller never called it) or was never enqueued, and handles or
// enqueues it. The scheduler calls it on every tick; it is safe to call
// at any time and from several processes.
func (e *Engine) Reconcile(ctx context.Context) error {
	states, err := e.states.ActiveSyncStates(ctx)
	if err != nil {
		return err
	}
	sort.Slice(states, func(i, j int) bool { return states[i].UpdatedAt.Before(states[j].UpdatedAt) })
	var errs []error
	for _, st := range states {
		d := e.byName[st.DataType]
		if d == nil {
			continue // a type this engine was configured not to sync
		}
		op, err := e.enqueuePage(ctx, st, d)
		if err != nil {
			errs = append(errs, e.failPass(ctx, st, asError(err, "the sync request could not be queued")))
			continue
		}
		if op.Status.Done() {
			if _, err := e.HandleOperation(ctx, op, nil); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
