// Command qbconnector is the desktop connector that runs next to QuickBooks
// Desktop and carries work between the platform and QuickBooks: link a
// company file with a link code, run the agent (or install it as a Windows
// service), and show or change its state.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/clidoc"
	"github.com/qbconnect/qbconnect/internal/cliout"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/buildinfo"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
	"github.com/qbconnect/qbconnect/signing"
)

// version is set at build time: -ldflags "-X main.version=1.4.0".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runCLI(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// runCLI runs qbconnector with args and returns its exit status: 0, 2 for
// a usage error (see cliout.Run), connector.ExitRestartForUpdate when an
// update asks to be restarted, 1 for any other failure. Tests call it as
// main does.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := cliout.ExecuteReporting(ctx, newRootCmd(), args, stdout, stderr, printError)
	if errors.Is(err, connector.ErrRestartForUpdate) {
		return connector.ExitRestartForUpdate
	}
	return cliout.Code(err)
}

// printError tells the person at the computer what went wrong: a
// connector.Problem as what happened, what to do and the details; any other
// error on one line. The connector's errors start with "connector: " for
// logs; here the program's name says it already.
func printError(w io.Writer, err error) {
	var p *connector.Problem
	if !errors.As(err, &p) {
		fmt.Fprintln(w, "qbconnector:", strings.TrimPrefix(err.Error(), "connector: "))
		return
	}
	fmt.Fprintln(w, "qbconnector:", connector.ForCommandLine(p.What))
	if p.Do != "" {
		fmt.Fprintln(w, "What to do:", connector.ForCommandLine(p.Do))
	}
	var details []string
	if p.Code != "" {
		details = append(details, "state "+p.Code)
	}
	if p.Err != nil {
		details = append(details, strings.TrimPrefix(p.Err.Error(), "connector: "))
	}
	if len(details) > 0 {
		fmt.Fprintln(w, "Details:", strings.Join(details, "; "))
	}
}

// globals are the flags every command takes.
type globals struct {
	dataDir   string
	logLevel  string
	logFormat string
}

func (g *globals) store() (*connector.Store, error) {
	dir := g.dataDir
	if dir == "" {
		d, err := connector.DefaultDataDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &connector.Store{Dir: dir}, nil
}

func (g *globals) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", g.logFormat)
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "qbconnector",
		Short:         "The qbconnect connector for QuickBooks Desktop",
		Long:          "qbconnector connects the QuickBooks Desktop company files on this computer to the qbconnect platform.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.dataDir, "data-dir", "", "data folder (default: "+defaultDirHelp()+")")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(newLinkCmd(g), newRunCmd(g), newStatusCmd(g), newPauseCmd(g, true), newPauseCmd(g, false),
		newSyncCmd(g), newUnlinkCmd(g), newUICmd(g), newVersionCmd(), newServiceCmd(g), newTrayCmd(g), newCandidateHostCmd(g))
	root.Version = buildinfo.Read().String()
	root.SetVersionTemplate("qbconnector {{.Version}}\n")
	clidoc.Apply(root, examples)
	return root
}

func defaultDirHelp() string {
	if d, err := connector.DefaultDataDir(); err == nil {
		return d
	}
	return "$" + connector.DataDirEnv
}

// newProcessorFor returns the qbd driver of a configuration: the simulator
// when one is configured, QuickBooks' COM request processor otherwise.
func newProcessorFor(cfg *connector.Config) func() (qbd.RequestProcessor, error) {
	if cfg.QBDSim != "" {
		addr := cfg.QBDSim
		return func() (qbd.RequestProcessor, error) { return simclient.New(addr, simclient.Options{}) }
	}
	return comProcessor
}

// identity reads the connector's signature; with the publisher's pinned
// roots installed beside the program, its timestamp is judged too (a
// certificate handover needs to know whether the running version stays
// valid after its certificate expires).
func identity(ctx context.Context) connector.Identity {
	var v connector.ProgramVerifier
	if exe, err := os.Executable(); err == nil {
		if roots, err := connector.LoadRoots(exe); err == nil {
			v = &signing.Verifier{Roots: roots}
		}
	}
	return connector.LoadIdentity(ctx, version, "", v)
}

func newLinkCmd(g *globals) *cobra.Command {
	var (
		req        connector.LinkRequest
		qbdsim     string
		appName    string
		fileMode   string
		unattended bool
		timeout    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "link --platform URL --code CODE [--file PATH]",
		Short: "Link the company file open in QuickBooks (or --file) to a platform company",
		Long: `Link a QuickBooks company file to the platform company whose link code you
were given. The file is the one open in QuickBooks (or --file PATH). The first
time, QuickBooks asks its administrator to authorise the connector: answer
"Yes, always" in QuickBooks. The connector stamps the file with a private
identity so that a renamed or different file is recognised later. Link again
with another code to add another company file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			st, err := g.store()
			if err != nil {
				return err
			}
			if lc, err := connector.DialLocal(ctx, st); err == nil {
				lf, err := lc.Link(ctx, req)
				if err != nil {
					return err
				}
				printLinked(cmd.OutOrStdout(), lf)
				return nil
			}
			cfg, err := st.Load()
			if err != nil {
				return err
			}
			// A link that fails changes nothing: the flags are kept only
			// with the linked file (the owner ID and token made now stay).
			before := *cfg
			undo := func() {
				before.OwnerID, before.UIToken = cfg.OwnerID, cfg.UIToken
				st.Save(&before)
			}
			if cmd.Flags().Changed("qbdsim") {
				cfg.QBDSim = qbdsim
			}
			if cmd.Flags().Changed("app-name") {
				cfg.AppName = appName
			}
			if cmd.Flags().Changed("file-mode") {
				cfg.FileMode = fileMode
			}
			if cmd.Flags().Changed("unattended") {
				cfg.Unattended = unattended
			}
			if err := st.Save(cfg); err != nil { // creates the owner ID and token
				return err
			}
			logger, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			id := identity(ctx)
			qb, err := connector.NewQuickBooks(connector.QuickBooksOptionsFor(cfg, id, newProcessorFor(cfg), 2*time.Minute, logger))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Connecting to QuickBooks. If QuickBooks asks whether to allow qbconnect, answer \"Yes, always\".")
			l := &connector.Linker{Config: cfg, QuickBooks: qb, Identity: id,
				Gateway: func(platform, cred string) (gateway.Service, error) {
					return gatewayclient.New(platform, gatewayclient.Options{Credential: cred, UserAgent: "qbconnector/" + version})
				}}
			lf, err := l.Link(ctx, req)
			if err != nil {
				undo()
				return err
			}
			if err := st.Save(cfg); err != nil {
				return err
			}
			printLinked(cmd.OutOrStdout(), lf)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Platform, "platform", "", "the platform's address, such as https://platform.example.com")
	f.StringVar(&req.Code, "code", "", "the link code")
	f.StringVar(&req.File, "file", "", "the company file (default: the one open in QuickBooks)")
	f.StringVar(&qbdsim, "qbdsim", "", "use the QuickBooks simulator at this address instead of QuickBooks")
	f.StringVar(&appName, "app-name", connector.DefaultAppName, "the name QuickBooks shows for the connector")
	f.StringVar(&fileMode, "file-mode", "", "the file mode sessions ask for: single, multi, or empty for either")
	f.BoolVar(&unattended, "unattended", false, "ask QuickBooks to let the connector work while QuickBooks is closed")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for QuickBooks' administrator and the platform")
	cmd.MarkFlagRequired("code")
	return cmd
}

func printLinked(w io.Writer, lf *connector.LinkedFile) {
	fmt.Fprintf(w, "Linked %q (%s) as connection %s: %s.\n", lf.File.CompanyName, lf.File.Path, lf.ConnectionID, lf.Client())
}

// runFlags tune the agent; the defaults suit production.
type runFlags struct {
	uiAddr       string
	pollWait     time.Duration
	backoffMin   time.Duration
	backoffMax   time.Duration
	heartbeat    time.Duration
	probe        time.Duration
	idle         time.Duration
	beginTimeout time.Duration
	// approveTimeout bounds the new version's wait for QuickBooks'
	// authorization dialog during a certificate handover.
	approveTimeout time.Duration
	wrongFile      time.Duration
	printUIURL     bool
	// updateInterval and updateRestart tune self-update.
	updateInterval time.Duration
	updateRestart  string
}

func (rf *runFlags) register(f interface {
	StringVar(*string, string, string, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	BoolVar(*bool, string, bool, string)
}) {
	f.StringVar(&rf.uiAddr, "ui-addr", "", "local UI address on 127.0.0.1 (default: the configured one, else a random port); - disables it")
	f.DurationVar(&rf.pollWait, "poll-wait", gateway.MaxPollWait, "how long a poll waits for work")
	f.DurationVar(&rf.backoffMin, "backoff-min", 500*time.Millisecond, "first wait after a failed platform call")
	f.DurationVar(&rf.backoffMax, "backoff-max", 30*time.Second, "longest wait between failed platform calls")
	f.DurationVar(&rf.heartbeat, "heartbeat", 30*time.Second, "how often the state is reported when nothing changes")
	f.DurationVar(&rf.probe, "probe-interval", 15*time.Second, "how often a company file in a failed state is checked again")
	f.DurationVar(&rf.idle, "idle-session", 10*time.Second, "how long an unused QuickBooks session stays open")
	f.DurationVar(&rf.beginTimeout, "begin-timeout", 15*time.Second, "how long one attempt waits for QuickBooks' authorization dialog")
	f.DurationVar(&rf.approveTimeout, "approve-timeout", 2*time.Minute, "during a certificate handover, how long the new version waits for QuickBooks' authorization dialog in one question")
	f.DurationVar(&rf.wrongFile, "wrong-file-grace", connector.DefaultWrongFileGrace, "how long another company file open in QuickBooks shows as \"Waiting for QuickBooks\" before \"Action needed\"")
	f.BoolVar(&rf.printUIURL, "print-ui-url", false, "print the local UI's link (with its token) on standard output")
	f.DurationVar(&rf.updateInterval, "update-interval", time.Hour, "how often to ask the platform for a new release")
	f.StringVar(&rf.updateRestart, "update-restart", "spawn", "how a new release starts: spawn (start it, then exit) or manager (exit with code 75 and let the service manager, such as systemd with Restart=on-failure, start it)")
}

// restartMode reads --update-restart.
func (rf *runFlags) restartMode() (connector.RestartMode, error) {
	switch rf.updateRestart {
	case "spawn", "":
		return connector.RestartSpawn, nil
	case "manager":
		return connector.RestartByManager, nil
	}
	return "", fmt.Errorf("--update-restart %q: want spawn or manager", rf.updateRestart)
}

// runAgent runs the agent until ctx ends.
func runAgent(ctx context.Context, g *globals, rf *runFlags, out, errOut io.Writer) error {
	st, err := g.store()
	if err != nil {
		return err
	}
	// A second agent on the same data folder is refused before it touches
	// anything, naming the running one's PID; the agent holds the folder's
	// lock for its whole life (connector/lock.go).
	if err := st.CheckUnlocked(); err != nil {
		return err
	}
	cfg, err := st.Load()
	if err != nil {
		return err
	}
	if cfg.UIToken == "" || cfg.OwnerID == "" {
		if err := st.Save(cfg); err != nil {
			return err
		}
	}
	logger, err := g.logger(errOut)
	if err != nil {
		return err
	}
	restart, err := rf.restartMode()
	if err != nil {
		return err
	}
	id := identity(ctx)
	// Each run builds a fresh agent: after a rolled-back self-update the
	// agent runs again (connector/update.go).
	run := func(ctx context.Context) error {
		cfg, err := st.Load()
		if err != nil {
			return err
		}
		// A version installed by a self-update is confirmed once its
		// agent is up (its local UI listens), not merely started.
		started := connector.UpdateStarted(ctx)
		a, err := connector.NewAgent(ctx, connector.Options{
			Store: st, Config: cfg, NewProcessor: newProcessorFor(cfg), Identity: id, Logger: logger,
			NewCandidateProcessor: candidateProcessor(st, errOut), ApproveTimeout: rf.approveTimeout,
			PollWait: rf.pollWait, BackoffMin: rf.backoffMin, BackoffMax: rf.backoffMax, Heartbeat: rf.heartbeat,
			ProbeInterval: rf.probe, IdleSession: rf.idle, BeginTimeout: rf.beginTimeout, UIAddr: rf.uiAddr,
			WrongFileGrace: rf.wrongFile,
			OnUIReady: func(url string) {
				if rf.printUIURL {
					fmt.Fprintf(out, "Local UI: %s\n", url)
				}
				started()
			},
		})
		if err != nil {
			return err
		}
		if rf.uiAddr == "-" {
			started()
		}
		return a.Run(ctx)
	}
	return connector.RunUpdating(ctx, connector.SelfUpdate{Config: cfg, Version: version, Interval: rf.updateInterval,
		Restart: restart, Logger: logger, Store: st, Thumbprint: id.Thumbprint}, run)
}

func newRunCmd(g *globals) *cobra.Command {
	rf := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the connector: poll the platform and run its work in QuickBooks",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// A version started by a self-update inherits its predecessor's
			// standard output and error, and whoever read them may stop
			// when the predecessor exits. A log line written then must not
			// kill the agent (Go's default for a broken pipe on 1 or 2).
			signal.Ignore(syscall.SIGPIPE)
			return runAgent(cmd.Context(), g, rf, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	rf.register(cmd.Flags())
	return cmd
}

// status reads the running agent's state, or the configuration when it is
// not running. --format json and jsonl print the local API's status (or
// {"running": false, "files": [...]} when the agent is not running).
func newStatusCmd(g *globals) *cobra.Command {
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each company file's state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := g.store()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			lc, err := connector.DialLocal(ctx, st)
			if err != nil {
				cfg, err := st.Load()
				if err != nil {
					return err
				}
				files := cfg.Files
				if files == nil {
					files = []connector.LinkedFile{}
				}
				return cliout.Show(w, *format, map[string]any{"running": false, "files": files}, func(w io.Writer) error {
					fmt.Fprintln(w, "The connector is not running.")
					if !cfg.Linked() {
						fmt.Fprintln(w, "No company file is linked yet.")
						return nil
					}
					tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "CONNECTION\tCOMPANY\tFILE\tPAUSED")
					for _, f := range cfg.Files {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", f.ConnectionID, f.File.CompanyName, f.File.Path, f.Paused)
					}
					return tw.Flush()
				})
			}
			s, err := lc.Status(ctx)
			if err != nil {
				return err
			}
			return cliout.Show(w, *format, s, func(w io.Writer) error {
				// The first line is the whole truth in one sentence: the
				// platform's reachability and what QuickBooks says for the
				// files, never a condition of one part read as the whole.
				fmt.Fprintln(w, s.Summary())
				fmt.Fprintf(w, "Connector %s, signed by %s; platform %s\n", s.Identity.Version, s.Identity.Signer, s.Platform)
				for _, f := range s.Files {
					fmt.Fprintf(w, "\n%s (%s)\n  %s (connection %s)\n  state: %s (%s)\n", f.File.CompanyName, f.File.Path, f.Client(), f.ConnectionID, f.Shown.Message, f.Shown.Code)
					if f.Shown.Resolution != "" {
						fmt.Fprintf(w, "  what to do: %s\n", connector.ForCommandLine(f.Shown.Resolution))
					}
					if f.LastSync != nil {
						fmt.Fprintf(w, "  last successful sync: %s\n", f.LastSync.Local().Format(time.RFC1123))
					}
				}
				return nil
			})
		},
	}
	format = cliout.AddFormat(cmd, cliout.Text)
	cliout.AddJSONAlias(cmd, format)
	return cmd
}

// withFiles runs action on the chosen connections (all when id is "") of
// the running agent, or changes the configuration when it is not running.
func act(cmd *cobra.Command, g *globals, id, action, forArg string, offline func(c *connector.Config) error) error {
	ctx := cmd.Context()
	st, err := g.store()
	if err != nil {
		return err
	}
	lc, err := connector.DialLocal(ctx, st)
	if err != nil {
		if offline == nil {
			return err
		}
		// An agent without a local UI still holds the folder: changing its
		// configuration behind its back would be lost.
		if err := st.CheckUnlocked(); err != nil {
			return err
		}
		cfg, err := st.Load()
		if err != nil {
			return err
		}
		if err := offline(cfg); err != nil {
			return err
		}
		if err := st.Save(cfg); err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), "Done; the connector will apply it when it starts.")
		return nil
	}
	var msgs []string
	if id == "" {
		msgs, err = lc.ActAll(ctx, action, forArg)
	} else {
		var msg string
		if msg, err = lc.Act(ctx, id, action, forArg); err == nil {
			msgs = []string{msg}
		}
	}
	for _, m := range msgs {
		fmt.Fprintln(cmd.OutOrStdout(), m)
	}
	return err
}

func selectFiles(cfg *connector.Config, id string, fn func(f *connector.LinkedFile)) error {
	found := false
	for i := range cfg.Files {
		if id == "" || cfg.Files[i].ConnectionID == id {
			fn(&cfg.Files[i])
			found = true
		}
	}
	if !found {
		if id == "" {
			return errors.New("no company file is linked")
		}
		return fmt.Errorf("no linked company file %q", id)
	}
	return nil
}

func newPauseCmd(g *globals, pause bool) *cobra.Command {
	var id, forArg string
	use, short := "resume", "Resume syncing"
	if pause {
		use, short = "pause [--for 1h|8h|24h]", "Pause syncing (for a while, or until resumed)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := connector.ParsePauseDuration(forArg)
			if err != nil {
				return err
			}
			action := "resume"
			if pause {
				action = "pause"
			}
			return act(cmd, g, id, action, forArg, func(c *connector.Config) error {
				now := time.Now()
				var until *time.Time
				if pause && d > 0 {
					t := now.Add(d)
					until = &t
				}
				// A change the agent sends to the platform when it starts.
				return selectFiles(c, id, func(f *connector.LinkedFile) { f.SetPause(pause, until, now) })
			})
		},
	}
	cmd.Flags().StringVar(&id, "connection", "", "the connection to change (default: every linked file)")
	if pause {
		cmd.Flags().StringVar(&forArg, "for", "", "how long: 1h, 8h or 24h (default: until resumed)")
	}
	return cmd
}

func newSyncCmd(g *globals) *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Perform Sync: check QuickBooks now and ask the platform to sync",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return act(cmd, g, id, "sync", "", nil)
		},
	}
	cmd.Flags().StringVar(&id, "connection", "", "the connection to sync (default: every linked file)")
	return cmd
}

func newUnlinkCmd(g *globals) *cobra.Command {
	var id string
	var all bool
	cmd := &cobra.Command{
		Use:   "unlink (--connection ID | --all)",
		Short: "Unlink a company file from the platform",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (id == "") == !all {
				return errors.New("say which company file: --connection ID, or --all")
			}
			return act(cmd, g, id, "unlink", "", func(c *connector.Config) error {
				var keep []connector.LinkedFile
				var gone []string
				for _, f := range c.Files {
					if all || f.ConnectionID == id {
						gone = append(gone, f.ConnectionID)
						continue
					}
					keep = append(keep, f)
				}
				if len(gone) == 0 {
					return fmt.Errorf("no linked company file %q", id)
				}
				cl, err := gatewayclient.New(c.PlatformURL, gatewayclient.Options{Credential: c.Credential})
				if err != nil {
					return err
				}
				for _, g := range gone {
					if err := cl.Unlink(cmd.Context(), g); err != nil && gateway.CodeOf(err) != gateway.CodeNotFound {
						return connector.PlatformProblem(c.PlatformURL, "the unlinking of connection "+g, err)
					}
				}
				c.Files = keep
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&id, "connection", "", "the connection to unlink")
	cmd.Flags().BoolVar(&all, "all", false, "unlink every company file")
	return cmd
}

func newUICmd(g *globals) *cobra.Command {
	var open bool
	cmd := &cobra.Command{
		Use:   "ui [--open]",
		Short: "Print the link that opens the local UI, or open it in the browser",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.store()
			if err != nil {
				return err
			}
			// An administrator gets the full page; any other user of the
			// computer the users' page, without link and unlink
			// (connector/access.go).
			lc, err := connector.DialLocal(cmd.Context(), st)
			if err != nil {
				return err
			}
			link := lc.Access().UIURL
			if open {
				// The Start-menu shortcut runs this: no command line to read.
				return openBrowser(link)
			}
			fmt.Fprintln(cmd.OutOrStdout(), link)
			return nil
		},
	}
	cmd.Flags().BoolVar(&open, "open", false, "open the local UI in the default browser instead of printing its link")
	return cmd
}

func newVersionCmd() *cobra.Command {
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the connector's version and the certificate it is signed with",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id := identity(cmd.Context())
			v := connectorVersion{Program: "qbconnector", Version: id.Version, Signer: id.Signer,
				Thumbprint: strings.ToLower(id.Thumbprint), Build: buildinfo.Read()}
			return cliout.Show(cmd.OutOrStdout(), *format, v, func(out io.Writer) error {
				fmt.Fprintf(out, "qbconnector %s\nsigner: %s\n", v.Version, v.Signer)
				if v.Thumbprint != "" {
					fmt.Fprintf(out, "thumbprint: %s\n", v.Thumbprint)
				}
				_, err := fmt.Fprintf(out, "module: %s\ncommit: %s\ndate: %s\ngo: %s\n", v.Build.Module, v.Build.Commit, v.Build.Date, v.Build.Go)
				return err
			})
		},
	}
	format = cliout.AddFormat(cmd, cliout.Text)
	return cmd
}

// connectorVersion is what `qbconnector version --format json` prints: the
// version set at build time, the certificate the program is signed with,
// and the toolchain's record of the build.
type connectorVersion struct {
	Program    string         `json:"program"`
	Version    string         `json:"version"`
	Signer     string         `json:"signer"`
	Thumbprint string         `json:"thumbprint,omitempty"`
	Build      buildinfo.Info `json:"build"`
}
