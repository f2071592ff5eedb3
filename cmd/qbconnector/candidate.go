package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/pipe"
)

// candidateProcessor returns how the agent reaches QuickBooks as the
// candidate of a certificate handover: the candidate executable runs as a
// child process ("candidate-host") that serves its own QuickBooks driver
// on its standard input and output. QuickBooks identifies an application
// by the process that calls it, so only the candidate itself can ask for,
// and use, its authorization.
func candidateProcessor(st *connector.Store, stderr io.Writer) func(program string) (qbd.RequestProcessor, error) {
	return func(program string) (qbd.RequestProcessor, error) {
		return pipe.Start(program, []string{"candidate-host", "--data-dir", st.Dir}, stderr)
	}
}

// newCandidateHostCmd is the child side of candidateProcessor: it serves
// this executable's QuickBooks driver (the one the data folder's
// configuration names) on standard input and output until its input
// ends. People do not run it.
func newCandidateHostCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "candidate-host",
		Short:  "Serve this version's QuickBooks connection to the running connector during a certificate handover",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.store()
			if err != nil {
				return err
			}
			cfg, err := st.Load()
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding this executable: %w", err)
			}
			rp, err := newProcessorFor(cfg)()
			if err != nil {
				return err
			}
			if c, ok := rp.(io.Closer); ok {
				defer c.Close()
			}
			return pipe.Serve(cmd.Context(), rp, self, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}
