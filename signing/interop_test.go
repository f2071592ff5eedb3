package signing_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// These tests check that our signatures and those of osslsigncode (and, for
// detached signatures, OpenSSL) are judged alike by both sides.

func needTool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		tb.Skipf("%s is not installed (apt-get install %s); skipping interoperability test", name, pkg)
	}
	return path
}

// run runs a tool and reports whether it exited 0, with its output.
func run(tb testing.TB, name string, args ...string) (bool, string) {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			tb.Fatalf("running %s: %v", name, err)
		}
		return false, string(out)
	}
	return true, string(out)
}

// ossVerify runs `osslsigncode verify` trusting only ca's root (and its CRL
// when crl is set).
func ossVerify(tb testing.TB, ca *signingtest.CA, path string, crl bool) (bool, string) {
	tb.Helper()
	args := []string{"verify", "-in", path, "-CAfile", ca.RootPath()}
	if crl {
		args = append(args, "-CRLfile", ca.CRLPath(tb))
	}
	return run(tb, "osslsigncode", args...)
}

// ossSign signs in with osslsigncode (SHA-256) and returns the signed copy.
func ossSign(tb testing.TB, leaf *signingtest.Leaf, in string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "oss-"+filepath.Base(in))
	ok, msg := run(tb, "osslsigncode", "sign", "-certs", leaf.CertPath, "-key", leaf.KeyPath, "-ac", leaf.ChainPath,
		"-h", "sha256", "-n", "signed by osslsigncode", "-in", in, "-out", out)
	if !ok {
		tb.Fatalf("osslsigncode sign: %s", msg)
	}
	return out
}

func ourSign(tb testing.TB, leaf *signingtest.Leaf, path string) {
	tb.Helper()
	if _, _, err := leaf.Signer().SignFile(context.Background(), path); err != nil {
		tb.Fatalf("SignFile(%s): %v", path, err)
	}
}

// agree checks that osslsigncode and our verifier both accept (want true) or
// both reject a file, and that ours gives the expected verdict.
func agree(tb testing.TB, ca *signingtest.CA, path string, want signing.Verdict, crl bool) {
	tb.Helper()
	sig := verify(tb, ca, path)
	ok, out := ossVerify(tb, ca, path, crl)
	if sig.Verdict != want {
		tb.Errorf("%s: our verdict %s (%s), want %s", filepath.Base(path), sig.Verdict, sig.Reason, want)
	}
	if ok != (want == signing.Valid) {
		tb.Errorf("%s: osslsigncode verify succeeded=%v, want %v; output:\n%s", filepath.Base(path), ok, want == signing.Valid, lastLines(out, 12))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestOsslsigncodeAndWeAgreeOnPE(t *testing.T) {
	needTool(t, "osslsigncode", "osslsigncode")
	ca := signingtest.NewCA(t, "Test Root")
	inter := ca.Intermediate(t, "Test Code Signing CA")
	stranger := signingtest.NewCA(t, "Unknown Root")
	for _, tc := range []struct {
		name string
		leaf *signingtest.Leaf
		want signing.Verdict
	}{
		{"valid", ca.Issue(t, "Valid", signingtest.Opts{}), signing.Valid},
		{"valid through intermediate", inter.Issue(t, "Via Intermediate", signingtest.Opts{}), signing.Valid},
		{"ecdsa", ca.Issue(t, "ECDSA", signingtest.Opts{ECDSA: true}), signing.Valid},
		{"expired", ca.Issue(t, "Expired", signingtest.Opts{Expired: true}), signing.Expired},
		{"untrusted", stranger.Issue(t, "Stranger", signingtest.Opts{}), signing.Untrusted},
		{"revoked", inter.Issue(t, "Revoked", signingtest.Opts{Revoked: true}), signing.Revoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crl := tc.want == signing.Revoked
			exe := signingtest.TinyPE(t, tc.name)
			ossSigned := ossSign(t, tc.leaf, exe)
			ourSign(t, tc.leaf, exe)
			for _, path := range []string{exe, ossSigned} {
				agree(t, inter, path, tc.want, crl)
				if sig := verify(t, inter, path); !sig.Identity.Same(tc.leaf.Identity()) {
					t.Errorf("%s: identity %v, want %v", path, sig.Identity, tc.leaf.Identity())
				}
			}
			if tc.want == signing.Valid {
				for _, path := range []string{exe, ossSigned} {
					signingtest.Tamper(t, path)
					agree(t, inter, path, signing.Tampered, false)
				}
			}
		})
	}
}

func TestOsslsigncodeVerifiesOurSignatureOfAGoBuiltExecutable(t *testing.T) {
	needTool(t, "osslsigncode", "osslsigncode")
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	exe := signingtest.GoWindowsExe(t, "hello from a signed connector")
	ossSigned := ossSign(t, leaf, exe)
	ourSign(t, leaf, exe)
	for _, path := range []string{exe, ossSigned} {
		agree(t, ca, path, signing.Valid, false)
		signingtest.Tamper(t, path)
		agree(t, ca, path, signing.Tampered, false)
	}
}

func TestOsslsigncodeAndWeAgreeOnMSI(t *testing.T) {
	needTool(t, "osslsigncode", "osslsigncode")
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	expired := ca.Issue(t, "Expired", signingtest.Opts{Expired: true})
	msi := signingtest.MSI(t, "qbconnect connector setup")

	unsigned := verify(t, ca, msi)
	if unsigned.Verdict != signing.Unsigned || unsigned.Format != signing.FormatMSI {
		t.Fatalf("fresh MSI: verdict %s format %s", unsigned.Verdict, unsigned.Format)
	}
	ossSigned := ossSign(t, leaf, msi)
	ossExpired := ossSign(t, expired, msi)
	ours := signingtest.CopyFile(t, msi)
	ourSign(t, leaf, ours)
	oursExpired := signingtest.CopyFile(t, msi)
	ourSign(t, expired, oursExpired)

	for _, path := range []string{ours, ossSigned} {
		agree(t, ca, path, signing.Valid, false)
		sig := verify(t, ca, path)
		if sig.Kind != signing.KindAuthenticodeMSI || !sig.Identity.Same(leaf.Identity()) {
			t.Errorf("%s: kind %s identity %v", path, sig.Kind, sig.Identity)
		}
	}
	for _, path := range []string{oursExpired, ossExpired} {
		agree(t, ca, path, signing.Expired, false)
	}
	// Re-signing a signed package replaces its signature.
	ourSign(t, expired, ours)
	agree(t, ca, ours, signing.Expired, false)
	ourSign(t, leaf, ours)
	agree(t, ca, ours, signing.Valid, false)

	for _, path := range []string{ours, ossSigned} {
		signingtest.Tamper(t, path)
		agree(t, ca, path, signing.Tampered, false)
	}
}

func TestOpenSSLAndWeAgreeOnDetachedSignatures(t *testing.T) {
	needTool(t, "openssl", "openssl")
	ca := signingtest.NewCA(t, "Test Root")
	inter := ca.Intermediate(t, "Test Code Signing CA")
	leaf := inter.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	dir := t.TempDir()
	bin := filepath.Join(dir, "qbconnector")
	content := make([]byte, 3<<20) // larger than one read buffer
	for i := range content {
		content[i] = byte(i * 7)
	}
	if err := os.WriteFile(bin, content, 0o755); err != nil {
		t.Fatal(err)
	}
	opensslVerify := func(file, sig string) (bool, string) {
		return run(t, "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", file,
			"-CAfile", ca.RootPath(), "-purpose", "any", "-out", os.DevNull)
	}

	ourSign(t, leaf, bin)
	if ok, out := opensslVerify(bin, bin+".p7s"); !ok {
		t.Errorf("openssl cms -verify rejected our signature:\n%s", out)
	}
	wantVerdict(t, verify(t, inter, bin), signing.Valid)

	other := filepath.Join(dir, "qbconnector-openssl")
	if err := os.WriteFile(other, content, 0o755); err != nil {
		t.Fatal(err)
	}
	ok, out := run(t, "openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", other, "-signer", leaf.CertPath,
		"-inkey", leaf.KeyPath, "-certfile", leaf.ChainPath, "-outform", "DER", "-out", other+".p7s")
	if !ok {
		t.Fatalf("openssl cms -sign: %s", out)
	}
	sig := verify(t, inter, other)
	wantVerdict(t, sig, signing.Valid)
	if !sig.Identity.Same(leaf.Identity()) {
		t.Errorf("identity %v", sig.Identity)
	}

	for _, path := range []string{bin, other} {
		signingtest.Tamper(t, path)
		if ok, _ := opensslVerify(path, path+".p7s"); ok {
			t.Errorf("openssl accepted tampered %s", path)
		}
		wantVerdict(t, verify(t, inter, path), signing.Tampered)
	}
}
