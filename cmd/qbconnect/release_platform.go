package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/store"
)

// The release commands that work on the platform's database: publish,
// list, rollout, revoke, campaigns, contacts and certificates. Like admin, they
// open the database directly (a running server need not stop); email they
// cause is queued in the outbox and sent by the server.

// releasePlatform opens the store and the release service for one command.
type releasePlatform struct {
	dsn       string
	rootsFile string
}

func (p *releasePlatform) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.dsn, "db", defaultDB(), dbFlagHelp)
}

func (p *releasePlatform) with(cmd *cobra.Command, env releaseEnv, fn func(ctx context.Context, svc *release.Service, rs *store.ReleaseStore) error) error {
	ctx := cmd.Context()
	db, err := store.Open(ctx, p.dsn, store.Options{Now: env.now})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	v := &signing.Verifier{Now: env.now}
	if p.rootsFile != "" {
		if v.Roots, err = signing.LoadCertPool(p.rootsFile); err != nil {
			return fmt.Errorf("--roots: %w", err)
		}
	}
	rs := store.NewReleaseStore(db)
	svc, err := release.New(release.Config{Store: rs, Orgs: store.NewOrgStore(db), Mail: outboxOnly{rs}, Verifier: v, Now: env.now})
	if err != nil {
		return err
	}
	return fn(ctx, svc, rs)
}

// outboxOnly queues mail in the outbox table; the server's outbox sends
// what it finds there when it starts (and every resume).
type outboxOnly struct{ rs *store.ReleaseStore }

func (o outboxOnly) Queue(ctx context.Context, m *qbconnect.Mail) (*qbconnect.Mail, error) {
	stored, _, err := o.rs.AddMail(ctx, m)
	return stored, err
}

func releasePublishCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var in release.PublishInput
	var rolloutAt string
	cmd := &cobra.Command{
		Use:   "publish --version V [--channel stable] FILE...",
		Short: "Record a connector release: its files with SHA-256, signer, certificate expiry and rollout",
		Long: "Publish checks that every FILE is signed (Authenticode for .exe and .msi, FILE.p7s beside\n" +
			"any other), that the signatures are valid against --roots and all by one certificate, and\n" +
			"records the release. It is offered to nobody until `release rollout`. When its certificate\n" +
			"differs from the previous release's, a rotation campaign starts and every affected client\n" +
			"is emailed the date (--rollout-at), what its customers will see and its affected companies.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			in.Files = files
			if rolloutAt != "" {
				t, err := time.Parse(time.DateOnly, rolloutAt)
				if err != nil {
					return fmt.Errorf("--rollout-at %q: want YYYY-MM-DD", rolloutAt)
				}
				in.RolloutAt = t
			}
			return p.with(cmd, env, func(ctx context.Context, svc *release.Service, _ *store.ReleaseStore) error {
				rel, camp, err := svc.Publish(ctx, in)
				if err != nil {
					return fmt.Errorf("release publish: %w", err)
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Published %s (%s), signed by %s, thumbprint %s, certificate valid until %s\n",
					rel.Version, rel.Channel, rel.Signer.Subject, rel.Signer.Thumbprint, rel.Signer.NotAfter.Format(time.DateOnly))
				for _, a := range rel.Artifacts {
					fmt.Fprintf(w, "  %s  %-10s %-14s %9d  %s\n", a.SHA256, a.Kind, a.Platform, a.Size, a.Name)
				}
				if camp != nil {
					fmt.Fprintf(w, "The signer changed: rotation campaign %s, %d connection(s) affected, rollout announced for %s.\n",
						camp.ID, sumCounts(camp), camp.RolloutAt.Format(time.DateOnly))
					if len(camp.NotNotified) > 0 {
						fmt.Fprintf(cmd.ErrOrStderr(), "warning: campaign %s is NOT notified: no contact address for %s; set one with `qbconnect release contacts ORG EMAIL`\n",
							camp.ID, strings.Join(camp.NotNotified, ", "))
					}
				}
				warnUntimestamped(ctx, cmd.ErrOrStderr(), files, env.now)
				return nil
			})
		},
	}
	p.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&in.Version, "version", "", "release version (semantic: 1.4.0); required")
	f.StringVar(&in.Channel, "channel", release.DefaultChannel, "release channel")
	f.StringVar(&in.Notes, "notes", "", "release notes")
	f.StringVar(&p.rootsFile, "roots", "", "trusted root certificates, PEM (default: the system's roots)")
	f.StringVar(&rolloutAt, "rollout-at", "", "date announced to clients when the signer changes, YYYY-MM-DD (default: in 7 days)")
	f.DurationVar(&in.ReminderAfter, "remind-after", 0, "remind clients about connections still waiting this long after updating (0: no reminder)")
	cmd.MarkFlagRequired("version")
	return cmd
}

// warnUntimestamped tells the publisher which files carry no timestamp:
// they stop verifying when the certificate expires, so connectors refuse
// them from then on. Trust is publish's business; this only reads the
// signatures.
func warnUntimestamped(ctx context.Context, w io.Writer, files []string, now func() time.Time) {
	v := &signing.Verifier{Now: now, Roots: x509.NewCertPool()}
	for _, f := range files {
		if strings.HasSuffix(f, signing.DetachedSuffix) {
			continue
		}
		sig, err := v.VerifyFile(ctx, f)
		if err != nil || sig.Signer == nil || sig.Timestamped {
			continue
		}
		fmt.Fprintf(w, "warning: %s is not timestamped: its signature stops verifying when certificate %q expires on %s (sign with --timestamp-url)\n",
			f, sig.CommonName, sig.NotAfter.UTC().Format(time.DateOnly))
	}
}

func sumCounts(c *qbconnect.Campaign) int {
	n := 0
	for _, v := range c.Counts {
		n += v
	}
	return n
}

func releaseListCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var channel string
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List published releases, newest first, with their rollout",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return p.with(cmd, env, func(ctx context.Context, svc *release.Service, _ *store.ReleaseStore) error {
				list, err := svc.Releases(ctx, channel)
				if err != nil {
					return err
				}
				return cliout.List(cmd.OutOrStdout(), *format, list, func(w io.Writer) error {
					tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "VERSION\tCHANNEL\tROLLOUT\tSIGNER\tTHUMBPRINT\tCERT EXPIRES\tFILES\tCAMPAIGN\tREVOKED")
					for _, r := range list {
						revoked := "-"
						if r.Revoked != nil {
							revoked = fmt.Sprintf("%s: %s", r.Revoked.At.UTC().Format(time.DateOnly), r.Revoked.Reason)
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Version, r.Channel, rolloutText(r.Rollout), r.Signer.CommonName,
							r.Signer.Thumbprint, r.Signer.NotAfter.Format(time.DateOnly), len(r.Artifacts), r.CampaignID, revoked)
					}
					return tw.Flush()
				})
			})
		},
	}
	p.flags(cmd)
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel")
	format = formatFlags(cmd)
	return cmd
}

func rolloutText(ro qbconnect.Rollout) string {
	s := fmt.Sprintf("%s %d%%", ro.State, ro.Percent)
	if len(ro.Companies) > 0 {
		s += fmt.Sprintf(" +%d companies", len(ro.Companies))
	}
	return s
}

func releaseRolloutCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var version string
	var percent int
	var ch release.RolloutChange
	cmd := &cobra.Command{
		Use:   "rollout --version V [--percent N] [--companies ID,...] [--pause|--resume]",
		Short: "Stage a release's rollout: a percentage of connectors, a list of companies, pause or resume",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("percent") {
				ch.Percent = &percent
			}
			return p.with(cmd, env, func(ctx context.Context, svc *release.Service, _ *store.ReleaseStore) error {
				rel, err := svc.SetRollout(ctx, version, ch)
				if err != nil {
					return fmt.Errorf("release rollout: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", rel.Version, rolloutText(rel.Rollout))
				return nil
			})
		},
	}
	p.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "release version; required")
	f.IntVar(&percent, "percent", 0, "offer the release to this percentage of connectors (0-100)")
	f.StringSliceVar(&ch.Companies, "companies", nil, "also offer it to the connectors of these company IDs")
	f.StringSliceVar(&ch.Remove, "remove-companies", nil, "take these company IDs off the list")
	f.BoolVar(&ch.Pause, "pause", false, "stop offering the release")
	f.BoolVar(&ch.Resume, "resume", false, "offer the release again")
	cmd.MarkFlagRequired("version")
	return cmd
}

func releaseRevokeCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var version, reason string
	cmd := &cobra.Command{
		Use:   "revoke --version V --reason TEXT",
		Short: "Revoke a release: never offered again; connectors running it move to the next release",
		Long: "Revoke records why a release must no longer run. It is offered to no connector again,\n" +
			"whatever its rollout. Connectors running it hear so with their next state report and are\n" +
			"offered the newest newer release whose rollout is active (at any percentage). A connector\n" +
			"in a certificate handover lets every company file that has not switched to the new version\n" +
			"fall back: the new version is installed at once and QuickBooks asks to approve it, as for\n" +
			"any re-signed release (campaign state FellBack, release_revoked). A revocation cannot be\n" +
			"undone: publish a new version instead.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return p.with(cmd, env, func(ctx context.Context, svc *release.Service, _ *store.ReleaseStore) error {
				rel, err := svc.Revoke(ctx, version, reason)
				if err != nil {
					return fmt.Errorf("release revoke: %w", err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: revoked on %s: %s\n", rel.Version, rel.Revoked.At.UTC().Format(time.DateOnly), rel.Revoked.Reason)
				return nil
			})
		},
	}
	p.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "release version; required")
	f.StringVar(&reason, "reason", "", "why the release is revoked, for the operators and the connectors' users; required")
	cmd.MarkFlagRequired("version")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func releaseCampaignsCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var track, stragglers bool
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "campaigns [ID]",
		Short: "Show rotation campaigns: counts per state, and each connection with what its user must do",
		Long: "Show rotation campaigns: counts per state (Offered, CandidateInstalled, Approved, Switched,\n" +
			"Denied, WrongFile, FellBack, Left), when the old certificate expires, whether every client\n" +
			"was notified, and the connections whose user must act. --stragglers lists instead every\n" +
			"connection of an active campaign not yet approved, oldest first, with its organisation and\n" +
			"the days left before the old certificate expires.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return p.with(cmd, env, func(ctx context.Context, svc *release.Service, _ *store.ReleaseStore) error {
				if track {
					if _, err := svc.Track(ctx); err != nil {
						return err
					}
				}
				var list []*qbconnect.Campaign
				if stragglers {
					return printStragglers(ctx, cmd.OutOrStdout(), svc, args, *format, env.now())
				}
				if len(args) == 1 {
					c, err := svc.FindCampaign(ctx, "", args[0])
					if err != nil {
						return err
					}
					list = append(list, c)
				} else {
					var err error
					if list, err = svc.ListCampaigns(ctx, ""); err != nil {
						return err
					}
				}
				return cliout.List(cmd.OutOrStdout(), *format, list, func(w io.Writer) error { return printCampaigns(w, list) })
			})
		},
	}
	p.flags(cmd)
	format = formatFlags(cmd)
	cmd.Flags().BoolVar(&track, "track", true, "bring the states up to date first")
	cmd.Flags().BoolVar(&stragglers, "stragglers", false, "list the connections of active campaigns not yet approved")
	return cmd
}

// straggler is one connection not yet approved, for --stragglers.
type straggler struct {
	CampaignID string                        `json:"campaignId"`
	Version    string                        `json:"version"`
	OrgID      string                        `json:"orgId"`
	DaysLeft   *int                          `json:"daysLeft,omitempty"` // until the old certificate expires
	Connection *qbconnect.CampaignConnection `json:"connection"`
}

func printStragglers(ctx context.Context, w io.Writer, svc *release.Service, args []string, format cliout.Format, now time.Time) error {
	camps, err := svc.ListCampaigns(ctx, "")
	if err != nil {
		return err
	}
	list := []straggler{}
	for _, c := range camps {
		if c.Status != qbconnect.CampaignActive || (len(args) == 1 && c.ID != args[0]) {
			continue
		}
		full, err := svc.FindCampaign(ctx, "", c.ID)
		if err != nil {
			return err
		}
		for _, cc := range full.Connections {
			if cc.State.Done() {
				continue
			}
			st := straggler{CampaignID: c.ID, Version: c.Version, OrgID: cc.OrgID, Connection: cc}
			if exp := full.OldCertificateExpiresAt; exp != nil {
				d := int(exp.Sub(now).Hours() / 24)
				st.DaysLeft = &d
			}
			list = append(list, st)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].Connection.Since.Before(list[j].Connection.Since) })
	return cliout.List(w, format, list, func(w io.Writer) error { return printStragglerTable(w, list) })
}

func printStragglerTable(w io.Writer, list []straggler) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no stragglers: every connection of the active campaigns has approved the new version")
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CAMPAIGN\tORG\tCOMPANY\tSTATE\tSINCE\tDAYS LEFT\tCONNECTION")
	for _, st := range list {
		cc := st.Connection
		state := string(cc.State)
		if cc.SubState != "" {
			state += " (" + cc.SubState + ")"
		}
		days := "unknown"
		if st.DaysLeft != nil {
			days = fmt.Sprint(*st.DaysLeft)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.CampaignID, st.OrgID, cc.CompanyName, state,
			cc.Since.UTC().Format(time.DateOnly), days, cc.ConnectionID)
	}
	return tw.Flush()
}

func printCampaigns(w io.Writer, list []*qbconnect.Campaign) error {
	if len(list) == 0 {
		fmt.Fprintln(w, "no rotation campaign: one starts when a release is published with a new signer")
		return nil
	}
	for _, c := range list {
		fmt.Fprintf(w, "%s  %s  release %s, new signer %s, rollout %s\n", c.ID, c.Status, c.Version, c.NewSigner.Thumbprint, c.RolloutAt.Format(time.DateOnly))
		if c.OldCertificateExpiresAt != nil {
			fmt.Fprintf(w, "  old certificate expires %s: connections should be approved by then\n", c.OldCertificateExpiresAt.Format(time.DateOnly))
		}
		if len(c.NotNotified) > 0 {
			fmt.Fprintf(w, "  NOT NOTIFIED: no contact address for %s; set one with `qbconnect release contacts ORG EMAIL`\n", strings.Join(c.NotNotified, ", "))
		}
		var counts []string
		for _, st := range qbconnect.CampaignStates {
			counts = append(counts, fmt.Sprintf("%s %d", st, c.Counts[st]))
		}
		fmt.Fprintf(w, "  %s\n", strings.Join(counts, ", "))
		for _, cc := range c.Connections {
			state := string(cc.State)
			if cc.SubState != "" {
				state += " (" + cc.SubState + ")"
			}
			fmt.Fprintf(w, "  %-28s %-40s %s\n", cc.CompanyName, state, cc.ConnectionID)
			if cc.Instructions != nil && cc.NeedsAction {
				fmt.Fprintf(w, "      %s\n", cc.Instructions.Situation)
			}
		}
	}
	return nil
}

func releaseContactsCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "contacts ORG-ID [EMAIL...]",
		Short: "Set (or, without EMAIL, show) the addresses that receive an organisation's release notices",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return p.with(cmd, env, func(ctx context.Context, _ *release.Service, rs *store.ReleaseStore) error {
				if len(args) > 1 {
					for _, e := range args[1:] {
						if !strings.Contains(e, "@") {
							return fmt.Errorf("release contacts: %q is not an email address", e)
						}
					}
					if err := rs.SetContacts(ctx, args[0], args[1:]); err != nil {
						return err
					}
				}
				list, err := rs.Contacts(ctx, args[0])
				if err != nil {
					return err
				}
				if list == nil {
					list = []string{}
				}
				return cliout.List(cmd.OutOrStdout(), *format, list, func(w io.Writer) error {
					_, err := fmt.Fprintln(w, strings.Join(list, "\n"))
					return err
				})
			})
		},
	}
	p.flags(cmd)
	format = cliout.AddFormat(cmd, cliout.Text)
	return cmd
}

func releaseCertificatesCmd(env releaseEnv) *cobra.Command {
	var p releasePlatform
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:   "certificates",
		Short: "List the signing certificates in use: expiry, days left, releases, connectors, warnings given",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return p.with(cmd, env, func(ctx context.Context, svc *release.Service, _ *store.ReleaseStore) error {
				list, err := svc.Certificates(ctx)
				if err != nil {
					return err
				}
				return cliout.List(cmd.OutOrStdout(), *format, list, func(w io.Writer) error {
					tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "THUMBPRINT\tSUBJECT\tEXPIRES\tDAYS LEFT\tRELEASES\tCONNECTORS")
					for _, c := range list {
						exp, days := "unknown", "-"
						if c.DaysLeft != nil {
							exp, days = c.NotAfter.Format(time.DateOnly), fmt.Sprint(*c.DaysLeft)
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", c.Thumbprint, c.Subject, exp, days, strings.Join(c.Releases, ","), c.Connectors)
					}
					return tw.Flush()
				})
			})
		},
	}
	p.flags(cmd)
	format = formatFlags(cmd)
	return cmd
}

// formatFlags adds --format and, for the release commands that had it,
// the deprecated --json.
func formatFlags(cmd *cobra.Command) *cliout.Format {
	f := cliout.AddFormat(cmd, cliout.Text)
	cliout.AddJSONAlias(cmd, f)
	return f
}
