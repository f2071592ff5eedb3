// Package simclient is the qbd driver for the QuickBooks Desktop simulator
// (qbdsim serve): a qbd.RequestProcessor over the simulator's local HTTP API.
// It also defines that API's wire types, which the simulator's server uses.
// It imports only qbd.
package simclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
)

// Options configure a Client. The zero value is valid.
type Options struct {
	// HTTPClient makes the requests; nil means a client without a timeout
	// (BeginSession may wait for the administrator; bound calls with their
	// context).
	HTTPClient *http.Client
}

// Client is one connection to the simulator, like one QBXMLRP2
// RequestProcessor object. Use it from one goroutine at a time.
type Client struct {
	base string
	hc   *http.Client
	conn string
}

var _ qbd.RequestProcessor = (*Client)(nil)

// New returns a client for the simulator at addr ("127.0.0.1:8765" or a URL
// such as "http://127.0.0.1:8765").
func New(addr string, opt Options) (*Client, error) {
	base, err := BaseURL(addr)
	if err != nil {
		return nil, err
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: base, hc: hc}, nil
}

// BaseURL turns "host:port" or a URL into the simulator's base URL.
func BaseURL(addr string) (string, error) {
	if addr == "" {
		return "", errors.New("simclient: the simulator's address is empty")
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("simclient: bad simulator address %q", addr)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// OpenConnection implements qbd.RequestProcessor.
func (c *Client) OpenConnection(ctx context.Context, app qbd.App) error {
	if c.conn != "" {
		return &qbd.Error{HRESULT: qbd.HRUnexpected, Message: qbd.Message(qbd.HRUnexpected), Err: errors.New("simclient: the connection is already open")}
	}
	if err := app.Validate(); err != nil {
		return err
	}
	app.Program = hostPath(app.Program)
	var out ConnectionResponse
	if err := c.do(ctx, http.MethodPost, "/connections", app, &out, nil); err != nil {
		return err
	}
	c.conn = out.Connection
	return nil
}

// SetAuthPreferences implements qbd.RequestProcessor.
func (c *Client) SetAuthPreferences(ctx context.Context, prefs qbd.AuthPreferences) error {
	if err := prefs.Validate(); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, c.connPath()+"/auth-preferences", prefs, nil, nil)
}

// BeginSession implements qbd.RequestProcessor. When ctx has a deadline the
// server stops waiting for the authorization dialog a little before it, so
// the error wraps qbd.ErrAuthPending rather than a bare deadline.
func (c *Client) BeginSession(ctx context.Context, path string, mode qbd.FileMode) (string, error) {
	hdr := http.Header{}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		wait := left - min(left/10, time.Second)
		if wait > 0 {
			hdr.Set(WaitHeader, wait.String())
		}
	}
	var out BeginSessionResponse
	if err := c.do(ctx, http.MethodPost, c.connPath()+"/sessions", BeginSessionRequest{Path: path, Mode: mode.String()}, &out, hdr); err != nil {
		return "", err
	}
	return out.Ticket, nil
}

// ProcessRequest implements qbd.RequestProcessor.
func (c *Client) ProcessRequest(ctx context.Context, ticket string, request []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+PathPrefix+c.sessionPath(ticket)+"/requests", bytes.NewReader(request))
	if err != nil {
		return nil, fmt.Errorf("simclient: %w", err)
	}
	req.Header.Set("Content-Type", "application/xml")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decodeError(resp)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	return body, nil
}

// EndSession implements qbd.RequestProcessor.
func (c *Client) EndSession(ctx context.Context, ticket string) error {
	return c.do(ctx, http.MethodDelete, c.sessionPath(ticket), nil, nil, nil)
}

// CloseConnection implements qbd.RequestProcessor.
func (c *Client) CloseConnection(ctx context.Context) error {
	err := c.do(ctx, http.MethodDelete, c.connPath(), nil, nil, nil)
	c.conn = ""
	return err
}

// CurrentCompanyFileName implements qbd.RequestProcessor.
func (c *Client) CurrentCompanyFileName(ctx context.Context, ticket string) (string, error) {
	var out SessionResponse
	if err := c.do(ctx, http.MethodGet, c.sessionPath(ticket), nil, &out, nil); err != nil {
		return "", err
	}
	return out.CompanyFile, nil
}

// QBXMLVersionsForSession implements qbd.RequestProcessor.
func (c *Client) QBXMLVersionsForSession(ctx context.Context, ticket string) ([]string, error) {
	var out SessionResponse
	if err := c.do(ctx, http.MethodGet, c.sessionPath(ticket), nil, &out, nil); err != nil {
		return nil, err
	}
	return out.QBXMLVersions, nil
}

func (c *Client) connPath() string {
	conn := c.conn
	if conn == "" {
		conn = "-" // the server answers: not connected
	}
	return "/connections/" + url.PathEscape(conn)
}

func (c *Client) sessionPath(ticket string) string {
	if ticket == "" {
		ticket = "-"
	}
	return c.connPath() + "/sessions/" + url.PathEscape(ticket)
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any, hdr http.Header) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("simclient: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+PathPrefix+path, body)
	if err != nil {
		return fmt.Errorf("simclient: %w", err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("simclient: decoding the simulator's answer to %s %s: %w", method, path, err)
	}
	return nil
}

// transportError returns the context's error when the call was cancelled,
// otherwise "Could not access QuickBooks." with the transport failure as the
// cause: to the application, a simulator that cannot be reached is a
// QuickBooks that cannot be reached.
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("simclient: %w", ctx.Err())
	}
	return &qbd.Error{HRESULT: qbd.HRCouldNotAccess, Message: qbd.Message(qbd.HRCouldNotAccess), Err: fmt.Errorf("simclient: %s: %w", c.base, err)}
}

// decodeError turns a failure response into the error the simulator
// returned.
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e ErrorResponse
	if err := json.Unmarshal(data, &e); err != nil || e.Message == "" {
		return fmt.Errorf("simclient: the simulator answered %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	if e.AuthPending {
		return fmt.Errorf("simclient: %w", qbd.ErrAuthPending)
	}
	if e.HRESULT != "" {
		hr, err := qbd.ParseHRESULT(e.HRESULT)
		if err != nil {
			return fmt.Errorf("simclient: the simulator answered a bad HRESULT: %w", err)
		}
		qe := &qbd.Error{HRESULT: hr, Message: e.Message}
		if e.Detail != "" {
			qe.Err = errors.New(e.Detail)
		}
		return qe
	}
	return fmt.Errorf("qbdsim: %s", e.Message)
}
