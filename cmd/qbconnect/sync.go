package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/client"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"

	"github.com/qbconnect/qbconnect"
)

// newSyncCmd returns `qbconnect sync COMPANY`.
func newSyncCmd() *cobra.Command {
	var types []string
	var full, wait bool
	var timeout, every time.Duration
	cmd := &cobra.Command{
		Use:   "sync COMPANY",
		Short: "Sync a company now; with --wait, show a progress bar per data type until it ends",
		Args:  cobra.ExactArgs(1),
	}
	newClient := apiFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := newClient()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		companyID := args[0]
		started, err := c.StartSync(ctx, companyID, qbconnect.SyncRequest{DataTypes: types, Full: full})
		if err != nil {
			return apiError(err)
		}
		out := cmd.OutOrStdout()
		if !wait {
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			// REASON says why a full pass reads the whole type
			// (fullReason: first_sync, requested, deletions_out_of_reach, ...).
			fmt.Fprintln(tw, "DATA TYPE\tSTATUS\tMODE\tREASON")
			for _, st := range started {
				mode, reason := "", ""
				if st.Mode != nil {
					mode = string(*st.Mode)
				}
				if st.FullReason != nil {
					reason = string(*st.FullReason)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.DataType, st.Status, mode, reason)
			}
			return tw.Flush()
		}
		want := map[string]bool{}
		var order []string
		for _, st := range started {
			want[st.DataType] = true
			order = append(order, st.DataType)
		}
		deadline := time.Now().Add(timeout)
		failed := 0
		// One bar per data type, in the order the server plans them; a bar
		// runs until its type completes or fails.
		for _, typ := range order {
			bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(out), progressbar.OptionSetDescription(fmt.Sprintf("%-24s", typ)),
				progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(0),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(out) }))
			for {
				status, err := c.GetSyncStatus(ctx, companyID)
				if err != nil {
					return apiError(err)
				}
				var st *client.SyncState
				for i := range status {
					if status[i].DataType == typ {
						st = &status[i]
					}
				}
				if st == nil {
					return fmt.Errorf("the server reports no sync of %s", typ)
				}
				if total := st.Fetched + st.Remaining; st.Remaining > 0 && bar.GetMax() != total {
					bar.ChangeMax(total)
				}
				_ = bar.Set(st.Fetched)
				if st.Status == sdk.SyncStateStatusComplete {
					bar.Describe(fmt.Sprintf("%-24s done", typ))
					_ = bar.Finish()
					break
				}
				if st.Status == sdk.SyncStateStatusFailed {
					failed++
					msg := "failed"
					if st.Error != nil {
						msg = "failed: " + st.Error.Message
					}
					bar.Describe(fmt.Sprintf("%-24s %s", typ, msg))
					_ = bar.Finish()
					break
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("the sync of %s did not finish within %s (status %s); it goes on on the server", typ, timeout, st.Status)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(every):
				}
			}
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d data types failed (see qbconnect sync-status or the API for details)", failed, len(order))
		}
		fmt.Fprintf(out, "synced %s\n", strings.Join(order, ", "))
		return nil
	}
	cmd.Flags().StringSliceVar(&types, "types", nil, "data types to sync, comma-separated (default: every type)")
	cmd.Flags().BoolVar(&full, "full", false, "fetch everything, not only what changed")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the sync, showing a progress bar per data type")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Hour, "with --wait, give up waiting after this long")
	cmd.Flags().DurationVar(&every, "poll", time.Second, "with --wait, how often to ask the server for progress")
	return cmd
}
