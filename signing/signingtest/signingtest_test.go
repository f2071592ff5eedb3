package signingtest_test

import (
	"bytes"
	"context"
	"debug/pe"
	"os"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

func TestFilesOfAnIssuedCertificateLoad(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	inter := ca.Intermediate(t, "Issuing CA")
	leaf := inter.Issue(t, "qbconnect Code Signing A", signingtest.Opts{Revoked: true})

	s, err := sign.Load(leaf.CertPath, leaf.KeyPath, leaf.ChainPath)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Certificate.Equal(leaf.Cert) || len(s.Chain) != 2 {
		t.Errorf("loaded signer %s with %d chain certificates", s.Certificate.Subject, len(s.Chain))
	}
	roots, err := signing.LoadCertPool(ca.RootPath())
	if err != nil {
		t.Fatal(err)
	}
	if !roots.Equal(ca.Pool()) {
		t.Error("RootPath and Pool disagree")
	}
	crl, err := signing.LoadCRL(inter.CRLPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(leaf.Cert.SerialNumber) != 0 {
		t.Errorf("CRL entries %v, want the revoked leaf", crl.RevokedCertificateEntries)
	}
	if err := crl.CheckSignatureFrom(inter.Cert); err != nil {
		t.Errorf("CRL not signed by its CA: %v", err)
	}
	if inter.Root() != ca || leaf.Thumbprint() != signing.Thumbprint(leaf.Cert) {
		t.Error("Root or Thumbprint wrong")
	}
}

func TestValidityOptions(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	now := time.Now()
	for _, tc := range []struct {
		name string
		opts signingtest.Opts
		ok   func(nb, na time.Time) bool
	}{
		{"default", signingtest.Opts{}, func(nb, na time.Time) bool { return nb.Before(now) && na.After(now) }},
		{"expired", signingtest.Opts{Expired: true}, func(nb, na time.Time) bool { return na.Before(now) }},
		{"not yet valid", signingtest.Opts{NotYetValid: true}, func(nb, na time.Time) bool { return nb.After(now) }},
		{"explicit", signingtest.Opts{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(48 * time.Hour)},
			func(nb, na time.Time) bool { return nb.Equal(now.Add(-48 * time.Hour).Truncate(time.Second)) }},
	} {
		leaf := ca.Issue(t, tc.name, tc.opts)
		if !tc.ok(leaf.Cert.NotBefore, leaf.Cert.NotAfter) {
			t.Errorf("%s: validity %s to %s", tc.name, leaf.Cert.NotBefore, leaf.Cert.NotAfter)
		}
	}
}

func TestTinyPEIsAValidImage(t *testing.T) {
	a, b := signingtest.TinyPE(t, "first"), signingtest.TinyPE(t, "second")
	f, err := pe.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || len(f.Sections) != 1 || f.Sections[0].Name != ".text" {
		t.Errorf("machine %x, sections %d", f.Machine, len(f.Sections))
	}
	if bytes.Equal(read(t, a), read(t, b)) {
		t.Error("differently named images are identical")
	}
	if format, _ := signing.DetectFormat(a); format != signing.FormatPE {
		t.Errorf("format %s", format)
	}
}

func TestTamperBreaksTheDigestOfEveryFormat(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	other := ca.Verifier(t)
	files := []string{signingtest.TinyPE(t)}
	plain := t.TempDir() + "/plain.bin"
	if err := os.WriteFile(plain, []byte("some plain content"), 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, plain, signingtest.MSI(t, "tamper target"))
	for _, path := range files {
		leaf.Sign(t, path)
		if sig, err := other.VerifyFile(context.Background(), path); err != nil || sig.Verdict != signing.Valid {
			t.Fatalf("%s before tampering: %v %+v", path, err, sig)
		}
		signingtest.Tamper(t, path)
		sig, err := other.VerifyFile(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		if sig.Verdict != signing.Tampered || !sig.Identity.Same(leaf.Identity()) {
			t.Errorf("%s: verdict %s (%s), identity %v", path, sig.Verdict, sig.Reason, sig.Identity)
		}
	}
}

func read(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
