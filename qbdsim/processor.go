package qbdsim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/signing"
)

// conn is an application's connection (one RequestProcessor).
type conn struct {
	id      string
	app     qbd.App
	prefs   qbd.AuthPreferences
	sig     *signing.Signature // nil when the caller named no program
	trusted bool               // Exec's built-in application: never asks
}

// session is an application's session on a company file.
type session struct {
	ticket     string
	conn       *conn
	path       string
	mode       qbd.FileMode // as requested
	user       string
	unattended bool
	started    time.Time
	lost       bool // QuickBooks or the file closed under it
	access     companyfile.AccessRights
}

// programStatus is what QuickBooks makes of a caller's signature.
type programStatus int

const (
	progUnsigned programStatus = iota // no certificate QuickBooks can verify
	progValid
	progExpired
	progRevoked
)

// status returns the caller's signature status at now and its certificate
// (nil when unsigned). A certificate that expired since OpenConnection is
// expired, unless the signature carries a trusted timestamp from within
// the certificate's validity: QuickBooks judges a program's signature with
// Microsoft Authenticode ("Digitally signing your code", Intuit's
// QuickBooks Desktop SDK guide, developer.intuit.com
// .../qbdesktop/docs/go-live/digitally-signing-your-code), and
// Authenticode holds a timestamped signature valid after its certificate
// expires; only an untimestamped one shows as Expired (the Expired
// Certificate window, or 0x8004041E for automatic login).
func (c *conn) status(now time.Time) (programStatus, *Certificate) {
	if c.sig == nil {
		return progUnsigned, nil
	}
	switch c.sig.Verdict {
	case signing.Revoked:
		return progRevoked, certificateOf(c.sig.Identity)
	case signing.Expired:
		return progExpired, certificateOf(c.sig.Identity)
	case signing.Valid:
		if c.sig.ValidByTimestamp || stampedInTime(c.sig) {
			return progValid, certificateOf(c.sig.Identity)
		}
		if now.After(c.sig.NotAfter) || now.Before(c.sig.NotBefore) {
			return progExpired, certificateOf(c.sig.Identity)
		}
		return progValid, certificateOf(c.sig.Identity)
	}
	// Unsigned, tampered or untrusted: QuickBooks can report the name but
	// cannot verify it.
	return progUnsigned, nil
}

// stampedInTime reports a trusted timestamp within the signer
// certificate's validity: the signature stays valid when the certificate
// expires later.
func stampedInTime(sig *signing.Signature) bool {
	return sig.Timestamped && sig.TimestampTrusted &&
		!sig.TimestampTime.Before(sig.NotBefore) && !sig.TimestampTime.After(sig.NotAfter)
}

func hrErr(hr uint32, cause error) *qbd.Error {
	e := qbd.NewError(hr)
	e.Err = cause
	return e
}

var errNotConnected = errors.New("qbdsim: OpenConnection was not called on this request processor, or it was closed")

// Connect opens a connection for app (QBXMLRP2's OpenConnection2) and
// returns its ID. The calling program named in app is verified now.
func (s *Simulator) Connect(ctx context.Context, app qbd.App) (string, error) {
	return s.connect(ctx, app, false)
}

func (s *Simulator) connect(ctx context.Context, app qbd.App, trusted bool) (string, error) {
	if err := app.Validate(); err != nil {
		return "", err
	}
	if err := s.fault(ctx, "OpenConnection"); err != nil {
		return "", err
	}
	c := &conn{app: app, trusted: trusted}
	if app.Program != "" {
		sig, err := s.verifier.VerifyFile(ctx, app.Program)
		if err != nil {
			return "", fmt.Errorf("qbdsim: verifying the calling program: %w", err)
		}
		c.sig = sig
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errClosed
	}
	c.id = s.newID(8)
	s.conns[c.id] = c
	signer := "unsigned"
	if c.sig != nil {
		signer = fmt.Sprintf("%s (%s)", c.sig.Identity, c.sig.Verdict)
	}
	s.log.Info("qbdsim: connection opened", "conn", c.id, "app", app.Name, "type", app.ConnectionType.String(), "signer", signer)
	s.notifyLocked()
	return c.id, nil
}

// SetAuthPreferences sets a connection's authorization preferences.
func (s *Simulator) SetAuthPreferences(connID string, p qbd.AuthPreferences) error {
	if err := p.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.conns[connID]
	if !ok {
		return hrErr(qbd.HRCouldNotAccess, errNotConnected)
	}
	c.prefs = p
	return nil
}

// Disconnect closes a connection (CloseConnection), ending its sessions.
func (s *Simulator) Disconnect(ctx context.Context, connID string) error {
	if err := s.fault(ctx, "CloseConnection"); err != nil {
		return err
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[connID]; !ok {
		return hrErr(qbd.HRCouldNotAccess, errNotConnected)
	}
	for t, ss := range s.sessions {
		if ss.conn.id == connID {
			s.endSessionLocked(t, ss)
		}
	}
	delete(s.conns, connID)
	s.notifyLocked()
	return nil
}

// BeginSession begins a session (QBXMLRP2's BeginSession) on the company file
// name ("" is the open file) in mode, following QuickBooks' decisions:
//
// When QuickBooks is closed, a file name is required (0x80040416); it is
// started in the background only for an application allowed to log in
// automatically under its present certificate, and any other application gets
// 0x8004041D (including an application whose certificate changed: its new
// identity has no grant, and QuickBooks cannot ask while closed).
//
// When QuickBooks runs, it authorises the application against the company
// file it has open before it compares file names: an unknown application
// makes it show the authorization dialog for the open file even when the
// application asked for another one, and 0x8004040A follows the dialog.
//
// The wait for a dialog ends with ctx; the error then wraps qbd.ErrAuthPending
// and the dialog stays up.
func (s *Simulator) BeginSession(ctx context.Context, connID, name string, mode qbd.FileMode) (string, error) {
	if mode < qbd.FileModeSingleUser || mode > qbd.FileModeDoNotCare {
		return "", fmt.Errorf("qbdsim: unknown file mode %d", mode)
	}
	if err := s.fault(ctx, "BeginSession"); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 5 { // a dialog answered restarts the decision; a few rounds suffice
		ticket, d, err := s.beginLocked(connID, name, mode)
		if d == nil {
			return ticket, err
		}
		done := d.done
		s.mu.Unlock()
		select {
		case <-done:
			s.mu.Lock()
		case <-ctx.Done():
			s.mu.Lock()
			return "", fmt.Errorf("%w: %w", qbd.ErrAuthPending, ctx.Err())
		}
		if d.result != nil {
			return "", d.result
		}
	}
	return "", hrErr(qbd.HRUnexpected, errors.New("qbdsim: authorization did not settle"))
}

// beginLocked decides one round of BeginSession: a ticket, an error, or a
// dialog to wait for. The caller holds mu.
func (s *Simulator) beginLocked(connID, name string, mode qbd.FileMode) (string, *Dialog, error) {
	if s.closed {
		return "", nil, errClosed
	}
	c, ok := s.conns[connID]
	if !ok {
		return "", nil, hrErr(qbd.HRCouldNotAccess, errNotConnected)
	}
	if s.initializing {
		return "", nil, qbd.NewError(qbd.HRNotInitialized)
	}
	if c.app.ConnectionType == qbd.ConnectionRemoteQBD || c.app.ConnectionType == qbd.ConnectionRemoteQBOE {
		return "", nil, qbd.NewError(qbd.HRRemoteNotAllowed)
	}
	var p string
	if name != "" {
		var err error
		if p, err = s.resolve(name); err != nil {
			return "", nil, hrErr(qbd.HRInvalidFileName, err)
		}
	}
	if !s.running {
		if name == "" {
			return "", nil, qbd.NewError(qbd.HRNotRunningNoFile)
		}
		if s.cannotStart {
			return "", nil, qbd.NewError(qbd.HRCannotStart)
		}
		if c.app.ConnectionType == qbd.ConnectionLocalQBDLaunchUI {
			// QuickBooks starts with its UI and the administrator logs in.
			f, err := s.openCompany(p)
			if err != nil {
				return "", nil, hrFromOpen(err)
			}
			s.running, s.unattended = true, false
			s.open = &openFile{f: f, path: p, mode: uiMode(mode), user: AdminUser, grants: map[string]bool{}}
			s.log.Info("qbdsim: QuickBooks started with its UI for an application", "app", c.app.Name, "path", p)
			s.notifyLocked()
		} else {
			return s.beginUnattendedLocked(c, p, mode)
		}
	}
	if s.unattended {
		// QuickBooks runs in the background for another application: there
		// is nobody to ask, so only automatic login works.
		if s.open == nil {
			return "", nil, qbd.NewError(qbd.HRNotRunningNoFile)
		}
		if p != "" && !sameFile(p, s.open.path) {
			return "", nil, qbd.NewError(qbd.HROtherFileOpen)
		}
		return s.beginUnattendedLocked(c, s.open.path, mode)
	}
	if s.open == nil {
		if name == "" {
			return "", nil, qbd.NewError(qbd.HRNoCompanyOpen)
		}
		f, err := s.openCompany(p)
		if err != nil {
			return "", nil, hrFromOpen(err)
		}
		s.open = &openFile{f: f, path: p, mode: uiMode(mode), user: AdminUser, grants: map[string]bool{}}
		s.log.Info("qbdsim: company file opened for an application", "app", c.app.Name, "path", p)
		s.notifyLocked()
	}
	o := s.open
	if s.modal != "" {
		return "", nil, qbd.NewError(qbd.HRModalDialog)
	}
	var entry *AppEntry
	if !c.trusted {
		key, e, d, err := s.authorizeAttendedLocked(c, o)
		if err != nil || d != nil {
			return "", d, err
		}
		entry = e
		_ = key
	}
	if p != "" && !sameFile(p, o.path) {
		return "", nil, qbd.NewError(qbd.HROtherFileOpen)
	}
	if err := s.checkModeLocked(c, o, mode); err != nil {
		return "", nil, err
	}
	return s.newSessionLocked(c, o, mode, o.user, false, entry), nil, nil
}

// uiMode is the mode QuickBooks opens a file in for a requested mode.
func uiMode(m qbd.FileMode) qbd.FileMode {
	if m == qbd.FileModeMultiUser {
		return qbd.FileModeMultiUser
	}
	return qbd.FileModeSingleUser
}

// checkModeLocked returns HRWrongMode or HRSingleUserConflict when the
// session cannot share the open file in mode.
func (s *Simulator) checkModeLocked(c *conn, o *openFile, mode qbd.FileMode) error {
	if mode != qbd.FileModeDoNotCare && mode != o.mode {
		return qbd.NewError(qbd.HRWrongMode)
	}
	for _, ss := range s.sessions {
		if ss.lost || ss.conn == c || !sameFile(ss.path, o.path) {
			continue
		}
		if mode == qbd.FileModeSingleUser || ss.mode == qbd.FileModeSingleUser {
			return qbd.NewError(qbd.HRSingleUserConflict)
		}
	}
	return nil
}

// beginUnattendedLocked begins a session without anybody at QuickBooks: when
// QuickBooks is closed (starting it in the background) or runs in the
// background already. Only an application allowed to log in automatically
// under its present certificate gets in.
func (s *Simulator) beginUnattendedLocked(c *conn, p string, mode qbd.FileMode) (string, *Dialog, error) {
	o := s.open
	var f *companyfile.File
	if o == nil {
		var err error
		if f, err = s.openCompany(p); err != nil {
			return "", nil, hrFromOpen(err)
		}
	} else {
		f = o.f
	}
	fail := func(err error) (string, *Dialog, error) {
		if o == nil {
			f.Close()
		}
		return "", nil, err
	}
	entry := &AppEntry{AutoLogin: true, LoginAs: AdminUser, PersonalData: true}
	if !c.trusted {
		ia, err := loadApps(f)
		if err != nil {
			return fail(hrErr(qbd.HRInternalAccess, err))
		}
		if entry, err = s.authorizeUnattended(c, ia, f.Users()); err != nil {
			s.log.Info("qbdsim: unattended access refused", "app", c.app.Name, "path", p, "err", err)
			return fail(err)
		}
		s.touchLocked(f, ia, entry.Key)
	}
	if o == nil {
		s.running, s.unattended = true, true
		o = &openFile{f: f, path: p, mode: uiMode(mode), user: entry.LoginAs, grants: map[string]bool{}}
		s.open = o
		s.log.Info("qbdsim: QuickBooks started in the background", "app", c.app.Name, "path", p, "user", entry.LoginAs)
		s.notifyLocked()
	} else if err := s.checkModeLocked(c, o, mode); err != nil {
		return "", nil, err
	}
	return s.newSessionLocked(c, o, mode, entry.LoginAs, true, entry), nil, nil
}

// authorizeUnattended is the decision order when nobody can be asked.
func (s *Simulator) authorizeUnattended(c *conn, ia *IntegratedApps, users []string) (*AppEntry, error) {
	if ia.DontAllowAny {
		return nil, qbd.NewError(qbd.HRNoPermission)
	}
	st, cert := c.status(s.now())
	if st == progRevoked {
		return nil, qbd.NewError(qbd.HRCertRevoked)
	}
	e := ia.find(appKey(c.app.Name, cert))
	switch {
	case e == nil:
		// Unknown under this certificate: QuickBooks cannot ask anybody
		// while closed, and the application has no automatic login.
		return nil, qbd.NewError(qbd.HRNoAutoLogin)
	case !e.AllowAccess:
		return nil, qbd.NewError(qbd.HRNoPermission)
	case !e.AutoLogin || !slices.Contains(users, e.LoginAs):
		return nil, qbd.NewError(qbd.HRNoAutoLogin)
	case st == progExpired && ia.NotifyExpired && !e.AllowExpired:
		return nil, qbd.NewError(qbd.HRCertExpired)
	case asksMore(c.prefs, e):
		return nil, qbd.NewError(qbd.HRNoPermission)
	}
	return e, nil
}

// asksMore reports whether the application now asks for more than it was
// granted (read-write after a read-only grant, personal data it must have).
func asksMore(p qbd.AuthPreferences, e *AppEntry) bool {
	return (e.ReadOnly && !p.ReadOnly) || (p.PersonalData == qbd.PersonalDataRequired && !e.PersonalData)
}

// authorizeAttendedLocked is the decision order when QuickBooks runs with its
// UI and file o open: an entry to proceed with, an error, or a dialog to
// wait for.
func (s *Simulator) authorizeAttendedLocked(c *conn, o *openFile) (string, *AppEntry, *Dialog, error) {
	ia, err := loadApps(o.f)
	if err != nil {
		return "", nil, nil, hrErr(qbd.HRInternalAccess, err)
	}
	if ia.DontAllowAny {
		return "", nil, nil, qbd.NewError(qbd.HRNoPermission)
	}
	st, cert := c.status(s.now())
	if st == progRevoked {
		return "", nil, nil, qbd.NewError(qbd.HRCertRevoked)
	}
	key := appKey(c.app.Name, cert)
	// A dialog already up: this application waits on its own, any other
	// meets a modal dialog.
	for _, d := range s.dialogs {
		if d.key == key && sameFile(d.CompanyFile, o.path) {
			return key, nil, d, nil
		}
	}
	if len(s.dialogs) > 0 {
		return key, nil, nil, qbd.NewError(qbd.HRModalDialog)
	}
	kind := DialogCertificate
	switch st {
	case progUnsigned:
		kind = DialogNoCertificate
	case progExpired:
		kind = DialogExpiredCertificate
	}
	admin := o.user == AdminUser && o.mode == qbd.FileModeSingleUser
	e := ia.find(key)
	switch {
	case e == nil:
		if !admin {
			return key, nil, nil, qbd.NewError(qbd.HRFirstAccess)
		}
		return key, nil, s.newDialogLocked(c, o, key, cert, kind), nil
	case !e.AllowAccess:
		return key, nil, nil, qbd.NewError(qbd.HRNoPermission)
	case st == progExpired && ia.NotifyExpired && !e.AllowExpired && !o.grants[key]:
		return key, nil, s.newDialogLocked(c, o, key, cert, DialogExpiredCertificate), nil
	case e.PromptEachTime && !o.grants[key]:
		return key, nil, s.newDialogLocked(c, o, key, cert, kind), nil
	case asksMore(c.prefs, e) && !o.grants[key]:
		if !admin {
			return key, nil, nil, qbd.NewError(qbd.HRNoPermission)
		}
		return key, nil, s.newDialogLocked(c, o, key, cert, kind), nil
	}
	s.touchLocked(o.f, ia, key)
	return key, e, nil, nil
}

// touchLocked records an application's access time; failures are logged.
func (s *Simulator) touchLocked(f *companyfile.File, ia *IntegratedApps, key string) {
	if e := ia.find(key); e != nil {
		e.LastAccess = s.now()
		if err := saveApps(f, ia); err != nil {
			s.log.Error("qbdsim: recording the access time", "err", err)
		}
	}
}

// newDialogLocked shows an authorization dialog for application c on the
// open file, answered by the policy at once unless it is PolicyAsk.
func (s *Simulator) newDialogLocked(c *conn, o *openFile, key string, cert *Certificate, kind DialogKind) *Dialog {
	d := &Dialog{
		ID: s.newID(6), Kind: kind, Title: kind.Title(), Stage: StageAuthorize,
		AppName: c.app.Name, AppID: c.app.ID, Certificate: cert,
		CompanyFile: o.path, CompanyName: o.f.CompanyName(), Users: o.f.Users(),
		ReadOnly: c.prefs.ReadOnly, PersonalData: c.prefs.PersonalData,
		UnattendedRequired: c.prefs.Unattended == qbd.UnattendedRequired,
		CreatedAt:          s.now(), key: key, conn: c.id, done: make(chan struct{}),
	}
	s.dialogs[d.ID] = d
	s.log.Info("qbdsim: authorization dialog shown", "dialog", d.ID, "kind", string(kind), "app", c.app.Name, "file", o.path)
	s.notifyLocked()
	s.applyPolicyLocked(d)
	return d
}

// newSessionLocked registers a session and returns its ticket.
func (s *Simulator) newSessionLocked(c *conn, o *openFile, mode qbd.FileMode, user string, unattended bool, e *AppEntry) string {
	id := s.newID(16)
	ticket := fmt.Sprintf("{%s-%s-%s-%s-%s}", id[0:8], id[8:12], id[12:16], id[16:20], id[20:32])
	ss := &session{ticket: ticket, conn: c, path: o.path, mode: mode, user: user, unattended: unattended, started: s.now()}
	ss.access.IsReadOnly = c.prefs.ReadOnly
	if e != nil {
		ss.access.IsAutomaticLoginAllowed = e.AutoLogin
		ss.access.AutomaticLoginUserName = e.LoginAs
		ss.access.IsPersonalDataAccessAllowed = e.PersonalData
	}
	s.sessions[ticket] = ss
	s.log.Info("qbdsim: session begun", "app", c.app.Name, "path", o.path, "mode", mode.String(), "user", user, "unattended", unattended)
	s.notifyLocked()
	return ticket
}

// sessionLocked returns the live session with ticket on connection connID.
func (s *Simulator) sessionLocked(connID, ticket string) (*session, error) {
	if _, ok := s.conns[connID]; !ok {
		return nil, hrErr(qbd.HRCouldNotAccess, errNotConnected)
	}
	ss, ok := s.sessions[ticket]
	if !ok || ss.conn.id != connID {
		return nil, qbd.NewError(qbd.HRInvalidTicket)
	}
	if ss.lost {
		return nil, hrErr(qbd.HRCouldNotAccess, errors.New("qbdsim: QuickBooks closed the company file of this session"))
	}
	return ss, nil
}

// ProcessRequest runs one qbXML request in a session. QuickBooks runs one
// request at a time; a modal dialog (or a pending authorization dialog)
// blocks every request.
func (s *Simulator) ProcessRequest(ctx context.Context, connID, ticket string, request []byte) ([]byte, error) {
	if err := s.fault(ctx, "ProcessRequest"); err != nil {
		return nil, err
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	ss, err := s.sessionLocked(connID, ticket)
	if err == nil && (s.modal != "" || len(s.dialogs) > 0) {
		err = qbd.NewError(qbd.HRModalDialog)
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	f := s.open.f
	cs := companyfile.Session{
		Ticket: ticket, AppName: ss.conn.app.Name, Access: ss.access,
		Host: companyfile.HostInfo{ProductName: s.product.Name, MajorVersion: s.product.MajorVersion, MinorVersion: s.product.MinorVersion,
			Country: s.product.Country, IsAutomaticLogin: ss.unattended, FileMode: hostMode(s.open.mode)},
	}
	s.mu.Unlock()
	resp, err := f.Process(ctx, request, cs)
	if errors.Is(err, companyfile.ErrParse) {
		return nil, hrErr(qbd.HRParseError, err)
	}
	if errors.Is(err, companyfile.ErrVersion) {
		return nil, hrErr(qbd.HRVersionNotSupported, err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, hrErr(qbd.HRUnexpected, err)
	}
	return resp, nil
}

func hostMode(m qbd.FileMode) string {
	if m == qbd.FileModeMultiUser {
		return "MultiUser"
	}
	return "SingleUser"
}

// EndSession ends a session. When QuickBooks runs in the background and its
// last session ends, it closes.
func (s *Simulator) EndSession(ctx context.Context, connID, ticket string) error {
	if err := s.fault(ctx, "EndSession"); err != nil {
		return err
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[connID]; !ok {
		return hrErr(qbd.HRCouldNotAccess, errNotConnected)
	}
	ss, ok := s.sessions[ticket]
	if !ok || ss.conn.id != connID {
		return qbd.NewError(qbd.HRInvalidTicket)
	}
	s.endSessionLocked(ticket, ss)
	s.notifyLocked()
	return nil
}

// endSessionLocked drops a session; the caller holds procMu and mu.
func (s *Simulator) endSessionLocked(ticket string, ss *session) {
	delete(s.sessions, ticket)
	if ss.lost || s.open == nil {
		return
	}
	s.open.f.EndSession(ticket)
	s.log.Info("qbdsim: session ended", "app", ss.conn.app.Name, "path", ss.path)
	if s.unattended && s.activeSessionsLocked(s.open.path) == 0 {
		if err := s.stopLocked("last background session ended"); err != nil {
			s.log.Error("qbdsim: closing background QuickBooks", "err", err)
		}
	}
}

// CurrentCompanyFileName returns the full path of the session's company file.
func (s *Simulator) CurrentCompanyFileName(connID, ticket string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, err := s.sessionLocked(connID, ticket)
	if err != nil {
		return "", err
	}
	return ss.path, nil
}

// QBXMLVersionsForSession returns the qbXML versions QuickBooks supports.
func (s *Simulator) QBXMLVersionsForSession(connID, ticket string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.sessionLocked(connID, ticket); err != nil {
		return nil, err
	}
	return qbd.QBXMLVersions(), nil
}

// Processor is an in-process qbd.RequestProcessor on a Simulator, one
// connection at a time like the COM object. Get one from NewProcessor.
type Processor struct {
	sim     *Simulator
	conn    string
	trusted bool
}

var _ qbd.RequestProcessor = (*Processor)(nil)

// NewProcessor returns a request processor on the simulator, not connected.
func (s *Simulator) NewProcessor() *Processor { return &Processor{sim: s} }

// OpenConnection implements qbd.RequestProcessor.
func (p *Processor) OpenConnection(ctx context.Context, app qbd.App) error {
	if p.conn != "" {
		return hrErr(qbd.HRUnexpected, errors.New("qbdsim: the connection is already open"))
	}
	id, err := p.sim.connect(ctx, app, p.trusted)
	if err != nil {
		return err
	}
	p.conn = id
	return nil
}

// SetAuthPreferences implements qbd.RequestProcessor.
func (p *Processor) SetAuthPreferences(_ context.Context, prefs qbd.AuthPreferences) error {
	return p.sim.SetAuthPreferences(p.conn, prefs)
}

// BeginSession implements qbd.RequestProcessor.
func (p *Processor) BeginSession(ctx context.Context, path string, mode qbd.FileMode) (string, error) {
	return p.sim.BeginSession(ctx, p.conn, path, mode)
}

// ProcessRequest implements qbd.RequestProcessor.
func (p *Processor) ProcessRequest(ctx context.Context, ticket string, request []byte) ([]byte, error) {
	return p.sim.ProcessRequest(ctx, p.conn, ticket, request)
}

// EndSession implements qbd.RequestProcessor.
func (p *Processor) EndSession(ctx context.Context, ticket string) error {
	return p.sim.EndSession(ctx, p.conn, ticket)
}

// CloseConnection implements qbd.RequestProcessor.
func (p *Processor) CloseConnection(ctx context.Context) error {
	err := p.sim.Disconnect(ctx, p.conn)
	p.conn = ""
	return err
}

// CurrentCompanyFileName implements qbd.RequestProcessor.
func (p *Processor) CurrentCompanyFileName(_ context.Context, ticket string) (string, error) {
	return p.sim.CurrentCompanyFileName(p.conn, ticket)
}

// QBXMLVersionsForSession implements qbd.RequestProcessor.
func (p *Processor) QBXMLVersionsForSession(_ context.Context, ticket string) ([]string, error) {
	return p.sim.QBXMLVersionsForSession(p.conn, ticket)
}

// ExecAppName is the application Exec runs requests as.
const ExecAppName = "qbdsim exec"

// Exec runs one qbXML request on a company file as an already authorised
// test application (no dialog, full access), starting QuickBooks in the
// background when it is closed, and returns the response.
func (s *Simulator) Exec(ctx context.Context, file string, request []byte) ([]byte, error) {
	p := &Processor{sim: s, trusted: true}
	if err := p.OpenConnection(ctx, qbd.App{Name: ExecAppName, ConnectionType: qbd.ConnectionLocalQBD}); err != nil {
		return nil, err
	}
	defer p.CloseConnection(context.WithoutCancel(ctx))
	ticket, err := p.BeginSession(ctx, file, qbd.FileModeDoNotCare)
	if err != nil {
		return nil, err
	}
	defer p.EndSession(context.WithoutCancel(ctx), ticket)
	return p.ProcessRequest(ctx, ticket, request)
}
