package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newReleaseCmd is a placeholder until its issue lands; it is hidden from help.
func newReleaseCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "release",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("release: not built yet")
		},
	}
}
