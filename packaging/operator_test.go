package packaging

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies runs `systemd-analyze verify` on
// qbconnect.service. The unit names /usr/local/bin/qbconnect, which verify
// requires to exist, so the test verifies a copy that names a freshly built
// binary instead; nothing else of the unit changes.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: systemd)")
	}
	unit, err := os.ReadFile("qbconnect.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=", "ProtectSystem=strict", "StateDirectory=qbconnect", "Restart=on-failure", "KillSignal=SIGTERM", "NoNewPrivileges=yes"} {
		if !bytes.Contains(unit, []byte("\n"+want)) {
			t.Errorf("qbconnect.service lacks %s", want)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "qbconnect")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/qbconnect").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	copyPath := filepath.Join(dir, "qbconnect.service")
	if err := os.WriteFile(copyPath, bytes.ReplaceAll(unit, []byte("/usr/local/bin/qbconnect"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestAlertRulesPassPromtool checks the alert rules' syntax and runs their
// unit tests (qbconnect-rules.test.yml: each alert fires on the series
// that should raise it, with its summary, and stays silent otherwise).
func TestAlertRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (Debian: prometheus)")
	}
	for _, args := range [][]string{
		{"check", "rules", "qbconnect-rules.yml"},
		{"test", "rules", "qbconnect-rules.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestAlertsAndDashboardNameOnlyMetricsTheServerDefines keeps the rules
// and the Grafana dashboard in step with the code: every qbconnect_*
// metric they query is defined in the server's source (a renamed metric
// would otherwise leave an alert that never fires).
func TestAlertsAndDashboardNameOnlyMetricsTheServerDefines(t *testing.T) {
	defined := map[string]bool{}
	def := regexp.MustCompile(`"(qbconnect_[a-z0-9_]+)"`)
	for _, pattern := range []string{"../api/*.go", "../release/*.go", "../store/*.go", "../internal/platform/*.go"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range def.FindAllSubmatch(src, -1) {
				defined[string(m[1])] = true
			}
		}
	}
	var exprs []string
	rules, err := os.ReadFile("prometheus/qbconnect-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	exprs = append(exprs, string(rules))
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	raw, err := os.ReadFile("grafana/qbconnect-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana/qbconnect-dashboard.json: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	used := regexp.MustCompile(`\bqbconnect_[a-z0-9_]+`)
	var unknown []string
	for _, e := range exprs {
		for _, name := range used.FindAllString(e, -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !defined[base] && !defined[name] {
				unknown = append(unknown, name)
			}
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("queried but not defined by the server: %v", unknown)
	}
}
