package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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

// controlCmd adds the --addr, --token and --json flags every control
// command has.
func controlCmd(c *cobra.Command) *cobra.Command {
	c.Flags().String("addr", envOr("QBDSIM_ADDR", server.DefaultAddr), "address of the running `qbdsim serve` (env QBDSIM_ADDR)")
	c.Flags().String("token", "", "the token `qbdsim serve --token` was given (env QBDSIM_TOKEN)")
	c.Flags().Bool("json", false, "print JSON")
	return c
}

func wantJSON(cmd *cobra.Command) bool {
	j, _ := cmd.Flags().GetBool("json")
	return j
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printState prints QuickBooks' state in words.
func printState(cmd *cobra.Command, st qbdsim.State) error {
	w := cmd.OutOrStdout()
	if wantJSON(cmd) {
		return printJSON(w, st)
	}
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
	return controlCmd(&cobra.Command{
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
		qb.AddCommand(controlCmd(&cobra.Command{
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
	cmd := controlCmd(&cobra.Command{
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
	return controlCmd(&cobra.Command{
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
	return controlCmd(&cobra.Command{
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
			w := cmd.OutOrStdout()
			if wantJSON(cmd) {
				return printJSON(w, ds)
			}
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
		},
	})
}

func newAnswerCmd() *cobra.Command {
	var (
		choice, loginAs  string
		personal, noDone bool
	)
	cmd := controlCmd(&cobra.Command{
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
			if wantJSON(cmd) {
				return printJSON(cmd.OutOrStdout(), d)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %q on %s — %s (%s)\n", d.ID, d.AppName, filepath.Base(d.CompanyFile), ch.Label(), d.Stage)
			return nil
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
	apps := controlCmd(&cobra.Command{
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
			return printApps(cmd, ia)
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
	set := controlCmd(&cobra.Command{
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
			return printJSON(cmd.OutOrStdout(), e)
		},
	})
	set.Flags().BoolVar(&allow, "allow-access", true, "the Allow Access checkmark")
	set.Flags().BoolVar(&prompt, "prompt-each-time", false, "prompt before allowing access")
	set.Flags().BoolVar(&auto, "auto-login", false, "allow the application to log in automatically")
	set.Flags().StringVar(&loginAs, "login-as", "", "user for automatic login")
	set.Flags().BoolVar(&personal, "personal-data", false, "allow access to personal data")
	apps.AddCommand(set)
	var none, notify bool
	prefs := controlCmd(&cobra.Command{
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
			return printApps(cmd, ia)
		},
	})
	prefs.Flags().BoolVar(&none, "dont-allow-any", false, "Don't allow any applications to access this company file")
	prefs.Flags().BoolVar(&notify, "notify-expired", true, "Notify the user before running any application whose certificate has expired")
	apps.AddCommand(prefs)
	return apps
}

func printApps(cmd *cobra.Command, ia *qbdsim.IntegratedApps) error {
	w := cmd.OutOrStdout()
	if wantJSON(cmd) {
		return printJSON(w, ia)
	}
	fmt.Fprintf(w, "Don't allow any applications: %v\nNotify before running applications with expired certificates: %v\n", ia.DontAllowAny, ia.NotifyExpired)
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
			"With --dir the request runs in this process on the company files of DIR (no server needed);\n" +
			"otherwise it goes to the running `qbdsim serve`. REQUEST.xml may be - for standard input.",
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
	cmd.Flags().StringVar(&company, "company", "", "company file (name in the directory, or path inside it); required")
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
	add := controlCmd(&cobra.Command{
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
			fmt.Fprintf(cmd.OutOrStdout(), "fault %s: %s\n", got.ID, describeFault(got))
			return nil
		},
	})
	add.Flags().StringVar(&f.Method, "method", "", "OpenConnection, BeginSession, ProcessRequest, EndSession or CloseConnection (default any)")
	add.Flags().IntVar(&f.After, "after", 0, "let this many matching calls through first (e.g. pages of an iterator)")
	add.Flags().IntVar(&f.Times, "times", 1, "how many times it fires; -1 for ever")
	add.Flags().StringVar(&hr, "hresult", "", "fail the call with this HRESULT, e.g. 0x80040414")
	add.Flags().DurationVar(&f.Delay, "delay", 0, "slow response: wait this long first")
	add.Flags().StringVar(&f.ModalDialog, "modal", "", "show a modal dialog with this title")
	add.Flags().BoolVar(&f.CloseQuickBooks, "close-qb", false, "close QuickBooks (e.g. in the middle of an iterator)")
	fault.AddCommand(add, controlCmd(&cobra.Command{
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
			if wantJSON(cmd) {
				return printJSON(cmd.OutOrStdout(), fs)
			}
			for _, f := range fs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", f.ID, describeFault(f))
			}
			return nil
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
