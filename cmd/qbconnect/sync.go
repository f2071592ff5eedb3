package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newSyncCmd is a placeholder until its issue lands; it is hidden from help.
func newSyncCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "sync",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("sync: not built yet")
		},
	}
}
