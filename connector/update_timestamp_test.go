package connector_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// The connector's update check judges a release as `release verify` does:
// after the signer certificate expired, a release whose signature carries
// a trusted timestamp from within the certificate's validity is still
// valid; one without is refused as Expired.
func TestUpdateCheckAcceptsATimestampedReleaseAfterItsCertificateExpired(t *testing.T) {
	ca := signingtest.NewCA(t, "qbconnect publisher root")
	tsa := signingtest.StartTSA(t, ca, nil)
	now := time.Now()
	leaf := ca.Issue(t, "qbconnect Ltd 2026", signingtest.Opts{NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour)})
	afterExpiry := leaf.Cert.NotAfter.Add(24 * time.Hour)
	// Any executable of this platform stands in for the new connector: the
	// check downloads and verifies it, nothing runs it.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		timestamp string
		want      error // nil: accepted
	}{
		{"timestamped", tsa.URL, nil},
		{"untimestamped", "", signing.ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newUpdatePlatform(t, ca)
			data, err := os.ReadFile(self)
			if err != nil {
				t.Fatal(err)
			}
			build := filepath.Join(t.TempDir(), "qbconnector-"+runtime.GOOS)
			if err := os.WriteFile(build, data, 0o755); err != nil {
				t.Fatal(err)
			}
			s := leaf.Signer()
			s.TimestampURL = tc.timestamp
			if _, _, err := s.SignFile(context.Background(), build); err != nil {
				t.Fatal(err)
			}
			if _, _, err := p.svc.Publish(context.Background(), release.PublishInput{Version: "2.0.0", Files: []string{build},
				Rollout: qbconnect.Rollout{Percent: 100}}); err != nil {
				t.Fatal(err)
			}
			u, err := connector.NewUpdater(connector.UpdaterOptions{Updates: p.client(t), Version: "1.0.0", Program: installed(t, build),
				Roots: ca.Pool(), Platform: runtime.GOOS + "/" + runtime.GOARCH, ConfirmTimeout: 30 * time.Second, Args: []string{},
				Now: func() time.Time { return afterExpiry }})
			if err != nil {
				t.Fatal(err)
			}
			st, err := u.Check(context.Background())
			switch {
			case tc.want == nil && (err != nil || st == nil):
				t.Fatalf("Check after expiry = %v, %v; want the timestamped release accepted", st, err)
			case tc.want != nil && (st != nil || !errors.Is(err, tc.want)):
				t.Fatalf("Check after expiry = %v, %v; want a refusal wrapping %v", st, err, tc.want)
			}
		})
	}
}
