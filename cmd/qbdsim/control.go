package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/server"
)

// client returns the control client for --addr / $QBDSIM_ADDR, with
// --token / $QBDSIM_TOKEN.
func client(cmd *cobra.Command) (*server.Client, error) {
	addr, _ := cmd.Flags().GetString("addr")
	c, err := server.NewClient(addr, nil)
	if err != nil {
		return nil, err
	}
	return c.WithToken(token(cmd)), nil
}

// token returns --token, or $QBDSIM_TOKEN (read here rather than as the
// flag's default, so that help never prints it).
func token(cmd *cobra.Command) string {
	if t, _ := cmd.Flags().GetString("token"); t != "" {
		return t
	}
	return os.Getenv("QBDSIM_TOKEN")
}

// controlCmd adds the --addr and --token flags every control command has,
// and the deprecated --json that every control command had (it changes
// nothing on those that print nothing).
func controlCmd(c *cobra.Command) *cobra.Command {
	c.Flags().String("addr", envOr("QBDSIM_ADDR", server.DefaultAddr), "address of the running qbdsim serve (env QBDSIM_ADDR)")
	c.Flags().String("token", "", "the token qbdsim serve was given with --token (env QBDSIM_TOKEN)")
	var ignored cliout.Format
	cliout.AddJSONAlias(c, &ignored)
	return c
}

// showCmd is a control command that shows something: it has --format,
// and --json is its deprecated alias.
func showCmd(c *cobra.Command) *cobra.Command {
	c.Flags().String("addr", envOr("QBDSIM_ADDR", server.DefaultAddr), "address of the running qbdsim serve (env QBDSIM_ADDR)")
	cliout.AddJSONAlias(c, cliout.AddFormat(c, cliout.Text))
	return c
}

// format is the --format of a showCmd.
func format(cmd *cobra.Command) cliout.Format {
	return cliout.Format(cmd.Flags().Lookup("format").Value.String())
}

// printState prints QuickBooks' state in --format.
func printState(cmd *cobra.Command, st qbdsim.State) error {
	return cliout.Show(cmd.OutOrStdout(), format(cmd), st, func(w io.Writer) error { return printStateText(w, st) })
}

// printStateText prints QuickBooks' state in words.
func printStateText(w io.Writer, st qbdsim.State) error {
	switch {
	case !st.Running:
		fmt.Fprintln(w, "QuickBooks: closed")
	case st.Unattended:
		fmt.Fprintln(w, "QuickBooks: running in the background (automatic login)")
	default:
		fmt.Fprintln(w, "QuickBooks: running")
	}
	if st.Initializing {
		fmt.Fprintln(w, "  still starting (0x80040424)")
	}
	if st.ClockShifted {
		fmt.Fprintf(w, "  clock set to %s (qbdsim clock reset to undo)\n", st.Clock.Format(time.RFC3339))
	}
	if st.CannotStart {
		fmt.Fprintln(w, "  cannot start (0x80040408)")
	}
	if f := st.CompanyFile; f != nil {
		fmt.Fprintf(w, "Company file: %s (%s), %s-user mode, logged in as %s\n", f.Name, f.CompanyName, f.Mode, f.User)
	} else if st.Running {
		fmt.Fprintln(w, "Company file: none open")
	}
	if st.ModalDialog != "" {
		fmt.Fprintf(w, "Modal dialog: %s\n", st.ModalDialog)
	}
	fmt.Fprintf(w, "Dialog policy: %s\n", orDefault(string(st.Policy.Mode), "ask"))
	if len(st.Dialogs) > 0 {
		fmt.Fprintf(w, "Pending dialogs: %d (qbdsim dialogs)\n", len(st.Dialogs))
	}
	for _, s := range st.Sessions {
		auto := ""
		if s.Unattended {
			auto = ", automatic login"
		}
		fmt.Fprintf(w, "Session: %s on %s as %s (%s%s)\n", s.AppName, filepath.Base(s.Path), s.User, s.Mode, auto)
	}
	for _, f := range st.Faults {
		fmt.Fprintf(w, "Fault %s: %s\n", f.ID, describeFault(f))
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func newStatusCmd() *cobra.Command {
	return showCmd(&cobra.Command{
		Use:   "status",
		Short: "Show QuickBooks' state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			st, err := c.State(cmd.Context())
			if err != nil {
				return err
			}
			return printState(cmd, st)
		},
	})
}

func newQBCmd() *cobra.Command {
	qb := &cobra.Command{Use: "qb start|stop", Short: "Start or close QuickBooks"}
	for _, action := range []string{"start", "stop"} {
		qb.AddCommand(showCmd(&cobra.Command{
			Use:   action,
			Short: map[string]string{"start": "Start QuickBooks (no company file open)", "stop": "Close QuickBooks and its company file"}[action],
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				c, err := client(cmd)
				if err != nil {
					return err
				}
				var st qbdsim.State
				if action == "start" {
					st, err = c.StartQuickBooks(cmd.Context())
				} else {
					st, err = c.StopQuickBooks(cmd.Context())
				}
				if err != nil {
					return err
				}
				return printState(cmd, st)
			},
		}))
	}
	return qb
}

func newOpenCmd() *cobra.Command {
	var mode, user string
	cmd := showCmd(&cobra.Command{
		Use:   "open FILE [--mode single|multi] [--user NAME]",
		Short: "Open a company file in QuickBooks, as a user does",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := qbd.ParseFileMode(mode); err != nil {
				return err
			}
			c, err := client(cmd)
			if err != nil {
				return err
			}
			st, err := c.OpenFile(cmd.Context(), server.OpenRequest{File: args[0], Mode: mode, User: user})
			if err != nil {
				return err
			}
			return printState(cmd, st)
		},
	})
	cmd.Flags().StringVar(&mode, "mode", "single", "file mode: single or multi")
	cmd.Flags().StringVar(&user, "user", "Admin", "QuickBooks user to log in as")
	return cmd
}

func newCloseFileCmd() *cobra.Command {
	return showCmd(&cobra.Command{
		Use:   "close-file",
		Short: "Close the open company file (File > Close Company)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			st, err := c.CloseFile(cmd.Context())
			if err != nil {
				return err
			}
			return printState(cmd, st)
		},
	})
}

func newDialogsCmd() *cobra.Command {
	return showCmd(&cobra.Command{
		Use:   "dialogs",
		Short: "List the authorization dialogs waiting for the administrator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			ds, err := c.Dialogs(cmd.Context())
			if err != nil {
				return err
			}
			return cliout.List(cmd.OutOrStdout(), format(cmd), ds, func(w io.Writer) error { return printDialogs(w, ds) })
		},
	})
}

func printDialogs(w io.Writer, ds []qbdsim.Dialog) error {
	if len(ds) == 0 {
		fmt.Fprintln(w, "No dialog is waiting.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWINDOW\tSTAGE\tAPPLICATION\tCERTIFICATE\tCOMPANY FILE")
	for _, d := range ds {
		cert := "none"
		if d.Certificate != nil {
			cert = d.Certificate.CommonName + " " + d.Certificate.Thumbprint
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Title, d.Stage, d.AppName, cert, filepath.Base(d.CompanyFile))
	}
	return tw.Flush()
}

func newAnswerCmd() *cobra.Command {
	var (
		choice, loginAs  string
		personal, noDone bool
	)
	cmd := showCmd(&cobra.Command{
		Use:   "answer DIALOG_ID --choice always|whenever-open|prompt-each-time|no [--login-as USER] [--personal-data]",
		Short: "Answer an authorization dialog (then press Done on the Access Confirmation)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ch, err := qbdsim.ParseChoice(choice)
			if err != nil {
				return err
			}
			c, err := client(cmd)
			if err != nil {
				return err
			}
			d, err := c.Answer(cmd.Context(), args[0], server.AnswerRequest{Answer: qbdsim.Answer{Choice: ch, LoginAs: loginAs, PersonalData: personal}, Done: !noDone})
			if err != nil {
				return err
			}
			return cliout.Show(cmd.OutOrStdout(), format(cmd), d, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s: %q on %s — %s (%s)\n", d.ID, d.AppName, filepath.Base(d.CompanyFile), ch.Label(), d.Stage)
				return err
			})
		},
	})
	cmd.Flags().StringVar(&choice, "choice", "", "always, whenever-open, prompt-each-time or no")
	cmd.MarkFlagRequired("choice")
	cmd.Flags().StringVar(&loginAs, "login-as", "", "user an \"always\" application logs in as (needed when the file has several users)")
	cmd.Flags().BoolVar(&personal, "personal-data", false, "allow access to personal data")
	cmd.Flags().BoolVar(&noDone, "no-done", false, "stop at the Access Confirmation window instead of pressing Done")
	return cmd
}

func newAppsCmd() *cobra.Command {
	apps := showCmd(&cobra.Command{
		Use:   "apps FILE",
		Short: "List a company file's Integrated Applications (subcommands: remove, set, prefs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			ia, err := c.Apps(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return cliout.Show(cmd.OutOrStdout(), format(cmd), ia, func(w io.Writer) error { return printApps(w, ia, true) })
		},
	})
	apps.AddCommand(controlCmd(&cobra.Command{
		Use:   "remove FILE KEY",
		Short: "Remove an application from the list (the Remove button)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			return c.RemoveApp(cmd.Context(), args[0], args[1])
		},
	}))
	var allow, prompt, auto, personal bool
	var loginAs string
	set := showCmd(&cobra.Command{
		Use:   "set FILE KEY [--allow-access=BOOL] [--prompt-each-time=BOOL] [--auto-login=BOOL] [--login-as USER] [--personal-data=BOOL]",
		Short: "Change an application's properties (the Properties window)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch qbdsim.AppChange
			f := cmd.Flags()
			if f.Changed("allow-access") {
				ch.AllowAccess = &allow
			}
			if f.Changed("prompt-each-time") {
				ch.PromptEachTime = &prompt
			}
			if f.Changed("auto-login") {
				ch.AutoLogin = &auto
			}
			if f.Changed("login-as") {
				ch.LoginAs = &loginAs
			}
			if f.Changed("personal-data") {
				ch.PersonalData = &personal
			}
			c, err := client(cmd)
			if err != nil {
				return err
			}
			e, err := c.SetApp(cmd.Context(), args[0], args[1], ch)
			if err != nil {
				return err
			}
			return cliout.Show(cmd.OutOrStdout(), format(cmd), e, func(w io.Writer) error {
				return printApps(w, &qbdsim.IntegratedApps{Apps: []qbdsim.AppEntry{e}}, false)
			})
		},
	})
	set.Flags().BoolVar(&allow, "allow-access", true, "the Allow Access checkmark")
	set.Flags().BoolVar(&prompt, "prompt-each-time", false, "prompt before allowing access")
	set.Flags().BoolVar(&auto, "auto-login", false, "allow the application to log in automatically")
	set.Flags().StringVar(&loginAs, "login-as", "", "user for automatic login")
	set.Flags().BoolVar(&personal, "personal-data", false, "allow access to personal data")
	apps.AddCommand(set)
	var none, notify bool
	prefs := showCmd(&cobra.Command{
		Use:   "prefs FILE [--dont-allow-any=BOOL] [--notify-expired=BOOL]",
		Short: "Change the company-wide Integrated Applications checkboxes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p qbdsim.CompanyPrefs
			if cmd.Flags().Changed("dont-allow-any") {
				p.DontAllowAny = &none
			}
			if cmd.Flags().Changed("notify-expired") {
				p.NotifyExpired = &notify
			}
			c, err := client(cmd)
			if err != nil {
				return err
			}
			ia, err := c.SetCompanyPrefs(cmd.Context(), args[0], p)
			if err != nil {
				return err
			}
			return cliout.Show(cmd.OutOrStdout(), format(cmd), ia, func(w io.Writer) error { return printApps(w, ia, true) })
		},
	})
	prefs.Flags().BoolVar(&none, "dont-allow-any", false, "Don't allow any applications to access this company file")
	prefs.Flags().BoolVar(&notify, "notify-expired", true, "Notify the user before running any application whose certificate has expired")
	apps.AddCommand(prefs)
	return apps
}

// printApps prints Integrated Applications as a table, after the
// company-wide preferences when prefs.
func printApps(w io.Writer, ia *qbdsim.IntegratedApps, prefs bool) error {
	if prefs {
		fmt.Fprintf(w, "Don't allow any applications: %v\nNotify before running applications with expired certificates: %v\n", ia.DontAllowAny, ia.NotifyExpired)
	}
	if len(ia.Apps) == 0 {
		fmt.Fprintln(w, "No application has requested access.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tALLOW\tAPPLICATION\tCERTIFICATE\tACCESS")
	for _, e := range ia.Apps {
		cert := "none"
		if e.Certificate != nil {
			cert = e.Certificate.CommonName + " " + e.Certificate.Thumbprint
		}
		access := "whenever open"
		switch {
		case e.AutoLogin:
			access = "automatic login as " + e.LoginAs
		case e.PromptEachTime:
			access = "prompt each time"
		}
		if e.PersonalData {
			access += ", personal data"
		}
		allow := " "
		if e.AllowAccess {
			allow = "✓"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Key, allow, e.Name, cert, access)
	}
	return tw.Flush()
}

func newExecCmd() *cobra.Command {
	var company, dir string
	cmd := controlCmd(&cobra.Command{
		Use:   "exec --company FILE REQUEST.xml",
		Short: "Run one qbXML request file as an already authorised test application and print the response",
		Long: "Run one qbXML request file as an already authorised test application and print the response.\n" +
			"When --company is the path of an existing company file and no server address is given\n" +
			"(neither --addr nor $QBDSIM_ADDR), the request runs in this process on that file (no server\n" +
			"needed); so does --dir DIR with a company file of DIR. With --addr it goes to the running\n" +
			"`qbdsim serve`, which knows the file by its name in its directory. REQUEST.xml may be - for\n" +
			"standard input.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req []byte
			var err error
			if args[0] == "-" {
				req, err = io.ReadAll(cmd.InOrStdin())
			} else {
				req, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			var resp []byte
			addrGiven := cmd.Flags().Changed("addr") || os.Getenv("QBDSIM_ADDR") != ""
			if st, serr := os.Stat(company); dir == "" && !addrGiven && serr == nil && st.Mode().IsRegular() {
				dir, company = filepath.Dir(company), filepath.Base(company)
			}
			if dir != "" {
				resp, err = execLocal(cmd.Context(), dir, company, req)
			} else {
				var c *server.Client
				if c, err = client(cmd); err == nil {
					resp, err = c.Exec(cmd.Context(), company, req)
				}
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(resp)
			return err
		},
	})
	cmd.Flags().StringVar(&company, "company", "", "company file: its path (runs in-process), or its name in the server's or --dir's directory; required")
	cmd.MarkFlagRequired("company")
	cmd.Flags().StringVar(&dir, "dir", "", "run in-process on this directory of company files instead of a running server")
	return cmd
}

func execLocal(ctx context.Context, dir, company string, req []byte) ([]byte, error) {
	sim, err := qbdsim.New(qbdsim.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	return sim.Exec(ctx, company, req)
}

func newClockCmd() *cobra.Command {
	clock := &cobra.Command{Use: "clock set TIME|reset", Short: "Move the simulator's clock: certificates expire when it passes them"}
	set := func(cmd *cobra.Command, t time.Time) error {
		c, err := client(cmd)
		if err != nil {
			return err
		}
		st, err := c.SetClock(cmd.Context(), t)
		if err != nil {
			return err
		}
		return cliout.Show(cmd.OutOrStdout(), format(cmd), st, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "clock: %s\n", st.Clock.Format(time.RFC3339))
			return err
		})
	}
	clock.AddCommand(showCmd(&cobra.Command{
		Use:   "set TIME",
		Short: "Set the clock to TIME (RFC 3339, or a date YYYY-MM-DD); it runs on from there",
		Long: "Set the simulated computer's clock. A program whose signer certificate the clock has\n" +
			"passed is expired: QuickBooks shows its Expired Certificate window (0x8004041E for an\n" +
			"automatic login) when the company file's preference \"Notify the user before running any\n" +
			"application whose certificate has expired\" is on (see `qbdsim apps prefs`).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := time.Parse(time.RFC3339, args[0])
			if err != nil {
				if t, err = time.Parse(time.DateOnly, args[0]); err != nil {
					return fmt.Errorf("clock set: %q is not a time: want RFC 3339 like 2026-08-17T09:00:00Z or a date like 2026-08-17", args[0])
				}
			}
			return set(cmd, t)
		},
	}), showCmd(&cobra.Command{
		Use:   "reset",
		Short: "Set the clock back to the real time",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return set(cmd, time.Time{}) },
	}))
	return clock
}

func newModalCmd() *cobra.Command {
	modal := &cobra.Command{Use: "modal show TITLE|dismiss", Short: "Show or close a modal dialog in QuickBooks"}
	modal.AddCommand(controlCmd(&cobra.Command{
		Use:   "show TITLE",
		Short: "Show a modal dialog: applications get 0x80040414 until it closes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			return c.ShowModal(cmd.Context(), args[0])
		},
	}), controlCmd(&cobra.Command{
		Use:   "dismiss",
		Short: "Close the modal dialog",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			return c.DismissModal(cmd.Context())
		},
	}))
	return modal
}

func describeFault(f qbdsim.Fault) string {
	var parts []string
	if f.Delay > 0 {
		parts = append(parts, "delay "+f.Delay.String())
	}
	if f.CloseQuickBooks {
		parts = append(parts, "close QuickBooks")
	}
	if f.ModalDialog != "" {
		parts = append(parts, fmt.Sprintf("modal dialog %q", f.ModalDialog))
	}
	if f.HRESULT != 0 {
		parts = append(parts, "fail with "+qbd.FormatHRESULT(f.HRESULT))
	}
	times := "once"
	switch {
	case f.Times < 0:
		times = "every time"
	case f.Times > 1:
		times = fmt.Sprintf("%d times", f.Times)
	}
	return fmt.Sprintf("%s on %s after %d call(s), %s (fired %d)", strings.Join(parts, ", "), orDefault(f.Method, "any call"), f.After, times, f.Fired)
}

func newFaultCmd() *cobra.Command {
	fault := &cobra.Command{Use: "fault add|list|clear", Short: "Inject faults: HRESULTs, modal dialogs, QuickBooks closing, slow responses"}
	var f qbdsim.Fault
	var hr string
	add := showCmd(&cobra.Command{
		Use:   "add [--method M] [--after N] [--times N] [--hresult 0x8004...] [--delay D] [--modal TITLE] [--close-qb]",
		Short: "Add a fault",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if hr != "" {
				v, err := qbd.ParseHRESULT(hr)
				if err != nil {
					return err
				}
				f.HRESULT = v
			}
			if err := f.Validate(); err != nil {
				return err
			}
			c, err := client(cmd)
			if err != nil {
				return err
			}
			got, err := c.InjectFault(cmd.Context(), f)
			if err != nil {
				return err
			}
			return cliout.Show(cmd.OutOrStdout(), format(cmd), got, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "fault %s: %s\n", got.ID, describeFault(got))
				return err
			})
		},
	})
	add.Flags().StringVar(&f.Method, "method", "", "OpenConnection, BeginSession, ProcessRequest, EndSession or CloseConnection (default any)")
	add.Flags().IntVar(&f.After, "after", 0, "let this many matching calls through first (e.g. pages of an iterator)")
	add.Flags().IntVar(&f.Times, "times", 1, "how many times it fires; -1 for ever")
	add.Flags().StringVar(&hr, "hresult", "", "fail the call with this HRESULT, e.g. 0x80040414")
	add.Flags().DurationVar(&f.Delay, "delay", 0, "slow response: wait this long first")
	add.Flags().StringVar(&f.ModalDialog, "modal", "", "show a modal dialog with this title")
	add.Flags().BoolVar(&f.CloseQuickBooks, "close-qb", false, "close QuickBooks (e.g. in the middle of an iterator)")
	fault.AddCommand(add, showCmd(&cobra.Command{
		Use:   "list",
		Short: "List the faults",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			fs, err := c.Faults(cmd.Context())
			if err != nil {
				return err
			}
			return cliout.List(cmd.OutOrStdout(), format(cmd), fs, func(w io.Writer) error {
				if len(fs) == 0 {
					fmt.Fprintln(w, "No fault.")
				}
				for _, f := range fs {
					fmt.Fprintf(w, "%s: %s\n", f.ID, describeFault(f))
				}
				return nil
			})
		},
	}), controlCmd(&cobra.Command{
		Use:   "clear",
		Short: "Remove every fault",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			return c.ClearFaults(cmd.Context())
		},
	}))
	return fault
}

func newPolicyCmd() *cobra.Command {
	var loginAs string
	var personal bool
	cmd := controlCmd(&cobra.Command{
		Use:   "policy ask|always|whenever-open|prompt-each-time|deny",
		Short: "Answer authorization dialogs automatically (ask: wait for an answer)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := qbdsim.ParsePolicy(args[0])
			if err != nil {
				return err
			}
			p.LoginAs, p.PersonalData = loginAs, personal
			c, err := client(cmd)
			if err != nil {
				return err
			}
			return c.SetPolicy(cmd.Context(), p)
		},
	})
	cmd.Flags().StringVar(&loginAs, "login-as", "", "user for \"always\" (default Admin)")
	cmd.Flags().BoolVar(&personal, "personal-data", false, "allow personal data")
	return cmd
}

func newLatencyCmd() *cobra.Command {
	var l server.LatencyRequest
	cmd := controlCmd(&cobra.Command{
		Use:   "latency [--per-request D] [--per-record D]",
		Short: "Set the latency model (zero when omitted)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client(cmd)
			if err != nil {
				return err
			}
			return c.SetLatency(cmd.Context(), l)
		},
	})
	cmd.Flags().StringVar(&l.PerRequest, "per-request", "", "latency per request, e.g. 20ms")
	cmd.Flags().StringVar(&l.PerRecord, "per-record", "", "latency per record, e.g. 200us")
	return cmd
}
