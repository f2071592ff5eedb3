package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/qbxml"
)

// TestEveryExampleRequestIsAnsweredAsQuickBooksWould is the simulator's
// coverage promise: every request that `qbconnect qbxml examples` writes
// (one per qbXML 13.0 request type), run with `qbdsim exec` against a
// company made by `qbdsim company create --seed 1`, gets a response that
// is not 1030 ("not supported"), is not an internal error (a recovered
// panic answers 1000), and validates against Intuit's schema. The same
// holds for a generated company with every feature switched on.
func TestEveryExampleRequestIsAnsweredAsQuickBooksWould(t *testing.T) {
	t.Run("new company", func(t *testing.T) { runExamples(t) })
	t.Run("every feature, 300 transactions", func(t *testing.T) {
		runExamples(t, "--payroll", "--sites", "--assemblies", "--peritemprices", "--multicurrency", "--transactions", "300")
	})
}

func runExamples(t *testing.T, createFlags ...string) {
	xsd := filepath.Join("..", "..", "..", "shared", "reference", "qbxml", "qbxmlops130.xsd")
	if _, err := os.Stat(xsd); err != nil {
		t.Skipf("Intuit's schema is not at %s (../shared is absent)", xsd)
	}
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (apt-get install libxml2-utils)")
	}
	t.Setenv("QBDSIM_ADDR", "")
	dir := t.TempDir()
	company := filepath.Join(dir, "Seed.QBW")
	qbdsimCmd(t, append([]string{"company", "create", company, "--seed", "1", "--quiet"}, createFlags...)...)

	reqDir, respDir := filepath.Join(dir, "requests"), filepath.Join(dir, "responses")
	for _, d := range []string{reqDir, respDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	status := regexp.MustCompile(`statusCode="(\d+)"`)
	var responses []string
	for _, name := range qbxml.RequestNames() {
		doc, err := qbxml.ExampleDocument(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		req := filepath.Join(reqDir, name+".xml")
		if err := os.WriteFile(req, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		out := qbdsimCmd(t, "exec", "--company", company, req)
		m := status.FindStringSubmatch(out)
		want := "<" + strings.TrimSuffix(name, "Rq") + "Rs"
		switch {
		case m == nil || !strings.Contains(out, want):
			t.Errorf("%s: no %s with a status:\n%s", name, want, out)
		case m[1] == "1030":
			t.Errorf("%s: answered 1030 (not supported)", name)
		case m[1] == "1000":
			t.Errorf("%s: internal error: %s", name, out)
		}
		resp := filepath.Join(respDir, name+".xml")
		if err := os.WriteFile(resp, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		responses = append(responses, resp)
	}
	out, err := exec.Command(xmllint, append([]string{"--noout", "--schema", xsd}, responses...)...).CombinedOutput()
	if err != nil {
		for _, l := range strings.Split(string(out), "\n") {
			if l != "" && !strings.HasSuffix(l, " validates") {
				t.Errorf("schema: %s", l)
			}
		}
	}
}

// qbdsimCmd runs a qbdsim command in this process and returns its output.
func qbdsimCmd(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("qbdsim %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
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
