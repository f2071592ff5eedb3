package syncengine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store"
)

// A customer's or vendor's Balance and TotalBalance (a parent customer's
// TotalBalance includes its jobs') move with every transaction on
// accounts receivable or payable that names it, and an inventory item's
// QuantityOnHand (and, with purchases, its AverageCost), QuantityOnOrder
// and QuantityOnSalesOrder with every transaction whose lines name it
// (stockObjects), or that receives or invoices an order that does.
// Whether QuickBooks then changes the customer's or item's TimeModified
// and EditSequence is documented nowhere we found, and qbdsim does not:
// an incremental pass, which asks for what was modified, would never
// bring the new figures. So the engine reads those records again by
// ListID, and stores them as a sync page does:
//
//   - after an incremental page of such transactions, in a refresh
//     operation the page queues with its checkpoint (refreshOperation);
//   - after a write, in the write's own message set (movedQueries), so
//     that the new figures are stored with the write, at no extra round
//     trip.
//
// A full pass refreshes nothing (it reads every customer, vendor and item
// anyway), unless the type's last pass found it empty: then whatever the
// full pass brings is new (see newMoveTracker).

// moveKind is one row of the table of what transactions move in the
// list records they name: the records of types whose figures transactions
// of a data type move, and where a transaction names them.
type moveKind struct {
	// types are the list types whose records this kind moves.
	types []string
	// of returns those of types that transactions of d move (nil when
	// they move none).
	of func(d *dataType) []string
	// stored returns the ListIDs a stored transaction of d names where
	// it moves them.
	stored func(d *dataType, r *qbconnect.Record) []string
	// written returns the references (ListID or FullName) a write's Add
	// or Mod element of d names where it moves them.
	written func(d *dataType, rec *qbxml.Node) []*qbxml.Node
	// through, when not nil, returns the ListIDs of the records a write's
	// Add or Mod element moves without naming them, found through the
	// stored records it names.
	through func(e *Engine, ctx context.Context, w qbconnect.WriteRequest, d *dataType, rec *qbxml.Node) ([]string, error)
}

// moveKinds is the table of what transactions move: entity balances and
// item stock. (Account balances are not in it: every pass reads the
// accounts whole, see accounts.go.)
var moveKinds = []moveKind{
	{
		types: []string{"customers", "vendors"},
		of: func(d *dataType) []string {
			switch {
			case d.movesRef && d.ref == "CustomerRef":
				return []string{"customers"}
			case d.movesRef:
				return []string{"vendors"}
			case d.movesLines: // a journal entry line's EntityRef: either
				return []string{"customers", "vendors"}
			}
			return nil
		},
		stored: entitiesOf,
		written: func(d *dataType, rec *qbxml.Node) []*qbxml.Node {
			if d.movesRef {
				if ref := rec.Child(d.ref); ref != nil {
					return []*qbxml.Node{ref}
				}
				return nil
			}
			return refsIn(rec, "EntityRef")
		},
	},
	{
		types: []string{"inventoryItems", "inventoryAssemblyItems"},
		of: func(d *dataType) []string {
			if d.movesStock {
				return []string{"inventoryItems", "inventoryAssemblyItems"}
			}
			return nil
		},
		stored: func(_ *dataType, r *qbconnect.Record) []string { return itemsOf(r) },
		written: func(_ *dataType, rec *qbxml.Node) []*qbxml.Node {
			return refsIn(rec, "ItemRef", "ItemInventoryAssemblyRef")
		},
		through: (*Engine).itemsThrough,
	},
}

// refreshTypes returns the types of moveKinds the engine syncs.
func (e *Engine) refreshTypes() []string {
	var out []string
	for _, k := range moveKinds {
		for _, t := range k.types {
			if e.byName[t] != nil {
				out = append(out, t)
			}
		}
	}
	return out
}

// movedTypes returns the types the engine syncs whose records k's
// transactions of d move.
func (e *Engine) movedTypes(k moveKind, d *dataType) []string {
	var out []string
	for _, t := range k.of(d) {
		if e.byName[t] != nil {
			out = append(out, t)
		}
	}
	return out
}

// movedBy returns the ListIDs of the records the engine syncs that a
// stored transaction of d moves.
func (e *Engine) movedBy(d *dataType, r *qbconnect.Record) []string {
	var ids []string
	for _, k := range moveKinds {
		if len(e.movedTypes(k, d)) > 0 {
			ids = append(ids, k.stored(d, r)...)
		}
	}
	return ids
}

// moves reports whether transactions of d move records the engine syncs.
func (e *Engine) moves(d *dataType) bool {
	for _, k := range moveKinds {
		if len(e.movedTypes(k, d)) > 0 {
			return true
		}
	}
	return false
}

// refreshBatch is how many ListIDs one refresh query names: an answer of
// a hundred customers is a few hundred kilobytes at most.
const refreshBatch = 100

// maxParentDepth bounds the walk up a customer's parents (QuickBooks
// allows five levels of jobs); a loop in stored data stops there.
const maxParentDepth = 8

// moveTracker collects, while an incremental page of a type that moves
// balances or stock is stored, the customers, vendors and items whose
// figures the page's changes may have moved, each with the latest
// QuickBooks time of such a change (the transaction's TimeModified, or
// TimeDeleted).
type moveTracker struct {
	e     *Engine
	d     *dataType
	since map[string]time.Time
}

// note records that the figures of the records ids moved at time at.
func (b *moveTracker) note(ids []string, at time.Time) {
	for _, id := range ids {
		if t, ok := b.since[id]; !ok || at.After(t) {
			b.since[id] = at
		}
	}
}

// before notes the records a batch about to be stored moves: those each
// added or changed transaction names, and those it named as stored (read
// before the batch overwrites it), which a transaction moved to another
// customer or item, or deleted, leaves. A transaction that comes back as
// stored (the overlap of incremental passes) moved nothing.
func (b *moveTracker) before(page *store.SyncPage, batch []pageItem) error {
	ids := make([]string, 0, len(batch))
	for _, it := range batch {
		if it.rec != nil {
			ids = append(ids, it.rec.ID)
		} else {
			ids = append(ids, it.delID)
		}
	}
	stored, err := page.Stored(ids, b.d.name)
	if err != nil {
		return err
	}
	old := make(map[string]*qbconnect.Record, len(stored))
	for _, r := range stored {
		old[r.ID] = r
	}
	for _, it := range batch {
		if it.rec == nil {
			if o := old[it.delID]; o != nil {
				b.note(b.e.movedBy(b.d, o), it.delAt)
			}
			continue
		}
		o := old[it.rec.ID]
		if o != nil && o.EditSequence == it.rec.EditSequence && bytes.Equal(o.Data, it.rec.Data) {
			continue
		}
		b.note(b.e.movedBy(b.d, it.rec), it.rec.ModifiedAt)
		if o != nil {
			b.note(b.e.movedBy(b.d, o), it.rec.ModifiedAt)
		}
	}
	return nil
}

// entitiesOf returns the ListIDs of the customers and vendors whose
// balances a stored transaction of d moves.
func entitiesOf(d *dataType, r *qbconnect.Record) []string {
	switch {
	case d.movesRef && r.RefID != "":
		return []string{r.RefID}
	case d.movesLines:
		var je struct {
			Debit  json.RawMessage `json:"journalDebitLine"`
			Credit json.RawMessage `json:"journalCreditLine"`
		}
		if json.Unmarshal(r.Data, &je) != nil {
			return nil
		}
		var ids []string
		for _, raw := range []json.RawMessage{je.Debit, je.Credit} {
			var lines []struct {
				EntityRef struct {
					ListID string `json:"listId"`
				} `json:"entityRef"`
			}
			if len(raw) == 0 || json.Unmarshal(raw, &lines) != nil {
				continue
			}
			for _, l := range lines {
				if id := l.EntityRef.ListID; id != "" && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
		return ids
	}
	return nil
}

// itemsOf returns the ListIDs of the items a stored transaction names:
// on its lines (ItemRef, in line groups too) and, a build, the assembly
// it builds and its components (ComponentItemLineRet's ItemRef).
func itemsOf(r *qbconnect.Record) []string {
	return refIDs(r, "itemRef", "itemInventoryAssemblyRef")
}

// refIDs returns the ListIDs of the references named one of keys, at any
// depth of a stored record.
func refIDs(r *qbconnect.Record, keys ...string) []string {
	var v any
	if json.Unmarshal(r.Data, &v) != nil {
		return nil
	}
	var ids []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				if !slices.Contains(keys, k) {
					walk(x)
					continue
				}
				if ref, ok := x.(map[string]any); ok {
					if id, _ := ref["listId"].(string); id != "" && !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
				}
			}
		}
	}
	walk(v)
	return ids
}

// itemsThrough returns the items a write moves that its Add or Mod rec
// does not name: those of the orders it links to (LinkToTxnID, a line's
// LinkToTxn), whose quantities on order it lowers, and the components of
// the assembly a build builds, which it takes off hand. They are read
// from the stored orders and assembly; one the store does not hold yet
// is left to the items' next pass.
func (e *Engine) itemsThrough(ctx context.Context, w qbconnect.WriteRequest, d *dataType, rec *qbxml.Node) ([]string, error) {
	var orders []string
	for _, n := range refsIn(rec, "LinkToTxnID", "LinkToTxn") {
		id := n.Text
		if n.Name == "LinkToTxn" {
			id, _ = n.ChildText("TxnID")
		}
		if id != "" && !slices.Contains(orders, id) {
			orders = append(orders, id)
		}
	}
	var ids []string
	for _, t := range []string{"purchaseOrders", "salesOrders"} {
		if len(orders) == 0 || e.byName[t] == nil {
			continue
		}
		list, err := e.storedRecords(ctx, w.OrgID, w.CompanyID, t, orders)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			ids = append(ids, itemsOf(r)...)
		}
	}
	if ref := rec.Child("ItemInventoryAssemblyRef"); d.object == "BuildAssembly" && ref != nil && e.byName["inventoryAssemblyItems"] != nil {
		f := qbconnect.RecordFilter{OrgID: w.OrgID, CompanyID: w.CompanyID, Type: "inventoryAssemblyItems", Limit: 1}
		if id, ok := ref.ChildText("ListID"); ok {
			f.IDs = []string{id}
		} else if f.Name, _ = ref.ChildText("FullName"); f.Name == "" {
			return ids, nil
		}
		list, _, err := e.records.ListRecords(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, r := range list {
			ids = append(ids, refIDs(r, "itemInventoryRef")...)
		}
	}
	return ids, nil
}

// refsIn returns the elements of rec named one of names, at any depth.
func refsIn(rec *qbxml.Node, names ...string) []*qbxml.Node {
	var out []*qbxml.Node
	walkNodes(rec, func(n *qbxml.Node) {
		if slices.Contains(names, n.Name) {
			out = append(out, n)
		}
	})
	return out
}

// newMoveTracker returns the tracker of a page of d that may bring
// changes since the type's last pass, or nil when the page cannot move a
// balance or stock the engine stores. That is every incremental page, and every
// page of a full pass after one that found the type empty (a company's
// first statement charge or refund): without a high-water mark to ask
// from, that pass is full, but what it brings is new all the same.
func (e *Engine) newMoveTracker(st *qbconnect.SyncState, d *dataType) *moveTracker {
	wasEmpty := st.Mode == qbconnect.SyncFull && st.LastCompleteAt != nil && st.HighWater.IsZero()
	if st.Mode != qbconnect.SyncIncremental && !wasEmpty || !e.moves(d) {
		return nil
	}
	return &moveTracker{e: e, d: d, since: map[string]time.Time{}}
}

// refreshOperation returns the refresh of the customers, vendors and
// inventory items whose balances or stock the page before next moved
// (since, see moveTracker)
// and of their parent customers, and of the records that named a list
// element the page deleted (merged, by type, see mergedReferrers), but
// those of skip (deleted by the page), or nil when none needs one: one
// message set of queries by ListID or TxnID (queriesByID; QuickBooks
// returns active and inactive ones alike, and the others with status
// 500, a warning). ends says the pass ends with it: the page was its
// last, and next awaits the refresh.
//
// A stored customer or vendor modified at or after the change it would
// be read again for was fetched after that change, and so holds its
// balance already: one the customers pass of the same run brought, when
// QuickBooks marks a customer modified as its balance moves. (Within the
// same second the order cannot be told; the next incremental pass reads
// such a customer again, since it is inside the overlap.) Customers and
// vendors the store does not hold are left to their own passes.
func (e *Engine) refreshOperation(page *store.SyncPage, next *qbconnect.SyncState, since map[string]time.Time, merged map[string][]string,
	skip []string, ends bool) (*qbconnect.Operation, error) {
	want, err := e.movedRecords(page, since)
	if err != nil {
		return nil, err
	}
	for t, ids := range want {
		want[t] = slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(skip, id) })
	}
	for t, ids := range merged {
		for _, id := range ids {
			if !slices.Contains(want[t], id) {
				want[t] = append(want[t], id)
			}
		}
	}
	reqs := e.queriesByID(want, 1)
	if len(reqs) == 0 {
		return nil, nil
	}
	doc, err := qbxml.Marshal(&qbxml.MsgsRq{OnError: qbxml.ContinueOnError, Requests: reqs})
	if err != nil {
		return nil, fmt.Errorf("syncengine: %s refresh: %w", next.DataType, err)
	}
	meta, _ := json.Marshal(syncMeta{DataType: next.DataType, Mode: next.Mode, RunID: next.RunID, Restarts: next.Restarts, Page: next.Pages,
		Refresh: true, Ends: ends})
	return &qbconnect.Operation{
		OrgID: next.OrgID, CompanyID: next.CompanyID, Kind: qbconnect.OpSync, Priority: qbconnect.PriorityContinuation,
		IdempotencyKey: fmt.Sprintf("qbconnect-refresh:%s:%d:%d", next.RunID, next.Restarts, next.Pages),
		Request:        string(doc), Meta: meta,
	}, nil
}

// queriesByID returns the queries that read the records of ids (IDs by
// data type) as a sync page does, a refreshBatch a query, by type in
// the order of the type table, their requestIDs numbered from first.
func (e *Engine) queriesByID(ids map[string][]string, first int) []qbxml.Element {
	var out []qbxml.Element
	for _, d := range e.types {
		list := ids[d.name]
		slices.Sort(list)
		for start := 0; start < len(list); start += refreshBatch {
			q := qbxml.NewNode(d.object+"QueryRq").SetAttr("requestID", fmt.Sprintf("%s%d", balanceRequestID, first+len(out)))
			for _, id := range list[start:min(start+refreshBatch, len(list))] {
				q.Add(qbxml.NewText(d.idElem(), id))
			}
			if d.includeLines != "" {
				q.Add(qbxml.NewText(d.includeLines, "true"))
			}
			out = append(out, q)
		}
	}
	return out
}

// movedRecords returns, by type, the IDs of the stored customers, vendors
// and inventory items whose figures moved at the times since gives, and
// of their parent customers, that were stored before those changes.
func (e *Engine) movedRecords(page *store.SyncPage, since map[string]time.Time) (map[string][]string, error) {
	want := map[string][]string{}
	types := e.refreshTypes()
	if len(since) == 0 || len(types) == 0 {
		return want, nil
	}
	ids := make([]string, 0, len(since))
	for id := range since {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	found, err := page.Stored(ids, types...)
	if err != nil {
		return nil, err
	}
	byID := map[string]*qbconnect.Record{}
	for depth := 0; len(found) > 0 && depth < maxParentDepth; depth++ {
		var parents []string
		for _, r := range found {
			byID[r.ID] = r
		}
		for _, r := range found {
			if r.Type == "customers" && r.RefID != "" && byID[r.RefID] == nil && !slices.Contains(parents, r.RefID) {
				parents = append(parents, r.RefID)
			}
		}
		if found, err = page.Stored(parents, "customers"); err != nil {
			return nil, err
		}
	}
	// A job's change moves the TotalBalance of each of its parents.
	for _, id := range ids {
		at := since[id]
		cur := byID[id]
		for depth := 0; cur != nil && cur.RefID != "" && depth < maxParentDepth; depth++ {
			if cur = byID[cur.RefID]; cur != nil && at.After(since[cur.ID]) {
				since[cur.ID] = at
			}
		}
	}
	for id, r := range byID {
		if r.ModifiedAt.Before(since[id]) {
			want[r.Type] = append(want[r.Type], id)
		}
	}
	return want, nil
}

// awaitsRefresh reports whether a pass under way awaits the refresh its
// last page queued (its OpID) rather than a page: the only state with
// pages but no iterator.
func awaitsRefresh(st *qbconnect.SyncState) bool {
	return st.Pages > 0 && st.IteratorID == "" && st.OpID != ""
}

// storeRecords stores recs, records of one data type fetched outside a
// pass, in page and commits it.
func storeRecords(page *store.SyncPage, recs []*qbconnect.Record) error {
	defer page.Rollback()
	for _, r := range recs {
		if err := page.Upsert(r); err != nil {
			return err
		}
	}
	return page.CommitRecords()
}

// byType returns recs grouped by data type, in the order of the type
// table (lists first); types without records are left out.
func (e *Engine) byType(recs []*qbconnect.Record) [][]*qbconnect.Record {
	grouped := map[string][]*qbconnect.Record{}
	for _, r := range recs {
		grouped[r.Type] = append(grouped[r.Type], r)
	}
	var out [][]*qbconnect.Record
	for _, d := range e.types {
		if list := grouped[d.name]; len(list) > 0 {
			out = append(out, list)
		}
	}
	return out
}

// refreshRecords decodes a finished refresh's answer: the customers,
// vendors and items it brought, and the records that named a merged
// element (see merge.go). A failed refresh, or an error status, brings
// nothing (and a log record): the next change of one of their
// transactions, or a full sync, reads them again.
func (e *Engine) refreshRecords(ctx context.Context, op *qbconnect.Operation) []*qbconnect.Record {
	if op.Status != qbconnect.OpSucceeded {
		e.log.WarnContext(ctx, "refresh failed", "company", op.CompanyID, "op", op.ID, "err", op.Error)
		return nil
	}
	dec := qbxml.NewDecoder(bytes.NewReader(op.Result), &qbxml.Options{Generic: true})
	var out []*qbconnect.Record
	for {
		it, err := dec.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			e.log.WarnContext(ctx, "refresh unreadable", "company", op.CompanyID, "op", op.ID, "err", err)
			return nil
		}
		switch it.Kind {
		case qbxml.ItemResponse:
			if err := it.Response.Err(); err != nil {
				e.log.WarnContext(ctx, "refresh failed", "company", op.CompanyID, "op", op.ID, "err", err)
			}
		case qbxml.ItemRecord:
			if r := e.balanceRecord(it.Record.ToNode()); r != nil {
				r.CompanyID = op.CompanyID
				out = append(out, r)
			}
		}
	}
}

// refreshOrigin is what the events of a refresh's type t name: the pass
// whose transactions moved the balances or stock.
func refreshOrigin(op *qbconnect.Operation, m syncMeta, t string) qbconnect.RecordChanges {
	return qbconnect.RecordChanges{OrgID: op.OrgID, CompanyID: op.CompanyID, DataType: t, RunID: m.RunID}
}

// endPass stores a pass's last refresh in page (the pass awaits it) and
// completes the pass: the sync's end, and its sync.completed, follow the
// balances and stock its transactions moved.
func (e *Engine) endPass(page *store.SyncPage, op *qbconnect.Operation, m syncMeta, recs []*qbconnect.Record) error {
	defer page.Rollback()
	for _, list := range e.byType(recs) {
		sub, err := page.RecordsPage(refreshOrigin(op, m, list[0].Type))
		if err != nil {
			return err
		}
		if err := storeRecords(sub, list); err != nil {
			return err
		}
	}
	next := page.State()
	e.complete(next)
	run := &qbconnect.SyncRun{ID: next.RunID, Status: qbconnect.SyncComplete, Pages: next.Pages, Fetched: next.Fetched,
		Deleted: next.Deleted, Restarts: next.Restarts, FinishedAt: next.LastCompleteAt}
	return ignoreConflict(page.Commit(next, run))
}

// ingestRefreshIn stores a finished refresh in the transaction that
// completes it (IngestPage), and ends the pass that awaits it.
func (e *Engine) ingestRefreshIn(ctx context.Context, tx qbconnect.CompletionTx, op *qbconnect.Operation, d *dataType, m syncMeta) (bool, error) {
	recs := e.refreshRecords(ctx, op)
	if m.Ends {
		page, err := e.states.JoinSyncPage(ctx, tx, op.CompanyID, d.name, m.key())
		switch c := qbconnect.ErrorCodeOf(err); {
		case c == qbconnect.EConflict || c == qbconnect.ENotFound:
		case err != nil:
			return false, err
		default:
			if err := e.endPass(page, op, m, recs); err != nil {
				return false, err
			}
			return true, nil
		}
	}
	for _, list := range e.byType(recs) {
		page, err := e.states.JoinRecordsPage(ctx, tx, refreshOrigin(op, m, list[0].Type))
		if err == nil {
			err = storeRecords(page, list)
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// ingestRefresh is ingestRefreshIn in transactions of its own
// (HandleOperation).
func (e *Engine) ingestRefresh(ctx context.Context, op *qbconnect.Operation, d *dataType, m syncMeta) error {
	recs := e.refreshRecords(ctx, op)
	if m.Ends {
		page, err := e.states.BeginSyncPage(ctx, op.CompanyID, d.name, m.key())
		switch c := qbconnect.ErrorCodeOf(err); {
		case c == qbconnect.EConflict || c == qbconnect.ENotFound:
		case err != nil:
			return err
		default:
			return e.endPass(page, op, m, recs)
		}
	}
	var errs []error
	for _, list := range e.byType(recs) {
		page, err := e.states.BeginRecordsPage(ctx, refreshOrigin(op, m, list[0].Type))
		if err == nil {
			err = storeRecords(page, list)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// balanceRequestID is the requestID prefix of a write's balance queries.
const balanceRequestID = "b"

// movedQueries returns the queries that read again, in a write's own
// message set and after it, the customers, vendors and inventory items
// whose balances or stock the write moves: those the written transaction
// names (by ListID or FullName, as the client named them), those it
// named as stored (an update that moves it to another customer or item,
// a delete, a void), and their parent customers. rec is the write's Add
// or Mod element; nil for a delete or void.
//
// A record named by ListID is asked for only as the type the store holds
// it as: an item line's service item or a journal line's vendor costs no
// inventory or customer query. One the store does not hold as any type
// the write moves is left to its own pass, as after an incremental page
// (refreshOperation). A record named by FullName is asked for as every
// type it may be: QuickBooks answers a query that finds none of its
// names with a warning, and reads nothing.
func (e *Engine) movedQueries(ctx context.Context, d *dataType, w qbconnect.WriteRequest, rec *qbxml.Node) ([]qbxml.Element, error) {
	if !e.moves(d) {
		return nil, nil
	}
	type refs struct{ ids, names []string }
	want := map[string]*refs{}
	var old *qbconnect.Record
	if w.ID != "" {
		r, err := e.records.FindRecord(ctx, w.OrgID, w.CompanyID, d.name, w.ID)
		switch {
		case qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound:
		case err != nil:
			return nil, err
		case !r.Deleted:
			old = r
		}
	}
	for _, k := range moveKinds {
		refTypes := e.movedTypes(k, d)
		for _, t := range refTypes {
			want[t] = &refs{}
		}
		addID := func(id string) {
			for _, t := range refTypes {
				if r := want[t]; id != "" && !slices.Contains(r.ids, id) {
					r.ids = append(r.ids, id)
				}
			}
		}
		addRef := func(ref *qbxml.Node) {
			if id, ok := ref.ChildText("ListID"); ok {
				addID(id)
				return
			}
			name, _ := ref.ChildText("FullName")
			for _, t := range refTypes {
				r := want[t]
				if name == "" {
					continue
				}
				// "Parent:Job" names its parents too (of a customer;
				// an item's parent keeps no figures of its children's,
				// and reading it again does no harm).
				for i := len(name); i > 0; i = strings.LastIndex(name[:i], ":") {
					if n := name[:i]; !slices.Contains(r.names, n) {
						r.names = append(r.names, n)
					}
					if t != "customers" {
						break
					}
				}
			}
		}
		if len(refTypes) == 0 {
			continue
		}
		if rec != nil {
			for _, ref := range k.written(d, rec) {
				addRef(ref)
			}
			if k.through != nil {
				ids, err := k.through(e, ctx, w, d, rec)
				if err != nil {
					return nil, err
				}
				for _, id := range ids {
					addID(id)
				}
			}
		}
		if old != nil {
			for _, id := range k.stored(d, old) {
				addID(id)
			}
		}
	}
	for t, r := range want {
		stored, err := e.storedIDs(ctx, w.OrgID, w.CompanyID, t, r.ids)
		if err != nil {
			return nil, err
		}
		r.ids = stored
	}
	if r := want["customers"]; r != nil && len(r.ids) > 0 {
		parents, err := e.storedParents(ctx, w.OrgID, w.CompanyID, r.ids)
		if err != nil {
			return nil, err
		}
		for _, id := range parents {
			if !slices.Contains(r.ids, id) {
				r.ids = append(r.ids, id)
			}
		}
	}
	var out []qbxml.Element
	for _, t := range e.refreshTypes() {
		r := want[t]
		if r == nil {
			continue
		}
		for _, by := range []struct {
			el   string
			vals []string
		}{{"ListID", r.ids}, {"FullName", r.names}} {
			if len(by.vals) == 0 {
				continue
			}
			q := qbxml.NewNode(e.byName[t].object+"QueryRq").SetAttr("requestID", fmt.Sprintf("%s%d", balanceRequestID, len(out)+1))
			for _, v := range by.vals {
				q.Add(qbxml.NewText(by.el, v))
			}
			out = append(out, q)
		}
	}
	return out, nil
}

// storedRecords returns the live records of typ the store holds among
// ids, reading them a refreshBatch at a time.
func (e *Engine) storedRecords(ctx context.Context, orgID, companyID, typ string, ids []string) ([]*qbconnect.Record, error) {
	var out []*qbconnect.Record
	for start := 0; start < len(ids); start += refreshBatch {
		list, _, err := e.records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: orgID, CompanyID: companyID, Type: typ,
			IDs: ids[start:min(start+refreshBatch, len(ids))], Limit: refreshBatch})
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// storedIDs returns those of ids the store holds as live records of typ,
// in the order of ids.
func (e *Engine) storedIDs(ctx context.Context, orgID, companyID, typ string, ids []string) ([]string, error) {
	list, err := e.storedRecords(ctx, orgID, companyID, typ, ids)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, r := range list {
		held[r.ID] = true
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !held[id] }), nil
}

// storedParents returns the ListIDs of the stored parents, grandparents
// and so on of the stored customers ids.
func (e *Engine) storedParents(ctx context.Context, orgID, companyID string, ids []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for depth := 0; len(ids) > 0 && depth < maxParentDepth; depth++ {
		list, err := e.storedRecords(ctx, orgID, companyID, "customers", ids)
		if err != nil {
			return nil, err
		}
		ids = nil
		for _, r := range list {
			if r.RefID != "" && !seen[r.RefID] {
				seen[r.RefID] = true
				ids = append(ids, r.RefID)
				out = append(out, r.RefID)
			}
		}
	}
	return out, nil
}

// walkNodes calls fn with n and each of its descendants.
func walkNodes(n *qbxml.Node, fn func(*qbxml.Node)) {
	fn(n)
	for _, c := range n.Children {
		walkNodes(c, fn)
	}
}

// isBalanceResponse reports whether a write's response answers one of
// its balance queries.
func isBalanceResponse(r *qbxml.Response) bool {
	return strings.HasPrefix(r.RequestID, balanceRequestID)
}

// balanceRecord returns the stored record of a Ret a balance query or a
// refresh answered with, or nil for an element of no data type.
func (e *Engine) balanceRecord(n *qbxml.Node) *qbconnect.Record {
	if d := e.byRet[n.Name]; d != nil {
		return e.record(d, n, nil)
	}
	return nil
}

// writeRecordsPage opens a records page of a write's: in tx when it is
// not nil (ApplyWrite), else in a transaction of its own.
func (e *Engine) writeRecordsPage(ctx context.Context, tx qbconnect.CompletionTx, origin qbconnect.RecordChanges) (*store.SyncPage, error) {
	if tx != nil {
		return e.states.JoinRecordsPage(ctx, tx, origin)
	}
	return e.states.BeginRecordsPage(ctx, origin)
}

// storeBalances stores the customers, vendors and items a write read back,
// and the transactions it applies to or links, with the write's own
// changes: in tx when it is not nil (ApplyWrite), else in a transaction
// of their own.
func (e *Engine) storeBalances(ctx context.Context, tx qbconnect.CompletionTx, op *qbconnect.Operation, recs []*qbconnect.Record) error {
	var errs []error
	for _, r := range recs {
		r.CompanyID = op.CompanyID
	}
	for _, list := range e.byType(recs) {
		page, err := e.writeRecordsPage(ctx, tx, qbconnect.RecordChanges{OrgID: op.OrgID, CompanyID: op.CompanyID, DataType: list[0].Type, OperationID: op.ID})
		if err == nil {
			err = storeRecords(page, list)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
