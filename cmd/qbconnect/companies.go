package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newCompaniesCmd is a placeholder until its issue lands; it is hidden from help.
func newCompaniesCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "companies",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("companies: not built yet")
		},
	}
}
