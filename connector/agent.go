package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/qbd"
)

// Options configure an Agent. Store and Config are required; every other
// field has the default its comment names.
type Options struct {
	// Store is the data folder; Config the configuration loaded from it.
	Store  *Store
	Config *Config
	// Gateway is the platform; nil means a gatewayclient.Client for
	// Config.PlatformURL with Config.Credential.
	Gateway gateway.Service
	// NewProcessor returns a qbd driver. Required unless QuickBooks is set.
	NewProcessor func() (qbd.RequestProcessor, error)
	// QuickBooks, when set, is used instead of one built from NewProcessor.
	QuickBooks *QuickBooks
	// Journal, when set, is used instead of journal.db in the data folder;
	// the caller closes it. Without it the agent owns the data folder: it
	// takes the folder's exclusive lock (a second agent is refused with a
	// *LockedError naming this one's PID) and holds it until Run ends or
	// Close.
	Journal *Journal
	// Identity is the connector's version and signer.
	Identity Identity
	// Logger may be nil. Log records are also kept for the local UI's log
	// view.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of back-off jitter; nil means a random seed.
	Rand *rand.Rand
	// PollWait is how long a poll may wait for work; 0 means
	// gateway.MaxPollWait.
	PollWait time.Duration
	// BackoffMin and BackoffMax bound the exponential back-off after a
	// failed call to the platform; 0 means 500 ms and 30 s.
	BackoffMin, BackoffMax time.Duration
	// Heartbeat is how often the state is reported when nothing changes; 0
	// means 30 s (the platform marks a connector offline after two silent
	// minutes).
	Heartbeat time.Duration
	// ProbeInterval is how often a file in a failed state is checked again,
	// so that the state clears by itself; 0 means 15 s.
	ProbeInterval time.Duration
	// IdleSession is how long an unused QuickBooks session stays open; 0
	// means 10 s. QuickBooks users cannot close a company file while an
	// application holds a session on it.
	IdleSession time.Duration
	// BeginTimeout bounds the wait for QuickBooks' authorization dialog in
	// one attempt; 0 means 15 s.
	BeginTimeout time.Duration
	// UIAddr overrides Config.UIAddr; "-" disables the local UI.
	UIAddr string
	// OnUIReady, when set, receives the local UI's URL with its token.
	OnUIReady func(url string)
	// NewCandidateProcessor returns a qbd driver that reaches QuickBooks
	// as the candidate executable program of a certificate handover
	// (handover.go): on Windows the candidate run as a child process
	// serving its own driver (qbd/pipe); with the simulator, a driver that
	// names program. nil means a release signed with another certificate
	// waits uninstalled... unless the updater swaps it in (no handover).
	NewCandidateProcessor func(program string) (qbd.RequestProcessor, error)
	// ApproveTimeout bounds the candidate's wait for QuickBooks'
	// authorization dialog in one question; 0 means two minutes. The
	// dialog stays up after it; the answer counts at the next question.
	ApproveTimeout time.Duration
	// WrongFileGrace is how long a file waiting only because QuickBooks
	// has another company file open shows as "Waiting for QuickBooks"
	// before "Action needed"; 0 means DefaultWrongFileGrace (an hour).
	WrongFileGrace time.Duration
}

// Agent is the running connector. Create it with NewAgent, run it with Run.
type Agent struct {
	opt    Options
	store  *Store
	log    *slog.Logger
	logs   *LogBuffer
	now    func() time.Time
	gw     gateway.Service
	qb     *QuickBooks
	jr     *Journal
	ownJr  bool
	lock   *Lock
	closed sync.Once
	state  *State
	id     Identity

	mu     sync.Mutex
	cfg    *Config
	rnd    *rand.Rand
	probes chan string // connection IDs to probe now ("" for all)
	// otherOpen is, per connection, the other company file QuickBooks
	// had open when it last refused the expected one: while QuickBooks
	// then asks for authorization, its window is about that file.
	otherOpen map[string]OpenFile
	uiURL     string
	wake      chan struct{}

	// ho is the certificate handover in progress, if any (handover.go).
	ho handover
	// wg waits for the candidate's questions to QuickBooks.
	wg sync.WaitGroup
	// runCtx is Run's context, for work started by a UI request.
	runCtx context.Context
}

// NewAgent checks the options and prepares an agent. It opens the journal
// but contacts nothing.
func NewAgent(ctx context.Context, opt Options) (*Agent, error) {
	if opt.Store == nil || opt.Config == nil {
		return nil, errors.New("connector: the agent needs its data folder and configuration")
	}
	if !opt.Config.Linked() {
		return nil, errors.New("connector: not linked yet: run \"qbconnector link --platform URL --code CODE\" first")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Rand == nil {
		opt.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if opt.PollWait <= 0 {
		opt.PollWait = gateway.MaxPollWait
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = 500 * time.Millisecond
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = 30 * time.Second
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = 30 * time.Second
	}
	if opt.ProbeInterval <= 0 {
		opt.ProbeInterval = 15 * time.Second
	}
	if opt.IdleSession <= 0 {
		opt.IdleSession = 10 * time.Second
	}
	if opt.ApproveTimeout <= 0 {
		opt.ApproveTimeout = 2 * time.Minute
	}
	if opt.Identity.Version == "" {
		opt.Identity = Identity{Version: "dev", Signer: Unsigned}
	}
	logs := NewLogBuffer(500)
	base := opt.Logger
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	log := slog.New(logs.Tee(base.Handler()))
	a := &Agent{
		opt: opt, store: opt.Store, log: log, logs: logs, now: opt.Now,
		cfg: opt.Config.Clone(), rnd: opt.Rand, id: opt.Identity,
		state:  NewState(opt.Now),
		probes: make(chan string, 16),
		wake:   make(chan struct{}, 1),
	}
	a.state.SetWrongFileGrace(opt.WrongFileGrace)
	a.state.SetFiles(a.cfg.Files)
	a.gw = opt.Gateway
	if a.gw == nil {
		c, err := gatewayclient.New(a.cfg.PlatformURL, gatewayclient.Options{Credential: a.cfg.Credential, UserAgent: "qbconnector/" + a.id.Version})
		if err != nil {
			return nil, err
		}
		a.gw = c
	}
	a.qb = opt.QuickBooks
	if a.qb == nil {
		qb, err := NewQuickBooks(a.quickBooksOptions(opt.NewProcessor))
		if err != nil {
			return nil, err
		}
		a.qb = qb
	}
	a.jr = opt.Journal
	if a.jr == nil {
		lk, err := opt.Store.Lock(pid())
		if err != nil {
			return nil, err
		}
		jr, err := OpenJournal(ctx, opt.Store.Path(journalFile), opt.Now)
		if err != nil {
			lk.Release()
			return nil, err
		}
		a.jr, a.ownJr, a.lock = jr, true, lk
	}
	return a, nil
}

// Close releases what NewAgent took: the journal it opened and the data
// folder's lock. Run calls it when it ends; an agent that is never run
// must be closed. It is safe to call twice.
func (a *Agent) Close() error {
	var err error
	a.closed.Do(func() {
		if a.ownJr {
			err = a.jr.Close()
		}
		if lerr := a.lock.Release(); err == nil {
			err = lerr
		}
	})
	return err
}

// QuickBooksOptionsFor returns the options of the connector's QuickBooks
// connection for a configuration.
func QuickBooksOptionsFor(cfg *Config, id Identity, newProcessor func() (qbd.RequestProcessor, error), beginTimeout time.Duration, log *slog.Logger) QuickBooksOptions {
	name := cfg.AppName
	if name == "" {
		name = DefaultAppName
	}
	mode, err := qbd.ParseFileMode(cfg.FileMode)
	if err != nil {
		mode = qbd.FileModeDoNotCare
	}
	prefs := qbd.AuthPreferences{PersonalData: qbd.PersonalDataNotNeeded}
	if cfg.Unattended {
		prefs.Unattended = qbd.UnattendedRequired
	}
	return QuickBooksOptions{
		NewProcessor: newProcessor,
		App:          qbd.App{Name: name, ConnectionType: qbd.ConnectionLocalQBD, Program: id.Program},
		Prefs:        prefs,
		Mode:         mode,
		OwnerID:      cfg.OwnerID,
		BeginTimeout: beginTimeout,
		Logger:       log,
	}
}

func (a *Agent) quickBooksOptions(np func() (qbd.RequestProcessor, error)) QuickBooksOptions {
	o := QuickBooksOptionsFor(a.cfg, a.id, np, a.opt.BeginTimeout, a.log)
	o.OnAuthPending = a.authPending
	return o
}

// listenUI opens the local UI's listener: on Options.UIAddr when given;
// else on the configured address, which the first run sets to the random
// port it got, so that the UI keeps its address (and the bookkeeper's
// bookmark works) across restarts and updates. A remembered port that
// another program took is replaced by a new one, remembered instead.
func (a *Agent) listenUI() (net.Listener, error) {
	if a.opt.UIAddr != "" {
		return listenLoopback(a.opt.UIAddr)
	}
	remembered := a.config().UIAddr
	ln, err := listenLoopback(remembered)
	if err != nil && remembered != "" {
		a.log.Warn("connector: the local UI's address is taken; using another", "addr", remembered, "err", err)
		ln, err = listenLoopback("")
	}
	if err != nil {
		return nil, err
	}
	if got := ln.Addr().String(); got != remembered {
		if err := a.updateConfig(func(c *Config) error { c.UIAddr = got; return nil }); err != nil {
			a.log.Warn("connector: remembering the local UI's address", "err", err)
		}
	}
	return ln, nil
}

// authPending shows auth_pending on the files at path as soon as QuickBooks
// keeps a session waiting (its authorization dialog is up), instead of when
// the wait gives up.
func (a *Agent) authPending(path string) {
	if path == "" {
		return
	}
	for _, lf := range a.config().Files {
		if qbd.SameFile(lf.File.Path, path) {
			f := lf
			a.observe(&f, fmt.Errorf("connector: QuickBooks keeps the session waiting: %w", qbd.ErrAuthPending))
		}
	}
}

// Logs returns the agent's recent log records.
func (a *Agent) Logs() *LogBuffer { return a.logs }

// Status returns a snapshot of the agent's state.
func (a *Agent) Status() Status {
	st := a.state.Snapshot()
	st.Identity = a.id
	for i := range st.Files {
		st.Files[i].Handover, st.Files[i].HandoverVersion = a.handoverStep(st.Files[i].ConnectionID)
	}
	a.mu.Lock()
	st.Platform = a.cfg.PlatformURL
	st.Linked = a.cfg.Linked()
	a.mu.Unlock()
	return st
}

// UIURL returns the local UI's URL with its token, once it listens.
func (a *Agent) UIURL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.uiURL
}

// context returns Run's context (a background one before Run).
func (a *Agent) context() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.runCtx == nil {
		return context.Background()
	}
	return a.runCtx
}

// config returns a copy of the configuration.
func (a *Agent) config() *Config {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cfg.Clone()
}

// linked returns a copy of a linked file, or nil.
func (a *Agent) linked(id string) *LinkedFile {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.cfg.File(id); f != nil {
		c := *f
		return &c
	}
	return nil
}

// updateConfig changes the configuration, saves it and refreshes the state.
func (a *Agent) updateConfig(fn func(c *Config) error) error {
	a.mu.Lock()
	c := a.cfg.Clone()
	if err := fn(c); err != nil {
		a.mu.Unlock()
		return err
	}
	if err := a.store.Save(c); err != nil {
		a.mu.Unlock()
		return err
	}
	a.cfg = c
	files := c.Files
	a.mu.Unlock()
	a.state.SetFiles(files)
	return nil
}

// Run runs the agent until ctx ends: it recovers the journal, then runs
// the local UI, the state reporter, the prober and the poll loop, and shuts
// them down in order (the poll loop first, QuickBooks' session last).
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("connector: starting", "version", a.id.Version, "signer", a.id.Signer, "thumbprint", a.id.Thumbprint,
		"platform", a.cfg.PlatformURL, "files", len(a.cfg.Files))
	a.loadHandover()
	defer func() {
		a.saveLastSyncs()
		a.wg.Wait()
		a.ho.mu.Lock()
		cand := a.ho.cand
		a.ho.mu.Unlock()
		if cand != nil {
			cand.Close(context.WithoutCancel(ctx))
		}
		a.qb.Close(context.WithoutCancel(ctx))
		if err := a.Close(); err != nil {
			a.log.Error("connector: closing the journal", "err", err)
		}
	}()
	var ln net.Listener
	if a.opt.UIAddr != "-" {
		var err error
		if ln, err = a.listenUI(); err != nil {
			return err
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	a.runCtx = ctx
	a.mu.Unlock()
	uiDone := make(chan error, 1)
	var srv *http.Server
	if ln != nil {
		srv = &http.Server{Handler: a.UIHandler(), ReadHeaderTimeout: 10 * time.Second}
		url := fmt.Sprintf("http://%s/?token=%s", ln.Addr(), a.cfg.UIToken)
		a.mu.Lock()
		a.uiURL = url
		a.mu.Unlock()
		if err := a.store.SaveRuntime(Runtime{PID: pid(), UIURL: url}); err != nil {
			a.log.Warn("connector: cannot publish the local UI address", "err", err)
		}
		defer a.store.RemoveRuntime()
		if err := a.store.SaveUserAccess("http://"+ln.Addr().String(), a.cfg.UIToken); err != nil {
			a.log.Warn("connector: cannot publish the local UI to this computer's users (the tray app)", "err", err)
		}
		defer a.store.RemoveUserAccess()
		a.log.Info("connector: local UI listening", "addr", ln.Addr().String())
		go func() {
			err := srv.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			if err != nil {
				cancel()
			}
			uiDone <- err
		}()
		if a.opt.OnUIReady != nil {
			a.opt.OnUIReady(url)
		}
	} else {
		uiDone <- nil
	}

	// The loops stop first; the UI stops after them (it may be answering
	// a request that waits on them), QuickBooks' session last (deferred
	// above).
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.reportLoop(ctx) }()
	go func() { defer wg.Done(); a.probeLoop(ctx) }()
	a.recoverJournal(ctx)
	a.pollLoop(ctx)
	cancel()
	wg.Wait()
	var uiErr error
	if srv != nil {
		shut, c := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		if err := srv.Shutdown(shut); err != nil {
			srv.Close()
		}
		c()
	}
	uiErr = <-uiDone
	a.log.Info("connector: stopped")
	return uiErr
}

// pollLoop polls for work, one request per pass, until ctx ends. It backs
// off exponentially with jitter after a failure, honours Retry-After, and
// resets after a success. A polled item's result asks for the next item,
// and so on while the answers bring one.
func (a *Agent) pollLoop(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		if err := a.deliverAnswers(ctx); err != nil {
			if !a.backoff(ctx, &failures, err) {
				return
			}
			continue
		}
		wait := a.opt.PollWait
		if a.qb.HasSession() {
			// Poll briefly while a session is open, so that an idle session
			// is closed soon.
			wait = min(wait, a.opt.IdleSession)
		}
		resp, err := a.gw.Poll(ctx, gateway.PollRequest{Wait: wait})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !a.backoff(ctx, &failures, err) {
				return
			}
			continue
		}
		failures = 0
		a.state.Platform(nil, false)
		if resp.ReportState {
			// A connection changed on the platform (paused, resumed,
			// unlinked): the state answer tells how.
			a.state.notify()
		}
		if resp.Item == nil {
			a.qb.CloseIdle(ctx, time.Now(), a.opt.IdleSession)
			continue
		}
		// Each result's answer carries the next item while there is one
		// (a sync's pages): it runs without a poll, one round trip per
		// item. The loop polls again once an answer brings none.
		for it := resp.Item; it != nil && ctx.Err() == nil; {
			it = a.handle(ctx, it, false)
		}
	}
}

// backoff records a failed platform call and waits before the next one. It
// returns false when ctx ended.
func (a *Agent) backoff(ctx context.Context, failures *int, err error) bool {
	*failures++
	revoked := gateway.CodeOf(err) == gateway.CodeUnauthorized
	a.state.Platform(err, revoked)
	d := a.backoffDelay(*failures)
	var ge *gateway.Error
	if errors.As(err, &ge) && ge.RetryAfter > d {
		d = min(ge.RetryAfter, 5*time.Minute)
	}
	if revoked {
		d = max(d, a.opt.BackoffMax)
	}
	a.log.Warn("connector: platform call failed", "err", err, "retryIn", d.Round(time.Millisecond).String())
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	case <-a.wake:
		return true
	}
}

// backoffDelay is min(max, min·2^(n-1)) with "equal jitter": between half
// and all of it, so that many connectors do not reconnect in step.
func (a *Agent) backoffDelay(n int) time.Duration {
	d := a.opt.BackoffMin
	for i := 1; i < n && d < a.opt.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, a.opt.BackoffMax)
	a.mu.Lock()
	j := a.rnd.Int64N(int64(d)/2 + 1)
	a.mu.Unlock()
	return d/2 + time.Duration(j)
}

// reportLoop reports the state at start, after each change and at every
// heartbeat, and follows the connections the platform lists.
func (a *Agent) reportLoop(ctx context.Context) {
	t := time.NewTicker(a.opt.Heartbeat)
	defer t.Stop()
	failures := 0
	for {
		a.expirePauses()
		report := a.state.Report(a.id)
		a.handoverReport(&report)
		resp, err := a.gw.ReportState(ctx, report)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			a.state.Platform(err, gateway.CodeOf(err) == gateway.CodeUnauthorized)
			a.log.Warn("connector: state report failed", "err", err)
		} else {
			failures = 0
			a.state.Platform(nil, false)
			a.follow(resp, report)
			a.noteRevocation(resp.Revoked)
			a.handoverReported(report)
		}
		wait := a.opt.Heartbeat
		if failures > 0 {
			wait = min(wait, a.backoffDelay(failures))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-a.state.Changed():
		case <-t.C:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// follow makes the configuration follow the platform's answer to a state
// report: files it no longer lists as linked are dropped, names are
// refreshed, pause changes the report carried are confirmed, and the
// platform's pause level is adopted for files without a change still
// pending (a change made while the report was on its way waits for the
// next one).
func (a *Agent) follow(resp *gateway.StateResponse, sent gateway.State) {
	active := map[string]gateway.Connection{}
	for _, c := range resp.Connections {
		if c.Status == "Linked" {
			active[c.ID] = c
		}
	}
	delivered := map[string]*gateway.PauseChange{}
	for _, f := range sent.Files {
		if f.PauseChange != nil {
			delivered[f.ConnectionID] = f.PauseChange
		}
	}
	now := a.now()
	var gone []string
	type pauseNews struct {
		id     string
		paused bool
		by     string
	}
	var news []pauseNews
	err := a.updateConfig(func(cfg *Config) error {
		changed := false
		kept := cfg.Files[:0]
		for _, f := range cfg.Files {
			c, ok := active[f.ConnectionID]
			if !ok {
				gone = append(gone, f.ConnectionID)
				changed = true
				continue
			}
			if f.CompanyName != c.CompanyName || f.OrgName != c.OrgName {
				f.CompanyName, f.OrgName = c.CompanyName, c.OrgName
				changed = true
			}
			if p := f.PendingPause; p != nil {
				if d := delivered[f.ConnectionID]; d == nil || !d.At.Equal(p.At) {
					// Made after the report left: the platform's level is
					// older than the end user's change.
					kept = append(kept, f)
					continue
				}
				f.PendingPause = nil
				changed = true
			}
			was, paused := f.PausedAt(now), c.PausedAt(now)
			if paused != was || (paused && !sameTime(f.PausedUntil, c.PausedUntil)) {
				by := ""
				switch {
				case paused && !was:
					by = PausedByPlatform
				case paused:
					by = f.PausedBy
				}
				f.Paused, f.PausedUntil, f.PausedBy = paused, nil, by
				if paused && c.PausedUntil != nil {
					u := *c.PausedUntil
					f.PausedUntil = &u
				}
				news = append(news, pauseNews{f.ConnectionID, paused, by})
				changed = true
			}
			kept = append(kept, f)
		}
		cfg.Files = kept
		if !changed {
			return errUnchanged
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return
	}
	if err != nil {
		a.log.Error("connector: saving the configuration", "err", err)
		return
	}
	for _, n := range news {
		a.log.Info("connector: pause changed on the platform", "connection", n.id, "paused", n.paused, "by", n.by)
		if !n.paused {
			a.Probe(n.id)
		}
	}
	if len(gone) > 0 {
		a.log.Info("connector: the platform no longer lists these company files; they are no longer served", "connections", gone)
	}
}

// errUnchanged ends an updateConfig that has nothing to save.
var errUnchanged = errors.New("connector: configuration unchanged")

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// expirePauses ends, on this computer, the pauses whose end has passed.
// The platform ends them at the same time by itself, so no change is sent.
func (a *Agent) expirePauses() {
	now := a.now()
	due := false
	for _, f := range a.config().Files {
		if f.Paused && !f.PausedAt(now) {
			due = true
		}
	}
	if !due {
		return
	}
	var ended []string
	err := a.updateConfig(func(c *Config) error {
		for i := range c.Files {
			f := &c.Files[i]
			if f.Paused && !f.PausedAt(now) {
				f.Paused, f.PausedUntil, f.PausedBy = false, nil, ""
				ended = append(ended, f.ConnectionID)
			}
		}
		return nil
	})
	if err != nil {
		a.log.Error("connector: ending a pause", "err", err)
		return
	}
	for _, id := range ended {
		a.log.Info("connector: the pause ended", "connection", id)
		a.Probe(id)
	}
}

// SetPaused pauses (for d, or until resumed when d is 0) or resumes a file;
// "" means every file. The change shows at once and is sent to the
// platform with the next state report, which follows at once.
func (a *Agent) SetPaused(connectionID string, paused bool, d time.Duration) error {
	now := a.now()
	var until *time.Time
	if paused && d > 0 {
		t := now.Add(d)
		until = &t
	}
	err := a.updateConfig(func(c *Config) error {
		found := false
		for i := range c.Files {
			f := &c.Files[i]
			if connectionID != "" && f.ConnectionID != connectionID {
				continue
			}
			found = true
			f.SetPause(paused, until, now)
		}
		if !found {
			return fmt.Errorf("connector: no linked company file %q", connectionID)
		}
		return nil
	})
	if err == nil {
		a.log.Info("connector: pause changed", "connection", connectionID, "paused", paused, "until", until)
		if !paused {
			a.Probe(connectionID)
		}
	}
	return err
}

// Probe asks the prober to check a file ("" for all) now.
func (a *Agent) Probe(connectionID string) {
	select {
	case a.probes <- connectionID:
	default:
	}
}

// PerformSync is the Perform Sync button: it checks QuickBooks now (which
// makes QuickBooks show its authorization dialog when it must be asked
// again) and asks the platform to queue a sync.
func (a *Agent) PerformSync(ctx context.Context, connectionID string) error {
	if a.linked(connectionID) == nil {
		return fmt.Errorf("connector: no linked company file %q", connectionID)
	}
	a.state.SyncRequested(connectionID)
	a.Probe(connectionID)
	if step, _ := a.handoverStep(connectionID); step != nil && step.State != gateway.HandoverSwitched && step.State != gateway.HandoverFellBack {
		// Perform Sync also has the new version ask QuickBooks now.
		a.askCandidate(a.context(), connectionID, true)
	}
	ctl, ok := a.gw.(gateway.Control)
	if !ok {
		return errors.New("connector: this platform connection cannot queue a sync")
	}
	if _, err := ctl.RequestSync(ctx, connectionID); err != nil {
		return fmt.Errorf("connector: the platform did not queue the sync: %w", err)
	}
	a.log.Info("connector: sync requested", "connection", connectionID)
	return nil
}

// Unlink unlinks a file on the platform and stops serving it.
func (a *Agent) Unlink(ctx context.Context, connectionID string) error {
	if a.linked(connectionID) == nil {
		return fmt.Errorf("connector: no linked company file %q", connectionID)
	}
	if ctl, ok := a.gw.(gateway.Control); ok {
		if err := ctl.Unlink(ctx, connectionID); err != nil && gateway.CodeOf(err) != gateway.CodeNotFound {
			return fmt.Errorf("connector: the platform did not unlink: %w", err)
		}
	}
	return a.updateConfig(func(c *Config) error {
		kept := c.Files[:0]
		for _, f := range c.Files {
			if f.ConnectionID != connectionID {
				kept = append(kept, f)
			}
		}
		c.Files = kept
		return nil
	})
}

// probeLoop checks QuickBooks for files whose state is not ok, at start,
// every ProbeInterval and on request, so that a state clears by itself
// once the user fixed its cause.
func (a *Agent) probeLoop(ctx context.Context) {
	t := time.NewTicker(a.opt.ProbeInterval)
	defer t.Stop()
	a.probe(ctx, "", false, false)
	a.handoverTick(ctx)
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case id := <-a.probes:
			a.probe(ctx, id, true, true)
		case <-t.C:
			// Files in a failed state are checked at every tick; files
			// that are fine every eighth, so that QuickBooks closing while
			// no work arrives is noticed too.
			a.probe(ctx, "", tick%8 == 0, false)
		}
		a.handoverTick(ctx)
	}
}

// probe checks one file (or, for "", every file not ok; every file when
// all). fresh begins a new QuickBooks session.
func (a *Agent) probe(ctx context.Context, only string, all, fresh bool) {
	snap := a.state.Snapshot()
	for _, fs := range snap.Files {
		if only != "" && fs.ConnectionID != only {
			continue
		}
		if fs.Paused || (!all && fs.Condition.Code == qbd.CondOK) {
			continue
		}
		lf := a.linked(fs.ConnectionID)
		if lf == nil || ctx.Err() != nil || a.candidateAsking(fs.ConnectionID) {
			// While the new version asks QuickBooks about a file, the
			// running one leaves QuickBooks alone for it: a question of
			// its own (QuickBooks asks unknown applications about the file
			// it has open) would stand in the way.
			continue
		}
		_, err := a.quickBooksFor(lf.ConnectionID).Check(ctx, lf.File, fresh)
		if ctx.Err() != nil {
			return
		}
		a.observe(lf, err)
	}
}

// observe turns the outcome of a contact with QuickBooks into the file's
// state and returns the failure to report (nil on success).
func (a *Agent) observe(lf *LinkedFile, err error) *gateway.Failure {
	if err == nil {
		a.mu.Lock()
		delete(a.otherOpen, lf.ConnectionID)
		a.mu.Unlock()
		if a.state.Observe(lf.ConnectionID, qbd.Diagnose(nil), "") {
			a.log.Info("connector: QuickBooks answers normally", "connection", lf.ConnectionID, "file", lf.File.Path)
		}
		if lf.AuthorizedThumbprint != a.id.Thumbprint {
			id := lf.ConnectionID
			_ = a.updateConfig(func(c *Config) error {
				if f := c.File(id); f != nil {
					f.AuthorizedThumbprint = a.id.Thumbprint
				}
				return nil
			})
		}
		return nil
	}
	if hr, ok := qbd.HRESULTOf(err); !ok || hr != qbd.HROtherFileOpen {
		// Only a wrong file seen since is remembered: anything else
		// QuickBooks answered may mean it has another file open now.
		var wf *WrongFileError
		if !errors.As(err, &wf) && !errors.Is(err, qbd.ErrAuthPending) {
			a.mu.Lock()
			delete(a.otherOpen, lf.ConnectionID)
			a.mu.Unlock()
		}
	}
	cond, qbMsg := a.diagnose(lf, err)
	if a.state.Observe(lf.ConnectionID, cond, qbMsg) {
		a.log.Warn("connector: "+cond.Message, "connection", lf.ConnectionID, "condition", cond.Code, "hresult", cond.HRESULT, "err", err)
	}
	return &gateway.Failure{
		HResult: cond.HRESULT, Message: qbMsg, Condition: cond.Code,
		UserMessage: cond.Message, Resolution: cond.Resolution,
		NeedsUser: cond.NeedsUser, Retryable: cond.Retryable,
	}
}

// diagnose explains an error from QuickBooks for a linked file.
func (a *Agent) diagnose(lf *LinkedFile, err error) (qbd.Condition, string) {
	var wf *WrongFileError
	if errors.As(err, &wf) {
		a.mu.Lock()
		if a.otherOpen == nil {
			a.otherOpen = map[string]OpenFile{}
		}
		a.otherOpen[lf.ConnectionID] = wf.Open
		a.mu.Unlock()
		return wrongFileCondition(wf), wf.Error()
	}
	if errors.Is(err, qbd.ErrAuthPending) {
		a.mu.Lock()
		other, known := a.otherOpen[lf.ConnectionID]
		a.mu.Unlock()
		var open *OpenFile
		if known {
			open = &other
		}
		return authPendingCondition(lf.File, open), err.Error()
	}
	var p *Problem
	if errors.As(err, &p) {
		return p.Condition(), err.Error()
	}
	if hr, ok := qbd.HRESULTOf(err); ok && hr == qbd.HRFirstAccess &&
		lf.AuthorizedThumbprint != "" && lf.AuthorizedThumbprint != a.id.Thumbprint {
		err = fmt.Errorf("%w (%w)", err, qbd.ErrCertificateChanged)
	}
	cond := qbd.DiagnoseContext(err, qbd.Context{ExpectedFile: lf.File.Path, Unattended: a.config().Unattended})
	msg := err.Error()
	var qe *qbd.Error
	if errors.As(err, &qe) {
		msg = qe.Message
	}
	return cond, msg
}

// wrongFileCondition names the open and the expected company file.
func wrongFileCondition(wf *WrongFileError) qbd.Condition {
	open := fmt.Sprintf("%q (%s)", wf.Open.CompanyName, wf.Open.Path)
	want := fmt.Sprintf("%q (%s)", wf.Expected.CompanyName, wf.Expected.Path)
	msg := fmt.Sprintf("QuickBooks has the company file %s open, but this connection uses %s.", open, want)
	res := fmt.Sprintf("In QuickBooks, close the open company file (File > Close Company), open %s, then press Perform Sync. "+
		"If the connector was approved for %q by mistake, remove it there: with that file open, Edit > Preferences > Integrated Applications > Company Preferences.", want, wf.Open.CompanyName)
	if qbd.SameFile(wf.Open.Path, wf.Expected.Path) {
		msg = fmt.Sprintf("The company file at %s is not the one this connection was linked to: it is %q, and the connection uses %q.",
			wf.Open.Path, wf.Open.CompanyName, wf.Expected.CompanyName)
		res = "Put the linked company file back in its place and open it in QuickBooks, or link this company file again with a new link code."
	}
	return qbd.Condition{Code: qbd.CondWrongFileOpen, Message: msg, Resolution: res, NeedsUser: true, Retryable: true}
}

// authPendingCondition words QuickBooks' authorization window for the
// person in front of it: which company this connection expects, to approve
// only a window that names it, and, when QuickBooks last had another file
// open, that the window is then about that other file.
func authPendingCondition(want gateway.FileIdentity, open *OpenFile) qbd.Condition {
	c := qbd.Diagnose(qbd.ErrAuthPending)
	name := want.CompanyName
	if name == "" {
		name = want.Path
	}
	c.Message = fmt.Sprintf("QuickBooks is asking its administrator whether the connector may use a company file. This connection expects %q (%s).", name, want.Path)
	c.Resolution = fmt.Sprintf("Go to QuickBooks and read its authorization window. Approve only if it names %q: choose \"Yes, always\" (or \"Yes, whenever this company file is open\"), then Continue and Done. "+
		"If it names another company, choose \"No\", close that company file (File > Close Company), open %q, then press Perform Sync.", name, name)
	if open != nil && !sameIdentity(*open, want) {
		c.Message += fmt.Sprintf(" QuickBooks has another company file open, %q (%s): its window asks about that file, not the one this connection expects.", open.CompanyName, open.Path)
		c.Resolution = fmt.Sprintf("Do not approve: in QuickBooks' authorization window choose \"No\". Then close %q (File > Close Company), open %q, press Perform Sync, and approve the window that names %q.", open.CompanyName, name, name)
	}
	return c
}
