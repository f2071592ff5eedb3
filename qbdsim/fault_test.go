package qbdsim_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

func qbxml(body string) []byte {
	return []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">` + body + `</QBXMLMsgsRq></QBXML>`)
}

func TestQuickBooksClosesInTheMiddleOfAnIterator(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	for _, name := range []string{"Ann", "Ben", "Cy", "Dee"} {
		if _, err := e.sim.Exec(ctx(t), file, qbxml(`<CustomerAddRq><CustomerAdd><Name>`+name+`</Name></CustomerAdd></CustomerAddRq>`)); err != nil {
			t.Fatal(err)
		}
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	ticket, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.ProcessRequest(ctx(t), ticket, qbxml(`<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned></CustomerQueryRq>`))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`iteratorID="([^"]+)"`).FindSubmatch(resp)
	if m == nil {
		t.Fatalf("no iterator in %s", resp)
	}
	cont := qbxml(`<CustomerQueryRq iterator="Continue" iteratorID="` + string(m[1]) + `"><MaxReturned>1</MaxReturned></CustomerQueryRq>`)
	if _, err := e.sim.InjectFault(qbdsim.Fault{Method: "ProcessRequest", After: 1, CloseQuickBooks: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ProcessRequest(ctx(t), ticket, cont); err != nil {
		t.Fatalf("second page: %v", err)
	}
	_, err = p.ProcessRequest(ctx(t), ticket, cont)
	wantHR(t, err, qbd.HRCouldNotAccess)
	if st := e.sim.State(); st.Running || len(st.Faults) != 0 {
		t.Fatalf("after the fault: %+v", st)
	}
}

func TestInjectedHRESULTFiresTheGivenNumberOfTimes(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	if _, err := e.sim.InjectFault(qbdsim.Fault{Method: "BeginSession", HRESULT: qbd.HRLockFailed, Times: 2}); err != nil {
		t.Fatal(err)
	}
	p := e.connect("App", prog, qbd.AuthPreferences{})
	for range 2 {
		_, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
		wantHR(t, err, qbd.HRLockFailed)
	}
	if _, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare); err != nil {
		t.Fatalf("third try: %v", err)
	}
	if _, err := e.sim.InjectFault(qbdsim.Fault{Method: "Bogus", HRESULT: qbd.HRLockFailed}); err == nil {
		t.Error("fault on an unknown method accepted")
	}
	if _, err := e.sim.InjectFault(qbdsim.Fault{Method: "BeginSession"}); err == nil {
		t.Error("fault that does nothing accepted")
	}
}

func TestInjectedModalDialogBlocksUntilDismissed(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	ticket, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.InjectFault(qbdsim.Fault{Method: "ProcessRequest", ModalDialog: "Memorized Transactions"}); err != nil {
		t.Fatal(err)
	}
	_, err = p.ProcessRequest(ctx(t), ticket, []byte(hostQuery))
	wantHR(t, err, qbd.HRModalDialog)
	_, err = p.ProcessRequest(ctx(t), ticket, []byte(hostQuery))
	wantHR(t, err, qbd.HRModalDialog)
	if got := e.sim.State().ModalDialog; got != "Memorized Transactions" {
		t.Fatalf("modal = %q", got)
	}
	e.sim.DismissModalDialog()
	mustProcess(t, p, ticket)
}

func TestSlowResponseEndsWithTheCallersContext(t *testing.T) {
	e, file, prog := grantedEnv(t, qbdsim.ChoiceWheneverOpen)
	p := e.connect("App", prog, qbd.AuthPreferences{})
	ticket, err := p.BeginSession(ctx(t), file, qbd.FileModeDoNotCare)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.InjectFault(qbdsim.Fault{Method: "ProcessRequest", Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.ProcessRequest(c, ticket, []byte(hostQuery))
		done <- err
	}()
	// The fault has fired once the call is waiting in it.
	if _, err := e.sim.WaitFor(ctx(t), func(st qbdsim.State) bool { return len(st.Faults) == 0 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("slow request = %v, want the context's error", err)
	}
	if cond := qbd.Diagnose(context.DeadlineExceeded); cond.Code != qbd.CondQBNotResponding {
		t.Fatalf("Diagnose(deadline) = %+v", cond)
	}
	mustProcess(t, p, ticket)
}
