//go:build !windows

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newTrayCmd: the notification-area app is Windows'; elsewhere the
// command exists (hidden) so that a script calling it learns why it fails.
func newTrayCmd(*globals) *cobra.Command {
	return &cobra.Command{
		Use:    "tray",
		Short:  "Windows only: show the connector in the notification area",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("the tray app runs on Windows only; elsewhere open the local UI (\"qbconnector ui\" prints its link)")
		},
	}
}
