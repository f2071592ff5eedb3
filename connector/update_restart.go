package connector

// Self-update under a service manager. A Windows service cannot start its
// own successor: the service manager owns the process, and a detached
// child would run outside it (and the service would look stopped). So,
// under RestartByManager, the running version swaps the executables, leaves
// a pending-update marker beside the program and exits with a failure code;
// the manager's recovery action (restart on failure, set at `service
// install`) starts the program again, which is now the new version. Each
// start reads the marker:
//
//   - the new version, first start: counts the start and, once its agent
//     is up, reports the update to the platform within the confirmation
//     deadline and removes the marker; if it cannot, it exits with a
//     failure code;
//   - the new version, started again without having confirmed (it crashed
//     or could not report): restores the previous executable, marks the
//     update rolled back and exits, so that the manager starts the old one;
//   - the previous version after a rollback: reports the rollback to the
//     platform (which stops offering that release) and removes the marker.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/signing"
)

// RestartMode is how a self-update starts the new version.
type RestartMode string

// The restart modes.
const (
	// RestartSpawn starts the new version as a detached process and waits
	// for it to confirm: for a connector run by hand or at logon.
	RestartSpawn RestartMode = ""
	// RestartByManager exits with ErrRestartForUpdate and lets the service
	// manager (Windows' service control manager, systemd with
	// Restart=on-failure) start the new version.
	RestartByManager RestartMode = "manager"
)

// ErrRestartForUpdate is returned when the process must exit with a
// failure code so that its service manager starts the program again: a new
// version was installed, or a new version that did not start was rolled
// back.
var ErrRestartForUpdate = errors.New("connector: exiting so that the service manager restarts the program for an update")

// ExitRestartForUpdate is the exit code of a process that exits with
// ErrRestartForUpdate (EX_TEMPFAIL): systemd units may name it in
// RestartForceExitStatus.
const ExitRestartForUpdate = 75

// PendingSuffix is appended to the executable's path to name the
// pending-update marker: qbconnector.exe.update.json.
const PendingSuffix = ".update.json"

// Pending is the marker of an update installed for the service manager to
// start.
type Pending struct {
	// From and To are the previous and the new version.
	From string `json:"from"`
	To   string `json:"to"`
	// InstalledAt is when the executables were swapped.
	InstalledAt time.Time `json:"installedAt"`
	// Starts counts the new version's starts that did not confirm yet.
	Starts int `json:"starts"`
	// RolledBack, when set, is why the new version was rolled back; the
	// previous version reports it at its next start.
	RolledBack string `json:"rolledBack,omitempty"`
}

// ReadPending reads the pending-update marker beside program; it returns
// nil and no error when there is none.
func ReadPending(program string) (*Pending, error) {
	data, err := os.ReadFile(program + PendingSuffix)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p Pending
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("the pending-update marker %s is damaged: %w", program+PendingSuffix, err)
	}
	return &p, nil
}

// writePending writes the marker atomically (a crash leaves the old one or
// the new one, never half of it).
func writePending(program string, p *Pending) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := program + PendingSuffix + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, program+PendingSuffix)
}

// PendingUpdates finishes or rolls back, at start, an update installed for
// the service manager. Program and Updates are required.
type PendingUpdates struct {
	// Program is the executable (the marker and PROGRAM.old lie beside
	// it).
	Program string
	// Updates reports the outcome to the platform.
	Updates gateway.Updates
	// ConfirmTimeout bounds the report of a new version; 0 means two
	// minutes.
	ConfirmTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger may be nil.
	Logger *slog.Logger
}

// Resume acts on the marker left by an update, as the process running
// version starts. When this is the new version's first start it counts
// the start and returns the marker: the caller confirms it with Confirm
// once the agent is up (or exits with a failure code, and the next start
// rolls back). It returns nil and no error when the start may simply
// carry on (no marker, or a rollback reported), and ErrRestartForUpdate
// when this version was rolled back and the process must exit for the
// manager to start the previous one.
func (pu *PendingUpdates) Resume(ctx context.Context, version string) (*Pending, error) {
	log := pu.log()
	p, err := ReadPending(pu.Program)
	if err != nil || p == nil {
		return nil, err
	}
	marker := pu.Program + PendingSuffix
	switch {
	case p.RolledBack != "" && version == p.From:
		// The previous version, back after a rollback: tell the platform,
		// which stops offering the release, and tidy up.
		log.Warn("update: the new version was rolled back", "version", p.To, "reason", p.RolledBack)
		if err := pu.Updates.ReportUpdate(ctx, gateway.UpdateReport{FromVersion: p.From, ToVersion: p.To,
			Outcome: gateway.UpdateRolledBack, Reason: p.RolledBack}); err != nil {
			log.Warn("update: reporting the rollback failed", "err", err)
		}
		os.Remove(pu.Program + ".new")
		os.Remove(pu.Program + ".new" + signing.DetachedSuffix)
		return nil, os.Remove(marker)
	case p.RolledBack == "" && version == p.To && p.Starts == 0:
		p.Starts++
		if err := writePending(pu.Program, p); err != nil {
			return nil, fmt.Errorf("connector: update: %w", err)
		}
		return p, nil
	case p.RolledBack == "" && version == p.To:
		reason := fmt.Sprintf("version %s started %d time(s) without reporting in", p.To, p.Starts)
		log.Error("update: rolling back", "version", p.To, "to", p.From, "reason", reason)
		if err := pu.rollBack(); err != nil {
			return nil, fmt.Errorf("connector: update: restoring %s: %w", p.From, err)
		}
		p.RolledBack = reason
		if err := writePending(pu.Program, p); err != nil {
			return nil, fmt.Errorf("connector: update: %w", err)
		}
		return nil, ErrRestartForUpdate
	}
	// Another version runs (reinstalled by hand): the marker is stale.
	log.Warn("update: removing a stale pending-update marker", "from", p.From, "to", p.To, "running", version)
	return nil, os.Remove(marker)
}

// Confirm reports the update of a marker returned by Resume to the
// platform, within ConfirmTimeout, and removes the marker. On error the
// process should exit with a failure code: the next start rolls back.
func (pu *PendingUpdates) Confirm(ctx context.Context, p *Pending) error {
	timeout := pu.ConfirmTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := pu.Updates.ReportUpdate(rctx, gateway.UpdateReport{FromVersion: p.From, ToVersion: p.To, Outcome: gateway.UpdateInstalled}); err != nil {
		return fmt.Errorf("connector: update %s not confirmed (the next start rolls it back): %w", p.To, err)
	}
	pu.log().Info("update: this version was installed by a self-update and reported in", "from", p.From, "version", p.To)
	return os.Remove(pu.Program + PendingSuffix)
}

func (pu *PendingUpdates) log() *slog.Logger {
	if pu.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return pu.Logger
}

// rollBack puts PROGRAM.old (and its signature) back in place; the new
// version is kept as PROGRAM.new until the old one removes it (a running
// Windows executable can be renamed but not deleted).
func (pu *PendingUpdates) rollBack() error {
	prog, sig := pu.Program, signing.DetachedSuffix
	if _, err := os.Stat(prog + ".old"); err != nil {
		return fmt.Errorf("no previous version to restore: %w", err)
	}
	moves := [][2]string{{prog, prog + ".new"}, {prog + ".old", prog}}
	if _, err := os.Stat(prog + sig); err == nil {
		moves = append(moves, [2]string{prog + sig, prog + ".new" + sig})
	}
	if _, err := os.Stat(prog + ".old" + sig); err == nil {
		moves = append(moves, [2]string{prog + ".old" + sig, prog + sig})
	}
	for _, m := range moves {
		if err := os.Rename(m[0], m[1]); err != nil {
			return err
		}
	}
	return nil
}
