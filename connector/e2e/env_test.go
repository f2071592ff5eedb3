package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/platform"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// bins holds the binaries built once for the whole test run.
var bins struct {
	dir       string
	connector string
	qbdsim    string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qbconnector-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins.dir = dir
	bins.connector = filepath.Join(dir, "qbconnector")
	bins.qbdsim = filepath.Join(dir, "qbdsim")
	for out, pkg := range map[string]string{bins.connector: "../../cmd/qbconnector", bins.qbdsim: "../../cmd/qbdsim"} {
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version=9.9.9-e2e", "-o", out, pkg)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n", pkg, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitFor polls cond until it returns true or the deadline passes.
func waitFor(tb testing.TB, what string, timeout time.Duration, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		<-time.After(20 * time.Millisecond) // polling interval of a condition with a deadline
	}
}

// env is a platform (in process, on loopback HTTP, the same wiring as
// `qbconnect serve`), a `qbdsim serve` process trusting a test CA, and a
// signed `qbconnector` binary with its own data folder.
type env struct {
	tb      testing.TB
	ctx     context.Context
	plat    *platform.Main
	platCfg platform.Config
	platURL string

	company *qbconnect.Company
	orgID   string
	conn    *qbconnect.Connection

	ca      *signingtest.CA
	simURL  string
	simDir  string
	program string // the signed connector binary
	dataDir string

	mu     sync.Mutex
	agent  *exec.Cmd
	uiURL  string
	token  string
	stderr *lockedBuffer
	syncs  int // Perform Sync requests the platform received
}

type envOptions struct {
	leaseTTL time.Duration
}

func newEnv(tb testing.TB, opt envOptions) *env {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	e := &env{tb: tb, ctx: ctx, ca: signingtest.NewCA(tb, "qbconnect E2E Root"), dataDir: filepath.Join(tb.TempDir(), "data")}
	if opt.leaseTTL == 0 {
		opt.leaseTTL = time.Minute
	}
	e.startPlatform(opt)
	e.startSim()
	e.program = e.signedConnector("qbconnect Ltd")
	return e
}

func (e *env) startPlatform(opt envOptions) {
	tb := e.tb
	cfg := platform.Config{
		DB:            "sqlite:" + filepath.Join(tb.TempDir(), "platform.db"),
		Addr:          "127.0.0.1:0",
		SweepInterval: 200 * time.Millisecond,
		API: api.Config{
			LeaseTTL: opt.leaseTTL,
			SyncNow: func(ctx context.Context, c *qbconnect.Connection) error {
				e.mu.Lock()
				e.syncs++
				e.mu.Unlock()
				_, err := e.plat.Queue.Enqueue(ctx, &qbconnect.Operation{
					OrgID: c.OrgID, CompanyID: c.CompanyID, ConnectionID: c.ID, Kind: qbconnect.OpSync,
					Priority: qbconnect.PriorityInteractive, MaxAttempts: 5, Request: customerQuery(),
				})
				return err
			},
		},
	}
	e.platCfg = cfg
	e.plat = platform.New(cfg)
	if err := e.plat.Run(e.ctx); err != nil {
		tb.Fatalf("platform: %v", err)
	}
	tb.Cleanup(func() { e.plat.Close() })
	e.platURL = e.plat.URL()
	org, err := e.plat.Orgs.CreateOrg(e.ctx, "Lender Inc")
	if err != nil {
		tb.Fatal(err)
	}
	e.orgID = org.ID
	e.company = &qbconnect.Company{OrgID: org.ID, Name: "Acme Plumbing LLC"}
	if err := e.plat.Companies.CreateCompany(e.ctx, e.company); err != nil {
		tb.Fatal(err)
	}
	e.conn = &qbconnect.Connection{OrgID: org.ID, CompanyID: e.company.ID, Kind: qbconnect.KindConnector}
	if err := e.plat.Connections.CreateConnection(e.ctx, e.conn); err != nil {
		tb.Fatal(err)
	}
}

// restartPlatform stops the platform, runs down (while it is down), and
// starts it again on the same address and database.
func (e *env) restartPlatform(down func()) {
	e.tb.Helper()
	if err := e.plat.Close(); err != nil {
		e.tb.Fatal(err)
	}
	down()
	cfg := e.platCfg
	cfg.Addr = strings.TrimPrefix(e.platURL, "http://")
	e.plat = platform.New(cfg)
	if err := e.plat.Run(e.ctx); err != nil {
		e.tb.Fatalf("platform restart: %v", err)
	}
	e.tb.Cleanup(func() { e.plat.Close() })
}

// linkCode issues a link code for a connection.
func (e *env) linkCode(connID string) string {
	e.tb.Helper()
	lc, err := e.plat.Connections.CreateLinkCode(e.ctx, e.orgID, connID, 0)
	if err != nil {
		e.tb.Fatal(err)
	}
	return lc.Code
}

func (e *env) startSim() {
	tb := e.tb
	e.simDir = tb.TempDir()
	for file, name := range map[string]string{"acme.qbw": "Acme Plumbing", "other.qbw": "Other Company"} {
		run(tb, bins.qbdsim, "company", "create", filepath.Join(e.simDir, file), "--name", name)
	}
	cmd := exec.Command(bins.qbdsim, "serve", "--dir", e.simDir, "--addr", "127.0.0.1:0", "--roots", e.ca.RootPath(), "--policy", "always")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	errBuf := &lockedBuffer{}
	cmd.Stderr = errBuf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "http://"); i >= 0 && strings.Contains(line, "simulator on") {
			e.simURL = strings.Fields(line[i:])[0]
			break
		}
	}
	if e.simURL == "" {
		tb.Fatalf("qbdsim serve did not start: %s", errBuf.String())
	}
	go io.Copy(io.Discard, stdout)
	e.sim("POST", "/api/v1/qb/start", nil)
	e.sim("POST", "/api/v1/open", map[string]string{"file": "acme.qbw", "mode": "single", "user": "Admin"})
}

// sim calls the simulator's control API and decodes the answer into out
// (when not nil).
func (e *env) sim(method, path string, body any) []byte {
	e.tb.Helper()
	data, status := e.simTry(method, path, body)
	if status >= 300 {
		e.tb.Fatalf("qbdsim %s %s: %d %s", method, path, status, data)
	}
	return data
}

func (e *env) simTry(method, path string, body any) ([]byte, int) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.simURL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.tb.Fatalf("qbdsim %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return data, resp.StatusCode
}

// exec runs a qbXML request in the simulator as its built-in application.
func (e *env) exec(file, request string) string {
	e.tb.Helper()
	return string(e.sim("POST", "/api/v1/exec", map[string]string{"file": file, "request": request}))
}

// signedConnector copies the connector binary and signs it with a new
// certificate for commonName issued by the test CA.
func (e *env) signedConnector(commonName string) string {
	tb := e.tb
	dst := filepath.Join(tb.TempDir(), "qbconnector")
	data, err := os.ReadFile(bins.connector)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		tb.Fatal(err)
	}
	leaf := e.ca.Issue(tb, commonName, signingtest.Opts{Organization: "qbconnect"})
	if _, _, err := leaf.Signer().SignFile(context.Background(), dst); err != nil {
		tb.Fatalf("signing the connector: %v", err)
	}
	return dst
}

func run(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// connector runs the connector binary's command and returns its output.
func (e *env) connector(args ...string) string {
	e.tb.Helper()
	return run(e.tb, e.program, append([]string{"--data-dir", e.dataDir}, args...)...)
}

// link links the file open in the simulator to connection connID.
func (e *env) link(connID string) {
	e.tb.Helper()
	out := e.connector("link", "--platform", e.platURL, "--code", e.linkCode(connID), "--qbdsim", e.simURL)
	if !strings.Contains(out, "Linked") {
		e.tb.Fatalf("link printed %q", out)
	}
}

// runArgs are the agent's flags in tests: quick probes and back-off so
// that states clear within a test's patience.
var runArgs = []string{"run", "--print-ui-url", "--probe-interval", "300ms", "--heartbeat", "2s",
	"--backoff-min", "50ms", "--backoff-max", "500ms", "--idle-session", "3s", "--begin-timeout", "1s", "--log-level", "debug"}

// startAgent starts `qbconnector run` and waits for its local UI.
func (e *env) startAgent(extra ...string) {
	tb := e.tb
	tb.Helper()
	cmd := exec.Command(e.program, append(append([]string{"--data-dir", e.dataDir}, runArgs...), extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	e.stderr = &lockedBuffer{}
	cmd.Stderr = e.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	e.mu.Lock()
	e.agent = cmd
	e.mu.Unlock()
	tb.Cleanup(func() { e.killAgent() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Local UI: "); ok {
			e.uiURL = u
			break
		}
	}
	if e.uiURL == "" {
		cmd.Wait()
		tb.Fatalf("the connector did not start:\n%s", e.stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	pu, _ := url.Parse(e.uiURL)
	e.token = pu.Query().Get("token")
}

// killAgent SIGKILLs the connector (if running) and waits for it.
func (e *env) killAgent() {
	e.mu.Lock()
	cmd := e.agent
	e.agent = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// stopAgent stops the connector gracefully.
func (e *env) stopAgent() {
	e.mu.Lock()
	cmd := e.agent
	e.agent = nil
	e.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			e.tb.Errorf("the connector did not stop cleanly: %v\n%s", err, e.stderr.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
		e.tb.Fatalf("the connector did not stop within 15 s of SIGTERM:\n%s", e.stderr.String())
	}
}

// ui calls the connector's local API.
func (e *env) ui(method, path string, body any, out any) int {
	e.tb.Helper()
	pu, _ := url.Parse(e.uiURL)
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+pu.Host+path, rd)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.tb.Fatalf("connector UI %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// status returns the connector's status from its local API.
func (e *env) status() connector.Status {
	e.tb.Helper()
	var st connector.Status
	if code := e.ui("GET", "/api/status", nil, &st); code != http.StatusOK {
		e.tb.Fatalf("status: %d", code)
	}
	return st
}

// health returns the platform's health of a connection.
func (e *env) health(connID string) qbconnect.Health {
	e.tb.Helper()
	c, err := e.plat.Connections.LookupConnection(e.ctx, connID)
	if err != nil {
		e.tb.Fatal(err)
	}
	return c.Health
}

// enqueueWrite queues a client's write of a new customer and returns the
// operation.
func (e *env) enqueueWrite(connID, customer string) *qbconnect.Operation {
	e.tb.Helper()
	op, err := e.plat.Queue.Enqueue(e.ctx, &qbconnect.Operation{
		OrgID: e.orgID, ConnectionID: connID, Kind: qbconnect.OpWrite, Priority: qbconnect.PriorityWrite,
		MaxAttempts: 100, Request: customerAdd(customer), MessageSetID: "ms-" + customer,
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	return op
}

func (e *env) op(id string) *qbconnect.Operation {
	e.tb.Helper()
	op, err := e.plat.Queue.FindOperation(e.ctx, e.orgID, id)
	if err != nil {
		e.tb.Fatal(err)
	}
	return op
}

// customerCount counts customers named name in a company file.
func (e *env) customerCount(file, name string) int {
	e.tb.Helper()
	resp := e.exec(file, `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><FullName>`+name+`</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>`)
	return strings.Count(resp, "<CustomerRet>")
}

func customerAdd(name string) string {
	return `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>` +
		name + `</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>`
}

func customerQuery() string {
	return `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq><MaxReturned>5</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`
}

// lockedBuffer is a bytes.Buffer safe for a process writer and a reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
