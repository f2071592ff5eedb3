// Package packaging holds what is installed beside the binaries: the
// connector's Windows Installer source (qbconnector.wxs, built with wixl by
// scripts/dist.sh), the platform's systemd unit (qbconnect.service), its
// Prometheus alert rules and Grafana dashboard; and the tests that check
// them with the tools that consume them (wixl, systemd-analyze, promtool).
package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// TestDistBuildsSignedConnectorAndMSI runs scripts/dist.sh with its demo
// certificate and checks dist/: the MSI installs the program, its roots and
// the service; every signature verifies with both verifiers; SHA256SUMS
// matches; one flipped byte breaks the MSI's signature for both. It cross-
// compiles the connector and the tools (1-3 minutes on two busy cores), so
// it runs only with QBCONNECT_TEST_DIST=1 (CI sets it).
func TestDistBuildsSignedConnectorAndMSI(t *testing.T) {
	if os.Getenv("QBCONNECT_TEST_DIST") == "" {
		t.Skip("set QBCONNECT_TEST_DIST=1 to build the distribution (1-3 minutes)")
	}
	for _, tool := range []string{"wixl", "openssl", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	out := filepath.Join(t.TempDir(), "dist")
	cmd := exec.Command("bash", "../scripts/dist.sh", "--version", "1.4.0", "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dist.sh: %v\n%s", err, stderr.String())
	}
	msi := filepath.Join(out, "qbconnector-1.4.0-x64.msi")
	roots := filepath.Join(out, "demo-signing", "root.pem")
	pool, err := signing.LoadCertPool(roots)
	if err != nil {
		t.Fatal(err)
	}
	v := &signing.Verifier{Roots: pool}
	for _, f := range []string{msi, filepath.Join(out, "windows-amd64", "qbconnector.exe"), filepath.Join(out, "linux-amd64", "qbconnector")} {
		sig, err := v.VerifyFile(context.Background(), f)
		if err != nil || !sig.Valid() || sig.CommonName != "qbconnect demo" {
			t.Errorf("%s: %+v, %v", f, sig, err)
		}
	}
	// SHA256SUMS lists every file with its digest.
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 6 {
		t.Errorf("SHA256SUMS has %d lines:\n%s", len(lines), sums)
	}
	for _, l := range lines {
		sum, name, _ := strings.Cut(l, "  ")
		data, err := os.ReadFile(filepath.Join(out, name))
		h := sha256.Sum256(data)
		if err != nil || hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s: checksum does not match (%v)", name, err)
		}
	}
	// The package installs the program, its roots and the service (started
	// on install, stopped on install and uninstall, removed on uninstall:
	// event 1+2+32+128 = 163), a Start-menu shortcut that opens the UI,
	// and the tray app at every user's logon.
	if msiinfo, err := exec.LookPath("msiinfo"); err == nil {
		for table, want := range map[string][]string{
			"File":           {"qbconnector.exe", "qbconnector.exe.roots.pem"},
			"ServiceInstall": {"qbconnector", "service run", "LocalSystem"},
			"ServiceControl": {"qbconnector\t163\t"},
			"Shortcut":       {"ProgramMenuFolder\tqbconnect connector\t", "[INSTALLDIR]qbconnector.exe\tui --open\t"},
			"Registry":       {"Software\\Microsoft\\Windows\\CurrentVersion\\Run\tqbconnector tray\t\"[INSTALLDIR]qbconnector.exe\" tray\t"},
		} {
			b, err := exec.Command(msiinfo, "export", msi, table).CombinedOutput()
			for _, w := range want {
				if err != nil || !strings.Contains(string(b), w) {
					t.Errorf("MSI table %s lacks %q (%v):\n%s", table, w, err, b)
				}
			}
		}
	}
	osslsigncode, haveOSSL := exec.LookPath("osslsigncode")
	if haveOSSL == nil {
		if b, err := exec.Command(osslsigncode, "verify", "-CAfile", roots, "-in", msi).CombinedOutput(); err != nil {
			t.Errorf("osslsigncode rejects the MSI: %v\n%s", err, b)
		}
	}
	tampered := signingtest.CopyFile(t, msi)
	signingtest.Tamper(t, tampered)
	if sig, err := v.VerifyFile(context.Background(), tampered); err == nil && sig.Valid() {
		t.Error("a tampered MSI verifies")
	}
	if haveOSSL == nil {
		if err := exec.Command(osslsigncode, "verify", "-CAfile", roots, "-in", tampered).Run(); err == nil {
			t.Error("osslsigncode accepts a tampered MSI")
		}
	}
}
