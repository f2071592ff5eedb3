// Package cliout gives the project's three command-line programs one
// behaviour where scripts depend on it: the --format text|json|jsonl flag
// of every command that lists or shows something, the --log-level and
// --log-format flags of every long-running command, and the exit status
// (2 for a usage error, 1 for any other failure).
//
// Only cmd/... import it.
package cliout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
)

// Format is how a command prints what it lists or shows.
type Format string

// The formats of --format.
const (
	// Text is for people: a table, or lines of words.
	Text Format = "text"
	// JSON is one JSON document: an array for a list, an object for one thing.
	JSON Format = "json"
	// JSONL is one JSON object per line (a list's items, or the one thing
	// shown), for line-oriented tools.
	JSONL Format = "jsonl"
)

// formatValue is --format as a pflag.Value, so that a bad value is a flag
// error (a usage error, exit 2) before the command runs.
type formatValue struct {
	f   *Format
	cmd *cobra.Command
}

func (v formatValue) String() string { return string(*v.f) }
func (v formatValue) Type() string   { return "text|json|jsonl" }

func (v formatValue) Set(s string) error {
	switch f := Format(strings.ToLower(s)); f {
	case Text, JSON, JSONL:
		*v.f = f
	case "table":
		// "table" was the name of text on companies list and records
		// before the formats were unified; scripts may still pass it.
		*v.f = Text
		deprecated(v.cmd, "--format table", "use --format text")
	default:
		return fmt.Errorf("want text, json or jsonl, not %q", s)
	}
	return nil
}

// deprecated tells the user on standard error that a spelling will go.
// Not pflag's MarkDeprecated: cobra prints its notice on the command's
// output, which is standard output once set, and would corrupt the JSON
// that --json asks for.
func deprecated(cmd *cobra.Command, what, instead string) {
	fmt.Fprintf(cmd.ErrOrStderr(), "%s is deprecated: %s\n", what, instead)
}

// jsonAlias is the deprecated --json boolean: true means --format json.
type jsonAlias struct {
	f   *Format
	cmd *cobra.Command
}

func (v jsonAlias) String() string { return fmt.Sprint(*v.f == JSON) }
func (v jsonAlias) Type() string   { return "bool" }
func (v jsonAlias) IsBoolFlag() bool {
	return true
}

func (v jsonAlias) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1", "t":
		*v.f = JSON
		deprecated(v.cmd, "--json", "use --format json")
	case "false", "0", "f":
		if *v.f == JSON {
			*v.f = Text
		}
	default:
		return fmt.Errorf("want true or false, not %q", s)
	}
	return nil
}

// AddFormat adds --format to cmd with the default def and returns where
// the parsed value lands. A value other than text, json or jsonl (or the
// old name table, read as text) is a usage error.
func AddFormat(cmd *cobra.Command, def Format) *Format {
	f := new(Format)
	*f = def
	cmd.Flags().Var(formatValue{f, cmd}, "format", "output: text (for people), json (one JSON document) or jsonl (one JSON object per line)")
	return f
}

// AddJSONAlias adds the deprecated --json flag, which sets f to JSON, to
// a command that had it before --format; the help no longer shows it and
// using it prints a deprecation notice on standard error.
func AddJSONAlias(cmd *cobra.Command, f *Format) {
	fl := cmd.Flags().VarPF(jsonAlias{f, cmd}, "json", "", "print JSON (deprecated: use --format json)")
	fl.NoOptDefVal = "true"
	fl.Hidden = true
}

// Show prints one thing in format f: text calls text, json writes v
// indented, jsonl writes v on one line.
func Show(w io.Writer, f Format, v any, text func(io.Writer) error) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case JSONL:
		return json.NewEncoder(w).Encode(v)
	}
	return text(w)
}

// List prints a list in format f: text calls text, json writes one array
// (never null: an empty list is []), jsonl writes one item per line.
// items must be a slice.
func List(w io.Writer, f Format, items any, text func(io.Writer) error) error {
	if f == Text {
		return text(w)
	}
	rv := reflect.ValueOf(items)
	if rv.Kind() != reflect.Slice {
		return fmt.Errorf("cliout.List: %T is not a slice", items)
	}
	p := NewPrinter(w, f)
	for i := 0; i < rv.Len(); i++ {
		if err := p.Item(rv.Index(i).Interface()); err != nil {
			return err
		}
	}
	return p.Close()
}

// Printer writes a list item by item in json or jsonl, for commands that
// fetch a list page by page and should not hold it all: json opens the
// array at the first item and Close ends it.
type Printer struct {
	w io.Writer
	f Format
	n int
}

// NewPrinter returns a Printer of items in f, which must be JSON or JSONL.
func NewPrinter(w io.Writer, f Format) *Printer { return &Printer{w: w, f: f} }

// Item writes one item.
func (p *Printer) Item(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if p.f == JSONL {
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		p.n++
		return err
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, b, "  ", "  "); err != nil {
		return err
	}
	sep := ",\n  "
	if p.n == 0 {
		sep = "[\n  "
	}
	p.n++
	_, err = fmt.Fprintf(p.w, "%s%s", sep, ind.Bytes())
	return err
}

// Close ends the list: "]" in json ("[]" when it had no item).
func (p *Printer) Close() error {
	if p.f != JSON {
		return nil
	}
	if p.n == 0 {
		_, err := io.WriteString(p.w, "[]\n")
		return err
	}
	_, err := io.WriteString(p.w, "\n]\n")
	return err
}
