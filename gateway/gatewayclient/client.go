// Package gatewayclient is the connector's side of the connector gateway
// protocol (package gateway, gateway/PROTOCOL.md) over HTTP: Client
// implements gateway.Service, gateway.Control and gateway.Updates against
// a platform's /gateway/v1.
package gatewayclient

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
)

// Options configures a Client. The zero value is usable.
type Options struct {
	// HTTPClient sends the requests; nil means a client without an overall
	// time-out (each call is bounded by its context, and Poll by its wait).
	HTTPClient *http.Client
	// Credential is the connector credential from an earlier Link; "" until
	// the connector is linked.
	Credential string
	// UserAgent is sent with every request; "" means "qbconnect-gateway/v1".
	UserAgent string
	// MaxRetries is how many times PostResult and ReportState (both
	// idempotent) are retried after a temporary failure; 0 means 3, negative
	// means never.
	MaxRetries int
	// RetryBackoff is the first wait between retries when the platform sent
	// no Retry-After; it doubles with each retry. 0 means one second.
	RetryBackoff time.Duration
	// MaxRetryAfter caps a Retry-After the platform asks for; 0 means one
	// minute.
	MaxRetryAfter time.Duration
	// After waits for a duration; nil means time.After. Tests inject it.
	After func(time.Duration) <-chan time.Time
	// CompressAbove is the body size in bytes above which a result is sent
	// gzip-compressed; 0 means 1024, negative means never.
	CompressAbove int
}

// Client is the connector's side of the protocol over HTTP. It implements
// gateway.Service and is safe for concurrent use.
type Client struct {
	base *url.URL
	opts Options

	mu         sync.Mutex
	credential string
}

var _ gateway.Service = (*Client)(nil)

// NewClient returns a client for the platform at baseURL (such as
// "https://platform.example.com"); a path in baseURL is kept as a prefix.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("gateway: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("gateway: base URL %q must be http(s)://host[:port]", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "qbconnect-gateway/" + gateway.Version
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = time.Minute
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.CompressAbove == 0 {
		opts.CompressAbove = 1024
	}
	return &Client{base: u, opts: opts, credential: opts.Credential}, nil
}

// Credential returns the connector credential, set by a Link that created a
// new connector or by Options.Credential.
func (c *Client) Credential() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.credential
}

// Link redeems a link code. When the client already has a credential, the
// company is added to the same connector; otherwise the platform creates a
// connector and the client keeps its credential.
func (c *Client) Link(ctx context.Context, req gateway.LinkRequest) (*gateway.LinkResponse, error) {
	body, err := c.encode(req, false)
	if err != nil {
		return nil, err
	}
	var resp gateway.LinkResponse
	if _, err := c.do(ctx, http.MethodPost, gateway.PathLink, nil, body, false, &resp); err != nil {
		return nil, err
	}
	if resp.Credential != "" {
		c.mu.Lock()
		c.credential = resp.Credential
		c.mu.Unlock()
	}
	return &resp, nil
}

// Poll long-polls for the next work item.
func (c *Client) Poll(ctx context.Context, req gateway.PollRequest) (*gateway.PollResponse, error) {
	wait := min(max(req.Wait, 0), gateway.MaxPollWait)
	// The platform answers within wait; the margin covers a slow network,
	// and the deadline catches a connection that silently died.
	ctx, cancel := context.WithTimeout(ctx, wait+30*time.Second)
	defer cancel()
	q := url.Values{"wait": {strconv.FormatFloat(wait.Seconds(), 'f', -1, 64) + "s"}}
	var resp gateway.PollResponse
	status, err := c.do(ctx, http.MethodGet, gateway.PathWork, q, nil, false, &resp)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent {
		return &gateway.PollResponse{}, nil
	}
	return &resp, nil
}

// PostResult posts a work item's outcome, gzip-compressed when large, and
// retries temporary failures (honouring Retry-After): the platform applies a
// result at most once. With r.Next it asks for the connector's next item
// (?next=1); a retry whose first answer was lost is not applied and brings
// no item, and the connector's next poll is offered the item that answer
// carried.
func (c *Client) PostResult(ctx context.Context, r gateway.Result) (*gateway.ResultAck, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	path := strings.Replace(gateway.PathResult, "{itemId}", url.PathEscape(r.ItemID), 1)
	var q url.Values
	if r.Next {
		q = url.Values{gateway.QueryNext: {"1"}}
	}
	return postRetried[gateway.ResultAck](ctx, c, path, q, r, true)
}

// ExtendLease extends a work item's lease, retrying temporary failures.
func (c *Client) ExtendLease(ctx context.Context, req gateway.LeaseRequest) (*gateway.LeaseResponse, error) {
	if req.ItemID == "" || req.LeaseID == "" {
		return nil, errors.New("extend lease: item ID and lease ID are required")
	}
	path := strings.Replace(gateway.PathLease, "{itemId}", url.PathEscape(req.ItemID), 1)
	return postRetried[gateway.LeaseResponse](ctx, c, path, nil, req, false)
}

// ReportState reports the connector's state, retrying temporary failures.
func (c *Client) ReportState(ctx context.Context, s gateway.State) (*gateway.StateResponse, error) {
	return postRetried[gateway.StateResponse](ctx, c, gateway.PathState, nil, s, false)
}

// postRetried posts v as JSON (gzip-compressed when compress and large)
// to path with query q (nil for none) and the connector's credential,
// retrying temporary failures, and decodes the answer.
func postRetried[T any](ctx context.Context, c *Client, path string, q url.Values, v any, compress bool) (*T, error) {
	body, err := c.encode(v, compress)
	if err != nil {
		return nil, err
	}
	var resp T
	if err := c.retry(ctx, func() error {
		_, err := c.do(ctx, http.MethodPost, path, q, body, true, &resp)
		return err
	}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// encodedBody is a request body ready to send (and to send again).
type encodedBody struct {
	data    []byte
	gzipped bool
}

func (c *Client) encode(v any, compress bool) (*encodedBody, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // qbXML is full of < and >
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("gateway: encode request: %w", err)
	}
	if !compress || c.opts.CompressAbove < 0 || buf.Len() <= c.opts.CompressAbove {
		return &encodedBody{data: buf.Bytes()}, nil
	}
	var zbuf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zbuf, gzip.BestSpeed) // results are large; speed over ratio
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return nil, fmt.Errorf("gateway: compress request: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gateway: compress request: %w", err)
	}
	return &encodedBody{data: zbuf.Bytes(), gzipped: true}, nil
}

// retry runs call until it succeeds, fails permanently, or retries run out.
func (c *Client) retry(ctx context.Context, call func() error) error {
	backoff := c.opts.RetryBackoff
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil || attempt >= c.opts.MaxRetries || ctx.Err() != nil {
			return err
		}
		wait, ok := c.retryWait(err, backoff)
		if !ok {
			return err
		}
		backoff *= 2
		select {
		case <-ctx.Done():
			return err
		case <-c.opts.After(wait):
		}
	}
}

// retryWait says whether err is worth retrying and after how long.
func (c *Client) retryWait(err error, backoff time.Duration) (time.Duration, bool) {
	var e *gateway.Error
	if errors.As(err, &e) {
		if !e.Temporary() {
			return 0, false
		}
		if e.RetryAfter > 0 {
			return min(e.RetryAfter, c.opts.MaxRetryAfter), true
		}
		return backoff, true
	}
	var te *transportError
	if errors.As(err, &te) {
		return backoff, true
	}
	return 0, false
}

// transportError is a failure to get any answer from the platform.
type transportError struct{ err error }

func (e *transportError) Error() string { return "gateway: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// do sends one request and decodes a 2xx JSON answer into out. It returns
// the HTTP status; a non-2xx answer is an *gateway.Error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body *encodedBody, auth bool, out any) (int, error) {
	// path is already escaped (item IDs are escaped by the caller).
	u := *c.base
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return 0, fmt.Errorf("gateway: path %q: %w", path, err)
	}
	u.RawPath = c.base.EscapedPath() + path
	u.Path += unescaped
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body.data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, fmt.Errorf("gateway: %w", err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if body.gzipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	if cred := c.Credential(); cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	} else if auth || method == http.MethodGet {
		return 0, &gateway.Error{Code: gateway.CodeUnauthorized, Message: "the connector is not linked: no credential"}
	}
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &transportError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, decodeError(resp)
	}
	if resp.StatusCode == http.StatusNoContent || out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, &transportError{fmt.Errorf("decode %s %s answer: %w", method, path, err)}
	}
	return resp.StatusCode, nil
}

// decodeError turns a non-2xx answer into an *gateway.Error, whatever its body.
func decodeError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var body gateway.ErrorBody
	e := &body.Error
	if err := json.Unmarshal(data, &body); err != nil || e.Code == "" {
		e.Code = codeForStatus(resp.StatusCode)
		e.Message = strings.TrimSpace(fmt.Sprintf("%s %s", resp.Status, firstLine(data)))
	}
	e.Status = resp.StatusCode
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now)
	return e
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// codeForStatus names the error of an answer that did not use the error
// shape (a proxy's page, for instance).
func codeForStatus(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return gateway.CodeUnauthorized
	case status == http.StatusNotFound:
		return gateway.CodeNotFound
	case status == http.StatusConflict:
		return gateway.CodeConflict
	case status == http.StatusRequestEntityTooLarge:
		return gateway.CodeTooLarge
	case status == http.StatusTooManyRequests:
		return gateway.CodeRateLimited
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return gateway.CodeUnavailable
	case status >= 500:
		return gateway.CodeInternal
	default:
		return gateway.CodeInvalid
	}
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now func() time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now()), 0)
	}
	return 0
}

var _ gateway.Control = (*Client)(nil)

func connectionPath(pattern, id string) (string, error) {
	if id == "" {
		return "", errors.New("gateway: connection ID is empty")
	}
	return strings.Replace(pattern, "{connectionId}", url.PathEscape(id), 1), nil
}

// RequestSync implements gateway.Control.
func (c *Client) RequestSync(ctx context.Context, connectionID string) (*gateway.SyncResponse, error) {
	path, err := connectionPath(gateway.PathSync, connectionID)
	if err != nil {
		return nil, err
	}
	return postRetried[gateway.SyncResponse](ctx, c, path, nil, struct{}{}, false)
}

// Unlink implements gateway.Control.
func (c *Client) Unlink(ctx context.Context, connectionID string) error {
	path, err := connectionPath(gateway.PathConnection, connectionID)
	if err != nil {
		return err
	}
	return c.retry(ctx, func() error {
		_, err := c.do(ctx, http.MethodDelete, path, nil, nil, true, nil)
		return err
	})
}

var _ gateway.Updates = (*Client)(nil)

// CheckUpdate implements gateway.Updates.
func (c *Client) CheckUpdate(ctx context.Context, platform string) (*gateway.UpdateOffer, error) {
	var offer gateway.UpdateOffer
	status, err := c.do(ctx, http.MethodGet, gateway.PathUpdate, url.Values{"platform": {platform}}, nil, true, &offer)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent {
		return nil, nil
	}
	return &offer, nil
}

// Download implements gateway.Updates.
func (c *Client) Download(ctx context.Context, version string, ref gateway.ArtifactRef, w io.Writer) error {
	if ref.Size < 0 || ref.Size > gateway.MaxArtifactSize {
		return fmt.Errorf("gateway: artifact %s: size %d is out of range", ref.Name, ref.Size)
	}
	u := *c.base
	u.Path += "/gateway/" + gateway.Version + "/releases/" + version + "/artifacts/" + ref.Name
	u.RawPath = c.base.EscapedPath() + gateway.ArtifactPath(version, ref.Name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	cred := c.Credential()
	if cred == "" {
		return &gateway.Error{Code: gateway.CodeUnauthorized, Message: "the connector is not linked: no credential"}
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, ref.Size+1))
	if err != nil {
		return &transportError{fmt.Errorf("download %s: %w", ref.Name, err)}
	}
	if n != ref.Size {
		return fmt.Errorf("gateway: %s: %w: got %d bytes, the release says %d", ref.Name, gateway.ErrChecksum, n, ref.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(ref.SHA256) {
		return fmt.Errorf("gateway: %s: %w: SHA-256 %s, the release says %s", ref.Name, gateway.ErrChecksum, got, ref.SHA256)
	}
	return nil
}

// ReportUpdate implements gateway.Updates.
func (c *Client) ReportUpdate(ctx context.Context, r gateway.UpdateReport) error {
	body, err := c.encode(r, false)
	if err != nil {
		return err
	}
	return c.retry(ctx, func() error {
		_, err := c.do(ctx, http.MethodPost, gateway.PathUpdateReport, nil, body, true, nil)
		return err
	})
}
