package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/internal/testenv"
)

// countLine is a line of the demo's count table: type, platform, QuickBooks.
var countLine = regexp.MustCompile(`^\s+([a-zA-Z]+)\s+(\d+)\s+(\d+)\s*(MISMATCH)?$`)

// TestDemoExitAfterSyncPrintsCountsEqualToQuickBooks runs `qbconnect demo
// --exit-after-sync` as a user would and checks what it prints: the
// addresses and the curl commands, and one count per data type equal to
// QuickBooks'.
func TestDemoExitAfterSyncPrintsCountsEqualToQuickBooks(t *testing.T) {
	out := testenv.Run(t, bins.QBConnect, "demo", "--exit-after-sync", "--dir", t.TempDir())
	for _, want := range []string{"It exits after the first sync (--exit-after-sync).", "REST API:", "Demo API key:    qbk_", "Connector UI:    http://127.0.0.1:", "?token=",
		"Simulator UI:    http://127.0.0.1:", "curl -s -H \"Authorization: Bearer qbk_", "Every count equals QuickBooks'."} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	rows, total, totalRow := 0, 0, ""
	for _, line := range strings.Split(out, "\n") {
		m := countLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[1] == "total" {
			totalRow = m[2] + " " + m[3]
			continue
		}
		rows++
		if m[2] != m[3] || m[4] != "" {
			t.Errorf("%s: platform %s, QuickBooks %s", m[1], m[2], m[3])
		}
		n, _ := strconv.Atoi(m[2])
		total += n
	}
	// 300 customers with jobs, 3000 transactions and the standard lists.
	if rows < 20 || total < 3300 {
		t.Errorf("the demo printed %d count rows totalling %d records:\n%s", rows, total, out)
	}
	// The total row has both columns, and the types left out of the table
	// are named as empty, so that the first sync's "N data types" adds up.
	if want := fmt.Sprintf("%d %d", total, total); totalRow != want {
		t.Errorf("total row %q, want %q", totalRow, want)
	}
	empty := regexp.MustCompile(`Empty in QuickBooks and on the platform \((\d+) more data types\): ([a-zA-Z, ]+)\.`).FindStringSubmatch(out)
	synced := regexp.MustCompile(`(\d+) data types synced, (\d+) records`).FindStringSubmatch(out)
	if empty == nil || synced == nil {
		t.Fatalf("the demo does not name the empty data types or the synced total:\n%s", out)
	}
	nEmpty, _ := strconv.Atoi(empty[1])
	nTypes, _ := strconv.Atoi(synced[1])
	if nEmpty+rows != nTypes || len(strings.Split(empty[2], ", ")) != nEmpty || synced[2] != strconv.Itoa(total) {
		t.Errorf("%d rows + %d empty types (%s) do not add up to %s data types and %s records (table: %d)", rows, nEmpty, empty[2], synced[1], synced[2], total)
	}
}

// TestDemoRefusesUnknownScenario: bad input gets a clear error before
// anything starts.
func TestDemoRefusesUnknownScenario(t *testing.T) {
	_, errOut, err := testenv.RunErr(bins.QBConnect, "demo", "--scenario", "no-such-thing", "--exit-after-sync")
	if err == nil || !strings.Contains(errOut, `unknown scenario "no-such-thing"`) || !strings.Contains(errOut, "qb-closed") {
		t.Fatalf("err %v, stderr:\n%s", err, errOut)
	}
}

// TestDemoHandoverScenarioNoWriteWaitsForAPerson runs the acceptance
// command of the certificate handover, `qbconnect demo --scenario handover
// --exit-after-sync`: it must exit 0 having played the handover through
// the real release path and say that no write waited for a person.
func TestDemoHandoverScenarioNoWriteWaitsForAPerson(t *testing.T) {
	out := testenv.Run(t, bins.QBConnect, "demo", "--scenario", "handover", "--exit-after-sync", "--dir", t.TempDir(),
		"--customers", "30", "--transactions", "100")
	for _, want := range []string{
		"installed it beside itself",
		"succeeded at once, through release 1; QuickBooks asked nobody",
		"signed with certificate B",
		"the file switched to it",
		"release 1 was removed. The campaign shows the connection Switched.",
		"a new write succeeded through release 2",
		"No write waited for a person: 2 writes, each applied exactly once",
		"Scenario handover played to the end.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
}
