package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Reads of synced records: GET /v1/companies/{companyId}/{dataType} with
// cursor pagination and filters, and GET .../{dataType}/{id}.

func (s *Server) registerRecords(rs *routeSet) {
	rs.add("GET", "/v1/data-types", AuthAPIKey, s.listDataTypes)
	rs.add("GET", "/v1/companies/{companyId}/{dataType}", AuthAPIKey, s.listRecords)
	rs.add("GET", "/v1/companies/{companyId}/{dataType}/{id}", AuthAPIKey, s.getRecord)
}

// syncEngine returns the sync engine, or EUnavailable when none is
// configured.
func (s *Server) syncEngine() (qbconnect.SyncService, error) {
	if s.cfg.Sync == nil {
		return nil, &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform has no sync engine configured",
			UserMessage: "Data from QuickBooks is not available on this server.", Resolution: "Ask the platform operator to enable the sync engine."}
	}
	return s.cfg.Sync, nil
}

// dataType returns the {dataType} of the path; an unknown one is ENotFound
// naming the known types.
func (s *Server) dataType(r *http.Request) (qbconnect.DataTypeInfo, error) {
	eng, err := s.syncEngine()
	if err != nil {
		return qbconnect.DataTypeInfo{}, err
	}
	name := r.PathValue("dataType")
	types := eng.DataTypes()
	for _, t := range types {
		if t.Name == name {
			return t, nil
		}
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	return qbconnect.DataTypeInfo{}, &qbconnect.Error{Code: qbconnect.ENotFound,
		Message:    "unknown data type " + strconv.Quote(name) + " (known: " + strings.Join(names, ", ") + ")",
		Resolution: "Use one of the data types listed by GET /v1/data-types."}
}

func (s *Server) listDataTypes(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this endpoint takes no query parameters")
	}
	eng, err := s.syncEngine()
	if err != nil {
		return err
	}
	types := eng.DataTypes()
	for i := range types {
		if types[i].Actions == nil {
			types[i].Actions = []string{}
		}
	}
	writeJSON(w, http.StatusOK, pageOfList(types, ""))
	return nil
}

// recordPage is a page of records.
type recordPage struct {
	Data       []json.RawMessage `json:"data"`
	HasMore    bool              `json:"hasMore"`
	NextCursor *string           `json:"nextCursor"`
	// TotalCount is every record the filters select, on every page; only
	// with count=true, since counting costs a query.
	TotalCount *int `json:"totalCount,omitempty"`
}

// recordJSON is a record as the API shows it: the camelCase JSON of its
// qbXML Ret element, led by "id" (its ListID or TxnID) and, for a record
// deleted in QuickBooks, "deleted": true.
func recordJSON(rec *qbconnect.Record) json.RawMessage {
	data := bytes.TrimSpace(rec.Data)
	if len(data) < 2 || data[0] != '{' {
		data = []byte("{}")
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(rec.ID) + 32)
	b.WriteString(`{"id":`)
	id, _ := json.Marshal(rec.ID)
	b.Write(id)
	if rec.Deleted {
		b.WriteString(`,"deleted":true`)
	}
	rest := bytes.TrimSpace(data[1:])
	if len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes()
}

// recordQuery lists the query parameters of GET .../{dataType} for a type.
func recordQuery(t qbconnect.DataTypeInfo) []string {
	q := []string{"limit", "cursor", "count", "sort", "ids", "updatedSince", "updatedBefore", "includeDeleted", "name", "namePrefix"}
	if t.Transaction {
		q = append(q, "refNumber", "refNumberFrom", "refNumberTo", "txnDateFrom", "txnDateTo")
	} else {
		q = append(q, "active")
	}
	if t.RefFilter != "" {
		q = append(q, t.RefFilter, t.RefFilter+"s")
	}
	sort.Strings(q)
	return q
}

// recordFilter reads the query of GET .../{dataType}: pagination, and the
// filters that make sense for the type. A filter the type does not take is
// EInvalid naming the ones it does.
func recordFilter(r *http.Request, t qbconnect.DataTypeInfo) (qbconnect.RecordFilter, error) {
	f := qbconnect.RecordFilter{Limit: 100}
	q := r.URL.Query()
	accepted := recordQuery(t)
	for k, v := range q {
		if !containsString(accepted, k) {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q for %s (accepted: %s)", k, t.Name, strings.Join(accepted, ", "))
		}
		if len(v) > 1 {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "query parameter %q is given %d times", k, len(v))
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "limit must be a whole number from 1 to 1000, not %q", v)
		}
		f.Limit = n
	}
	f.Cursor = q.Get("cursor")
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"updatedSince", &f.UpdatedSince}, {"updatedBefore", &f.UpdatedBefore}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "%s must be an RFC 3339 time such as 2026-03-01T00:00:00Z, not %q", p.name, v)
		}
		*p.dst = &t
	}
	if v := q.Get("sort"); v != "" {
		if !containsString(qbconnect.RecordSorts, v) {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "sort must be one of %s, not %q", strings.Join(qbconnect.RecordSorts, ", "), v)
		}
		f.Sort = v
	}
	var err error
	if f.IDs, err = idList(q, "ids"); err != nil {
		return f, err
	}
	f.RefNumberFrom, f.RefNumberTo = q.Get("refNumberFrom"), q.Get("refNumberTo")
	if f.RefNumberFrom != "" && f.RefNumberTo != "" && f.RefNumberFrom > f.RefNumberTo {
		return f, qbconnect.Errorf(qbconnect.EInvalid, "refNumberFrom %q is after refNumberTo %q", f.RefNumberFrom, f.RefNumberTo)
	}
	if v := q.Get("includeDeleted"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "includeDeleted must be true or false, not %q", v)
		}
		f.IncludeDeleted = b
	}
	f.Name = q.Get("name")
	if v := q.Get("refNumber"); v != "" {
		if f.Name != "" && f.Name != v {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "name and refNumber both filter on the reference number; give one")
		}
		f.Name = v
	}
	f.NamePrefix = q.Get("namePrefix")
	if f.TxnDateFrom, f.TxnDateTo, err = dateRange(q, "txnDateFrom", "txnDateTo"); err != nil {
		return f, err
	}
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, qbconnect.Errorf(qbconnect.EInvalid, "active must be true or false, not %q", v)
		}
		f.Active = &b
	}
	if t.RefFilter != "" {
		f.RefID = q.Get(t.RefFilter)
		if f.RefIDs, err = idList(q, t.RefFilter+"s"); err != nil {
			return f, err
		}
	}
	return f, nil
}

// maxIDList is the most IDs one list filter takes.
const maxIDList = 100

// idList reads a comma-separated list of IDs: no empty entries, at most
// maxIDList, duplicates dropped.
func idList(q url.Values, name string) ([]string, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, id := range strings.Split(v[0], ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s is a comma-separated list of IDs with no empty entries, not %q", name, v[0])
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(out) > maxIDList {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "%s names %d IDs; at most %d are taken at once", name, len(out), maxIDList)
	}
	return out, nil
}

// wantCount reads count=true|false.
func wantCount(q url.Values) (bool, error) {
	v := q.Get("count")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, qbconnect.Errorf(qbconnect.EInvalid, "count must be true or false, not %q", v)
	}
	return b, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// records returns the record service, or EUnavailable.
func (s *Server) records() (qbconnect.RecordService, error) {
	if s.cfg.Records == nil {
		return nil, &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform has no record store configured"}
	}
	return s.cfg.Records, nil
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) error {
	c, err := s.company(r)
	if err != nil {
		return err
	}
	t, err := s.dataType(r)
	if err != nil {
		return err
	}
	f, err := recordFilter(r, t)
	if err != nil {
		return err
	}
	recs, err := s.records()
	if err != nil {
		return err
	}
	count, err := wantCount(r.URL.Query())
	if err != nil {
		return err
	}
	f.OrgID, f.CompanyID, f.Type = c.OrgID, c.ID, t.Name
	list, next, err := recs.ListRecords(r.Context(), f)
	if err != nil {
		return notFound(err, "company")
	}
	page := recordPage{Data: make([]json.RawMessage, len(list)), HasMore: next != ""}
	if count {
		n, err := recs.CountMatching(r.Context(), f)
		if err != nil {
			return notFound(err, "company")
		}
		page.TotalCount = &n
	}
	for i, rec := range list {
		page.Data[i] = recordJSON(rec)
	}
	if next != "" {
		page.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this endpoint takes no query parameters")
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	t, err := s.dataType(r)
	if err != nil {
		return err
	}
	recs, err := s.records()
	if err != nil {
		return err
	}
	rec, err := recs.FindRecord(r.Context(), c.OrgID, c.ID, t.Name, r.PathValue("id"))
	if err != nil {
		return notFound(err, "record")
	}
	if etag := recordETag(rec); etag != "" {
		w.Header().Set("ETag", etag)
	}
	writeJSON(w, http.StatusOK, recordJSON(rec))
	return nil
}

// dateRange reads two query parameters holding dates (YYYY-MM-DD), either
// or both absent, and refuses a malformed date or a start after the end.
func dateRange(q url.Values, fromName, toName string) (from, to string, err error) {
	for _, d := range []struct {
		name string
		dst  *string
	}{{fromName, &from}, {toName, &to}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return "", "", qbconnect.Errorf(qbconnect.EInvalid, "%s must be a date such as 2026-03-01, not %q", d.name, v)
		}
		*d.dst = v
	}
	if from != "" && to != "" && from > to {
		return "", "", qbconnect.Errorf(qbconnect.EInvalid, "%s %s is after %s %s", fromName, from, toName, to)
	}
	return from, to, nil
}
