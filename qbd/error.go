package qbd

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HRESULTs that QBXMLRP2 returns (reference: intuit-sdk.md §2). Names are
// ours; values and messages are QuickBooks'.
const (
	HRParseError          uint32 = 0x80040400 // the request is not well-formed qbXML
	HRCouldNotAccess      uint32 = 0x80040401
	HRUnexpected          uint32 = 0x80040402
	HRCouldNotOpenFile    uint32 = 0x80040403 // the file cannot be opened, or is missing
	HRVersionUnknown      uint32 = 0x80040404
	HRInvalidFileName     uint32 = 0x80040406
	HRIncompleteInstall   uint32 = 0x80040407
	HRCannotStart         uint32 = 0x80040408
	HRFileVersion         uint32 = 0x80040409
	HROtherFileOpen       uint32 = 0x8004040A
	HRInvalidTicket       uint32 = 0x8004040D
	HRWrongMode           uint32 = 0x80040410
	HRModalDialog         uint32 = 0x80040414
	HRNotRunningNoFile    uint32 = 0x80040416
	HRNoCompanyOpen       uint32 = 0x80040417
	HRFirstAccess         uint32 = 0x80040418
	HRNoPermission        uint32 = 0x8004041A
	HRLockFailed          uint32 = 0x8004041B
	HRInternalAccess      uint32 = 0x8004041C
	HRNoAutoLogin         uint32 = 0x8004041D
	HRCertExpired         uint32 = 0x8004041E
	HRBasicEdition        uint32 = 0x8004041F
	HRAccessDenied        uint32 = 0x80040420
	HRSingleUserConflict  uint32 = 0x80040422
	HRVersionNotSupported uint32 = 0x80040423
	HRNotInitialized      uint32 = 0x80040424
	HRUnregistered        uint32 = 0x80040427
	HRRemoteNotAllowed    uint32 = 0x8004042A
	HRCertRevoked         uint32 = 0x8004042C
	HRClassNotRegistered  uint32 = 0x80040154 // QBXMLRP2 is not installed (REGDB_E_CLASSNOTREG)
	HRSDKNotCommunicating uint32 = 0x80040308
)

// Windows' own HRESULTs that the COM driver meets before or around
// QuickBooks: creating the request processor, or calling it while
// QuickBooks crashes or refuses the caller. Their messages are Windows'
// standard texts for them.
const (
	HRInvalidClassString uint32 = 0x800401F3 // CO_E_CLASSSTRING: no program is registered as QBXMLRP2.RequestProcessor
	HRServerExecFailure  uint32 = 0x80080005 // CO_E_SERVER_EXEC_FAILURE: Windows could not start QuickBooks' COM server
	HRWinAccessDenied    uint32 = 0x80070005 // E_ACCESSDENIED: Windows refused the call (another user or elevation)
	HRRPCServerUnavail   uint32 = 0x800706BA // RPC_S_SERVER_UNAVAILABLE: QuickBooks ended during the call
	HRRPCCallFailed      uint32 = 0x800706BE // RPC_S_CALL_FAILED: QuickBooks crashed during the call
	HRObjectDisconnected uint32 = 0x80010108 // RPC_E_DISCONNECTED: QuickBooks ended since the connection opened
	HRCallRejected       uint32 = 0x80010001 // RPC_E_CALL_REJECTED: QuickBooks is busy
	HRServerFault        uint32 = 0x80010105 // RPC_E_SERVERFAULT: QuickBooks failed inside the call
	HRMemberNotFound     uint32 = 0x80020003 // DISP_E_MEMBERNOTFOUND: an older QBXMLRP2 lacks a method
	HRUnspecifiedFailure uint32 = 0x80004005 // E_FAIL
	HROutOfMemory        uint32 = 0x8007000E // E_OUTOFMEMORY
)

// hresultInfo is one row of the HRESULT table. Confirmed is false where the
// reference found no source for QuickBooks' exact text, so ours is a stand-in.
type hresultInfo struct {
	message   string
	confirmed bool
}

// hresults is the one table of QuickBooks' HRESULTs and exact messages.
var hresults = map[uint32]hresultInfo{
	HRParseError:          {"QuickBooks found an error when parsing the provided XML text stream.", true},
	HRCouldNotAccess:      {"Could not access QuickBooks.", true},
	HRUnexpected:          {"Unexpected error. Check the qbsdklog.txt file for possible, additional information.", true},
	HRCouldNotOpenFile:    {"Could not open the specified QuickBooks company data file.", true},
	HRVersionUnknown:      {"The version of qbXML that was requested is not supported or is unknown.", false},
	HRInvalidFileName:     {"The specified company data file name is invalid.", false},
	HRIncompleteInstall:   {"The installation of QuickBooks appears to be incomplete. Please reinstall QuickBooks.", false},
	HRCannotStart:         {"Could not start QuickBooks.", true},
	HRFileVersion:         {"The version of QuickBooks currently being used cannot work with the provided data file.", false},
	HROtherFileOpen:       {"QuickBooks company data file is already open and it is different from the one requested.", true},
	HRInvalidTicket:       {"The ticket parameter is invalid.", true},
	HRWrongMode:           {"The QuickBooks company data file is currently open in a mode other than the one specified by your application.", true},
	HRModalDialog:         {"A modal dialog box is showing in the QuickBooks user interface. Your application cannot access QuickBooks until the user dismisses the dialog box.", true},
	HRNotRunningNoFile:    {"If QuickBooks is not running, the company data file name must be supplied to BeginSession.", true},
	HRNoCompanyOpen:       {"QuickBooks is running, but no company data file is open. Supply the company data file name to BeginSession.", false},
	HRFirstAccess:         {"This application has not accessed this QuickBooks company data file before. Only the QuickBooks administrator can grant an application permission to access a QuickBooks company data file for the first time.", true},
	HRNoPermission:        {"This application does not have permission to access this QuickBooks company data file. The QuickBooks administrator can grant access permission through the Integrated Application preferences.", true},
	HRLockFailed:          {"Unable to lock the necessary information to allow this application to access this company data file. Try again later.", true},
	HRInternalAccess:      {"An internal QuickBooks error occurred while trying to access the QuickBooks company data file.", true},
	HRNoAutoLogin:         {"This application is not allowed to log into this QuickBooks company data file automatically. The QuickBooks administrator can grant permission for automatic login through the Integrated Application preferences.", true},
	HRCertExpired:         {"This application's certificate is expired. If you want to allow the application to log into QuickBooks automatically, log into QuickBooks and try again. Then click Allow Always when you are notified that the certificate has expired.", true},
	HRBasicEdition:        {"QuickBooks Basic cannot accept XML requests. Another product in the QuickBooks line, such as QuickBooks Pro or Premier, 2002 or later, is required.", true},
	HRAccessDenied:        {"The QuickBooks user has denied access.", true},
	HRSingleUserConflict:  {"This application requires Single User file access mode and there is already another application sharing data with this QuickBooks company data file.", true},
	HRVersionNotSupported: {"The version of qbXML that was requested is not supported or is unknown.", true},
	HRNotInitialized:      {"QuickBooks did not finish its initialization. Please try again later.", true},
	HRUnregistered:        {"Unregistered QuickBooks.", true},
	HRRemoteNotAllowed:    {"Remote access is not allowed.", true},
	HRCertRevoked:         {"Certificate has been revoked.", true},
	HRClassNotRegistered:  {"Class not registered", true},
	HRSDKNotCommunicating: {"Could not communicate with the QuickBooks SDK.", false},

	// Windows' texts (FormatMessage) for its own codes.
	HRInvalidClassString: {"Invalid class string", true},
	HRServerExecFailure:  {"Server execution failed", true},
	HRWinAccessDenied:    {"Access is denied.", true},
	HRRPCServerUnavail:   {"The RPC server is unavailable.", true},
	HRRPCCallFailed:      {"The remote procedure call failed.", true},
	HRObjectDisconnected: {"The object invoked has disconnected from its clients.", true},
	HRCallRejected:       {"Call was rejected by callee.", true},
	HRServerFault:        {"The server threw an exception.", true},
	HRMemberNotFound:     {"Member not found.", true},
	HRUnspecifiedFailure: {"Unspecified error", true},
	HROutOfMemory:        {"Not enough memory resources are available to complete this operation.", true},
}

// unknownHRESULTMessage is the text for an HRESULT the table lacks.
const unknownHRESULTMessage = "Unknown QuickBooks request processor error."

// Error is a failure QuickBooks' request processor reported: the HRESULT and
// QuickBooks' message for it.
type Error struct {
	HRESULT uint32
	Message string
	// Err is an optional cause that is not QuickBooks' (a transport failure
	// or the COM exception's details); it is not shown to users.
	Err error
}

// NewError returns the error QuickBooks reports for hr, with its message
// from the table (a generic text for an HRESULT the table lacks).
func NewError(hr uint32) *Error {
	return &Error{HRESULT: hr, Message: Message(hr)}
}

// Error returns "QuickBooks error 0x80040418: <message>".
func (e *Error) Error() string {
	s := fmt.Sprintf("QuickBooks error %s: %s", FormatHRESULT(e.HRESULT), e.Message)
	if e.Err != nil {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same HRESULT, so that
// errors.Is(err, qbd.NewError(qbd.HRAccessDenied)) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.HRESULT == e.HRESULT
}

// Message returns QuickBooks' message for hr, or a generic text when the
// table lacks it.
func Message(hr uint32) string {
	if info, ok := hresults[hr]; ok {
		return info.message
	}
	return unknownHRESULTMessage
}

// MessageConfirmed reports whether the table's message for hr is QuickBooks'
// text as found in a source, rather than a stand-in written for an HRESULT
// whose text no source gave.
func MessageConfirmed(hr uint32) bool {
	return hresults[hr].confirmed
}

// KnownHRESULTs returns every HRESULT in the table, in ascending order.
func KnownHRESULTs() []uint32 {
	out := make([]uint32, 0, len(hresults))
	for hr := range hresults {
		out = append(out, hr)
	}
	for i := 1; i < len(out); i++ { // insertion sort: the table is small
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// HRESULTOf returns the HRESULT of the first *Error in err's chain.
func HRESULTOf(err error) (uint32, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.HRESULT, true
	}
	return 0, false
}

// FormatHRESULT formats hr as QuickBooks and the Web Connector show it:
// "0x80040418".
func FormatHRESULT(hr uint32) string {
	return fmt.Sprintf("0x%08X", hr)
}

// ParseHRESULT parses "0x80040418", "80040418" or the signed decimal form
// VB shows ("-2147220456").
func ParseHRESULT(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("qbd: bad HRESULT %q: %w", s, err)
		}
		return uint32(int32(n)), nil
	}
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	n, err := strconv.ParseUint(h, 16, 32)
	if err != nil || h == "" {
		return 0, fmt.Errorf("qbd: bad HRESULT %q: want hexadecimal like 0x80040418", s)
	}
	return uint32(n), nil
}

// ErrAuthPending is wrapped by BeginSession's error when the call ended (its
// context expired) while QuickBooks was still showing the authorization
// dialog to the administrator. The dialog stays up; once it is answered the
// next BeginSession gets the answer.
var ErrAuthPending = errors.New("QuickBooks is waiting for the administrator to answer the application authorization dialog")
