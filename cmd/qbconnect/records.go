package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newRecordsCmd is a placeholder until its issue lands; it is hidden from help.
func newRecordsCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "records",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("records: not built yet")
		},
	}
}
