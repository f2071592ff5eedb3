package clidoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

func TestSplitReadsQuotesEscapesAndStopsAtCommentsAndPipes(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{`qbdsim company create acme.qbw --name "Acme Plumbing" --seed 7`, []string{"qbdsim", "company", "create", "acme.qbw", "--name", "Acme Plumbing", "--seed", "7"}},
		{`./qbconnect serve --db 'postgres://u@h/db?sslmode=require'   # a comment`, []string{"./qbconnect", "serve", "--db", "postgres://u@h/db?sslmode=require"}},
		{`qbconnect qbxml validate - < req.xml`, []string{"qbconnect", "qbxml", "validate", "-"}},
		{`a\ b "say \"hi\"" c#d`, []string{"a b", `say "hi"`, "c#d"}},
		{`qbdsim exec --company a.qbw req.xml | head`, []string{"qbdsim", "exec", "--company", "a.qbw", "req.xml"}},
	} {
		got, err := Split(tc.line)
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.line, diff)
		}
	}
	if _, err := Split(`echo "open`); err == nil {
		t.Error("an unterminated quote was accepted")
	}
}

func TestLinesJoinsContinuationsAndDropsComments(t *testing.T) {
	got := Lines("  # set up\n  tool a --x 1 \\\n      --y 2   # both\n\n  tool b\n")
	want := []string{"tool a --x 1 --y 2   # both", "tool b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// tool is a small command tree with the mistakes Check must catch.
func tool(ex Examples) func() *cobra.Command {
	return func() *cobra.Command {
		root := &cobra.Command{Use: "tool"}
		get := &cobra.Command{Use: "get NAME", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }}
		get.Flags().String("addr", "", "address of the running `tool serve`")
		put := &cobra.Command{Use: "put --to X", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return nil }}
		put.Flags().String("to", "", "target")
		put.MarkFlagRequired("to")
		group := &cobra.Command{Use: "group"}
		group.AddCommand(&cobra.Command{Use: "leaf", Run: func(*cobra.Command, []string) {}})
		root.AddCommand(get, put, group)
		Apply(root, ex)
		return root
	}
}

// recorder keeps a check's failures instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, f) }

func TestCheckFindsMissingBrokenAndStaleExamplesAndBacktickUsages(t *testing.T) {
	ex := Examples{
		"get":        "tool get --adr x NAME", // unknown flag
		"put":        "tool put",              // required flag missing
		"group leaf": "tool group leaf",
		"gone":       "tool gone", // names no command
	}
	r := &recorder{TB: t}
	Check(r, tool(ex), ex)
	// group has no example; get's flag has backticks; get's example has an
	// unknown flag; put's lacks --to; "gone" is stale.
	if len(r.errs) != 5 {
		t.Errorf("Check reported %d problems, want 5: %q", len(r.errs), r.errs)
	}

	good := Examples{"get": "tool get acme   # one", "put": "tool put --to x", "group": "tool group leaf", "group leaf": "tool group leaf"}
	r = &recorder{TB: t}
	Check(r, tool(good), good)
	if len(r.errs) != 1 { // only the backtick usage
		t.Errorf("Check of good examples reported %q, want only the backtick usage", r.errs)
	}
}
