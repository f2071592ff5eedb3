package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// writeTx runs fn in one SQLite transaction together with the counters it
// used and the account balances it moved (moveBalances). On error
// nothing is written and the counters are restored.
func (f *File) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	saved := f.ids
	f.changed = map[int64][]byte{}
	committed := false
	defer func() {
		f.changed = nil
		if !committed {
			f.chart = nil // it may hold what was rolled back
		}
	}()
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("companyfile: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		f.ids = saved
		return err
	}
	if err := f.saveIDs(ctx, tx); err != nil {
		tx.Rollback()
		f.ids = saved
		return err
	}
	if err := flushRefs(ctx, tx, f.changed); err != nil {
		tx.Rollback()
		f.ids = saved
		return err
	}
	if err := f.moveBalances(ctx, tx, f.changed); err != nil {
		tx.Rollback()
		f.ids = saved
		return err
	}
	if err := tx.Commit(); err != nil {
		f.ids = saved
		return fmt.Errorf("companyfile: commit: %w", err)
	}
	committed = true
	f.writes++
	return nil
}

func checkWrite(rq *request) error {
	if rq.sess.Access.IsReadOnly {
		return qbErr(stReadOnly, "The application %q has read-only access to this company file and cannot change it.", rq.sess.AppName)
	}
	if !rq.sess.Access.IsPersonalDataAccessAllowed && containsPersonal(rq.el) {
		return qbErr(stNoPersonalData, "The integrated application has no permission to access personal data.")
	}
	return nil
}

func containsPersonal(e *qbxml.Node) bool {
	for _, k := range e.Children {
		for _, n := range personalElements {
			if k.Name == n {
				return true
			}
		}
		if containsPersonal(k) {
			return true
		}
	}
	return false
}

// add handles XxxAddRq for every list and transaction type.
func (f *File) add(ctx context.Context, rq *request, rs *response, t *objType) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	src := kid(rq.el, t.Name+"Add")
	var ret *qbxml.Node
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		ret, err = f.addObject(ctx, tx, t, src)
		return err
	})
	if err != nil {
		return err
	}
	if err := f.withAccountBalance(ctx, t, ret); err != nil {
		return err
	}
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

// addObject builds, checks and inserts a new object from its XxxAdd element
// and applies its effects on other objects (balances, payments applied).
func (f *File) addObject(ctx context.Context, q querier, t *objType, src *qbxml.Node) (*qbxml.Node, error) {
	tm := f.opt.Now()
	b := &builder{f: f, ctx: ctx, q: q, typ: t, now: tm}
	ret, err := b.build(t.Ret(), src)
	if err != nil {
		return nil, err
	}
	model, _ := contentModel(t.Ret())
	id := f.ids.newID(tm)
	edit := strconv.FormatInt(tm.Unix(), 10)
	if t.Kind == kindList {
		setOrdered(ret, model, "ListID", id)
	} else {
		setOrdered(ret, model, "TxnID", id)
	}
	setOrdered(ret, model, "TimeCreated", qbTime(tm))
	setOrdered(ret, model, "TimeModified", qbTime(tm))
	setOrdered(ret, model, "EditSequence", edit)
	o := &object{typ: t.Name, id: id, ns: t.NS, created: tm.Unix(), modified: tm.Unix(), editSeq: edit, active: true}
	if t.Kind == kindTxn {
		if _, ok := lookupChild(model, "TxnNumber"); ok {
			setOrdered(ret, model, "TxnNumber", strconv.FormatInt(f.ids.newTxnNumber(), 10))
		}
	}
	if err := f.complete(ctx, q, t, model, ret, src, o, nil); err != nil {
		return nil, err
	}
	o.ret = marshalNode(ret)
	if err := insertObject(ctx, q, o); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, qbErr(stNameInUse, "The name %q of the list element is already in use.", o.name)
		}
		return nil, err
	}
	if err := f.applyEffects(ctx, q, t, o, ret, nil); err != nil {
		return nil, err
	}
	if t.NS == "Item" {
		if err := saveBarCode(ctx, q, o, src); err != nil {
			return nil, err
		}
	}
	return ret, nil
}

// complete fills the computed fields of a new or modified object (full
// names, defaults, totals, balances) and its indexed columns. old is the
// previous version for a Mod, nil for an Add.
func (f *File) complete(ctx context.Context, q querier, t *objType, model *qbxml.ElementType, ret, src *qbxml.Node, o *object, old *object) error {
	if _, ok := lookupChild(model, "IsActive"); ok && kid(ret, "IsActive") == nil {
		setOrdered(ret, model, "IsActive", "true")
	}
	o.active = textAt(ret, "IsActive") != "false"
	if t.Kind == kindList && !t.Unnamed {
		ident := t.ident()
		name := textAt(ret, ident)
		if name == "" && t.Name == "Employee" {
			// EmployeeAdd has no Name: QuickBooks composes it.
			var parts []string
			for _, k := range []string{"FirstName", "MiddleName", "LastName"} {
				if v := textAt(ret, k); v != "" {
					parts = append(parts, v)
				}
			}
			name = strings.Join(parts, " ")
			if name != "" {
				setOrdered(ret, model, "Name", name)
			}
		}
		if name == "" {
			return qbErr(stInvalidValue, "The %s of the %s is empty.", strings.ToLower(ident), t.Name)
		}
		if strings.Contains(name, ":") {
			return qbErr(stInvalidValue, "The %s %q of the %s must not contain a colon.", strings.ToLower(ident), name, t.Name)
		}
		full, sub, parentID := name, 0, ""
		if pr := kid(ret, "ParentRef"); pr != nil {
			parentID = textAt(pr, "ListID")
			if old != nil && parentID == old.id {
				return qbErr(stInvalidValue, "A %s cannot be its own parent.", t.Name)
			}
			full = textAt(pr, "FullName") + ":" + name
			sub = strings.Count(full, ":")
		}
		if _, ok := lookupChild(model, "FullName"); ok {
			setOrdered(ret, model, "FullName", full)
		}
		if _, ok := lookupChild(model, "Sublevel"); ok {
			setOrdered(ret, model, "Sublevel", strconv.Itoa(sub))
		}
		o.name, o.parentID = full, parentID
		if other, err := getObjectByName(ctx, q, t.NS, full); err == nil && (old == nil || other.id != old.id) {
			return qbErr(stNameInUse, "The name %q of the list element is already in use.", full)
		} else if err != nil && !errors.Is(err, errNoObject) {
			return err
		}
	}
	return f.completeType(ctx, q, t, model, ret, src, o, old)
}

// mod handles XxxModRq: the EditSequence must be current (else 3200); the
// given elements replace the object's, lines are replaced as QuickBooks does
// (lines not sent are deleted, TxnLineID -1 adds one).
func (f *File) mod(ctx context.Context, rq *request, rs *response, t *objType) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	src := kid(rq.el, t.Name+"Mod")
	idName := "ListID"
	if t.Kind == kindTxn {
		idName = "TxnID"
	}
	id := textAt(src, idName)
	var ret *qbxml.Node
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		old, err := getObjectByID(ctx, tx, id)
		if errors.Is(err, errNoObject) || (err == nil && old.typ != t.Name) {
			return unknownID(err, id, idName)
		}
		if err != nil {
			return err
		}
		if es := textAt(src, "EditSequence"); es != old.editSeq {
			return qbErr(stStaleEdit, "The provided edit sequence %q is out-of-date.", es)
		}
		if err := f.checkClosingDate(ctx, tx, t, old.txnDate, false); err != nil {
			return err
		}
		ret, err = f.modObject(ctx, tx, t, old, src)
		return err
	})
	if err != nil {
		return err
	}
	if err := f.withAccountBalance(ctx, t, ret); err != nil {
		return err
	}
	f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
	return nil
}

// modObject merges src (a XxxMod) into the stored object and saves it.
func (f *File) modObject(ctx context.Context, q querier, t *objType, old *object, src *qbxml.Node) (*qbxml.Node, error) {
	cur, err := parseNode(old.ret)
	if err != nil {
		return nil, fmt.Errorf("companyfile: stored %s %s: %w", t.Name, old.id, err)
	}
	model, _ := contentModel(t.Ret())
	merged, err := mergeMod(cur, model, src)
	if err != nil {
		return nil, err
	}
	tm := f.opt.Now()
	b := &builder{f: f, ctx: ctx, q: q, typ: t, now: tm}
	ret, err := b.build(t.Ret(), merged)
	if err != nil {
		return nil, err
	}
	edit := nextEditSequence(tm, old.editSeq)
	setOrdered(ret, model, "TimeModified", qbTime(tm))
	setOrdered(ret, model, "EditSequence", edit)
	o := *old
	o.modified, o.editSeq = tm.Unix(), edit
	if err := f.complete(ctx, q, t, model, ret, merged, &o, old); err != nil {
		return nil, err
	}
	o.ret = marshalNode(ret)
	if err := f.revertEffects(ctx, q, t, old, false); err != nil {
		return nil, err
	}
	if err := updateObject(ctx, q, &o); err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return nil, qbErr(stNameInUse, "The name %q of the list element is already in use.", o.name)
		}
		return nil, err
	}
	if err := f.applyEffects(ctx, q, t, &o, ret, old); err != nil {
		return nil, err
	}
	if t.NS == "Item" {
		if err := saveBarCode(ctx, q, &o, src); err != nil {
			return nil, err
		}
	}
	if t.Kind == kindList && old.name != o.name {
		renamed := map[string]newRef{o.id: {id: o.id, name: o.name}}
		if err := f.renameChildren(ctx, q, old.id, o.name, renamed); err != nil {
			return nil, err
		}
		if err := f.rewriteRefs(ctx, q, renamed); err != nil {
			return nil, err
		}
	}
	return ret, nil
}

// lineCategory groups the line elements that a Mod replaces together:
// InvoiceLineMod and InvoiceLineGroupMod both replace the invoice's lines,
// ExpenseLineMod replaces expense lines only.
func lineCategory(name string) (string, bool) {
	if name == "JournalDebitLine" || name == "JournalCreditLine" || name == "JournalLineMod" {
		return "Journal", true
	}
	if !strings.Contains(name, "Line") {
		return "", false
	}
	for _, suf := range []string{"Ret", "Mod", "Add"} {
		name = strings.TrimSuffix(name, suf)
	}
	name = strings.ReplaceAll(name, "Group", "")
	if !strings.HasSuffix(name, "Line") {
		return "", false
	}
	return strings.TrimSuffix(name, "Line"), true
}

// mergeLine lays a line Mod over the stored line. A changed quantity or rate
// drops the stored amount so that it is computed again. A group line Mod
// (InvoiceLineGroupMod, ItemGroupLineMod) changes the group line's own
// elements and merges the lines it names inside the group as a
// transaction's lines are merged; one that names none keeps them
// (completeGroupLines then follows a new group or quantity).
func mergeLine(prev, m *qbxml.Node) (*qbxml.Node, error) {
	out := prev.Clone()
	if model, ok := contentModel(prev.Name); ok && isGroupLine(prev.Name) {
		if err := mergeInto(out, model, m, false); err != nil {
			return nil, err
		}
		out.Name = m.Name
		return out, nil
	}
	out.Name = m.Name
	if hasKid(m, "Quantity") && !hasKid(m, "Amount") {
		// A line stored with its Quantity and Amount only keeps the
		// price they imply (lineAmount gives it one since).
		lineAmount(out)
	}
	if (hasKid(m, "Quantity") || hasKid(m, "Rate") || hasKid(m, "Cost") || hasKid(m, "RatePercent") || hasKid(m, "PriceLevelRef")) && !hasKid(m, "Amount") {
		removeKids(out, "Amount")
	}
	// Rate, RatePercent and PriceLevelRef are one choice: the Mod's
	// replaces the stored price.
	if hasKid(m, "Rate") || hasKid(m, "RatePercent") || hasKid(m, "PriceLevelRef") {
		removeKids(out, "Rate")
		removeKids(out, "RatePercent")
	}
	// Every element the line Mod holds replaces the stored one.
	for _, k := range m.Children {
		kept := out.Children[:0]
		for _, o := range out.Children {
			if o.Name != k.Name && !retFor(k.Name, o.Name) {
				kept = append(kept, o)
			}
		}
		out.Children = append(kept, k)
	}
	return out, nil
}

// renameChildren updates the full names of the sub-elements of a renamed
// list element (jobs of a customer, sub-accounts) and adds each to renamed,
// whose references rewriteRefs then follows. The sub-elements keep their
// TimeModified and EditSequence: unverified, no source says whether
// QuickBooks touches them when only their parent's name changes.
func (f *File) renameChildren(ctx context.Context, q querier, parentID, parentName string, renamed map[string]newRef) error {
	rows, err := q.QueryContext(ctx, `SELECT `+objectCols+` FROM objects WHERE parent_id = ?`, parentID)
	if err != nil {
		return err
	}
	var kids []*object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			rows.Close()
			return err
		}
		kids = append(kids, o)
	}
	rows.Close()
	for _, o := range kids {
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		model, _ := contentModel(o.typ + "Ret")
		o.name = parentName + ":" + textAt(ret, "Name")
		setOrdered(ret, model, "FullName", o.name)
		o.ret = marshalNode(ret)
		if err := updateObject(ctx, q, o); err != nil {
			return err
		}
		renamed[o.id] = newRef{id: o.id, name: o.name}
		if err := f.renameChildren(ctx, q, o.id, o.name, renamed); err != nil {
			return err
		}
	}
	return nil
}

// newRef is the list element a stored reference names after a rename
// or a merge.
type newRef struct{ id, name string }

// rewriteRefs makes every stored reference (a ListID and FullName pair) to
// a key of to name its target instead. QuickBooks links a reference by
// ListID and answers the element's current FullName; the simulator stores
// each Ret with the names it had when written, so a rename or a merge
// rewrites the Rets that name the element once, here, and every answer
// and report reads the stored Ret as it is. The referencing objects keep
// their TimeModified and EditSequence: they were not modified.
func (f *File) rewriteRefs(ctx context.Context, q querier, to map[string]newRef) error {
	ids := make([]string, 0, len(to))
	for id := range to {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// The records come from refs, brought up to date before each pass
	// with what this transaction wrote so far (a merge's earlier pass
	// rewrites ListIDs) and what an earlier simulator may have written.
	// A few hundred ListIDs a pass keep within SQLite's limit on bound
	// values when a parent with many sub-elements is renamed.
	const perPass = 500
	for len(ids) > 0 {
		if err := flushRefs(ctx, q, f.changed); err != nil {
			return err
		}
		n := min(perPass, len(ids))
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		objs, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE seq IN (SELECT seq FROM refs WHERE list_id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)) ORDER BY seq`, args...)
		if err != nil {
			return err
		}
		for _, o := range objs {
			ret, err := parseNode(o.ret)
			if err != nil {
				return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
			}
			changed := false
			var walk func(e *qbxml.Node)
			walk = func(e *qbxml.Node) {
				// A reference holds a ListID and a FullName only; the
				// element's own Ret and other aggregates hold more.
				if t, ok := to[textAt(e, "ListID")]; ok && len(e.Children) <= 2 && kid(e, "TimeCreated") == nil {
					if textAt(e, "ListID") != t.id {
						setKid(e, "ListID", t.id)
						changed = true
					}
					if kid(e, "FullName") != nil && textAt(e, "FullName") != t.name {
						setKid(e, "FullName", t.name)
						changed = true
					}
				}
				for _, k := range e.Children {
					walk(k)
				}
			}
			for _, k := range ret.Children {
				walk(k)
			}
			if !changed {
				continue
			}
			o.ret = marshalNode(ret)
			if err := updateObject(ctx, q, o); err != nil {
				return err
			}
		}
	}
	return nil
}

// del handles ListDelRq and TxnDelRq.
func (f *File) del(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	isList := rq.name == "ListDelRq"
	typeName := textAt(rq.el, "TxnDelType")
	idName := "TxnID"
	if isList {
		typeName, idName = textAt(rq.el, "ListDelType"), "ListID"
	}
	id := textAt(rq.el, idName)
	t, ok := f.reg().byName[typeName]
	if !ok {
		return qbErr(stUnsupported, "Deleting a %s is not supported by this QuickBooks simulator.", typeName)
	}
	var o *object
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = getObjectByID(ctx, tx, id)
		if errors.Is(err, errNoObject) || (err == nil && o.typ != t.Name) {
			return unknownID(err, id, idName)
		}
		if err != nil {
			return err
		}
		if err := f.checkClosingDate(ctx, tx, t, o.txnDate, true); err != nil {
			return err
		}
		if isList {
			if err := f.checkUnused(ctx, tx, o); err != nil {
				return err
			}
		}
		if err := f.revertEffects(ctx, tx, t, o, true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM objects WHERE seq = ?`, o.seq); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM data_ext WHERE object_id = ?`, o.id); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `INSERT INTO deleted(type, id, name, ref_number, created, deleted) VALUES (?,?,?,?,?,?)`,
			o.typ, o.id, nullable(o.name), nullable(o.refNumber), o.created, rq.now.Unix()); err != nil {
			return err
		}
		if t.Side != "" {
			return f.refreshBalance(ctx, tx, o.entityID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b := &rs.body
	if isList {
		writeTextEl(b, "ListDelType", t.Name)
		writeTextEl(b, "ListID", o.id)
		writeTextEl(b, "TimeDeleted", qbTime(rq.now))
		writeTextEl(b, "FullName", o.name)
	} else {
		writeTextEl(b, "TxnDelType", t.Name)
		writeTextEl(b, "TxnID", o.id)
		writeTextEl(b, "TimeDeleted", qbTime(rq.now))
		if o.refNumber != "" {
			writeTextEl(b, "RefNumber", o.refNumber)
		}
	}
	return nil
}

// checkUnused refuses to delete a list element that is still referenced,
// as QuickBooks does, with status 3160: QuBe Sync's list of the codes a
// ListDel answers names 3160 "cannot_delete" (3170 is "cannot_modify").
// The message is the simulator's own: no captured answer quotes QuickBooks'.
func (f *File) checkUnused(ctx context.Context, q querier, o *object) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects WHERE parent_id = ? OR entity_id = ? OR account_id = ?`, o.id, o.id, o.id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		// References inside lines (items, classes) are only in the XML:
		// refs lists the records that hold the ListID.
		if err := flushRefs(ctx, q, f.changed); err != nil {
			return err
		}
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM refs r JOIN objects o ON o.seq = r.seq WHERE r.list_id = ? AND o.id <> ?`, o.id, o.id).Scan(&n); err != nil {
			return err
		}
	}
	if n > 0 {
		return qbErr(stCannotDelete, "The %s %q cannot be deleted because transactions or other list elements use it.", o.typ, o.name)
	}
	return nil
}

// void handles TxnVoidRq: the transaction stays, with zero amounts and
// "VOID:" prepended to its memo, and counts as modified (TimeModified and
// EditSequence change) so that incremental syncs see it. What it did to
// other objects is undone: the customer's or vendor's balance, and the
// invoices and bills a voided bill payment paid. A paid invoice's
// payments keep their money as unused payment (unapplyPayments); a bill
// or journal entry that payments are applied to cannot be voided, as it
// cannot be deleted (voidRefusal).
func (f *File) void(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	typeName, id := textAt(rq.el, "TxnVoidType"), textAt(rq.el, "TxnID")
	t, ok := f.reg().byName[typeName]
	if !ok || t.Kind != kindTxn {
		return qbErr(stUnsupported, "Voiding a %s is not supported by this QuickBooks simulator.", typeName)
	}
	var o *object
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = getObjectByID(ctx, tx, id)
		if errors.Is(err, errNoObject) || (err == nil && o.typ != t.Name) {
			return unknownID(err, id, "TxnID")
		}
		if err != nil {
			return err
		}
		if err := f.checkClosingDate(ctx, tx, t, o.txnDate, false); err != nil {
			return err
		}
		ret, err := parseNode(o.ret)
		if err != nil {
			return err
		}
		voidTree(ret)
		model, _ := contentModel(t.Ret())
		// A Ret without a Memo (a statement charge's) gets none.
		if c, hasMemo := lookupChild(model, "Memo"); hasMemo && !strings.HasPrefix(textAt(ret, "Memo"), "VOID:") {
			memo := strings.TrimSpace("VOID: " + textAt(ret, "Memo"))
			if c.Simple != nil && c.Simple.MaxLength > 0 {
				if r := []rune(memo); len(r) > c.Simple.MaxLength {
					memo = string(r[:c.Simple.MaxLength])
				}
			}
			setOrdered(ret, model, "Memo", memo)
		}
		if err := f.revertEffects(ctx, tx, t, o, true); err != nil {
			return voidRefusal(err)
		}
		o.touch(ret, model, f.opt.Now())
		o.effect = 0
		o.ret = marshalNode(ret)
		if err := updateObject(ctx, tx, o); err != nil {
			return err
		}
		if t.Side != "" {
			return f.refreshBalance(ctx, tx, o.entityID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	loc := f.opt.Now().Location()
	writeTextEl(&rs.body, "TxnVoidType", t.Name)
	writeTextEl(&rs.body, "TxnID", id)
	writeTextEl(&rs.body, "TimeCreated", qbTime(time.Unix(o.created, 0).In(loc)))
	writeTextEl(&rs.body, "TimeModified", qbTime(time.Unix(o.modified, 0).In(loc)))
	if o.refNumber != "" {
		writeTextEl(&rs.body, "RefNumber", o.refNumber)
	}
	return nil
}

// voidRefusal is the answer to a TxnVoid of a transaction that others
// depend on (a paid bill, an applied credit, a deposited or refunded
// payment): the refusal its TxnDel gets (3160, cannot delete) becomes 3170,
// the code of a change QuickBooks refuses. That QuickBooks answers 3170 is
// unverified: QuBe Sync lists no specific codes for TxnVoid, and Intuit's
// TxnVoid reference says only that voiding a transaction linked to one in
// use is an error.
func voidRefusal(err error) error {
	var qe *qbError
	if errors.As(err, &qe) && qe.st.Code == stCannotDelete {
		return &qbError{status{Code: stCannotModify, Severity: qe.st.Severity, Message: qe.st.Message}}
	}
	return err
}

// voidTree zeroes every amount and quantity of a voided transaction.
func voidTree(e *qbxml.Node) {
	for _, k := range e.Children {
		switch k.Name {
		case "Amount", "Subtotal", "SalesTaxTotal", "TotalAmount", "BalanceRemaining", "AmountDue", "OpenAmount",
			"CreditRemaining", "UnusedPayment", "UnusedCredits", "DepositTotal", "CreditAmount", "AppliedAmount",
			"Quantity", "TotalBalance", "Balance":
			if len(k.Children) == 0 {
				if k.Name == "Quantity" {
					k.Text = "0"
				} else {
					k.Text = "0.00"
				}
			}
		case "IsPaid":
			k.Text = "true"
		}
		voidTree(k)
	}
	e.Children = slices.DeleteFunc(e.Children, func(k *qbxml.Node) bool { return k.Name == "AppliedToTxnRet" })
}

// checkClosingDate refuses changes to transactions dated on or before the
// company's closing date. QuBe Sync's lists of the codes each request
// answers name 3171 "closing_date_modify" for the Mods and 3161
// "closing_date_delete" for TxnDel; the Mod's message follows the 3171
// answer ayssoftware's KB quotes. An Add or a TxnVoid so dated answers
// 3171 too (unverified: no source names their code).
func (f *File) checkClosingDate(ctx context.Context, q querier, t *objType, txnDate string, deleting bool) error {
	if t.Kind != kindTxn || txnDate == "" {
		return nil
	}
	cd, err := getMetaTx(ctx, q, "closing.date")
	if err != nil || cd == "" {
		return err
	}
	if txnDate <= cd && deleting {
		return qbErr(stClosedDelete, "The %s dated %s cannot be deleted: it is on or before the closing date of the company (%s). A QuickBooks administrator must move the closing date or enter its password first.", t.Name, txnDate, cd)
	}
	if txnDate <= cd {
		return qbErr(stClosingDate, "An attempt was made to modify a %s with a date that is on or before the closing date of the company (%s). If you are sure you want to do this, enter the closing date password in QuickBooks first.", t.Name, cd)
	}
	return nil
}

// SetClosingDate sets the company's closing date (YYYY-MM-DD; "" removes
// it): transactions dated on or before it can no longer be added, modified,
// deleted or voided.
func (f *File) SetClosingDate(date string) error {
	if date != "" {
		if _, err := parseQBDate(date); err != nil {
			return fmt.Errorf("companyfile: closing date: %w", err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	return putMetaTx(context.Background(), f.db, "closing.date", date)
}
