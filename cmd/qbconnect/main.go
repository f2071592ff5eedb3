// Command qbconnect is the operator's tool: it serves the platform, runs the
// all-in-one demo, administers organisations and releases, and works with
// qbXML documents.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/buildinfo"
	"github.com/qbconnect/qbconnect/internal/clidoc"
	"github.com/qbconnect/qbconnect/internal/cliout"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runCLI(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runCLI runs qbconnect with args and returns its exit status: 0, 2 for a
// usage error (see cliout.Run), 1 for any other failure. Tests call it as
// main does.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cliout.Run(ctx, newRootCmd(), args, stdout, stderr)
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
