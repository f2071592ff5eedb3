package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
)

// The commands for operators who live in a terminal (companies, sync,
// records) talk to a running server's REST API with an API key.

// apiClient calls a qbconnect server's REST API.
type apiClient struct {
	base string
	key  string
	http *http.Client
}

// apiFlags adds --server and --api-key to cmd and returns a function that
// builds the client from them (and QBCONNECT_SERVER, QBCONNECT_API_KEY).
func apiFlags(cmd *cobra.Command) func() (*apiClient, error) {
	server := cmd.PersistentFlags().String("server", envOr("QBCONNECT_SERVER", "http://127.0.0.1:8080"), "server URL (env QBCONNECT_SERVER)")
	key := cmd.PersistentFlags().String("api-key", os.Getenv("QBCONNECT_API_KEY"), "API key, qbk_... (env QBCONNECT_API_KEY)")
	return func() (*apiClient, error) {
		if *key == "" {
			return nil, errors.New("an API key is required: pass --api-key or set QBCONNECT_API_KEY")
		}
		u, err := url.Parse(*server)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--server must be an http(s) URL such as http://127.0.0.1:8080, not %q", *server)
		}
		return &apiClient{base: strings.TrimRight(*server, "/"), key: *key, http: &http.Client{Timeout: 90 * time.Second}}, nil
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// apiError is the server's one error shape.
type apiError struct {
	Status      int
	Code        string `json:"code"`
	Message     string `json:"message"`
	UserMessage string `json:"userMessage"`
	Resolution  string `json:"resolution"`
	RequestID   string `json:"requestId"`
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
	if e.Resolution != "" {
		msg += ": " + e.Resolution
	}
	return msg
}

// call sends a request and decodes a JSON answer into out (when not nil).
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the server: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		eb.Error.Status = resp.StatusCode
		return &eb.Error
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
		}
	}
	return nil
}

// cliCompany is a company as `companies list` shows it.
type cliCompany struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	ExternalID string    `json:"externalId,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	Connection *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Health struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"health"`
	} `json:"connection,omitempty"`
}

// newCompaniesCmd returns `qbconnect companies`.
func newCompaniesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "companies", Short: "List the companies of the API key's organisation", Args: cobra.NoArgs}
	client := apiFlags(cmd)
	var format *cliout.Format
	list := &cobra.Command{
		Use:   "list",
		Short: "List companies with their connection's status and health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var all []*cliCompany
			cursor := ""
			for {
				var page struct {
					Data       []*cliCompany `json:"data"`
					NextCursor string        `json:"nextCursor"`
				}
				if err := c.call(ctx, "GET", "/v1/companies?limit=1000&cursor="+url.QueryEscape(cursor), nil, &page); err != nil {
					return err
				}
				all = append(all, page.Data...)
				if page.NextCursor == "" {
					break
				}
				cursor = page.NextCursor
			}
			for _, co := range all {
				var conns struct {
					Data []struct {
						ID     string `json:"id"`
						Status string `json:"status"`
						Health struct {
							Code    string `json:"code"`
							Message string `json:"message"`
						} `json:"health"`
					} `json:"data"`
				}
				if err := c.call(ctx, "GET", "/v1/companies/"+co.ID+"/connections", nil, &conns); err != nil {
					return err
				}
				for i := range conns.Data {
					if conns.Data[i].Status != "Unlinked" {
						co.Connection = &conns.Data[i]
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
