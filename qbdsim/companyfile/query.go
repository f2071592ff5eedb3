package companyfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// retOptions say how a stored Ret is returned.
type retOptions struct {
	include  []string // IncludeRetElement: only these top-level elements
	noLines  bool     // IncludeLineItems false: drop transaction lines
	ownerIDs []string // OwnerID: add the DataExtRet of these owners
	dataExt  map[string][]*qbxml.Node
	// noPersonal hides personal data (SSN, tax IDs, credit card details)
	// from applications without personal-data access.
	noPersonal bool
	// linked asks for LinkedTxn elements (IncludeLinkedTxns); links holds
	// them by TxnID for the records being written.
	linked bool
	links  map[string][]*qbxml.Node
}

// personalElements are the elements QuickBooks treats as personal data.
var personalElements = []string{"SSN", "VendorTaxIdent", "CreditCardInfo", "CreditCardTxnInfo", "BirthDate"}

// hasPersonal reports whether ret holds a start tag of a personal element,
// in one pass over its tags (it runs for every record a query returns).
func hasPersonal(ret []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(ret[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		for _, n := range personalElements {
			if len(ret)-i > len(n) && ret[i] == n[0] && string(ret[i:i+len(n)]) == n && ret[i+len(n)] == '>' {
				return true
			}
		}
	}
}

func stripPersonal(e *qbxml.Node) {
	e.Children = slices.DeleteFunc(e.Children, func(k *qbxml.Node) bool {
		for _, n := range personalElements {
			if k.Name == n {
				return true
			}
		}
		return false
	})
	for _, k := range e.Children {
		stripPersonal(k)
	}
}

func includeElements(rq *qbxml.Node) []string {
	var out []string
	for _, e := range kids(rq, "IncludeRetElement") {
		out = append(out, e.Text)
	}
	return out
}

// writeRet appends a Ret element to the response, shaped by opt.
func (f *File) writeRet(rs *response, ret *qbxml.Node, opt retOptions) {
	if len(opt.include) > 0 {
		ret = filterRet(ret, opt.include)
	}
	writeNode(&rs.body, ret)
	rs.body.WriteByte('\n')
	rs.count++
}

// filterRet keeps the top-level elements named in include (QuickBooks
// always matches on the top-level element name).
func filterRet(ret *qbxml.Node, include []string) *qbxml.Node {
	out := &qbxml.Node{Name: ret.Name, Attrs: ret.Attrs}
	for _, k := range ret.Children {
		for _, n := range include {
			if k.Name == n {
				out.Children = append(out.Children, k)
				break
			}
		}
	}
	return out
}

// writeStored appends a stored Ret, fast when it needs no reshaping.
func (f *File) writeStored(rs *response, o *object, opt retOptions) error {
	personal := opt.noPersonal && hasPersonal(o.ret)
	links := opt.links[o.id]
	simple := len(opt.include) == 0 && len(opt.ownerIDs) == 0 && !personal && len(links) == 0
	if simple && (!opt.noLines || !bytes.Contains(o.ret, []byte("Line"))) {
		rs.body.Write(o.ret)
		rs.body.WriteByte('\n')
		rs.count++
		return nil
	}
	ret, err := parseNode(o.ret)
	if err != nil {
		return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
	}
	if personal {
		stripPersonal(ret)
	}
	if opt.noLines {
		ret.Children = slices.DeleteFunc(ret.Children, func(k *qbxml.Node) bool {
			_, isLine := lineCategory(k.Name)
			return isLine
		})
	}
	if len(opt.ownerIDs) > 0 || len(links) > 0 {
		model, _ := contentModel(ret.Name)
		for _, l := range links {
			insertOrdered(ret, model, l)
		}
		for _, de := range opt.dataExt[o.id] {
			insertOrdered(ret, model, de)
		}
	}
	f.writeRet(rs, ret, opt)
	return nil
}

// querySpec is a compiled query: SQL conditions and how to shape records.
type querySpec struct {
	where   []string
	args    []any
	max     int // MaxReturned; 0 means all
	opt     retOptions
	byIDs   []string // ListID/TxnID/FullName/RefNumber lists: each must match
	idField string   // which: "id", "name", "ref" or "refcase"
	found   []string // the keys (see key) of the records written
	byName  bool     // list elements: in full-name order (see sortKeyExpr)
}

// key returns the form of a requested value that matches a record's.
func (s *querySpec) key(v string) string {
	switch s.idField {
	case "name", "ref":
		return strings.ToUpper(v)
	}
	return v
}

// recordKey returns the record's value of the queried field.
func (s *querySpec) recordKey(o *object) string {
	switch s.idField {
	case "id":
		return o.id
	case "name":
		return nameKey(o.name)
	case "ref":
		return strings.ToUpper(o.refNumber)
	case "refcase":
		return o.refNumber
	}
	return ""
}

// iterator is a query being paged with iterator="Continue".
type iterator struct {
	id        string
	ticket    string
	spec      *querySpec
	last      cursor
	remaining int
	expires   time.Time
	rsName    string
}

func (f *File) query(ctx context.Context, rq *request, rs *response, types []*objType) error {
	rs.countAttr = true
	el := rq.el
	switch attrValue(el, "iterator") {
	case "Continue", "Stop":
		id := attrValue(el, "iteratorID")
		it, ok := f.iters[id]
		now := f.opt.Now()
		if ok && (it.ticket != rq.sess.Ticket || it.rsName != rs.name) {
			ok = false
		}
		if ok && now.After(it.expires) {
			delete(f.iters, id)
			ok = false
		}
		if !ok {
			// QuickBooks' words (consolibyte/quickbooks-php#183:
			// `3391: The iteratorID "{dbd52aaa-…}" is not valid.`).
			return qbErr(stIteratorUnknown, "The iteratorID %q is not valid.", id)
		}
		if attrValue(el, "iterator") == "Stop" {
			delete(f.iters, id)
			rs.setAttr("iteratorRemainingCount", "0")
			rs.setAttr("iteratorID", id)
			return nil
		}
		return f.runIterator(ctx, it, rs)
	}
	spec, err := f.compileQuery(ctx, rq, types)
	if err != nil {
		return err
	}
	if attrValue(el, "metaData") == "MetaDataOnly" {
		// The count of what the query matches, without the records.
		n, err := f.countQuery(ctx, spec)
		if err != nil {
			return err
		}
		rs.count = n
		if n == 0 {
			rs.st = noMatch()
		}
		return nil
	}
	if attrValue(el, "iterator") == "Start" {
		total, err := f.countQuery(ctx, spec)
		if err != nil {
			return err
		}
		it := &iterator{id: newGUID(), ticket: rq.sess.Ticket, spec: spec, remaining: total, rsName: rs.name}
		f.expireIterators()
		f.iters[it.id] = it
		return f.runIterator(ctx, it, rs)
	}
	n, err := f.runQuery(ctx, spec, cursor{}, spec.max, rs)
	if err != nil {
		return err
	}
	if missing := f.missingIDs(rs, spec); len(missing) > 0 {
		// Some of the ListIDs, TxnIDs, FullNames or RefNumbers asked for
		// do not exist: QuickBooks returns the others with status 500
		// (Warn), "One or more objects cannot be found", naming the first
		// missing one (Intuit's status code table).
		rs.st = status{stPartialMatch, "Warn", fmt.Sprintf("The query request has not been fully completed. There was a required element (%q) that could not be found in QuickBooks.", missing[0])}
		return nil
	}
	if n == 0 {
		rs.st = status{stNoMatch, "Info", "A query request did not find a matching object in QuickBooks"}
	}
	return nil
}

// missingIDs returns the values of a query by ListID, TxnID, FullName or
// RefNumber that matched none of the records written to rs, in request
// order. A query cut short by MaxReturned misses nothing.
func (f *File) missingIDs(rs *response, spec *querySpec) []string {
	if len(spec.byIDs) == 0 || (spec.max > 0 && rs.count >= spec.max) {
		return nil
	}
	found := map[string]bool{}
	for _, v := range spec.found {
		found[v] = true
	}
	var out []string
	for _, v := range spec.byIDs {
		if !found[spec.key(v)] {
			out = append(out, v)
		}
	}
	return out
}

func (f *File) expireIterators() {
	now := f.opt.Now()
	for id, it := range f.iters {
		if now.After(it.expires) {
			delete(f.iters, id)
		}
	}
}

func (f *File) runIterator(ctx context.Context, it *iterator, rs *response) error {
	page := it.spec.max
	if page <= 0 {
		page = it.remaining
		if page == 0 {
			page = 1
		}
	}
	before := rs.count
	last, err := f.runQueryFrom(ctx, it.spec, it.last, page, rs)
	if err != nil {
		return err
	}
	it.last = last
	it.remaining -= rs.count - before
	if it.remaining < 0 || rs.count-before < page {
		it.remaining = 0
	}
	it.expires = f.opt.Now().Add(f.opt.IteratorTTL)
	if it.remaining == 0 {
		// The last page ends the iterator: asking it for another page is
		// an error ("Attempting to request another page when hasMore is
		// false will result in an error", Conductor's pagination guide);
		// that the error is 3391 is unverified.
		delete(f.iters, it.id)
	}
	rs.setAttr("iteratorRemainingCount", strconv.Itoa(it.remaining))
	rs.setAttr("iteratorID", it.id)
	if rs.count == 0 {
		rs.st = status{stNoMatch, "Info", "A query request did not find a matching object in QuickBooks"}
	}
	return nil
}

// newGUID returns an iteratorID as QuickBooks writes one: a braced GUID
// in lower case, as in every captured response (Intuit's iterator example
// quoted in consolibyte's wiki, "{eb05f701-e727-472f-8ade-6753c4f67a46}";
// the Web Connector log in consolibyte/quickbooks-php#92; the qbwc gem's
// fixtures).
func newGUID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("{%08x-%04x-%04x-%04x-%012x}", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (f *File) countQuery(ctx context.Context, spec *querySpec) (int, error) {
	var n int
	err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects WHERE `+strings.Join(spec.where, " AND "), spec.args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("companyfile: count: %w", err)
	}
	if spec.max > 0 && len(spec.byIDs) > 0 && n > spec.max {
		n = spec.max
	}
	return n, nil
}

func (f *File) runQuery(ctx context.Context, spec *querySpec, after cursor, limit int, rs *response) (int, error) {
	before := rs.count
	_, err := f.runQueryFrom(ctx, spec, after, limit, rs)
	return rs.count - before, err
}

// cursor is where a query left off: the sort key and seq of the last
// record written.
type cursor struct {
	key string
	seq int64
}

// sortKeyExpr orders list elements as QuickBooks lists them: by full name
// without regard to case, each parent followed by its sub-elements
// ("Acme", "Acme:Job 1", "Acme Builders"), which a colon sorting before
// every character gives.
const sortKeyExpr = `REPLACE(COALESCE(name_key, ''), ':', char(1))`

// runQueryFrom writes up to limit (0: all) matching objects after the
// cursor and returns the cursor of the last one written. List elements
// come by full name, transactions in the order they were entered.
func (f *File) runQueryFrom(ctx context.Context, spec *querySpec, after cursor, limit int, rs *response) (cursor, error) {
	var where []string
	var args []any
	order := ` ORDER BY seq`
	if spec.byName {
		where = append(where, "("+sortKeyExpr+" > ? OR ("+sortKeyExpr+" = ? AND seq > ?))")
		args = append(args, after.key, after.key, after.seq)
		order = ` ORDER BY ` + sortKeyExpr + `, seq`
	} else {
		where = append(where, "seq > ?")
		args = append(args, after.seq)
	}
	where = append(where, spec.where...)
	args = append(args, spec.args...)
	sqlText := `SELECT ` + objectCols + ` FROM objects WHERE ` + strings.Join(where, " AND ") + order
	if limit > 0 {
		sqlText += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := f.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return after, fmt.Errorf("companyfile: query: %w", err)
	}
	defer rows.Close()
	last := after
	var objs []*object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return after, err
		}
		objs = append(objs, o)
		last = cursor{key: strings.ReplaceAll(nameKey(o.name), ":", "\x01"), seq: o.seq}
	}
	if err := rows.Err(); err != nil {
		return after, err
	}
	if len(spec.opt.ownerIDs) > 0 {
		ids := make([]string, len(objs))
		for i, o := range objs {
			ids[i] = o.id
		}
		spec.opt.dataExt, err = f.dataExtFor(ctx, ids, spec.opt.ownerIDs)
		if err != nil {
			return after, err
		}
	}
	if err := f.withAccountBalances(ctx, objs); err != nil {
		return after, err
	}
	if spec.opt.linked {
		spec.opt.links, err = f.linkedTxns(ctx, objs)
		if err != nil {
			return after, err
		}
	}
	size := 0
	for _, o := range objs {
		size += len(o.ret) + 1
	}
	rs.body.Grow(size)
	for _, o := range objs {
		if err := f.writeStored(rs, o, spec.opt); err != nil {
			return after, err
		}
		if spec.idField != "" {
			spec.found = append(spec.found, spec.recordKey(o))
		}
	}
	return last, nil
}

// compileQuery turns the filters of a XxxQueryRq into SQL conditions.
func (f *File) compileQuery(ctx context.Context, rq *request, types []*objType) (*querySpec, error) {
	el := rq.el
	spec := &querySpec{opt: retOptions{include: includeElements(el), noPersonal: !rq.sess.Access.IsPersonalDataAccessAllowed}}
	if len(types) == 1 {
		// The type index (type, seq) yields rows in seq order: pages of
		// an iterator cost their size, not the whole result.
		spec.where = append(spec.where, "type = ?")
		spec.args = append(spec.args, types[0].Name)
	} else {
		// Several types: walk the table in seq order ("+" keeps SQLite
		// from sorting the whole result through an index).
		ph := make([]string, len(types))
		for i, t := range types {
			ph[i] = "?"
			spec.args = append(spec.args, t.Name)
		}
		spec.where = append(spec.where, "+type IN ("+strings.Join(ph, ",")+")")
	}
	isTxn := types[0].Kind == kindTxn
	spec.byName = !isTxn && !types[0].Unnamed
	// A build's lines are its components (IncludeComponentLineItems).
	spec.opt.noLines = isTxn && textAt(el, "IncludeLineItems") != "true" && textAt(el, "IncludeComponentLineItems") != "true"
	spec.opt.linked = isTxn && textAt(el, "IncludeLinkedTxns") == "true"
	for _, o := range kids(el, "OwnerID") {
		spec.opt.ownerIDs = append(spec.opt.ownerIDs, o.Text)
	}
	if v := textAt(el, "MaxReturned"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, qbErr(stInvalidValue, "The \"MaxReturned\" field has an invalid value %q.", v)
		}
		spec.max = n
	}
	loc := f.opt.Now().Location()
	in := func(col string, vals []*qbxml.Node, transform func(string) string) {
		p := make([]string, len(vals))
		for _, v := range vals {
			spec.byIDs = append(spec.byIDs, v.Text)
		}
		for i, v := range vals {
			p[i] = "?"
			val := v.Text
			if transform != nil {
				val = transform(val)
			}
			spec.args = append(spec.args, val)
		}
		spec.where = append(spec.where, col+" IN ("+strings.Join(p, ",")+")")
	}
	switch {
	case hasKid(el, "ListID"):
		spec.idField = "id"
		in("id", kids(el, "ListID"), nil)
		return spec, nil
	case hasKid(el, "TxnID"):
		spec.idField = "id"
		in("id", kids(el, "TxnID"), nil)
		return spec, nil
	case hasKid(el, "FullName"):
		spec.idField = "name"
		in("name_key", kids(el, "FullName"), nameKey)
		return spec, nil
	case hasKid(el, "RefNumber"):
		spec.idField = "ref"
		in("UPPER(ref_number)", kids(el, "RefNumber"), strings.ToUpper)
		return spec, nil
	case hasKid(el, "RefNumberCaseSensitive"):
		spec.idField = "refcase"
		in("ref_number", kids(el, "RefNumberCaseSensitive"), nil)
		return spec, nil
	}
	// The filter group.
	if !isTxn {
		status := textAt(el, "ActiveStatus")
		if status == "" && !takesActiveStatus(el.Name) {
			// A query without the filter returns every element:
			// "A template query returns the names of all templates
			// that have been defined in QuickBooks" (Intuit's
			// reference of TemplateQuery).
			status = "All"
		}
		switch status {
		case "", "ActiveOnly":
			spec.where = append(spec.where, "active = 1")
		case "InactiveOnly":
			spec.where = append(spec.where, "active = 0")
		}
	}
	modFrom, modTo := textAt(el, "FromModifiedDate"), textAt(el, "ToModifiedDate")
	if m := kid(el, "ModifiedDateRangeFilter"); m != nil {
		modFrom, modTo = textAt(m, "FromModifiedDate"), textAt(m, "ToModifiedDate")
	}
	if modFrom != "" {
		t, err := parseQBDateTime(modFrom, loc, false)
		if err != nil {
			return nil, qbErr(stInvalidDate, "There was an error when converting the date value %q in the field \"FromModifiedDate\".", modFrom)
		}
		spec.where = append(spec.where, "modified >= ?")
		spec.args = append(spec.args, t.Unix())
	}
	if modTo != "" {
		t, err := parseQBDateTime(modTo, loc, true)
		if err != nil {
			return nil, qbErr(stInvalidDate, "There was an error when converting the date value %q in the field \"ToModifiedDate\".", modTo)
		}
		spec.where = append(spec.where, "modified <= ?")
		spec.args = append(spec.args, t.Unix())
		if modFrom != "" {
			if ft, _ := parseQBDateTime(modFrom, loc, false); ft.After(t) {
				return nil, dateRangeError()
			}
		}
	}
	if d := kid(el, "TxnDateRangeFilter"); d != nil {
		from, to := textAt(d, "FromTxnDate"), textAt(d, "ToTxnDate")
		if m := textAt(d, "DateMacro"); m != "" {
			var err error
			if from, to, err = txnDateMacro(m, f.opt.Now()); err != nil {
				return nil, err
			}
		}
		if from != "" && to != "" && from > to {
			return nil, dateRangeError()
		}
		if from != "" {
			spec.where = append(spec.where, "txn_date >= ?")
			spec.args = append(spec.args, from)
		}
		if to != "" {
			spec.where = append(spec.where, "txn_date <= ?")
			spec.args = append(spec.args, to)
		}
	}
	if nf := kid(el, "NameFilter"); nf != nil {
		spec.where = append(spec.where, "name_key LIKE ? ESCAPE '\\'")
		spec.args = append(spec.args, likePattern(textAt(nf, "MatchCriterion"), nameKey(textAt(nf, "Name"))))
	}
	if nr := kid(el, "NameRangeFilter"); nr != nil {
		if v := textAt(nr, "FromName"); v != "" {
			spec.where = append(spec.where, "name_key >= ?")
			spec.args = append(spec.args, nameKey(v))
		}
		if v := textAt(nr, "ToName"); v != "" {
			spec.where = append(spec.where, "name_key <= ?")
			spec.args = append(spec.args, nameKey(v)+"\uffff")
		}
	}
	if rf := kid(el, "RefNumberFilter"); rf != nil {
		spec.where = append(spec.where, "UPPER(ref_number) LIKE ? ESCAPE '\\'")
		spec.args = append(spec.args, likePattern(textAt(rf, "MatchCriterion"), strings.ToUpper(textAt(rf, "RefNumber"))))
	}
	if rr := kid(el, "RefNumberRangeFilter"); rr != nil {
		for _, b := range []struct{ el, op string }{{"FromRefNumber", ">="}, {"ToRefNumber", "<="}} {
			if v := textAt(rr, b.el); v != "" {
				where, args := refNumberBound(b.op, v)
				spec.where = append(spec.where, where)
				spec.args = append(spec.args, args...)
			}
		}
	}
	for _, ef := range []struct{ filter, col, ns string }{{"EntityFilter", "entity_id", "Entity"}, {"AccountFilter", "account_id", "Account"}} {
		e := kid(el, ef.filter)
		if e == nil {
			continue
		}
		ids, err := f.filterIDs(ctx, e, ef.ns)
		if err != nil {
			return nil, err
		}
		p := make([]string, len(ids))
		for i, id := range ids {
			p[i] = "?"
			spec.args = append(spec.args, id)
		}
		switch {
		case len(ids) == 0:
			spec.where = append(spec.where, "0")
		case len(types) == 1 && types[0].Name == "JournalEntry":
			// A journal entry names its entities and accounts on its
			// lines: the filters match any line (journal.go).
			spec.where = append(spec.where, "id IN (SELECT txn_id FROM journal_lines WHERE "+ef.col+" IN ("+strings.Join(p, ",")+"))")
		default:
			spec.where = append(spec.where, ef.col+" IN ("+strings.Join(p, ",")+")")
		}
	}
	switch textAt(el, "PaidStatus") {
	case "PaidOnly":
		spec.where = append(spec.where, "effect = 0")
	case "NotPaidOnly":
		spec.where = append(spec.where, "effect <> 0")
	}
	return spec, nil
}

// filterIDs resolves an EntityFilter or AccountFilter to ListIDs, with the
// children of ListIDWithChildren/FullNameWithChildren.
func (f *File) filterIDs(ctx context.Context, e *qbxml.Node, ns string) ([]string, error) {
	var ids []string
	for _, k := range e.Children {
		var o *object
		var err error
		switch k.Name {
		case "ListID", "ListIDWithChildren":
			o, err = getObjectByID(ctx, f.db, k.Text)
		case "FullName", "FullNameWithChildren":
			o, err = getObjectByName(ctx, f.db, ns, k.Text)
		default:
			continue
		}
		if err != nil {
			continue
		}
		ids = append(ids, o.id)
		if strings.HasSuffix(k.Name, "WithChildren") {
			rows, err := f.db.QueryContext(ctx, `SELECT id FROM objects WHERE ns = ? AND name_key LIKE ? ESCAPE '\'`, ns, likePattern("StartsWith", nameKey(o.name)+":"))
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id string
				if rows.Scan(&id) == nil {
					ids = append(ids, id)
				}
			}
			rows.Close()
		}
	}
	return ids, nil
}

// refNumberBound returns the condition of one bound of a
// RefNumberRangeFilter: numbers of digits only compare as numbers with a
// bound of digits only ("9" before "10"), anything else compares as text
// ("Uses a numerical comparison for values that contain only digits;
// otherwise, uses a lexicographical comparison", Conductor's reference
// of refNumberFrom/refNumberTo, which map to this filter).
func refNumberBound(op, v string) (string, []any) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || strings.TrimLeft(v, "0123456789") != "" {
		return "ref_number " + op + " ?", []any{v}
	}
	return "(CASE WHEN ref_number <> '' AND ref_number NOT GLOB '*[^0-9]*' THEN CAST(ref_number AS INTEGER) " + op + " ? ELSE ref_number " + op + " ? END)",
		[]any{n, v}
}

func likePattern(criterion, v string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	v = r.Replace(v)
	switch criterion {
	case "StartsWith":
		return v + "%"
	case "EndsWith":
		return "%" + v
	default:
		return "%" + v + "%"
	}
}

// dateMacro returns the date range of a qbXML DateMacro relative to now.
func dateMacro(m string, now time.Time) (string, string, error) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	weekStart := day.AddDate(0, 0, -int(day.Weekday()))
	monthStart := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, day.Location())
	q := (int(day.Month()) - 1) / 3
	quarterStart := time.Date(day.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, day.Location())
	yearStart := time.Date(day.Year(), 1, 1, 0, 0, 0, 0, day.Location())
	r := func(a, b time.Time) (string, string, error) { return qbDate(a), qbDate(b), nil }
	switch m {
	case "All":
		return "", "", nil
	case "Today":
		return r(day, day)
	case "Yesterday":
		return r(day.AddDate(0, 0, -1), day.AddDate(0, 0, -1))
	case "ThisWeek":
		return r(weekStart, weekStart.AddDate(0, 0, 6))
	case "ThisWeekToDate":
		return r(weekStart, day)
	case "LastWeek":
		return r(weekStart.AddDate(0, 0, -7), weekStart.AddDate(0, 0, -1))
	case "ThisMonth":
		return r(monthStart, monthStart.AddDate(0, 1, -1))
	case "ThisMonthToDate":
		return r(monthStart, day)
	case "LastMonth":
		return r(monthStart.AddDate(0, -1, 0), monthStart.AddDate(0, 0, -1))
	case "ThisQuarter":
		return r(quarterStart, quarterStart.AddDate(0, 3, -1))
	case "ThisQuarterToDate":
		return r(quarterStart, day)
	case "LastQuarter":
		return r(quarterStart.AddDate(0, -3, 0), quarterStart.AddDate(0, 0, -1))
	case "ThisYear", "ThisFiscalYear", "ThisTaxYear":
		return r(yearStart, yearStart.AddDate(1, 0, -1))
	case "ThisYearToDate", "ThisFiscalYearToDate", "ThisTaxYearToDate":
		return r(yearStart, day)
	case "LastYear", "LastFiscalYear", "LastTaxYear":
		return r(yearStart.AddDate(-1, 0, 0), yearStart.AddDate(0, 0, -1))
	case "LastYearToDate", "LastFiscalYearToDate":
		return r(yearStart.AddDate(-1, 0, 0), day.AddDate(-1, 0, 0))
	case "NextWeek":
		return r(weekStart.AddDate(0, 0, 7), weekStart.AddDate(0, 0, 13))
	case "NextMonth":
		return r(monthStart.AddDate(0, 1, 0), monthStart.AddDate(0, 2, -1))
	case "NextYear", "NextFiscalYear":
		return r(yearStart.AddDate(1, 0, 0), yearStart.AddDate(2, 0, -1))
	}
	return "", "", qbErr(stUnsupported, "The date macro %q is not supported by this QuickBooks simulator.", m)
}

// txnDateMacro returns the date range of a DateMacro of the transaction
// filters, whose names (qbXML's DateMacro type) say Calendar or Fiscal
// where the report macros do not: ThisCalendarQuarter is the report's
// ThisQuarter. The fiscal year is taken to be the calendar year, as
// dateMacro does for ThisFiscalYear.
func txnDateMacro(m string, now time.Time) (string, string, error) {
	r := strings.NewReplacer("Calendar", "", "Fiscal", "")
	return reportDateMacro(r.Replace(m), now)
}

// deletedWindow is how far back ListDeletedQuery and TxnDeletedQuery
// reach: "A ListDeletedQuery will return all list elements deleted within
// the last 90 days" (QuBe Sync's reference of the request), and
// Conductor's API reference says the same of both (deleted list-objects
// "removed from the company file within the last 90 days"; "Lists deleted
// transactions ... in the last 90 days").
const deletedWindow = 90 * 24 * time.Hour

// deletedQuery handles ListDeletedQueryRq and TxnDeletedQueryRq. "A
// ListDeletedQuery will return all list elements deleted within the last
// 90 days, grouped according to object type" (QuBe Sync's reference of
// the request): the deletions come by type, in the order the request
// names the types, and by time of deletion within a type (Conductor's
// reference: "grouped by list-object type and ordered by actual delete
// time (ascending)", the same of transactions). A deleted list element
// is reported by the full name it had when it was deleted.
func (f *File) deletedQuery(ctx context.Context, rq *request, rs *response) error {
	rs.countAttr = true
	isList := rq.name == "ListDeletedQueryRq"
	typeEl, retName := "TxnDelType", "TxnDeletedRet"
	if isList {
		typeEl, retName = "ListDelType", "ListDeletedRet"
	}
	var where []string
	var args, orderArgs []any
	order := "seq"
	if types := kids(rq.el, typeEl); len(types) > 0 {
		p := make([]string, len(types))
		byType := make([]string, len(types))
		for i, t := range types {
			p[i] = "?"
			args = append(args, t.Text)
			byType[i] = "WHEN ? THEN " + strconv.Itoa(i)
			orderArgs = append(orderArgs, t.Text)
		}
		where = append(where, "type IN ("+strings.Join(p, ",")+")")
		order = "CASE type " + strings.Join(byType, " ") + " END, seq"
	}
	loc := f.opt.Now().Location()
	var from, to string
	if d := kid(rq.el, "DeletedDateRangeFilter"); d != nil {
		from, to = textAt(d, "FromDeletedDate"), textAt(d, "ToDeletedDate")
	}
	if from != "" {
		t, err := parseQBDateTime(from, loc, false)
		if err != nil {
			return qbErr(stInvalidDate, "There was an error when converting the date value %q in the field \"FromDeletedDate\".", from)
		}
		where = append(where, "deleted >= ?")
		args = append(args, t.Unix())
	}
	if to != "" {
		t, err := parseQBDateTime(to, loc, true)
		if err != nil {
			return qbErr(stInvalidDate, "There was an error when converting the date value %q in the field \"ToDeletedDate\".", to)
		}
		where = append(where, "deleted <= ?")
		args = append(args, t.Unix())
		if from != "" {
			if ft, _ := parseQBDateTime(from, loc, false); ft.After(t) {
				return dateRangeError()
			}
		}
	}
	// QuickBooks reports the deletions of the last 90 days only, whatever
	// the filter asks (deletedWindow).
	where = append(where, "deleted >= ?")
	args = append(args, f.opt.Now().Add(-deletedWindow).Unix())
	rows, err := f.db.QueryContext(ctx, `SELECT type, id, COALESCE(name,''), COALESCE(ref_number,''), created, deleted FROM deleted WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order, append(args, orderArgs...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	opt := retOptions{include: includeElements(rq.el)}
	for rows.Next() {
		var typ, id, name, ref string
		var created, deleted int64
		if err := rows.Scan(&typ, &id, &name, &ref, &created, &deleted); err != nil {
			return err
		}
		t, ok := f.reg().byName[typ]
		if !ok || (t.Kind == kindList) != isList {
			continue
		}
		ret := &qbxml.Node{Name: retName}
		if isList {
			ret.Children = []*qbxml.Node{qbxml.NewText("ListDelType", typ), qbxml.NewText("ListID", id), qbxml.NewText("TimeCreated", qbTime(time.Unix(created, 0).In(loc))),
				qbxml.NewText("TimeDeleted", qbTime(time.Unix(deleted, 0).In(loc))), qbxml.NewText("FullName", name)}
		} else {
			ret.Children = []*qbxml.Node{qbxml.NewText("TxnDelType", typ), qbxml.NewText("TxnID", id), qbxml.NewText("TimeCreated", qbTime(time.Unix(created, 0).In(loc))),
				qbxml.NewText("TimeDeleted", qbTime(time.Unix(deleted, 0).In(loc)))}
			if ref != "" {
				ret.Children = append(ret.Children, qbxml.NewText("RefNumber", ref))
			}
		}
		f.writeRet(rs, ret, opt)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if rs.count == 0 {
		rs.st = status{stNoMatch, "Info", "A query request did not find a matching object in QuickBooks"}
	}
	return nil
}

// takesActiveStatus reports whether a list query's schema has the
// ActiveStatus filter, whose absence means ActiveOnly.
func takesActiveStatus(query string) bool {
	t := qbxml.Lookup(query)
	return t != nil && t.Child("ActiveStatus") != nil
}

func writeTextEl(b *bytes.Buffer, name, text string) {
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
	escapeText(b, text, false)
	b.WriteString("</")
	b.WriteString(name)
	b.WriteString(">\n")
}
