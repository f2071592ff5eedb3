//go:build !windows

// The README's commands run in bash, in process groups: on Linux and
// macOS, as in CI.

package readme

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/internal/testenv"
)

// bins are the project's binaries, built once for the package.
var bins *testenv.Binaries

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, &bins))
}

// Deadlines of one command. The first `go build` of a fresh checkout takes
// minutes on a small machine; everything else takes seconds.
const (
	runTimeout   = 10 * time.Minute
	readyTimeout = 5 * time.Minute
	stopTimeout  = time.Minute
)

// env is what the README's commands run against: a workspace folder, the
// project's binaries on PATH, a running platform (`qbconnect serve` on
// the workspace's qbconnect.db, which the README's admin and release
// commands also use) and a running simulator serving the workspace's
// companies folder, and the values of the placeholders the README uses.
type env struct {
	t    *testing.T
	repo string
	work string
	vars []string // VAR=value for every command
	plat *testenv.Platform
	// placeholders give the value of a $NAME when a command uses it,
	// from the environment's state at that moment, as a reader's shell
	// would have it after the README's commands before.
	placeholders map[string]func() (string, error)
	// literals are illustrative values written in the README and the
	// real values they stand for here.
	literals map[string]func() (string, error)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	repo, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, repo: repo, work: t.TempDir()}
	// ./qbconnect and friends, as after `go build -o NAME ./cmd/NAME`;
	// the README's own go build replaces them.
	for _, p := range programs {
		if err := os.Symlink(filepath.Join(bins.Dir, p), filepath.Join(e.work, p)); err != nil {
			t.Fatal(err)
		}
	}
	// curl exits 0 on an HTTP error unless told otherwise.
	curlHome := t.TempDir()
	if err := os.WriteFile(filepath.Join(curlHome, ".curlrc"), []byte("fail-with-body\nshow-error\nmax-time = 120\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	companies := filepath.Join(e.work, "companies")
	if err := os.MkdirAll(companies, 0o755); err != nil {
		t.Fatal(err)
	}
	_, simURL := testenv.Start(t, bins.QBDSim, []string{"serve", "--dir", companies, "--addr", "127.0.0.1:0", "--policy", "always"}, testenv.URLAfter("simulator on"))
	e.plat = testenv.StartPlatform(t, bins, testenv.PlatformOptions{DB: "sqlite:" + filepath.Join(e.work, "qbconnect.db"), Org: "README Lender"})
	spare := strings.TrimSpace(testenv.Run(t, bins.QBConnect, "admin", "--db", e.plat.DB, "apikey", "create", "--org", e.plat.OrgID, "--name", "to revoke"))
	e.vars = []string{
		"PATH=" + bins.Dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"CURL_HOME=" + curlHome,
		"QBCONNECT_SERVER=" + e.plat.URL,
		"QBCONNECT_API_KEY=" + e.plat.APIKey,
		"QBDSIM_ADDR=" + strings.TrimPrefix(simURL, "http://"),
		// The connector keeps its data in the workspace, not the
		// user's profile.
		connector.DataDirEnv + "=" + filepath.Join(e.work, "connector-data"),
	}
	company := ""
	e.placeholders = map[string]func() (string, error){
		"BASE": func() (string, error) { return e.plat.URL, nil },
		"KEY":  func() (string, error) { return e.plat.APIKey, nil },
		"ORG":  func() (string, error) { return e.plat.OrgID, nil },
		// A company the README's commands create a connection for.
		"COMPANY": func() (string, error) {
			if company == "" {
				c, err := e.plat.Client().CreateCompany(context.Background(), client.CreateCompanyRequest{Name: "README Company"})
				if err != nil {
					return "", err
				}
				company = c.ID
			}
			return company, nil
		},
		// The company's connection, created by the README's command
		// before (or here when none did).
		"CONNECTION": func() (string, error) {
			id, err := e.placeholders["COMPANY"]()
			if err != nil {
				return "", err
			}
			cl := e.plat.Client()
			list, err := cl.ListConnections(context.Background(), id)
			if err != nil {
				return "", err
			}
			for _, c := range list {
				if c.Status != qbconnect.StatusUnlinked {
					return c.ID, nil
				}
			}
			c, err := cl.CreateConnection(context.Background(), id, qbconnect.KindConnector)
			if err != nil {
				return "", err
			}
			return c.ID, nil
		},
		"QBDSIM_ADDR": func() (string, error) { return strings.TrimPrefix(simURL, "http://"), nil },
		// A link code a client made for a new company's connection, as
		// the business's staff receive it.
		"CODE": func() (string, error) {
			_, conn := e.plat.CreateCompany("README Linked Company")
			return e.plat.LinkCode(conn), nil
		},
	}
	for _, v := range []string{"HOME", "PATH", "PWD", "QBCONNECT_API_KEY", "QBCONNECT_SERVER"} {
		e.placeholders[v] = func() (string, error) { return "", nil } // set by the shell or e.vars
	}
	e.literals = map[string]func() (string, error){
		// An API key's prefix (qbk_live_ and 8 characters): a spare key's.
		"qbk_live_abcd1234": func() (string, error) { return spare[:len("qbk_live_")+8], nil },
		// The simulator's default address: the running one's.
		"127.0.0.1:8765": func() (string, error) { return strings.TrimPrefix(simURL, "http://"), nil },
	}
	return e
}

// prepare returns the command's script with illustrative literals
// replaced, and the environment with its placeholders' values.
func (e *env) prepare(script string) (string, []string, error) {
	vars := slices.Clone(e.vars)
	for lit, value := range e.literals {
		if strings.Contains(script, lit) {
			v, err := value()
			if err != nil {
				return "", nil, err
			}
			script = strings.ReplaceAll(script, lit, v)
		}
	}
	for _, name := range placeholders(script) {
		value, ok := e.placeholders[name]
		if !ok {
			return "", nil, fmt.Errorf("$%s has no value here: give it one in the placeholders of newEnv", name)
		}
		v, err := value()
		if err != nil {
			return "", nil, fmt.Errorf("$%s: %w", name, err)
		}
		if v != "" {
			vars = append(vars, name+"="+v)
		}
	}
	return script, vars, nil
}

// shell returns bash running script in the workspace (or the repository),
// in its own process group so that an interrupt reaches the program it
// starts.
func (e *env) shell(ctx context.Context, p plan, script string, vars []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = e.work
	if p.inRepo {
		cmd.Dir = e.repo
	}
	cmd.Env = append(os.Environ(), vars...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// run runs a command to completion.
func (e *env) run(t *testing.T, p plan) {
	script, vars, err := e.prepare(p.script)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := e.shell(ctx, p, script, vars)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	t.Logf("%s\n%s", script, tail(string(out), 15))
}

// serve starts a long-running command, waits for its ready line, and
// interrupts it as Ctrl+C does: it must then exit cleanly.
func (e *env) serve(t *testing.T, p plan) {
	script, vars, err := e.prepare(p.script)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout+stopTimeout)
	defer cancel()
	cmd := e.shell(ctx, p, script, vars)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	out := &testenv.LockedBuffer{}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if !found && strings.Contains(sc.Text(), p.server.ready) {
				found = true
				ready <- true
			}
		}
		if !found {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("%s ended before it printed %q:\n%s", script, p.server.ready, out.String())
		}
	case <-time.After(readyTimeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		t.Fatalf("%s did not print %q within %s:\n%s", script, p.server.ready, readyTimeout, out.String())
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s, interrupted once ready: %v\n%s", script, err, out.String())
	}
	t.Logf("%s\n%s", script, tail(out.String(), 15))
}

// list checks a go test command with go test -list: its packages compile
// and its pattern names at least one test or benchmark.
func (e *env) listTests(t *testing.T, p plan) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", p.list...)
	cmd.Dir = e.repo
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(p.list, " "), err, out)
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "Test") || strings.HasPrefix(l, "Benchmark") || strings.HasPrefix(l, "Example") || strings.HasPrefix(l, "Fuzz") {
			names = append(names, l)
		}
	}
	if len(names) == 0 {
		t.Fatalf("go %s finds nothing to run: the README's pattern matches no test or benchmark\n%s", strings.Join(p.list, " "), out)
	}
	t.Logf("go %s: %s", strings.Join(p.list, " "), strings.Join(names, ", "))
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// readmePath is the repository's README.md.
func readmePath(t *testing.T) string {
	t.Helper()
	repo, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(repo, "README.md")
}

// readme reads the repository's README.md.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(readmePath(t))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var subtestName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// TestReadmeCommandsRun runs every command of the README's code blocks
// that can run here, in README order, each as a subtest named after its
// line; commands that cannot run here are listed in notHere with the
// reason.
func TestReadmeCommandsRun(t *testing.T) {
	md := readme(t)
	e := newEnv(t)
	listed := map[string]bool{}
	for _, c := range commands(md) {
		p, err := classify(c, e.work)
		if err != nil {
			t.Errorf("README.md:%d %s: %v", c.Line, c.Text, err)
			continue
		}
		key := stripComment(c.Text)
		reason, inList := notHere[key]
		listed[key] = inList
		switch {
		case p.kind == skipped && !inList:
			t.Errorf("README.md:%d %s cannot run here (%s): add it to notHere with the reason, or make it runnable", c.Line, c.Text, p.why)
			continue
		case p.kind != skipped && inList:
			t.Errorf("README.md:%d %s is in notHere (%s) but can run here: remove it from the list", c.Line, c.Text, reason)
			continue
		case p.kind == skipped:
			t.Logf("README.md:%d not run: %s: %s", c.Line, c.Text, reason)
			continue
		case p.kind == missing:
			t.Logf("README.md:%d not run: %s: %s", c.Line, c.Text, p.why)
			continue
		}
		name := fmt.Sprintf("README.md:%d %s", c.Line, c.Text)
		t.Run(strings.Trim(subtestName.ReplaceAllString(name, "_"), "_"), func(t *testing.T) {
			switch p.kind {
			case runs:
				e.run(t, p)
			case serves:
				e.serve(t, p)
			case lists:
				e.listTests(t, p)
			}
		})
	}
	var stale []string
	for text := range notHere {
		if _, ok := listed[text]; !ok {
			stale = append(stale, text)
		}
	}
	sort.Strings(stale)
	for _, text := range stale {
		t.Errorf("notHere lists %q, which is no longer a README command", text)
	}
}

// inlineGoTest finds `go test ...` commands written inline, in the
// benchmark table and in sentences.
var inlineGoTest = regexp.MustCompile("`((?:[A-Z_]+=\\S+ )*go test [^`]+)`")

// TestReadmeInlineTestCommandsFindTheirTests: a `go test` command the README
// names inline (the benchmarks, the end-to-end tests) with -run or -bench
// matches at least one test or benchmark, as the ones in code blocks do.
func TestReadmeInlineTestCommandsFindTheirTests(t *testing.T) {
	md := readme(t)
	e := &env{t: t}
	repo, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	e.repo = repo
	n := 0
	for _, m := range inlineGoTest.FindAllStringSubmatch(md, -1) {
		p, err := classify(command{Text: m[1]}, t.TempDir())
		if err != nil {
			t.Errorf("%s: %v", m[1], err)
			continue
		}
		if p.kind != lists {
			continue // whole packages: the suite runs them
		}
		n++
		t.Run(strings.Trim(subtestName.ReplaceAllString(m[1], "_"), "_"), func(t *testing.T) { e.listTests(t, p) })
	}
	if n == 0 {
		t.Error("found no inline go test command with -run or -bench in the README")
	}
}

// TestReadmeNamesEveryErrorCodeAndWebhookEvent: the README's lists of
// error codes and webhook events are complete.
func TestReadmeNamesEveryErrorCodeAndWebhookEvent(t *testing.T) {
	md := readme(t)
	for _, ev := range qbconnect.EventTypes() {
		if !strings.Contains(md, "`"+string(ev)+"`") {
			t.Errorf("the README does not name the webhook event %s", ev)
		}
	}
	// The codes are the domain's ErrorCode constants, read from its
	// source so that a new code needs no change here.
	src, err := os.ReadFile(filepath.Join(filepath.Dir(readmePath(t)), "error.go"))
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range regexp.MustCompile(`ErrorCode = "([a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		codes = append(codes, m[1])
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d error codes in error.go: %q", len(codes), codes)
	}
	for _, c := range codes {
		if !strings.Contains(md, "`"+c+"`") {
			t.Errorf("the README does not name the error code %s", c)
		}
	}
}
