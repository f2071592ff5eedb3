package signing_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/sign"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

func writeFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestPrivateKeysLoadInEveryPEMForm(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	rsaLeaf := ca.Issue(t, "RSA", signingtest.Opts{})
	ecLeaf := ca.Issue(t, "EC", signingtest.Opts{ECDSA: true})
	ecDER, err := x509.MarshalECPrivateKey(ecLeaf.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string][]byte{
		"pkcs8 rsa": mustRead(t, rsaLeaf.KeyPath),
		"pkcs8 ec":  mustRead(t, ecLeaf.KeyPath),
		"pkcs1 rsa": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaLeaf.Key.(*rsa.PrivateKey))}),
		"sec1 ec":   append([]byte("EC PARAMETERS are skipped\n"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})...),
	}
	for name, data := range forms {
		key, err := signing.ParsePrivateKey(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := rsaLeaf.Key.Public()
		if strings.HasSuffix(name, "ec") {
			want = ecLeaf.Key.Public()
		}
		if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
			t.Errorf("%s: wrong key", name)
		}
	}
	for name, data := range map[string]string{
		"encrypted pkcs8":  "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
		"legacy encrypted": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
	} {
		if _, err := signing.ParsePrivateKey([]byte(data)); err == nil || !strings.Contains(err.Error(), "encrypted") {
			t.Errorf("%s: err = %v, want a clear refusal", name, err)
		}
	}
	if _, err := signing.ParsePrivateKey([]byte("not a key")); err == nil {
		t.Error("garbage parsed as a key")
	}
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestLoadSignerFindsTheLeafInABundle(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	inter := ca.Intermediate(t, "Intermediate")
	leaf := inter.Issue(t, "Signer", signingtest.Opts{})
	// A bundle with the CA certificates first and the leaf last.
	bundle := writeFile(t, "bundle.pem", append(mustRead(t, leaf.ChainPath), mustRead(t, leaf.CertPath)...))
	s, err := sign.Load(bundle, leaf.KeyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Certificate.Equal(leaf.Cert) || len(s.Chain) != 2 {
		t.Fatalf("signer %s with %d chain certificates", s.Certificate.Subject, len(s.Chain))
	}
	exe := signingtest.TinyPE(t)
	if _, _, err := s.SignFile(context.Background(), exe); err != nil {
		t.Fatal(err)
	}
	sig := verify(t, inter, exe)
	wantVerdict(t, sig, signing.Valid)
	// The root is left out of the signature: verifiers must have it.
	if len(sig.Certificates) != 2 {
		t.Errorf("signature embeds %d certificates, want leaf and intermediate", len(sig.Certificates))
	}

	// A DER certificate works as well.
	der := writeFile(t, "leaf.der", leaf.Cert.Raw)
	if _, err := sign.Load(der, leaf.KeyPath, leaf.ChainPath); err != nil {
		t.Errorf("DER certificate: %v", err)
	}
	if _, err := sign.Load(leaf.KeyPath, leaf.KeyPath, ""); err == nil || !strings.Contains(err.Error(), "no CERTIFICATE") {
		t.Errorf("key given as certificate: %v", err)
	}
	if _, err := signing.LoadCRL(leaf.CertPath); err == nil {
		t.Error("a certificate loaded as a CRL")
	}
}

func TestDetachedSignatureInPEMForm(t *testing.T) {
	needTool(t, "openssl", "openssl")
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	file := writeFile(t, "data.bin", []byte("release notes and a binary"))
	ok, out := run(t, "openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", file, "-signer", leaf.CertPath,
		"-inkey", leaf.KeyPath, "-outform", "PEM", "-out", file+".p7s")
	if !ok {
		t.Fatalf("openssl: %s", out)
	}
	if b := mustRead(t, file+".p7s"); !strings.Contains(string(b), "BEGIN CMS") && !strings.Contains(string(b), "BEGIN PKCS7") {
		t.Fatalf("openssl wrote no PEM:\n%s", b)
	}
	wantVerdict(t, verify(t, ca, file), signing.Valid)
}

func TestNonDetachedPKCS7IsRefused(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "Signer", signingtest.Opts{})
	file := writeFile(t, "data.bin", []byte("content"))
	ok, out := run(t, "openssl", "cms", "-sign", "-nodetach", "-binary", "-in", file, "-signer", leaf.CertPath,
		"-inkey", leaf.KeyPath, "-outform", "DER", "-out", file+".p7s")
	if !ok {
		t.Fatalf("openssl: %s", out)
	}
	sig := verify(t, ca, file)
	wantVerdict(t, sig, signing.Tampered)
	if !strings.Contains(sig.Reason, "not a detached signature") {
		t.Errorf("reason = %q", sig.Reason)
	}
}
