package main

import (
	"testing"

	"github.com/qbconnect/qbconnect/internal/clidoc"
)

// TestEveryCommandHasAnExampleThatParses: every command's help shows an
// example, each example names flags and arguments the command accepts,
// and no flag's usage holds backticks (the help would show them as the
// flag's value name).
func TestEveryCommandHasAnExampleThatParses(t *testing.T) {
	clidoc.Check(t, newRootCmd, examples)
}

// company create switches features on with flags; company info shows them.
func TestCompanyCreateSwitchesFeaturesOn(t *testing.T) {
	dir := t.TempDir()
	plain, full := filepath.Join(dir, "plain.qbw"), filepath.Join(dir, "full.qbw")
	qbdsimCmd(t, "company", "create", plain, "--quiet")
	qbdsimCmd(t, "company", "create", full, "--quiet", "--payroll", "--sites")
	if out := qbdsimCmd(t, "company", "info", plain); !strings.Contains(out, "features: none") {
		t.Errorf("info of a new company: %s", out)
	}
	if out := qbdsimCmd(t, "company", "info", full); !strings.Contains(out, "features: payroll, sites") {
		t.Errorf("info with --payroll --sites: %s", out)
	}
	req := filepath.Join(dir, "sites.xml")
	if err := os.WriteFile(req, []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><InventorySiteQueryRq/></QBXMLMsgsRq></QBXML>`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("QBDSIM_ADDR", "")
	if out := qbdsimCmd(t, "exec", "--company", plain, req); !strings.Contains(out, `statusCode="3250"`) {
		t.Errorf("sites query without sites: %s", out)
	}
	if out := qbdsimCmd(t, "exec", "--company", full, req); !strings.Contains(out, `statusCode="1"`) {
		t.Errorf("sites query with sites: %s", out)
	}
}
