package signing_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// verify runs our verifier with the CA's trust configuration.
func verify(tb testing.TB, ca *signingtest.CA, path string) *signing.Signature {
	tb.Helper()
	sig, err := ca.Verifier(tb).VerifyFile(context.Background(), path)
	if err != nil {
		tb.Fatalf("VerifyFile(%s): %v", path, err)
	}
	return sig
}

func wantVerdict(tb testing.TB, sig *signing.Signature, want signing.Verdict) {
	tb.Helper()
	if sig.Verdict != want {
		tb.Fatalf("verdict = %s (%s), want %s", sig.Verdict, sig.Reason, want)
	}
}

func TestSignedPEIsValidAndIdentifiesItsSigner(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing A", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	before, _ := os.ReadFile(exe)

	s := leaf.Signer()
	s.Description = "qbconnect connector"
	if err := s.SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(exe)
	if len(after) <= len(before) {
		t.Fatalf("signed image is %d bytes, unsigned %d: no signature appended", len(after), len(before))
	}

	sig := verify(t, ca, exe)
	wantVerdict(t, sig, signing.Valid)
	if err := sig.Err(); err != nil {
		t.Fatalf("Err() = %v for a valid signature", err)
	}
	got := struct {
		Kind                       signing.Kind
		Identity                   signing.Identity
		Digest, Description        string
		DigestOK, Trusted, InTime  bool
		ChainLen                   int
		ChainRoot, SignaturePath   string
		SignerIsLeaf, HasTimestamp bool
	}{sig.Kind, sig.Identity, sig.DigestAlgorithm, sig.Description, sig.DigestOK, sig.Trusted, sig.TimeValid,
		len(sig.Chain), sig.Chain[len(sig.Chain)-1].Subject.CommonName, sig.SignaturePath, sig.Signer.Equal(leaf.Cert), sig.Timestamped}
	want := struct {
		Kind                       signing.Kind
		Identity                   signing.Identity
		Digest, Description        string
		DigestOK, Trusted, InTime  bool
		ChainLen                   int
		ChainRoot, SignaturePath   string
		SignerIsLeaf, HasTimestamp bool
	}{signing.KindAuthenticodePE, leaf.Identity(), "SHA256", "qbconnect connector", true, true, true, 2, "Test Root", "", true, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("signature (-want +got):\n%s", diff)
	}
	if sig.CommonName != "qbconnect Code Signing A" || sig.IssuerCommonName != "Test Root" || len(sig.Thumbprint) != 40 {
		t.Errorf("identity = %+v", sig.Identity)
	}
}

func TestUnsignedFilesAreReportedUnsigned(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	other := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(other, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		format signing.Format
	}{{signingtest.TinyPE(t), signing.FormatPE}, {other, signing.FormatOther}} {
		sig := verify(t, ca, tc.path)
		wantVerdict(t, sig, signing.Unsigned)
		if sig.Kind != signing.KindUnsigned || sig.Format != tc.format || !sig.Identity.IsZero() {
			t.Errorf("%s: kind %s format %s identity %v", tc.path, sig.Kind, sig.Format, sig.Identity)
		}
		if !errors.Is(sig.Err(), signing.ErrUnsigned) {
			t.Errorf("Err() = %v, want ErrUnsigned", sig.Err())
		}
	}
}

func TestTamperedPEIsReportedTamperedWithItsSigner(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing A", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	signingtest.Tamper(t, exe)
	sig := verify(t, ca, exe)
	wantVerdict(t, sig, signing.Tampered)
	if sig.DigestOK || !sig.Identity.Same(leaf.Identity()) {
		t.Errorf("DigestOK=%v identity=%v, want false and the signer", sig.DigestOK, sig.Identity)
	}
	if !errors.Is(sig.Err(), signing.ErrTampered) {
		t.Errorf("Err() = %v", sig.Err())
	}
}

func TestCorruptSignatureBlobIsTampered(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing A", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(exe)
	// The signature's RSA value sits near the end of the certificate table.
	signingtest.FlipByte(t, exe, info.Size()-40)
	wantVerdict(t, verify(t, ca, exe), signing.Tampered)
}

func TestCertificateStatesGiveTheirVerdicts(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	inter := ca.Intermediate(t, "Test Code Signing CA")
	stranger := signingtest.NewCA(t, "Unknown Root")
	for _, tc := range []struct {
		name string
		leaf *signingtest.Leaf
		want signing.Verdict
		err  error
	}{
		{"valid from root", ca.Issue(t, "Valid", signingtest.Opts{}), signing.Valid, nil},
		{"valid through intermediate", inter.Issue(t, "Valid Via Intermediate", signingtest.Opts{}), signing.Valid, nil},
		{"ecdsa key", ca.Issue(t, "ECDSA", signingtest.Opts{ECDSA: true}), signing.Valid, nil},
		{"expired", ca.Issue(t, "Expired", signingtest.Opts{Expired: true}), signing.Expired, signing.ErrExpired},
		{"not yet valid", ca.Issue(t, "Future", signingtest.Opts{NotYetValid: true}), signing.Expired, signing.ErrExpired},
		{"untrusted root", stranger.Issue(t, "Stranger", signingtest.Opts{}), signing.Untrusted, signing.ErrUntrusted},
		{"expired and untrusted", stranger.Issue(t, "Old Stranger", signingtest.Opts{Expired: true}), signing.Untrusted, signing.ErrUntrusted},
		{"not for code signing", ca.Issue(t, "TLS Server", signingtest.Opts{NoCodeSigning: true}), signing.Untrusted, signing.ErrUntrusted},
		{"revoked by root CRL", ca.Issue(t, "Revoked", signingtest.Opts{Revoked: true}), signing.Revoked, signing.ErrRevoked},
		{"revoked by intermediate CRL", inter.Issue(t, "Revoked Via Intermediate", signingtest.Opts{Revoked: true}), signing.Revoked, signing.ErrRevoked},
		{"revoked and expired", ca.Issue(t, "Revoked Expired", signingtest.Opts{Revoked: true, Expired: true}), signing.Revoked, signing.ErrRevoked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exe := signingtest.TinyPE(t, tc.name)
			if err := tc.leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
				t.Fatal(err)
			}
			sig := verify(t, inter, exe)
			wantVerdict(t, sig, tc.want)
			if !errors.Is(sig.Err(), tc.err) {
				t.Errorf("Err() = %v, want %v", sig.Err(), tc.err)
			}
			if !sig.Identity.Same(tc.leaf.Identity()) {
				t.Errorf("identity %v, want %v", sig.Identity, tc.leaf.Identity())
			}
			if tc.want != signing.Valid && sig.Reason == "" {
				t.Error("no reason given for a failed verdict")
			}
		})
	}
}

func TestVerificationTimeIsInjected(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	v := ca.Verifier(t)
	for _, tc := range []struct {
		at   time.Time
		want signing.Verdict
	}{
		{leaf.Cert.NotBefore.Add(time.Minute), signing.Valid},
		{leaf.Cert.NotAfter.Add(-time.Minute), signing.Valid},
		{leaf.Cert.NotAfter.Add(time.Minute), signing.Expired},
		{leaf.Cert.NotBefore.Add(-time.Minute), signing.Expired},
	} {
		v.Now = func() time.Time { return tc.at }
		sig, err := v.VerifyFile(context.Background(), exe)
		if err != nil {
			t.Fatal(err)
		}
		if sig.Verdict != tc.want || !sig.VerifiedAt.Equal(tc.at) {
			t.Errorf("at %s: verdict %s (%s) at %s, want %s", tc.at, sig.Verdict, sig.Reason, sig.VerifiedAt, tc.want)
		}
	}
}

func TestRevocationByThumbprint(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	// Thumbprints as people paste them: lower case, with separators.
	pasted := strings.ToLower(leaf.Thumbprint()[:2] + ":" + leaf.Thumbprint()[2:])
	for _, revoked := range []string{pasted, signing.Fingerprint256(leaf.Cert), signing.Thumbprint(ca.Cert)} {
		v := &signing.Verifier{Roots: ca.Pool(), RevokedThumbprints: []string{revoked}}
		sig, err := v.VerifyFile(context.Background(), exe)
		if err != nil {
			t.Fatal(err)
		}
		wantVerdict(t, sig, signing.Revoked)
	}
	v := &signing.Verifier{Roots: ca.Pool(), RevokedThumbprints: []string{strings.Repeat("AB", 20)}}
	sig, err := v.VerifyFile(context.Background(), exe)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, sig, signing.Valid)
}

func TestCRLFromAnotherCAIsIgnored(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	impostor := signingtest.NewCA(t, "Test Root") // same name, different key
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	impostor.Revoke(leaf.Cert)
	exe := signingtest.TinyPE(t)
	if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	v := &signing.Verifier{Roots: ca.Pool(), CRLs: []*x509.RevocationList{impostor.CRL(t)}}
	sig, err := v.VerifyFile(context.Background(), exe)
	if err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, sig, signing.Valid)
}

func TestResigningWithAnotherCertificateChangesIdentity(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	old := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	renewed := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{}) // same subject, new certificate
	exe := signingtest.TinyPE(t)
	if err := old.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	first := verify(t, ca, exe)
	if err := renewed.Signer().SignPE(context.Background(), exe, exe); err != nil {
		t.Fatal(err)
	}
	second := verify(t, ca, exe)
	wantVerdict(t, first, signing.Valid)
	wantVerdict(t, second, signing.Valid)
	if first.Identity.Same(second.Identity) || first.Thumbprint == second.Thumbprint {
		t.Errorf("re-signed program kept identity %v", second.Identity)
	}
	if first.Subject != second.Subject {
		t.Errorf("subjects differ: %q vs %q", first.Subject, second.Subject)
	}
	if !second.Identity.Same(renewed.Identity()) {
		t.Errorf("identity %v, want the renewed certificate", second.Identity)
	}
	if (signing.Identity{}).Same(signing.Identity{}) {
		t.Error("two unsigned identities must not be the same signer")
	}
}

func TestSignPEToAnotherPathLeavesTheInputAlone(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	before, _ := os.ReadFile(exe)
	out := filepath.Join(t.TempDir(), "signed.exe")
	if err := leaf.Signer().SignPE(context.Background(), exe, out); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(exe)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Error("input changed")
	}
	wantVerdict(t, verify(t, ca, out), signing.Valid)
	wantVerdict(t, verify(t, ca, exe), signing.Unsigned)
	if info, _ := os.Stat(out); info.Mode().Perm() != 0o755 {
		t.Errorf("signed file mode %v, want the input's 0755", info.Mode().Perm())
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	other := ca.Issue(t, "Other", signingtest.Opts{})
	dir := t.TempDir()
	notPE := filepath.Join(dir, "fake.exe")
	content := []byte("MZ but nothing else")
	if err := os.WriteFile(notPE, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := leaf.Signer().SignPE(context.Background(), notPE, notPE); err == nil {
		t.Fatal("signing a broken PE succeeded")
	}
	mismatched := &sign.Signer{Certificate: leaf.Cert, Key: other.Key}
	exe := signingtest.TinyPE(t)
	if _, _, err := mismatched.SignFile(context.Background(), exe); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("signing with a key that does not match: %v", err)
	}
	got, _ := os.ReadFile(notPE)
	if diff := cmp.Diff(content, got); diff != "" {
		t.Error("broken input was modified")
	}
	wantVerdict(t, verify(t, ca, exe), signing.Unsigned)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestDetachedSignatureOfAnyFile(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	bin := filepath.Join(t.TempDir(), "qbconnector-linux-amd64")
	if err := os.WriteFile(bin, []byte("\x7fELF pretend binary with some content"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := leaf.Signer()
	signedAt := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return signedAt }
	kind, sigPath, err := s.SignFile(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	if kind != signing.KindPKCS7Detached || sigPath != bin+".p7s" {
		t.Fatalf("SignFile = %s, %s", kind, sigPath)
	}
	sig := verify(t, ca, bin)
	wantVerdict(t, sig, signing.Valid)
	if sig.Kind != signing.KindPKCS7Detached || sig.SignaturePath != sigPath || !sig.SigningTime.Equal(signedAt) || !sig.Identity.Same(leaf.Identity()) {
		t.Errorf("signature = kind %s path %s time %s identity %v", sig.Kind, sig.SignaturePath, sig.SigningTime, sig.Identity)
	}

	signingtest.Tamper(t, bin)
	wantVerdict(t, verify(t, ca, bin), signing.Tampered)

	if err := os.WriteFile(sigPath, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantVerdict(t, verify(t, ca, bin), signing.Tampered)
}

func TestOneVerifierServesConcurrentCallers(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	good := ca.Issue(t, "Good", signingtest.Opts{})
	revoked := ca.Issue(t, "Revoked", signingtest.Opts{Revoked: true})
	files := map[string]signing.Verdict{}
	for i, leaf := range []*signingtest.Leaf{good, revoked} {
		exe := signingtest.TinyPE(t, fmt.Sprint("program", i))
		if err := leaf.Signer().SignPE(context.Background(), exe, exe); err != nil {
			t.Fatal(err)
		}
		files[exe] = []signing.Verdict{signing.Valid, signing.Revoked}[i]
	}
	v := ca.Verifier(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path, want := range files {
				sig, err := v.VerifyFile(context.Background(), path)
				if err != nil {
					errs <- err
					return
				}
				if sig.Verdict != want {
					errs <- fmt.Errorf("%s: verdict %s, want %s", path, sig.Verdict, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPEClaimingAHugeCertificateTableIsTampered(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	exe := signingtest.CopyFile(t, ca.Issue(t, "Signer", signingtest.Opts{}).Sign(t, signingtest.TinyPE(t)))
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	// The security directory of a PE32+ image: PE header at 64, then 4 + 20
	// bytes, then 144 bytes into the optional header; its size follows the
	// offset. Claim 4 GiB.
	sizeAt := 64 + 24 + 144 + 4
	copy(data[sizeAt:], []byte{0xF0, 0xFF, 0xFF, 0xFF})
	if err := os.WriteFile(exe, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sig := verify(t, ca, exe)
	wantVerdict(t, sig, signing.Tampered)
	if !strings.Contains(sig.Reason, "past the end of the file") {
		t.Errorf("reason = %q", sig.Reason)
	}
}
