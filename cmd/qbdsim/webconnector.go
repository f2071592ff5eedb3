package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/webconnector"
)

// newWebConnectorCmd returns `qbdsim webconnector`: a simulated QuickBooks
// Web Connector that runs a .qwc file's updates against its web service.
func newWebConnectorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webconnector",
		Short: "Simulated QuickBooks Web Connector: run a .qwc application's updates",
	}
	cmd.AddCommand(newWCRunCmd(), newWCCheckCmd())
	return cmd
}

func readQWC(path string) (*webconnector.QWC, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return webconnector.ParseQWC(f)
}

func newWCCheckCmd() *cobra.Command {
	var qwcPath string
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "check --qwc FILE",
		Short: "Check a .qwc file as the Web Connector does when it is added",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := readQWC(qwcPath)
			if err != nil {
				return err
			}
			return cliout.Show(cmd.OutOrStdout(), *format, q, func(w io.Writer) error {
				every := "no Scheduler"
				if q.Every > 0 {
					every = "every " + q.Every.String()
				}
				_, err := fmt.Fprintf(w, "%s: %q (AppID %q) at %s, user %s, OwnerID %s, FileID %s, %s, %s\n",
					qwcPath, q.AppName, q.AppID, q.AppURL, q.UserName, q.OwnerID, q.FileID, q.QBType, every)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&qwcPath, "qwc", "", "the .qwc file (required)")
	format = cliout.AddFormat(cmd, cliout.Text)
	_ = cmd.MarkFlagRequired("qwc")
	return cmd
}

func newWCRunCmd() *cobra.Command {
	var (
		qwcPath, password, simAddr, dir, open, version string
		every                                          time.Duration
		once                                           bool
		log                                            *cliout.Log
	)
	cmd := &cobra.Command{
		Use:   "run --qwc FILE --password P [--every 1m | --once] [--qbdsim ADDR | --dir DIR --open FILE]",
		Short: "Run updates of a .qwc application exactly as the Web Connector does",
		Long: `Run the updates of the application a .qwc file describes against its web
service (AppURL), as Intuit's Web Connector does: serverVersion, clientVersion,
authenticate, QuickBooks' OpenConnection/BeginSession (connectionError on
failure), the FileID stamp, Host/Company/Preferences on the first
sendRequestXML, receiveResponseXML until 100, NoOp pauses, closeConnection.

QuickBooks is the simulator: a running "qbdsim serve" at --qbdsim (default
$QBDSIM_ADDR or 127.0.0.1:8765), or one in this process on --dir with --open
FILE opened (authorisation dialogs answered "Yes, always").

Updates repeat every --every (default: the .qwc's RunEveryNMinutes), or run
once with --once. Each update prints one JSON line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger := log.Logger(cmd.ErrOrStderr())
			q, err := readQWC(qwcPath)
			if err != nil {
				return err
			}
			if password == "" {
				password = os.Getenv("QBWC_PASSWORD")
			}
			if password == "" {
				return errors.New("QBWC1030: the password is not set; give --password or $QBWC_PASSWORD")
			}
			processor, closeSim, err := wcProcessor(simAddr, dir, open, logger)
			if err != nil {
				return err
			}
			defer closeSim()
			c, err := webconnector.New(webconnector.Config{QWC: q, Password: password, Processor: processor, Version: version, Logger: logger})
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			report := func(r *webconnector.Result) {
				out := struct {
					*webconnector.Result
					Err string `json:"error,omitempty"`
				}{Result: r}
				if r.Err != nil {
					out.Err = r.Err.Error()
				}
				_ = enc.Encode(out)
			}
			if once {
				res, err := c.Update(cmd.Context())
				if err != nil {
					return err
				}
				report(res)
				if res.Err != nil {
					return res.Err
				}
				return nil
			}
			err = c.Run(cmd.Context(), every, report)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&qwcPath, "qwc", "", "the application's .qwc file (required)")
	f.StringVar(&password, "password", "", "the application's password (default $QBWC_PASSWORD)")
	f.DurationVar(&every, "every", 0, "interval between updates (default: the .qwc's Scheduler)")
	f.BoolVar(&once, "once", false, "run one update and exit (non-zero when it failed)")
	f.StringVar(&simAddr, "qbdsim", "", "address of a running qbdsim serve (default $QBDSIM_ADDR or 127.0.0.1:8765)")
	f.StringVar(&dir, "dir", "", "run the simulator in this process on this company files directory")
	f.StringVar(&open, "open", "", "with --dir: the company file to open in QuickBooks")
	f.StringVar(&version, "version", "", "Web Connector version to report (default 2.3.0.215)")
	// warn by default: the JSON line per update on standard output is
	// the report; info would repeat every step of every update.
	log = cliout.AddLog(cmd, "warn")
	cliout.AddVerboseAlias(cmd, log)
	_ = cmd.MarkFlagRequired("qwc")
	return cmd
}

// wcProcessor returns the request processors the Web Connector uses: the
// qbdsim server's client, or an in-process simulator.
func wcProcessor(addr, dir, open string, logger *slog.Logger) (func() qbd.RequestProcessor, func(), error) {
	if dir != "" {
		if addr != "" {
			return nil, nil, errors.New("give --qbdsim or --dir, not both")
		}
		sim, err := qbdsim.New(qbdsim.Options{Dir: dir, Logger: logger, Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways}})
		if err != nil {
			return nil, nil, err
		}
		if open != "" {
			if !filepath.IsAbs(open) {
				open = filepath.Join(dir, open)
			}
			if err := sim.OpenFile(open, qbd.FileModeSingleUser, ""); err != nil {
				sim.Close()
				return nil, nil, fmt.Errorf("open %s in QuickBooks: %w", open, err)
			}
		}
		return func() qbd.RequestProcessor { return sim.NewProcessor() }, func() { sim.Close() }, nil
	}
	if open != "" {
		return nil, nil, errors.New("--open needs --dir (with --qbdsim, open the file with `qbdsim open`)")
	}
	if addr == "" {
		addr = os.Getenv("QBDSIM_ADDR")
	}
	if addr == "" {
		addr = "127.0.0.1:8765"
	}
	if _, err := simclient.BaseURL(addr); err != nil {
		return nil, nil, err
	}
	return func() qbd.RequestProcessor {
		c, _ := simclient.New(addr, simclient.Options{}) // the address was checked above
		return c
	}, func() {}, nil
}
