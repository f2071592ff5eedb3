package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newAdminCmd is a placeholder until its issue lands; it is hidden from help.
func newAdminCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "admin",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("admin: not built yet")
		},
	}
}
