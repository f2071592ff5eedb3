package qbxml

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sharedSchemaDir returns ../shared/reference/qbxml next to the repository
// root, skipping the test when it is absent.
func sharedSchemaDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
	schema := filepath.Join(dir, "..", "shared", "reference", "qbxml")
	if _, err := os.Stat(filepath.Join(schema, "qbxmlops130.xsd")); err != nil {
		tb.Skipf("qbXML schema not available: %v", err)
	}
	return schema
}

// TestExamplesValidateWithXmllint writes an example of every request and
// has xmllint validate them all against Intuit's schema in one run.
func TestExamplesValidateWithXmllint(t *testing.T) {
	schema := sharedSchemaDir(t)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed")
	}
	dir := t.TempDir()
	names := append(RequestNames(), SubscriptionRequestNames()...)
	var files []string
	for _, name := range names {
		doc, err := ExampleDocument(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(f, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	args := append([]string{"--noout", "--schema", filepath.Join(schema, "qbxmlops130.xsd")}, files...)
	out, err := exec.Command(xmllint, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, firstLines(string(out), 40))
	}
	if got := strings.Count(string(out), " validates"); got != len(files) {
		t.Fatalf("xmllint validated %d of %d files:\n%s", got, len(files), firstLines(string(out), 40))
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
