package connector_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// TestUpdaterTakesOnlyOffersNewerThanWhatRuns: the platform offers from
// the version it last heard of, which lags behind a connector that has
// just updated (its record still says 1.0.0). A connector running the
// offered release, or a newer one, ignores the offer instead of installing
// it again or going back; an older one takes it.
func TestUpdaterTakesOnlyOffersNewerThanWhatRuns(t *testing.T) {
	requireUnix(t)
	ca := signingtest.NewCA(t, "qbconnect publisher root")
	p := newUpdatePlatform(t, ca)
	p.publish(t, "2.0.0", buildUpdatee(t, "2.0.0", false), ca.Issue(t, "qbconnect Ltd", signingtest.Opts{}))
	for running, wantStaged := range map[string]bool{"2.0.0": false, "3.0.0": false, "2.0.1-rc.1": false,
		"1.0.0": true, "2.0.0-rc.1": true, "v1.9.9": true, "dev": true} {
		t.Run(running, func(t *testing.T) {
			prog := filepath.Join(t.TempDir(), "qbconnector")
			u, err := connector.NewUpdater(connector.UpdaterOptions{Updates: p.client(t), Version: running, Program: prog, Roots: ca.Pool(),
				ConfirmTimeout: time.Second, Args: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			st, err := u.Check(context.Background())
			if err != nil || (st != nil) != wantStaged {
				t.Fatalf("Check = %+v, %v; want staged %v", st, err, wantStaged)
			}
			left, _ := filepath.Glob(prog + ".*")
			if !wantStaged && len(left) != 0 {
				t.Errorf("an ignored offer left files: %v", left)
			}
		})
	}
}
