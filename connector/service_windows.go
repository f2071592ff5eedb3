//go:build windows

package connector

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// ServiceName is the Windows service's name.
const ServiceName = "qbconnector"

// InstallService registers the running executable as a service that starts
// at boot and runs "service run" with args (such as --data-dir), then
// starts it.
func InstallService(args ...string) error {
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
		DisplayName:      "qbconnect connector",
		Description:      "Connects QuickBooks Desktop company files on this computer to the qbconnect platform.",
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true,
	}, append([]string{"service", "run"}, args...)...)
	if err != nil {
		return fmt.Errorf("connector: creating the service: %w", err)
	}
	defer s.Close()
	if err := setRecovery(s); err != nil {
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

// IsService reports whether the process runs as a Windows service.
func IsService() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// RunService runs run as the Windows service until the service manager
// stops it. When run returns ErrRestartForUpdate the service stops with a
// failure code (ExitRestartForUpdate), and the recovery actions set at
// install start the program again: the new version after a self-update,
// the previous one after a rollback.
func RunService(run func(ctx context.Context) error) error {
	if err := ensureRecovery(); err != nil {
		if el, lerr := eventlog.Open(ServiceName); lerr == nil {
			el.Warning(1, "qbconnector: could not set the service's recovery actions; self-updates take effect at the next restart: "+err.Error())
			el.Close()
		}
	}
	return svc.Run(ServiceName, &service{run: run})
}

type service struct {
	run func(ctx context.Context) error
}

func (s *service) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
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
