package syncengine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// writeMeta is what an OpWrite operation carries in its Meta.
type writeMeta struct {
	DataType string                `json:"dataType"`
	Action   qbconnect.WriteAction `json:"action"`
	ID       string                `json:"id,omitempty"`
}

// PlanWrite validates a client's write and enqueues it; see
// qbconnect.SyncService. The request is one message set with a fresh
// newMessageSetID (kept as the operation's MessageSetID) and
// onError="stopOnError": when its answer is lost, the connector asks
// QuickBooks for the stored answer with oldMessageSetID instead of running
// it again, and HandleOperation and WriteResult read that answer exactly
// like the first. A write of a transaction that moves balances or stock
// ends its message set with queries of the customers, vendors and
// inventory items it moves (movedQueries), and one that applies to or
// links other transactions with queries of those (linkedQueries), which
// ApplyWrite stores with the write.
func (e *Engine) PlanWrite(ctx context.Context, w qbconnect.WriteRequest) (*qbconnect.Operation, error) {
	d := e.byName[w.DataType]
	if d == nil {
		_, err := e.resolve([]string{w.DataType})
		return nil, err
	}
	rq, err := e.writeRequest(d, w)
	if err != nil {
		return nil, err
	}
	msid, err := e.newID("", 16)
	if err != nil {
		return nil, err
	}
	reqs := []qbxml.Element{rq}
	if w.Action == qbconnect.WriteVoid {
		// The void's answer names the transaction but not its new state:
		// the same message set reads it back (stopOnError skips the read
		// when the void fails), so that the stored record is QuickBooks'
		// own after the void.
		reqs = append(reqs, e.readBack(d, w.ID))
	}
	// The customers, vendors and items whose balances or stock the write
	// moves are read back the same way, and stored with the write: a
	// read right after it sees their new figures, at the cost of a few
	// records more in the answer rather than a round trip.
	var rec *qbxml.Node
	if w.Action == qbconnect.WriteCreate || w.Action == qbconnect.WriteUpdate {
		rec = rq.Children[0]
	}
	balances, err := e.movedQueries(ctx, d, w, rec)
	if err != nil {
		return nil, err
	}
	reqs = append(reqs, balances...)
	// So are the transactions it applies to or links (linkedQueries).
	linked, err := e.linkedQueries(ctx, d, w, rec, len(balances)+1)
	if err != nil {
		return nil, err
	}
	reqs = append(reqs, linked...)
	doc, err := qbxml.Marshal(&qbxml.MsgsRq{OnError: qbxml.StopOnError, NewMessageSetID: msid, Requests: reqs})
	if err != nil {
		var ve *qbxml.ValidationError
		if errors.As(err, &ve) {
			return nil, &qbconnect.Error{Code: qbconnect.EInvalid, Message: invalidMessage(ve), Err: err}
		}
		return nil, err
	}
	meta, _ := json.Marshal(writeMeta{DataType: d.name, Action: w.Action, ID: w.ID})
	return e.queue.Enqueue(ctx, &qbconnect.Operation{
		OrgID: w.OrgID, CompanyID: w.CompanyID, Kind: qbconnect.OpWrite, Priority: qbconnect.PriorityWrite,
		IdempotencyKey: w.IdempotencyKey, Fingerprint: w.Fingerprint, Request: string(doc), MessageSetID: msid, Meta: meta, Deadline: w.Deadline,
	})
}

// readBack is the query of one transaction by ID, asking for what a sync
// page asks for.
func (e *Engine) readBack(d *dataType, id string) *qbxml.Node {
	q := qbxml.NewNode(d.object+"QueryRq", qbxml.NewText("TxnID", id)).SetAttr("requestID", "r")
	if d.includeLines != "" {
		q.Add(qbxml.NewText(d.includeLines, "true"))
	}
	return q
}

// invalidMessage lists a validation error's problems with the request's
// envelope stripped from their paths.
func invalidMessage(ve *qbxml.ValidationError) string {
	var b bytes.Buffer
	b.WriteString("the record does not match QuickBooks' schema: ")
	for i, p := range ve.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Path)
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

func (e *Engine) writeRequest(d *dataType, w qbconnect.WriteRequest) (*qbxml.Node, error) {
	unsupported := func() error {
		verb := map[qbconnect.WriteAction]string{qbconnect.WriteCreate: "created", qbconnect.WriteUpdate: "updated",
			qbconnect.WriteDelete: "deleted", qbconnect.WriteVoid: "voided"}[w.Action]
		return qbconnect.Errorf(qbconnect.EInvalid, "%s cannot be %s through QuickBooks' SDK (supported: %s)", d.name, verb, strings.Join(d.actions(), ", "))
	}
	needID := func() error {
		if w.ID == "" {
			return qbconnect.Errorf(qbconnect.EInvalid, "%s of %s needs the record's ID", w.Action, d.name)
		}
		return nil
	}
	switch w.Action {
	case qbconnect.WriteCreate:
		if d.add == nil {
			return nil, unsupported()
		}
		rec, err := e.codec.fromJSON(d.add.Name, d.add, w.Body)
		if err != nil {
			return nil, err
		}
		return qbxml.NewNode(d.object+"AddRq", rec).SetAttr("requestID", "w"), nil
	case qbconnect.WriteUpdate:
		if d.mod == nil {
			return nil, unsupported()
		}
		if err := needID(); err != nil {
			return nil, err
		}
		rec, err := e.codec.fromJSON(d.mod.Name, d.mod, w.Body)
		if err != nil {
			return nil, err
		}
		idEl := d.idElem()
		if got, ok := rec.ChildText(idEl); ok && got != w.ID {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "the body's %s %q differs from the record's ID %q", JSONName(idEl, false), got, w.ID)
		}
		if _, ok := rec.ChildText("EditSequence"); !ok {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "an update needs the record's editSequence, as last read: in the body, or as If-Match: \"<editSequence>\"")
		}
		if rec.Child(idEl) == nil {
			rec.Children = append([]*qbxml.Node{qbxml.NewText(idEl, w.ID)}, rec.Children...)
		}
		return qbxml.NewNode(d.object+"ModRq", rec).SetAttr("requestID", "w"), nil
	case qbconnect.WriteDelete:
		if !d.canDelete {
			return nil, unsupported()
		}
		if err := needID(); err != nil {
			return nil, err
		}
		if d.txn {
			return qbxml.NewNode("TxnDelRq", qbxml.NewText("TxnDelType", d.object), qbxml.NewText("TxnID", w.ID)).SetAttr("requestID", "w"), nil
		}
		return qbxml.NewNode("ListDelRq", qbxml.NewText("ListDelType", d.object), qbxml.NewText("ListID", w.ID)).SetAttr("requestID", "w"), nil
	case qbconnect.WriteVoid:
		if !d.canVoid {
			return nil, unsupported()
		}
		if err := needID(); err != nil {
			return nil, err
		}
		return qbxml.NewNode("TxnVoidRq", qbxml.NewText("TxnVoidType", d.object), qbxml.NewText("TxnID", w.ID)).SetAttr("requestID", "w"), nil
	}
	return nil, qbconnect.Errorf(qbconnect.EInvalid, "unknown action %q (want create, update, delete or void)", w.Action)
}

// WriteResult maps a finished write operation to its outcome; see
// qbconnect.SyncService. The result stored when the write completed
// (op.WriteResult) is returned as it is; only a write finished without it
// has its answer decoded here.
func (e *Engine) WriteResult(ctx context.Context, op *qbconnect.Operation) (*qbconnect.WriteResult, error) {
	if op.Kind != qbconnect.OpWrite {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "operation %s is not a write", op.ID)
	}
	if op.WriteResult != nil && op.Status.Done() {
		return op.WriteResult, nil
	}
	return e.decodeWriteResult(op)
}

// decodeWriteResult is WriteResult from the write's qbXML answer.
func (e *Engine) decodeWriteResult(op *qbconnect.Operation) (*qbconnect.WriteResult, error) {
	res, _, err := e.decodeWrite(op)
	return res, err
}

// decodeWrite is decodeWriteResult, and the customers, vendors and items
// the write's message set read back (see movedQueries).
func (e *Engine) decodeWrite(op *qbconnect.Operation) (*qbconnect.WriteResult, []*qbconnect.Record, error) {
	res := &qbconnect.WriteResult{Status: op.Status}
	switch op.Status {
	case qbconnect.OpSucceeded:
	case qbconnect.OpFailed, qbconnect.OpTimedOut, qbconnect.OpCanceled:
		res.Error = op.Error
		return res, nil, nil
	default:
		return res, nil, nil
	}
	var m writeMeta
	if err := json.Unmarshal(op.Meta, &m); err != nil {
		return nil, nil, fmt.Errorf("syncengine: write %s has no write state: %w", op.ID, err)
	}
	d := e.byName[m.DataType]
	if d == nil {
		return nil, nil, fmt.Errorf("syncengine: write %s is of unknown type %q", op.ID, m.DataType)
	}
	rec, balances, qerr, err := e.readWrite(d, op, bytes.NewReader(op.Result))
	if err != nil {
		return nil, nil, err
	}
	if qerr != nil {
		res.Status, res.Error = qbconnect.OpFailed, qerr
		return res, nil, nil
	}
	if rec != nil {
		rec.CompanyID = op.CompanyID
	}
	res.Record = rec
	return res, balances, nil
}

// readWrite decodes a write's response: the Ret record of an Add or Mod,
// nothing for a delete or void, or QuickBooks' error; and the records its
// balance queries returned, whose statuses (a customer QuickBooks no
// longer holds) do not decide the write's.
func (e *Engine) readWrite(d *dataType, op *qbconnect.Operation, r io.Reader) (*qbconnect.Record, []*qbconnect.Record, *qbconnect.Error, error) {
	dec := qbxml.NewDecoder(r, &qbxml.Options{Generic: true})
	var rec *qbconnect.Record
	var balances []*qbconnect.Record
	seen, inBalance := false, false
	for {
		it, err := dec.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("syncengine: write %s: response: %w", op.ID, err)
		}
		switch it.Kind {
		case qbxml.ItemResponse:
			seen = true
			if inBalance = isBalanceResponse(it.Response); inBalance {
				continue
			}
			if err := it.Response.Err(); err != nil {
				var se *qbxml.StatusError
				errors.As(err, &se)
				return nil, nil, statusError(se), nil
			}
		case qbxml.ItemRecord:
			n := it.Record.ToNode()
			switch {
			case inBalance:
				if b := e.balanceRecord(n); b != nil {
					balances = append(balances, b)
				}
			case n.Name == d.object+"Ret":
				rec = e.record(d, n, nil)
			}
		}
	}
	if !seen {
		if ms := dec.MessageSet(); ms.MessageSetStatusCode != "" {
			return nil, nil, &qbconnect.Error{Code: qbconnect.EQuickBooks, QBCode: ms.MessageSetStatusCode,
				Message: fmt.Sprintf("QuickBooks has no stored answer for message set %s (status %s)", op.MessageSetID, ms.MessageSetStatusCode)}, nil
		}
		return nil, nil, nil, fmt.Errorf("syncengine: write %s: the response holds no answer", op.ID)
	}
	return rec, balances, nil, nil
}

// ApplyWrite decodes a finished write's answer, once, and stores in tx
// the result (the operation's WriteResult, which reads return without
// decoding again) and what it changed: the record a create, update or
// void returned (a void asks QuickBooks for the voided transaction in the
// same message set), or the deleted record marked deleted; and the
// customers, vendors and items whose balances or stock it moved, which
// the same message set read back (movedQueries), with record events for
// those that changed. Those are not the write's outcome: when they cannot be stored
// the write's result stands, and a later sync brings them. It returns
// the write's result, as WriteResult would. See qbconnect.SyncService.
func (e *Engine) ApplyWrite(ctx context.Context, tx qbconnect.CompletionTx, op *qbconnect.Operation) (*qbconnect.WriteResult, error) {
	res, balances, err := e.decodeWrite(op)
	if err != nil {
		return nil, err
	}
	if err := tx.SetWriteResult(ctx, res); err != nil {
		return nil, err
	}
	if res.Status != qbconnect.OpSucceeded {
		return res, nil
	}
	var m writeMeta
	if err := json.Unmarshal(op.Meta, &m); err != nil {
		return nil, fmt.Errorf("syncengine: write %s has no write state: %w", op.ID, err)
	}
	ch := &qbconnect.RecordChanges{OrgID: op.OrgID, CompanyID: op.CompanyID, DataType: m.DataType, OperationID: op.ID}
	switch {
	case res.Record != nil:
		if m.Action == qbconnect.WriteCreate {
			ch.Created = []string{res.Record.ID}
		} else {
			ch.Updated = []string{res.Record.ID}
		}
		res.Changes = ch
		var renames []rename
		if renames, err = e.renamedBy(ctx, op, m, res.Record); err == nil {
			err = tx.UpsertRecords(ctx, []*qbconnect.Record{res.Record})
		}
		if err == nil && len(renames) > 0 {
			if err := e.followWriteRenames(ctx, tx, op, res.Record, renames); err != nil {
				e.log.WarnContext(ctx, "records naming a renamed element not updated", "company", op.CompanyID, "op", op.ID, "err", err)
			}
		}
	case m.Action == qbconnect.WriteDelete:
		ch.Deleted = []string{m.ID}
		res.Changes = ch
		err = tx.DeleteRecords(ctx, op.CompanyID, m.DataType, []string{m.ID}, e.now())
	}
	if err != nil {
		return res, err
	}
	if err := e.storeBalances(ctx, tx, op, balances); err != nil {
		e.log.WarnContext(ctx, "balances read back with a write not stored", "company", op.CompanyID, "op", op.ID, "err", err)
	}
	return res, nil
}

// handleWrite is HandleOperation for a write whose outcome was recorded
// without ApplyWrite (an operation the reconciler finds): it stores what
// the write changed in a transaction of its own.
func (e *Engine) handleWrite(ctx context.Context, op *qbconnect.Operation, r io.Reader) error {
	if op.Status != qbconnect.OpSucceeded {
		return nil
	}
	var m writeMeta
	if err := json.Unmarshal(op.Meta, &m); err != nil {
		return fmt.Errorf("syncengine: write %s has no write state: %w", op.ID, err)
	}
	d := e.byName[m.DataType]
	if d == nil {
		return nil
	}
	if r == nil {
		r = bytes.NewReader(op.Result)
	}
	rec, balances, qerr, err := e.readWrite(d, op, r)
	if err != nil || qerr != nil {
		return err
	}
	switch {
	case rec != nil:
		rec.CompanyID = op.CompanyID
		var renames []rename
		if renames, err = e.renamedBy(ctx, op, m, rec); err == nil {
			err = e.records.UpsertRecords(ctx, []*qbconnect.Record{rec})
		}
		if err == nil && len(renames) > 0 {
			if err := e.followWriteRenames(ctx, nil, op, rec, renames); err != nil {
				e.log.WarnContext(ctx, "records naming a renamed element not updated", "company", op.CompanyID, "op", op.ID, "err", err)
			}
		}
	case m.Action == qbconnect.WriteDelete:
		err = e.records.DeleteRecords(ctx, op.CompanyID, d.name, []string{m.ID}, e.now())
	}
	if err != nil {
		return err
	}
	return e.storeBalances(ctx, nil, op, balances)
}

// renamedBy returns the rename an update of a list element makes, read
// before the written record is stored: none for other writes.
func (e *Engine) renamedBy(ctx context.Context, op *qbconnect.Operation, m writeMeta, rec *qbconnect.Record) ([]rename, error) {
	d := e.byName[m.DataType]
	if m.Action != qbconnect.WriteUpdate || d == nil || d.txn || rec.Name == "" {
		return nil, nil
	}
	stored, err := e.storedRecords(ctx, op.OrgID, op.CompanyID, d.name, []string{rec.ID})
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, r := range stored {
		names[r.ID] = r.Name
	}
	return appendRenames(nil, d.name, names, map[string]string{rec.ID: rec.Name}), nil
}

// followWriteRenames is followRenames for a write that renamed a list
// element: in tx when it is not nil (ApplyWrite), else in a transaction
// of its own.
func (e *Engine) followWriteRenames(ctx context.Context, tx qbconnect.CompletionTx, op *qbconnect.Operation, rec *qbconnect.Record, renames []rename) error {
	origin := qbconnect.RecordChanges{OrgID: op.OrgID, CompanyID: op.CompanyID, DataType: rec.Type, OperationID: op.ID}
	page, err := e.writeRecordsPage(ctx, tx, origin)
	if err != nil {
		return err
	}
	defer page.Rollback()
	written := func(r *qbconnect.Record) bool { return r.Type == rec.Type && r.ID == rec.ID }
	if err := e.followRenames(page, origin, renames, written); err != nil {
		return err
	}
	return page.CommitRecords()
}
