package signing_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// FuzzVerifyFile feeds mutated signed files to the verifier: whatever the
// bytes, it must return a verdict (no panic, no error for a readable file),
// and only an untouched file may be Valid.
func FuzzVerifyFile(f *testing.F) {
	ca := signingtest.NewCA(f, "Fuzz Root")
	leaf := ca.Issue(f, "Fuzz Signer", signingtest.Opts{})
	exe := leaf.Sign(f, signingtest.TinyPE(f))
	seed, err := os.ReadFile(exe)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed, false)
	plain := filepath.Join(f.TempDir(), "plain")
	if err := os.WriteFile(plain, []byte("plain content"), 0o644); err != nil {
		f.Fatal(err)
	}
	leaf.Sign(f, plain)
	p7s, err := os.ReadFile(plain + signing.DetachedSuffix)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p7s, true)
	v := ca.Verifier(f)
	f.Fuzz(func(t *testing.T, data []byte, asSignature bool) {
		dir := t.TempDir()
		path := filepath.Join(dir, "input")
		content := data
		if asSignature {
			content = []byte("plain content")
			if err := os.WriteFile(path+signing.DetachedSuffix, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		sig, err := v.VerifyFile(context.Background(), path)
		if err != nil {
			t.Fatalf("VerifyFile: %v", err)
		}
		if sig.Verdict == "" {
			t.Fatal("no verdict")
		}
	})
}
