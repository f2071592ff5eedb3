// Package scenario holds the certificate-rotation scenarios of the
// certificate-expiry notice (reference seed-certificate-notice.md) as
// scripts: each step says what happens or what the end user does, does it,
// and names the state that the connector's local UI and the platform's
// connection health must then both show. `qbconnect demo --scenario NAME`
// plays them with narration; the end-to-end tests in e2e/ play the very
// same scripts over real processes and add their own checks after each
// step (webhooks, the connector UI in a browser).
//
// A World is everything a scenario touches, over the same HTTP interfaces
// a person or a client application would use: the simulator's control API
// (QuickBooks and its administrator), the platform's REST API (the client
// application) and the connector's local API (the end user). Only the
// installation of connectors differs between the demo (in process) and the
// tests (processes), so those are functions.
package scenario

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/server"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// Operation is an operation as the REST API shows it.
type Operation = client.Operation

// Operation statuses as the REST API shows them.
const (
	OpPending = client.OperationPending
	OpSuccess = sdk.OperationStatusSuccess
)

// Link is one linked company: the client's company and its connection.
type Link struct {
	CompanyID    string
	ConnectionID string
	// File and CompanyName are the QuickBooks company file it is linked to.
	File        string
	CompanyName string
}

// LocalUI is the connector's local web UI: its base URL (with the token
// in the query, as `qbconnector ui` prints it).
type LocalUI struct {
	URL string
}

// base returns the UI's scheme and host, and its token.
func (u LocalUI) base() (string, string, error) {
	pu, err := url.Parse(u.URL)
	if err != nil || pu.Host == "" {
		return "", "", fmt.Errorf("scenario: bad connector UI URL %q", u.URL)
	}
	return pu.Scheme + "://" + pu.Host, pu.Query().Get("token"), nil
}

func (u LocalUI) do(ctx context.Context, method, path string, out any) error {
	base, token, err := u.base()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("connector UI %s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// World is what the scenarios act on and observe. Every field is required
// except Say.
type World struct {
	// Sim is QuickBooks (the simulator's control API).
	Sim *server.Client
	// Platform is the client application's view of the platform.
	Platform *client.Client
	// Conn is the company the scenario's end user linked; Other is the
	// other company file the same business keeps.
	Conn  Link
	Other Link
	// UI returns the running connector's local UI (it changes when the
	// connector restarts).
	UI func() LocalUI
	// Update installs the connector release signed with certificate B
	// and starts it in place of the running one (signed with A), as the
	// connector's self-update does.
	Update func(ctx context.Context) error
	// NewUser installs the release signed with certificate B for a new
	// business and links Other's file (open in QuickBooks) to a new
	// company; approve runs while `link` waits for QuickBooks'
	// administrator. It returns the new link; the new connector runs in
	// place of the old one.
	NewUser func(ctx context.Context, approve func(context.Context) error) (Link, error)
	// Thumbprints of certificates A and B (SHA-1 hex).
	ThumbprintA, ThumbprintB string
	// Say receives the narration; nil discards it.
	Say func(format string, args ...any)
	// Timeout bounds each wait for a state; 0 means 30 seconds.
	Timeout time.Duration

	writes  []write
	dialogs int
}

// write is a client write the scenario queued.
type write struct{ opID, customer string }

func (w *World) say(format string, args ...any) {
	if w.Say != nil {
		w.Say(format, args...)
	}
}

func (w *World) timeout() time.Duration {
	if w.Timeout > 0 {
		return w.Timeout
	}
	return 30 * time.Second
}

// poll calls cond until it reports done, an error, or the timeout.
func (w *World) poll(ctx context.Context, what string, cond func() (bool, string, error)) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout())
	defer cancel()
	return wait.Until(ctx, what, cond)
}

// Status returns the connector's status from its local API.
func (w *World) Status(ctx context.Context) (connector.Status, error) {
	var st connector.Status
	err := w.UI().do(ctx, http.MethodGet, "/api/status", &st)
	return st, err
}

// Health returns the platform's health of the scenario's connection.
func (w *World) Health(ctx context.Context) (qbconnect.Health, error) {
	c, err := w.Platform.GetConnection(ctx, w.Conn.CompanyID, w.Conn.ConnectionID)
	if err != nil {
		return qbconnect.Health{}, err
	}
	return c.Health, nil
}

// PerformSync presses Perform Sync in the connector's UI.
func (w *World) PerformSync(ctx context.Context) error {
	return w.UI().do(ctx, http.MethodPost, "/api/files/"+w.Conn.ConnectionID+"/sync", nil)
}

// Expect waits until the connector's local UI and the platform's health of
// the connection both show code, then checks that both messages contain
// every one of texts.
func (w *World) Expect(ctx context.Context, code string, texts ...string) error {
	var local, remote string
	err := w.poll(ctx, "state "+code, func() (bool, string, error) {
		st, err := w.Status(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		fs := st.File(w.Conn.ConnectionID)
		if fs == nil {
			return false, "the connector does not serve the connection yet", nil
		}
		h, err := w.Health(ctx)
		if err != nil {
			return false, "", err
		}
		local, remote = fs.Shown.Message, h.Message
		seen := fmt.Sprintf("connector %s (%s), platform %s (%s)", fs.Shown.Code, fs.Shown.Message, h.Code, h.Message)
		return fs.Shown.Code == code && h.Code == code, seen, nil
	})
	if err != nil {
		return err
	}
	for _, t := range texts {
		if !strings.Contains(local, t) {
			return fmt.Errorf("state %s: the connector's message %q does not name %q", code, local, t)
		}
		if !strings.Contains(remote, t) {
			return fmt.Errorf("state %s: the platform's message %q does not name %q", code, remote, t)
		}
	}
	return nil
}

// QueueWrite has the client application create a customer in the linked
// company; the platform queues the write and answers at once.
func (w *World) QueueWrite(ctx context.Context, customer string) (*Operation, error) {
	op, err := w.Platform.CreateCustomer(ctx, w.Conn.CompanyID, sdk.CustomerCreate{Name: customer},
		client.WithIdempotencyKey("scenario-"+strings.ReplaceAll(customer, " ", "-")))
	if err != nil {
		return nil, err
	}
	w.writes = append(w.writes, write{opID: op.Id, customer: customer})
	return op, nil
}

// Operation returns an operation from the REST API.
func (w *World) Operation(ctx context.Context, id string) (*Operation, error) {
	return w.Platform.GetOperation(ctx, id, client.GetOperationParams{})
}

// Pending checks that every write queued so far still waits.
func (w *World) Pending(ctx context.Context) error {
	for _, wr := range w.writes {
		op, err := w.Operation(ctx, wr.opID)
		if err != nil {
			return err
		}
		if op.Status != OpPending {
			return fmt.Errorf("the write of %q is %s; it should still wait", wr.customer, op.Status)
		}
	}
	return nil
}

// Completed waits until every write queued so far succeeded, then checks
// that each created exactly one customer in QuickBooks: nothing lost,
// nothing run twice.
func (w *World) Completed(ctx context.Context) error {
	for _, wr := range w.writes {
		var op *Operation
		err := w.poll(ctx, "the write of "+wr.customer, func() (bool, string, error) {
			var err error
			if op, err = w.Operation(ctx, wr.opID); err != nil {
				return false, "", err
			}
			return op.Status != OpPending, string(op.Status), nil
		})
		if err != nil {
			return err
		}
		if op.Status != OpSuccess {
			return fmt.Errorf("the write of %q ended %s: %+v", wr.customer, op.Status, op.Error)
		}
		n, err := w.CustomersNamed(ctx, w.Conn.File, wr.customer)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("QuickBooks has %d customers named %q, want exactly 1", n, wr.customer)
		}
	}
	return nil
}

// Writes returns the IDs of the writes queued so far.
func (w *World) Writes() []string {
	ids := make([]string, len(w.writes))
	for i, wr := range w.writes {
		ids[i] = wr.opID
	}
	return ids
}

// CustomersNamed counts the customers called name in a company file.
func (w *World) CustomersNamed(ctx context.Context, file, name string) (int, error) {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;").Replace(name)
	resp, err := w.Sim.Exec(ctx, file, []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>`+
		esc+`</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>`))
	if err != nil {
		return 0, err
	}
	return strings.Count(string(resp), "<CustomerRet>"), nil
}

// Open opens file in QuickBooks as its administrator in single-user mode,
// starting QuickBooks and closing another file first as a user would.
func (w *World) Open(ctx context.Context, file string) error {
	st, err := w.Sim.State(ctx)
	if err != nil {
		return err
	}
	if !st.Running {
		if _, err := w.Sim.StartQuickBooks(ctx); err != nil {
			return err
		}
	}
	if st.CompanyFile != nil {
		if _, err := w.Sim.CloseFile(ctx); err != nil {
			return err
		}
	}
	_, err = w.Sim.OpenFile(ctx, server.OpenRequest{File: file, Mode: "single", User: "Admin"})
	return err
}

// Dialog waits for QuickBooks' authorization dialog.
func (w *World) Dialog(ctx context.Context) (qbdsim.Dialog, error) {
	var d qbdsim.Dialog
	err := w.poll(ctx, "QuickBooks' authorization dialog", func() (bool, string, error) {
		ds, err := w.Sim.Dialogs(ctx)
		if err != nil {
			return false, "", err
		}
		for _, x := range ds {
			if x.Stage == qbdsim.StageAuthorize {
				d = x
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%d dialogs", len(ds)), nil
	})
	return d, err
}

// Answer waits for QuickBooks' authorization dialog, checks that it asks
// about the connector signed with certificate B for the given company
// file, and answers it as the administrator: choice, then Done.
func (w *World) Answer(ctx context.Context, file string, choice qbdsim.Choice) (qbdsim.Dialog, error) {
	d, err := w.Dialog(ctx)
	if err != nil {
		return d, err
	}
	switch {
	case path.Base(filepath.ToSlash(d.CompanyFile)) != file:
		return d, fmt.Errorf("the dialog is for %s (%s), want %s", d.CompanyFile, d.CompanyName, file)
	case d.Certificate == nil || !strings.EqualFold(d.Certificate.Thumbprint, w.ThumbprintB):
		return d, fmt.Errorf("the dialog is about certificate %+v, want B (%s)", d.Certificate, w.ThumbprintB)
	}
	w.say("    QuickBooks asks: %q wants to access %q (%s), signed by %s", d.AppName, d.CompanyName, d.CompanyFile, d.Certificate.Subject)
	w.say("    The administrator answers %q.", choice.Label())
	w.dialogs++
	_, err = w.Sim.Answer(ctx, d.ID, server.AnswerRequest{Answer: qbdsim.Answer{Choice: choice}, Done: true})
	return d, err
}

// RemoveEntry removes the Integrated Applications entry of the connector
// signed with the certificate of thumbprint from file, as the administrator
// does in Edit > Preferences > Integrated Applications > Company
// Preferences.
func (w *World) RemoveEntry(ctx context.Context, file, thumbprint string) error {
	ia, err := w.Sim.Apps(ctx, file)
	if err != nil {
		return err
	}
	for _, a := range ia.Apps {
		if a.Certificate != nil && strings.EqualFold(a.Certificate.Thumbprint, thumbprint) {
			w.say("    Removed %q (certificate %s…) from %s's Integrated Applications.", a.Name, thumbprint[:8], file)
			return w.Sim.RemoveApp(ctx, file, a.Key)
		}
	}
	return fmt.Errorf("%s has no Integrated Applications entry for certificate %s", file, thumbprint)
}

// Dialogs counts the authorization dialogs answered by the scenario.
func (w *World) Dialogs() int { return w.dialogs }
