package companyfile

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// responseDir collects every response produced by the tests; TestMain
// validates them all against Intuit's schema with one xmllint process.
var (
	responseDir string
	responseSeq atomic.Int64
	// largeCompanyDir holds the large company the benchmarks generate
	// once (largefile_test.go); TestMain removes it.
	largeCompanyDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qbdsim-responses-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	responseDir = dir
	code := m.Run()
	if code == 0 {
		code = validateResponses(dir)
	}
	os.RemoveAll(dir)
	if largeCompanyDir != "" {
		os.RemoveAll(largeCompanyDir)
	}
	os.Exit(code)
}

// schemaPath returns ../shared/reference/qbxml/qbxmlops130.xsd relative to
// the repository root, or "" when it is absent.
func schemaPath() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "reference", "qbxml", "qbxmlops130.xsd")
			if _, err := os.Stat(p); err != nil {
				return ""
			}
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func validateResponses(dir string) int {
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		return 0
	}
	xsd := schemaPath()
	xmllint, err := exec.LookPath("xmllint")
	if xsd == "" || err != nil {
		fmt.Printf("companyfile: skipping schema validation of %d responses (xmllint or ../shared missing)\n", len(files))
		return 0
	}
	args := append([]string{"--noout", "--schema", xsd}, files...)
	out, err := exec.Command(xmllint, args...).CombinedOutput()
	if err != nil {
		var bad []string
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasSuffix(l, " validates") && l != "" {
				bad = append(bad, l)
			}
		}
		if len(bad) > 40 {
			bad = bad[:40]
		}
		fmt.Printf("FAIL: responses do not validate against qbxmlops130.xsd:\n%s\n", strings.Join(bad, "\n"))
		return 1
	}
	fmt.Printf("companyfile: %d responses validate against qbxmlops130.xsd\n", len(files))
	return 0
}

// keepResponse saves a response for the final schema validation.
func keepResponse(tb testing.TB, resp []byte) {
	tb.Helper()
	if responseDir == "" {
		return
	}
	name := fmt.Sprintf("%06d-%s.xml", responseSeq.Add(1), strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name()))
	if err := os.WriteFile(filepath.Join(responseDir, name), resp, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// testClock is a controllable clock that advances one second per reading.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	loc := time.FixedZone("EST", -5*3600)
	return &testClock{now: time.Date(2025, 3, 14, 9, 30, 0, 0, loc)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestFile creates a company file in a temporary directory.
func newTestFile(tb testing.TB) (*File, *testClock) {
	tb.Helper()
	clock := newTestClock()
	f, err := Create(filepath.Join(tb.TempDir(), "Test Company.qbw"), "Test Company", Options{Now: clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f, clock
}

var testSession = Session{Ticket: "ticket-1", AppName: "Test App", Access: AccessRights{IsPersonalDataAccessAllowed: true}}

// run processes a message set built from the request bodies and returns the
// parsed QBXMLMsgsRs. The response is kept for schema validation.
func run(tb testing.TB, f *File, body string) *qbxml.Node {
	tb.Helper()
	return runAs(tb, f, testSession, `onError="stopOnError"`, body)
}

func runAs(tb testing.TB, f *File, s Session, attrs, body string) *qbxml.Node {
	tb.Helper()
	req := `<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq ` + attrs + `>` + body + `</QBXMLMsgsRq></QBXML>`
	resp, err := f.Process(context.Background(), []byte(req), s)
	if err != nil {
		tb.Fatalf("Process: %v\nrequest: %s", err, req)
	}
	keepResponse(tb, resp)
	root, err := parseNode(resp)
	if err != nil {
		tb.Fatalf("response does not parse: %v\n%s", err, resp)
	}
	return kid(root, "QBXMLMsgsRs")
}

// one runs a single request and returns its Rs element.
func one(tb testing.TB, f *File, body string) *qbxml.Node {
	tb.Helper()
	rs := run(tb, f, body)
	if len(rs.Children) != 1 {
		tb.Fatalf("want 1 response, got %d", len(rs.Children))
	}
	return rs.Children[0]
}

// ok runs a single request, requires status 0, and returns its Rs.
func ok(tb testing.TB, f *File, body string) *qbxml.Node {
	tb.Helper()
	rs := one(tb, f, body)
	if attrValue(rs, "statusCode") != "0" {
		tb.Fatalf("status %s %s: %s\nrequest: %s", attrValue(rs, "statusCode"), attrValue(rs, "statusSeverity"), attrValue(rs, "statusMessage"), body)
	}
	return rs
}

func wantStatus(tb testing.TB, rs *qbxml.Node, code string) {
	tb.Helper()
	if got := attrValue(rs, "statusCode"); got != code {
		tb.Fatalf("statusCode = %s (%s), want %s", got, attrValue(rs, "statusMessage"), code)
	}
}

// reopenWithout drops a table from f, as a company file written by an
// earlier simulator lacks it, closes f and opens the file again.
func reopenWithout(t *testing.T, f *File, table string) *File {
	t.Helper()
	if _, err := f.db.Exec(`DROP TABLE ` + table); err != nil {
		t.Fatal(err)
	}
	return reopen(t, f)
}

// timeMessageSet processes the requests body as one message set (on
// error, continue) and returns how long f took to answer.
func timeMessageSet(b *testing.B, f *File, body string) time.Duration {
	b.Helper()
	doc := []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError">` + body + `</QBXMLMsgsRq></QBXML>`)
	start := time.Now()
	if _, err := f.Process(context.Background(), doc, testSession); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// reopen closes f and opens the file again.
func reopen(t *testing.T, f *File) *File {
	t.Helper()
	path := f.Path()
	f.Close()
	g, err := Open(path, Options{Now: newTestClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}
