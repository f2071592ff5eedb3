package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// Live calls that go to QuickBooks now: raw qbXML passthrough and the
// health check.

func (s *Server) registerLive(rs *routeSet) {
	rs.add("POST", "/v1/companies/{companyId}/qbxml", AuthAPIKey, s.passthrough)
	rs.add("GET", "/v1/companies/{companyId}/health", AuthAPIKey, s.liveHealth)
}

// linkedConnection returns the company's active connection, or a conflict
// saying the company is not connected.
func (s *Server) linkedConnection(ctx context.Context, c *qbconnect.Company) (*qbconnect.Connection, error) {
	conn, err := s.cfg.Connections.ActiveConnection(ctx, c.OrgID, c.ID)
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return nil, &qbconnect.Error{Code: qbconnect.EConflict, Message: "company " + c.ID + " has no connection to QuickBooks",
			UserMessage: "This company is not connected to QuickBooks.", Resolution: "Create a connection and link it first."}
	}
	return conn, err
}

// readQBXML reads and checks a qbXML request document: well-formed, a QBXML
// root holding one QBXMLMsgsRq, and valid against Intuit's schema, so that
// a mistake is answered now rather than by QuickBooks later.
func readQBXML(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/xml" && mt != "text/xml") {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "Content-Type must be application/xml (a qbXML request document), not %q", ct)
		}
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "Content-Encoding %q is not accepted here", enc)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, bodyReadError(err, limit)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the request body is empty; a qbXML request document is required")
	}
	// The document is stored as text: NUL and bytes that are not UTF-8 (an
	// ISO-8859-1 document, say) would be refused by PostgreSQL alone.
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, qbconnect.Errorf(qbconnect.EInvalid,
			"the qbXML request must be UTF-8 text without NUL characters (write other characters as references such as &#233;)")
	}
	root, err := qbxml.ParseNode(bytes.NewReader(data), nil)
	if err != nil {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the body is not a well-formed XML document: %v", err)
	}
	if root.Name != "QBXML" || len(root.Children) != 1 || root.Children[0].Name != "QBXMLMsgsRq" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the document must be <QBXML> holding one <QBXMLMsgsRq>")
	}
	if err := qbxml.Validate(root); err != nil {
		var ve *qbxml.ValidationError
		if errors.As(err, &ve) {
			msgs := make([]string, 0, len(ve.Problems))
			for i, p := range ve.Problems {
				if i == 10 {
					msgs = append(msgs, fmt.Sprintf("and %d more", len(ve.Problems)-10))
					break
				}
				msgs = append(msgs, p.String())
			}
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "the qbXML request does not match QuickBooks' schema: %s", strings.Join(msgs, "; "))
		}
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the qbXML request is invalid: %v", err)
	}
	return data, nil
}

// passthrough queues a raw qbXML request for the company's QuickBooks and
// answers with its operation; the qbXML answer is the operation's response.
func (s *Server) passthrough(w http.ResponseWriter, r *http.Request) error {
	wait, err := s.waitParam(r)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	doc, err := readQBXML(w, r, s.cfg.MaxJSONBody)
	if err != nil {
		return err
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	conn, err := s.linkedConnection(r.Context(), c)
	if err != nil {
		return err
	}
	fingerprint := ""
	if key != "" {
		fingerprint = requestFingerprint(qbconnect.OpQBXML, c.ID, writeMeta{}, doc)
	}
	op, err := s.cfg.Queue.Enqueue(r.Context(), &qbconnect.Operation{
		OrgID: c.OrgID, CompanyID: c.ID, ConnectionID: conn.ID, Kind: qbconnect.OpQBXML,
		Priority: qbconnect.PriorityInteractive, IdempotencyKey: key, Fingerprint: fingerprint, Request: string(doc),
	})
	if err != nil {
		return err
	}
	if key != "" && !sameRequest(op, fingerprint, qbconnect.OpQBXML, c.ID, writeMeta{}) {
		return keyReused(key)
	}
	if op, err = s.waitDone(r.Context(), op, wait); err != nil {
		return err
	}
	return s.writeOperation(w, r, op, wait > 0)
}

// hostRequest is the health check's qbXML: HostQuery answers without
// touching company data.
const hostRequest = `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><HostQueryRq requestID="health"/></QBXMLMsgsRq></QBXML>`

// healthResponse is the answer of a successful live health check.
type healthResponse struct {
	CompanyID    string         `json:"companyId"`
	ConnectionID string         `json:"connectionId"`
	Status       string         `json:"status"` // "ok"
	DurationMS   int64          `json:"durationMs"`
	CheckedAt    time.Time      `json:"checkedAt"`
	QuickBooks   quickBooksInfo `json:"quickbooks"`
}

// quickBooksInfo is what HostQuery reports about QuickBooks.
type quickBooksInfo struct {
	ProductName  string `json:"productName,omitempty"`
	MajorVersion string `json:"majorVersion,omitempty"`
	MinorVersion string `json:"minorVersion,omitempty"`
	Country      string `json:"country,omitempty"`
}

// liveHealth runs a HostQuery through the company's connection now and
// answers with its duration, or with the exact reason it failed: the
// connection's state, QuickBooks' HRESULT and message, or a time-out
// naming what the connection reports.
func (s *Server) liveHealth(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		if k != "timeout" {
			return qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q (accepted: timeout)", k)
		}
	}
	timeout := s.cfg.HealthTimeout
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > s.cfg.MaxWait {
			return qbconnect.Errorf(qbconnect.EInvalid, "timeout must be a duration from 1s to %s, such as \"10s\", not %q", s.cfg.MaxWait, v)
		}
		timeout = d
	}
	ctx := r.Context()
	c, err := s.company(r)
	if err != nil {
		return err
	}
	conn, err := s.linkedConnection(ctx, c)
	if err != nil {
		return err
	}
	switch conn.Status {
	case qbconnect.StatusLinked:
	case qbconnect.StatusPendingAuth:
		return &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "the connection " + conn.ID + " was never linked",
			UserMessage: "The connector or Web Connector has not been set up for this company yet.",
			Resolution:  "Install the connector on the QuickBooks computer and enter the link code."}
	default:
		return &qbconnect.Error{Code: qbconnect.EUnavailable, Message: fmt.Sprintf("the connection %s is %s", conn.ID, conn.Status),
			UserMessage: "This company's connection to QuickBooks is no longer active.", Resolution: "Create a new connection and link it."}
	}
	start := time.Now()
	deadline := s.cfg.Now().Add(timeout)
	op, err := s.cfg.Queue.Enqueue(ctx, &qbconnect.Operation{
		OrgID: c.OrgID, CompanyID: c.ID, ConnectionID: conn.ID, Kind: qbconnect.OpHealth,
		Priority: qbconnect.PriorityInteractive, Request: hostRequest, MaxAttempts: 1, Deadline: &deadline,
	})
	if err != nil {
		return err
	}
	if op, err = s.waitDone(ctx, op, timeout); err != nil {
		return err
	}
	took := time.Since(start)
	if !op.Status.Done() {
		// Nobody ran it: take it back so that it does not run later.
		_ = s.cfg.Queue.Cancel(context.WithoutCancel(ctx), op.OrgID, op.ID)
		return s.healthTimeout(ctx, conn, op, timeout)
	}
	if op.Status != qbconnect.OpSucceeded {
		e := *operationError(op)
		e.Message = "health check failed: " + e.Message
		return &e
	}
	info, err := hostInfo(op.Result)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, healthResponse{
		CompanyID: c.ID, ConnectionID: conn.ID, Status: qbconnect.HealthOK,
		DurationMS: took.Milliseconds(), CheckedAt: s.cfg.Now().UTC(), QuickBooks: info,
	})
	return nil
}

// healthTimeout explains a health check that got no answer in time, with
// what the connection itself reports.
func (s *Server) healthTimeout(ctx context.Context, conn *qbconnect.Connection, op *qbconnect.Operation, timeout time.Duration) error {
	if cur, err := s.cfg.Connections.LookupConnection(ctx, conn.ID); err == nil {
		conn = cur
	}
	h := conn.Health
	e := &qbconnect.Error{Code: qbconnect.ETimeout, QBCode: h.QBCode, Retryable: true}
	switch {
	case conn.Paused:
		e.Message = fmt.Sprintf("no answer within %s: the connection is paused", timeout)
		e.UserMessage, e.Resolution = "Syncing is paused on the QuickBooks computer.", "Resume syncing in the qbconnect connector."
		if h.Code == qbconnect.HealthPaused && h.Message != "" {
			// Who paused (the connector or the API) is in the health.
			e.UserMessage, e.Resolution = h.Message, h.Resolution
		}
	case h.Code != qbconnect.HealthOK:
		e.Message = fmt.Sprintf("no answer within %s: the connection reports %s: %s", timeout, h.Code, h.Message)
		e.UserMessage, e.Resolution = h.Message, h.Resolution
	case op.Status == qbconnect.OpInFlight:
		e.Message = fmt.Sprintf("QuickBooks did not answer within %s", timeout)
		e.UserMessage = "QuickBooks is busy or not responding."
		e.Resolution = "Check that QuickBooks is open and no dialog is waiting on the QuickBooks computer."
	default:
		e.Message = fmt.Sprintf("the connector did not pick up the health check within %s", timeout)
		e.UserMessage = "The qbconnect connector is not responding."
		e.Resolution = "Check that the QuickBooks computer is on and the qbconnect connector is running."
	}
	return e
}

// hostInfo reads HostRet from a HostQuery answer.
func hostInfo(resp []byte) (quickBooksInfo, error) {
	var info quickBooksInfo
	dec := qbxml.NewDecoder(bytes.NewReader(resp), &qbxml.Options{Generic: true})
	for {
		it, err := dec.Next()
		if err == io.EOF {
			return info, nil
		}
		if err != nil {
			return info, &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "the HostQuery answer could not be read", Err: err}
		}
		switch it.Kind {
		case qbxml.ItemResponse:
			if err := it.Response.Err(); err != nil {
				st := qbxml.StatusOf(it.Response.StatusCode, it.Response.StatusMessage)
				return info, &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: "health check: " + err.Error(),
					UserMessage: st.UserMessage, Resolution: st.Resolution, QBCode: fmt.Sprint(it.Response.StatusCode)}
			}
		case qbxml.ItemRecord:
			n := it.Record.ToNode()
			info.ProductName, _ = n.ChildText("ProductName")
			info.MajorVersion, _ = n.ChildText("MajorVersion")
			info.MinorVersion, _ = n.ChildText("MinorVersion")
			info.Country, _ = n.ChildText("Country")
		}
	}
}
