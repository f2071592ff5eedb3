package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Writes to QuickBooks (create, update, delete, void), the operations that
// carry them, and waiting for an operation to finish.

func (s *Server) registerWrites(rs *routeSet) {
	rs.add("POST", "/v1/companies/{companyId}/{dataType}", AuthAPIKey, s.createRecord)
	rs.add("PATCH", "/v1/companies/{companyId}/{dataType}/{id}", AuthAPIKey, s.updateRecord)
	rs.add("DELETE", "/v1/companies/{companyId}/{dataType}/{id}", AuthAPIKey, s.deleteRecord)
	rs.add("POST", "/v1/companies/{companyId}/{dataType}/{id}/void", AuthAPIKey, s.voidRecord)
	rs.add("GET", "/v1/operations/{operationId}", AuthAPIKey, s.getOperation)
}

// Operation statuses as the API shows them: Queued and InFlight are
// "Pending".
const statusPending = "Pending"

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 200

// clientKeyPrefix keeps clients' idempotency keys apart from the ones the
// platform uses for its own operations.
const clientKeyPrefix = "client:"

// operationView is an operation as the API shows it.
type operationView struct {
	ID             string          `json:"id"`
	CompanyID      string          `json:"companyId"`
	Kind           string          `json:"kind"`
	Status         string          `json:"status"`
	DataType       string          `json:"dataType,omitempty"`
	Action         string          `json:"action,omitempty"`
	RecordID       string          `json:"recordId,omitempty"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	Attempts       int             `json:"attempts"`
	Error          *apiError       `json:"error,omitempty"`
	Record         json.RawMessage `json:"record,omitempty"`
	// Response is the raw qbXML answer of a passthrough (kind qbxml).
	Response    *string    `json:"response,omitempty"`
	Deadline    *time.Time `json:"deadline,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// writeMeta is the part of a write operation's Meta the API shows; the
// sync engine writes it (dataType, action, id).
type writeMeta struct {
	DataType string                `json:"dataType"`
	Action   qbconnect.WriteAction `json:"action"`
	ID       string                `json:"id"`
}

func apiStatus(st qbconnect.OperationStatus) string {
	if st.Done() {
		return string(st)
	}
	return statusPending
}

// operationView builds the API's view of op; for a finished write it asks
// the sync engine for the outcome (the record, or QuickBooks' error).
func (s *Server) operationView(ctx context.Context, op *qbconnect.Operation) (*operationView, error) {
	var res *qbconnect.WriteResult
	if op.Kind == qbconnect.OpWrite && s.cfg.Sync != nil && op.Status.Done() {
		var err error
		if res, err = s.cfg.Sync.WriteResult(ctx, op); err != nil {
			return nil, err
		}
	}
	return viewOperation(op, res), nil
}

// viewOperation is op as the API shows it; res is a finished write's
// result, or nil.
func viewOperation(op *qbconnect.Operation, res *qbconnect.WriteResult) *operationView {
	v := &operationView{
		ID: op.ID, CompanyID: op.CompanyID, Kind: string(op.Kind), Status: apiStatus(op.Status),
		IdempotencyKey: strings.TrimPrefix(op.IdempotencyKey, clientKeyPrefix), Attempts: op.Attempts,
		Deadline: op.Deadline, CreatedAt: op.CreatedAt, UpdatedAt: op.UpdatedAt, CompletedAt: op.CompletedAt,
	}
	if !strings.HasPrefix(op.IdempotencyKey, clientKeyPrefix) {
		v.IdempotencyKey = ""
	}
	if op.Status.Done() && op.Status != qbconnect.OpSucceeded {
		v.Error = errorView(operationError(op))
	}
	switch op.Kind {
	case qbconnect.OpWrite:
		var m writeMeta
		if err := json.Unmarshal(op.Meta, &m); err == nil {
			v.DataType, v.Action, v.RecordID = m.DataType, string(m.Action), m.ID
		}
		if res != nil {
			v.Status = apiStatus(res.Status)
			if res.Error != nil {
				v.Error = errorView(res.Error)
			}
			if res.Record != nil {
				v.Record = recordJSON(res.Record)
				v.RecordID = res.Record.ID
			}
		}
	case qbconnect.OpQBXML:
		if op.Status == qbconnect.OpSucceeded {
			resp := string(op.Result)
			v.Response = &resp
		}
	}
	return v
}

// operationError says why a finished operation did not succeed.
func operationError(op *qbconnect.Operation) *qbconnect.Error {
	if op.Error != nil {
		return op.Error
	}
	switch op.Status {
	case qbconnect.OpTimedOut:
		return &qbconnect.Error{Code: qbconnect.ETimeout, Message: fmt.Sprintf("operation %s was not run by QuickBooks before its deadline", op.ID),
			UserMessage: "QuickBooks did not run the request in time.", Resolution: "Check the connection's health, then send the request again."}
	case qbconnect.OpCanceled:
		return &qbconnect.Error{Code: qbconnect.EConflict, Message: fmt.Sprintf("operation %s was cancelled", op.ID),
			UserMessage: "The request was cancelled before QuickBooks ran it.", Resolution: "Send the request again if it is still wanted."}
	}
	return &qbconnect.Error{Code: qbconnect.EInternal, Message: fmt.Sprintf("operation %s ended %s", op.ID, op.Status)}
}

// waitParam reads ?wait= (a duration such as "30s", capped at MaxWait; 0
// or absent means do not wait) and checks that the query has no other
// parameters than allowed.
func (s *Server) waitParam(r *http.Request, allowed ...string) (time.Duration, error) {
	q := r.URL.Query()
	for k, v := range q {
		if k != "wait" && !containsString(allowed, k) {
			return 0, qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q (accepted: %s)", k, strings.Join(append([]string{"wait"}, allowed...), ", "))
		}
		if len(v) > 1 {
			return 0, qbconnect.Errorf(qbconnect.EInvalid, "query parameter %q is given %d times", k, len(v))
		}
	}
	v := q.Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, qbconnect.Errorf(qbconnect.EInvalid, "wait must be a duration such as \"30s\", not %q", v)
	}
	if d > s.cfg.MaxWait {
		return 0, qbconnect.Errorf(qbconnect.EInvalid, "wait must be at most %s, not %s", s.cfg.MaxWait, d)
	}
	return d, nil
}

// waitDone waits up to d for op to finish and returns it as it then is.
// It wakes on the queue's signal for the operation's connection (sent by
// every Complete once its transaction, which stores what a write changed,
// committed; in this process and, with PostgreSQL, in any other), so it
// never polls on a timer and a read right after it sees the write; the
// client going away ends the wait.
func (s *Server) waitDone(ctx context.Context, op *qbconnect.Operation, d time.Duration) (*qbconnect.Operation, error) {
	if op.Status.Done() {
		// Enqueue reads the operation back after committing it, and a
		// connector may have run it in between.
		return op, nil
	}
	if d <= 0 {
		return op, nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		woken := s.cfg.Queue.Wait(ctx, op.ConnectionID)
		cur, err := s.cfg.Queue.FindOperation(ctx, op.OrgID, op.ID)
		if err != nil {
			return nil, err
		}
		if cur.Status.Done() {
			// Completed, and what it changed stored, in one transaction.
			return cur, nil
		}
		if s.cfg.OnWait != nil {
			s.cfg.OnWait(op.ID)
		}
		select {
		case <-woken:
		case <-timer.C:
			return cur, nil
		case <-ctx.Done():
			return cur, nil
		case <-s.ctl.Stopping():
			return cur, nil
		}
	}
}

// writeOperation answers with an operation: 202 while it is pending, 200
// once it succeeded, and, when the client waited for a write that failed,
// the failure in the one error shape (409 for a stale editSequence) with
// the operation's address in Location.
func (s *Server) writeOperation(w http.ResponseWriter, r *http.Request, op *qbconnect.Operation, waited bool) error {
	v, err := s.operationView(r.Context(), op)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/operations/"+op.ID)
	switch {
	case v.Status == statusPending:
		writeJSON(w, http.StatusAccepted, v)
	case v.Status == string(qbconnect.OpSucceeded):
		writeJSON(w, http.StatusOK, v)
	case waited && v.Error != nil:
		return &qbconnect.Error{Code: v.Error.Code, Message: fmt.Sprintf("operation %s: %s", op.ID, v.Error.Message),
			UserMessage: v.Error.UserMessage, Resolution: v.Error.Resolution, QBCode: v.Error.QBCode}
	default:
		writeJSON(w, http.StatusOK, v)
	}
	return nil
}

// idempotencyKey reads the Idempotency-Key header.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", nil
	}
	if len(k) > maxIdempotencyKey {
		return "", qbconnect.Errorf(qbconnect.EInvalid, "the Idempotency-Key header is longer than %d bytes", maxIdempotencyKey)
	}
	for _, c := range k {
		if c < 0x21 || c > 0x7e {
			return "", qbconnect.Errorf(qbconnect.EInvalid, "the Idempotency-Key header must be printable ASCII without spaces")
		}
	}
	return clientKeyPrefix + k, nil
}

// requestFingerprint identifies a client request for Idempotency-Key
// checks: a hash of its kind, company, data type, action, record ID and
// payload (a write's JSON body with its keys in a fixed order and no
// insignificant space, so that the same record sent twice matches; a
// passthrough's qbXML document byte for byte).
func requestFingerprint(kind qbconnect.OperationKind, companyID string, m writeMeta, payload []byte) string {
	if kind == qbconnect.OpWrite && len(payload) > 0 {
		var v any
		dec := json.NewDecoder(bytes.NewReader(payload))
		dec.UseNumber()
		if err := dec.Decode(&v); err == nil {
			if canon, err := json.Marshal(v); err == nil {
				payload = canon
			}
		}
	}
	h := sha256.New()
	for _, part := range []string{string(kind), companyID, m.DataType, string(m.Action), m.ID} {
		fmt.Fprintf(h, "%d:%s;", len(part), part)
	}
	h.Write(payload)
	return "v1:" + hex.EncodeToString(h.Sum(nil))
}

// sameRequest reports whether the operation an idempotency key returned was
// made by the same request. Operations older than request fingerprints are
// compared by kind, company, data type and action.
func sameRequest(op *qbconnect.Operation, fingerprint string, kind qbconnect.OperationKind, companyID string, m writeMeta) bool {
	if op.Fingerprint != "" {
		return op.Fingerprint == fingerprint
	}
	if op.Kind != kind || op.CompanyID != companyID {
		return false
	}
	if kind != qbconnect.OpWrite {
		return true
	}
	var got writeMeta
	if err := json.Unmarshal(op.Meta, &got); err != nil {
		return false
	}
	return got.DataType == m.DataType && got.Action == m.Action && (m.ID == "" || got.ID == m.ID)
}

// keyReused is the answer to an Idempotency-Key reused for a different
// request: the second request is refused rather than silently answered
// with the first operation, which would drop the client's second write.
func keyReused(key string) error {
	return &qbconnect.Error{Code: qbconnect.EIdempotencyMismatch,
		Message:     fmt.Sprintf("Idempotency-Key %q was already used for a different request (another body, data type, action or document)", strings.TrimPrefix(key, clientKeyPrefix)),
		UserMessage: "This request repeats the key of an earlier, different request.",
		Resolution:  "Use a new Idempotency-Key for every distinct request; repeat a key only to retry the very same request."}
}

// write plans one write and answers with its operation.
func (s *Server) write(w http.ResponseWriter, r *http.Request, action qbconnect.WriteAction, withBody bool) error {
	t, err := s.dataType(r)
	if err != nil {
		return err
	}
	if !containsString(t.Actions, string(action)) {
		return actionNotFound(w, r, t, action)
	}
	wait, err := s.waitParam(r, "timeout")
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	ifMatch, err := ifMatchEditSequence(r)
	if err != nil {
		return err
	}
	if ifMatch != "" && action == qbconnect.WriteCreate {
		return qbconnect.Errorf(qbconnect.EInvalid, "If-Match applies to updates, deletes and voids of a record, not to a create")
	}
	var deadline *time.Time
	if v := r.URL.Query().Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 30*24*time.Hour {
			return qbconnect.Errorf(qbconnect.EInvalid, "timeout must be a duration from 1s to 720h, such as \"10m\", not %q", v)
		}
		t := s.cfg.Now().Add(d)
		deadline = &t
	}
	var body json.RawMessage
	if withBody {
		if err := decodeJSON(w, r, &body, s.cfg.MaxJSONBody, false); err != nil {
			return err
		}
		if len(body) == 0 || body[0] != '{' {
			return qbconnect.Errorf(qbconnect.EInvalid, "the request body must be a JSON object: the record in camelCase, as the read endpoints show it")
		}
		if ifMatch != "" {
			if body, err = withEditSequence(body, ifMatch); err != nil {
				return err
			}
		}
	} else if err := decodeJSON(w, r, &struct{}{}, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	eng, err := s.syncEngine()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if ifMatch != "" && !withBody {
		if err := s.checkIfMatch(r.Context(), c, t, id, ifMatch); err != nil {
			return err
		}
	}
	meta := writeMeta{DataType: t.Name, Action: action, ID: id}
	fingerprint := ""
	if key != "" {
		fingerprint = requestFingerprint(qbconnect.OpWrite, c.ID, meta, body)
	}
	op, err := eng.PlanWrite(r.Context(), qbconnect.WriteRequest{
		OrgID: c.OrgID, CompanyID: c.ID, DataType: t.Name, Action: action, ID: id, Body: body,
		IdempotencyKey: key, Fingerprint: fingerprint, Deadline: deadline,
	})
	if err != nil {
		if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
			return &qbconnect.Error{Code: qbconnect.EConflict, Message: "company " + c.ID + " has no connection to QuickBooks",
				UserMessage: "This company is not connected to QuickBooks.", Resolution: "Create a connection and link it before writing.", Err: err}
		}
		return err
	}
	if key != "" && !sameRequest(op, fingerprint, qbconnect.OpWrite, c.ID, meta) {
		return keyReused(key)
	}
	op, err = s.waitDone(r.Context(), op, wait)
	if err != nil {
		return err
	}
	return s.writeOperation(w, r, op, wait > 0)
}

// actionNotFound answers a write the data type does not take (voiding a
// list element, deleting a read-only type) as any method a path does not
// take is answered: 404 not_found, with Allow naming the methods the data
// type's path takes (none for .../void on a type that cannot be voided, a
// path the document does not have).
func actionNotFound(w http.ResponseWriter, r *http.Request, t qbconnect.DataTypeInfo, action qbconnect.WriteAction) error {
	allowed := []string{"GET"}
	switch action {
	case qbconnect.WriteCreate:
	case qbconnect.WriteVoid:
		allowed = nil
	default:
		if containsString(t.Actions, string(qbconnect.WriteUpdate)) {
			allowed = append(allowed, "PATCH")
		}
		if containsString(t.Actions, string(qbconnect.WriteDelete)) {
			allowed = append(allowed, "DELETE")
		}
	}
	e := &qbconnect.Error{Code: qbconnect.ENotFound,
		Message:     fmt.Sprintf("no endpoint %s %s: %s cannot be %s through QuickBooks' SDK (it supports: %s)", r.Method, r.URL.Path, t.Name, pastTense(action), strings.Join(append([]string{"read"}, t.Actions...), ", ")),
		UserMessage: "QuickBooks does not allow this change to this kind of record.",
		Resolution:  "Check the data type's operations in the API reference (GET /v1/data-types lists the writes each takes)."}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		e.Message += " (allowed: " + strings.Join(allowed, ", ") + ")"
	}
	return e
}

func pastTense(a qbconnect.WriteAction) string {
	switch a {
	case qbconnect.WriteCreate:
		return "created"
	case qbconnect.WriteUpdate:
		return "updated"
	case qbconnect.WriteDelete:
		return "deleted"
	case qbconnect.WriteVoid:
		return "voided"
	}
	return string(a)
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, qbconnect.WriteCreate, true)
}

func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, qbconnect.WriteUpdate, true)
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, qbconnect.WriteDelete, false)
}

func (s *Server) voidRecord(w http.ResponseWriter, r *http.Request) error {
	return s.write(w, r, qbconnect.WriteVoid, false)
}

func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) error {
	wait, err := s.waitParam(r)
	if err != nil {
		return err
	}
	op, err := s.cfg.Queue.FindOperation(r.Context(), orgID(r.Context()), r.PathValue("operationId"))
	if err != nil {
		return notFound(err, "operation")
	}
	if op, err = s.waitDone(r.Context(), op, wait); err != nil {
		return err
	}
	v, err := s.operationView(r.Context(), op)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
