package release_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/release"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// TestARevokedReleaseIsNeverOfferedAndItsConnectorsAreOfferedTheNext: a
// revoked release is offered to nobody, whatever its rollout; a connector
// running a revoked release is offered the newest release newer than it
// whose rollout is active, even at 0%, but not a paused one; and it is told
// why its release was revoked. Revoking without a reason, an unknown
// version or a release revoked before is an error that changes nothing.
func TestARevokedReleaseIsNeverOfferedAndItsConnectorsAreOfferedTheNext(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	leaf := e.ca.Issue(t, "qbconnect Ltd", signingtest.Opts{})
	o := e.org(t, "Acme Lending")
	conn := e.link(t, o.ID, "Acme Plumbing", "", strings.ToLower(leaf.Thumbprint()))
	onOne := &qbconnect.Connector{ID: conn.ConnectorID, Version: "1.0.0"}
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		if _, _, err := e.svc.Publish(ctx, release.PublishInput{Version: v, Files: []string{signedPE(t, leaf, "qbconnector.exe")}}); err != nil {
			t.Fatal(err)
		}
	}
	all, none := 100, 0
	for v, p := range map[string]*int{"1.0.0": &all, "1.1.0": &all, "1.2.0": &none} {
		if _, err := e.svc.SetRollout(ctx, v, release.RolloutChange{Percent: p}); err != nil {
			t.Fatal(err)
		}
	}
	offered := func() string {
		t.Helper()
		o, err := e.svc.Offer(ctx, onOne, "windows/amd64")
		if err != nil {
			t.Fatal(err)
		}
		if o == nil {
			return ""
		}
		return o.Version
	}
	if got := offered(); got != "1.1.0" {
		t.Fatalf("before any revocation, offered %q, want 1.1.0", got)
	}

	e.clock.Advance(time.Minute)
	rel, err := e.svc.Revoke(ctx, "1.1.0", "  it loses writes on reconnect ")
	if err != nil {
		t.Fatal(err)
	}
	want := qbconnect.Revocation{Reason: "it loses writes on reconnect", At: e.clock.Now()}
	if rel.Revoked == nil || *rel.Revoked != want {
		t.Errorf("revoked release: %+v, want %+v", rel.Revoked, want)
	}
	if got := offered(); got != "" {
		t.Errorf("after 1.1.0 was revoked, offered %q; 1.2.0 is rolled out to nobody", got)
	}

	if _, err := e.svc.Revoke(ctx, "1.0.0", "signed with a leaked key"); err != nil {
		t.Fatal(err)
	}
	if got := offered(); got != "1.2.0" {
		t.Errorf("a connector on the revoked 1.0.0 is offered %q, want 1.2.0 whatever its percentage", got)
	}
	if rv, err := e.svc.Revocation(ctx, "1.0.0"); err != nil || rv.Reason != "signed with a leaked key" {
		t.Errorf("the revocation of the release a connector runs: %+v, %v", rv, err)
	}
	if _, err := e.svc.Revocation(ctx, "1.2.0"); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		t.Errorf("the revocation of a standing release: %v, want not found", err)
	}
	if _, err := e.svc.SetRollout(ctx, "1.2.0", release.RolloutChange{Pause: true}); err != nil {
		t.Fatal(err)
	}
	if got := offered(); got != "" {
		t.Errorf("a paused release was offered: %q", got)
	}

	for _, tc := range []struct {
		version, reason string
		code            qbconnect.ErrorCode
	}{
		{"1.2.0", " ", qbconnect.EInvalid},
		{"1.2.0", strings.Repeat("x", 4097), qbconnect.EInvalid},
		{"", "why", qbconnect.EInvalid},
		{"9.9.9", "why", qbconnect.ENotFound},
		{"1.1.0", "another reason", qbconnect.EConflict},
	} {
		if _, err := e.svc.Revoke(ctx, tc.version, tc.reason); qbconnect.ErrorCodeOf(err) != tc.code {
			t.Errorf("revoke %q with %.20q: %v, want %s", tc.version, tc.reason, err, tc.code)
		}
	}
	list, err := e.svc.Releases(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var revoked []string
	for _, r := range list {
		if r.Revoked != nil {
			revoked = append(revoked, r.Version+": "+r.Revoked.Reason)
		}
	}
	if w := []string{"1.1.0: it loses writes on reconnect", "1.0.0: signed with a leaked key"}; !slices.Equal(revoked, w) {
		t.Errorf("revoked releases listed %q, want %q", revoked, w)
	}
}

// TestAConnectionThatFellBackBecauseItsReleaseWasRevokedKeepsTheReasonUntilApproved:
// the connector reports FellBack with the revocation as its reason; the
// platform's tracking keeps it while QuickBooks has not approved the new
// version (the end user's instructions name the revocation), and moves on
// to Approved when it has.
func TestAConnectionThatFellBackBecauseItsReleaseWasRevokedKeepsTheReasonUntilApproved(t *testing.T) {
	r := newRotation(t, 0)
	e := r.e
	ctx := context.Background()
	farm := r.conns["Beta Farm"]
	e.clock.Advance(time.Minute)
	if err := e.svc.ReportHandover(ctx, farm.ConnectorID, farm.ID, qbconnect.CampaignFellBack, qbconnect.SubReleaseRevoked); err != nil {
		t.Fatal(err)
	}
	// Release 2 now runs on its own, and QuickBooks is closed.
	e.clock.Advance(time.Minute)
	e.report(t, farm.ConnectorID, "2.0.0", strings.ToLower(r.b.Thumbprint()))
	e.health(t, farm.ID, "qb_closed", "0x80040408", false)
	if _, err := e.svc.Track(ctx); err != nil {
		t.Fatal(err)
	}
	cc := campaignConnection(t, r, farm.ID)
	if cc.State != qbconnect.CampaignFellBack || cc.SubState != qbconnect.SubReleaseRevoked || !cc.NeedsAction ||
		cc.Instructions == nil || !strings.Contains(cc.Instructions.Situation, "revoked") {
		t.Errorf("after tracking, the connection is %s/%s, needs action %v, instructions %+v", cc.State, cc.SubState, cc.NeedsAction, cc.Instructions)
	}
	e.events.mu.Lock()
	if w := r.beta.ID + " Beta Farm FellBack " + qbconnect.SubReleaseRevoked; !slices.Contains(e.events.list, w) {
		t.Errorf("no webhook %q in %q", w, e.events.list)
	}
	e.events.mu.Unlock()

	e.clock.Advance(time.Minute)
	e.health(t, farm.ID, qbconnect.HealthOK, "", true)
	if _, err := e.svc.Track(ctx); err != nil {
		t.Fatal(err)
	}
	if cc := campaignConnection(t, r, farm.ID); cc.State != qbconnect.CampaignApproved {
		t.Errorf("once QuickBooks approved release 2 the connection is %s/%s, want Approved", cc.State, cc.SubState)
	}
}

func campaignConnection(t *testing.T, r *rotation, connectionID string) *qbconnect.CampaignConnection {
	t.Helper()
	c, err := r.e.svc.FindCampaign(context.Background(), "", r.camp.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range c.Connections {
		if cc.ConnectionID == connectionID {
			return cc
		}
	}
	t.Fatalf("connection %s is not in the campaign", connectionID)
	return nil
}
