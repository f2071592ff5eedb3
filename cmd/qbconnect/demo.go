package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/internal/demo"
	"github.com/qbconnect/qbconnect/internal/scenario"
)

// newDemoCmd returns `qbconnect demo`: everything in one process.
func newDemoCmd() *cobra.Command {
	var (
		cfg demo.Config
		log *cliout.Log
	)
	var names []string
	for _, s := range scenario.All() {
		names = append(names, s.Name)
	}
	names = append(names, demo.HandoverScenario)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the platform, a simulated QuickBooks and a signed connector in one process",
		Long: `Start the platform on embedded SQLite, the QuickBooks Desktop simulator with a
generated sample company, and a connector signed with a demo certificate that
the simulator trusts; link them (answering QuickBooks' dialog "Yes, always" as
its administrator), run the first sync, and print the API's address, a demo
API key with example curl commands, and the addresses of the connector's and
the simulator's web UIs. It keeps running until interrupted (Ctrl+C), also
after a scenario; --exit-after-sync makes it exit instead, after checking the
record counts. Its first line says which it will do.

--scenario plays one of the certificate-rotation scenarios step by step:
` + strings.Join(names, ", ") + `. "handover" plays the certificate handover through
the real release path: release 2 signed with a new certificate is installed
beside release 1, which keeps serving until QuickBooks approves release 2.
Without --exit-after-sync the demo keeps running after the scenario, until
Ctrl+C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !log.Off() {
				cfg.Logger = log.Logger(cmd.ErrOrStderr())
			}
			cfg.Out = cmd.OutOrStdout()
			if err := demo.Run(cmd.Context(), cfg); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Dir, "dir", "", "folder for the demo's database, company files and connector (default: a temporary folder, removed at the end)")
	f.BoolVar(&cfg.ExitAfterSync, "exit-after-sync", false, "print the record counts per data type after the first sync, check them against QuickBooks', and exit")
	f.StringVar(&cfg.Scenario, "scenario", "", "play a certificate-rotation scenario after the first sync (then keep running unless --exit-after-sync): "+strings.Join(names, ", "))
	f.Uint64Var(&cfg.Seed, "seed", 7, "seed of the sample company")
	f.IntVar(&cfg.Customers, "customers", 300, "customers in the sample company")
	f.IntVar(&cfg.Transactions, "transactions", 3000, "transactions in the sample company")
	// Off by default: the demo's own lines on standard output tell the
	// story; the parts' logs are for digging.
	log = cliout.AddLog(cmd, "off")
	return cmd
}
