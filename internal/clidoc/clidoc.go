// Package clidoc keeps the help of the project's commands honest: it gives
// every cobra command its example from one table per binary (so that the
// examples read as a whole, and a flag added elsewhere never conflicts with
// them), and its Check, run by each binary's tests, fails when a command
// has no example, when an example no longer parses (an unknown flag, a
// missing argument or required flag), or when a flag's usage text holds
// backticks, which pflag turns into the flag's placeholder name
// ("--addr qbdsim serve").
//
// Only cmd/... and their tests import it.
package clidoc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Examples maps a command's path without the binary's name ("serve",
// "admin org create") to its cobra Example text: one or more command lines,
// each optionally followed by a "# comment", continued with a trailing
// backslash.
type Examples map[string]string

// Apply sets the Example of every command of root that the table names.
// Commands it does not name keep theirs; Check reports both gaps and
// entries that name no command.
func Apply(root *cobra.Command, ex Examples) {
	Walk(root, func(c *cobra.Command) {
		if e, ok := ex[Path(c)]; ok {
			c.Example = indent(e)
		}
	})
}

// indent indents each line by two spaces, as cobra's own help does;
// continuation lines keep their own further indentation.
func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// Path is the command's path below the root: "admin org create".
func Path(c *cobra.Command) string {
	full := c.CommandPath()
	if i := strings.IndexByte(full, ' '); i >= 0 {
		return full[i+1:]
	}
	return ""
}

// Walk calls fn for every command below root (not root itself, nor cobra's
// help and completion commands, nor hidden ones), parents before children.
func Walk(root *cobra.Command, fn func(*cobra.Command)) {
	for _, c := range root.Commands() {
		if c.Name() == "help" || c.Name() == "completion" || c.Hidden {
			continue
		}
		fn(c)
		Walk(c, fn)
	}
}

// Check fails tb for every command of the tree newRoot builds that has no
// example, whose example does not parse, or whose flags' usage holds a
// backtick, and for every entry of ex that names no command. newRoot must
// build a fresh tree on each call: parsing an example sets its flags.
func Check(tb testing.TB, newRoot func() *cobra.Command, ex Examples) {
	tb.Helper()
	root := newRoot()
	seen := map[string]bool{}
	Walk(root, func(c *cobra.Command) {
		p := Path(c)
		seen[p] = true
		if strings.TrimSpace(c.Example) == "" {
			tb.Errorf("%s: no example: add one to the examples table", c.CommandPath())
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "`") {
				tb.Errorf("%s --%s: the usage %q has backticks, which the help shows as the flag's value name: use quotes", c.CommandPath(), f.Name, f.Usage)
			}
		})
		for _, line := range Lines(c.Example) {
			if err := Parse(newRoot, root.Name(), line); err != nil {
				tb.Errorf("%s: the example %q does not parse: %v", c.CommandPath(), line, err)
			}
		}
	})
	var stale []string
	for p := range ex {
		if !seen[p] {
			stale = append(stale, p)
		}
	}
	sort.Strings(stale)
	for _, p := range stale {
		tb.Errorf("the examples table names %q, which is not a command of %s", p, root.Name())
	}
}

// Lines returns the command lines of an example: continuations joined,
// comments and blank lines dropped.
func Lines(example string) []string {
	var out []string
	cur := ""
	for _, l := range strings.Split(example, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSpace(strings.TrimSuffix(l, "\\")) + " "
			continue
		}
		cur += l
		if s := strings.TrimSpace(cur); s != "" && !strings.HasPrefix(s, "#") {
			out = append(out, s)
		}
		cur = ""
	}
	return out
}

// Parse checks that line, a command line of the binary called name, names
// a runnable command of a fresh tree with flags it knows, the arguments it
// accepts and its required flags. A line that starts with another program
// (an example may pipe or prepare) is not checked.
func Parse(newRoot func() *cobra.Command, name, line string) error {
	words, err := Split(line)
	if err != nil {
		return err
	}
	// Leading VAR=value assignments set the environment, as in a shell.
	for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
		words = words[1:]
	}
	if len(words) == 0 || (words[0] != name && !strings.HasSuffix(words[0], "/"+name)) {
		return nil
	}
	root := newRoot()
	c, rest, err := root.Find(words[1:])
	if err != nil {
		return err
	}
	if c == root {
		return errors.New("names no command")
	}
	if !c.Runnable() {
		return fmt.Errorf("%s is a group: name one of its commands", c.CommandPath())
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	if err := c.ValidateArgs(c.Flags().Args()); err != nil {
		return err
	}
	if err := c.ValidateRequiredFlags(); err != nil {
		return err
	}
	return c.ValidateFlagGroups()
}

// Split splits a command line into words as a POSIX shell would for the
// simple lines of examples and READMEs: single and double quotes,
// backslash escapes, and the line ends at a "#" comment or at a pipe,
// redirection or command separator.
func Split(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case !inWord && strings.IndexByte("#|;&<>", ch) >= 0, inWord && strings.IndexByte("|;&<>", ch) >= 0:
			if inWord {
				words = append(words, cur.String())
			}
			return words, nil
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
