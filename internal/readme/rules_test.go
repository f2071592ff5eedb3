package readme

import (
	"fmt"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/internal/clidoc"
	"github.com/qbconnect/qbconnect/internal/demo"
)

// How a README command runs. Most run as written, in a fresh folder (the
// workspace) shared by all of them in README order, with the project's
// binaries on PATH and a running platform and simulator to talk to. The
// rules below are general, so that a new command usually needs no change
// here; a command that cannot run here must be listed in notHere, with the
// reason, so that nothing is skipped silently.

// kind is how a command is run.
type kind int

const (
	// runs: run to completion; a non-zero exit fails the test.
	runs kind = iota
	// serves: a server or a demo that runs until interrupted: start it,
	// wait for its ready line, interrupt it (SIGINT, as Ctrl+C does) and
	// expect it to exit cleanly.
	serves
	// lists: a `go test` with -run or -bench: the test suite runs the
	// tests themselves, so the command is checked with `go test -list`,
	// which compiles its packages and must find at least one test or
	// benchmark that the pattern matches.
	lists
	// skipped: cannot run here; notHere says why.
	skipped
	// missing: a tool the command needs is not installed, as a test
	// whose package is missing skips.
	missing
)

// tools are programs the README may use that a machine may lack; a command
// whose program is neither one of these nor installed is an error (a
// diagram or an output fenced as a command block, or a typo).
var tools = []string{"curl", "jq", "openssl", "osslsigncode", "psql", "wixl", "msiinfo", "xmllint", "chromium"}

// server is a long-running command: what it prints when it is ready, the
// flags that make it exit by itself instead, and the flag that sets its
// listening address (forced to a free loopback port, as every test binds
// 127.0.0.1:0).
type server struct {
	words  []string // the program and sub-commands
	ready  string
	exits  []string
	listen string
}

// servers are the project's long-running commands.
var servers = []server{
	{words: []string{"qbconnect", "demo"}, ready: demo.RunningLine, exits: []string{"--exit-after-sync"}},
	{words: []string{"qbconnect", "serve"}, ready: "qbconnect serving on", listen: "--addr"},
	{words: []string{"qbdsim", "serve"}, ready: "QuickBooks simulator on", listen: "--addr"},
	{words: []string{"qbconnector", "run"}, ready: "http://127.0.0.1:", exits: []string{"--help"}},
	{words: []string{"qbdsim", "webconnector", "run"}, ready: `"update"`, exits: []string{"--once"}},
}

// notHere are the README's commands that cannot run on this machine, by
// their text as written without the trailing comment, and why. The test fails when a rule below finds
// a command that cannot run and is not listed here, and when an entry
// names no command of the README or one that can run.
var notHere = map[string]string{
	"go test ./...": "the whole test suite, of which this test is a part: CI runs it (.ci/run)",
	"./qbconnect serve --db 'postgres://qbconnect@db.internal:5432/qbconnect?sslmode=require' --addr 0.0.0.0:8080": "an example database host (db.internal); the same serve runs here on SQLite",
	"qbconnector link --platform https://platform.example.com --code ABCD-1234":                                    "an end user's link on Windows, to an example platform; the same link with --qbdsim runs",
}

// programs are the project's binaries, found on PATH (built once for the
// test run) and as ./NAME in the workspace.
var programs = []string{"qbconnect", "qbconnector", "qbdsim"}

// plan is how one command runs.
type plan struct {
	kind   kind
	why    string   // of skipped: the reason a rule found
	script string   // the bash text to run
	inRepo bool     // run in the repository (go commands need the module) instead of the workspace
	server server   // of serves
	list   []string // of lists: the go test -list arguments
}

var (
	goRun     = regexp.MustCompile(`\bgo run \./cmd/([a-z]+)\b`)
	outFlag   = regexp.MustCompile(`(\s-o\s+)([^\s'"]+)`)
	addrFlag  = regexp.MustCompile(`\s--addr[ =]\S+`)
	urlHost   = regexp.MustCompile(`\b([a-z][a-z0-9+.-]*)://(?:[^@/\s'"]*@)?([^/:\s'"?]+)`)
	loopbacks = []string{"127.0.0.1", "localhost", "::1", "[::1]"}
)

// words returns a command's words without leading VAR=value assignments,
// with `go run ./cmd/NAME` and ./NAME read as the program NAME.
func words(text string) ([]string, error) {
	w, err := clidoc.Split(goRun.ReplaceAllString(text, "$1"))
	if err != nil {
		return nil, err
	}
	for len(w) > 0 && strings.Contains(w[0], "=") && !strings.HasPrefix(w[0], "-") {
		w = w[1:]
	}
	if len(w) > 0 && strings.HasPrefix(w[0], "./") && slices.Contains(programs, path.Base(w[0])) {
		w[0] = path.Base(w[0])
	}
	return w, nil
}

// classify decides how c runs, with work as the workspace's path.
func classify(c command, work string) (plan, error) {
	text := c.Text
	w, err := words(text)
	if err != nil {
		return plan{}, err
	}
	if len(w) == 0 {
		return plan{}, fmt.Errorf("no command")
	}
	if !slices.Contains(programs, w[0]) {
		if _, err := exec.LookPath(w[0]); err != nil {
			if slices.Contains(tools, w[0]) {
				return plan{kind: missing, why: w[0] + " is not installed here (.ci/run installs it)"}, nil
			}
			return plan{}, fmt.Errorf("%q is not a program here; if the block is not commands, fence it as ```text", w[0])
		}
	}
	p := plan{script: goRun.ReplaceAllString(text, "$1")}
	if why := cannotRun(w, text); why != "" {
		return plan{kind: skipped, why: why}, nil
	}
	if w[0] == "go" {
		p.inRepo = true
		// Files a go command writes (-o) belong in the workspace, where
		// the README's next commands use them.
		p.script = outFlag.ReplaceAllStringFunc(p.script, func(m string) string {
			sub := outFlag.FindStringSubmatch(m)
			if strings.HasPrefix(sub[2], "/") || strings.HasPrefix(sub[2], "$") {
				return m
			}
			return sub[1] + shellQuote(path.Join(work, sub[2]))
		})
		if len(w) > 1 && w[1] == "test" {
			pattern := flagValue(w, "-run")
			if b := flagValue(w, "-bench"); b != "" {
				pattern = b
			}
			if pattern == "" {
				return plan{kind: skipped, why: "runs whole test packages, which the suite runs itself"}, nil
			}
			var pkgs []string
			for _, a := range w[2:] {
				if strings.HasPrefix(a, "./") {
					pkgs = append(pkgs, a)
				}
			}
			// -run '^$' as well: a TestMain that checks what a full run
			// covered (api's) must see a partial run.
			return plan{kind: lists, inRepo: true, list: append([]string{"test", "-list", pattern, "-run", "^$"}, pkgs...)}, nil
		}
	}
	for _, s := range servers {
		if len(w) < len(s.words) || !slices.Equal(w[:len(s.words)], s.words) || slices.ContainsFunc(s.exits, func(f string) bool { return slices.Contains(w, f) }) {
			continue
		}
		p.kind, p.server = serves, s
		if s.listen != "" {
			code := stripComment(p.script)
			if addrFlag.MatchString(" " + code) {
				code = strings.TrimSpace(addrFlag.ReplaceAllString(" "+code, " "+s.listen+" 127.0.0.1:0"))
			} else {
				code += " " + s.listen + " 127.0.0.1:0"
			}
			p.script = code
		}
		return p, nil
	}
	return p, nil
}

// cannotRun returns why a command cannot run here, or "".
func cannotRun(w []string, text string) string {
	// The connector talks to QuickBooks through COM, which only Windows
	// has, unless it is pointed at the simulator.
	if w[0] == "qbconnector" && len(w) > 1 {
		switch {
		case w[1] == "service":
			return "a Windows service"
		case (w[1] == "link" || w[1] == "run") && !slices.ContainsFunc(w, func(s string) bool { return strings.HasPrefix(s, "--qbdsim") }):
			return "talks to QuickBooks Desktop, on Windows (add --qbdsim ADDR to use the simulator)"
		}
	}
	for _, m := range urlHost.FindAllStringSubmatch(stripComment(text), -1) {
		if host := m[2]; !slices.Contains(loopbacks, host) && !strings.HasPrefix(host, "$") && m[1] != "sqlite" {
			return "names a host that is not here: " + host
		}
	}
	return ""
}

// flagValue returns the value of flag in w ("-run X" or "-run=X").
func flagValue(w []string, flag string) string {
	for i, a := range w {
		if a == flag && i+1 < len(w) {
			return w[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

// stripComment returns a command line without its trailing "# comment",
// reading quotes as a shell does.
func stripComment(line string) string {
	quote := byte(0)
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else if ch == '\\' && quote == '"' {
				i++
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '\\':
			i++
		case ch == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return strings.TrimSpace(line[:i])
		}
	}
	return strings.TrimSpace(line)
}

// shellQuote quotes s for bash.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// placeholders returns the $NAMEs a command uses (outside single quotes).
func placeholders(text string) []string {
	var names []string
	quote := byte(0)
	for i := 0; i < len(text); i++ {
		ch := text[i]
		switch {
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			}
		case ch == '\'' && quote == 0:
			quote = ch
		case ch == '"':
			if quote == '"' {
				quote = 0
			} else {
				quote = ch
			}
		case ch == '$' && i+1 < len(text):
			j := i + 1
			if text[j] == '{' {
				j++
			}
			k := j
			for k < len(text) && (text[k] == '_' || text[k] >= 'A' && text[k] <= 'Z' || text[k] >= 'a' && text[k] <= 'z' || text[k] >= '0' && text[k] <= '9' && k > j) {
				k++
			}
			if k > j && !slices.Contains(names, text[j:k]) {
				names = append(names, text[j:k])
			}
		}
	}
	return names
}

func TestClassifyRunsMostCommandsAsWrittenAndSaysWhyNot(t *testing.T) {
	work := "/w"
	for _, tc := range []struct {
		text string
		want plan
	}{
		{"go run ./cmd/qbconnect demo --exit-after-sync   # counts", plan{kind: runs, script: "qbconnect demo --exit-after-sync   # counts"}},
		{"go run ./cmd/qbconnect demo --scenario qb-closed", plan{kind: serves, script: "qbconnect demo --scenario qb-closed", server: servers[0]}},
		{"./qbconnect serve --addr 0.0.0.0:8080   # public", plan{kind: serves, script: "./qbconnect serve --addr 127.0.0.1:0", server: servers[1]}},
		{"qbdsim serve --dir ./companies", plan{kind: serves, script: "qbdsim serve --dir ./companies --addr 127.0.0.1:0", server: servers[2]}},
		{"go build -o qbconnect ./cmd/qbconnect", plan{kind: runs, script: "go build -o /w/qbconnect ./cmd/qbconnect", inRepo: true}},
		{"go test ./e2e -run Rotation", plan{kind: lists, inRepo: true, list: []string{"test", "-list", "Rotation", "-run", "^$", "./e2e"}}},
		{"go test ./...", plan{kind: skipped, why: "runs whole test packages, which the suite runs itself"}},
		{"qbconnector link --platform http://127.0.0.1:8080 --code X", plan{kind: skipped, why: "talks to QuickBooks Desktop, on Windows (add --qbdsim ADDR to use the simulator)"}},
		{"qbconnector link --platform $BASE --code $CODE --qbdsim $QBDSIM_ADDR", plan{kind: runs, script: "qbconnector link --platform $BASE --code $CODE --qbdsim $QBDSIM_ADDR"}},
		{"curl -s https://qb.example.com/v1/companies", plan{kind: skipped, why: "names a host that is not here: qb.example.com"}},
		{`curl -s -H "Authorization: Bearer $KEY" $BASE/v1/companies`, plan{kind: runs, script: `curl -s -H "Authorization: Bearer $KEY" $BASE/v1/companies`}},
		{"qbconnect admin --db sqlite:qbconnect.db org list", plan{kind: runs, script: "qbconnect admin --db sqlite:qbconnect.db org list"}},
	} {
		got, err := classify(command{Text: tc.text}, work)
		if err != nil {
			t.Errorf("%s: %v", tc.text, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(plan{}, server{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.text, diff)
		}
	}
	if _, err := classify(command{Text: "client ──▶ platform"}, work); err == nil || !strings.Contains(err.Error(), "```text") {
		t.Errorf("a diagram line: %v", err)
	}
	if got := placeholders(`curl -H "Authorization: Bearer $KEY" -d '{"a":"$NOT"}' ${BASE}/v1/companies/$COMPANY/x`); !slices.Equal(got, []string{"KEY", "BASE", "COMPANY"}) {
		t.Errorf("placeholders: %q", got)
	}
	if got := stripComment(`qbdsim modal show "a # b" # comment`); got != `qbdsim modal show "a # b"` {
		t.Errorf("stripComment: %q", got)
	}
}
