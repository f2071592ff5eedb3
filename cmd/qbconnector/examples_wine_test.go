//go:build !windows

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/internal/wine"
)

// TestWindowsCommandsHaveExamplesUnderWine runs the Windows build of this
// package's example check under Wine: the Windows-only commands (service,
// tray) exist only there, so only there can their examples be checked.
func TestWindowsCommandsHaveExamplesUnderWine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Windows test binary under Wine")
	}
	p := wine.New(t)
	exe := filepath.Join(t.TempDir(), "qbconnector.test.exe")
	build := exec.Command("go", "test", "-c", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go test -c: %v\n%s", err, out)
	}
	out, errOut, err := p.Run(exe, "-test.run", "^TestEveryCommandHasAnExampleThatParses$", "-test.v")
	if err != nil {
		t.Fatalf("the example check under Wine: %v\n%s%s", err, out, errOut)
	}
	t.Logf("%s", out)
}

// TestTrayWithoutADesktopSaysSoUnderWine: where Windows has no desktop
// for a notification-area icon (here Wine without a display), "qbconnector
// tray" exits 1 and says so rather than waiting forever without an icon.
func TestTrayWithoutADesktopSaysSoUnderWine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the Windows connector under Wine")
	}
	p := wine.New(t)
	exe := filepath.Join(t.TempDir(), "qbconnector.exe")
	build := exec.Command("go", "build", "-o", exe, ".")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, errOut, err := p.Run(exe, "tray", "--data-dir", p.WindowsPath(t.TempDir()))
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(errOut, "notification area is not available") {
		t.Errorf("qbconnector tray without a desktop: %v, stderr %q; want exit 1 saying the notification area is not available", err, errOut)
	}
}
