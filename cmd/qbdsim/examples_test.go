package main

import (
	"testing"

	"github.com/qbconnect/qbconnect/internal/clidoc"
)

// TestEveryCommandHasAnExampleThatParses: every command's help shows an
// example, each example names flags and arguments the command accepts,
// and no flag's usage holds backticks (the help would show them as the
// flag's value name).
func TestEveryCommandHasAnExampleThatParses(t *testing.T) {
	clidoc.Check(t, newRootCmd, examples)
}
