package qbd

import (
	"context"
	"fmt"
)

// RequestProcessor is one connection to QuickBooks, like one QBXMLRP2
// RequestProcessor COM object. Calls follow QuickBooks' order:
// OpenConnection, optionally SetAuthPreferences, BeginSession, any number of
// ProcessRequest, EndSession, CloseConnection. A processor may be opened again
// after CloseConnection.
//
// Every method returns a [*Error] for a failure that QuickBooks reports (use
// [Diagnose] to explain it); other errors are transport failures or a
// cancelled context. Implementations are safe for use by one goroutine at a
// time, as the COM object is; QuickBooks itself runs one request at a time.
type RequestProcessor interface {
	// OpenConnection connects to QuickBooks as the application app.
	OpenConnection(ctx context.Context, app App) error
	// SetAuthPreferences declares what the application needs, which shapes the
	// authorization dialog. It must be called before BeginSession.
	SetAuthPreferences(ctx context.Context, prefs AuthPreferences) error
	// BeginSession opens a session on the company file path in mode and
	// returns its ticket. The empty path means the file QuickBooks has open.
	// The first access of an application to a file may wait until the
	// QuickBooks administrator answers the authorization dialog; the context
	// bounds that wait (drivers then return an error wrapping [ErrAuthPending]
	// when they can tell).
	BeginSession(ctx context.Context, path string, mode FileMode) (ticket string, err error)
	// ProcessRequest runs one qbXML request document and returns the response
	// document. Errors inside the request are statuses in the response; only
	// failures of QuickBooks itself (parse error, modal dialog, ...) are errors.
	ProcessRequest(ctx context.Context, ticket string, request []byte) ([]byte, error)
	// EndSession ends the session; an unknown ticket is HRInvalidTicket.
	EndSession(ctx context.Context, ticket string) error
	// CloseConnection ends the connection and any session still open on it.
	CloseConnection(ctx context.Context) error
	// CurrentCompanyFileName returns the full path of the session's company file.
	CurrentCompanyFileName(ctx context.Context, ticket string) (string, error)
	// QBXMLVersionsForSession returns the qbXML versions the session's
	// QuickBooks supports, oldest first ("1.0", ..., "13.0").
	QBXMLVersionsForSession(ctx context.Context, ticket string) ([]string, error)
}

// App is the identity an application connects as.
type App struct {
	// ID is the application ID QuickBooks barely uses; it may be empty.
	ID string `json:"appID"`
	// Name is the name QuickBooks shows in its dialogs and in the Integrated
	// Applications list. Required.
	Name string `json:"appName"`
	// ConnectionType is where QuickBooks runs; zero means LocalQBD.
	ConnectionType ConnectionType `json:"connectionType"`
	// Program is the path of the calling executable, whose code signature
	// identifies the application together with Name. The simulator verifies
	// it; real QuickBooks finds the calling program itself, so the COM driver
	// ignores it. Empty means an unsigned caller.
	Program string `json:"program,omitempty"`
}

// Validate reports whether the identity can open a connection.
func (a App) Validate() error {
	if a.Name == "" {
		return fmt.Errorf("qbd: the application name is required")
	}
	if a.ConnectionType < ConnectionUnknown || a.ConnectionType > ConnectionRemoteQBOE {
		return fmt.Errorf("qbd: unknown connection type %d", a.ConnectionType)
	}
	return nil
}

// ConnectionType is QBXMLRPConnectionType; the values are the type library's.
type ConnectionType int

// Connection types.
const (
	ConnectionUnknown          ConnectionType = 0
	ConnectionLocalQBD         ConnectionType = 1 // QuickBooks on this machine; started without UI if needed
	ConnectionRemoteQBD        ConnectionType = 2 // Remote Data Sharing
	ConnectionLocalQBDLaunchUI ConnectionType = 3 // as LocalQBD, launching QuickBooks' UI if it is not running
	ConnectionRemoteQBOE       ConnectionType = 4 // QuickBooks Online Edition over qbXML (obsolete)
)

var connectionTypeNames = [...]string{"unknown", "localQBD", "remoteQBD", "localQBDLaunchUI", "remoteQBOE"}

// String returns the type library's name without its prefix, e.g. "localQBD".
func (c ConnectionType) String() string {
	if c >= 0 && int(c) < len(connectionTypeNames) {
		return connectionTypeNames[c]
	}
	return fmt.Sprintf("ConnectionType(%d)", int(c))
}

// FileMode is QBFileMode, the mode BeginSession asks for; the values are the
// type library's (some old C headers have them wrong).
type FileMode int

// File modes.
const (
	FileModeSingleUser FileMode = 0
	FileModeMultiUser  FileMode = 1
	FileModeDoNotCare  FileMode = 2
)

// String returns "single", "multi" or "do-not-care".
func (m FileMode) String() string {
	switch m {
	case FileModeSingleUser:
		return "single"
	case FileModeMultiUser:
		return "multi"
	case FileModeDoNotCare:
		return "do-not-care"
	}
	return fmt.Sprintf("FileMode(%d)", int(m))
}

// ParseFileMode parses the names String returns, plus "single-user",
// "multi-user", "donotcare" and "" (do not care).
func ParseFileMode(s string) (FileMode, error) {
	switch s {
	case "single", "single-user", "SingleUser":
		return FileModeSingleUser, nil
	case "multi", "multi-user", "MultiUser":
		return FileModeMultiUser, nil
	case "", "do-not-care", "donotcare", "DoNotCare":
		return FileModeDoNotCare, nil
	}
	return 0, fmt.Errorf("qbd: unknown file mode %q (want single, multi or do-not-care)", s)
}

// UnattendedModePref is QBXMLRPUnattendedModePrefType: whether the application
// needs to run while QuickBooks is closed.
type UnattendedModePref int

// Unattended mode preferences; zero means the SDK default, optional.
const (
	UnattendedRequired UnattendedModePref = 1
	UnattendedOptional UnattendedModePref = 2
)

// PersonalDataPref is QBXMLRPPersonalDataPrefType: whether the application
// needs personal data (Social Security numbers, credit card numbers).
type PersonalDataPref int

// Personal data preferences; zero means the SDK default, optional.
const (
	PersonalDataRequired  PersonalDataPref = 1
	PersonalDataOptional  PersonalDataPref = 2
	PersonalDataNotNeeded PersonalDataPref = 3
)

// AuthFlag values for AuthPreferences.AuthFlags (which editions the
// application supports). Zero means the SDK default: Pro, Premier, Enterprise.
const (
	AuthFlagSimpleStart uint32 = 0x1
	AuthFlagPro         uint32 = 0x2
	AuthFlagPremier     uint32 = 0x4
	AuthFlagEnterprise  uint32 = 0x8
)

// AuthPreferences is what the application asks for (IAuthPreferences2).
// QuickBooks offers the administrator only what the application asked for.
// The zero value asks for read-write access, unattended mode optional,
// personal data optional, the default editions.
type AuthPreferences struct {
	ReadOnly     bool               `json:"readOnly"`
	Unattended   UnattendedModePref `json:"unattendedMode,omitempty"`
	PersonalData PersonalDataPref   `json:"personalData,omitempty"`
	AuthFlags    uint32             `json:"authFlags,omitempty"`
}

// Validate reports whether every field holds a value QuickBooks knows.
func (p AuthPreferences) Validate() error {
	if p.Unattended != 0 && p.Unattended != UnattendedRequired && p.Unattended != UnattendedOptional {
		return fmt.Errorf("qbd: unknown unattended mode preference %d", p.Unattended)
	}
	if p.PersonalData < 0 || p.PersonalData > PersonalDataNotNeeded {
		return fmt.Errorf("qbd: unknown personal data preference %d", p.PersonalData)
	}
	if p.AuthFlags&^0xF != 0 && p.AuthFlags != 0x80000000 {
		return fmt.Errorf("qbd: unknown auth flags %#x", p.AuthFlags)
	}
	return nil
}

// QBXMLVersions are the qbXML versions a QuickBooks of 2014 or later reports,
// oldest first (there is no 3.1 or 5.1).
func QBXMLVersions() []string {
	return []string{"1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0", "9.0", "10.0", "11.0", "12.0", "13.0"}
}
