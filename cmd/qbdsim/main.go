// Command qbdsim is the QuickBooks Desktop simulator: it keeps company files,
// QuickBooks' state and its Integrated Applications preferences, and serves a
// request processor to out-of-process connectors.
//
//	qbdsim serve --dir DIR [--addr 127.0.0.1:8765]
//	qbdsim status [--format text|json|jsonl] | qb start|stop | open FILE | close-file
//	qbdsim dialogs | answer ID --choice always|whenever-open|prompt-each-time|no
//	qbdsim apps FILE [remove KEY | set KEY ... | prefs ...]
//	qbdsim exec --company FILE REQUEST.xml    (in-process on an existing FILE; --addr for a server)
//	qbdsim modal show TITLE|dismiss | fault add|list|clear | policy MODE | latency
//	qbdsim company create ...
//	qbdsim webconnector run --qwc FILE --password P [--every 1m | --once]
//
// Control commands talk to a running `qbdsim serve` at --addr (or
// $QBDSIM_ADDR).
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

// runCLI runs qbdsim with args and returns its exit status: 0, 2 for a
// usage error (see cliout.Run), 1 for any other failure. Tests call it as
// main does.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cliout.Run(ctx, newRootCmd(), args, stdout, stderr)
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "qbdsim",
		Short:         "QuickBooks Desktop simulator",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCmd(),
		newStatusCmd(),
		newQBCmd(),
		newOpenCmd(),
		newCloseFileCmd(),
		newDialogsCmd(),
		newAnswerCmd(),
		newAppsCmd(),
		newExecCmd(),
		newModalCmd(),
		newClockCmd(),
		newFaultCmd(),
		newPolicyCmd(),
		newLatencyCmd(),
		newCompanyCmd(),
		newWebConnectorCmd(),
		buildinfo.Command("qbdsim"),
	)
	buildinfo.SetVersion(root)
	clidoc.Apply(root, examples)
	return root
}
