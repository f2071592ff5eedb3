// Package buildinfo reads what the Go toolchain recorded about a binary's
// build (module version, VCS commit and time, Go version) so that every
// command can answer `version` the same way. Only cmd/... imports it.
package buildinfo

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/qbconnect/qbconnect/internal/cliout"
)

// Info is what is known about the running binary's build. A field that the
// toolchain did not record (a `go run` or `go test` build has no VCS
// stamp) is "unknown".
type Info struct {
	// Module is the main module's path.
	Module string `json:"module"`
	// Version is the main module's version: a tag for a `go install
	// module@version` build, "(devel)" for a build from a checkout.
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from, with
	// "+dirty" when the work tree had uncommitted changes.
	Commit string `json:"commit"`
	// Date is the commit's time (RFC 3339), the closest reproducible
	// stand-in for a build date.
	Date string `json:"date"`
	// Go is the toolchain version.
	Go string `json:"go"`
}

// Read returns the running binary's Info.
func Read() Info {
	info := Info{Module: "unknown", Version: "unknown", Commit: "unknown", Date: "unknown", Go: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	info.Go = bi.GoVersion
	if bi.Main.Path != "" {
		info.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Date = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && info.Commit != "unknown" {
		info.Commit += "+dirty"
	}
	return info
}

// String is the one-line form that `--version` prints.
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, %s, %s)", i.Version, i.Commit, i.Date, i.Go)
}

// Write prints the Info as `version` shows it, one field a line, under the
// program's name.
func (i Info) Write(w io.Writer, program string) error {
	_, err := fmt.Fprintf(w, "%s %s\nmodule: %s\ncommit: %s\ndate: %s\ngo: %s\n",
		program, i.Version, i.Module, i.Commit, i.Date, i.Go)
	return err
}

// Command returns a `version` command for program that prints Read(). Use
// SetVersion too, so that `program --version` answers as well.
func Command(program string) *cobra.Command {
	var format *cliout.Format
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the build's version, commit, date and Go version",
		Example: "  " + program + " version\n  " + program + " version --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := Read()
			return cliout.Show(cmd.OutOrStdout(), *format, programBuild{Program: program, Build: info}, func(w io.Writer) error {
				return info.Write(w, program)
			})
		},
	}
	format = cliout.AddFormat(cmd, cliout.Text)
	return cmd
}

// programBuild is what `version --format json` prints: the program's name
// and its build, under "build" as qbconnector's version prints it too.
type programBuild struct {
	Program string `json:"program"`
	Build   Info   `json:"build"`
}

func SetVersion(root *cobra.Command) {
	root.Version = Read().String()
	root.SetVersionTemplate(root.Name() + " {{.Version}}\n")
}
