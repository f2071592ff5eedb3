package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// startTSACommand runs `qbconnect release tsa` on a free loopback port
// until the test ends and returns its URL, read from its first line.
func startTSACommand(tb testing.TB, ca *signingtest.CA) string {
	tb.Helper()
	leaf := ca.Issue(tb, "Staging Timestamp Authority", signingtest.Opts{TimeStamping: true})
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := releaseCmd(releaseEnv{now: time.Now})
	cmd.SetOut(pw)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"tsa", "--addr", "127.0.0.1:0", "--cert", leaf.CertPath, "--key", leaf.KeyPath})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("release tsa: %v", err)
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		tb.Fatalf("release tsa printed no address: %v", err)
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://\S+`).FindString(line)
	if m == "" {
		tb.Fatalf("release tsa: no URL in %q", line)
	}
	return m
}

// The acceptance scenario of timestamped releases: signed against the
// staging authority, the connector stays valid after its certificate
// expires; signed without, it is Expired and verify exits non-zero.
func TestReleaseVerifyAtATimeAfterExpiryAcceptsOnlyTimestampedSignatures(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	now := time.Now()
	leaf := ca.Issue(t, "qbconnect Code Signing 2026", signingtest.Opts{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(72 * time.Hour)})
	url := startTSACommand(t, ca)
	afterExpiry := leaf.Cert.NotAfter.Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)

	dir := t.TempDir()
	exe := signingtest.TinyPE(t, "qbconnector")
	stamped, plain := filepath.Join(dir, "stamped.exe"), filepath.Join(dir, "plain.exe")
	other := filepath.Join(dir, "qbconnector-linux")
	for _, f := range []string{stamped, plain} {
		data, _ := os.ReadFile(exe)
		if err := os.WriteFile(f, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(other, []byte("\x7fELF a connector build"), 0o755); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := runRelease(t, now, "sign", "--cert", leaf.CertPath, "--key", leaf.KeyPath, "--timestamp-url", url, stamped, other)
	if err != nil {
		t.Fatalf("release sign --timestamp-url: %v\n%s%s", err, out, stderr)
	}
	if strings.Contains(stderr, "no --timestamp-url") || !strings.Contains(out, "timestamped by "+url) {
		t.Errorf("timestamped signing output:\n%s\nstderr:\n%s", out, stderr)
	}
	out, stderr, err = runRelease(t, now, "sign", "--cert", leaf.CertPath, "--key", leaf.KeyPath, plain)
	if err != nil {
		t.Fatalf("release sign: %v\n%s", err, out)
	}
	if !strings.Contains(stderr, "warning: no --timestamp-url: these signatures stop verifying when certificate") {
		t.Errorf("signing without a timestamp did not warn; stderr:\n%s", stderr)
	}

	day := now.UTC().Format(time.DateOnly)
	expiry := leaf.Cert.NotAfter.UTC().Format(time.DateOnly)
	out, _, err = runRelease(t, now, "verify", "--roots", ca.RootPath(), "--at", afterExpiry, stamped, other)
	if err != nil {
		t.Fatalf("release verify --at after expiry of timestamped files: %v\n%s", err, out)
	}
	for _, f := range []string{stamped, other} {
		want := f + ": VALID (timestamped " + day + ", certificate expired " + expiry + ")"
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	if !hasField(out, "time", "timestamped "+day+", certificate expired "+expiry) {
		t.Errorf("verify output lacks the time row:\n%s", out)
	}

	out, _, err = runRelease(t, now, "verify", "--roots", ca.RootPath(), "--at", afterExpiry, plain)
	if err == nil || !strings.Contains(err.Error(), "(expired)") {
		t.Fatalf("release verify of the untimestamped file after expiry: err = %v, want Expired\n%s", err, out)
	}
	if !strings.Contains(out, plain+": EXPIRED") || !hasField(out, "timestamp", "none: the signature stops verifying when the certificate expires") {
		t.Errorf("verify output:\n%s", out)
	}

	// osslsigncode, as of the same time, agrees on both executables.
	if _, err := exec.LookPath("osslsigncode"); err == nil {
		at, _ := time.Parse(time.RFC3339, afterExpiry)
		for _, tc := range []struct {
			path string
			ok   bool
		}{{stamped, true}, {plain, false}} {
			out, err := exec.Command("osslsigncode", "verify", "-in", tc.path, "-CAfile", ca.RootPath(), "-TSA-CAfile", ca.RootPath(),
				"-time", strconv.FormatInt(at.Unix(), 10)).CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("osslsigncode verify %s at %s: succeeded=%v, want %v\n%s", filepath.Base(tc.path), afterExpiry, err == nil, tc.ok, out)
			}
		}
	} else {
		t.Log("osslsigncode is not installed (apt-get install osslsigncode): its agreement is checked in package signing's tests")
	}

	// Before expiry both are valid; the timestamped one says when it was
	// stamped.
	soon := now.Add(time.Hour).UTC().Format(time.RFC3339)
	out, _, err = runRelease(t, now, "verify", "--roots", ca.RootPath(), "--at", soon, stamped, plain)
	if err != nil {
		t.Fatalf("release verify --at %s: %v\n%s", soon, err, out)
	}
	if !hasField(out, "time", "timestamped "+day) {
		t.Errorf("verify output:\n%s", out)
	}
}

func TestReleaseVerifyRefusesAnUnreadableAtTime(t *testing.T) {
	_, _, err := runRelease(t, time.Now(), "verify", "--at", "next tuesday", "x.exe")
	if err == nil || !strings.Contains(err.Error(), "is not a time") {
		t.Errorf("err = %v", err)
	}
}

func TestReleaseTSARefusesACodeSigningCertificate(t *testing.T) {
	ca := signingtest.NewCA(t, "Test Root")
	leaf := ca.Issue(t, "qbconnect Code Signing", signingtest.Opts{})
	_, _, err := runRelease(t, time.Now(), "tsa", "--addr", "127.0.0.1:0", "--cert", leaf.CertPath, "--key", leaf.KeyPath)
	if err == nil || !strings.Contains(err.Error(), "time-stamping") {
		t.Errorf("err = %v, want a refusal naming the time-stamping usage", err)
	}
}
