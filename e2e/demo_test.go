package e2e

import (
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
	for _, want := range []string{"REST API:", "Demo API key:    qbk_", "Connector UI:    http://127.0.0.1:", "?token=",
		"Simulator UI:    http://127.0.0.1:", "curl -s -H \"Authorization: Bearer qbk_", "Every count equals QuickBooks'."} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	rows, total := 0, 0
	for _, line := range strings.Split(out, "\n") {
		m := countLine.FindStringSubmatch(line)
		if m == nil {
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
}

// TestDemoRefusesUnknownScenario: bad input gets a clear error before
// anything starts.
func TestDemoRefusesUnknownScenario(t *testing.T) {
	_, errOut, err := testenv.RunErr(bins.QBConnect, "demo", "--scenario", "no-such-thing", "--exit-after-sync")
	if err == nil || !strings.Contains(errOut, `unknown scenario "no-such-thing"`) || !strings.Contains(errOut, "qb-closed") {
		t.Fatalf("err %v, stderr:\n%s", err, errOut)
	}
}
