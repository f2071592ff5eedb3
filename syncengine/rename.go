package syncengine

import (
	"bytes"
	"slices"
	"sort"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// A list element renamed in QuickBooks keeps its ListID, and QuickBooks
// shows its new name wherever a record refers to it (references are by
// ListID), without marking those records modified, so no incremental
// pass brings them again. A renamed parent's sub-elements (a customer's
// jobs, an account's subaccounts) get new full names the same way. The
// engine follows: when a page or a write stores a list element under a
// new name, every stored record that refers to the element or to one of
// its sub-elements gets the new names in its references (customerRef,
// itemRef, parentRef, ...), and each sub-element its new fullName, in
// the same transaction, with a record.updated event for each record
// that changed.

// rename is a list element stored under a new name.
type rename struct {
	id, typ  string
	old, new string // its full names, as stored and as now
}

// renameTracker notes the renames a page of a list type brings: the
// stored names of the page's records, read before each batch is written.
type renameTracker struct {
	d       *dataType
	renames []rename
	// page holds the IDs of the page's records, whose stored JSON is
	// QuickBooks' own and needs no rewriting.
	page map[string]bool
}

// newRenameTracker returns the tracker of a page of d, or nil when the
// page cannot rename anything: a transaction type, or the first pass of
// a type whose records are new.
func newRenameTracker(st *qbconnect.SyncState, d *dataType) *renameTracker {
	if d.txn || st.LastCompleteAt == nil && st.Restarts == 0 {
		return nil
	}
	return &renameTracker{d: d, page: map[string]bool{}}
}

// before notes the renames among batch's records, before they are
// written.
func (t *renameTracker) before(page *store.SyncPage, batch []pageItem) error {
	names := make(map[string]string, len(batch))
	ids := make([]string, 0, len(batch))
	for _, it := range batch {
		if it.rec != nil {
			names[it.rec.ID] = it.rec.Name
			ids = append(ids, it.rec.ID)
			t.page[it.rec.ID] = true
		}
	}
	stored, err := page.StoredNames(ids, t.d.name)
	if err != nil {
		return err
	}
	t.renames = appendRenames(t.renames, t.d.name, stored, names)
	return nil
}

// appendRenames appends to renames the elements whose stored name (by
// ID) differs from the one in names, in the order of their IDs.
func appendRenames(renames []rename, typ string, stored, names map[string]string) []rename {
	ids := make([]string, 0, len(stored))
	for id := range stored {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if old, n := stored[id], names[id]; n != "" && old != "" && n != old {
			renames = append(renames, rename{id: id, typ: typ, old: old, new: n})
		}
	}
	return renames
}

// family returns the data types whose elements share a name hierarchy
// with typ's: every item type for an item (QuickBooks' item names are
// one list), else typ alone.
func (e *Engine) family(typ string) []string {
	d := e.byName[typ]
	if d == nil || !strings.HasPrefix(d.object, "Item") {
		return []string{typ}
	}
	var out []string
	for _, x := range e.types {
		if !x.txn && strings.HasPrefix(x.object, "Item") {
			out = append(out, x.name)
		}
	}
	return out
}

// followRenames stores again, in page's transaction, the records that
// refer to renamed elements or to their sub-elements, with the current
// names, and the sub-elements with their new full names (each type in a
// records page of its own, whose events origin names; its DataType is
// set per type). Records for which skip is true were just stored from
// QuickBooks and are left alone.
func (e *Engine) followRenames(page *store.SyncPage, origin qbconnect.RecordChanges, renames []rename, skip func(*qbconnect.Record) bool) error {
	if len(renames) == 0 {
		return nil
	}
	// names is the current full name of every element renamed, directly
	// or as a sub-element; self, which of them are of which type.
	names := map[string]string{}
	self := map[string]string{}
	for _, rn := range renames {
		names[rn.id], self[rn.id] = rn.new, rn.typ
	}
	for _, rn := range renames {
		family := e.family(rn.typ)
		under, err := page.NamedUnder(rn.old, family...)
		if err != nil {
			return err
		}
		for _, r := range under {
			if _, ok := names[r.ID]; !ok {
				names[r.ID], self[r.ID] = rn.new+r.Name[len(rn.old):], r.Type
			}
		}
	}
	ids := make([]string, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	referring, err := page.Referring(ids)
	if err != nil {
		return err
	}
	byType := map[string][]*qbconnect.Record{}
	for _, r := range referring {
		if skip(r) {
			continue
		}
		top := ""
		if t, ok := self[r.ID]; ok && slices.Contains(e.family(t), r.Type) {
			top = names[r.ID]
		}
		data, changed := renameRefs(r.Data, names, top)
		if top != "" && r.Name != top {
			r.Name, changed = top, true
		}
		if changed {
			r.Data = data
			byType[r.Type] = append(byType[r.Type], r)
		}
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		o := origin
		o.DataType = t
		sub, err := page.RecordsPage(o)
		if err != nil {
			return err
		}
		if err := storeRecords(sub, byType[t]); err != nil {
			return err
		}
	}
	return nil
}

// renameRefs returns data (a record's JSON, as the codec writes it) with
// the fullName of every object whose listId is a key of names set to
// that name, but the record's own (the top-level object's), which is set
// to top unless top is "", and whether anything changed. It reads the
// JSON with a small scanner of its own so that everything else is kept
// byte for byte.
func renameRefs(data []byte, names map[string]string, top string) ([]byte, bool) {
	type span struct{ start, end int } // a string's content, quotes excluded
	type frame struct {
		object  bool
		key     string
		id      string
		full    span
		hasFull bool
	}
	type edit struct {
		span
		to string
	}
	var stack []frame
	var edits []edit
	expectKey := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{object: true})
			expectKey = true
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) == 0 {
				return data, false
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !f.object || !f.hasFull {
				continue
			}
			to, ok := names[f.id]
			if len(stack) == 0 {
				to, ok = top, top != ""
			}
			if ok {
				edits = append(edits, edit{f.full, to})
			}
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
		case ':':
			expectKey = false
		case '"':
			end := stringEnd(data, i)
			if end < 0 || len(stack) == 0 {
				return data, false
			}
			f := &stack[len(stack)-1]
			switch {
			case !f.object:
			case expectKey:
				f.key = string(data[i+1 : end])
			case f.key == "listId":
				f.id = string(data[i+1 : end])
			case f.key == "fullName":
				f.full, f.hasFull = span{i + 1, end}, true
			}
			i = end
		}
	}
	sort.Slice(edits, func(a, b int) bool { return edits[a].start < edits[b].start })
	var out []byte
	last := 0
	for _, ed := range edits {
		quoted := appendJSONString(nil, ed.to)
		to := quoted[1 : len(quoted)-1]
		if bytes.Equal(data[ed.start:ed.end], to) {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(data)+len(to))
		}
		out = append(append(out, data[last:ed.start]...), to...)
		last = ed.end
	}
	if out == nil {
		return data, false
	}
	return append(out, data[last:]...), true
}

// stringEnd returns the index of the quote that closes the JSON string
// opened at data[open], or -1.
func stringEnd(data []byte, open int) int {
	for i := open + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
