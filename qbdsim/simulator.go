package qbdsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/signing"
)

// AdminUser is the QuickBooks administrator's user name; only the
// administrator can authorise an application the first time.
const AdminUser = "Admin"

// Product describes the simulated QuickBooks, as HostQuery reports it.
type Product struct {
	Name         string // default "QuickBooks Enterprise Solutions 24.0"
	MajorVersion string // default "24"
	MinorVersion string // default "0"
	Country      string // default "US"
}

// ProgramVerifier verifies the code signature of a calling program. A
// *signing.Verifier satisfies it. VerifyFile reports problems with the
// signature in the Signature's Verdict; its error is for a file that cannot
// be read.
type ProgramVerifier interface {
	VerifyFile(ctx context.Context, path string) (*signing.Signature, error)
}

// Options configure a Simulator. Only Dir is required.
type Options struct {
	// Dir holds the company files. BeginSession and OpenFile accept paths
	// inside it, absolute or relative to it. Required.
	Dir string
	// Now is the clock (certificate expiry, timestamps); nil means time.Now.
	Now func() time.Time
	// Logger receives one record per state change and call; nil discards.
	Logger *slog.Logger
	// Rand is the source of tickets and dialog IDs; nil means crypto/rand.
	Rand io.Reader
	// Verifier verifies calling programs. Nil means a signing.Verifier that
	// trusts the system's roots, using Now.
	Verifier ProgramVerifier
	// Policy answers authorization dialogs by script; the zero value is
	// PolicyAsk (dialogs wait for an answer).
	Policy Policy
	// Latency is added to every request of every company file (default none).
	Latency companyfile.Latency
	// Product is what HostQuery reports; zero fields get defaults.
	Product Product
	// BalanceMarksModified is companyfile.Options.BalanceMarksModified
	// for every company file.
	BalanceMarksModified bool
}

// Simulator is a simulated QuickBooks Desktop on one computer. It is safe for
// concurrent use. Close it to close the open company file.
type Simulator struct {
	dir string
	// now is the simulator's clock: base (Options.Now) moved by offset
	// (SetClock), so that a test or a demo can let certificates expire.
	now      func() time.Time
	base     func() time.Time
	offset   atomic.Int64 // nanoseconds added to base
	log      *slog.Logger
	rand     io.Reader
	verifier ProgramVerifier
	product  Product

	// procMu serialises request processing and anything that closes a
	// company file, as QuickBooks runs one request at a time. Lock it before mu.
	procMu sync.Mutex

	mu           sync.Mutex
	running      bool
	unattended   bool // started in the background for an application
	initializing bool
	cannotStart  bool
	open         *openFile
	modal        string
	conns        map[string]*conn
	sessions     map[string]*session
	dialogs      map[string]*Dialog
	answered     []Dialog // most recent last, at most maxHistory
	policy       Policy
	latency      companyfile.Latency
	balanceMarks bool // see Options.BalanceMarksModified
	faults       []*faultState
	seq          int
	changed      chan struct{}
	closed       bool
}

const maxHistory = 50

// openFile is the company file QuickBooks has open.
type openFile struct {
	f    *companyfile.File
	path string
	mode qbd.FileMode // single or multi, never do-not-care
	user string
	// grants are "Yes, prompt each time" answers, valid while the file
	// stays open (QuickBooks' "this session only").
	grants map[string]bool
}

// New returns a simulator with QuickBooks closed.
func New(opt Options) (*Simulator, error) {
	if opt.Dir == "" {
		return nil, errors.New("qbdsim: the company files directory is required")
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("qbdsim: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("qbdsim: company files directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("qbdsim: company files directory %s is not a directory", dir)
	}
	if err := opt.Policy.Validate(); err != nil {
		return nil, err
	}
	s := &Simulator{
		dir:          dir,
		now:          opt.Now,
		log:          opt.Logger,
		rand:         opt.Rand,
		verifier:     opt.Verifier,
		product:      opt.Product,
		conns:        map[string]*conn{},
		sessions:     map[string]*session{},
		dialogs:      map[string]*Dialog{},
		policy:       opt.Policy,
		latency:      opt.Latency,
		balanceMarks: opt.BalanceMarksModified,
		changed:      make(chan struct{}),
	}
	s.base = opt.Now
	if s.base == nil {
		s.base = time.Now
	}
	s.now = func() time.Time { return s.base().Add(time.Duration(s.offset.Load())) }
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.verifier == nil {
		s.verifier = &signing.Verifier{Now: s.now, Logger: s.log}
	}
	if s.product.Name == "" {
		s.product.Name = "QuickBooks Enterprise Solutions 24.0"
	}
	if s.product.MajorVersion == "" {
		s.product.MajorVersion = "24"
	}
	if s.product.MinorVersion == "" {
		s.product.MinorVersion = "0"
	}
	if s.product.Country == "" {
		s.product.Country = "US"
	}
	return s, nil
}

// Dir returns the company files directory.
func (s *Simulator) Dir() string { return s.dir }

// Close stops QuickBooks (closing its company file) and refuses further use.
func (s *Simulator) Close() error {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.stopLocked("simulator closed")
	s.closed = true
	return err
}

// Changed returns a channel that is closed at the next change of state
// (QuickBooks started or stopped, a file opened or closed, a dialog shown or
// answered, a session begun or ended). Tests wait on it instead of sleeping.
func (s *Simulator) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// notifyLocked signals a change of state.
func (s *Simulator) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor waits until cond, called with the current state, returns true, or
// ctx ends.
func (s *Simulator) WaitFor(ctx context.Context, cond func(State) bool) (State, error) {
	for {
		ch := s.Changed()
		st := s.State()
		if cond(st) {
			return st, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return st, ctx.Err()
		}
	}
}

// WaitDialog waits until an authorization dialog is pending and returns the
// oldest one.
func (s *Simulator) WaitDialog(ctx context.Context) (Dialog, error) {
	st, err := s.WaitFor(ctx, func(st State) bool { return len(st.Dialogs) > 0 })
	if err != nil {
		return Dialog{}, fmt.Errorf("qbdsim: waiting for an authorization dialog: %w", err)
	}
	return st.Dialogs[0], nil
}

// newID returns a random ID of n bytes in hex.
func (s *Simulator) newID(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		// A failing random source is a broken machine; fall back to a
		// sequence so the simulator keeps working, and say so.
		s.seq++
		s.log.Error("qbdsim: random source failed", "err", err)
		return fmt.Sprintf("%0*x", n*2, s.seq)
	}
	return hex.EncodeToString(b)
}

// State is a snapshot of the simulated QuickBooks.
type State struct {
	// Clock is the simulator's time, by which certificates expire;
	// ClockShifted says it was moved with SetClock.
	Clock        time.Time `json:"clock"`
	ClockShifted bool      `json:"clockShifted,omitempty"`
	Running      bool      `json:"running"`
	Unattended   bool      `json:"unattended"`   // started in the background for an application
	Initializing bool      `json:"initializing"` // still starting (0x80040424)
	CannotStart  bool      `json:"cannotStart"`  // QuickBooks cannot be started (0x80040408)
	// CompanyFile is the open company file; nil when none is open.
	CompanyFile *OpenFile `json:"companyFile,omitempty"`
	// ModalDialog is the title of a modal dialog the user has open in
	// QuickBooks; empty when none (pending authorization dialogs are in
	// Dialogs).
	ModalDialog string        `json:"modalDialog,omitempty"`
	Dialogs     []Dialog      `json:"dialogs"`
	Answered    []Dialog      `json:"answered"`
	Sessions    []SessionInfo `json:"sessions"`
	Connections int           `json:"connections"`
	Policy      Policy        `json:"policy"`
	Faults      []Fault       `json:"faults"`
	Latency     LatencyJSON   `json:"latency"`
}

// LatencyJSON is the latency model as JSON-friendly durations.
type LatencyJSON struct {
	PerRequest string `json:"perRequest"`
	PerRecord  string `json:"perRecord"`
}

// OpenFile describes the open company file.
type OpenFile struct {
	Path        string `json:"path"`
	Name        string `json:"name"` // file name in the directory
	CompanyName string `json:"companyName"`
	Mode        string `json:"mode"` // "single" or "multi"
	User        string `json:"user"`
}

// SessionInfo describes an application's session.
type SessionInfo struct {
	Ticket     string    `json:"ticket"`
	AppName    string    `json:"appName"`
	Path       string    `json:"path"`
	Mode       string    `json:"mode"`
	User       string    `json:"user"`
	Unattended bool      `json:"unattended"`
	Started    time.Time `json:"started"`
}

// State returns a snapshot of QuickBooks' state.
func (s *Simulator) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{
		Clock:        s.now().UTC(),
		ClockShifted: s.offset.Load() != 0,
		Running:      s.running,
		Unattended:   s.unattended,
		Initializing: s.initializing,
		CannotStart:  s.cannotStart,
		ModalDialog:  s.modal,
		Connections:  len(s.conns),
		Policy:       s.policy,
		Dialogs:      []Dialog{},
		Answered:     slices.Clone(s.answered),
		Sessions:     []SessionInfo{},
		Faults:       []Fault{},
		Latency:      LatencyJSON{s.latency.PerRequest.String(), s.latency.PerRecord.String()},
	}
	if st.Answered == nil {
		st.Answered = []Dialog{}
	}
	if o := s.open; o != nil {
		st.CompanyFile = &OpenFile{Path: o.path, Name: filepath.Base(o.path), CompanyName: o.f.CompanyName(), Mode: o.mode.String(), User: o.user}
	}
	for _, d := range s.dialogs {
		st.Dialogs = append(st.Dialogs, d.snapshot())
	}
	slices.SortFunc(st.Dialogs, func(a, b Dialog) int { return a.CreatedAt.Compare(b.CreatedAt)*2 + strings.Compare(a.ID, b.ID) })
	for _, ss := range s.sessions {
		if ss.lost {
			continue
		}
		st.Sessions = append(st.Sessions, SessionInfo{Ticket: ss.ticket, AppName: ss.conn.app.Name, Path: ss.path, Mode: ss.mode.String(), User: ss.user, Unattended: ss.unattended, Started: ss.started})
	}
	slices.SortFunc(st.Sessions, func(a, b SessionInfo) int {
		return a.Started.Compare(b.Started)*2 + strings.Compare(a.Ticket, b.Ticket)
	})
	for _, f := range s.faults {
		st.Faults = append(st.Faults, f.Fault)
	}
	return st
}

// CompanyFiles lists the company files (*.qbw, any case) in the directory,
// sorted by name.
func (s *Simulator) CompanyFiles() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("qbdsim: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".qbw") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// errBadPath is the cause of HRInvalidFileName.
var errBadPath = errors.New("qbdsim: company file path is outside the company files directory or malformed")

// resolve turns a company file name (relative to the directory, or absolute
// inside it; either slash) into a clean absolute path. It does not check that
// the file exists.
func (s *Simulator) resolve(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "\x00*?\"<>|") {
		return "", errBadPath
	}
	name = strings.ReplaceAll(name, "\\", string(filepath.Separator))
	p := name
	if !filepath.IsAbs(p) {
		if !filepath.IsLocal(p) {
			return "", errBadPath
		}
		p = filepath.Join(s.dir, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(s.dir, p)
	if err != nil || !filepath.IsLocal(rel) {
		return "", errBadPath
	}
	return p, nil
}

// sameFile compares company file paths as Windows does.
func sameFile(a, b string) bool { return strings.EqualFold(filepath.Clean(a), filepath.Clean(b)) }

// openCompany opens the company file at the resolved path p.
func (s *Simulator) openCompany(p string) (*companyfile.File, error) {
	f, err := companyfile.Open(p, companyfile.Options{Now: s.now, Logger: s.log, Latency: s.latency, BalanceMarksModified: s.balanceMarks})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// hrFromOpen maps a companyfile.Open failure to QuickBooks' HRESULT.
func hrFromOpen(err error) *qbd.Error {
	e := qbd.NewError(qbd.HRCouldNotOpenFile)
	e.Err = err
	return e
}

// StartQuickBooks starts QuickBooks with its UI, no company file open. If it
// runs in the background for an application, it comes to the foreground.
func (s *Simulator) StartQuickBooks() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if s.cannotStart {
		return qbd.NewError(qbd.HRCannotStart)
	}
	if s.running && !s.unattended {
		return nil
	}
	s.running, s.unattended = true, false
	s.log.Info("qbdsim: QuickBooks started")
	s.notifyLocked()
	return nil
}

// StopQuickBooks closes QuickBooks: the open company file closes, pending
// dialogs disappear (their callers get HRCouldNotAccess) and open sessions
// are lost (their requests get HRCouldNotAccess).
func (s *Simulator) StopQuickBooks() error {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked("QuickBooks closed")
}

func (s *Simulator) stopLocked(why string) error {
	err := s.closeFileLocked(why)
	wasRunning := s.running
	s.running, s.unattended, s.initializing, s.modal = false, false, false, ""
	if wasRunning {
		s.log.Info("qbdsim: QuickBooks stopped", "why", why)
	}
	s.notifyLocked()
	return err
}

var errClosed = errors.New("qbdsim: the simulator is closed")

// OpenFile opens a company file in QuickBooks' UI, as a user does (starting
// QuickBooks if needed), in mode (single or multi; do-not-care means single)
// logged in as user ("" means Admin). An open file is closed first, unless an
// application has a session on it.
func (s *Simulator) OpenFile(name string, mode qbd.FileMode, user string) error {
	p, err := s.resolve(name)
	if err != nil {
		return fmt.Errorf("%w: %q", err, name)
	}
	if mode == qbd.FileModeDoNotCare {
		mode = qbd.FileModeSingleUser
	}
	if mode != qbd.FileModeSingleUser && mode != qbd.FileModeMultiUser {
		return fmt.Errorf("qbdsim: unknown file mode %d", mode)
	}
	if user == "" {
		user = AdminUser
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if s.cannotStart && !s.running {
		return qbd.NewError(qbd.HRCannotStart)
	}
	if o := s.open; o != nil {
		if s.activeSessionsLocked(o.path) > 0 && !sameFile(o.path, p) {
			return fmt.Errorf("qbdsim: an application is using %s; end its session or close the company file first", filepath.Base(o.path))
		}
		if sameFile(o.path, p) {
			if !slices.Contains(o.f.Users(), user) {
				return fmt.Errorf("qbdsim: %s has no user %q (users: %s)", filepath.Base(p), user, strings.Join(o.f.Users(), ", "))
			}
			if o.mode != mode && s.activeSessionsLocked(o.path) > 0 {
				return fmt.Errorf("qbdsim: an application is using %s; cannot switch it to %s-user mode now", filepath.Base(p), mode)
			}
			o.mode, o.user = mode, user
			s.running, s.unattended = true, false
			s.notifyLocked()
			return nil
		}
		if err := s.closeFileLocked("another company file opened"); err != nil {
			return err
		}
	}
	f, err := s.openCompany(p)
	if err != nil {
		return fmt.Errorf("qbdsim: opening %s: %w", name, err)
	}
	if !slices.Contains(f.Users(), user) {
		users := f.Users()
		f.Close()
		return fmt.Errorf("qbdsim: %s has no user %q (users: %s)", filepath.Base(p), user, strings.Join(users, ", "))
	}
	s.running, s.unattended = true, false
	s.open = &openFile{f: f, path: p, mode: mode, user: user, grants: map[string]bool{}}
	s.log.Info("qbdsim: company file opened", "path", p, "mode", mode.String(), "user", user)
	s.notifyLocked()
	return nil
}

// CloseFile closes the open company file (File > Close Company); QuickBooks
// keeps running. Sessions on it are lost and its dialogs disappear.
func (s *Simulator) CloseFile() error {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.closeFileLocked("company file closed")
	if s.unattended {
		s.running, s.unattended = false, false
	}
	s.notifyLocked()
	return err
}

// closeFileLocked closes the open file: its sessions are lost, its dialogs
// are dismissed. The caller holds procMu and mu.
func (s *Simulator) closeFileLocked(why string) error {
	for _, d := range s.dialogs {
		d.finish(s, &qbd.Error{HRESULT: qbd.HRCouldNotAccess, Message: qbd.Message(qbd.HRCouldNotAccess), Err: errors.New(why)})
	}
	o := s.open
	if o == nil {
		return nil
	}
	for _, ss := range s.sessions {
		if sameFile(ss.path, o.path) && !ss.lost {
			ss.lost = true
			o.f.EndSession(ss.ticket)
		}
	}
	s.open = nil
	s.log.Info("qbdsim: company file closed", "path", o.path, "why", why)
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("qbdsim: closing %s: %w", o.path, err)
	}
	return nil
}

func (s *Simulator) activeSessionsLocked(path string) int {
	n := 0
	for _, ss := range s.sessions {
		if !ss.lost && sameFile(ss.path, path) {
			n++
		}
	}
	return n
}

// ShowModalDialog shows a modal dialog in QuickBooks' UI (title is what it
// says); until it is dismissed every application gets HRModalDialog.
func (s *Simulator) ShowModalDialog(title string) error {
	if title == "" {
		title = "QuickBooks"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return errors.New("qbdsim: QuickBooks is not running; it cannot show a dialog")
	}
	s.modal = title
	s.notifyLocked()
	return nil
}

// DismissModalDialog closes the modal dialog, if any.
func (s *Simulator) DismissModalDialog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modal = ""
	s.notifyLocked()
}

// SetInitializing makes QuickBooks report that it has not finished starting
// (HRNotInitialized) until called with false.
func (s *Simulator) SetInitializing(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.initializing = on
	s.notifyLocked()
}

// SetCannotStart makes starting QuickBooks fail (HRCannotStart) until called
// with false, as when it is not installed or the Windows user cannot run it.
func (s *Simulator) SetCannotStart(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cannotStart = on
	s.notifyLocked()
}

// Now returns the simulator's time: Options.Now moved by SetClock. A
// ProgramVerifier given in Options should use it as its clock.
func (s *Simulator) Now() time.Time { return s.now() }

// SetClock moves the simulator's clock to t; it then runs on from t. A
// signer certificate whose NotAfter the clock passes is expired from then
// on (unless the signature carries a trusted timestamp from within the
// certificate's validity, which Authenticode holds valid for good), as in
// QuickBooks on a computer whose date passed it: the Expired
// Certificate window (or 0x8004041E for automatic login) when the company
// file's "Notify the user before running any application whose
// certificate has expired" preference is on. The zero time resets the
// clock to Options.Now.
func (s *Simulator) SetClock(t time.Time) {
	var off time.Duration
	if !t.IsZero() {
		off = t.Sub(s.base())
	}
	s.offset.Store(int64(off))
	s.log.Info("clock set", "time", s.now().UTC(), "offset", off)
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
}

// SetPolicy sets how authorization dialogs are answered from now on. Dialogs
// already pending are answered at once by a policy other than PolicyAsk.
func (s *Simulator) SetPolicy(p Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
	if p.Mode != PolicyAsk && p.Mode != "" {
		for _, d := range s.dialogs {
			s.applyPolicyLocked(d)
		}
	}
	s.notifyLocked()
	return nil
}

// SetLatency sets the latency model for every company file from now on.
func (s *Simulator) SetLatency(l companyfile.Latency) error {
	if l.PerRequest < 0 || l.PerRecord < 0 {
		return errors.New("qbdsim: latency cannot be negative")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = l
	if s.open != nil {
		s.open.f.SetLatency(l)
	}
	s.notifyLocked()
	return nil
}
