package wine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/internal/wine"
)

// A Go program built for windows/amd64 starts under Wine 8.0 once the
// ProcessPrng shim is in the prefix, and reads random bytes through it.
func TestGoProgramRunsUnderWine(t *testing.T) {
	start := time.Now()
	p := wine.New(t)
	exe := filepath.Join(t.TempDir(), "hello.exe")
	build := exec.Command("go", "build", "-o", exe, "./testdata/hello")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, errOut, err := p.Run(exe)
	if err != nil {
		t.Fatalf("hello.exe under Wine: %v\n%s%s", err, out, errOut)
	}
	if !strings.HasPrefix(out, "hello from windows/amd64, ProgramData=C:\\ProgramData, random=") {
		t.Errorf("hello.exe printed %q", out)
	}
	t.Logf("prefix made in %s; whole test %s", p.Boot.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

func TestPathsBetweenLinuxAndThePrefix(t *testing.T) {
	p := &wine.Prefix{Dir: "/tmp/pfx"}
	if got := p.WindowsPath("/srv/app/qbconnector.exe"); got != `Z:\srv\app\qbconnector.exe` {
		t.Errorf("WindowsPath = %q", got)
	}
	got, err := p.LinuxPath(`C:\ProgramData\qbconnect\config.json`)
	if err != nil || got != "/tmp/pfx/drive_c/ProgramData/qbconnect/config.json" {
		t.Errorf("LinuxPath = %q, %v", got, err)
	}
	if _, err := p.LinuxPath(`D:\x`); err == nil {
		t.Error("LinuxPath mapped drive D:")
	}
}
