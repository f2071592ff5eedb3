package cliout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses of the project's programs.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // the command line was wrong: nothing was done
)

// UsageError is a wrong command line: an unknown command or flag, a bad
// flag value, a missing required flag or the wrong number of arguments.
// Run exits 2 on it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// IsUsage reports whether err is (or wraps) a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// MarkUsage makes root's tree report usage errors as UsageError: flag
// parse errors through the flag error function, and for every runnable
// command its argument check through its Args validator, and its required
// flags and flag groups (which cobra checks after PreRunE, as plain
// errors) at the end of its PreRunE, which may have set flags from the
// environment. Call it once the tree is complete; Run does.
func MarkUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{err} })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() {
			orig := c.Args
			if orig == nil {
				orig = cobra.ArbitraryArgs
			}
			c.Args = func(cmd *cobra.Command, args []string) error {
				return usage(orig(cmd, args))
			}
			pre, preNoErr := c.PreRunE, c.PreRun
			c.PreRunE = func(cmd *cobra.Command, args []string) error {
				switch {
				case pre != nil:
					if err := pre(cmd, args); err != nil {
						return err
					}
				case preNoErr != nil:
					preNoErr(cmd, args)
				}
				if err := usage(cmd.ValidateRequiredFlags()); err != nil {
					return err
				}
				return usage(cmd.ValidateFlagGroups())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// usage marks err, when not nil, as a usage error.
func usage(err error) error {
	if err == nil || IsUsage(err) {
		return err
	}
	return &UsageError{err}
}

// Run runs root with args as a program's main does and returns the exit
// status: 0, ExitUsage for a usage error (also an unknown command, which
// cobra would otherwise answer with help and success) or ExitFailure; the
// error goes to stderr as "NAME: error".
func Run(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) int {
	return Code(Execute(ctx, root, args, stdout, stderr))
}

// Code is the exit status of Execute's error: 0 for nil, ExitUsage for a
// usage error, ExitFailure otherwise.
func Code(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case IsUsage(err):
		return ExitUsage
	}
	return ExitFailure
}

// Execute is Run for a program with exit statuses of its own: it returns
// the error (already written to stderr) for the program to map, with Code
// for the rest.
func Execute(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) error {
	return ExecuteReporting(ctx, root, args, stdout, stderr, nil)
}

// ExecuteReporting is Execute for a program that words its own failures:
// report, when not nil, writes every error that is not a usage error
// (usage errors are always written as Execute writes them).
func ExecuteReporting(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer, report func(w io.Writer, err error)) error {
	MarkUsage(root)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := unknownCommand(root, args)
	if err == nil {
		err = root.ExecuteContext(ctx)
	}
	if err == nil {
		return nil
	}
	if report != nil && !IsUsage(err) {
		report(stderr, err)
		return err
	}
	fmt.Fprintf(stderr, "%s: %v\n", root.Name(), err)
	if IsUsage(err) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", root.CommandPath())
	}
	return err
}

// unknownCommand finds the command args name and returns a UsageError
// when they name none: cobra reports an unknown command of the root as a
// plain error and one of a group (qbdsim qb bogus) not at all.
func unknownCommand(root *cobra.Command, args []string) error {
	c, rest, err := root.Find(args)
	if err != nil {
		return &UsageError{err}
	}
	if c.Runnable() || !c.HasSubCommands() {
		return nil
	}
	for _, a := range rest {
		if !strings.HasPrefix(a, "-") {
			return &UsageError{fmt.Errorf("unknown command %q for %q", a, c.CommandPath())}
		}
	}
	return nil
}
