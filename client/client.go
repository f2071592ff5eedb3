// Package client is a Go client of qbconnect's REST API (/v1), for client
// applications, the qbconnect CLI and the test harnesses.
//
// It is written by hand, shaped as the client oapi-codegen will generate
// from the OpenAPI document: one method per operation, named after it,
// taking a context, the path parameters, a typed body or query and
// optional [RequestEditorFn]s (for headers such as Idempotency-Key), and
// returning a typed result. Results use the root package's types where the
// API shows them as they are (qbconnect.Company, qbconnect.Connection) and
// this package's types where the API has a view of its own (Operation,
// SyncState, SyncRun). A status outside 2xx is returned as a
// *qbconnect.Error with Code, Message, UserMessage, Resolution, Status and
// RequestID from the server's one error shape; network failures are
// returned as they are.
//
// It imports the root package and the standard library only.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// Client calls one qbconnect server with one organisation's API key. It is
// safe for concurrent use.
type Client struct {
	// BaseURL is the server's root URL, such as http://127.0.0.1:8080
	// (without /v1); required.
	BaseURL string
	// APIKey is the organisation's key (qbk_...), sent as a bearer token.
	APIKey string
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
}

// New returns a client of the server at baseURL with apiKey.
func New(baseURL, apiKey string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), APIKey: apiKey}
}

// RequestEditorFn changes a request before it is sent, as in clients that
// oapi-codegen generates.
type RequestEditorFn func(ctx context.Context, req *http.Request) error

// WithHeader sets a request header.
func WithHeader(name, value string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set(name, value)
		return nil
	}
}

// WithIdempotencyKey sets the Idempotency-Key of a write: a repeat with
// the same key and body answers the first operation instead of writing
// twice.
func WithIdempotencyKey(key string) RequestEditorFn { return WithHeader("Idempotency-Key", key) }

// maxBody bounds an answer read into memory.
const maxBody = 64 << 20

// Do sends a request and decodes a JSON answer into out (when not nil).
// body is sent as JSON, or as it is with Content-Type application/xml
// when it is an [XML]. It is the escape hatch for operations this package
// has no method for yet.
func (c *Client) Do(ctx context.Context, method, path string, body, out any, editors ...RequestEditorFn) error {
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case XML:
		rd, contentType = strings.NewReader(string(b)), "application/xml"
	default:
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("client: %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	if rd != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	for _, e := range editors {
		if err := e(ctx, req); err != nil {
			return err
		}
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("client: %s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorOf(resp, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("client: %s %s: unreadable answer: %w", method, path, err)
		}
	}
	return nil
}

// errorOf decodes the server's error shape, or describes an answer
// without one (a proxy's 502, say) by its status.
func errorOf(resp *http.Response, data []byte) *qbconnect.Error {
	var body struct {
		Error struct {
			Code        qbconnect.ErrorCode `json:"code"`
			Message     string              `json:"message"`
			UserMessage string              `json:"userMessage"`
			Resolution  string              `json:"resolution"`
			QBCode      string              `json:"qbCode"`
			RequestID   string              `json:"requestId"`
		} `json:"error"`
	}
	e := &qbconnect.Error{Status: resp.StatusCode}
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		b := body.Error
		e.Code, e.Message, e.UserMessage, e.Resolution, e.QBCode, e.RequestID = b.Code, b.Message, b.UserMessage, b.Resolution, b.QBCode, b.RequestID
	} else {
		e.Code = codeOfStatus(resp.StatusCode)
		e.Message = fmt.Sprintf("%s %s: %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, bytes.TrimSpace(data[:min(len(data), 200)]))
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		e.Retryable = true
	}
	return e
}

// codeOfStatus is the error code of an answer that carries none.
func codeOfStatus(status int) qbconnect.ErrorCode {
	switch status {
	case http.StatusBadRequest:
		return qbconnect.EInvalid
	case http.StatusUnauthorized:
		return qbconnect.EUnauthorized
	case http.StatusForbidden:
		return qbconnect.EForbidden
	case http.StatusNotFound:
		return qbconnect.ENotFound
	case http.StatusConflict:
		return qbconnect.EConflict
	case http.StatusRequestEntityTooLarge:
		return qbconnect.ETooLarge
	case http.StatusTooManyRequests:
		return qbconnect.ERateLimited
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return qbconnect.EUnavailable
	case http.StatusGatewayTimeout:
		return qbconnect.ETimeout
	}
	return qbconnect.EInternal
}

// XML is a request body sent as it is, as application/xml (a qbXML
// document).
type XML string

// Page is one page of a list: Data, and NextCursor to pass as the next
// request's cursor (nil on the last page).
type Page[T any] struct {
	Data       []T     `json:"data"`
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
}

// ListParams pages through a list. Zero values mean the server's
// defaults (the first page, its default limit).
type ListParams struct {
	Limit  int
	Cursor string
}

func (p ListParams) query() url.Values {
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func companyPath(companyID string, rest ...string) string {
	p := "/v1/companies/" + url.PathEscape(companyID)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}

// CreateCompanyRequest is the body of POST /v1/companies.
type CreateCompanyRequest struct {
	Name       string            `json:"name"`
	ExternalID string            `json:"externalId,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	// SyncSchedule is when the company syncs by itself; nil means the
	// server's default. Every -1s means only when asked.
	SyncSchedule *qbconnect.SyncSchedule `json:"syncSchedule,omitempty"`
}

// CreateCompany creates a company (POST /v1/companies).
func (c *Client) CreateCompany(ctx context.Context, body CreateCompanyRequest, editors ...RequestEditorFn) (*qbconnect.Company, error) {
	var co qbconnect.Company
	if err := c.Do(ctx, http.MethodPost, "/v1/companies", body, &co, editors...); err != nil {
		return nil, err
	}
	return &co, nil
}

// ListCompanies lists one page of the organisation's companies (GET
// /v1/companies).
func (c *Client) ListCompanies(ctx context.Context, params ListParams, editors ...RequestEditorFn) (*Page[qbconnect.Company], error) {
	var page Page[qbconnect.Company]
	if err := c.Do(ctx, http.MethodGet, withQuery("/v1/companies", params.query()), nil, &page, editors...); err != nil {
		return nil, err
	}
	return &page, nil
}

// GetCompany returns a company (GET /v1/companies/{companyId}).
func (c *Client) GetCompany(ctx context.Context, companyID string, editors ...RequestEditorFn) (*qbconnect.Company, error) {
	var co qbconnect.Company
	if err := c.Do(ctx, http.MethodGet, companyPath(companyID), nil, &co, editors...); err != nil {
		return nil, err
	}
	return &co, nil
}

// CreateConnectionRequest is the body of POST .../connections.
type CreateConnectionRequest struct {
	Kind qbconnect.ConnectionKind `json:"kind"`
}

// CreateConnection adds a connection to a company (POST
// /v1/companies/{companyId}/connections).
func (c *Client) CreateConnection(ctx context.Context, companyID string, body CreateConnectionRequest, editors ...RequestEditorFn) (*qbconnect.Connection, error) {
	var conn qbconnect.Connection
	if err := c.Do(ctx, http.MethodPost, companyPath(companyID, "connections"), body, &conn, editors...); err != nil {
		return nil, err
	}
	return &conn, nil
}

// ListConnections lists a company's connections (GET
// /v1/companies/{companyId}/connections).
func (c *Client) ListConnections(ctx context.Context, companyID string, editors ...RequestEditorFn) ([]qbconnect.Connection, error) {
	var page Page[qbconnect.Connection]
	if err := c.Do(ctx, http.MethodGet, companyPath(companyID, "connections"), nil, &page, editors...); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// GetConnection returns a connection with its status and health (GET
// /v1/companies/{companyId}/connections/{connectionId}).
func (c *Client) GetConnection(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*qbconnect.Connection, error) {
	var conn qbconnect.Connection
	if err := c.Do(ctx, http.MethodGet, companyPath(companyID, "connections", connectionID), nil, &conn, editors...); err != nil {
		return nil, err
	}
	return &conn, nil
}

// LinkCode is a short-lived code that links a connector to a connection.
type LinkCode struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// CreateLinkCode issues a link code for a connection (POST
// .../connections/{connectionId}/link-codes).
func (c *Client) CreateLinkCode(ctx context.Context, companyID, connectionID string, editors ...RequestEditorFn) (*LinkCode, error) {
	var lc LinkCode
	if err := c.Do(ctx, http.MethodPost, companyPath(companyID, "connections", connectionID, "link-codes"), struct{}{}, &lc, editors...); err != nil {
		return nil, err
	}
	return &lc, nil
}

// Operation is a queued write or passthrough as the API shows it.
type Operation struct {
	ID        string `json:"id"`
	CompanyID string `json:"companyId"`
	Kind      string `json:"kind"`
	// Status is Pending until the operation is done, then Success,
	// Failed or TimedOut.
	Status   string `json:"status"`
	DataType string `json:"dataType,omitempty"`
	Action   string `json:"action,omitempty"`
	RecordID string `json:"recordId,omitempty"`
	// IdempotencyKey is the client's key.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	Attempts       int    `json:"attempts"`
	// Error says why a Failed or TimedOut operation failed.
	Error *OperationError `json:"error,omitempty"`
	// Record is the written record as QuickBooks answered it.
	Record json.RawMessage `json:"record,omitempty"`
	// Response is the raw qbXML answer of a passthrough.
	Response *string    `json:"response,omitempty"`
	Deadline *time.Time `json:"deadline,omitempty"`
	// CreatedAt is when the operation was accepted (durably queued);
	// CompletedAt when it finished.
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// OperationPending is the Status of an operation not done yet.
const OperationPending = "Pending"

// Done reports whether the operation has finished, well or not.
func (op *Operation) Done() bool { return op.Status != OperationPending }

// OperationError is the error of a failed operation or sync: the fields
// of the one error shape.
type OperationError struct {
	Code        qbconnect.ErrorCode `json:"code"`
	Message     string              `json:"message"`
	UserMessage string              `json:"userMessage"`
	Resolution  string              `json:"resolution"`
	QBCode      string              `json:"qbCode,omitempty"`
}

// GetOperationParams are the query parameters of GET /v1/operations/{id}.
type GetOperationParams struct {
	// Wait, when positive, holds the answer until the operation is done
	// or Wait has passed (a long poll).
	Wait time.Duration
}

// GetOperation returns an operation (GET /v1/operations/{operationId}).
func (c *Client) GetOperation(ctx context.Context, operationID string, params GetOperationParams, editors ...RequestEditorFn) (*Operation, error) {
	q := url.Values{}
	if params.Wait > 0 {
		q.Set("wait", params.Wait.String())
	}
	var op Operation
	if err := c.Do(ctx, http.MethodGet, withQuery("/v1/operations/"+url.PathEscape(operationID), q), nil, &op, editors...); err != nil {
		return nil, err
	}
	return &op, nil
}

// CreateRecord queues a write of a new record of a data type
// ("customers", "invoices", ...) and returns its operation (POST
// /v1/companies/{companyId}/{dataType}). Pass WithIdempotencyKey.
func (c *Client) CreateRecord(ctx context.Context, companyID, dataType string, record any, editors ...RequestEditorFn) (*Operation, error) {
	var op Operation
	if err := c.Do(ctx, http.MethodPost, companyPath(companyID, dataType), record, &op, editors...); err != nil {
		return nil, err
	}
	return &op, nil
}

// ListRecords lists one page of a data type's records, each as the JSON
// the API shows (GET /v1/companies/{companyId}/{dataType}); filters are
// the type's filter query parameters.
func (c *Client) ListRecords(ctx context.Context, companyID, dataType string, params ListParams, filters url.Values, editors ...RequestEditorFn) (*Page[json.RawMessage], error) {
	q := params.query()
	for k, v := range filters {
		q[k] = v
	}
	var page Page[json.RawMessage]
	if err := c.Do(ctx, http.MethodGet, withQuery(companyPath(companyID, dataType), q), nil, &page, editors...); err != nil {
		return nil, err
	}
	return &page, nil
}

// Passthrough queues a raw qbXML request and returns its operation, whose
// Response holds QuickBooks' answer once done (POST
// /v1/companies/{companyId}/qbxml).
func (c *Client) Passthrough(ctx context.Context, companyID string, qbxml XML, editors ...RequestEditorFn) (*Operation, error) {
	var op Operation
	if err := c.Do(ctx, http.MethodPost, companyPath(companyID, "qbxml"), qbxml, &op, editors...); err != nil {
		return nil, err
	}
	return &op, nil
}

// SyncState is one data type's sync as the API shows it.
type SyncState struct {
	DataType        string                `json:"dataType"`
	Status          qbconnect.SyncStatus  `json:"status"`
	Mode            qbconnect.SyncMode    `json:"mode,omitempty"`
	Trigger         qbconnect.SyncTrigger `json:"trigger,omitempty"`
	RunID           string                `json:"runId,omitempty"`
	Pages           int                   `json:"pages"`
	Fetched         int                   `json:"fetched"`
	Deleted         int                   `json:"deleted"`
	Remaining       int                   `json:"remaining"`
	Restarts        int                   `json:"restarts"`
	StartedAt       *time.Time            `json:"startedAt,omitempty"`
	LastCompletedAt *time.Time            `json:"lastCompletedAt,omitempty"`
	LastFullSyncAt  *time.Time            `json:"lastFullSyncAt,omitempty"`
	Error           *OperationError       `json:"error,omitempty"`
	UpdatedAt       *time.Time            `json:"updatedAt,omitempty"`
}

// StartSync starts a sync of a company's data types and returns their
// states (POST /v1/companies/{companyId}/sync).
func (c *Client) StartSync(ctx context.Context, companyID string, body qbconnect.SyncRequest, editors ...RequestEditorFn) ([]SyncState, error) {
	var page Page[SyncState]
	if err := c.Do(ctx, http.MethodPost, companyPath(companyID, "sync"), body, &page, editors...); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// GetSyncStatus returns the sync of every data type of a company (GET
// /v1/companies/{companyId}/sync-status).
func (c *Client) GetSyncStatus(ctx context.Context, companyID string, editors ...RequestEditorFn) ([]SyncState, error) {
	var page Page[SyncState]
	if err := c.Do(ctx, http.MethodGet, companyPath(companyID, "sync-status"), nil, &page, editors...); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// SyncRun is one pass of a company's sync history.
type SyncRun struct {
	ID         string                `json:"id"`
	DataType   string                `json:"dataType"`
	Mode       qbconnect.SyncMode    `json:"mode"`
	Trigger    qbconnect.SyncTrigger `json:"trigger"`
	Status     qbconnect.SyncStatus  `json:"status"`
	Pages      int                   `json:"pages"`
	Fetched    int                   `json:"fetched"`
	Deleted    int                   `json:"deleted"`
	Restarts   int                   `json:"restarts"`
	StartedAt  time.Time             `json:"startedAt"`
	FinishedAt *time.Time            `json:"finishedAt,omitempty"`
	DurationMS int64                 `json:"durationMs"`
	Error      *OperationError       `json:"error,omitempty"`
}

// ListSyncRuns lists one page of a company's sync history (GET
// /v1/companies/{companyId}/sync-runs).
func (c *Client) ListSyncRuns(ctx context.Context, companyID string, params ListParams, editors ...RequestEditorFn) (*Page[SyncRun], error) {
	var page Page[SyncRun]
	if err := c.Do(ctx, http.MethodGet, withQuery(companyPath(companyID, "sync-runs"), params.query()), nil, &page, editors...); err != nil {
		return nil, err
	}
	return &page, nil
}
