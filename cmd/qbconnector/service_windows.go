//go:build windows

package main

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/connector"
)

func newServiceCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "service", Short: "Install, remove or run the connector as a Windows service", Args: cobra.NoArgs}
	rf := &runFlags{}
	run := &cobra.Command{
		Use:   "run",
		Short: "Run as the Windows service (started by the service manager)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := connector.RunService(func(ctx context.Context) error {
				// A service cannot start its own successor: after a
				// self-update it exits and the service manager starts
				// the new version (connector/update_restart.go).
				rf.updateRestart = "manager"
				// A service has no console: its log goes to the
				// rotating file in the data folder.
				st, err := g.store()
				if err != nil {
					return err
				}
				w, err := st.LogWriter()
				if err != nil {
					return err
				}
				defer w.Close()
				err = runAgent(ctx, g, rf, io.Discard, w)
				if err != nil && !errors.Is(err, context.Canceled) {
					// Nobody sees a service's error: the log keeps it.
					printError(w, err)
				}
				return err
			})
			if errors.Is(err, connector.ErrNotService) {
				return runAgent(cmd.Context(), g, rf, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			return err
		},
	}
	rf.register(run.Flags())
	install := &cobra.Command{
		Use:   "install",
		Short: "Install the connector as a service that starts at boot, and start it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var args []string
			if g.dataDir != "" {
				args = append(args, "--data-dir", g.dataDir)
			}
			notes, err := connector.InstallService(args...)
			if err != nil {
				return err
			}
			for _, n := range notes {
				cmd.Println(n)
			}
			cmd.Println("The qbconnector service is installed and started.")
			return nil
		},
	}
	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop and remove the service",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := connector.UninstallService(); err != nil {
				return err
			}
			cmd.Println("The qbconnector service is removed.")
			return nil
		},
	}
	cmd.AddCommand(run, install, uninstall)
	return cmd
}
