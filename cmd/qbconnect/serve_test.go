package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/wait"
)

// qbconnectBinary builds the command into a temporary directory of the
// test (the Go build cache makes the second build of a run quick).
func qbconnectBinary(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qbconnect")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// run runs the binary to completion and returns its stdout.
func runQBConnect(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("qbconnect %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// serveProc is a running `qbconnect serve` process.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	stdout *bytes.Buffer
	done   chan error
}

// servingRE finds the URL in serve's ready record, text or JSON.
var servingRE = regexp.MustCompile(ReadyMessage + `.*url"?[=:]"?(http://[^\s"]+)`)

// serve starts `qbconnect serve` on a free port and waits until it listens.
func startServe(t *testing.T, bin, dsn string, extra ...string) *serveProc {
	t.Helper()
	return startServeEnv(t, nil, bin, dsn, extra...)
}

// startServeEnv is startServe with env added to the process's environment.
func startServeEnv(t *testing.T, env []string, bin, dsn string, extra ...string) *serveProc {
	t.Helper()
	args := append([]string{"serve", "--db", dsn, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &serveProc{cmd: cmd, stderr: &bytes.Buffer{}, stdout: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = &lockedWriter{w: s.stdout}
	logs := &lockedWriter{w: s.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		close(urls)
		s.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatalf("serve exited before listening:\n%s", logs)
		}
		s.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within 60s:\n%s", logs)
	}
	return s
}

// stop sends SIGTERM and expects a clean exit.
func (s *serveProc) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM:\n%s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("serve did not stop within 30s of SIGTERM")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprint(w.w)
}

// TestServeWithJSONLogsWritesOnlyJSONRecords: with --log-format json the
// ready line is a log record like every other (message "qbconnect serving
// on", attribute url), shown even at --log-level warn, and nothing at all
// goes to standard output, so that a log collector reading both streams
// gets JSON only.
func TestServeWithJSONLogsWritesOnlyJSONRecords(t *testing.T) {
	bin := qbconnectBinary(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	_, key := adminSetup(t, bin, dsn, "Lender Ltd")
	s := startServe(t, bin, dsn, "--log-format", "json")
	if _, err := client.New(s.url, key).ListCompanies(context.Background(), client.ListParams{}); err != nil {
		t.Fatalf("list companies: %v", err)
	}
	s.stop(t)
	if s.stdout.Len() != 0 {
		t.Errorf("serve wrote on standard output:\n%s", s.stdout)
	}
	var ready bool
	for line := range strings.SplitSeq(strings.TrimSpace(s.stderr.String()), "\n") {
		var rec struct{ Msg, URL string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON record: %q", line)
		}
		ready = ready || rec.Msg == ReadyMessage && rec.URL == s.url
	}
	if !ready {
		t.Errorf("no ready record {\"msg\":%q,\"url\":%q}:\n%s", ReadyMessage, s.url, s.stderr)
	}
}

// mustOK fails the test when a REST call failed.
func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// statusOf is the HTTP status of a failed REST call (0 when there was no
// answer), or 200 for none.
func statusOf(err error) int {
	var e *qbconnect.Error
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &e):
		return e.Status
	}
	return 0
}

// newLinkable creates a company and its connector connection through the
// REST API, as a client application does, and returns them with a link
// code; noAutoSync leaves the company to sync only when asked.
func newLinkable(t *testing.T, api *client.Client, name string, noAutoSync bool) (*qbconnect.Company, *qbconnect.Connection, string) {
	t.Helper()
	ctx := context.Background()
	body := client.CreateCompanyRequest{Name: name}
	if noAutoSync {
		body.SyncSchedule = client.Schedule("-1s")
	}
	co, err := api.CreateCompany(ctx, body)
	mustOK(t, "create company", err)
	conn, err := api.CreateConnection(ctx, co.ID, qbconnect.KindConnector)
	mustOK(t, "create connection", err)
	lc, err := api.CreateLinkCode(ctx, co.ID, conn.ID)
	mustOK(t, "create link code", err)
	if lc.Code == nil {
		t.Fatal("the link code is empty")
	}
	return co, conn, *lc.Code
}

// adminSetup creates an organisation and an API key with the admin CLI.
func adminSetup(t *testing.T, bin, dsn, name string) (orgID, key string) {
	t.Helper()
	orgID, _, _ = strings.Cut(strings.TrimSpace(runQBConnect(t, bin, "admin", "--db", dsn, "org", "create", name)), "\t")
	key = strings.TrimSpace(runQBConnect(t, bin, "admin", "--db", dsn, "apikey", "create", "--org", name, "--name", "ci"))
	if !strings.HasPrefix(orgID, "org_") || !strings.HasPrefix(key, "qbk_") {
		t.Fatalf("admin setup gave org %q key %q", orgID, key)
	}
	return orgID, key
}

func TestServeAndAdminCommands(t *testing.T) {
	bin := qbconnectBinary(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	orgID, key := adminSetup(t, bin, dsn, "Lender Ltd")
	if out := runQBConnect(t, bin, "admin", "--db", dsn, "org", "list"); !strings.Contains(out, orgID) || !strings.Contains(out, "Lender Ltd") {
		t.Errorf("org list:\n%s", out)
	}
	s := startServe(t, bin, dsn)
	if _, err := client.New(s.url, key).CreateCompany(context.Background(), client.CreateCompanyRequest{Name: "Acme"}); err != nil {
		t.Fatalf("create company: %v", err)
	}
	list := runQBConnect(t, bin, "admin", "--db", dsn, "apikey", "list", "--org", orgID)
	if !strings.Contains(list, key[:len("qbk_live_")+8]) || strings.Contains(list, key) {
		t.Errorf("apikey list must show the prefix and never the secret:\n%s", list)
	}
	keyID := strings.Fields(strings.Split(strings.TrimSpace(list), "\n")[1])[0]
	runQBConnect(t, bin, "admin", "--db", dsn, "apikey", "revoke", keyID)
	if _, err := client.New(s.url, key).ListCompanies(context.Background(), client.ListParams{}); statusOf(err) != 401 {
		t.Errorf("revoked key (revoked by admin while serving): %d (%v), want 401", statusOf(err), err)
	}
	s.stop(t)

	// Bad invocations fail with a clear message and change nothing.
	for _, args := range [][]string{
		{"admin", "--db", dsn, "apikey", "create", "--org", "No Such Org"},
		{"admin", "--db", dsn, "apikey", "revoke", "key_unknown"},
		{"admin", "--db", dsn, "org", "create", "  "},
		{"admin", "--db", "mysql://x", "org", "list"},
		{"serve", "--db", dsn, "--log-format", "xml"},
		{"serve", "--db", dsn, "--trusted-proxy", "proxy.example"},
		{"serve", "--db", dsn, "--trusted-proxy", "10.0.0.0/33"},
	} {
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.HasPrefix(string(out), "qbconnect: ") {
			t.Errorf("qbconnect %s: err %v, output %q", strings.Join(args, " "), err, out)
		}
	}
	if out := runQBConnect(t, bin, "admin", "--db", dsn, "org", "list"); strings.Count(out, "\n") != 2 {
		t.Errorf("failed commands created organisations:\n%s", out)
	}
}

// TestTwoServersOnOnePostgresDatabase runs two `qbconnect serve` processes on
// one PostgreSQL database: a connector long-polling B is woken by work a
// client enqueues through A's REST API, and connectors polling both
// processes at once get every item, enqueued through either, exactly once.
func TestTwoServersOnOnePostgresDatabase(t *testing.T) {
	base := os.Getenv("QBCONNECT_TEST_POSTGRES")
	if base == "" {
		t.Skip("QBCONNECT_TEST_POSTGRES is not set")
	}
	dsn := servePGSchema(t, base)
	bin := qbconnectBinary(t)
	_, key := adminSetup(t, bin, dsn, "Lender")
	a, b := startServe(t, bin, dsn), startServe(t, bin, dsn)
	ctx := context.Background()

	// Three companies set up through A, their connectors linked through B.
	type linked struct {
		companyID, connectionID string
		gwA, gwB                *gatewayclient.Client
	}
	var all []linked
	for i := range 3 {
		// No automatic sync: its pages would be work items too, and the
		// test counts the passthroughs it enqueues.
		c, conn, code := newLinkable(t, client.New(a.url, key), fmt.Sprintf("Company %d", i), true)
		gwB, _ := gatewayclient.New(b.url, gatewayclient.Options{})
		if _, err := gwB.Link(ctx, gateway.LinkRequest{Code: code, File: gateway.FileIdentity{Path: fmt.Sprintf(`C:\c%d.qbw`, i)},
			Connector: gateway.ConnectorInfo{Version: "1.0"}}); err != nil {
			t.Fatal(err)
		}
		gwA, _ := gatewayclient.New(a.url, gatewayclient.Options{Credential: gwB.Credential()})
		all = append(all, linked{c.ID, conn.ID, gwA, gwB})
	}
	// enqueue sends a qbXML passthrough to a company through a server's
	// REST API, as a client application does, and returns the operation's
	// ID. The request carries marker as its requestID.
	enqueue := func(server *serveProc, l linked, marker string) string {
		t.Helper()
		doc := `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="` +
			marker + `"><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`
		op, err := client.New(server.url, key).Passthrough(ctx, l.companyID, doc)
		if err != nil || op.Id == "" || op.Status != client.OperationPending {
			t.Fatalf("passthrough through %s: %+v %v", server.url, op, err)
		}
		return op.Id
	}
	markerOf := regexp.MustCompile(`requestID="([^"]+)"`)

	// Wake-up across processes: connector 0 long-polls B, and a client
	// enqueues the work through A's REST API. Without the wake-up the
	// poll would answer "no work" after 30 s and fail the test.
	polled := make(chan *gateway.PollResponse, 1)
	go func() {
		p, err := all[0].gwB.Poll(ctx, gateway.PollRequest{Wait: 30 * time.Second})
		if err != nil {
			t.Error(err)
		}
		polled <- p
	}()
	waitForMetric(t, b.url, "qbconnect_gateway_polls_open 1")
	wakeID := enqueue(a, all[0], "wake")
	p := <-polled
	if p == nil || p.Item == nil || p.Item.ID != wakeID || p.Item.ConnectionID != all[0].connectionID {
		t.Fatalf("long-poll on B = %+v; want item %s enqueued through A", p, wakeID)
	}
	if m := markerOf.FindStringSubmatch(p.Item.Request); m == nil || m[1] != "wake" {
		t.Errorf("the item's request is not the client's document: %.300s", p.Item.Request)
	}
	if _, err := all[0].gwA.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID,
		Response: `<QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="wake" statusCode="1" statusSeverity="Info" statusMessage="none"/></QBXMLMsgsRs></QBXML>`}); err != nil {
		t.Fatalf("result through A for an item leased through B: %v", err)
	}

	// Each item once: items are enqueued through A and B alternately, and
	// every connector polls A and B in turn. Like the real connector it has
	// one poll open at a time: a poll from a connector that holds an item
	// is taken as the answer having been lost, and gets the item again.
	const perConnector = 8
	want := map[string]string{} // operation ID -> marker
	for ci, l := range all {
		for i := range perConnector {
			server := a
			if i%2 == 1 {
				server = b
			}
			marker := fmt.Sprintf("c%d-item%d", ci, i)
			want[enqueue(server, l, marker)] = marker
		}
	}
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	deadline := time.Now().Add(2 * time.Minute)
	for _, l := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for turn := 0; time.Now().Before(deadline); turn++ {
				gw := l.gwA
				if turn%2 == 1 {
					gw = l.gwB
				}
				mu.Lock()
				finished := len(got) == len(want)
				mu.Unlock()
				if finished {
					return
				}
				p, err := gw.Poll(ctx, gateway.PollRequest{Wait: time.Second})
				if err != nil {
					t.Error(err)
					return
				}
				if p.Item == nil {
					continue
				}
				if m := markerOf.FindStringSubmatch(p.Item.Request); m == nil || m[1] != want[p.Item.ID] {
					t.Errorf("item %s carries %q, want the request enqueued for it (%s)", p.Item.ID, m, want[p.Item.ID])
				}
				mu.Lock()
				got[p.Item.ID]++
				mu.Unlock()
				if _, err := gw.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: "<QBXML/>"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for id := range want {
		if got[id] != 1 {
			t.Errorf("item %s handed out %d times, want once", id, got[id])
		}
		op, err := client.New(b.url, key).GetOperation(ctx, id, client.GetOperationParams{})
		if err != nil || op.Status != "Success" || op.Attempts != 1 {
			t.Errorf("operation %s through B: %+v %v", id, op, err)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d items handed out, want %d", len(got), len(want))
	}
	a.stop(t)
	b.stop(t)
}

// servePGSchema creates a schema in the database and returns a DSN using it.
func servePGSchema(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("serve_test_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// waitForMetric polls a server's /metrics until it has line, for at most
// 30 seconds.
func waitForMetric(t *testing.T, url, line string) {
	t.Helper()
	wait.For(t, fmt.Sprintf("%s/metrics to show %q", url, line), 30*time.Second, func() (bool, string) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			return false, err.Error()
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return bytes.Contains(data, []byte(line)), fmt.Sprintf("%d bytes of metrics", len(data))
	})
}

// TestServeSyncFlagsShapeTheRequestsSentToQuickBooks: the sync engine's
// settings are serve's flags and variables. A page size set through
// $QBCONNECT_SYNC_PAGE_SIZE is the MaxReturned of the query the connector
// receives, and a setting the engine cannot run on is a usage error.
func TestServeSyncFlagsShapeTheRequestsSentToQuickBooks(t *testing.T) {
	bin := qbconnectBinary(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "qbconnect.db")
	_, key := adminSetup(t, bin, dsn, "Lender")
	s := startServeEnv(t, []string{"QBCONNECT_SYNC_PAGE_SIZE=7"}, bin, dsn)
	ctx := context.Background()
	api := client.New(s.url, key)
	co, _, code := newLinkable(t, api, "Acme", true)
	gw, _ := gatewayclient.New(s.url, gatewayclient.Options{})
	if _, err := gw.Link(ctx, gateway.LinkRequest{Code: code, File: gateway.FileIdentity{Path: `C:\acme.qbw`},
		Connector: gateway.ConnectorInfo{Version: "1.0"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.StartSync(ctx, co.ID, qbconnect.SyncRequest{DataTypes: []string{"customers"}}); err != nil {
		t.Fatal(err)
	}
	var query string
	for range 5 {
		p, err := gw.Poll(ctx, gateway.PollRequest{Wait: 30 * time.Second})
		if err != nil || p.Item == nil {
			t.Fatalf("poll: %+v %v; want the sync's first page", p, err)
		}
		if strings.Contains(p.Item.Request, "<CustomerQueryRq") {
			query = p.Item.Request
			break
		}
		if _, err := gw.PostResult(ctx, gateway.Result{ItemID: p.Item.ID, LeaseID: p.Item.LeaseID, Response: "<QBXML/>"}); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(query, "<MaxReturned>7</MaxReturned>") {
		t.Errorf("the sync's customer query does not ask for pages of 7:\n%.600s", query)
	}
	s.stop(t)

	for _, bad := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--sync-page-size", "0"}, "", "--sync-page-size must be positive"},
		{nil, "QBCONNECT_SYNC_OVERLAP=-1m", "--sync-overlap must be positive"},
		{[]string{"--webhook-attempts", "-2"}, "", "--webhook-attempts must be positive"},
		{[]string{"--trusted-proxy", "proxy.example"}, "", "--trusted-proxy"},
	} {
		cmd := exec.Command(bin, append([]string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}, bad.args...)...)
		cmd.Env = append(os.Environ(), bad.env)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), bad.want) {
			t.Errorf("serve %v %s: %v, output %q; want exit 2 naming %s", bad.args, bad.env, err, out, bad.want)
		}
	}
}
