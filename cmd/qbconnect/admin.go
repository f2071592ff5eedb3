package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/cliout"
	"github.com/qbconnect/qbconnect/store"
)

// newAdminCmd returns `qbconnect admin`: organisations and API keys, straight
// against the database (the same --db as serve; a running server need not
// be stopped).
func newAdminCmd() *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer organisations and API keys",
		Args:  cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&dsn, "db", defaultDB(), dbFlagHelp)

	// withOrgs opens the database, runs fn with the organisation service,
	// and closes the database.
	withOrgs := func(cmd *cobra.Command, fn func(ctx context.Context, orgs qbconnect.OrgService) error) error {
		ctx := cmd.Context()
		db, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			return fmt.Errorf("open database: %w", err)
		}
		defer db.Close()
		return fn(ctx, store.NewOrgStore(db))
	}

	org := &cobra.Command{Use: "org", Short: "Manage organisations", Args: cobra.NoArgs}
	orgList := &cobra.Command{
		Use:   "list",
		Short: "List organisations, oldest first",
		Args:  cobra.NoArgs,
	}
	orgFormat := cliout.AddFormat(orgList, cliout.Text)
	orgList.RunE = func(cmd *cobra.Command, _ []string) error {
		return withOrgs(cmd, func(ctx context.Context, orgs qbconnect.OrgService) error {
			list, err := orgs.ListOrgs(ctx)
			if err != nil {
				return err
			}
			return cliout.List(cmd.OutOrStdout(), *orgFormat, list, func(w io.Writer) error {
				tw := adminTable(w, "ID", "NAME", "CREATED")
				for _, o := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", o.ID, o.Name, o.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		})
	}
	org.AddCommand(&cobra.Command{
		Use:   "create NAME",
		Short: "Create an organisation and print its ID",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withOrgs(cmd, func(ctx context.Context, orgs qbconnect.OrgService) error {
				o, err := orgs.CreateOrg(ctx, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\n", o.ID, o.Name)
				return nil
			})
		},
	}, orgList)

	var orgRef, keyName string
	apikey := &cobra.Command{Use: "apikey", Short: "Manage API keys", Args: cobra.NoArgs}
	create := &cobra.Command{
		Use:   "create --org ORG [--name NAME]",
		Short: "Create an API key and print it (it is shown only this once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withOrgs(cmd, func(ctx context.Context, orgs qbconnect.OrgService) error {
				o, err := resolveOrg(ctx, orgs, orgRef)
				if err != nil {
					return err
				}
				k, secret, err := orgs.CreateAPIKey(ctx, o.ID, keyName)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				fmt.Fprintln(w, secret)
				fmt.Fprintf(cmd.ErrOrStderr(), "API key %s (%s) for %s %q. Store it now: it is not shown again.\n",
					k.ID, k.Prefix, o.ID, o.Name)
				return nil
			})
		},
	}
	create.Flags().StringVar(&orgRef, "org", "", "organisation ID or exact name (required)")
	create.Flags().StringVar(&keyName, "name", "", "a label for the key")
	_ = create.MarkFlagRequired("org")

	var listOrg string
	var keyFormat *cliout.Format
	list := &cobra.Command{
		Use:   "list --org ORG",
		Short: "List an organisation's API keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withOrgs(cmd, func(ctx context.Context, orgs qbconnect.OrgService) error {
				o, err := resolveOrg(ctx, orgs, listOrg)
				if err != nil {
					return err
				}
				keys, err := orgs.ListAPIKeys(ctx, o.ID)
				if err != nil {
					return err
				}
				return cliout.List(cmd.OutOrStdout(), *keyFormat, keys, func(w io.Writer) error {
					tw := adminTable(w, "ID", "PREFIX", "NAME", "CREATED", "LAST USED", "REVOKED")
					for _, k := range keys {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name,
							k.CreatedAt.UTC().Format(time.RFC3339), adminTime(k.LastUsed), adminTime(k.RevokedAt))
					}
					return tw.Flush()
				})
			})
		},
	}
	list.Flags().StringVar(&listOrg, "org", "", "organisation ID or exact name (required)")
	_ = list.MarkFlagRequired("org")
	keyFormat = cliout.AddFormat(list, cliout.Text)

	revoke := &cobra.Command{
		Use:   "revoke KEY_ID_OR_PREFIX",
		Short: "Revoke an API key at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withOrgs(cmd, func(ctx context.Context, orgs qbconnect.OrgService) error {
				if err := orgs.RevokeAPIKey(ctx, strings.TrimSpace(args[0])); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
				return nil
			})
		},
	}
	apikey.AddCommand(create, list, revoke)
	cmd.AddCommand(org, apikey)
	return cmd
}

// resolveOrg finds an organisation by ID, or else by exact name when exactly
// one has it.
func resolveOrg(ctx context.Context, orgs qbconnect.OrgService, ref string) (*qbconnect.Org, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "--org is required")
	}
	o, err := orgs.FindOrg(ctx, ref)
	if err == nil {
		return o, nil
	}
	if qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		return nil, err
	}
	all, err := orgs.ListOrgs(ctx)
	if err != nil {
		return nil, err
	}
	var found []*qbconnect.Org
	for _, o := range all {
		if o.Name == ref {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, qbconnect.Errorf(qbconnect.ENotFound, "no organisation has ID or name %q (see: qbconnect admin org list)", ref)
	default:
		return nil, qbconnect.Errorf(qbconnect.EConflict, "%d organisations are named %q; use the ID", len(found), ref)
	}
}

func adminTable(w io.Writer, headers ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	return tw
}

func adminTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
