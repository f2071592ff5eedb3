package cliout

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// Log holds the --log-level and --log-format flags of a long-running
// command; its Logger builds the logger they describe.
type Log struct {
	level  string
	format string
}

// levelValue and logFormatValue make bad values flag errors (usage
// errors, exit 2) rather than failures once the command runs.
type levelValue struct{ s *string }

func (v levelValue) String() string { return *v.s }
func (v levelValue) Type() string   { return "level" }
func (v levelValue) Set(s string) error {
	s = strings.ToLower(s)
	if s != "off" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("want debug, info, warn, error or off, not %q", s)
		}
	}
	*v.s = s
	return nil
}

type logFormatValue struct{ s *string }

func (v logFormatValue) String() string { return *v.s }
func (v logFormatValue) Type() string   { return "text|json" }
func (v logFormatValue) Set(s string) error {
	s = strings.ToLower(s)
	if s != "text" && s != "json" {
		return fmt.Errorf("want text or json, not %q", s)
	}
	*v.s = s
	return nil
}

// AddLog adds --log-level (default level: debug, info, warn, error or
// off) and --log-format (default text) to cmd. Logs go to standard error:
// standard output is for what scripts parse.
func AddLog(cmd *cobra.Command, level string) *Log {
	l := &Log{level: level, format: "text"}
	cmd.Flags().Var(levelValue{&l.level}, "log-level", "log level on standard error: debug, info, warn, error or off")
	cmd.Flags().Var(logFormatValue{&l.format}, "log-format", "log format: text or json")
	return l
}

// Logger returns the logger the flags describe, writing to w (the
// command's standard error); with --log-level off it discards everything.
func (l *Log) Logger(w io.Writer) *slog.Logger {
	if l.level == "off" {
		return slog.New(slog.DiscardHandler)
	}
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(l.level)) // checked when the flag was set
	opts := &slog.HandlerOptions{Level: lv}
	if l.format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Off reports whether --log-level is off.
func (l *Log) Off() bool { return l.level == "off" }

// verboseAlias is the deprecated -v/--verbose boolean: --log-level debug.
type verboseAlias struct {
	l   *Log
	cmd *cobra.Command
}

func (v verboseAlias) String() string   { return fmt.Sprint(v.l.level == "debug") }
func (v verboseAlias) Type() string     { return "bool" }
func (v verboseAlias) IsBoolFlag() bool { return true }
func (v verboseAlias) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1", "t":
		v.l.level = "debug"
		deprecated(v.cmd, "--verbose", "use --log-level debug")
	case "false", "0", "f":
	default:
		return fmt.Errorf("want true or false, not %q", s)
	}
	return nil
}

// AddVerboseAlias adds the deprecated -v/--verbose flag, which sets l's
// level to debug, to a command that had it before --log-level; the help no
// longer shows it and using it prints a notice on standard error.
func AddVerboseAlias(cmd *cobra.Command, l *Log) {
	fl := cmd.Flags().VarPF(verboseAlias{l, cmd}, "verbose", "v", "debug logging (deprecated: use --log-level debug)")
	fl.NoOptDefVal = "true"
	fl.Hidden = true
}
