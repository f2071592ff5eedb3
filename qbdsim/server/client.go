package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim"
)

// Client calls a running simulator's control API (the qbdsim command and
// tests use it).
type Client struct {
	base  string
	hc    *http.Client
	token string
}

// NewClient returns a control client for the simulator at addr
// ("127.0.0.1:8765" or a URL). hc may be nil.
func NewClient(addr string, hc *http.Client) (*Client, error) {
	base, err := simclient.BaseURL(addr)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{base: base, hc: hc}, nil
}

// WithToken makes c send token (qbdsim serve --token) with every call and
// returns c.
func (c *Client) WithToken(token string) *Client {
	c.token = token
	return c
}

// BaseURL returns the simulator's base URL.
func (c *Client) BaseURL() string { return c.base }

// State returns QuickBooks' state.
func (c *Client) State(ctx context.Context) (qbdsim.State, error) {
	var st qbdsim.State
	return st, c.do(ctx, http.MethodGet, "/api/v1/state", nil, &st)
}

// StartQuickBooks starts QuickBooks.
func (c *Client) StartQuickBooks(ctx context.Context) (qbdsim.State, error) {
	var st qbdsim.State
	return st, c.do(ctx, http.MethodPost, "/api/v1/qb/start", nil, &st)
}

// StopQuickBooks closes QuickBooks.
func (c *Client) StopQuickBooks(ctx context.Context) (qbdsim.State, error) {
	var st qbdsim.State
	return st, c.do(ctx, http.MethodPost, "/api/v1/qb/stop", nil, &st)
}

// OpenFile opens a company file in QuickBooks' UI.
func (c *Client) OpenFile(ctx context.Context, in OpenRequest) (qbdsim.State, error) {
	var st qbdsim.State
	return st, c.do(ctx, http.MethodPost, "/api/v1/open", in, &st)
}

// CloseFile closes the open company file.
func (c *Client) CloseFile(ctx context.Context) (qbdsim.State, error) {
	var st qbdsim.State
	return st, c.do(ctx, http.MethodPost, "/api/v1/close-file", nil, &st)
}

// Files lists the company files.
func (c *Client) Files(ctx context.Context) (FilesResponse, error) {
	var out FilesResponse
	return out, c.do(ctx, http.MethodGet, "/api/v1/files", nil, &out)
}

// Dialogs lists the pending authorization dialogs.
func (c *Client) Dialogs(ctx context.Context) ([]qbdsim.Dialog, error) {
	var out []qbdsim.Dialog
	return out, c.do(ctx, http.MethodGet, "/api/v1/dialogs", nil, &out)
}

// Answer answers a dialog (and presses Done when in.Done).
func (c *Client) Answer(ctx context.Context, id string, in AnswerRequest) (qbdsim.Dialog, error) {
	var out qbdsim.Dialog
	return out, c.do(ctx, http.MethodPost, "/api/v1/dialogs/"+url.PathEscape(id)+"/answer", in, &out)
}

// Done presses Done on a dialog's Access Confirmation.
func (c *Client) Done(ctx context.Context, id string) (qbdsim.Dialog, error) {
	var out qbdsim.Dialog
	return out, c.do(ctx, http.MethodPost, "/api/v1/dialogs/"+url.PathEscape(id)+"/done", nil, &out)
}

// Apps returns a company file's Integrated Applications preferences.
func (c *Client) Apps(ctx context.Context, file string) (*qbdsim.IntegratedApps, error) {
	var out qbdsim.IntegratedApps
	return &out, c.do(ctx, http.MethodGet, "/api/v1/files/"+url.PathEscape(file)+"/apps", nil, &out)
}

// SetApp changes an application's properties.
func (c *Client) SetApp(ctx context.Context, file, key string, ch qbdsim.AppChange) (qbdsim.AppEntry, error) {
	var out qbdsim.AppEntry
	return out, c.do(ctx, http.MethodPatch, "/api/v1/files/"+url.PathEscape(file)+"/apps/"+url.PathEscape(key), ch, &out)
}

// RemoveApp removes an application from a company file's list.
func (c *Client) RemoveApp(ctx context.Context, file, key string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/files/"+url.PathEscape(file)+"/apps/"+url.PathEscape(key), nil, nil)
}

// SetCompanyPrefs changes the two company-wide checkboxes.
func (c *Client) SetCompanyPrefs(ctx context.Context, file string, p qbdsim.CompanyPrefs) (*qbdsim.IntegratedApps, error) {
	var out qbdsim.IntegratedApps
	return &out, c.do(ctx, http.MethodPatch, "/api/v1/files/"+url.PathEscape(file)+"/prefs", p, &out)
}

// ShowModal shows a modal dialog in QuickBooks.
func (c *Client) ShowModal(ctx context.Context, title string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/modal", ModalRequest{Title: title}, nil)
}

// DismissModal closes the modal dialog.
func (c *Client) DismissModal(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/modal", nil, nil)
}

// Faults lists the injected faults.
func (c *Client) Faults(ctx context.Context) ([]qbdsim.Fault, error) {
	var out []qbdsim.Fault
	return out, c.do(ctx, http.MethodGet, "/api/v1/faults", nil, &out)
}

// InjectFault adds a fault.
func (c *Client) InjectFault(ctx context.Context, f qbdsim.Fault) (qbdsim.Fault, error) {
	var out qbdsim.Fault
	return out, c.do(ctx, http.MethodPost, "/api/v1/faults", f, &out)
}

// ClearFaults removes every fault.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/faults", nil, nil)
}

// SetPolicy sets the dialog policy.
func (c *Client) SetPolicy(ctx context.Context, p qbdsim.Policy) error {
	return c.do(ctx, http.MethodPut, "/api/v1/policy", p, nil)
}

// SetLatency sets the latency model.
func (c *Client) SetLatency(ctx context.Context, l LatencyRequest) error {
	return c.do(ctx, http.MethodPut, "/api/v1/latency", l, nil)
}

// SetClock moves the simulator's clock to t (the zero time resets it to the
// real time) and returns the state after it.
func (c *Client) SetClock(ctx context.Context, t time.Time) (qbdsim.State, error) {
	var st qbdsim.State
	err := c.do(ctx, http.MethodPut, "/api/v1/clock", ClockRequest{Time: t, Reset: t.IsZero()}, &st)
	return st, err
}

// SetInitializing makes QuickBooks report it is still starting.
func (c *Client) SetInitializing(ctx context.Context, on bool) error {
	return c.do(ctx, http.MethodPut, "/api/v1/initializing", SwitchRequest{On: on}, nil)
}

// SetCannotStart makes starting QuickBooks fail.
func (c *Client) SetCannotStart(ctx context.Context, on bool) error {
	return c.do(ctx, http.MethodPut, "/api/v1/cannot-start", SwitchRequest{On: on}, nil)
}

// Exec runs one qbXML request as an already authorised application.
func (c *Client) Exec(ctx context.Context, file string, request []byte) ([]byte, error) {
	var out rawBody
	err := c.do(ctx, http.MethodPost, "/api/v1/exec", ExecRequest{File: file, Request: string(request)}, &out)
	return out, err
}

type rawBody []byte

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if method != http.MethodGet && method != http.MethodHead {
		// every write is JSON, even one without a body: the simulator
		// refuses other types, which a cross-site form could send
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("qbdsim is not reachable at %s (is `qbdsim serve` running?): %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e simclient.ErrorResponse
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			return fmt.Errorf("qbdsim answered %s: %s", resp.Status, bytes.TrimSpace(data))
		}
		if e.HRESULT != "" {
			hr, _ := qbd.ParseHRESULT(e.HRESULT)
			qe := &qbd.Error{HRESULT: hr, Message: e.Message}
			if e.Detail != "" {
				qe.Err = errors.New(e.Detail)
			}
			return qe
		}
		return errors.New(e.Message)
	}
	if raw, ok := out.(*rawBody); ok {
		*raw = data
		return nil
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
