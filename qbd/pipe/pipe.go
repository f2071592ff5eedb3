// Package pipe carries a qbd.RequestProcessor over a byte stream, one JSON
// message per line: Serve answers calls on the side that owns the real
// driver, Client makes them on the other side.
//
// It exists because QuickBooks identifies an Integrated Application by the
// code signature of the process that calls it. A connector that wants
// QuickBooks to see another executable (the candidate release of a
// certificate handover) runs that executable as a child process that
// serves its own driver on its standard input and output; the parent's
// calls then reach QuickBooks as the child's. The package imports only
// qbd and may be used by any program.
package pipe

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
)

// maxLine bounds one message: qbXML answers may be large.
const maxLine = 1 << 30

// call is one request from Client to Serve.
type call struct {
	ID     uint64               `json:"id"`
	Method string               `json:"method"`
	App    *qbd.App             `json:"app,omitempty"`
	Prefs  *qbd.AuthPreferences `json:"prefs,omitempty"`
	Path   string               `json:"path,omitempty"`
	Mode   qbd.FileMode         `json:"mode,omitempty"`
	Ticket string               `json:"ticket,omitempty"`
	Body   []byte               `json:"body,omitempty"`
	// WaitMillis bounds the call on the serving side (the caller's
	// deadline); 0 means no bound.
	WaitMillis int64 `json:"waitMillis,omitempty"`
}

// reply answers a call.
type reply struct {
	ID       uint64   `json:"id"`
	Ticket   string   `json:"ticket,omitempty"`
	Body     []byte   `json:"body,omitempty"`
	Path     string   `json:"path,omitempty"`
	Versions []string `json:"versions,omitempty"`
	Err      *wireErr `json:"error,omitempty"`
}

// wireErr keeps what callers switch on: the HRESULT and whether an
// authorization dialog is still waiting.
type wireErr struct {
	HRESULT     uint32 `json:"hresult,omitempty"`
	Message     string `json:"message"`
	AuthPending bool   `json:"authPending,omitempty"`
}

func encodeErr(err error) *wireErr {
	if err == nil {
		return nil
	}
	w := &wireErr{Message: err.Error(), AuthPending: errors.Is(err, qbd.ErrAuthPending)}
	var qe *qbd.Error
	if errors.As(err, &qe) {
		w.HRESULT, w.Message = qe.HRESULT, qe.Message
	}
	return w
}

func (w *wireErr) decode() error {
	switch {
	case w == nil:
		return nil
	case w.AuthPending:
		return fmt.Errorf("pipe: %w", qbd.ErrAuthPending)
	case w.HRESULT != 0:
		return &qbd.Error{HRESULT: w.HRESULT, Message: w.Message}
	}
	return errors.New(w.Message)
}

// Serve answers calls read from r with rp, writing replies to w, until r
// ends (nil) or ctx ends. Calls are answered one at a time, in order, as
// the COM object would. OpenConnection's App.Program is replaced by
// program when program is not empty: the serving process speaks for
// itself.
func Serve(ctx context.Context, rp qbd.RequestProcessor, program string, r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	enc := json.NewEncoder(w)
	for sc.Scan() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var c call
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return fmt.Errorf("pipe: reading a call: %w", err)
		}
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if c.WaitMillis > 0 {
			cctx, cancel = context.WithTimeout(ctx, time.Duration(c.WaitMillis)*time.Millisecond)
		}
		rep := reply{ID: c.ID}
		var err error
		switch c.Method {
		case "OpenConnection":
			app := qbd.App{}
			if c.App != nil {
				app = *c.App
			}
			if program != "" {
				app.Program = program
			}
			err = rp.OpenConnection(cctx, app)
		case "SetAuthPreferences":
			p := qbd.AuthPreferences{}
			if c.Prefs != nil {
				p = *c.Prefs
			}
			err = rp.SetAuthPreferences(cctx, p)
		case "BeginSession":
			rep.Ticket, err = rp.BeginSession(cctx, c.Path, c.Mode)
		case "ProcessRequest":
			rep.Body, err = rp.ProcessRequest(cctx, c.Ticket, c.Body)
		case "EndSession":
			err = rp.EndSession(cctx, c.Ticket)
		case "CloseConnection":
			err = rp.CloseConnection(cctx)
		case "CurrentCompanyFileName":
			rep.Path, err = rp.CurrentCompanyFileName(cctx, c.Ticket)
		case "QBXMLVersionsForSession":
			rep.Versions, err = rp.QBXMLVersionsForSession(cctx, c.Ticket)
		default:
			err = fmt.Errorf("pipe: unknown method %q", c.Method)
		}
		cancel()
		rep.Err = encodeErr(err)
		if err := enc.Encode(&rep); err != nil {
			return fmt.Errorf("pipe: writing a reply: %w", err)
		}
	}
	return sc.Err()
}

// Client is a qbd.RequestProcessor whose calls are answered by Serve at
// the other end of a stream. Like the COM object, it is for one goroutine
// at a time.
type Client struct {
	w     io.Writer
	sc    *bufio.Scanner
	close func() error
	next  uint64

	mu     sync.Mutex
	broken error
}

var _ qbd.RequestProcessor = (*Client)(nil)

// NewClient returns a client that writes calls to w and reads replies
// from r; close (may be nil) is called by Close.
func NewClient(r io.Reader, w io.Writer, close func() error) *Client {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	return &Client{w: w, sc: sc, close: close}
}

// Start runs program with args as a child process serving its driver on
// its standard input and output (stderr goes to stderr, which may be nil)
// and returns a client of it. Close stops the child.
func Start(program string, args []string, stderr io.Writer) (*Client, error) {
	cmd := exec.Command(program, args...)
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pipe: starting %s: %w", program, err)
	}
	var once sync.Once
	var werr error
	stop := func() error {
		once.Do(func() {
			in.Close()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case werr = <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				werr = <-done
			}
		})
		return werr
	}
	return NewClient(out, in, stop), nil
}

// Close ends the stream (and the child process, for Start).
func (c *Client) Close() error {
	if c.close == nil {
		return nil
	}
	return c.close()
}

// do sends one call and waits for its reply. A call whose context ends
// first breaks the client (the reply would come out of turn): the caller
// gets the context's error, and the next calls an error until Close.
func (c *Client) do(ctx context.Context, cl call) (*reply, error) {
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if broken != nil {
		return nil, broken
	}
	c.next++
	cl.ID = c.next
	grace := time.Duration(0)
	if dl, ok := ctx.Deadline(); ok {
		// The serving side stops a little before the caller's deadline,
		// so that its answer (auth pending, say) arrives in time.
		left := time.Until(dl)
		grace = min(left/10, time.Second)
		if wait := left - grace; wait > 0 {
			cl.WaitMillis = wait.Milliseconds()
		}
	}
	data, err := json.Marshal(&cl)
	if err != nil {
		return nil, err
	}
	if _, err := c.w.Write(append(data, '\n')); err != nil {
		return nil, c.fail(&qbd.Error{HRESULT: qbd.HRCouldNotAccess, Message: qbd.Message(qbd.HRCouldNotAccess), Err: fmt.Errorf("pipe: %w", err)})
	}
	got := make(chan *reply, 1)
	failed := make(chan error, 1)
	go func() {
		if !c.sc.Scan() {
			err := c.sc.Err()
			if err == nil {
				err = io.EOF
			}
			failed <- err
			return
		}
		var r reply
		if err := json.Unmarshal(c.sc.Bytes(), &r); err != nil {
			failed <- err
			return
		}
		got <- &r
	}()
	var stop <-chan struct{} = ctx.Done()
	if grace > 0 {
		// Leave the serving side its grace to answer.
		t, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Until(mustDeadline(ctx))+grace)
		defer cancel()
		stop = t.Done()
	}
	select {
	case r := <-got:
		if r.ID != cl.ID {
			return nil, c.fail(fmt.Errorf("pipe: reply %d to call %d", r.ID, cl.ID))
		}
		return r, r.Err.decode()
	case err := <-failed:
		return nil, c.fail(&qbd.Error{HRESULT: qbd.HRCouldNotAccess, Message: qbd.Message(qbd.HRCouldNotAccess), Err: fmt.Errorf("pipe: the serving process ended: %w", err)})
	case <-stop:
		c.fail(fmt.Errorf("pipe: a call was abandoned: %w", context.Cause(ctx)))
		if cl.Method == "BeginSession" {
			return nil, fmt.Errorf("pipe: %w: %w", qbd.ErrAuthPending, ctx.Err())
		}
		return nil, ctx.Err()
	}
}

func mustDeadline(ctx context.Context) time.Time {
	dl, _ := ctx.Deadline()
	return dl
}

func (c *Client) fail(err error) error {
	c.mu.Lock()
	if c.broken == nil {
		c.broken = err
	}
	c.mu.Unlock()
	return err
}

// OpenConnection implements qbd.RequestProcessor.
func (c *Client) OpenConnection(ctx context.Context, app qbd.App) error {
	_, err := c.do(ctx, call{Method: "OpenConnection", App: &app})
	return err
}

// SetAuthPreferences implements qbd.RequestProcessor.
func (c *Client) SetAuthPreferences(ctx context.Context, prefs qbd.AuthPreferences) error {
	_, err := c.do(ctx, call{Method: "SetAuthPreferences", Prefs: &prefs})
	return err
}

// BeginSession implements qbd.RequestProcessor.
func (c *Client) BeginSession(ctx context.Context, path string, mode qbd.FileMode) (string, error) {
	r, err := c.do(ctx, call{Method: "BeginSession", Path: path, Mode: mode})
	if err != nil {
		return "", err
	}
	return r.Ticket, nil
}

// ProcessRequest implements qbd.RequestProcessor.
func (c *Client) ProcessRequest(ctx context.Context, ticket string, request []byte) ([]byte, error) {
	r, err := c.do(ctx, call{Method: "ProcessRequest", Ticket: ticket, Body: request})
	if err != nil {
		return nil, err
	}
	return r.Body, nil
}

// EndSession implements qbd.RequestProcessor.
func (c *Client) EndSession(ctx context.Context, ticket string) error {
	_, err := c.do(ctx, call{Method: "EndSession", Ticket: ticket})
	return err
}

// CloseConnection implements qbd.RequestProcessor.
func (c *Client) CloseConnection(ctx context.Context) error {
	_, err := c.do(ctx, call{Method: "CloseConnection"})
	return err
}

// CurrentCompanyFileName implements qbd.RequestProcessor.
func (c *Client) CurrentCompanyFileName(ctx context.Context, ticket string) (string, error) {
	r, err := c.do(ctx, call{Method: "CurrentCompanyFileName", Ticket: ticket})
	if err != nil {
		return "", err
	}
	return r.Path, nil
}

// QBXMLVersionsForSession implements qbd.RequestProcessor.
func (c *Client) QBXMLVersionsForSession(ctx context.Context, ticket string) ([]string, error) {
	r, err := c.do(ctx, call{Method: "QBXMLVersionsForSession", Ticket: ticket})
	if err != nil {
		return nil, err
	}
	return r.Versions, nil
}
