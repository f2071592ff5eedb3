// Package client is the Go client of qbconnect's REST API (/v1) that the
// qbconnect CLI, the demo and the test harnesses use, and that client
// applications may use.
//
// It is a thin layer over the client that oapi-codegen generates from the
// OpenAPI document (github.com/qbconnect/qbconnect/sdk/go/qbconnect, here
// sdk): every request is built by the generated code, from the document's
// paths, parameters and request types. This package adds what the
// generated client leaves to its users: the API key, one Go error for
// every error answer, the pages and waits the callers need, and the
// dispatch of a data type given by name (the CLI's `records COMPANY
// TYPE`) to its operation. For operations it has no method for, API
// returns the generated client itself.
//
// A status outside 2xx is returned as a *qbconnect.Error with Code,
// Message, UserMessage, Resolution, QBCode, Status and RequestID from the
// server's one error shape; network failures are returned as they are.
// Results are the generated types (Operation, SyncState, SyncRun,
// LinkCode), except companies and connections, which the server writes
// as the root package's qbconnect.Company and qbconnect.Connection and
// which are decoded as such.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/qbconnect/qbconnect"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
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

// RequestEditorFn changes a request before it is sent: the generated
// client's type.
type RequestEditorFn = sdk.RequestEditorFn

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

// API returns the generated client of the server with the API key: every
// operation of the document, with typed answers (its ...WithResponse
// methods). Pass its answers to Check to turn an error answer into a
// *qbconnect.Error.
func (c *Client) API() *sdk.ClientWithResponses {
	api, err := sdk.NewClientWithResponses(c.BaseURL+"/", c.options()...)
	if err != nil {
		// NewClientWithResponses fails only on a failing option; ours
		// do not fail.
		panic(fmt.Sprintf("client: %v", err))
	}
	return api
}

// raw returns the generated client whose methods answer *http.Response.
func (c *Client) raw() *sdk.Client {
	api, err := sdk.NewClient(c.BaseURL+"/", c.options()...)
	if err != nil {
		panic(fmt.Sprintf("client: %v", err))
	}
	return api
}

func (c *Client) options() []sdk.ClientOption {
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	key := c.APIKey
	return []sdk.ClientOption{
		sdk.WithHTTPClient(hc),
		sdk.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			req.Header.Set("Accept", "application/json")
			return nil
		}),
	}
}

// maxBody bounds an answer read into memory.
const maxBody = 64 << 20

// read reads an answer of the generated client: its body, or the error
// of an error answer or of a failed call.
func read(resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: reading the answer: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	if err := Check(resp, data); err != nil {
		return nil, err
	}
	return data, nil
}

// decode reads an answer of the generated client into a T.
func decode[T any](resp *http.Response, err error) (*T, error) {
	data, err := read(resp, err)
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("client: %s %s: unreadable answer: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return &v, nil
}

// Check returns nil for a 2xx answer and a *qbconnect.Error for any other,
// decoded from the server's error shape in body (the Body of a generated
// ...WithResponse answer) or, for an answer without one (a proxy's 502),
// described by its status.
func Check(resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	var shape sdk.Error
	e := &qbconnect.Error{Status: resp.StatusCode}
	if json.Unmarshal(body, &shape) == nil && shape.Error.Code != "" {
		b := shape.Error
		e.Code, e.Message, e.UserMessage, e.Resolution, e.RequestID = qbconnect.ErrorCode(b.Code), b.Message, b.UserMessage, b.Resolution, b.RequestId
		if b.QbCode != nil {
			e.QBCode = *b.QbCode
		}
	} else {
		e.Code = codeOfStatus(resp.StatusCode)
		e.Message = fmt.Sprintf("%s %s: %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, bytes.TrimSpace(body[:min(len(body), 200)]))
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

// limit and cursor are ListParams as the generated parameters take them.
func (p ListParams) limit() *int {
	if p.Limit <= 0 {
		return nil
	}
	return &p.Limit
}

func (p ListParams) cursor() *string {
	if p.Cursor == "" {
		return nil
	}
	return &p.Cursor
}

// ptr returns a pointer to v, or nil for the zero value: the generated
// types' optional fields.
func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}
