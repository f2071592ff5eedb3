package qbd

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Condition codes: the stable names of QuickBooks situations that the
// connector, the Web Connector endpoint and the platform share. Their text
// never changes once released.
const (
	CondOK                  = "ok"
	CondQBClosed            = "qb_closed"
	CondQBNotResponding     = "qb_not_responding"
	CondNoCompanyOpen       = "no_company_open"
	CondWrongFileOpen       = "wrong_file_open"
	CondAuthPending         = "auth_pending"
	CondAuthRequired        = "auth_required"
	CondAccessDenied        = "access_denied"
	CondAccessRemoved       = "access_removed"
	CondAutoLoginNotAllowed = "auto_login_not_allowed"
	CondCertChanged         = "cert_changed"
	CondCertExpired         = "cert_expired"
	CondCertRevoked         = "cert_revoked"
	CondModalDialog         = "modal_dialog"
	CondWrongMode           = "wrong_mode"
	CondSingleUserConflict  = "single_user_conflict"
	CondFileLocked          = "file_locked"
	CondQBStarting          = "qb_starting"
	CondCannotStart         = "cannot_start"
	CondFileNotFound        = "file_not_found"
	CondFileVersion         = "file_version"
	CondQBXMLParseError     = "qbxml_parse_error"
	CondQBXMLVersion        = "qbxml_version_unsupported"
	CondSessionExpired      = "session_expired"
	CondEditionUnsupported  = "edition_unsupported"
	CondSDKNotInstalled     = "sdk_not_installed"
	CondQBNotInstalled      = "qb_not_installed"
	CondInternal            = "qb_internal_error"
	CondUnknown             = "unknown"
)

// TimedOutMessage is the message shown when QuickBooks is closed or does not
// answer, worded as end users already know it.
const TimedOutMessage = "Timed out attempting to communicate with QBD."

// Condition explains the outcome of a QuickBooks call to a bookkeeper.
type Condition struct {
	// Code is one of the Cond* constants.
	Code string `json:"code"`
	// Message says what is wrong, in plain words.
	Message string `json:"message"`
	// Resolution says what to do about it; empty for CondOK.
	Resolution string `json:"resolution,omitempty"`
	// NeedsUser is true when nothing will change until a person acts in
	// QuickBooks (start it, open a file, answer a dialog, grant access).
	NeedsUser bool `json:"needsUserAction"`
	// Retryable is true when trying again, unchanged, can succeed (possibly
	// after the user acted).
	Retryable bool `json:"retryable"`
	// HRESULT is QuickBooks' code behind the condition, formatted like
	// "0x80040418"; empty when there is none.
	HRESULT string `json:"hresult,omitempty"`
}

// Context is what the caller knows beyond the error, to word the condition
// precisely. Every field may be empty.
type Context struct {
	// OpenFile is the company file QuickBooks has open, when known
	// (CurrentCompanyFileName of a session, or the simulator's state).
	OpenFile string
	// ExpectedFile is the company file the application is linked to.
	ExpectedFile string
	// Unattended says the application asked to work while QuickBooks is
	// closed (UnattendedRequired). 0x8004041D then reads as "automatic login
	// not allowed" instead of "QuickBooks is closed".
	Unattended bool
}

// conditionRow is one row of the condition table. The messages may use
// {open} and {expected}, replaced by the file names of the Context.
type conditionRow struct {
	code       string
	message    string
	resolution string
	needsUser  bool
	retryable  bool
}

const resolutionStartQB = "Start QuickBooks Desktop, open the company file{expected_in}, then press Perform Sync in the connector."

// conditions is the one table from HRESULT to condition.
var conditions = map[uint32]conditionRow{
	HRNotRunningNoFile: {CondQBClosed, TimedOutMessage, resolutionStartQB, true, true},
	HRNoAutoLogin:      {CondQBClosed, TimedOutMessage, resolutionStartQB + " To let the connector work while QuickBooks is closed, the QuickBooks administrator can choose \"Yes, always; allow access even if QuickBooks is not running\" when QuickBooks asks to authorise it.", true, true},
	HRCouldNotAccess:   {CondQBNotResponding, TimedOutMessage, "Make sure QuickBooks Desktop is running on this computer and is not busy, then press Perform Sync.", true, true},
	HRNoCompanyOpen:    {CondNoCompanyOpen, "QuickBooks is open, but no company file is open.", "Open the company file{expected_in} in QuickBooks, then press Perform Sync.", true, true},
	HROtherFileOpen: {CondWrongFileOpen, "QuickBooks has a different company file open{open_is} than the one this connection uses{expected_is}.",
		"Close the open company file in QuickBooks (File > Close Company), open{expected_or_the} company file, then press Perform Sync. If the connector was approved for the other company file by mistake, remove it there: Edit > Preferences > Integrated Applications > Company Preferences.", true, true},
	HRFirstAccess: {CondAuthRequired, "QuickBooks has not yet authorised the connector to use this company file.",
		"Open the company file{expected_in} in QuickBooks, logged in as the QuickBooks Administrator in single-user mode, press Perform Sync, and answer \"Yes\" in the authorization window QuickBooks shows.", true, true},
	HRAccessDenied: {CondAccessDenied, "Access to the company file was denied in QuickBooks.",
		"Open the right company file in QuickBooks as the Administrator, press Perform Sync, and choose \"Yes, always\" (or \"Yes, whenever this company file is open\") in the authorization window.", true, true},
	HRNoPermission: {CondAccessRemoved, "The connector's access to this company file was removed or turned off in QuickBooks.",
		"In QuickBooks, as the Administrator, open Edit > Preferences > Integrated Applications > Company Preferences, tick Allow Access for the connector (or remove it and authorise it again), then press Perform Sync.", true, true},
	HRCertExpired: {CondCertExpired, "The connector's code-signing certificate has expired, so QuickBooks will not let it log in automatically.",
		"Update the connector to its latest version. Then open the company file in QuickBooks, press Perform Sync and click Allow Always when QuickBooks says the certificate has expired.", true, true},
	HRCertRevoked: {CondCertRevoked, "The connector's code-signing certificate has been revoked, so QuickBooks refuses it.",
		"Install the latest version of the connector, then authorise it again in QuickBooks.", true, false},
	HRModalDialog: {CondModalDialog, "A window is open in QuickBooks and QuickBooks is waiting for someone to close it.",
		"Go to QuickBooks, answer or close the open window, then press Perform Sync.", true, true},
	HRWrongMode: {CondWrongMode, "The company file is open in QuickBooks in a different mode (single-user or multi-user) than the connector needs.",
		"In QuickBooks, switch the file mode (File > Switch to Single-user/Multi-user Mode), then press Perform Sync.", true, true},
	HRSingleUserConflict: {CondSingleUserConflict, "Another application is using the company file, and the connector needs it to itself.",
		"Close the other application that uses QuickBooks, or wait for it to finish, then press Perform Sync.", true, true},
	HRLockFailed: {CondFileLocked, "QuickBooks is busy with the company file and could not let the connector in.",
		"Wait a moment; the connector will try again by itself.", false, true},
	HRNotInitialized: {CondQBStarting, "QuickBooks is still starting.",
		"Wait for QuickBooks to finish starting; the connector will try again by itself.", false, true},
	HRCannotStart: {CondCannotStart, "QuickBooks could not be started on this computer.",
		"Start QuickBooks Desktop yourself (as the same Windows user as the connector), open the company file, then press Perform Sync.", true, true},
	HRCouldNotOpenFile: {CondFileNotFound, "QuickBooks could not open the company file{expected_is}.",
		"Check that the company file is still at the same place and that this Windows user can open it, or relink the connection to the file's new location.", true, true},
	HRInvalidFileName: {CondFileNotFound, "The company file name{expected_is} is not valid.",
		"Relink the connection to the company file's current location.", true, false},
	HRFileVersion: {CondFileVersion, "This version of QuickBooks cannot open the company file.",
		"Open the file with the QuickBooks version it was last used with, or update QuickBooks.", true, false},
	HRParseError: {CondQBXMLParseError, "QuickBooks could not read a request sent to it.",
		"Nothing to do on this computer; the request will be reported to support.", false, false},
	HRVersionUnknown: {CondQBXMLVersion, "This QuickBooks does not support the version of requests the connector sends.",
		"Update QuickBooks Desktop.", true, false},
	HRVersionNotSupported: {CondQBXMLVersion, "This QuickBooks does not support the version of requests the connector sends.",
		"Update QuickBooks Desktop.", true, false},
	HRInvalidTicket: {CondSessionExpired, "The connector's session with QuickBooks ended.",
		"Nothing to do; the connector opens a new session by itself.", false, true},
	HRBasicEdition: {CondEditionUnsupported, "This edition of QuickBooks cannot exchange data with applications.",
		"Use QuickBooks Pro, Premier or Enterprise.", true, false},
	HRUnregistered: {CondEditionUnsupported, "This copy of QuickBooks is not registered.",
		"Register QuickBooks, then press Perform Sync.", true, true},
	HRRemoteNotAllowed: {CondEditionUnsupported, "QuickBooks does not allow remote access.",
		"Install the connector on the computer that runs QuickBooks.", true, false},
	// Windows cannot create QBXMLRP2.RequestProcessor: QuickBooks Desktop
	// (which installs and registers it) is not on this computer.
	HRInvalidClassString: {CondQBNotInstalled, notInstalledMessage, notInstalledResolution, true, false},
	HRClassNotRegistered: {CondQBNotInstalled, notInstalledMessage, notInstalledResolution, true, false},
	HRIncompleteInstall: {CondSDKNotInstalled, "QuickBooks Desktop appears to be incompletely installed.",
		"Repair or reinstall QuickBooks Desktop.", true, false},
	HRSDKNotCommunicating: {CondSDKNotInstalled, "The connector could not communicate with the QuickBooks SDK.",
		"Repair QuickBooks Desktop, then restart the connector.", true, true},
	HRInternalAccess: {CondInternal, "QuickBooks had an internal error while opening the company file.",
		"Try again; if it keeps failing, restart QuickBooks and run File > Utilities > Verify Data.", false, true},
	HRUnexpected: {CondInternal, "QuickBooks had an unexpected error.",
		"Try again; if it keeps failing, restart QuickBooks.", false, true},

	// Windows' own codes around the COM call.
	HRServerExecFailure: {CondCannotStart, "Windows could not start QuickBooks for the connector.",
		"Start QuickBooks Desktop yourself, as the same Windows user as the connector and with the same rights (both \"Run as administrator\" or neither), open the company file, then press Perform Sync.", true, true},
	HRWinAccessDenied: {CondCannotStart, "Windows did not let the connector talk to QuickBooks.",
		"Run QuickBooks Desktop and the connector as the same Windows user with the same rights (both \"Run as administrator\" or neither), then press Perform Sync.", true, true},
	HRRPCServerUnavail:   {CondQBNotResponding, TimedOutMessage, "QuickBooks closed or stopped answering. Start QuickBooks Desktop and open the company file{expected_in}; the connector tries again by itself.", true, true},
	HRRPCCallFailed:      {CondQBNotResponding, TimedOutMessage, "QuickBooks closed or stopped answering. Start QuickBooks Desktop and open the company file{expected_in}; the connector tries again by itself.", true, true},
	HRObjectDisconnected: {CondQBNotResponding, TimedOutMessage, "QuickBooks was closed. Start QuickBooks Desktop and open the company file{expected_in}; the connector tries again by itself.", true, true},
	HRCallRejected: {CondQBNotResponding, "QuickBooks is busy and did not take the connector's request.",
		"Wait a moment; the connector will try again by itself.", false, true},
	HRServerFault: {CondInternal, "QuickBooks failed while handling the connector's request.",
		"Try again; if it keeps failing, restart QuickBooks.", false, true},
	HRMemberNotFound: {CondSDKNotInstalled, "The QuickBooks SDK on this computer is older than the connector needs.",
		"Update QuickBooks Desktop (or install the latest QuickBooks SDK request processor), then restart the connector.", true, false},
	HRUnspecifiedFailure: {CondInternal, "QuickBooks reported a failure without saying what it was.",
		"Try again; if it keeps failing, restart QuickBooks and the connector.", false, true},
	HROutOfMemory: {CondInternal, "This computer ran out of memory while QuickBooks handled the connector's request.",
		"Close programs you do not need, then press Perform Sync.", false, true},
}

// The qb_not_installed texts: Windows knows no QuickBooks request
// processor, so QuickBooks Desktop is not installed here (or its
// installation lost its COM registration).
const (
	notInstalledMessage    = "QuickBooks Desktop is not installed on this computer: Windows knows no QuickBooks request processor (QBXMLRP2)."
	notInstalledResolution = "Install the connector on the computer where QuickBooks Desktop is installed and used. If QuickBooks Desktop is installed here, repair it (Control Panel > Programs > QuickBooks > Repair), start it once, then restart the connector."
)

// Extra rows for situations without an HRESULT.
var (
	okRow            = conditionRow{CondOK, "Connected to QuickBooks.", "", false, false}
	authPendingRow   = conditionRow{CondAuthPending, "QuickBooks is asking its administrator whether the connector may use the company file.", "Go to QuickBooks and answer the authorization window: choose \"Yes, always\" (or \"Yes, whenever this company file is open\"), then Continue and Done.", true, true}
	notRespondingRow = conditionRow{CondQBNotResponding, TimedOutMessage, "Make sure QuickBooks Desktop is running on this computer and is not waiting on an open window, then press Perform Sync.", true, true}
	autoLoginRow     = conditionRow{CondAutoLoginNotAllowed, "QuickBooks is closed and the connector is not allowed to log in to the company file automatically.", "Open the company file in QuickBooks as the Administrator, press Perform Sync, and choose \"Yes, always; allow access even if QuickBooks is not running\" (or start QuickBooks whenever the connector must work).", true, true}
	certChangedRow   = conditionRow{CondCertChanged, "The connector was updated with a new code-signing certificate, and QuickBooks must authorise it again.", "Open the company file in QuickBooks as the Administrator, press Perform Sync, and answer \"Yes, always\" in the authorization window.", true, true}
	unknownRow       = conditionRow{CondUnknown, "QuickBooks reported an error the connector does not recognise.", "Try again; if it keeps failing, contact support with the error code.", false, true}
)

// ErrCertificateChanged may be wrapped by a driver or by the connector when
// it knows the application's signing certificate changed since QuickBooks
// last authorised it; Diagnose then reports CondCertChanged instead of
// CondAuthRequired for a first access.
var ErrCertificateChanged = errors.New("the application's signing certificate changed since QuickBooks authorised it")

// Diagnose explains err (nil means success). See DiagnoseContext.
func Diagnose(err error) Condition {
	return DiagnoseContext(err, Context{})
}

// DiagnoseFile explains err, naming the open and the expected company file
// where it matters (a wrong file open, a file not found).
func DiagnoseFile(err error, openFile, expectedFile string) Condition {
	return DiagnoseContext(err, Context{OpenFile: openFile, ExpectedFile: expectedFile})
}

// DiagnoseContext explains err with what the caller knows. The mapping is
// one table from HRESULT to condition; errors that carry no HRESULT are
// ErrAuthPending (auth_pending), a deadline (qb_not_responding: QuickBooks
// did not answer in time) and anything else (unknown).
func DiagnoseContext(err error, c Context) Condition {
	if err == nil {
		return okRow.condition(c, "")
	}
	if errors.Is(err, ErrAuthPending) {
		return authPendingRow.condition(c, "")
	}
	hr, ok := HRESULTOf(err)
	if !ok {
		if errors.Is(err, context.DeadlineExceeded) {
			return notRespondingRow.condition(c, "")
		}
		return unknownRow.condition(c, "")
	}
	row, known := conditions[hr]
	switch {
	case !known:
		row = unknownRow
	case hr == HRNoAutoLogin && c.Unattended:
		row = autoLoginRow
	case hr == HRFirstAccess && errors.Is(err, ErrCertificateChanged):
		row = certChangedRow
	case hr == HROtherFileOpen && c.OpenFile != "" && c.ExpectedFile != "" && sameFile(c.OpenFile, c.ExpectedFile):
		// QuickBooks says another file is open but it is the expected one:
		// the application asked for a different path to the same file.
		row.message = "QuickBooks has the company file{open_is} open under a different path than the one this connection uses{expected_is}."
		row.resolution = "Relink the connection to the path QuickBooks uses, or open the file from its usual location."
	}
	return row.condition(c, FormatHRESULT(hr))
}

// WrongFile returns the condition for a session that succeeded on a company
// file other than the expected one (BeginSession with "" while QuickBooks had
// another file open), or CondOK when the files are the same.
func WrongFile(openFile, expectedFile string) Condition {
	if expectedFile == "" || sameFile(openFile, expectedFile) {
		return okRow.condition(Context{}, "")
	}
	row := conditions[HROtherFileOpen]
	return row.condition(Context{OpenFile: openFile, ExpectedFile: expectedFile}, "")
}

func (r conditionRow) condition(c Context, hr string) Condition {
	return Condition{
		Code:       r.code,
		Message:    fill(r.message, c),
		Resolution: fill(r.resolution, c),
		NeedsUser:  r.needsUser,
		Retryable:  r.retryable,
		HRESULT:    hr,
	}
}

// fill replaces the file placeholders of a table text with c's files, or
// with nothing when they are unknown.
func fill(s string, c Context) string {
	if !strings.Contains(s, "{") {
		return s
	}
	open, expected := "", ""
	if c.OpenFile != "" {
		open = fmt.Sprintf(" (%s)", c.OpenFile)
	}
	if c.ExpectedFile != "" {
		expected = fmt.Sprintf(" (%s)", c.ExpectedFile)
	}
	expectedOrThe := " the"
	expectedIn := ""
	if c.ExpectedFile != "" {
		expectedOrThe = " the " + quoteFile(c.ExpectedFile)
		expectedIn = " " + quoteFile(c.ExpectedFile)
	}
	return strings.NewReplacer(
		"{open_is}", open,
		"{expected_is}", expected,
		"{expected_or_the}", expectedOrThe,
		"{expected_in}", expectedIn,
	).Replace(s)
}

func quoteFile(p string) string { return "\"" + p + "\"" }

// sameFile compares company file paths as Windows does: case-insensitively,
// with either slash.
func sameFile(a, b string) bool {
	norm := func(p string) string {
		return strings.ToLower(path.Clean(strings.ReplaceAll(p, "\\", "/")))
	}
	return norm(a) == norm(b)
}

// SameFile reports whether two company file paths name the same file the
// way Windows compares them (case-insensitive, either slash).
func SameFile(a, b string) bool { return sameFile(a, b) }
