package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// runRelease runs `qbconnect release ARGS...` in-process at time now and
// returns stdout, stderr and the command's error.
func runRelease(tb testing.TB, now time.Time, args ...string) (string, string, error) {
	tb.Helper()
	cmd := releaseCmd(releaseEnv{now: func() time.Time { return now }})
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

// hasField reports whether the verify output has a line "  key:  value".
func hasField(out, key, value string) bool {
	re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(key+":") + ` +` + regexp.QuoteMeta(value) + `$`)
	return re.MatchString(out)
}

func TestReleaseSignThenVerifyPEMSIAndOtherFiles(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	inter := ca.Intermediate(t, "Test Code Signing CA")
	leaf := inter.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	now := time.Now()
	exe := signingtest.TinyPE(t)
	other := filepath.Join(t.TempDir(), "qbconnector-linux")
	if err := os.WriteFile(other, []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []string{exe, other}
	if _, err := exec.LookPath("wixl"); err == nil {
		files = append(files, signingtest.MSI(t, "qbconnect setup"))
	}

	out, _, err := runRelease(t, now, append([]string{"sign", "--cert", leaf.CertPath, "--key", leaf.KeyPath,
		"--chain", leaf.ChainPath, "--description", "qbconnect connector"}, files...)...)
	if err != nil {
		t.Fatalf("release sign: %v\n%s", err, out)
	}
	for _, want := range []string{exe + " (authenticode-pe)", other + " (pkcs7-detached) -> " + other + ".p7s", leaf.Thumbprint()} {
		if !strings.Contains(out, want) {
			t.Errorf("sign output lacks %q:\n%s", want, out)
		}
	}

	out, _, err = runRelease(t, now, append([]string{"verify", "--roots", ca.RootPath(), "--crl", inter.CRLPath(t)}, files...)...)
	if err != nil {
		t.Fatalf("release verify: %v\n%s", err, out)
	}
	for _, want := range []string{exe + ": VALID", other + ": VALID"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range [][2]string{{"thumbprint", leaf.Thumbprint() + " (SHA-1)"}, {"signer", leaf.Cert.Subject.String()},
		{"chain", "trusted: qbconnect Code Signing <- Test Code Signing CA <- Test Root"}, {"digest", "SHA256, matches"},
		{"description", "qbconnect connector"}, {"signature file", other + ".p7s"}} {
		if !hasField(out, f[0], f[1]) {
			t.Errorf("verify output lacks %s: %s\n%s", f[0], f[1], out)
		}
	}
	if len(files) == 3 && !strings.Contains(out, files[2]+": VALID") {
		t.Errorf("MSI not reported valid:\n%s", out)
	}

	// osslsigncode agrees with what the command signed.
	if _, err := exec.LookPath("osslsigncode"); err == nil {
		for _, f := range []string{exe} {
			if b, err := exec.Command("osslsigncode", "verify", "-in", f, "-CAfile", ca.RootPath()).CombinedOutput(); err != nil {
				t.Errorf("osslsigncode verify %s: %v\n%s", f, err, b)
			}
		}
	}
}

func TestReleaseVerifyFailsForEveryBadSignature(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	stranger := signingtest.NewCA(t, "Unknown Root")
	good := ca.Issue(t, "Good", signingtest.Opts{})
	expired := ca.Issue(t, "Expired", signingtest.Opts{Expired: true})
	revoked := ca.Issue(t, "Revoked", signingtest.Opts{Revoked: true})
	untrusted := stranger.Issue(t, "Stranger", signingtest.Opts{})
	now := time.Now()
	sign := func(leaf *signingtest.Leaf, name string) string {
		exe := signingtest.TinyPE(t, name)
		if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
			t.Fatal(err)
		}
		return exe
	}
	tampered := sign(good, "tampered")
	signingtest.Tamper(t, tampered)
	for _, tc := range []struct {
		name, file, verdict, detail string
	}{
		{"unsigned", signingtest.TinyPE(t, "unsigned"), "UNSIGNED", "no Authenticode signature"},
		{"tampered", tampered, "TAMPERED", "does NOT match"},
		{"expired", sign(expired, "expired"), "EXPIRED", "expired on"},
		{"untrusted", sign(untrusted, "untrusted"), "UNTRUSTED", "NOT trusted"},
		{"revoked", sign(revoked, "revoked"), "REVOKED", "was revoked by \"Test Root\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runRelease(t, now, "verify", "--roots", ca.RootPath(), "--crl", ca.CRLPath(t), tc.file)
			if err == nil {
				t.Fatalf("verify succeeded:\n%s", out)
			}
			if !strings.Contains(err.Error(), strings.ToLower(tc.verdict)) {
				t.Errorf("error %q does not name the verdict %s", err, tc.verdict)
			}
			for _, want := range []string{tc.file + ": " + tc.verdict, tc.detail} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
	// The same good file is valid, and expired once verified after its
	// certificate's end.
	file := sign(good, "good")
	if out, _, err := runRelease(t, now, "verify", "--roots", ca.RootPath(), file); err != nil {
		t.Fatalf("good file: %v\n%s", err, out)
	}
	later := good.Cert.NotAfter.Add(time.Hour).UTC().Format(time.RFC3339)
	if out, _, err := runRelease(t, now, "verify", "--roots", ca.RootPath(), "--at", later, file); err == nil || !strings.Contains(out, "EXPIRED") {
		t.Errorf("verify --at %s: err %v\n%s", later, err, out)
	}
	if out, _, err := runRelease(t, now, "verify", "--roots", ca.RootPath(), "--revoked", good.Thumbprint(), file); err == nil || !strings.Contains(out, "REVOKED") {
		t.Errorf("verify --revoked: err %v\n%s", err, out)
	}
	// Without --roots the system pool does not know the test root.
	if out, _, err := runRelease(t, now, "verify", file); err == nil || !strings.Contains(out, "UNTRUSTED") {
		t.Errorf("verify with system roots: err %v\n%s", err, out)
	}
}

func TestReleaseVerifyJSON(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Good", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	unsigned := signingtest.TinyPE(t, "unsigned")
	if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Truncate(time.Second).UTC()
	out, _, err := runRelease(t, at, "verify", "--format", "json", "--roots", ca.RootPath(), exe, unsigned)
	if err == nil {
		t.Fatal("verify of an unsigned file succeeded")
	}
	var got []signatureReport
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	id := leaf.Identity()
	want := []signatureReport{
		{Path: exe, Kind: signing.KindAuthenticodePE, Verdict: signing.Valid, Signer: &id, Trusted: true, TimeValid: true,
			DigestOK: true, Digest: "SHA256", Chain: []string{"Good", "Test Root"}, VerifiedAt: at},
		{Path: unsigned, Kind: signing.KindUnsigned, Verdict: signing.Unsigned, Reason: "the PE file has no Authenticode signature", VerifiedAt: at},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON report (-want +got):\n%s", diff)
	}
}

func TestReleaseSignRefusesBadInputAndChangesNothing(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	good := ca.Issue(t, "Good", signingtest.Opts{})
	other := ca.Issue(t, "Other", signingtest.Opts{})
	expired := ca.Issue(t, "Expired", signingtest.Opts{Expired: true})
	now := time.Now()
	exe := signingtest.TinyPE(t)
	before, _ := os.ReadFile(exe)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{"--cert", good.CertPath, exe}, "--cert and --key are required"},
		{"key of another certificate", []string{"--cert", good.CertPath, "--key", other.KeyPath, exe}, "matches the private key"},
		{"missing file among others", []string{"--cert", good.CertPath, "--key", good.KeyPath, exe, exe + ".missing"}, "no such file"},
		{"expired certificate", []string{"--cert", expired.CertPath, "--key", expired.KeyPath, exe}, "expired on"},
		{"key is not PEM", []string{"--cert", good.CertPath, "--key", exe, exe}, "no PEM private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runRelease(t, now, append([]string{"sign"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q\n%s", err, tc.want, out)
			}
			after, _ := os.ReadFile(exe)
			if !bytes.Equal(before, after) {
				t.Fatal("the file was changed")
			}
		})
	}
	// --allow-expired signs anyway, and the result is reported expired.
	if out, _, err := runRelease(t, now, "sign", "--allow-expired", "--cert", expired.CertPath, "--key", expired.KeyPath, exe); err != nil {
		t.Fatalf("sign --allow-expired: %v\n%s", err, out)
	}
	if out, _, err := runRelease(t, now, "verify", "--roots", ca.RootPath(), exe); err == nil || !strings.Contains(out, "EXPIRED") {
		t.Errorf("verify: %v\n%s", err, out)
	}
}

func TestReleaseSignWarnsBeforeCertificateExpiry(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	now := time.Now()
	soon := ca.Issue(t, "Expiring Soon", signingtest.Opts{NotAfter: now.Add(10*24*time.Hour - time.Hour)})
	exe := signingtest.TinyPE(t)
	_, stderr, err := runRelease(t, now, "sign", "--cert", soon.CertPath, "--key", soon.KeyPath, exe)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "warning: certificate \"Expiring Soon\" expires") || !strings.Contains(stderr, "in 9 days") {
		t.Errorf("stderr = %q", stderr)
	}
}
