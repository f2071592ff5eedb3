//go:build windows

package connector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// ServiceName is the Windows service's name.
const ServiceName = "qbconnector"

// InstallService registers the running executable as a service that starts
// at boot and runs "service run" with args (such as --data-dir), then
// starts it. Settings that this Windows does not know (Wine has neither
// delayed start nor recovery actions) are skipped; each skipped setting
// is returned as a note to tell the user.
func InstallService(args ...string) ([]string, error) {
	var notes []string
	err := installService(args, func(note string) { notes = append(notes, note) })
	return notes, err
}

// unsupported reports whether the service manager does not know a
// setting's level: ERROR_INVALID_LEVEL (Wine) or ERROR_CALL_NOT_IMPLEMENTED.
func unsupported(err error) bool {
	return errors.Is(err, windows.ERROR_INVALID_LEVEL) || errors.Is(err, windows.ERROR_CALL_NOT_IMPLEMENTED)
}

func installService(args []string, note func(string)) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connector: opening the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(ServiceName); err == nil {
		s.Close()
		return fmt.Errorf("connector: the service %s is already installed", ServiceName)
	}
	s, err := m.CreateService(ServiceName, exe, mgr.Config{
		DisplayName: "qbconnect connector",
		Description: "Connects QuickBooks Desktop company files on this computer to the qbconnect platform.",
		StartType:   mgr.StartAutomatic,
	}, append([]string{"service", "run"}, args...)...)
	if err != nil {
		return fmt.Errorf("connector: creating the service: %w", err)
	}
	defer s.Close()
	// Delayed start keeps the connector out of the way while Windows
	// boots; where the service manager lacks it, the service starts with
	// the others.
	cfg, err := s.Config()
	if err == nil {
		cfg.DelayedAutoStart = true
		err = s.UpdateConfig(cfg)
	}
	switch {
	case unsupported(err):
		note("This Windows does not delay a service's start: the connector starts with Windows.")
	case err != nil:
		s.Delete()
		return fmt.Errorf("connector: setting the service's delayed start: %w", err)
	}
	switch err := setRecovery(s); {
	case unsupported(err):
		note("This Windows cannot restart a failed service: after a self-update the new version starts at the next restart of the service.")
	case err != nil:
		s.Delete()
		return err
	}
	_ = eventlog.InstallAsEventCreate(ServiceName, eventlog.Error|eventlog.Warning|eventlog.Info)
	if err := s.Start(); err != nil {
		return fmt.Errorf("connector: starting the service: %w", err)
	}
	return nil
}

// setRecovery makes the service manager restart the service after a crash
// (after 5 s, 30 s, then every minute) and also when it stops with a
// failure code: that is how a self-update starts the new version
// (ErrRestartForUpdate).
func setRecovery(s *mgr.Service) error {
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}, 24*60*60); err != nil {
		return fmt.Errorf("connector: setting the service's recovery actions: %w", err)
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("connector: setting the service's recovery on failure codes: %w", err)
	}
	return nil
}

// ensureRecovery sets the recovery actions of a service installed by an
// older version, which restarted it only after a crash. It is best effort:
// without it an update still installs, and the service starts the new
// version at the next boot.
func ensureRecovery() error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(ServiceName)
	if err != nil {
		return err
	}
	defer s.Close()
	if ok, err := s.RecoveryActionsOnNonCrashFailures(); err == nil && ok {
		return nil
	}
	return setRecovery(s)
}

// UninstallService stops and removes the service.
func UninstallService() error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connector: opening the service manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(ServiceName)
	if err != nil {
		return fmt.Errorf("connector: the service %s is not installed", ServiceName)
	}
	defer s.Close()
	if st, err := s.Control(svc.Stop); err == nil {
		deadline := time.Now().Add(30 * time.Second)
		for st.State != svc.Stopped && time.Now().Before(deadline) {
			time.Sleep(300 * time.Millisecond) // the service manager offers no wait
			if st, err = s.Query(); err != nil {
				break
			}
		}
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("connector: removing the service: %w", err)
	}
	_ = eventlog.Remove(ServiceName)
	return nil
}

// RunService runs run as the Windows service until the service manager
// stops it. When run returns ErrRestartForUpdate the service stops with a
// failure code (ExitRestartForUpdate), and the recovery actions set at
// install start the program again: the new version after a self-update,
// the previous one after a rollback.
//
// It returns ErrNotService at once when the service manager did not start
// the process (someone ran "service run" in a console): the caller then
// runs the agent in the console. Asking the service manager is the one
// reliable test: svc.IsWindowsService looks for a parent in session 0,
// which Wine's service manager is not.
func RunService(run func(ctx context.Context) error) error {
	err := svc.Run(ServiceName, &service{run: run})
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return ErrNotService
	}
	return err
}

// ErrNotService is returned by RunService in a process that the service
// manager did not start.
var ErrNotService = errors.New("connector: not started by the service manager")

type service struct {
	run func(ctx context.Context) error
}

func (s *service) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	if err := ensureRecovery(); err != nil && !unsupported(err) {
		if el, lerr := eventlog.Open(ServiceName); lerr == nil {
			el.Warning(1, "qbconnector: could not set the service's recovery actions; self-updates take effect at the next restart: "+err.Error())
			el.Close()
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			switch {
			case errors.Is(err, ErrRestartForUpdate):
				// A failure code, so that the recovery actions restart
				// the service (SetRecoveryActionsOnNonCrashFailures).
				return true, ExitRestartForUpdate
			case err != nil && !errors.Is(err, context.Canceled):
				return true, 1
			}
			return false, 0
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
			}
		}
	}
}
