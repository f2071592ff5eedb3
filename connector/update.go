package connector

// Self-update: the platform offers a newer release; the connector downloads
// it through the gateway, checks size and SHA-256 against the release record
// and the signature against its pinned publisher roots and the release's
// signer, swaps the executable (the running one becomes PROGRAM.old), starts
// the new version and waits for it to report in. A new version that does
// not report in within the deadline is stopped and the old one restored.

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/signing"
)

// UpdateConfirmEnv names the environment variable through which an
// updating connector tells the new version where to confirm that it runs.
const UpdateConfirmEnv = "QBCONNECTOR_UPDATE_CONFIRM"

// RootsFileSuffix is appended to the executable's path to find the pinned
// publisher roots (PEM) installed beside it: qbconnector.exe.roots.pem.
const RootsFileSuffix = ".roots.pem"

// UpdaterOptions configure an Updater. Updates and Roots are required.
type UpdaterOptions struct {
	// Updates is the platform's self-update endpoints.
	Updates gateway.Updates
	// Version is the running version.
	Version string
	// Program is the running executable; "" means os.Executable.
	Program string
	// Roots are the pinned publisher roots: a release must chain to one
	// of them, whatever the platform says.
	Roots *x509.CertPool
	// Platform is "GOOS/GOARCH"; "" means the running one.
	Platform string
	// Interval is how often to ask for an update; 0 means one hour.
	Interval time.Duration
	// ConfirmTimeout is how long the new version has to report in; 0
	// means two minutes.
	ConfirmTimeout time.Duration
	// Args are the new process's arguments; nil means os.Args[1:].
	Args []string
	// Stdout and Stderr of the new process; nil means the current ones.
	Stdout, Stderr io.Writer
	// Now is the clock of signature checks; nil means time.Now.
	Now func() time.Time
	// Logger may be nil.
	Logger *slog.Logger
	// OnCheck, when set, is called after every check with its outcome.
	// Tests wait on it.
	OnCheck func(staged *Staged, err error)
	// Restart is how the new version starts: RestartSpawn (the default)
	// starts it here and waits for its confirmation; RestartByManager
	// leaves a pending-update marker and lets the process exit so that
	// the service manager starts the new version.
	Restart RestartMode
	// Thumbprint is the running version's signer (lowercase hex); "" when
	// unsigned.
	Thumbprint string
	// Store is the data folder. When set, a release signed with another
	// certificate than Thumbprint is not swapped in: it is installed
	// beside the program as a candidate and handed over file by file
	// (handover.go); nil means every release is swapped in at once.
	Store *Store
	// HandoverInterval is how often the handover record is read to see
	// whether the candidate may be installed; 0 means one second.
	HandoverInterval time.Duration
}

// Updater checks for, verifies and installs connector releases.
type Updater struct {
	opt UpdaterOptions
	log *slog.Logger
	// tried is the candidate versions whose installation was attempted:
	// one that was rolled back is not installed again by this process.
	tried map[string]bool
}

// NewUpdater checks opts and fills its defaults.
func NewUpdater(opts UpdaterOptions) (*Updater, error) {
	if opts.Updates == nil {
		return nil, errors.New("connector: the updater needs the platform's update endpoints")
	}
	if opts.Roots == nil {
		return nil, errors.New("connector: the updater needs pinned publisher roots")
	}
	if opts.Program == "" {
		p, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("connector: finding the running executable: %w", err)
		}
		opts.Program = p
	}
	if opts.Platform == "" {
		opts.Platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Hour
	}
	if opts.ConfirmTimeout <= 0 {
		opts.ConfirmTimeout = 2 * time.Minute
	}
	if opts.HandoverInterval <= 0 {
		opts.HandoverInterval = time.Second
	}
	if opts.Args == nil {
		opts.Args = os.Args[1:]
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Restart != RestartSpawn && opts.Restart != RestartByManager {
		return nil, fmt.Errorf("connector: restart mode %q: want %q or %q", opts.Restart, RestartSpawn, RestartByManager)
	}
	return &Updater{opt: opts, log: opts.Logger}, nil
}

// LoadRoots reads the pinned publisher roots installed beside program.
func LoadRoots(program string) (*x509.CertPool, error) {
	return signing.LoadCertPool(program + RootsFileSuffix)
}

// Staged is a downloaded and verified release, ready to install.
type Staged struct {
	Offer gateway.UpdateOffer
	// Path is the new executable beside the running one (PROGRAM.new);
	// SigPath its detached signature, or "".
	Path, SigPath string
}

// Check asks the platform for an update and, when one is offered,
// downloads and verifies it. It returns nil when there is nothing to
// install. A file whose checksum or signature does not match is deleted,
// reported as refused, and returned as an error; the running version is
// untouched.
func (u *Updater) Check(ctx context.Context) (*Staged, error) {
	offer, err := u.opt.Updates.CheckUpdate(ctx, u.opt.Platform)
	if err != nil || offer == nil {
		return nil, err
	}
	if !newerVersion(offer.Version, u.opt.Version) {
		// The platform decides from the version it last heard of: a
		// version that has just started (after an update) may be offered
		// itself, or an older release, before its first report.
		u.log.Debug("update: ignoring an offer that is not newer", "version", offer.Version, "running", u.opt.Version)
		return nil, nil
	}
	handover := u.opt.Store != nil && u.opt.Thumbprint != "" && !strings.EqualFold(offer.SignerThumbprint, u.opt.Thumbprint)
	if handover {
		if h, err := u.opt.Store.LoadHandover(); err != nil {
			return nil, err
		} else if h != nil && h.Offer.Version == offer.Version {
			return nil, nil // the candidate is installed already
		}
	}
	u.log.Info("update: release offered", "version", offer.Version, "from", u.opt.Version, "signer", offer.SignerSubject)
	st := &Staged{Offer: *offer, Path: u.opt.Program + ".new"}
	if offer.Signature != nil {
		st.SigPath = st.Path + signing.DetachedSuffix
	}
	refuse := func(reason error) (*Staged, error) {
		u.discard(st)
		u.log.Error("update: refused", "version", offer.Version, "reason", reason)
		if err := u.opt.Updates.ReportUpdate(ctx, gateway.UpdateReport{FromVersion: u.opt.Version, ToVersion: offer.Version,
			Outcome: gateway.UpdateRefused, Reason: reason.Error()}); err != nil {
			u.log.Warn("update: reporting the refusal failed", "err", err)
		}
		return nil, fmt.Errorf("connector: update %s refused: %w", offer.Version, reason)
	}
	if err := u.download(ctx, offer.Version, offer.Program, st.Path, 0o755); err != nil {
		if errors.Is(err, gateway.ErrChecksum) {
			return refuse(err)
		}
		u.discard(st)
		return nil, err
	}
	if st.SigPath != "" {
		if err := u.download(ctx, offer.Version, *offer.Signature, st.SigPath, 0o644); err != nil {
			if errors.Is(err, gateway.ErrChecksum) {
				return refuse(err)
			}
			u.discard(st)
			return nil, err
		}
	}
	v := &signing.Verifier{Roots: u.opt.Roots, Now: u.opt.Now, Logger: u.log}
	sig, err := v.VerifyFile(ctx, st.Path)
	if err != nil {
		return refuse(err)
	}
	if !sig.Valid() {
		return refuse(sig.Err())
	}
	if got := strings.ToLower(sig.Thumbprint); got != strings.ToLower(offer.SignerThumbprint) {
		return refuse(fmt.Errorf("signed by %s (%s), but the release record names %s", sig.Subject, got, offer.SignerThumbprint))
	}
	// A release whose certificate has expired since it was signed is still
	// valid when its timestamp proves it was signed in time (the verifier
	// judges that); the note says so in the log.
	u.log.Info("update: downloaded and verified", "version", offer.Version, "signer", sig.Identity.String(), "time", sig.Note())
	if handover {
		if err := u.installCandidate(ctx, st); err != nil {
			u.discard(st)
			return nil, err
		}
		return nil, nil
	}
	return st, nil
}

func (u *Updater) download(ctx context.Context, version string, ref gateway.ArtifactRef, path string, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return fmt.Errorf("connector: update: %w", err)
	}
	err = u.opt.Updates.Download(ctx, version, ref, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (u *Updater) discard(st *Staged) {
	os.Remove(st.Path)
	if st.SigPath != "" {
		os.Remove(st.SigPath)
	}
}

// Install replaces the running executable with the staged one, starts it
// and waits for it to confirm that it runs and reached the platform. It
// returns true when the new version runs (the caller exits: the new
// process carries on); under RestartByManager, true means the new version
// is installed and the process must exit for the manager to start it. Otherwise the new process is stopped, the previous
// executable restored, the failure reported as rolled back, and the
// caller keeps running.
func (u *Updater) Install(ctx context.Context, st *Staged) (bool, error) {
	prog := u.opt.Program
	moves := [][2]string{{prog, prog + ".old"}, {st.Path, prog}}
	if st.SigPath != "" {
		if _, err := os.Stat(prog + signing.DetachedSuffix); err == nil {
			moves = append([][2]string{{prog + signing.DetachedSuffix, prog + ".old" + signing.DetachedSuffix}}, moves...)
		}
		moves = append(moves, [2]string{st.SigPath, prog + signing.DetachedSuffix})
	}
	var done [][2]string
	undo := func() error {
		var errs []error
		for i := len(done) - 1; i >= 0; i-- {
			if err := os.Rename(done[i][1], done[i][0]); err != nil {
				errs = append(errs, err)
			}
		}
		done = nil
		return errors.Join(errs...)
	}
	for _, m := range moves {
		if err := os.Rename(m[0], m[1]); err != nil {
			err = errors.Join(fmt.Errorf("connector: update: replacing the executable: %w", err), undo())
			u.discard(st)
			u.report(ctx, st, gateway.UpdateFailed, err.Error())
			return false, err
		}
		done = append(done, m)
	}
	if u.opt.Restart == RestartByManager {
		// The service manager starts the new version once this process
		// exits; the marker tells that start to confirm, or to roll back.
		err := writePending(prog, &Pending{From: u.opt.Version, To: st.Offer.Version, InstalledAt: u.opt.Now().UTC()})
		if err == nil {
			u.log.Info("update: installed; exiting so that the service manager starts the new version", "version", st.Offer.Version, "program", prog)
			return true, nil
		}
		err = errors.Join(fmt.Errorf("connector: update: %w", err), undo())
		u.report(ctx, st, gateway.UpdateFailed, err.Error())
		return false, err
	}
	u.log.Info("update: installed; starting the new version", "version", st.Offer.Version, "program", prog)
	err := u.start(ctx, prog)
	if err == nil {
		u.log.Info("update: the new version reported in; handing over", "version", st.Offer.Version)
		return true, nil
	}
	u.log.Error("update: the new version did not report in; rolling back", "version", st.Offer.Version, "err", err)
	if uerr := undo(); uerr != nil {
		return false, errors.Join(err, fmt.Errorf("connector: update: restoring %s: %w", prog, uerr))
	}
	u.report(ctx, st, gateway.UpdateRolledBack, err.Error())
	return false, fmt.Errorf("connector: update %s rolled back: %w", st.Offer.Version, err)
}

func (u *Updater) report(ctx context.Context, st *Staged, outcome, reason string) {
	if err := u.opt.Updates.ReportUpdate(context.WithoutCancel(ctx), gateway.UpdateReport{FromVersion: u.opt.Version,
		ToVersion: st.Offer.Version, Outcome: outcome, Reason: reason}); err != nil {
		u.log.Warn("update: reporting the outcome failed", "outcome", outcome, "err", err)
	}
}

// start runs the new executable and waits for its confirmation.
func (u *Updater) start(ctx context.Context, prog string) error {
	confirm := filepath.Join(filepath.Dir(prog), fmt.Sprintf(".%s.confirm-%d", filepath.Base(prog), os.Getpid()))
	os.Remove(confirm)
	defer os.Remove(confirm)
	cmd := exec.Command(prog, u.opt.Args...)
	cmd.Env = append(os.Environ(), UpdateConfirmEnv+"="+confirm)
	cmd.Stdout, cmd.Stderr = u.opt.Stdout, u.opt.Stderr
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", prog, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.NewTimer(u.opt.ConfirmTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(confirm); err == nil && strings.TrimSpace(string(data)) == "ok" {
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the new version exited before reporting in: %v", err)
		case <-deadline.C:
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("the new version did not report in within %s", u.opt.ConfirmTimeout)
		case <-ctx.Done():
			cmd.Process.Kill()
			<-exited
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// ConfirmUpdate is called by a connector at start. When it was started by
// an update (UpdateConfirmEnv is set), it reports the installation to the
// platform and then confirms to the previous version, which hands over.
// It reports whether this start was an update. RunUpdating confirms only
// once the agent is up (UpdateStarted).
func ConfirmUpdate(ctx context.Context, updates gateway.Updates, from, version string) (bool, error) {
	path := os.Getenv(UpdateConfirmEnv)
	if path == "" {
		return false, nil
	}
	os.Unsetenv(UpdateConfirmEnv)
	return true, confirmTo(ctx, updates, path, from, version)
}

func confirmTo(ctx context.Context, updates gateway.Updates, path, from, version string) error {
	if err := updates.ReportUpdate(ctx, gateway.UpdateReport{FromVersion: from, ToVersion: version, Outcome: gateway.UpdateInstalled}); err != nil {
		return fmt.Errorf("connector: reporting the update: %w", err)
	}
	if err := os.WriteFile(path, []byte("ok\n"), 0o600); err != nil {
		return fmt.Errorf("connector: confirming the update: %w", err)
	}
	return nil
}

type startedKey struct{}

// UpdateStarted returns the function that run (see RunUpdating) calls once
// the agent is up, so that a self-update is confirmed, and the previous
// version let go, only when the new version really runs. Outside
// RunUpdating, or when nothing waits for a confirmation, it does nothing.
func UpdateStarted(ctx context.Context) func() {
	if f, ok := ctx.Value(startedKey{}).(func()); ok {
		return f
	}
	return func() {}
}

// confirmWhenStarted wraps the first run of a version installed by an
// update: confirm is called once run signals UpdateStarted. When run ends
// before that, or confirm fails, the error is returned (the process exits
// with a failure code and the update is rolled back).
func confirmWhenStarted(run func(context.Context) error, confirm func(context.Context) error) func(context.Context) error {
	first := true
	return func(ctx context.Context) error {
		if !first {
			return run(ctx)
		}
		first = false
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		started := make(chan struct{})
		var once sync.Once
		runCtx := context.WithValue(ctx, startedKey{}, func() { once.Do(func() { close(started) }) })
		ended := make(chan error, 1)
		go func() { ended <- run(runCtx) }()
		select {
		case err := <-ended:
			if ctx.Err() != nil {
				return err
			}
			if err == nil {
				err = errors.New("it returned without an error")
			}
			return fmt.Errorf("connector: the updated version stopped before it was up: %w", err)
		case <-started:
		}
		if err := confirm(ctx); err != nil {
			cancel()
			<-ended
			return err
		}
		return <-ended
	}
}

// RunWithUpdates runs run until ctx ends, checking for an update every
// Interval. When a verified update is staged, run is stopped and the update
// installed: RunWithUpdates returns nil once the new version runs (the
// process should exit), ErrRestartForUpdate under RestartByManager (the
// process should exit with a failure code so that the manager restarts
// it), or starts run again after a rollback.
func RunWithUpdates(ctx context.Context, u *Updater, run func(context.Context) error) error {
	for {
		runCtx, stop := context.WithCancel(ctx)
		staged := make(chan *Staged, 1)
		checkDone := make(chan struct{})
		go func() {
			defer close(checkDone)
			if u.loop(runCtx, staged) {
				stop() // stop run so that the update can be installed
			}
		}()
		err := run(runCtx)
		stop()
		<-checkDone
		if ctx.Err() != nil {
			return err
		}
		var st *Staged
		select {
		case st = <-staged:
		default:
			return err // run ended by itself
		}
		ok, ierr := u.Install(ctx, st)
		if ok && u.opt.Restart == RestartByManager {
			return ErrRestartForUpdate
		}
		if ok {
			return nil
		}
		u.log.Warn("update: carrying on with the running version", "version", u.opt.Version, "err", ierr)
	}
}

// loop checks for updates until one is staged (sent on staged, after which
// the caller stops run) or ctx ends.
func (u *Updater) loop(ctx context.Context, staged chan<- *Staged) bool {
	t := time.NewTicker(u.opt.Interval)
	defer t.Stop()
	ht := time.NewTicker(u.opt.HandoverInterval)
	defer ht.Stop()
	for {
		st, err := u.Check(ctx)
		if u.opt.OnCheck != nil {
			u.opt.OnCheck(st, err)
		}
		if err != nil && ctx.Err() == nil {
			u.log.Warn("update: check failed", "err", err)
		}
		if st != nil {
			staged <- st
			return true
		}
	wait:
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		case <-ht.C:
			if st := u.candidateDue(); st != nil {
				staged <- st
				return true
			}
			goto wait
		}
	}
}

// SelfUpdate configures RunUpdating. Config is required.
type SelfUpdate struct {
	// Config is the connector's configuration: the platform and the
	// credential to ask for updates with.
	Config *Config
	// Version is the running version.
	Version string
	// Interval is how often to ask for an update; 0 means one hour.
	Interval time.Duration
	// ConfirmTimeout is how long a new version has to report in; 0 means
	// two minutes.
	ConfirmTimeout time.Duration
	// Restart is how the new version starts: RestartSpawn (the default)
	// or RestartByManager (a service manager restarts the process).
	Restart RestartMode
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger may be nil.
	Logger *slog.Logger
	// Store is the data folder and Thumbprint the running version's
	// signer: with both, a release signed with another certificate is
	// handed over file by file (handover.go) instead of swapped in.
	Store      *Store
	Thumbprint string
}

// RunUpdating runs run with self-update when the platform and pinned
// publisher roots allow it. A connector started by an update confirms it
// first (or, under a service manager, finishes or rolls back the pending
// update: see RestartByManager). Without a roots file beside the
// executable (PROGRAM.roots.pem) self-update is off and run runs as it is.
// run must build a fresh agent each time: after a rolled-back update it is
// called again. Under RestartByManager it returns ErrRestartForUpdate when
// the process must exit so that the manager starts the program again.
func RunUpdating(ctx context.Context, su SelfUpdate, run func(context.Context) error) error {
	log := su.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if su.Now == nil {
		su.Now = time.Now
	}
	if su.ConfirmTimeout <= 0 {
		su.ConfirmTimeout = 2 * time.Minute
	}
	gw, err := gatewayclient.New(su.Config.PlatformURL, gatewayclient.Options{Credential: su.Config.Credential, UserAgent: "qbconnector/" + su.Version})
	if err != nil {
		return err
	}
	prog, perr := os.Executable()
	var confirm func(context.Context) error
	if su.Restart == RestartByManager && perr == nil {
		pu := &PendingUpdates{Program: prog, Updates: gw, Now: su.Now, ConfirmTimeout: su.ConfirmTimeout, Logger: log}
		p, err := pu.Resume(ctx, su.Version)
		if err != nil {
			return err
		}
		if p != nil {
			confirm = func(ctx context.Context) error { return pu.Confirm(ctx, p) }
		}
	}
	if path := os.Getenv(UpdateConfirmEnv); path != "" {
		os.Unsetenv(UpdateConfirmEnv)
		confirm = func(ctx context.Context) error {
			if err := confirmTo(ctx, gw, path, "", su.Version); err != nil {
				return err
			}
			log.Info("update: this version was installed by a self-update and reported in", "version", su.Version)
			return nil
		}
	}
	if confirm != nil {
		run = confirmWhenStarted(run, confirm)
	}
	if perr != nil {
		return run(ctx)
	}
	roots, err := LoadRoots(prog)
	if err != nil {
		log.Info("update: self-update is off: no pinned publisher roots beside the program", "want", prog+RootsFileSuffix)
		return run(ctx)
	}
	u, err := NewUpdater(UpdaterOptions{Updates: gw, Version: su.Version, Program: prog, Roots: roots, Interval: su.Interval,
		ConfirmTimeout: su.ConfirmTimeout, Restart: su.Restart, Now: su.Now, Logger: log, Store: su.Store, Thumbprint: su.Thumbprint})
	if err != nil {
		return err
	}
	return RunWithUpdates(ctx, u, run)
}

// newerVersion reports whether the semantic version a ("2.1.0",
// "v2.1.0-rc.1") is newer than b; a pre-release sorts before its release.
// Any valid a is newer than an unparsable b (a development build); an
// unparsable a is never newer.
func newerVersion(a, b string) bool {
	va, oka := parseVersion(a)
	vb, okb := parseVersion(b)
	switch {
	case !oka:
		return false
	case !okb:
		return true
	}
	for i := range 3 {
		if va.n[i] != vb.n[i] {
			return va.n[i] > vb.n[i]
		}
	}
	switch {
	case va.pre == vb.pre:
		return false
	case va.pre == "":
		return true
	case vb.pre == "":
		return false
	}
	return va.pre > vb.pre
}

type version struct {
	n   [3]int
	pre string
}

func parseVersion(s string) (version, bool) {
	var v version
	s = strings.TrimPrefix(s, "v")
	s, v.pre, _ = strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v.n[i] = n
	}
	return v, true
}
