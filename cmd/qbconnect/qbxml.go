package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newQBXMLCmd is a placeholder until its issue lands; it is hidden from help.
func newQBXMLCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "qbxml",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("qbxml: not built yet")
		},
	}
}
