package rp2

import (
	"errors"
	"testing"

	"github.com/qbconnect/qbconnect/qbd"
)

func TestErrorForUsesTheExceptionCode(t *testing.T) {
	e := errorFor(hrDispException, qbd.HRNoAutoLogin, "This application is unable to log into this QuickBooks company data file automatically.")
	if e.HRESULT != qbd.HRNoAutoLogin || e.Message != qbd.Message(qbd.HRNoAutoLogin) {
		t.Fatalf("got %+v", e)
	}
	if e.Err == nil {
		t.Fatal("QuickBooks' differing wording was dropped")
	}
	if got := qbd.Diagnose(e).Code; got != qbd.CondQBClosed {
		t.Fatalf("Diagnose = %s", got)
	}
}

func TestErrorForPlainHRESULT(t *testing.T) {
	e := errorFor(qbd.HRClassNotRegistered, 0, "")
	if e.HRESULT != qbd.HRClassNotRegistered || e.Err != nil {
		t.Fatalf("got %+v", e)
	}
	if !errors.Is(e, qbd.NewError(qbd.HRClassNotRegistered)) {
		t.Fatal("errors.Is by HRESULT failed")
	}
}

func TestErrorForUnknownCodeKeepsQuickBooksText(t *testing.T) {
	e := errorFor(hrDispException, 0x80040438, "Some newer QuickBooks error.")
	if e.HRESULT != 0x80040438 || e.Message != "Some newer QuickBooks error." {
		t.Fatalf("got %+v", e)
	}
}
