package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/platformtest"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/syncengine"
)

// runOperator runs `qbconnect args...` and returns its output and error.
func runOperator(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// operatorServer is a platform in process (internal/platformtest) with one linked company whose QuickBooks is a simulated
// company file, run by a goroutine that does the connector's work.
func operatorServer(tb testing.TB) (url, key, companyID string) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := platformtest.New(tb, platformtest.Options{Engine: syncengine.Config{MaxReturned: 4}})
	env, eng := p.Env, p.Engine
	org := env.Org(tb, "Lender")
	conn, _ := env.Linked(tb, org.ID, "")
	_, key, err := env.Orgs.CreateAPIKey(ctx, org.ID, "cli")
	if err != nil {
		tb.Fatal(err)
	}

	f, err := companyfile.Create(filepath.Join(tb.TempDir(), "books.qbw"), "Books", companyfile.Options{Now: env.Clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Generate(ctx, companyfile.GenerateOptions{Seed: 3, Customers: 9, Vendors: 5, Items: 3, Invoices: 6, Years: 1}); err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sess := companyfile.Session{Ticket: "cli", AppName: "qbconnect tests", Access: companyfile.AccessRights{IsPersonalDataAccessAllowed: true}}
		for ctx.Err() == nil {
			woken := env.Queue.Wait(ctx, conn.ConnectorID)
			l, err := env.Queue.Lease(ctx, conn.ConnectorID, time.Minute)
			if err != nil || l == nil {
				select {
				case <-woken:
				case <-ctx.Done():
				}
				continue
			}
			resp, err := f.Process(ctx, []byte(l.Operation.Request), sess)
			out := qbconnect.Outcome{Response: resp}
			if err != nil {
				out = qbconnect.Outcome{Failure: &qbconnect.Error{Code: qbconnect.EQuickBooks, Message: err.Error()}}
			}
			op, applied, err := env.Queue.Complete(context.Background(), l.Operation.ID, l.LeaseID, out)
			if err == nil && applied {
				eng.HandleOperation(context.Background(), op, bytes.NewReader(op.Result))
			}
		}
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
		f.Close()
	})
	return p.URL(), key, conn.CompanyID
}

// lines0ID is the id of the first record of JSON lines.
func lines0ID(lines []string) any {
	var r map[string]any
	json.Unmarshal([]byte(lines[0]), &r)
	return r["id"]
}

func TestOperatorListsCompaniesSyncsWithProgressAndPrintsRecords(t *testing.T) {
	url, key, companyID := operatorServer(t)
	auth := []string{"--server", url, "--api-key", key}

	out, err := runOperator(t, append([]string{"companies", "list"}, auth...)...)
	if err != nil || !strings.Contains(out, companyID) || !strings.Contains(out, "Linked") || !strings.Contains(out, "HEALTH") {
		t.Fatalf("companies list: %v\n%s", err, out)
	}
	out, err = runOperator(t, append([]string{"companies", "list", "--format", "json"}, auth...)...)
	var cos []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &cos) != nil || len(cos) != 1 || cos[0]["id"] != companyID {
		t.Errorf("companies list --format json: %v\n%s", err, out)
	}

	out, err = runOperator(t, append([]string{"sync", companyID, "--types", "customers,vendors", "--wait", "--poll", "5ms"}, auth...)...)
	if err != nil || !strings.Contains(out, "customers") || !strings.Contains(out, "done") || !strings.Contains(out, "synced customers, vendors") {
		t.Fatalf("sync --wait: %v\n%s", err, out)
	}

	// Without --wait, a table of the passes started: a requested full
	// sync says so in REASON.
	out, err = runOperator(t, append([]string{"sync", companyID, "--types", "customers", "--full"}, auth...)...)
	if rows := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(rows) != 2 || strings.Join(strings.Fields(rows[0]), " ") != "DATA TYPE STATUS MODE REASON" ||
		strings.Join(strings.Fields(rows[1]), " ") != "customers Queued full requested" {
		t.Errorf("sync --full: %v\n%s", err, out)
	}

	out, err = runOperator(t, append([]string{"records", companyID, "customers"}, auth...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 9 {
		t.Fatalf("records: %v, %d lines\n%s", err, len(lines), out)
	}
	for _, l := range lines {
		var r map[string]any
		if json.Unmarshal([]byte(l), &r) != nil || r["id"] == nil || r["editSequence"] == nil {
			t.Errorf("not a record: %s", l)
		}
	}
	out, err = runOperator(t, append([]string{"records", companyID, "customers", "--format", "text", "--limit", "3"}, auth...)...)
	if rows := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(rows) != 4 || !strings.HasPrefix(rows[0], "ID") {
		t.Errorf("records --format text --limit 3: %v\n%s", err, out)
	}
	out, err = runOperator(t, append([]string{"records", companyID, "customers", "--format", "json", "--limit", "3"}, auth...)...)
	var recs []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 3 || recs[0]["id"] != lines0ID(lines) {
		t.Errorf("records --format json --limit 3: %v\n%s", err, out)
	}
	var first map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	out, err = runOperator(t, append([]string{"records", companyID, "customers", "--filter", "name=" + first["name"].(string)}, auth...)...)
	if err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, first["id"].(string)) {
		t.Errorf("records --filter name=: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"companies", "list", "--server", url}, "API key is required"},
		{[]string{"companies", "list", "--server", "ftp://x", "--api-key", key}, "--server must be"},
		{[]string{"companies", "list", "--server", url, "--api-key", "qbk_wrong"}, "unknown or revoked API key"},
		{append([]string{"records", companyID, "widgets"}, auth...), `unknown data type "widgets"`},
		{append([]string{"records", companyID, "customers", "--filter", "nonsense"}, auth...), "NAME=VALUE"},
		{append([]string{"records", companyID, "customers", "--format", "xml"}, auth...), "want text, json or jsonl"},
		{append([]string{"sync", "cmp_0000000000000000"}, auth...), "company not found"},
		{append([]string{"sync", companyID, "--types", "widgets"}, auth...), `unknown data type "widgets"`},
	} {
		if _, err := runOperator(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: %v, want an error containing %q", tc.args, err, tc.msg)
		}
	}
}
