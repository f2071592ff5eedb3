package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/internal/cliout"
)

// newRecordsCmd returns `qbconnect records COMPANY TYPE`.
func newRecordsCmd() *cobra.Command {
	var limit int
	var filters []string
	cmd := &cobra.Command{
		Use:   "records COMPANY TYPE",
		Short: "Print a company's synced records of one data type, as JSON lines (the default), JSON or a table",
		Long: "Print a company's synced records of one data type (customers, invoices, ...), every page.\n" +
			"Filters are the API's query parameters: --filter customerId=80000001-1 --filter txnDateFrom=2026-01-01.",
		Args: cobra.ExactArgs(2),
	}
	newClient := apiFlags(cmd)
	// jsonl stays the default, as before --format was unified: records
	// are mostly piped to other tools.
	format := cliout.AddFormat(cmd, cliout.JSONL)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		text := *format == cliout.Text
		if limit < 0 {
			return fmt.Errorf("--limit must not be negative")
		}
		q := url.Values{}
		for _, f := range filters {
			k, v, ok := strings.Cut(f, "=")
			if !ok || k == "" || k == "limit" || k == "cursor" {
				return fmt.Errorf("--filter must be NAME=VALUE with an API filter such as name or txnDateFrom, not %q", f)
			}
			q.Set(k, v)
		}
		c, err := newClient()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		out := cmd.OutOrStdout()
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		p := cliout.NewPrinter(out, *format)
		if text {
			fmt.Fprintln(tw, "ID\tNAME\tDATE\tAMOUNT\tEDIT SEQUENCE")
		}
		printed := 0
		params := client.ListParams{}
		for {
			params.Limit = 1000
			if limit > 0 {
				params.Limit = min(params.Limit, limit-printed)
			}
			resp, err := c.ListRecords(ctx, args[0], args[1], params, q)
			if err != nil {
				return apiError(err)
			}
			for _, raw := range resp.Data {
				if !text {
					if err := p.Item(raw); err != nil {
						return err
					}
				} else {
					var r map[string]any
					if err := json.Unmarshal(raw, &r); err != nil {
						return err
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", field(r, "id"), field(r, "fullName", "name", "refNumber"),
						field(r, "txnDate"), field(r, "totalAmount", "amount", "balance"), field(r, "editSequence"))
				}
				printed++
			}
			if !resp.HasMore || resp.NextCursor == nil || (limit > 0 && printed >= limit) {
				break
			}
			params.Cursor = *resp.NextCursor
		}
		if text {
			return tw.Flush()
		}
		return p.Close()
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most this many records (0: all)")
	cmd.Flags().StringArrayVar(&filters, "filter", nil, "API filter NAME=VALUE, repeatable")
	return cmd
}

// field returns the first of keys that r has, as text, or "-".
func field(r map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := r[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
	}
	return "-"
}
