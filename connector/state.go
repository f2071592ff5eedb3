package connector

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// Conditions of the connector itself, beside QuickBooks' conditions
// (qbd.Cond*).
const (
	// CondChecking: the connector has not talked to QuickBooks about this
	// file yet.
	CondChecking = "checking"
	// CondPlatformUnreachable: the connector cannot reach the platform.
	CondPlatformUnreachable = "platform_unreachable"
	// CondPaused: the end user paused syncing.
	CondPaused = "paused"
	// CondConnectorRevoked: the platform refused the connector's
	// credential.
	CondConnectorRevoked = "connector_revoked"
)

// Plain messages of the connector's own conditions.
var ownConditions = map[string]qbd.Condition{
	CondChecking: {Code: CondChecking, Message: "The connector is checking QuickBooks.",
		Resolution: "Wait a moment."},
	CondPlatformUnreachable: {Code: CondPlatformUnreachable, Message: "The connector cannot reach the qbconnect platform.",
		Resolution: "Check this computer's internet connection (and any proxy or firewall). The connector keeps trying by itself, and no work is lost meanwhile.", Retryable: true},
	CondPaused: {Code: CondPaused, Message: "Syncing is paused on this computer.",
		Resolution: "Press Resume to sync again.", NeedsUser: true, Retryable: true},
	CondConnectorRevoked: {Code: CondConnectorRevoked, Message: "The platform no longer accepts this connector: its access was revoked or the company was unlinked.",
		Resolution: "Ask for a new link code and run \"qbconnector link\" again.", NeedsUser: true},
}

// OwnCondition returns the plain message of one of the connector's own
// conditions.
func OwnCondition(code string) qbd.Condition { return ownConditions[code] }

// FileStatus is what the connector knows about one linked company file.
type FileStatus struct {
	ConnectionID string `json:"connectionId"`
	CompanyID    string `json:"companyId"`
	// CompanyName and OrgName are the platform company's and the client
	// organisation's names, once the platform said them.
	CompanyName string               `json:"companyName,omitempty"`
	OrgName     string               `json:"orgName,omitempty"`
	File        gateway.FileIdentity `json:"file"`
	// Condition is QuickBooks' condition for this file at the last
	// contact (qbd.CondOK when it answered normally).
	Condition qbd.Condition `json:"condition"`
	// QBMessage is QuickBooks' own message behind the condition.
	QBMessage string    `json:"qbMessage,omitempty"`
	Since     time.Time `json:"since"`
	// Shown is the condition shown to the end user: paused, the platform
	// unreachable, the connector revoked, or Condition.
	Shown       qbd.Condition `json:"shown"`
	Paused      bool          `json:"paused"`
	PausedUntil *time.Time    `json:"pausedUntil,omitempty"`
	// PausedBy is PausedHere or PausedByPlatform.
	PausedBy string `json:"pausedBy,omitempty"`
	// PendingPause is the end user's change the platform has not
	// confirmed yet.
	PendingPause *gateway.PauseChange `json:"pendingPause,omitempty"`
	LastRequest  *time.Time           `json:"lastRequestAt,omitempty"`
	LastSuccess  *time.Time           `json:"lastSuccessAt,omitempty"`
	// LastSync is when QuickBooks last answered a work item for this
	// file (LinkedFile.LastSyncAt): the card's "Last successful sync".
	LastSync *time.Time `json:"lastSyncAt,omitempty"`
	// LastSyncRequested is when Perform Sync was last pressed.
	LastSyncRequested *time.Time `json:"lastSyncRequestedAt,omitempty"`
	// Items counts the work items run for this file since the start.
	Items int `json:"items"`
	// Handover is the file's step in a certificate handover, and
	// HandoverVersion the new version it is about; nil when none runs.
	Handover        *FileHandover `json:"handover,omitempty"`
	HandoverVersion string        `json:"handoverVersion,omitempty"`
}

// Status is a snapshot of the connector's state.
type Status struct {
	Identity Identity     `json:"identity"`
	Platform string       `json:"platform"`
	Linked   bool         `json:"linked"`
	Files    []FileStatus `json:"files"`
	// PlatformCondition is ok, platform_unreachable or connector_revoked.
	PlatformCondition qbd.Condition `json:"platformCondition"`
	PlatformSince     time.Time     `json:"platformSince"`
	PlatformError     string        `json:"platformError,omitempty"`
}

// Connected counts the files whose QuickBooks condition is ok.
func (s Status) Connected() int {
	n := 0
	for _, f := range s.Files {
		if f.Condition.Code == qbd.CondOK {
			n++
		}
	}
	return n
}

// File returns the status of connection id, or nil.
func (s Status) File(id string) *FileStatus {
	for i := range s.Files {
		if s.Files[i].ConnectionID == id {
			return &s.Files[i]
		}
	}
	return nil
}

// State is the connector's live state: each file's condition and the
// platform's reachability. It is safe for concurrent use; Changed signals
// every change that the platform must hear about.
type State struct {
	now func() time.Time

	mu       sync.Mutex
	files    map[string]*FileStatus
	platform qbd.Condition
	platSice time.Time
	platErr  string
	changed  chan struct{}
	// wrongFileGrace is how long a file whose only problem is another
	// company file open in QuickBooks shows as waiting for QuickBooks
	// rather than needing someone (SetWrongFileGrace).
	wrongFileGrace time.Duration
}

// DefaultWrongFileGrace is how long another company file open in
// QuickBooks counts as the bookkeeper's ordinary work in another company,
// not as a problem: an hour.
const DefaultWrongFileGrace = time.Hour

// SetWrongFileGrace sets how long a file waiting only because QuickBooks
// has another company file open shows as "Waiting for QuickBooks" before
// it shows as needing action; 0 means DefaultWrongFileGrace.
func (s *State) SetWrongFileGrace(d time.Duration) {
	if d <= 0 {
		d = DefaultWrongFileGrace
	}
	s.mu.Lock()
	s.wrongFileGrace = d
	s.mu.Unlock()
}

// NewState returns a state with no files and the platform assumed
// reachable.
func NewState(now func() time.Time) *State {
	return &State{now: now, files: map[string]*FileStatus{}, platform: qbd.Diagnose(nil), platSice: now(), changed: make(chan struct{}, 1),
		wrongFileGrace: DefaultWrongFileGrace}
}

// Changed is signalled (without blocking, coalesced) after each change.
func (s *State) Changed() <-chan struct{} { return s.changed }

func (s *State) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// SetFiles makes the state follow the linked files: new ones start as
// "checking", removed ones are forgotten, pauses are copied.
func (s *State) SetFiles(files []LinkedFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.ConnectionID] = true
		fs := s.files[f.ConnectionID]
		if fs == nil {
			fs = &FileStatus{ConnectionID: f.ConnectionID, Condition: ownConditions[CondChecking], Since: s.now()}
			s.files[f.ConnectionID] = fs
		}
		fs.CompanyID, fs.File = f.CompanyID, f.File
		fs.CompanyName, fs.OrgName = f.CompanyName, f.OrgName
		fs.Paused, fs.PausedUntil, fs.PausedBy = f.Paused, f.PausedUntil, f.PausedBy
		fs.PendingPause = f.PendingPause
		if f.LastSyncAt != nil && (fs.LastSync == nil || f.LastSyncAt.After(*fs.LastSync)) {
			t := *f.LastSyncAt
			fs.LastSync = &t
		}
	}
	for id := range s.files {
		if !keep[id] {
			delete(s.files, id)
		}
	}
	s.notify()
}

// Observe records the outcome of a contact with QuickBooks about a file:
// cond (qbd.CondOK for a normal answer) and QuickBooks' message. It reports
// whether the condition changed.
func (s *State) Observe(connectionID string, cond qbd.Condition, qbMessage string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.files[connectionID]
	if fs == nil {
		return false
	}
	now := s.now()
	fs.LastRequest = &now
	if cond.Code == qbd.CondOK {
		fs.LastSuccess = &now
	}
	changed := fs.Condition.Code != cond.Code || fs.Condition.Message != cond.Message
	if fs.Condition.Code != cond.Code {
		fs.Since = now
	}
	fs.Condition, fs.QBMessage = cond, qbMessage
	if changed {
		s.notify()
	}
	return changed
}

// CountItem counts a work item run for a file.
func (s *State) CountItem(connectionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs := s.files[connectionID]; fs != nil {
		fs.Items++
	}
}

// Synced records that QuickBooks answered a work item for a file, and
// returns the previous time it did (nil when never).
func (s *State) Synced(connectionID string) (previous *time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.files[connectionID]
	if fs == nil {
		return nil
	}
	previous = fs.LastSync
	now := s.now()
	fs.LastSync = &now
	return previous
}

// SyncRequested records that Perform Sync was pressed.
func (s *State) SyncRequested(connectionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs := s.files[connectionID]; fs != nil {
		now := s.now()
		fs.LastSyncRequested = &now
	}
}

// Platform records whether the platform answered: err nil means it did.
// revoked says it refused the credential.
func (s *State) Platform(err error, revoked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := qbd.CondOK
	msg := ""
	switch {
	case revoked:
		code, msg = CondConnectorRevoked, err.Error()
	case err != nil:
		code, msg = CondPlatformUnreachable, err.Error()
	}
	if code != s.platform.Code {
		s.platSice = s.now()
		if code == qbd.CondOK {
			s.platform = qbd.Diagnose(nil)
		} else {
			s.platform = ownConditions[code]
		}
		s.notify()
	}
	s.platErr = msg
}

// PlatformOK reports whether the platform answered last time.
func (s *State) PlatformOK() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.platform.Code == qbd.CondOK
}

// Snapshot returns the state, files sorted by company name then
// connection ID.
func (s *State) Snapshot() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{PlatformCondition: s.platform, PlatformSince: s.platSice, PlatformError: s.platErr}
	for _, fs := range s.files {
		f := *fs
		switch {
		case f.Paused:
			f.Shown = pausedCondition(f)
		case s.platform.Code != qbd.CondOK:
			f.Shown = s.platform
		default:
			f.Shown = f.Condition
			if f.Shown.Code == qbd.CondWrongFileOpen && s.now().Sub(f.Since) < s.wrongFileGrace {
				// Someone is working in another company file: the
				// connector waits for QuickBooks, and says what to do
				// without calling it a problem, until it lasts.
				f.Shown.NeedsUser = false
			}
		}
		st.Files = append(st.Files, f)
	}
	slices.SortFunc(st.Files, func(a, b FileStatus) int {
		if a.File.CompanyName != b.File.CompanyName {
			if a.File.CompanyName < b.File.CompanyName {
				return -1
			}
			return 1
		}
		if a.ConnectionID < b.ConnectionID {
			return -1
		}
		if a.ConnectionID > b.ConnectionID {
			return 1
		}
		return 0
	})
	return st
}

// pausedCondition words a paused file's state by who paused it.
func pausedCondition(f FileStatus) qbd.Condition {
	c := ownConditions[CondPaused]
	if f.PausedBy == PausedByPlatform {
		who := "the qbconnect platform"
		if f.OrgName != "" {
			who = f.OrgName + " (through the qbconnect platform)"
		}
		c.Message = "Syncing is paused by " + who + "."
		c.Resolution = "Nothing to do on this computer: syncing resumes when it is resumed on the platform. Press Resume to sync again now."
	} else {
		c.Message = "Syncing is paused on this computer."
	}
	if f.PausedUntil != nil {
		c.Message = strings.TrimSuffix(c.Message, ".") + " until " + f.PausedUntil.Local().Format("Mon 2 Jan 15:04") + "."
	}
	return c
}

// Report returns the state as the gateway protocol reports it.
func (s *State) Report(id Identity) gateway.State {
	snap := s.Snapshot()
	out := gateway.State{Connector: id.Info(), Files: []gateway.FileState{}}
	for _, f := range snap.Files {
		cond := f.Condition
		if cond.Code == CondChecking {
			// Nothing known yet: report nothing wrong rather than a code
			// the platform would show as a problem.
			cond = qbd.Diagnose(nil)
		}
		fs := gateway.FileState{
			ConnectionID: f.ConnectionID, File: f.File, PauseChange: f.PendingPause,
			Condition: cond.Code, HResult: cond.HRESULT, Message: f.QBMessage,
			UserMessage: cond.Message, Resolution: cond.Resolution, NeedsUser: cond.NeedsUser,
			LastRequest: f.LastRequest, LastSuccess: f.LastSuccess,
		}
		if cond.Code == qbd.CondOK {
			fs.UserMessage, fs.Resolution = "", ""
		}
		out.Files = append(out.Files, fs)
	}
	return out
}

// clientLabel names the platform company and its client organisation, as
// "Acme Bakery — for Lender Inc.", or the company ID before the platform
// said the names.
func clientLabel(companyName, orgName, companyID string) string {
	s := companyName
	if s == "" {
		s = "company " + companyID
	}
	if orgName != "" {
		s += " — for " + orgName
	}
	return s
}

// Client names the file's platform company and client organisation, as
// "Acme Bakery — for Lender Inc.".
func (f FileStatus) Client() string { return clientLabel(f.CompanyName, f.OrgName, f.CompanyID) }

// Client names the file's platform company and client organisation, as
// "Acme Bakery — for Lender Inc.".
func (f LinkedFile) Client() string { return clientLabel(f.CompanyName, f.OrgName, f.CompanyID) }

// Summary says in one sentence how the connector is, for the first line of
// `qbconnector status`: whether the platform answers, then how many linked
// company files QuickBooks answers for and how many need someone.
func (s Status) Summary() string {
	switch {
	case s.PlatformCondition.Code == CondConnectorRevoked:
		return "The connector runs, but the platform no longer accepts it."
	case s.PlatformCondition.Code != qbd.CondOK:
		return "The connector runs, but cannot reach the platform at " + s.Platform + "; work waits until it can."
	case len(s.Files) == 0:
		return "The connector runs, but no company file is linked yet."
	}
	ok, need, checking := 0, 0, 0
	for _, f := range s.Files {
		switch {
		case f.Shown.Code == qbd.CondOK:
			ok++
		case f.Shown.Code == CondChecking:
			checking++
		case f.Shown.NeedsUser:
			need++
		}
	}
	n := len(s.Files)
	files := "company files"
	if n == 1 {
		files = "company file"
	}
	switch {
	case ok == n && n == 1:
		return "The connector runs, and QuickBooks answers for the linked company file."
	case ok == n:
		return fmt.Sprintf("The connector runs, and QuickBooks answers for all %d linked company files.", n)
	case checking == n:
		return "The connector runs and is checking QuickBooks."
	case need == 0:
		return fmt.Sprintf("The connector runs; QuickBooks answers for %d of %d linked %s, and the others wait for QuickBooks.", ok, n, files)
	case n == 1:
		return "The connector runs, but the linked company file needs you in QuickBooks (see below)."
	}
	verb := "need"
	if need == 1 {
		verb = "needs"
	}
	return fmt.Sprintf("The connector runs; QuickBooks answers for %d of %d linked %s, and %d %s you (see below).", ok, n, files, need, verb)
}
