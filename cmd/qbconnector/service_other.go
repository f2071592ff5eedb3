//go:build !windows

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newServiceCmd(*globals) *cobra.Command {
	return &cobra.Command{
		Use:    "service",
		Short:  "Windows only: install, remove or run the connector as a service",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("services are for Windows; elsewhere run \"qbconnector run\" under your service manager (systemd, launchd)")
		},
	}
}
