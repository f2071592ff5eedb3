// Command qbconnect is the operator's tool: it serves the platform, runs the
// all-in-one demo, administers organisations and releases, and works with
// qbXML documents.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/buildinfo"
	"github.com/qbconnect/qbconnect/internal/clidoc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "qbconnect:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "qbconnect",
		Short:         "Connect cloud applications to QuickBooks Desktop",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newQBXMLCmd(),
		newServeCmd(),
		newAdminCmd(),
		newReleaseCmd(),
		newDemoCmd(),
		newCompaniesCmd(),
		newSyncCmd(),
		newRecordsCmd(),
		buildinfo.Command("qbconnect"),
	)
	buildinfo.SetVersion(root)
	clidoc.Apply(root, examples)
	return root
}
