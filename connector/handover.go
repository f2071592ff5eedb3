package connector

// Certificate handover. When the platform offers a release signed with
// another certificate than the running one, QuickBooks will not know the
// new release: it must ask its administrator again, per company file. So
// the connector does not swap. It installs the release beside itself as
// the *candidate* (PROGRAM.candidate) and keeps serving every file with
// the running version. For each file the candidate asks QuickBooks for
// access at a good moment (the file open in QuickBooks and nothing in the
// way), or at once when the user presses Perform Sync or Approve the new
// version. A file whose candidate was approved is served by the candidate
// from then on (Switched); when every file has switched, the candidate is
// installed as the program and the old one removed.
//
// QuickBooks knows an application by the signature of the process that
// calls it, so the candidate speaks for itself: the agent runs the
// candidate executable as a child process ("qbconnector candidate-host")
// that serves its own QuickBooks driver over its standard input and output
// (package qbd/pipe), and talks to QuickBooks through it for the
// candidate's sessions. With the real COM driver that child is the caller
// QuickBooks sees; the simulator is told the program's path.
//
// The handover's state lives in the data folder (handover.json), so that
// it survives restarts.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/signing"
)

// HandoverFileName is the handover's state in the data folder.
const HandoverFileName = "handover.json"

// CandidateSuffix is appended to the executable's path to name the
// candidate release installed beside it: qbconnector.exe.candidate.
const CandidateSuffix = ".candidate"

// Handover is a certificate handover in progress.
type Handover struct {
	// Offer is the candidate's release.
	Offer gateway.UpdateOffer `json:"offer"`
	// From is the version that runs (and serves the files not switched).
	From string `json:"from"`
	// FromThumbprint is the running version's signer.
	FromThumbprint string `json:"fromThumbprint"`
	// Program and SigPath are the candidate's executable and detached
	// signature ("" when embedded).
	Program string `json:"program"`
	SigPath string `json:"sigPath,omitempty"`
	// StartedAt is when the candidate was installed.
	StartedAt time.Time `json:"startedAt"`
	// Files is each linked file's step, by connection ID.
	Files map[string]*FileHandover `json:"files"`
	// Installed is set when the candidate became the program; the new
	// version reports the files' last steps once and removes the record
	// and the old program.
	Installed bool `json:"installed,omitempty"`
}

// FileHandover is one file's step.
type FileHandover struct {
	// State is a gateway.Handover* state.
	State    string    `json:"state"`
	SubState string    `json:"subState,omitempty"`
	Since    time.Time `json:"since"`
	// Message says what happened, for the file's card; Resolution what
	// to do ("" when nothing).
	Message    string `json:"message"`
	Resolution string `json:"resolution,omitempty"`
	// Asking is set while QuickBooks shows the candidate's dialog.
	Asking bool `json:"asking,omitempty"`
}

// Done reports whether the handover has nothing left to ask: every file
// switched, or fell back to the old behaviour.
func (h *Handover) Done() bool {
	for _, f := range h.Files {
		if f.State != gateway.HandoverSwitched && f.State != gateway.HandoverFellBack {
			return false
		}
	}
	return true
}

// FellBack reports whether a file fell back: the candidate must then be
// installed at once, whatever the other files' steps.
func (h *Handover) FellBack() bool {
	for _, f := range h.Files {
		if f.State == gateway.HandoverFellBack {
			return true
		}
	}
	return false
}

// Due reports whether the candidate should now be installed.
func (h *Handover) Due() bool { return !h.Installed && (h.Done() || h.FellBack()) }

// LoadHandover reads the handover in the data folder; nil and no error
// when none runs.
func (s *Store) LoadHandover() (*Handover, error) {
	data, err := os.ReadFile(s.Path(HandoverFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var h Handover
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("connector: the handover record %s is damaged: %w", s.Path(HandoverFileName), err)
	}
	if h.Files == nil {
		h.Files = map[string]*FileHandover{}
	}
	return &h, nil
}

// SaveHandover writes the handover atomically.
func (s *Store) SaveHandover(h *Handover) error {
	data, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	return s.writeFile(HandoverFileName, append(data, '\n'))
}

// RemoveHandover removes the record; no error when there is none.
func (s *Store) RemoveHandover() error {
	err := os.Remove(s.Path(HandoverFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Texts of the handover steps, for the card.
func candidateInstalledStep(version, sub string) *FileHandover {
	f := &FileHandover{State: gateway.HandoverCandidateInstalled, SubState: sub,
		Message: fmt.Sprintf("Version %s of the connector, signed with a new certificate, is installed beside this one and waits for QuickBooks' approval. This version keeps serving the company file meanwhile.", version)}
	switch sub {
	case "qb_closed":
		f.Resolution = "Nothing is urgent. Next time you open this company file in QuickBooks, QuickBooks asks whether the new version may use it: approve it (\"Yes, always\"). Or open it now and press Approve the new version."
	case "wrong_file_open":
		f.Resolution = "Nothing is urgent. When this company file is open in QuickBooks, press Approve the new version and approve QuickBooks' window if it names this company."
	case "prompt_showing":
		f.Message = fmt.Sprintf("QuickBooks is asking whether version %s of the connector, signed with a new certificate, may use this company file. This version keeps serving it as soon as the window is answered.", version)
		f.Resolution = "Go to QuickBooks. Approve only if its window names this company: choose \"Yes, always\", then Continue and Done."
	default:
		f.Resolution = "Nothing is urgent. When this company file is open in QuickBooks, press Approve the new version."
	}
	return f
}

func switchedStep(version string) *FileHandover {
	return &FileHandover{State: gateway.HandoverSwitched,
		Message:    fmt.Sprintf("QuickBooks approved version %s of the connector for this company file; it serves the file now.", version),
		Resolution: "Optional clean-up: the entry of the previous version stays in QuickBooks (Edit > Preferences > Integrated Applications > Company Preferences); you may remove it."}
}

func deniedStep(version string) *FileHandover {
	return &FileHandover{State: gateway.HandoverDenied,
		Message:    fmt.Sprintf("QuickBooks' administrator did not allow version %s of the connector to use this company file. This version keeps serving it, until its certificate expires.", version),
		Resolution: "Open this company file in QuickBooks as its administrator, press Approve the new version and choose \"Yes, always\". If the new version was denied in Integrated Applications, allow it there first (Edit > Preferences > Integrated Applications > Company Preferences)."}
}

func wrongFileStep(version string, open OpenFile, want gateway.FileIdentity) *FileHandover {
	return &FileHandover{State: gateway.HandoverWrongFile,
		Message: fmt.Sprintf("QuickBooks approved version %s of the connector for %q (%s), not for this company file %q (%s). This version keeps serving this file.",
			version, open.CompanyName, open.Path, want.CompanyName, want.Path),
		Resolution: fmt.Sprintf("In QuickBooks close %q (File > Close Company), open %q, press Approve the new version and approve the window that names it. You may remove the mistaken entry from %q: Edit > Preferences > Integrated Applications > Company Preferences.",
			open.CompanyName, want.CompanyName, open.CompanyName)}
}

func fellBackStep(version, why, sub string) *FileHandover {
	return &FileHandover{State: gateway.HandoverFellBack, SubState: sub,
		Message:    fmt.Sprintf("%s Version %s of the connector now runs on its own, and QuickBooks must approve it for this company file before work continues.", why, version),
		Resolution: "Open this company file in QuickBooks as its administrator, press Perform Sync and approve the connector (\"Yes, always\")."}
}

// handoverSubState maps the candidate's condition to the end user's
// situation, as the platform's campaigns name it.
func handoverSubState(code string) string {
	switch code {
	case qbd.CondAuthPending, qbd.CondAuthRequired, qbd.CondCertChanged, qbd.CondModalDialog:
		return "prompt_showing"
	case qbd.CondWrongFileOpen, qbd.CondNoCompanyOpen:
		return "wrong_file_open"
	case qbd.CondQBClosed, qbd.CondQBNotResponding, qbd.CondAutoLoginNotAllowed, qbd.CondCannotStart, qbd.CondQBStarting:
		return "qb_closed"
	}
	return "other"
}

// handover is the agent's side of a handover: the record and the
// candidate's QuickBooks connection.
type handover struct {
	mu   sync.Mutex
	h    *Handover
	cand *QuickBooks
	// asking is the connection whose file the candidate asks about now.
	asking string
	// reported are the steps the platform acknowledged, per connection.
	reported map[string]string
	done     chan struct{} // closed when the ask goroutine ends; nil when none runs
	// lastAsk is when the candidate last asked by itself, per connection:
	// it asks again at most every askEvery probe intervals (each question
	// starts the candidate's process).
	lastAsk map[string]time.Time
	// revoked is the platform's word that the running release was
	// revoked (from the answer to a state report); nil while it stands.
	revoked *gateway.Revocation
}

// askEvery is how many probe intervals pass between two questions the
// candidate asks by itself about one file.
const askEvery = 10

// loadHandover reads the handover record and prepares the candidate's
// QuickBooks connection. A record of this version's own installation
// (the candidate became the program) is kept until its last steps are
// reported.
func (a *Agent) loadHandover() {
	h, err := a.store.LoadHandover()
	if err != nil {
		a.log.Error("connector: reading the handover", "err", err)
		return
	}
	a.ho.mu.Lock()
	defer a.ho.mu.Unlock()
	if h == nil {
		a.ho.h, a.ho.cand = nil, nil
		return
	}
	if a.ho.h != nil && a.ho.h.Offer.Version == h.Offer.Version && a.ho.cand != nil {
		return
	}
	switch {
	case h.Offer.Version == a.id.Version:
		h.Installed = true
	case h.From != a.id.Version:
		// A record of another version (reinstalled by hand): stale.
		a.log.Warn("connector: removing a stale handover record", "from", h.From, "to", h.Offer.Version, "running", a.id.Version)
		a.store.RemoveHandover()
		return
	}
	a.ho.h = h
	if a.ho.reported == nil {
		a.ho.reported = map[string]string{}
	}
	if h.Installed || a.opt.NewCandidateProcessor == nil {
		return
	}
	program := h.Program
	np := a.opt.NewCandidateProcessor
	o := QuickBooksOptionsFor(a.config(), Identity{Program: program}, func() (qbd.RequestProcessor, error) { return np(program) }, a.opt.ApproveTimeout, a.log)
	o.AuthPendingAfter = time.Second
	o.OnAuthPending = a.candidateAuthPending
	cand, err := NewQuickBooks(o)
	if err != nil {
		a.log.Error("connector: preparing the candidate's QuickBooks connection", "err", err)
		return
	}
	a.ho.cand = cand
	a.log.Info("connector: certificate handover in progress", "candidate", h.Offer.Version, "signer", h.Offer.SignerSubject, "files", len(h.Files))
}

// candidateAsking reports whether the candidate asks QuickBooks about a
// file now.
func (a *Agent) candidateAsking(connectionID string) bool {
	a.ho.mu.Lock()
	defer a.ho.mu.Unlock()
	return a.ho.asking == connectionID
}

// handoverStep returns a copy of a file's step, or nil.
func (a *Agent) handoverStep(connectionID string) (*FileHandover, string) {
	a.ho.mu.Lock()
	defer a.ho.mu.Unlock()
	if a.ho.h == nil {
		return nil, ""
	}
	f := a.ho.h.Files[connectionID]
	if f == nil {
		return nil, ""
	}
	c := *f
	return &c, a.ho.h.Offer.Version
}

// quickBooksFor returns the QuickBooks connection that serves a file: the
// candidate's once the file switched.
func (a *Agent) quickBooksFor(connectionID string) *QuickBooks {
	a.ho.mu.Lock()
	defer a.ho.mu.Unlock()
	if h := a.ho.h; h != nil && !h.Installed && a.ho.cand != nil {
		if f := h.Files[connectionID]; f != nil && f.State == gateway.HandoverSwitched {
			return a.ho.cand
		}
	}
	return a.qb
}

// setStep records a file's step and saves the record.
func (a *Agent) setStep(connectionID string, f *FileHandover) {
	a.ho.mu.Lock()
	h := a.ho.h
	if h == nil || h.Installed {
		a.ho.mu.Unlock()
		return
	}
	old := h.Files[connectionID]
	if old != nil && old.State == f.State && old.SubState == f.SubState && old.Asking == f.Asking && old.Message == f.Message {
		a.ho.mu.Unlock()
		return
	}
	f.Since = a.now().UTC()
	h.Files[connectionID] = f
	err := a.store.SaveHandover(h)
	a.ho.mu.Unlock()
	if err != nil {
		a.log.Error("connector: saving the handover", "err", err)
	}
	a.log.Info("connector: handover step", "connection", connectionID, "state", f.State, "subState", f.SubState, "asking", f.Asking)
	a.state.notify()
}

// handoverReport adds each file's step to a state report.
func (a *Agent) handoverReport(st *gateway.State) {
	a.ho.mu.Lock()
	defer a.ho.mu.Unlock()
	h := a.ho.h
	if h == nil {
		return
	}
	for i := range st.Files {
		f := h.Files[st.Files[i].ConnectionID]
		if f == nil {
			continue
		}
		if h.Installed && a.ho.reported[st.Files[i].ConnectionID] == f.State+"/"+f.SubState {
			continue
		}
		st.Files[i].Handover = &gateway.Handover{Version: h.Offer.Version, State: f.State, SubState: f.SubState}
	}
}

// handoverReported notes the steps a report delivered; once the new
// version delivered every file's last step, the record and the previous
// program are removed.
func (a *Agent) handoverReported(st gateway.State) {
	a.ho.mu.Lock()
	h := a.ho.h
	if h == nil {
		a.ho.mu.Unlock()
		return
	}
	for _, f := range st.Files {
		if f.Handover != nil {
			a.ho.reported[f.ConnectionID] = f.Handover.State + "/" + f.Handover.SubState
		}
	}
	finished := h.Installed
	fellBack := map[string]bool{}
	for id, f := range h.Files {
		if a.ho.reported[id] != f.State+"/"+f.SubState {
			finished = false
		}
		if f.State == gateway.HandoverFellBack {
			fellBack[id] = true
		}
	}
	a.ho.mu.Unlock()
	// A file that fell back keeps its step on the card (why, and what to
	// do) until QuickBooks answers the new version for it.
	for _, fs := range a.state.Snapshot().Files {
		if fellBack[fs.ConnectionID] && fs.Condition.Code != qbd.CondOK {
			finished = false
		}
	}
	if !finished {
		return
	}
	old := a.id.Program + ".old"
	if err := os.Remove(old); err != nil && !errors.Is(err, os.ErrNotExist) {
		// Windows: the previous version may still be exiting; next time.
		a.log.Debug("connector: removing the previous version", "err", err)
		return
	}
	os.Remove(old + signing.DetachedSuffix)
	if err := a.store.RemoveHandover(); err != nil {
		a.log.Warn("connector: removing the handover record", "err", err)
		return
	}
	a.ho.mu.Lock()
	a.ho.h = nil
	a.ho.mu.Unlock()
	a.log.Info("connector: certificate handover finished; the previous version was removed", "version", a.id.Version)
}

// ApproveNewVersion is the card's Approve the new version button: the
// candidate asks QuickBooks for access to the file now.
func (a *Agent) ApproveNewVersion(_ context.Context, connectionID string) error {
	if a.linked(connectionID) == nil {
		return fmt.Errorf("connector: no linked company file %q", connectionID)
	}
	step, _ := a.handoverStep(connectionID)
	if step == nil || step.State == gateway.HandoverSwitched || step.State == gateway.HandoverFellBack {
		return fmt.Errorf("connector: no new version waits for approval for %q", connectionID)
	}
	// The question outlives the request that pressed the button.
	a.askCandidate(a.context(), connectionID, true)
	return nil
}

// handoverTick runs at every probe: a fall-back when the running version
// can no longer serve, and the candidate's question for files at a good
// moment.
func (a *Agent) handoverTick(ctx context.Context) {
	if _, err := os.Stat(a.store.Path(HandoverFileName)); err == nil {
		a.loadHandover()
	}
	a.ho.mu.Lock()
	h := a.ho.h
	var pending []string
	if h != nil && !h.Installed {
		for id, f := range h.Files {
			if f.State == gateway.HandoverCandidateInstalled {
				pending = append(pending, id)
			}
		}
	}
	a.ho.mu.Unlock()
	if h == nil || h.Installed {
		return
	}
	if why, sub := a.oldCannotServe(); why != "" {
		a.fallBack(why, sub)
		return
	}
	sort.Strings(pending)
	snap := a.state.Snapshot()
	for _, id := range pending {
		for _, fs := range snap.Files {
			// A good moment: the running version reached the file just
			// now, QuickBooks open with it and nothing in the way (when
			// QuickBooks is closed the candidate's question costs nothing
			// and shows nothing).
			if fs.ConnectionID == id && !fs.Paused && fs.Condition.Code == qbd.CondOK {
				a.ho.mu.Lock()
				last, asked := a.ho.lastAsk[id]
				a.ho.mu.Unlock()
				if asked && a.now().Sub(last) < askEvery*a.opt.ProbeInterval {
					continue
				}
				a.askCandidate(ctx, id, false)
				return
			}
		}
	}
}

// oldCannotServe returns why the running version cannot go on serving
// files that have not switched, and the fall-back's sub-state for the
// platform: its certificate expired and its signature has no timestamp to
// prove it was signed in time (QuickBooks then stops trusting it),
// QuickBooks refused it as expired or revoked, or the publisher revoked
// its release. "" when it can.
func (a *Agent) oldCannotServe() (why, sub string) {
	if !a.id.NotAfter.IsZero() && a.now().After(a.id.NotAfter) && !a.id.Timestamped {
		return fmt.Sprintf("The certificate of version %s expired on %s, and its signature carries no timestamp.", a.id.Version, a.id.NotAfter.UTC().Format(time.DateOnly)),
			gateway.FellBackCertificateExpired
	}
	for _, fs := range a.state.Snapshot().Files {
		switch fs.Condition.Code {
		case qbd.CondCertExpired:
			return fmt.Sprintf("QuickBooks no longer accepts version %s of the connector: its certificate expired.", a.id.Version), gateway.FellBackCertificateExpired
		case qbd.CondCertRevoked:
			return fmt.Sprintf("QuickBooks no longer accepts version %s of the connector: its certificate was revoked.", a.id.Version), ""
		}
	}
	a.ho.mu.Lock()
	rv := a.ho.revoked
	a.ho.mu.Unlock()
	if rv != nil && rv.Version == a.id.Version {
		return fmt.Sprintf("The publisher revoked version %s of the connector on %s (%s).", rv.Version, rv.RevokedAt.UTC().Format(time.DateOnly), rv.Reason),
			gateway.FellBackReleaseRevoked
	}
	return "", ""
}

// noteRevocation keeps the platform's answer about the running release
// (nil: it stands). A revocation newly heard has the prober run at once,
// so that files in a handover fall back without waiting for its next
// tick.
func (a *Agent) noteRevocation(rv *gateway.Revocation) {
	if rv != nil && rv.Version != a.id.Version {
		rv = nil // about another version than this one: a stale answer
	}
	a.ho.mu.Lock()
	news := rv != nil && a.ho.revoked == nil
	a.ho.revoked = rv
	a.ho.mu.Unlock()
	if news {
		a.log.Warn("connector: the publisher revoked the release this connector runs", "version", rv.Version, "reason", rv.Reason, "revokedAt", rv.RevokedAt)
		a.Probe("")
	}
}

// fallBack marks every file that has not switched FellBack; the updater
// then installs the candidate, which runs as a self-update does today.
func (a *Agent) fallBack(why, sub string) {
	a.ho.mu.Lock()
	h := a.ho.h
	var ids []string
	if h != nil {
		for id, f := range h.Files {
			if f.State != gateway.HandoverSwitched && f.State != gateway.HandoverFellBack {
				ids = append(ids, id)
			}
		}
	}
	a.ho.mu.Unlock()
	if h == nil {
		return
	}
	for _, id := range ids {
		a.setStep(id, fellBackStep(h.Offer.Version, why, sub))
	}
	if len(ids) > 0 {
		a.log.Warn("connector: the running version cannot keep serving; falling back to installing the new version", "reason", why, "files", len(ids))
	}
}

// askCandidate has the candidate ask QuickBooks for access to a file, on a
// goroutine of its own: QuickBooks' dialog waits for a person, and the
// running version keeps serving meanwhile. One question at a time.
func (a *Agent) askCandidate(ctx context.Context, connectionID string, byUser bool) {
	lf := a.linked(connectionID)
	a.ho.mu.Lock()
	h, cand := a.ho.h, a.ho.cand
	if lf == nil || h == nil || cand == nil || a.ho.asking != "" {
		a.ho.mu.Unlock()
		return
	}
	a.ho.asking = connectionID
	if !byUser {
		if a.ho.lastAsk == nil {
			a.ho.lastAsk = map[string]time.Time{}
		}
		a.ho.lastAsk[connectionID] = a.now()
	}
	done := make(chan struct{})
	a.ho.done = done
	version := h.Offer.Version
	a.ho.mu.Unlock()
	a.log.Info("connector: the new version asks QuickBooks for access", "connection", connectionID, "file", lf.File.Path, "byUser", byUser)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer close(done)
		defer func() {
			a.ho.mu.Lock()
			a.ho.asking = ""
			a.ho.mu.Unlock()
		}()
		_, err := cand.Check(ctx, lf.File, true)
		if ctx.Err() != nil {
			return
		}
		a.candidateAnswered(lf, version, err)
	}()
}

// candidateAnswered turns the outcome of the candidate's question into the
// file's step.
func (a *Agent) candidateAnswered(lf *LinkedFile, version string, err error) {
	var wf *WrongFileError
	switch {
	case err == nil:
		a.setStep(lf.ConnectionID, switchedStep(version))
		a.log.Info("connector: QuickBooks approved the new version; the file switched to it", "connection", lf.ConnectionID, "version", version)
		a.Probe(lf.ConnectionID)
		return
	case errors.As(err, &wf) && !qbd.SameFile(wf.Open.Path, wf.Expected.Path):
		if _, has := qbd.HRESULTOf(err); !has {
			a.setStep(lf.ConnectionID, wrongFileStep(version, wf.Open, lf.File))
			return
		}
	}
	cond := qbd.DiagnoseContext(err, qbd.Context{ExpectedFile: lf.File.Path})
	if errors.As(err, &wf) {
		cond.Code = qbd.CondWrongFileOpen
	}
	switch cond.Code {
	case qbd.CondAccessDenied, qbd.CondAccessRemoved:
		a.setStep(lf.ConnectionID, deniedStep(version))
	default:
		a.setStep(lf.ConnectionID, candidateInstalledStep(version, handoverSubState(cond.Code)))
	}
	a.log.Info("connector: the new version is not approved yet", "connection", lf.ConnectionID, "condition", cond.Code, "err", err)
	// The running version serves the file again at once.
	a.Probe(lf.ConnectionID)
}

// candidateAuthPending marks the file whose candidate QuickBooks asks about, as soon
// as the dialog is up.
func (a *Agent) candidateAuthPending(path string) {
	a.ho.mu.Lock()
	id, h := a.ho.asking, a.ho.h
	a.ho.mu.Unlock()
	if id == "" || h == nil {
		return
	}
	f := candidateInstalledStep(h.Offer.Version, "prompt_showing")
	f.Asking = true
	a.setStep(id, f)
}

// installCandidate moves a verified release beside the program as the
// candidate and starts the handover: every linked file waits for
// QuickBooks' approval of the candidate while the running version serves
// it.
func (u *Updater) installCandidate(ctx context.Context, st *Staged) error {
	cfg, err := u.opt.Store.Load()
	if err != nil {
		return err
	}
	h := &Handover{Offer: st.Offer, From: u.opt.Version, FromThumbprint: strings.ToLower(u.opt.Thumbprint),
		Program: u.opt.Program + CandidateSuffix, StartedAt: u.opt.Now().UTC(), Files: map[string]*FileHandover{}}
	moves := [][2]string{{st.Path, h.Program}}
	if st.SigPath != "" {
		h.SigPath = h.Program + signing.DetachedSuffix
		moves = append(moves, [2]string{st.SigPath, h.SigPath})
	}
	for _, m := range moves {
		if err := os.Rename(m[0], m[1]); err != nil {
			return fmt.Errorf("connector: update: installing the candidate: %w", err)
		}
	}
	for _, f := range cfg.Files {
		step := candidateInstalledStep(st.Offer.Version, "")
		step.Since = h.StartedAt
		h.Files[f.ConnectionID] = step
	}
	if err := u.opt.Store.SaveHandover(h); err != nil {
		return fmt.Errorf("connector: update: %w", err)
	}
	u.log.Info("update: release signed with a new certificate installed beside the running version; QuickBooks must approve it file by file",
		"version", st.Offer.Version, "candidate", h.Program, "files", len(h.Files))
	return nil
}

// candidateDue returns the candidate to install when the handover is
// done (every file switched) or a file fell back; nil otherwise.
func (u *Updater) candidateDue() *Staged {
	if u.opt.Store == nil {
		return nil
	}
	h, err := u.opt.Store.LoadHandover()
	if err != nil || h == nil || h.From != u.opt.Version || !h.Due() || u.tried[h.Offer.Version] {
		return nil
	}
	if u.tried == nil {
		u.tried = map[string]bool{}
	}
	u.tried[h.Offer.Version] = true
	if h.FellBack() {
		u.log.Warn("update: the running version cannot keep serving; installing the new version now", "version", h.Offer.Version)
	} else {
		u.log.Info("update: QuickBooks approved the new version for every company file; installing it", "version", h.Offer.Version)
	}
	return &Staged{Offer: h.Offer, Path: h.Program, SigPath: h.SigPath}
}

// InstallCandidate installs the handover's candidate as the program when
// it is due (every file switched, or one fell back), as RunWithUpdates
// does between two runs of the agent: the caller stops the agent first.
// It returns false and no error when nothing is due.
func (u *Updater) InstallCandidate(ctx context.Context) (bool, error) {
	st := u.candidateDue()
	if st == nil {
		return false, nil
	}
	return u.Install(ctx, st)
}
