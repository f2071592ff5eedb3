package qbd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/qbd"
)

func TestEveryKnownHRESULTHasAConditionOtherThanUnknown(t *testing.T) {
	for _, hr := range qbd.KnownHRESULTs() {
		cond := qbd.Diagnose(qbd.NewError(hr))
		if cond.Code == qbd.CondUnknown || cond.Code == "" {
			t.Errorf("%s: condition %q", qbd.FormatHRESULT(hr), cond.Code)
		}
		if cond.Message == "" || cond.Resolution == "" || cond.HRESULT != qbd.FormatHRESULT(hr) {
			t.Errorf("%s: incomplete condition %+v", qbd.FormatHRESULT(hr), cond)
		}
		if strings.Contains(cond.Message+cond.Resolution, "{") {
			t.Errorf("%s: unfilled placeholder in %+v", qbd.FormatHRESULT(hr), cond)
		}
	}
}

func TestQuickBooksMessagesAreExact(t *testing.T) {
	for hr, want := range map[uint32]string{
		qbd.HRParseError:       "QuickBooks found an error when parsing the provided XML text stream.",
		qbd.HRNotRunningNoFile: "If QuickBooks is not running, the company data file name must be supplied to BeginSession.",
		qbd.HROtherFileOpen:    "QuickBooks company data file is already open and it is different from the one requested.",
		qbd.HRFirstAccess:      "This application has not accessed this QuickBooks company data file before. Only the QuickBooks administrator can grant an application permission to access a QuickBooks company data file for the first time.",
		qbd.HRAccessDenied:     "The QuickBooks user has denied access.",
		qbd.HRCertRevoked:      "Certificate has been revoked.",
		qbd.HRModalDialog:      "A modal dialog box is showing in the QuickBooks user interface. Your application cannot access QuickBooks until the user dismisses the dialog box.",
	} {
		if got := qbd.Message(hr); got != want {
			t.Errorf("%s: %q, want %q", qbd.FormatHRESULT(hr), got, want)
		}
		if !qbd.MessageConfirmed(hr) {
			t.Errorf("%s: marked unconfirmed", qbd.FormatHRESULT(hr))
		}
	}
	if qbd.MessageConfirmed(qbd.HRNoCompanyOpen) {
		t.Error("0x80040417's text has no source and must be marked unconfirmed")
	}
	if got := qbd.Message(0x80040438); got != "Unknown QuickBooks request processor error." {
		t.Errorf("unknown HRESULT message %q", got)
	}
}

func TestErrorFormatAndMatching(t *testing.T) {
	err := fmt.Errorf("sync: %w", qbd.NewError(qbd.HRAccessDenied))
	if got, want := err.Error(), "sync: QuickBooks error 0x80040420: The QuickBooks user has denied access."; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, qbd.NewError(qbd.HRAccessDenied)) || errors.Is(err, qbd.NewError(qbd.HRNoPermission)) {
		t.Fatal("errors.Is does not match by HRESULT")
	}
	hr, ok := qbd.HRESULTOf(err)
	if !ok || hr != qbd.HRAccessDenied {
		t.Fatalf("HRESULTOf = %x, %v", hr, ok)
	}
}

func TestParseHRESULT(t *testing.T) {
	for in, want := range map[string]uint32{"0x80040418": 0x80040418, "80040418": 0x80040418, "-2147220456": 0x80040418, " 0X8004041A ": 0x8004041A} {
		got, err := qbd.ParseHRESULT(in)
		if err != nil || got != want {
			t.Errorf("ParseHRESULT(%q) = %x, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0x", "hello", "0x1FFFFFFFF", "-99999999999"} {
		if _, err := qbd.ParseHRESULT(bad); err == nil {
			t.Errorf("ParseHRESULT(%q) accepted", bad)
		}
	}
}

func TestDiagnoseShapes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ctx  qbd.Context
		want qbd.Condition
	}{
		{"nil is ok", nil, qbd.Context{}, qbd.Condition{Code: "ok", Message: "Connected to QuickBooks."}},
		{"closed", qbd.NewError(qbd.HRNotRunningNoFile), qbd.Context{ExpectedFile: `C:\Books\Acme.QBW`}, qbd.Condition{
			Code: "qb_closed", Message: "Timed out attempting to communicate with QBD.",
			Resolution: `Start QuickBooks Desktop, open the company file "C:\Books\Acme.QBW", then press Perform Sync in the connector.`,
			NeedsUser:  true, Retryable: true, HRESULT: "0x80040416"}},
		{"wrong file", qbd.NewError(qbd.HROtherFileOpen), qbd.Context{OpenFile: `C:\Books\Other.QBW`, ExpectedFile: `C:\Books\Acme.QBW`}, qbd.Condition{
			Code: "wrong_file_open", Message: `QuickBooks has a different company file open (C:\Books\Other.QBW) than the one this connection uses (C:\Books\Acme.QBW).`,
			Resolution: `Close the open company file in QuickBooks (File > Close Company), open the "C:\Books\Acme.QBW" company file, then press Perform Sync. If the connector was approved for the other company file by mistake, remove it there: Edit > Preferences > Integrated Applications > Company Preferences.`,
			NeedsUser:  true, Retryable: true, HRESULT: "0x8004040A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, qbd.DiagnoseContext(tt.err, tt.ctx)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiagnoseContextChangesTheReading(t *testing.T) {
	noAuto := qbd.NewError(qbd.HRNoAutoLogin)
	if got := qbd.Diagnose(noAuto).Code; got != qbd.CondQBClosed {
		t.Errorf("0x8004041D = %s, want qb_closed", got)
	}
	if got := qbd.DiagnoseContext(noAuto, qbd.Context{Unattended: true}).Code; got != qbd.CondAutoLoginNotAllowed {
		t.Errorf("0x8004041D for an unattended application = %s", got)
	}
	changed := fmt.Errorf("%w: %w", qbd.ErrCertificateChanged, qbd.NewError(qbd.HRFirstAccess))
	if got := qbd.Diagnose(changed).Code; got != qbd.CondCertChanged {
		t.Errorf("first access after a certificate change = %s", got)
	}
	if got := qbd.Diagnose(qbd.NewError(qbd.HRFirstAccess)).Code; got != qbd.CondAuthRequired {
		t.Errorf("first access = %s", got)
	}
	if got := qbd.Diagnose(fmt.Errorf("x: %w", qbd.ErrAuthPending)).Code; got != qbd.CondAuthPending {
		t.Errorf("pending = %s", got)
	}
	if got := qbd.Diagnose(context.DeadlineExceeded); got.Code != qbd.CondQBNotResponding || got.Message != qbd.TimedOutMessage {
		t.Errorf("deadline = %+v", got)
	}
	if got := qbd.Diagnose(errors.New("boom")).Code; got != qbd.CondUnknown {
		t.Errorf("plain error = %s", got)
	}
	if got := qbd.Diagnose(qbd.NewError(0x80040438)).Code; got != qbd.CondUnknown {
		t.Errorf("unknown HRESULT = %s", got)
	}
	same := qbd.DiagnoseFile(qbd.NewError(qbd.HROtherFileOpen), `c:/books/acme.qbw`, `C:\Books\Acme.QBW`)
	if same.Code != qbd.CondWrongFileOpen || !strings.Contains(same.Message, "different path") {
		t.Errorf("same file under another path = %+v", same)
	}
}

func TestWrongFile(t *testing.T) {
	if got := qbd.WrongFile(`C:\A.QBW`, `c:/a.qbw`); got.Code != qbd.CondOK {
		t.Errorf("same file = %+v", got)
	}
	got := qbd.WrongFile(`C:\Other.QBW`, `C:\A.QBW`)
	if got.Code != qbd.CondWrongFileOpen || !strings.Contains(got.Message, `C:\Other.QBW`) || got.HRESULT != "" {
		t.Errorf("other file = %+v", got)
	}
}

func TestValidation(t *testing.T) {
	if err := (qbd.App{}).Validate(); err == nil {
		t.Error("app without a name accepted")
	}
	if err := (qbd.App{Name: "x", ConnectionType: 9}).Validate(); err == nil {
		t.Error("connection type 9 accepted")
	}
	if err := (qbd.AuthPreferences{PersonalData: 7}).Validate(); err == nil {
		t.Error("personal data pref 7 accepted")
	}
	if err := (qbd.AuthPreferences{Unattended: qbd.UnattendedRequired, PersonalData: qbd.PersonalDataNotNeeded, AuthFlags: 0xF}).Validate(); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"single", "multi", "", "do-not-care"} {
		m, err := qbd.ParseFileMode(s)
		if err != nil {
			t.Errorf("ParseFileMode(%q): %v", s, err)
		}
		if s != "" && m.String() != s {
			t.Errorf("%q round trip = %q", s, m.String())
		}
	}
	if _, err := qbd.ParseFileMode("exclusive"); err == nil {
		t.Error("unknown mode accepted")
	}
	if qbd.FileModeSingleUser != 0 || qbd.FileModeMultiUser != 1 || qbd.FileModeDoNotCare != 2 || qbd.ConnectionLocalQBD != 1 || qbd.ConnectionLocalQBDLaunchUI != 3 {
		t.Error("enum values differ from the QBXMLRP2 type library")
	}
}

// Windows answers a program that asks for QBXMLRP2.RequestProcessor on a
// computer without QuickBooks Desktop with CO_E_CLASSSTRING (no such
// ProgID) or REGDB_E_CLASSNOTREG (the class's registration is gone): both
// read as QuickBooks not installed, with where to install the connector.
func TestRequestProcessorNotRegisteredIsQuickBooksNotInstalled(t *testing.T) {
	for _, hr := range []uint32{0x800401F3, 0x80040154} {
		cond := qbd.Diagnose(qbd.NewError(hr))
		if cond.Code != qbd.CondQBNotInstalled || cond.Retryable || !cond.NeedsUser {
			t.Errorf("%s: %+v, want %s, not retryable, needing the user", qbd.FormatHRESULT(hr), cond, qbd.CondQBNotInstalled)
		}
		if !strings.Contains(cond.Message, "not installed") || !strings.Contains(cond.Resolution, "computer where QuickBooks Desktop is installed") {
			t.Errorf("%s: %q / %q", qbd.FormatHRESULT(hr), cond.Message, cond.Resolution)
		}
	}
}

// Every code the COM driver can get, QuickBooks' own and Windows' around
// the call, has a row in the condition table, and no row lacks a message.
func TestEveryDriverHRESULTMapsToAState(t *testing.T) {
	windows := map[uint32]string{
		0x800401F3: qbd.CondQBNotInstalled, 0x80040154: qbd.CondQBNotInstalled,
		0x80080005: qbd.CondCannotStart, 0x80070005: qbd.CondCannotStart,
		0x800706BA: qbd.CondQBNotResponding, 0x800706BE: qbd.CondQBNotResponding, 0x80010108: qbd.CondQBNotResponding,
		0x80010001: qbd.CondQBNotResponding, 0x80010105: qbd.CondInternal, 0x80020003: qbd.CondSDKNotInstalled,
		0x80004005: qbd.CondInternal, 0x8007000E: qbd.CondInternal,
	}
	known := map[uint32]bool{}
	for _, hr := range qbd.KnownHRESULTs() {
		known[hr] = true
		if qbd.Message(hr) == "Unknown QuickBooks request processor error." {
			t.Errorf("%s has no message", qbd.FormatHRESULT(hr))
		}
	}
	for hr, want := range windows {
		if !known[hr] {
			t.Errorf("%s is not in the table", qbd.FormatHRESULT(hr))
		}
		if got := qbd.Diagnose(qbd.NewError(hr)).Code; got != want {
			t.Errorf("%s: %s, want %s", qbd.FormatHRESULT(hr), got, want)
		}
	}
}
