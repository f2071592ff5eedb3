// Package wine runs the project's Windows programs under Wine, for tests:
// it makes a Wine prefix of its own, adds the one system function that
// Wine 8.0 lacks and every Go program since Go 1.22 needs (ProcessPrng,
// see shim/), and starts programs in it with a quiet, reproducible
// environment.
//
// Only tests import it. A test that needs Wine calls New, which skips the
// test (saying what is missing) where Wine or the MinGW compiler for the
// shim is not installed; `.ci/run` installs both (wine64,
// gcc-mingw-w64-x86-64).
package wine

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The shim: bcryptprimitives.dll exporting ProcessPrng. Go 1.22 and later
// load it from the system directory when a Windows program starts; Wine 8.0
// has no such export, so without the shim a Go program dies at once with
// "bcryptprimitives.dll not found".
var (
	//go:embed shim/processprng.c
	shimSource []byte
	//go:embed shim/bcryptprimitives.def
	shimDef []byte
)

// The programs Wine and the shim need, where Debian's packages put them.
const (
	// Loader is Debian's 64-bit Wine loader (package wine64).
	Loader = "/usr/lib/wine/wine64"
	// Compiler is MinGW-w64's C compiler for 64-bit Windows (package
	// gcc-mingw-w64-x86-64).
	Compiler = "x86_64-w64-mingw32-gcc"
)

// DLLOverrides makes Wine load the shim (native) before its own
// bcryptprimitives (builtin), and skips the Mono and Gecko installers that
// a new prefix would otherwise offer: the project's programs need neither.
const DLLOverrides = "bcryptprimitives=n,b;mscoree,mshtml="

// Missing says what this machine lacks to run Windows programs under Wine,
// or "" when nothing is missing.
func Missing() string {
	var missing []string
	if _, err := os.Stat(Loader); err != nil {
		missing = append(missing, Loader+" (Debian package wine64)")
	}
	if _, err := exec.LookPath("wineserver"); err != nil && !exists(wineserverBeside()) {
		missing = append(missing, "wineserver (Debian package wine64)")
	}
	if _, err := exec.LookPath(Compiler); err != nil {
		missing = append(missing, Compiler+" (Debian package gcc-mingw-w64-x86-64)")
	}
	if len(missing) == 0 {
		return ""
	}
	return "not installed: " + strings.Join(missing, ", ")
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// wineserverBeside is where Debian puts wineserver when it is not on PATH.
func wineserverBeside() string { return filepath.Join(filepath.Dir(Loader), "wineserver") }

// wineserver returns the path of the wineserver program.
func wineserver() string {
	if p, err := exec.LookPath("wineserver"); err == nil {
		return p
	}
	return wineserverBeside()
}

// Prefix is a Wine prefix (a Windows installation: C: drive, registry,
// services) with the shim installed. Programs started with Command run in
// it; its wineserver and everything it runs are stopped at the test's
// cleanup.
type Prefix struct {
	// Dir is the prefix (WINEPREFIX); C: is Dir/drive_c.
	Dir string
	// Boot is how long making the prefix took (wineboot), for the test's
	// log: a prefix is made afresh for every test so that tests share no
	// Windows state.
	Boot time.Duration
	tb   testing.TB
	// sddl is the built helper of SDDL.
	sddl string
}

// New makes a new Wine prefix in a temporary folder, installs the shim and
// starts Windows' system processes in it (wineboot). It skips the test when
// Wine or MinGW is missing.
func New(tb testing.TB) *Prefix {
	tb.Helper()
	if m := Missing(); m != "" {
		tb.Skipf("Windows programs cannot run under Wine here: %s", m)
	}
	p := &Prefix{Dir: filepath.Join(tb.TempDir(), "prefix"), tb: tb}
	tb.Cleanup(p.Shutdown)
	dll := filepath.Join(tb.TempDir(), "bcryptprimitives.dll")
	if err := BuildShim(dll); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Loader, "wineboot", "--init")
	cmd.Env = p.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("wine: making the prefix (wineboot --init): %v\n%s", err, out)
	}
	// wineboot returns once the prefix exists; the system folder is
	// there from then on.
	sys32 := filepath.Join(p.Dir, "drive_c", "windows", "system32")
	data, err := os.ReadFile(dll)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sys32, "bcryptprimitives.dll"), data, 0o644); err != nil {
		tb.Fatalf("wine: installing the ProcessPrng shim: %v", err)
	}
	// Programs that the prefix's service manager starts get the
	// environment of a new Windows session, not WINEDLLOVERRIDES: the
	// prefix's registry makes them load the shim too.
	reg := p.Command("reg", "add", `HKCU\Software\Wine\DllOverrides`, "/v", "bcryptprimitives", "/d", "native,builtin", "/f")
	if out, err := reg.CombinedOutput(); err != nil {
		tb.Fatalf("wine: enabling the shim in the registry: %v\n%s", err, out)
	}
	p.Boot = time.Since(start)
	return p
}

// BuildShim compiles the ProcessPrng shim into the DLL out with MinGW.
func BuildShim(out string) error {
	dir, err := os.MkdirTemp("", "qbconnect-wine-shim-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src, def := filepath.Join(dir, "processprng.c"), filepath.Join(dir, "bcryptprimitives.def")
	if err := os.WriteFile(src, shimSource, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(def, shimDef, 0o644); err != nil {
		return err
	}
	cmd := exec.Command(Compiler, "-shared", "-O2", "-o", out, src, def, "-ladvapi32")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("wine: building the ProcessPrng shim with %s: %v\n%s", Compiler, err, msg)
	}
	return nil
}

// Environ returns the process environment for Wine in this prefix: the
// prefix, the shim enabled, Wine's debug output off, and no display (the
// programs are console programs and services).
func (p *Prefix) Environ() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "WINEPREFIX", "WINEDLLOVERRIDES", "WINEDEBUG", "DISPLAY", "WAYLAND_DISPLAY", "WINEARCH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "WINEPREFIX="+p.Dir, "WINEDLLOVERRIDES="+DLLOverrides, "WINEDEBUG=-all", "WINEARCH=win64")
}

// Command returns the command that runs the Windows program exe (a Linux
// path) with args in the prefix.
func (p *Prefix) Command(exe string, args ...string) *exec.Cmd {
	cmd := exec.Command(Loader, append([]string{exe}, args...)...)
	cmd.Env = p.Environ()
	return cmd
}

// Run runs a Windows program to completion and returns its outputs and
// error.
func (p *Prefix) Run(exe string, args ...string) (stdout, stderr string, err error) {
	cmd := p.Command(exe, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// WindowsPath returns how a Windows program in the prefix names the Linux
// path: Wine maps the Linux root to drive Z:.
func (p *Prefix) WindowsPath(linuxPath string) string {
	abs, err := filepath.Abs(linuxPath)
	if err != nil {
		abs = linuxPath
	}
	return `Z:` + strings.ReplaceAll(abs, "/", `\`)
}

// LinuxPath returns where a path on the prefix's drive C: ("C:\ProgramData\x")
// is on Linux. Other drives are not mapped.
func (p *Prefix) LinuxPath(windowsPath string) (string, error) {
	rest, ok := strings.CutPrefix(strings.ReplaceAll(windowsPath, `\`, "/"), "C:")
	if !ok {
		rest, ok = strings.CutPrefix(strings.ReplaceAll(windowsPath, `\`, "/"), "c:")
	}
	if !ok {
		return "", errors.New("wine: only drive C: paths map into the prefix: " + windowsPath)
	}
	return filepath.Join(p.Dir, "drive_c", filepath.FromSlash(rest)), nil
}

// Shutdown stops every program of the prefix and its wineserver (wineserver
// -k), and waits for the server to end. It is safe to call twice.
func (p *Prefix) Shutdown() {
	if p.Dir == "" || !exists(p.Dir) {
		return
	}
	kill := exec.Command(wineserver(), "-k")
	kill.Env = p.Environ()
	kill.Run()
	wait := exec.Command(wineserver(), "-w")
	wait.Env = p.Environ()
	wait.Run()
}

// SDDL returns the access rules (DACL) of a file or folder in the prefix,
// in SDDL notation, as Windows reports them to a program (the helper
// testdata/sddl, built for Windows on the first call).
func (p *Prefix) SDDL(windowsPath string) (string, error) {
	if p.sddl == "" {
		exe := filepath.Join(p.Dir, "sddl.exe")
		cmd := exec.Command("go", "build", "-o", exe, "./testdata/sddl")
		cmd.Dir = packageDir()
		cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("wine: building the sddl helper: %v\n%s", err, out)
		}
		p.sddl = exe
	}
	out, errOut, err := p.Run(p.sddl, windowsPath)
	if err != nil {
		return "", fmt.Errorf("wine: sddl %s: %v: %s", windowsPath, err, errOut)
	}
	return strings.TrimSpace(out), nil
}

// packageDir is this package's folder in the module, where its helpers'
// sources are.
func packageDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}
