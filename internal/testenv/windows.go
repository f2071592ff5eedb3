package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/qbconnect/qbconnect/internal/wine"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// What tests of the connector's Windows build need: the build, and an
// installation in a Wine prefix where it runs as on a Windows PC.

// BuildWindowsConnector builds qbconnector.exe for windows/amd64 with
// version into dir and returns its path.
func BuildWindowsConnector(tb testing.TB, dir, version string) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(dir, "qbconnector-"+version+".exe")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version, "-o", out, "./cmd/qbconnector")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building qbconnector.exe %s: %v\n%s", version, err, msg)
	}
	return out
}

// ProgramFolder is where the MSI installs the connector, and so where
// InstallWindowsConnector puts it.
const ProgramFolder = `C:\Program Files\qbconnect`

// DefaultDataFolder is the connector's data folder on Windows when no
// --data-dir is given.
const DefaultDataFolder = `C:\ProgramData\qbconnect`

// InstallWindowsConnector installs a Windows build (BuildWindowsConnector)
// in the prefix as the MSI does, C:\Program Files\qbconnect\qbconnector.exe,
// Authenticode-signed with leaf. Its commands run under Wine with the
// default data folder, C:\ProgramData\qbconnect; DataDir is where that
// folder is on Linux.
func InstallWindowsConnector(tb testing.TB, p *wine.Prefix, build string, leaf *signingtest.Leaf) *Connector {
	tb.Helper()
	dir, err := p.LinuxPath(ProgramFolder)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := p.LinuxPath(DefaultDataFolder)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	c := &Connector{tb: tb, Program: filepath.Join(dir, "qbconnector.exe"), DataDir: data, Wine: p}
	bin, err := os.ReadFile(build)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(c.Program, bin, 0o755); err != nil {
		tb.Fatal(err)
	}
	c.Sign(leaf)
	return c
}
