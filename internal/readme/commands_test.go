package readme

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// command is one command line of the README: a line of a code block, with
// its continuation lines joined.
type command struct {
	Line int    // where it starts in README.md, from 1
	Text string // as written, without the continuation backslashes
}

// shellInfo are the info strings of fenced blocks that hold commands; a
// fenced block with any other (```text for a diagram, ```json) is not
// commands. Indented blocks are always commands.
var shellInfo = map[string]bool{"": true, "sh": true, "shell": true, "bash": true, "console": true}

// commands returns the command lines of the markdown text md: the lines of
// fenced blocks with a shell (or no) info string and of indented blocks,
// continuations joined, blank lines and whole-line comments dropped.
func commands(md string) []command {
	var out []command
	var cur *command
	add := func(n int, line string) {
		line = strings.TrimSpace(line)
		if cur == nil && (line == "" || strings.HasPrefix(line, "#")) {
			return
		}
		if cur == nil {
			cur = &command{Line: n}
		}
		if strings.HasSuffix(line, "\\") {
			cur.Text += strings.TrimSpace(strings.TrimSuffix(line, "\\")) + " "
			return
		}
		cur.Text += line
		out = append(out, *cur)
		cur = nil
	}
	lines := strings.Split(md, "\n")
	fence, shell := "", false
	indented, prevBlank := false, true
	for i, l := range lines {
		n := i + 1
		t := strings.TrimSpace(l)
		if fence != "" {
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
				prevBlank = false
				continue
			}
			if shell {
				add(n, l)
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			shell = shellInfo[strings.TrimSpace(strings.TrimLeft(t, fence[:1]))]
			indented = false
			continue
		}
		isCode := (strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t")) && t != ""
		switch {
		case isCode && (prevBlank || indented):
			indented = true
			add(n, l)
		case t == "":
			// A blank line may sit inside an indented block.
		default:
			indented = false
		}
		prevBlank = t == ""
	}
	return out
}

func TestCommandsAreTheLinesOfShellAndIndentedBlocks(t *testing.T) {
	md := "# Title\n\n" +
		"Run it:\n\n" +
		"    go run ./cmd/qbconnect demo        # the demo\n" +
		"    go test ./...\n\n" +
		"A paragraph\n    with a lazy indented continuation that is not code.\n\n" +
		"```text\n client ──▶ platform\n```\n\n" +
		"```sh\n# a comment line\ncurl -s -H \"Authorization: Bearer $KEY\" \\\n     -d '{}' $BASE/v1/companies\n```\n\n" +
		"```json\n{\"not\": \"a command\"}\n```\n"
	got := commands(md)
	want := []command{
		{Line: 5, Text: "go run ./cmd/qbconnect demo        # the demo"},
		{Line: 6, Text: "go test ./..."},
		{Line: 17, Text: `curl -s -H "Authorization: Bearer $KEY" -d '{}' $BASE/v1/companies`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
