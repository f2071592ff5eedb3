package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/internal/cliout"
)

// The commands for operators who live in a terminal (companies, sync,
// records) talk to a running server's REST API with an API key.

// apiFlags adds --server and --api-key to cmd and returns a function that
// builds the client from them (and QBCONNECT_SERVER, QBCONNECT_API_KEY).
func apiFlags(cmd *cobra.Command) func() (*client.Client, error) {
	server := cmd.PersistentFlags().String("server", envOr("QBCONNECT_SERVER", "http://127.0.0.1:8080"), "server URL (env QBCONNECT_SERVER)")
	key := cmd.PersistentFlags().String("api-key", os.Getenv("QBCONNECT_API_KEY"), "API key, qbk_... (env QBCONNECT_API_KEY)")
	return func() (*client.Client, error) {
		if *key == "" {
			return nil, errors.New("an API key is required: pass --api-key or set QBCONNECT_API_KEY")
		}
		u, err := url.Parse(*server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--server must be an http(s) URL such as http://127.0.0.1:8080, not %q", *server)
		}
		c := client.New(*server, *key)
		c.HTTPClient = &http.Client{Timeout: 90 * time.Second}
		return c, nil
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// apiError words a failed API call for the terminal: the server's message
// with its status and code, and what to do.
func apiError(err error) error {
	var e *qbconnect.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	msg := fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
	if e.Status == 0 { // refused by the client before any request
		msg = fmt.Sprintf("%s (%s)", e.Message, e.Code)
	}
	if e.Resolution != "" {
		msg += ": " + e.Resolution
	}
	return errors.New(msg)
}

// cliCompany is a company as `companies list` shows it.
type cliCompany struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	ExternalID string         `json:"externalId,omitempty"`
	CreatedAt  time.Time      `json:"createdAt"`
	Connection *cliConnection `json:"connection,omitempty"`
}

// cliConnection is a company's linked connection as `companies list`
// shows it.
type cliConnection struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Health struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"health"`
}

// newCompaniesCmd returns `qbconnect companies`.
func newCompaniesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "companies", Short: "List the companies of the API key's organisation", Args: cobra.NoArgs}
	newClient := apiFlags(cmd)
	var format *cliout.Format
	list := &cobra.Command{
		Use:   "list",
		Short: "List companies with their connection's status and health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var all []*cliCompany
			params := client.ListParams{Limit: 1000}
			for {
				page, err := c.ListCompanies(ctx, params)
				if err != nil {
					return apiError(err)
				}
				for _, co := range page.Data {
					all = append(all, &cliCompany{ID: co.ID, Name: co.Name, ExternalID: co.ExternalID, CreatedAt: co.CreatedAt})
				}
				if page.NextCursor == nil || *page.NextCursor == "" {
					break
				}
				params.Cursor = *page.NextCursor
			}
			for _, co := range all {
				conns, err := c.ListConnections(ctx, co.ID)
				if err != nil {
					return apiError(err)
				}
				for _, cn := range conns {
					if cn.Status != qbconnect.StatusUnlinked {
						co.Connection = &cliConnection{ID: cn.ID, Status: string(cn.Status)}
						co.Connection.Health.Code, co.Connection.Health.Message = cn.Health.Code, cn.Health.Message
					}
				}
			}
			return cliout.List(cmd.OutOrStdout(), *format, all, func(out io.Writer) error {
				return printCompanies(out, all)
			})
		},
	}
	format = cliout.AddFormat(list, cliout.Text)
	cmd.AddCommand(list)
	return cmd
}

// printCompanies prints companies as a table.
func printCompanies(out io.Writer, all []*cliCompany) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEXTERNAL ID\tCONNECTION\tHEALTH")
	for _, co := range all {
		conn, health := "-", "-"
		if co.Connection != nil {
			conn = co.Connection.Status
			health = co.Connection.Health.Code
			if co.Connection.Health.Code != "ok" && co.Connection.Health.Message != "" {
				health += ": " + co.Connection.Health.Message
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", co.ID, co.Name, orDash(co.ExternalID), conn, health)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
