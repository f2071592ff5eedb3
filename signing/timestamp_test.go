package signing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sassoftware/relic/v8/lib/pkcs9"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// verifyAt verifies path trusting ca's root (for code and for time
// stamping) as of at.
func verifyAt(tb testing.TB, ca *signingtest.CA, path string, at time.Time) *signing.Signature {
	tb.Helper()
	v := ca.Verifier(tb)
	v.Now = func() time.Time { return at }
	sig, err := v.VerifyFile(context.Background(), path)
	if err != nil {
		tb.Fatalf("VerifyFile(%s): %v", path, err)
	}
	return sig
}

// ossVerifyAt runs `osslsigncode verify` as of at, trusting only ca's root
// for the signer and for the timestamp authority.
func ossVerifyAt(tb testing.TB, ca *signingtest.CA, path string, at time.Time) (bool, string) {
	tb.Helper()
	return run(tb, "osslsigncode", "verify", "-in", path, "-CAfile", ca.RootPath(), "-TSA-CAfile", ca.RootPath(),
		"-time", strconv.FormatInt(at.Unix(), 10))
}

// ossAgreesAt checks that `osslsigncode verify` as of at accepts path
// exactly when our verdict is Valid (Authenticode files only; the
// interoperability tests need the tool, CI installs it).
func ossAgreesAt(tb testing.TB, ca *signingtest.CA, sig *signing.Signature, at time.Time) {
	tb.Helper()
	if sig.Kind != signing.KindAuthenticodePE && sig.Kind != signing.KindAuthenticodeMSI {
		return
	}
	needTool(tb, "osslsigncode", "osslsigncode")
	ok, out := ossVerifyAt(tb, ca, sig.Path, at)
	if ok != sig.Valid() {
		tb.Errorf("%s at %s: osslsigncode verify succeeded=%v, our verdict %s (%s):\n%s", filepath.Base(sig.Path), at.UTC().Format(time.RFC3339),
			ok, sig.Verdict, sig.Reason, lastLines(out, 15))
	}
}

// shortLived issues a code-signing certificate that expires in two days, so
// that tests can verify "after it expired" by moving the verification time.
func shortLived(tb testing.TB, ca *signingtest.CA, name string) *signingtest.Leaf {
	tb.Helper()
	now := time.Now()
	return ca.Issue(tb, name, signingtest.Opts{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour)})
}

func TestTimestampedSignatureStaysValidAfterTheCertificateExpires(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	tsa := signingtest.StartTSA(t, ca, nil)
	leaf := shortLived(t, ca, "qbconnect Code Signing 2026")
	afterExpiry := leaf.Cert.NotAfter.Add(24 * time.Hour)
	detached := filepath.Join(t.TempDir(), "qbconnector-linux")
	if err := os.WriteFile(detached, []byte("a connector build for another platform"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file func(t *testing.T) string // MSI skips without wixl
		kind signing.Kind
	}{
		{"exe", func(t *testing.T) string { return signingtest.TinyPE(t, "timestamped connector") }, signing.KindAuthenticodePE},
		{"msi", func(t *testing.T) string { return signingtest.MSI(t, "timestamped setup") }, signing.KindAuthenticodeMSI},
		{"detached", func(*testing.T) string { return detached }, signing.KindPKCS7Detached},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file(t)
			stamped, plain := signingtest.CopyFile(t, file), signingtest.CopyFile(t, file)
			s := leaf.Signer()
			s.TimestampURL = tsa.URL
			if _, _, err := s.SignFile(context.Background(), stamped); err != nil {
				t.Fatal(err)
			}
			ourSign(t, leaf, plain)

			now := verifyAt(t, ca, stamped, time.Now())
			wantVerdict(t, now, signing.Valid)
			if !now.Timestamped || !now.TimestampTrusted || now.ValidByTimestamp || now.Kind != tc.kind {
				t.Errorf("before expiry: timestamped=%v trusted=%v byTimestamp=%v kind=%s", now.Timestamped, now.TimestampTrusted, now.ValidByTimestamp, now.Kind)
			}
			if d := time.Since(now.TimestampTime); d < -time.Minute || d > time.Minute {
				t.Errorf("timestamp time %s, want about now", now.TimestampTime)
			}
			if now.TimestampAuthority == nil || !now.TimestampAuthority.Equal(tsa.Leaf.Cert) {
				t.Errorf("timestamp authority %v, want the test TSA", now.TimestampAuthority)
			}

			later := verifyAt(t, ca, stamped, afterExpiry)
			wantVerdict(t, later, signing.Valid)
			ossAgreesAt(t, ca, later, afterExpiry)
			want := "timestamped " + now.TimestampTime.UTC().Format(time.DateOnly) + ", certificate expired " + leaf.Cert.NotAfter.UTC().Format(time.DateOnly)
			if !later.ValidByTimestamp || later.TimeValid || later.Note() != want {
				t.Errorf("after expiry: byTimestamp=%v timeValid=%v note %q, want %q", later.ValidByTimestamp, later.TimeValid, later.Note(), want)
			}
			if err := later.Err(); err != nil {
				t.Errorf("Err() = %v", err)
			}

			untimestamped := verifyAt(t, ca, plain, afterExpiry)
			wantVerdict(t, untimestamped, signing.Expired)
			ossAgreesAt(t, ca, untimestamped, afterExpiry)
			if !strings.Contains(untimestamped.Reason, "not timestamped") {
				t.Errorf("reason %q does not say the signature lacks a timestamp", untimestamped.Reason)
			}
		})
	}
}

func TestOsslsigncodeAgreesOnTimestampedSignatures(t *testing.T) {
	needTool(t, "osslsigncode", "osslsigncode")
	ca := signingtest.NewCA(t, "Test Root")
	stranger := signingtest.NewCA(t, "Unknown Timestamp Root")
	tsa := signingtest.StartTSA(t, ca, nil)
	untrustedTSA := signingtest.StartTSA(t, stranger, nil)
	leaf := shortLived(t, ca, "qbconnect Code Signing 2026")
	now, afterExpiry := time.Now(), leaf.Cert.NotAfter.Add(24*time.Hour)

	sign := func(t *testing.T, file, url string) string {
		out := signingtest.CopyFile(t, file)
		s := leaf.Signer()
		s.TimestampURL = url
		if _, _, err := s.SignFile(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for i, mk := range []func(t *testing.T) string{
		func(t *testing.T) string { return signingtest.TinyPE(t, "stamped") },
		func(t *testing.T) string { return signingtest.MSI(t, "stamped setup") },
	} {
		t.Run([]string{"exe", "msi"}[i], func(t *testing.T) {
			file := mk(t)
			// osslsigncode stamps with our authority: the other direction.
			ossStamped := filepath.Join(t.TempDir(), "oss"+filepath.Ext(file))
			ok, out := run(t, "osslsigncode", "sign", "-certs", leaf.CertPath, "-key", leaf.KeyPath, "-ac", leaf.ChainPath,
				"-h", "sha256", "-ts", tsa.URL, "-in", file, "-out", ossStamped)
			if !ok {
				t.Fatalf("osslsigncode sign -ts against our authority: %s", out)
			}
			for _, tc := range []struct {
				name string
				path string
				at   time.Time
				want signing.Verdict
			}{
				{"ours, before expiry", sign(t, file, tsa.URL), now, signing.Valid},
				{"ours, after expiry", sign(t, file, tsa.URL), afterExpiry, signing.Valid},
				{"osslsigncode's, after expiry", ossStamped, afterExpiry, signing.Valid},
				{"untimestamped, before expiry", sign(t, file, ""), now, signing.Valid},
				{"untimestamped, after expiry", sign(t, file, ""), afterExpiry, signing.Expired},
				{"untrusted authority, after expiry", sign(t, file, untrustedTSA.URL), afterExpiry, signing.Expired},
			} {
				sig := verifyAt(t, ca, tc.path, tc.at)
				if sig.Verdict != tc.want {
					t.Errorf("%s: our verdict %s (%s), want %s", tc.name, sig.Verdict, sig.Reason, tc.want)
				}
				ok, out := ossVerifyAt(t, ca, tc.path, tc.at)
				if ok != (tc.want == signing.Valid) {
					t.Errorf("%s: osslsigncode verify succeeded=%v, want %v:\n%s", tc.name, ok, tc.want == signing.Valid, lastLines(out, 15))
				}
			}
		})
	}
}

func TestTimestampOutsideTheCertificateValidityDoesNotHelp(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := shortLived(t, ca, "qbconnect Code Signing 2026")
	// The authority's clock says the certificate had already expired when
	// the file was signed (signed with --allow-expired).
	lateClock := leaf.Cert.NotAfter.Add(time.Hour)
	tsa := signingtest.StartTSA(t, ca, func() time.Time { return lateClock })
	exe := signingtest.TinyPE(t)
	s := leaf.Signer()
	s.TimestampURL = tsa.URL
	if _, _, err := s.SignFile(context.Background(), exe); err != nil {
		t.Fatal(err)
	}
	sig := verifyAt(t, ca, exe, lateClock.Add(24*time.Hour))
	wantVerdict(t, sig, signing.Expired)
	ossAgreesAt(t, ca, sig, lateClock.Add(24*time.Hour))
	if !strings.Contains(sig.Reason, "outside the certificate's validity") {
		t.Errorf("reason %q", sig.Reason)
	}
}

func TestSigningFailsWhenTheTimestampAuthorityCannotBeReached(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	exe := signingtest.TinyPE(t)
	before, _ := os.ReadFile(exe)
	s := leaf.Signer()
	s.TimestampURL = "http://127.0.0.1:1/" // nothing listens on port 1
	if _, _, err := s.SignFile(context.Background(), exe); err == nil {
		t.Fatal("signing with an unreachable authority succeeded")
	}
	if after, _ := os.ReadFile(exe); !bytes.Equal(before, after) {
		t.Error("a failed timestamp changed the file")
	}
}

func TestTimestampAuthorityRejectsBadRequests(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	tsa := signingtest.StartTSA(t, ca, nil)
	imprint := sha256.Sum256([]byte("signature value"))
	good, _, err := pkcs9.NewRequest(tsa.URL, crypto.SHA256, imprint[:])
	if err != nil {
		t.Fatal(err)
	}
	short := *good
	short.MessageImprint.HashedMessage = imprint[:10]
	der := func(r pkcs9.TimeStampReq) []byte {
		b, err := asn1.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"valid", der(*good), pkcs9.StatusGranted},
		{"not ASN.1", []byte("hello"), pkcs9.StatusRejection},
		{"imprint of the wrong length", der(short), pkcs9.StatusRejection},
	} {
		resp, err := http.Post(tsa.URL, "application/timestamp-query", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var tr pkcs9.TimeStampResp
		if _, err := asn1.Unmarshal(body, &tr); err != nil {
			t.Fatalf("%s: answer is not a TimeStampResp: %v", tc.name, err)
		}
		if tr.Status.Status != tc.status {
			t.Errorf("%s: status %d (%v), want %d", tc.name, tr.Status.Status, tr.Status.StatusString, tc.status)
		}
		if tc.status == pkcs9.StatusGranted {
			if _, err := good.ParseResponse(body); err != nil {
				t.Errorf("granted token does not check: %v", err)
			}
		}
	}
}

func TestLoadTimestampAuthorityRefusesACodeSigningCertificate(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	if _, err := signing.LoadTimestampAuthority(leaf.CertPath, leaf.KeyPath, ""); err == nil || !strings.Contains(err.Error(), "time-stamping") {
		t.Errorf("err = %v, want a refusal naming the time-stamping usage", err)
	}
	tsaLeaf := ca.Issue(t, "Timestamp Authority", signingtest.Opts{TimeStamping: true})
	if _, err := signing.LoadTimestampAuthority(tsaLeaf.CertPath, tsaLeaf.KeyPath, ""); err != nil {
		t.Errorf("loading a time-stamping certificate: %v", err)
	}
}
