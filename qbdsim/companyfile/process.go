package companyfile

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// status is a qbXML status: code, severity and message.
type status struct {
	Code     int
	Severity string // "Info", "Warn", "Error"
	Message  string
}

func statusOK() status { return status{0, "Info", "Status OK"} }

// qbError is an error that carries a qbXML status; request handlers return
// it for every failure QuickBooks reports inside the response.
type qbError struct{ st status }

func (e *qbError) Error() string { return fmt.Sprintf("qbXML status %d: %s", e.st.Code, e.st.Message) }

func qbErr(code int, format string, args ...any) error {
	return &qbError{status{Code: code, Severity: "Error", Message: fmt.Sprintf(format, args...)}}
}

// unknownID is the answer to a Mod, ListDel, TxnDel or TxnVoid whose ID
// names no object of the request's type; lookupErr is the error of looking
// the ID up. An ID QuickBooks does not hold is 3120, "Object ... specified
// in the request cannot be found", the answer developers report for an ID
// deleted in QuickBooks. An empty ID, or one of an object of another type,
// stays 3000, "The given object ID ... is invalid" (unverified for another
// type: no report found).
func unknownID(lookupErr error, id, field string) error {
	if errors.Is(lookupErr, errNoObject) && id != "" {
		return objectNotFound(id)
	}
	return qbErr(stInvalidID, "The given object ID %q in the field %q is invalid.", id, field)
}

// objectNotFound is status 3120 for an ID that QuickBooks does not hold.
func objectNotFound(id string) error {
	return qbErr(stNotFound, "Object %q specified in the request cannot be found.", id)
}

// notInList is what QuickBooks adds to the status message of a reference
// to a list element it does not hold.
const notInList = "  QuickBooks error message: Invalid argument.  The specified record does not exist in the list."

// invalidRef is status 3140 for a reference by FullName to a list element
// QuickBooks does not hold, as QuickBooks words it: "There is an invalid
// reference to QuickBooks Item "da product id 1" in the SalesOrder line.
// QuickBooks error message: Invalid argument.  The specified record does
// not exist in the list." (a SalesOrderAddRs quoted in
// flowlink/quickbooks_desktop_integration,
// lib/qbwc/response/sales_order_add_rs.rb).
func invalidRef(what, name, in string) error {
	return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s."+notInList, what, name, in)
}

// refNotFound is status 3120 for a reference by ListID to a list element
// QuickBooks does not hold: QuickBooks answers it as an ID it cannot
// find, `Object "80000027-1429563689" specified in the request cannot be
// found.  QuickBooks error message: Invalid argument.  The specified
// record does not exist in the list.` (an InvoiceAdd naming a deleted
// customer, jsgoupil/quickbooks-sync#4, whose client branches on 3120;
// the same words for a customer naming a deleted tax item, Acctivate,
// "Sync errors after deleting a tax category in QuickBooks",
// hub.acctivate.com). A ListID of an element of another list is answered
// the same way (unverified).
func refNotFound(id string) error {
	return qbErr(stNotFound, "Object %q specified in the request cannot be found."+notInList, id)
}

// Status codes the processor uses (intuit-sdk.md §4.5).
const (
	stNoMatch         = 1
	stPartialMatch    = 500
	stLinkClosed      = 570
	stInternal        = 1000
	stUnsupported     = 1030
	stInvalidID       = 3000
	stInvalidBool     = 3010
	stInvalidDate     = 3020
	stInvalidRange    = 3030
	stInvalidString   = 3070
	stNameInUse       = 3100
	stNotFound        = 3120
	stInvalidRef      = 3140
	stCannotDelete    = 3160
	stClosedDelete    = 3161
	stCannotModify    = 3170
	stClosingDate     = 3171
	stSaveError       = 3180
	stStaleEdit       = 3200
	stInvalidValue    = 3210
	stNotProcessed    = 3231
	stNoPersonalData  = 3261
	stReadOnly        = 3263
	stIteratorUnknown = 3391
)

// response is one XxxRs element being produced.
type response struct {
	name  string
	attrs []qbxml.NodeAttr
	st    status
	body  bytes.Buffer // Ret elements, already serialised
	count int          // records in body, for retCount and latency
	// countAttr says the response may carry a retCount attribute
	// (queries); countAsked says the request asked for it.
	countAttr, countAsked bool
}

func (r *response) setAttr(name, value string) {
	r.attrs = append(r.attrs, qbxml.NodeAttr{Name: name, Value: value})
}

func (r *response) write(b *bytes.Buffer) {
	b.WriteByte('<')
	b.WriteString(r.name)
	for _, a := range r.attrs {
		if a.Name == "requestID" {
			b.WriteString(` requestID="`)
			escapeText(b, a.Value, true)
			b.WriteByte('"')
		}
	}
	fmt.Fprintf(b, ` statusCode="%d" statusSeverity="%s" statusMessage="`, r.st.Code, r.st.Severity)
	escapeText(b, r.st.Message, true)
	b.WriteByte('"')
	if r.countAttr && r.countAsked && r.st.Severity != "Error" && hasAttr(r.name, "retCount") {
		fmt.Fprintf(b, ` retCount="%d"`, r.count)
	}
	for _, a := range r.attrs {
		if a.Name != "requestID" {
			fmt.Fprintf(b, ` %s="`, a.Name)
			escapeText(b, a.Value, true)
			b.WriteByte('"')
		}
	}
	if r.body.Len() == 0 {
		b.WriteString(" />\n")
		return
	}
	b.WriteString(">\n")
	b.Grow(r.body.Len() + len(r.name) + 8)
	b.Write(r.body.Bytes())
	b.WriteString("</")
	b.WriteString(r.name)
	b.WriteString(">\n")
}

// hasAttr says whether the schema gives the response element rsName the
// attribute: QuickBooks writes retCount only on the responses whose
// schema declares it (queries of lists and transactions), never on
// AccountTaxLineInfoQueryRs and the other single-record queries.
func hasAttr(rsName, attr string) bool {
	t := qbxml.Lookup(rsName)
	return t != nil && t.Attr(attr) != nil
}

// request is one XxxRq being processed.
type request struct {
	el      *qbxml.Node
	name    string // e.g. "CustomerAddRq"
	op      string // "Add", "Mod", "Query", ...
	subject string // e.g. "Customer"
	sess    Session
	now     time.Time
}

// Process runs one qbXML request document as QuickBooks would and returns
// the response document. Malformed XML (or XML that is not a qbXML request
// message set) returns an error wrapping ErrParse, which the simulator turns
// into HRESULT 0x80040400; every other failure is a status inside the
// response.
func (f *File) Process(ctx context.Context, request []byte, s Session) ([]byte, error) {
	if v, ok := requestedVersion(request); ok && !supportedVersion(v) {
		return nil, fmt.Errorf("%w: qbXML version %q (supported: %s)", ErrVersion, v, strings.Join(supportedVersions, ", "))
	}
	root, err := parseNode(request)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrParse, err)
	}
	if root.Name != "QBXML" {
		return nil, fmt.Errorf("%w: the root element is %q, not QBXML", ErrParse, root.Name)
	}
	msgs := kid(root, "QBXMLMsgsRq")
	if msgs == nil || len(root.Children) != 1 {
		return nil, fmt.Errorf("%w: QBXML must contain exactly one QBXMLMsgsRq", ErrParse)
	}
	onError := attrValue(msgs, "onError")
	switch onError {
	case "stopOnError", "continueOnError", "rollbackOnError":
	default:
		return nil, fmt.Errorf("%w: QBXMLMsgsRq has no valid onError attribute (%q)", ErrParse, onError)
	}
	for _, rq := range msgs.Children {
		if err := validateRequest(rq); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrParse, err)
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	latency := f.latency
	if err := wait(ctx, latency.PerRequest); err != nil {
		return nil, err // given up before QuickBooks started on it: nothing ran
	}
	// Once started, QuickBooks runs a message set to its end, even when
	// the application that sent it is gone (killed, or its call given
	// up): what it wrote stays written and the response of a
	// newMessageSetID is kept. That is what error recovery rests on
	// (Intuit, "Error recovery": ProcessRequest returned nothing, so the
	// application asks QuickBooks whether its CheckAdd ran). Only the
	// delivery of the answer, the per-record wait below, ends with ctx.
	work := context.WithoutCancel(ctx)

	newID, oldID := attrValue(msgs, "newMessageSetID"), attrValue(msgs, "oldMessageSetID")
	if resp, done, err := f.recover(work, msgs, newID, oldID); done || err != nil {
		return resp, err
	}
	includeNone := attrValue(msgs, "responseData") == "includeNone"

	var out bytes.Buffer
	out.WriteString(xmlHeader)
	out.WriteString("<QBXML>\n<QBXMLMsgsRs")
	if newID != "" {
		out.WriteString(` newMessageSetID="`)
		escapeText(&out, newID, true)
		out.WriteString(`"`)
	}
	out.WriteString(">\n")
	records := 0
	stopped := false
	for _, rqEl := range msgs.Children {
		if stopped {
			notProcessed(rqEl).write(&out)
			continue
		}
		rs := f.handle(work, rqEl, s)
		if includeNone {
			// responseData="includeNone": the status of each request,
			// none of its data.
			rs.body.Reset()
		}
		rs.write(&out)
		records += rs.count
		stopped = rs.st.Severity == "Error" && onError != "continueOnError"
	}
	out.WriteString("</QBXMLMsgsRs>\n</QBXML>\n")
	if newID != "" {
		if _, err := f.db.ExecContext(work, `INSERT OR REPLACE INTO message_sets(id, response, created) VALUES (?, ?, ?)`, newID, out.Bytes(), f.opt.Now().Unix()); err != nil {
			return nil, fmt.Errorf("companyfile: store message set: %w", err)
		}
	}
	if err := wait(ctx, time.Duration(records)*latency.PerRecord); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

const xmlHeader = "<?xml version=\"1.0\" ?>\n"

// notProcessed is the answer to a request that follows an error when the
// message set stops on errors: QuickBooks answers each such request with
// status 3231, "The request has not been processed." (a SalesOrderAddRs
// QuickBooks returned, quoted in flowlink/quickbooks_desktop_integration,
// lib/qbwc/response/sales_order_add_rs.rb; QuBe Sync lists 3231
// request_not_processed among the errors of every request).
func notProcessed(rqEl *qbxml.Node) *response {
	rs := &response{name: strings.TrimSuffix(rqEl.Name, "Rq") + "Rs", st: status{stNotProcessed, "Error", "The request has not been processed."}}
	if id := attrValue(rqEl, "requestID"); id != "" {
		rs.setAttr("requestID", id)
	}
	return rs
}

func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Error recovery, as Intuit's SDK documents it ("Error recovery"; the
// QBXMLMsgsRq attributes oldMessageSetID and newMessageSetID):
//
//   - A message set with newMessageSetID is processed once: its response is
//     kept, and the same ID sent again returns the kept response instead of
//     running the requests a second time.
//   - A status check names the last message set in oldMessageSetID and
//     holds no request: the kept response of that set is returned, with
//     its messageSetStatusCode. An ID QuickBooks never kept answers
//     messageSetStatusCode 600 ("No cleared state to return") and nothing
//     is kept, not even under a newMessageSetID sent with the check (a
//     later write under that ID must still run).
//   - oldMessageSetID without newMessageSetID clears the kept response of
//     that set once the application has it; "ClearAllMessageSets" clears
//     every one. The requests it holds, if any, are then processed.
//
// recover returns the response and done=true when the message set is
// answered by error recovery alone.
func (f *File) recover(ctx context.Context, msgs *qbxml.Node, newID, oldID string) ([]byte, bool, error) {
	if newID != "" {
		if stored, ok, err := f.storedMessageSet(ctx, newID); err != nil {
			return nil, false, err
		} else if ok {
			f.opt.Logger.Debug("companyfile: repeated message set", "id", newID)
			return stored, true, nil
		}
	}
	if oldID == "" {
		return nil, false, nil
	}
	var stored []byte
	var ok bool
	if oldID != "ClearAllMessageSets" {
		var err error
		if stored, ok, err = f.storedMessageSet(ctx, oldID); err != nil {
			return nil, false, err
		}
	}
	if newID == "" {
		q, args := `DELETE FROM message_sets WHERE id = ?`, []any{oldID}
		if oldID == "ClearAllMessageSets" {
			q, args = `DELETE FROM message_sets`, nil
		}
		if _, err := f.db.ExecContext(ctx, q, args...); err != nil {
			return nil, false, fmt.Errorf("companyfile: clear message set: %w", err)
		}
	}
	if len(msgs.Children) > 0 {
		return nil, false, nil
	}
	if ok {
		return stored, true, nil
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString("<QBXML>\n<QBXMLMsgsRs messageSetStatusCode=\"600\" />\n</QBXML>\n")
	return b.Bytes(), true, nil
}

// ErrVersion is returned by Process for a request whose <?qbxml version?>
// QuickBooks does not support; the simulator turns it into HRESULT
// 0x80040423, "The version of qbXML that was requested is not supported or
// is unknown."
var ErrVersion = errors.New("companyfile: the qbXML version of the request is not supported")

// requestedVersion returns the version of the <?qbxml version="X"?>
// processing instruction before the root element, if there is one.
func requestedVersion(doc []byte) (string, bool) {
	end := bytes.Index(doc, []byte("<QBXML"))
	if end < 0 {
		end = len(doc)
	}
	head := doc[:end]
	i := bytes.Index(head, []byte("<?qbxml"))
	if i < 0 {
		return "", false
	}
	pi := head[i:]
	if j := bytes.Index(pi, []byte("?>")); j >= 0 {
		pi = pi[:j]
	}
	k := bytes.Index(pi, []byte("version"))
	if k < 0 {
		return "", true
	}
	rest := bytes.TrimLeft(pi[k+len("version"):], " \t\r\n=")
	if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
		return "", true
	}
	q := rest[0]
	rest = rest[1:]
	if e := bytes.IndexByte(rest, q); e >= 0 {
		return string(rest[:e]), true
	}
	return string(rest), true
}

func supportedVersion(v string) bool {
	for _, s := range supportedVersions {
		if s == v {
			return true
		}
	}
	return false
}

func (f *File) storedMessageSet(ctx context.Context, id string) ([]byte, bool, error) {
	var resp []byte
	err := f.db.QueryRowContext(ctx, `SELECT response FROM message_sets WHERE id = ?`, id).Scan(&resp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("companyfile: read message set: %w", err)
	}
	return resp, true, nil
}

// validateRequest checks a request element against the schema with
// qbxml.Validate: it must be a request of QBXMLMsgsRq, and its structure
// and enumerated values must follow its content model, or QuickBooks
// rejects the whole document. A value that is too long or not of its
// type's form QuickBooks reports as a status of the request instead (3070,
// 3010, 3020, ...), which the handlers produce.
func validateRequest(rq *qbxml.Node) error {
	if msgs := qbxml.Lookup("QBXMLMsgsRq"); msgs == nil || msgs.Child(rq.Name) == nil {
		return fmt.Errorf("<%s> is not a qbXML 13.0 request", rq.Name)
	}
	if v := attrValue(rq, "requestID"); len(v) > 50 {
		// QuickBooks reports this one as a status (1060), not a parse error.
		return nil
	}
	var bad []string
	for _, p := range qbxml.Problems(rq) {
		switch p.Kind {
		case qbxml.ProblemLength, qbxml.ProblemFormat:
			continue
		}
		bad = append(bad, p.String())
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// handle processes one request and returns its response; it never panics on
// bad input.
func (f *File) handle(ctx context.Context, el *qbxml.Node, s Session) (rs *response) {
	rsName := strings.TrimSuffix(el.Name, "Rq") + "Rs"
	rs = &response{name: rsName}
	// QuickBooks counts the records of a query only when metaData asks
	// for the count: "(The default is that no count is returned.)"
	// (Intuit's reference of metaData on every query); the responses
	// captured from QuickBooks carry no retCount (Intuit's iterator
	// example, consolibyte/quickbooks-php#92).
	switch attrValue(el, "metaData") {
	case "MetaDataOnly", "MetaDataAndResponseData":
		rs.countAsked = true
	}
	if id := attrValue(el, "requestID"); id != "" {
		rs.setAttr("requestID", id)
	}
	defer func() {
		if p := recover(); p != nil {
			f.opt.Logger.Error("companyfile: request panicked", "request", el.Name, "panic", p)
			rs.body.Reset()
			rs.count = 0
			rs.st = status{stInternal, "Error", fmt.Sprintf("There has been an internal error when processing the request: %v", p)}
		}
	}()
	if id := attrValue(el, "requestID"); len(id) > 50 {
		rs.st = status{1060, "Error", fmt.Sprintf("The request ID %q is invalid, possibly too long. (The maximum is 50 characters.)", id)}
		return rs
	}
	upperOwnerIDs(el)
	rq := &request{el: el, name: el.Name, sess: s, now: f.opt.Now()}
	base := strings.TrimSuffix(el.Name, "Rq")
	for _, op := range []string{"Query", "Add", "Mod", "Del", "Void"} {
		if strings.HasSuffix(base, op) {
			rq.op, rq.subject = op, strings.TrimSuffix(base, op)
			break
		}
	}
	f.warning = nil
	err := f.requireFeature(ctx, f.requestFeature(rq))
	if err == nil {
		err = f.dispatch(ctx, rq, rs)
	}
	var qe *qbError
	switch {
	case err == nil:
		if f.warning != nil {
			rs.st = *f.warning
		}
		if rs.st.Severity == "" {
			rs.st = statusOK()
		}
	case errors.As(err, &qe):
		rs.body.Reset()
		rs.count = 0
		rs.st = qe.st
	default:
		f.opt.Logger.Error("companyfile: request failed", "request", el.Name, "err", err)
		rs.body.Reset()
		rs.count = 0
		rs.st = status{stInternal, "Error", "There has been an internal error when processing the request."}
	}
	f.opt.Logger.Debug("companyfile: processed", "request", el.Name, "status", rs.st.Code, "records", rs.count)
	return rs
}

func (f *File) dispatch(ctx context.Context, rq *request, rs *response) error {
	switch rq.name {
	case "HostQueryRq":
		return f.hostQuery(rq, rs)
	case "CompanyQueryRq":
		return f.companyQuery(ctx, rq, rs)
	case "PreferencesQueryRq":
		return f.preferencesQuery(ctx, rq, rs)
	case "ListDeletedQueryRq", "TxnDeletedQueryRq":
		return f.deletedQuery(ctx, rq, rs)
	case "ListDelRq", "TxnDelRq":
		return f.del(ctx, rq, rs)
	case "TxnVoidRq":
		return f.void(ctx, rq, rs)
	case "DataExtDefAddRq", "DataExtDefModRq", "DataExtDefQueryRq", "DataExtDefDelRq":
		return f.dataExtDef(ctx, rq, rs)
	case "DataExtAddRq", "DataExtModRq", "DataExtDelRq":
		return f.dataExt(ctx, rq, rs)
	}
	if ok, err := f.special(ctx, rq, rs); ok {
		return err
	}
	if strings.HasSuffix(rq.name, "ReportQueryRq") {
		return f.reportQuery(ctx, rq, rs)
	}
	switch rq.op {
	case "Query":
		if types := f.reg().queryTypes(rq.subject); len(types) > 0 {
			return f.query(ctx, rq, rs, types)
		}
	case "Add":
		if t, ok := f.reg().byName[rq.subject]; ok {
			if _, ok := contentModel(t.Name + "Add"); ok {
				return f.add(ctx, rq, rs, t)
			}
		}
	case "Mod":
		if t, ok := f.reg().byName[rq.subject]; ok {
			if _, ok := contentModel(t.Name + "Mod"); ok {
				return f.mod(ctx, rq, rs, t)
			}
		}
	}
	return qbErr(stUnsupported, "The request %s is not supported by this QuickBooks simulator.", rq.name)
}

// upperOwnerIDs upper-cases every OwnerID of a request: QuickBooks matches
// an owner's GUID without regard to case and keeps it upper-case.
func upperOwnerIDs(e *qbxml.Node) {
	for _, k := range e.Children {
		if k.Name == "OwnerID" {
			k.Text = strings.ToUpper(strings.TrimSpace(k.Text))
			continue
		}
		upperOwnerIDs(k)
	}
}

func boolText(b bool) string { return strconv.FormatBool(b) }
