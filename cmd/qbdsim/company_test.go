package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// companyCmd runs `qbdsim company ARGS...` in process and returns its
// standard output and error.
func companyCmd(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"company"}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("qbdsim company %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// TestCompanyCreateQuietPrintsNothing: --quiet is for scripts; the counts
// and the "created" line are printed only without it.
func TestCompanyCreateQuietPrintsNothing(t *testing.T) {
	dir := t.TempDir()
	out, errOut := companyCmd(t, "create", filepath.Join(dir, "quiet.qbw"), "--transactions", "200", "--quiet")
	if out != "" || errOut != "" {
		t.Errorf("--quiet printed:\n%s%s", out, errOut)
	}
	info, _ := companyCmd(t, "info", filepath.Join(dir, "quiet.qbw"))
	if !strings.Contains(info, "Invoice") {
		t.Errorf("the quiet company has no invoices:\n%s", info)
	}
	out, _ = companyCmd(t, "create", filepath.Join(dir, "loud.qbw"), "--transactions", "200")
	for _, want := range []string{"Invoice", "created " + filepath.Join(dir, "loud.qbw")} {
		if !strings.Contains(out, want) {
			t.Errorf("without --quiet the output lacks %q:\n%s", want, out)
		}
	}
}

// company create makes every kind the generator knows, each exactly as
// many times as its flag says: inventory parts with their receipts and
// adjustments, other names, sales reps, price levels, vendor and card
// credits, statement charges, time and transfers.
func TestCompanyCreateMakesInventoryCreditsChargesTimeAndTransfers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kinds.qbw")
	companyCmd(t, "create", path, "--quiet", "--customers", "5", "--vendors", "3", "--employees", "2", "--items", "4",
		"--invoices", "5", "--bills", "3", "--inventory-items", "3", "--item-receipts", "4", "--inventory-adjustments", "2",
		"--other-names", "2", "--sales-reps", "1", "--price-levels", "2", "--vendor-credits", "2", "--credit-card-credits", "1",
		"--charges", "3", "--time-tracking", "2", "--transfers", "1")
	info, _ := companyCmd(t, "info", path)
	counts := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			counts[f[0]] = f[1]
		}
	}
	for typ, want := range map[string]string{"ItemInventory": "3", "ItemReceipt": "4", "InventoryAdjustment": "2", "OtherName": "2",
		"SalesRep": "1", "PriceLevel": "2", "VendorCredit": "2", "CreditCardCredit": "1", "Charge": "3", "TimeTracking": "2", "Transfer": "1"} {
		if counts[typ] != want {
			t.Errorf("%s: %q in company info, want %s:\n%s", typ, counts[typ], want, info)
		}
	}
}
