package pipe_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/pipe"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// serve runs Serve on the simulator's processor for program and returns a
// client of it.
func serve(t *testing.T, sim *qbdsim.Simulator, program string) *pipe.Client {
	t.Helper()
	callR, callW := io.Pipe()
	replyR, replyW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- pipe.Serve(context.Background(), sim.NewProcessor(), program, callR, replyW)
		replyW.Close()
	}()
	c := pipe.NewClient(replyR, callW, func() error { callW.Close(); return <-done })
	t.Cleanup(func() { c.Close() })
	return c
}

// TestCallsReachQuickBooksAsTheServingProgram: QuickBooks asks about the
// serving side's program, whatever the caller names, and errors keep
// their HRESULT and the pending authorization.
func TestCallsReachQuickBooksAsTheServingProgram(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ca := signingtest.NewCA(t, "pipe test root")
	leaf := ca.Issue(t, "Candidate Signer", signingtest.Opts{Organization: "qbconnect Ltd"})
	prog := signingtest.TinyPE(t, "candidate")
	leaf.Sign(t, prog)
	file := filepath.Join(dir, "acme.qbw")
	f, err := companyfile.Create(file, "Acme", companyfile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	v := ca.Verifier(t)
	sim, err := qbdsim.New(qbdsim.Options{Dir: dir, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	if err := sim.OpenFile(file, qbd.FileModeSingleUser, ""); err != nil {
		t.Fatal(err)
	}

	c := serve(t, sim, prog)
	if err := c.OpenConnection(ctx, qbd.App{Name: "Connector", Program: "/the/caller/itself"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAuthPreferences(ctx, qbd.AuthPreferences{}); err != nil {
		t.Fatal(err)
	}
	// Nobody answers: the wait ends as a pending authorization.
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	_, err = c.BeginSession(short, file, qbd.FileModeDoNotCare)
	cancel()
	if !errors.Is(err, qbd.ErrAuthPending) {
		t.Fatalf("BeginSession with nobody answering: %v, want ErrAuthPending", err)
	}
	ds := sim.Dialogs()
	if len(ds) != 1 || ds[0].Certificate == nil || !strings.EqualFold(ds[0].Certificate.Thumbprint, leaf.Thumbprint()) {
		t.Fatalf("dialogs %+v, want one about the serving program's certificate", ds)
	}
	if _, err := sim.AnswerDialog(ds[0].ID, qbdsim.Answer{Choice: qbdsim.ChoiceAlways}, true); err != nil {
		t.Fatal(err)
	}
	ticket, err := c.BeginSession(ctx, file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatalf("BeginSession after approval: %v", err)
	}
	got, err := c.CurrentCompanyFileName(ctx, ticket)
	if err != nil || !strings.EqualFold(filepath.Clean(got), file) {
		t.Fatalf("CurrentCompanyFileName = %q, %v", got, err)
	}
	if _, err := c.ProcessRequest(ctx, "{no-such-ticket}", []byte("<QBXML/>")); err == nil {
		t.Fatal("a request on an unknown ticket succeeded")
	} else if hr, ok := qbd.HRESULTOf(err); !ok || hr != qbd.HRInvalidTicket {
		t.Fatalf("unknown ticket: %v, want HRESULT %s", err, qbd.FormatHRESULT(qbd.HRInvalidTicket))
	}
	if err := c.EndSession(ctx, ticket); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseConnection(ctx); err != nil {
		t.Fatal(err)
	}
}
