package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/signing/signingtest"
)

// The certificate handover, one test per situation of the notice, on real
// processes and the real release path: release 1.0.0 signed with A runs;
// release 2.0.0 signed with B is published and rolled out; the connector
// installs it beside itself as a candidate and keeps serving with 1.0.0.
// Each test checks that no queued write waited for a person (every write
// queued while QuickBooks lets release 1 in is applied without anybody
// answering a dialog) and that every write was applied exactly once.

const otherFile, otherCompany = "other.qbw", "Other Company"

// oneSite starts the world with Acme Plumbing's site only, whose
// QuickBooks also holds another company file.
func oneSite(t *testing.T) (*rotation, *site) {
	r := newRotation(t, "spawn", func(r *rotation) {
		r.addSiteWith(r.lender, "Acme Plumbing", "acme.qbw", map[string]string{otherFile: otherCompany})
	})
	return r, r.sites[0]
}

// release2 publishes and rolls out 1.0.0 then 2.0.0 and returns the
// rotation campaign.
func (r *rotation) release2() string {
	r.t.Helper()
	r.publish("1.0.0", r.v1, r.a)
	r.plat.Release("rollout", "--version", "1.0.0", "--percent", "100")
	m := campaignLine.FindStringSubmatch(r.publish("2.0.0", r.v2, r.b))
	if m == nil {
		r.t.Fatal("publishing release 2 started no campaign")
	}
	r.waitStates(m[1], string(qbconnect.CampaignOffered))
	r.plat.Release("rollout", "--version", "2.0.0", "--percent", "100")
	return m[1]
}

// waitStep waits until the site's card shows the handover step state.
func waitStep(t *testing.T, s *site, state string) *connector.FileHandover {
	t.Helper()
	var got *connector.FileHandover
	wait.For(t, s.company+"'s handover step "+state, patience, func() (bool, string) {
		f := s.c.File(s.conn.ID)
		if f == nil || f.Handover == nil {
			return false, "no handover step"
		}
		got = f.Handover
		return f.Handover.State == state, f.Handover.State + "/" + f.Handover.SubState
	})
	return got
}

// approveButton presses the card's Approve the new version.
func approveButton(t *testing.T, s *site) {
	t.Helper()
	if code := s.c.UI("POST", "/api/files/"+s.conn.ID+"/approve", map[string]string{}, nil); code != http.StatusOK {
		t.Fatalf("Approve the new version answered %d", code)
	}
}

// dialogFor waits for QuickBooks' dialog and checks it is about
// certificate B and file.
func dialogFor(t *testing.T, r *rotation, s *site, file string) qbdsim.Dialog {
	t.Helper()
	d := s.sim.WaitDialog(patience)
	if d.Certificate == nil || !strings.EqualFold(d.Certificate.Thumbprint, r.b.Thumbprint()) || !strings.HasSuffix(d.CompanyFile, file) {
		t.Fatalf("QuickBooks asks about %+v for %q, want certificate B for %s", d.Certificate, d.CompanyFile, file)
	}
	return d
}

// noDialog checks that QuickBooks asks nobody anything.
func noDialog(t *testing.T, s *site, when string) {
	t.Helper()
	if ds, _ := s.sim.Dialogs(context.Background()); len(ds) != 0 {
		t.Errorf("%s: QuickBooks shows %d dialog(s)", when, len(ds))
	}
}

// runs checks which release serves the site.
func runs(t *testing.T, r *rotation, s *site, version string) {
	t.Helper()
	id := s.c.Status().Identity
	want := r.a.Thumbprint()
	if version == "2.0.0" {
		want = r.b.Thumbprint()
	}
	if id.Version != version || !strings.EqualFold(id.Thumbprint, want) {
		t.Errorf("the connector runs %s signed by %s, want %s", id.Version, id.Thumbprint, version)
	}
}

// switched waits for the switch: release 2 is the program, release 1 is
// removed, the campaign shows Switched.
func switched(t *testing.T, r *rotation, s *site, campID string) {
	t.Helper()
	r.replaced(s)
	runs(t, r, s, "2.0.0")
	wait.For(t, "release 1 to be removed", patience, func() (bool, string) {
		_, err := os.Stat(s.c.Program + ".old")
		return os.IsNotExist(err), fmt.Sprint(err)
	})
	r.waitStates(campID, string(qbconnect.CampaignSwitched))
}

// candidateWithQuickBooksClosed closes QuickBooks and rolls release 2
// out until it waits beside release 1 as the candidate, and checks that a
// write queued then is applied. It returns the rotation campaign.
func candidateWithQuickBooksClosed(t *testing.T, r *rotation, s *site) string {
	t.Helper()
	s.sim.StopQB()
	campID := r.release2()
	waitStep(t, s, gateway.HandoverCandidateInstalled)
	r.queue("candidate installed")
	r.checkWrites()
	return campID
}

// approvedAsToday plays today's behaviour after a fall-back: the
// administrator opens the file and approves release 2; the writes queued
// meanwhile are applied and the campaign completes.
func approvedAsToday(t *testing.T, r *rotation, s *site, campID string) {
	t.Helper()
	r.queue("after fall-back")
	s.sim.Open(s.file)
	s.c.PerformSync(s.conn.ID)
	s.sim.Answer(dialogFor(t, r, s, s.file), qbdsim.ChoiceAlways)
	r.checkWrites()
	wait.For(t, "the campaign to count the connection approved", patience, func() (bool, string) {
		c := campaign(r.lender, campID)
		return c.Status == qbconnect.CampaignComplete, fmt.Sprint(states(c))
	})
}

func TestHandoverRightFileOpenAsksByItselfAndNoWriteWaits(t *testing.T) {
	r, s := oneSite(t)
	r.queue("before rollout")
	r.checkWrites()
	campID := r.release2()
	// The file is open and nothing is in the way: release 2 asks by
	// itself.
	d := dialogFor(t, r, s, s.file)
	waitStep(t, s, gateway.HandoverCandidateInstalled)
	r.waitStates(campID, string(qbconnect.CampaignCandidateInstalled)+"/"+qbconnect.SubPromptShowing)
	s.sim.Answer(d, qbdsim.ChoiceAlways)
	switched(t, r, s, campID)
	s.sim.StopQB()
	r.queue("after switch")
	r.checkWrites()
}

func TestHandoverOtherFileOpenApprovedForTheWrongFileKeepsServing(t *testing.T) {
	r, s := oneSite(t)
	campID := candidateWithQuickBooksClosed(t, r, s)
	noDialog(t, s, "with QuickBooks closed")

	// The user opens another company file and presses Approve the new
	// version: QuickBooks asks about the open file, and the user approves.
	// The running release, unknown to that file, makes QuickBooks ask
	// about it first (as before any handover); the user follows the
	// card's advice and answers No.
	s.sim.Open(otherFile)
	d := s.sim.WaitDialog(patience)
	if d.Certificate == nil || !strings.EqualFold(d.Certificate.Thumbprint, r.a.Thumbprint()) {
		t.Fatalf("QuickBooks asks first about %+v, want release 1's certificate A", d.Certificate)
	}
	// Until the user presses the button, release 1 keeps checking the
	// file and QuickBooks keeps asking about it; the user answers No each
	// time, then presses Approve the new version, and release 1 leaves
	// QuickBooks alone while release 2 asks.
	for i := 0; ; i++ {
		s.sim.Answer(d, qbdsim.ChoiceNo)
		approveButton(t, s)
		d = s.sim.WaitDialog(patience)
		if d.Certificate != nil && strings.EqualFold(d.Certificate.Thumbprint, r.b.Thumbprint()) {
			break
		}
		if i == 5 {
			t.Fatalf("QuickBooks never asked about release 2: %+v", d.Certificate)
		}
	}
	if !strings.HasSuffix(d.CompanyFile, otherFile) {
		t.Fatalf("release 2's dialog is about %s, want %s", d.CompanyFile, otherFile)
	}
	s.sim.Answer(d, qbdsim.ChoiceAlways)
	step := waitStep(t, s, gateway.HandoverWrongFile)
	if !strings.Contains(step.Message, otherCompany) || !strings.Contains(step.Resolution, "Integrated Applications") {
		t.Errorf("the card does not say what happened and what to do: %+v", step)
	}
	r.waitStates(campID, string(qbconnect.CampaignWrongFile))
	runs(t, r, s, "1.0.0")

	// QuickBooks closed: release 1 serves as before, nobody asked.
	s.sim.StopQB()
	r.queue("after wrong approval")
	r.checkWrites()
	noDialog(t, s, "with QuickBooks closed")

	// The right file, approved: the switch.
	s.sim.Open(s.file)
	approveButton(t, s)
	s.sim.Answer(dialogFor(t, r, s, s.file), qbdsim.ChoiceAlways)
	switched(t, r, s, campID)
	s.sim.StopQB()
	r.queue("after switch")
	r.checkWrites()
}

func TestHandoverDeniedKeepsServingWithReleaseOne(t *testing.T) {
	r, s := oneSite(t)
	campID := r.release2()
	s.sim.Answer(dialogFor(t, r, s, s.file), qbdsim.ChoiceNo)
	step := waitStep(t, s, gateway.HandoverDenied)
	if !strings.Contains(step.Resolution, "Approve the new version") {
		t.Errorf("the card does not say what to do: %+v", step)
	}
	r.waitStates(campID, string(qbconnect.CampaignDenied))
	// Release 1 goes on with the file open, and with QuickBooks closed.
	r.queue("denied, file open")
	r.checkWrites()
	s.sim.StopQB()
	r.queue("denied, closed")
	r.checkWrites()
	noDialog(t, s, "after the denial")
	runs(t, r, s, "1.0.0")
}

// oneStampedSite is oneSite with release 1 signed with a timestamp.
func oneStampedSite(t *testing.T) (*rotation, *site) {
	r := newRotation(t, "spawn", func(r *rotation) {
		r.tsa = signingtest.StartTSA(t, r.ca, nil)
		r.addSiteWith(r.lender, "Acme Plumbing", "acme.qbw", map[string]string{otherFile: otherCompany})
	})
	return r, r.sites[0]
}

func TestHandoverOldCertificateExpiredBeforeApprovalFallsBackWithAClearState(t *testing.T) {
	r, s := oneSite(t)
	campID := candidateWithQuickBooksClosed(t, r, s)

	// Certificate A expires (QuickBooks' clock passes it); release 1's
	// signature has no timestamp, and QuickBooks refuses it: the file
	// falls back, release 2 is installed and runs as a self-update does
	// today.
	if _, err := s.sim.SetClock(context.Background(), r.a.Cert.NotAfter.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.replaced(s)
	runs(t, r, s, "2.0.0")
	step := waitStep(t, s, gateway.HandoverFellBack)
	if !strings.Contains(step.Message, "expired") || step.Resolution == "" {
		t.Errorf("the card does not say why and what to do: %+v", step)
	}
	approvedAsToday(t, r, s, campID)
}

// The publisher revokes release 1 while release 2 waits for QuickBooks'
// approval: the file falls back exactly as when certificate A expires
// (release 2 is installed and runs as a self-update does today), the card
// names the revocation and its reason, and the campaign shows FellBack
// with the revocation as the reason until QuickBooks approves release 2.
func TestHandoverOldReleaseRevokedBeforeApprovalFallsBackWithAClearState(t *testing.T) {
	r, s := oneSite(t)
	campID := candidateWithQuickBooksClosed(t, r, s)

	out := r.plat.Release("revoke", "--version", "1.0.0", "--reason", "loses writes on reconnect")
	if !strings.Contains(out, "1.0.0: revoked") {
		t.Fatalf("release revoke said %q", out)
	}
	if list := r.plat.Release("list"); !strings.Contains(list, "loses writes on reconnect") {
		t.Errorf("the operator's list does not show the revocation:\n%s", list)
	}
	r.replaced(s)
	runs(t, r, s, "2.0.0")
	step := waitStep(t, s, gateway.HandoverFellBack)
	if !strings.Contains(step.Message, "revoked version 1.0.0") || !strings.Contains(step.Message, "loses writes on reconnect") ||
		step.SubState != gateway.FellBackReleaseRevoked || step.Resolution == "" {
		t.Errorf("the card does not say why and what to do: %+v", step)
	}
	r.waitStates(campID, string(qbconnect.CampaignFellBack)+"/"+qbconnect.SubReleaseRevoked)

	approvedAsToday(t, r, s, campID)
}

func TestHandoverQuickBooksClosedNoWriteWaitsAndReleaseTwoAsksWhenTheFileOpens(t *testing.T) {
	r, s := oneSite(t)
	s.sim.StopQB()
	campID := r.release2()
	// QuickBooks is closed: release 2 waits beside release 1, which goes
	// on logging in by itself under the permission the file gave it.
	waitStep(t, s, gateway.HandoverCandidateInstalled)
	r.waitStates(campID, string(qbconnect.CampaignCandidateInstalled)+"/"+qbconnect.SubQBClosed)
	r.queue("QuickBooks closed")
	r.checkWrites()
	noDialog(t, s, "with QuickBooks closed")
	runs(t, r, s, "1.0.0")

	// The user opens the company file: release 2 asks by itself, and
	// release 1 serves the writes queued while the dialog waits.
	s.sim.Open(s.file)
	d := dialogFor(t, r, s, s.file)
	r.waitStates(campID, string(qbconnect.CampaignCandidateInstalled)+"/"+qbconnect.SubPromptShowing)
	s.sim.Answer(d, qbdsim.ChoiceAlways)
	switched(t, r, s, campID)

	// Release 2 has what release 1 had: access while QuickBooks is closed.
	s.sim.StopQB()
	r.queue("after switch")
	r.checkWrites()
	noDialog(t, s, "after the switch, with QuickBooks closed")
}

func TestHandoverNewUserInstallsReleaseTwoAndIsAskedOnceWithoutHandover(t *testing.T) {
	r := newRotation(t, "spawn", func(*rotation) {})
	r.publish("1.0.0", r.v1, r.a)
	r.plat.Release("rollout", "--version", "1.0.0", "--percent", "100")
	r.publish("2.0.0", r.v2, r.b)
	r.plat.Release("rollout", "--version", "2.0.0", "--percent", "100")

	// A new business installs the current release, signed with B, and
	// links its open file: QuickBooks asks once (addSiteOf answers the
	// one dialog about certificate B), as for any first link.
	r.addSiteOf(r.lender, "Acme Plumbing", "acme.qbw", nil, r.v2, r.b)
	s := r.sites[0]
	r.waitHealth(s, qbconnect.HealthOK)
	r.queue("new user, file open")
	r.checkWrites()
	noDialog(t, s, "after the first link")
	s.sim.StopQB()
	r.queue("new user, QuickBooks closed")
	r.checkWrites()
	noDialog(t, s, "with QuickBooks closed")

	// Already on the rolled-out release: nothing to hand over.
	runs(t, r, s, "2.0.0")
	if f := s.c.File(s.conn.ID); f == nil || f.Handover != nil {
		t.Errorf("the new user's card shows a handover step: %+v", f)
	}
	for _, suffix := range []string{connector.CandidateSuffix, ".old"} {
		if _, err := os.Stat(s.c.Program + suffix); !os.IsNotExist(err) {
			t.Errorf("the new user's connector keeps another release beside itself (%s): %v", suffix, err)
		}
	}
}

// A timestamped release 1 outlives certificate A: QuickBooks judges the
// signature as Authenticode does (see qbdsim's
// TestTimestampedProgramKeepsWorkingWhenItsCertificateExpires for the
// source), so release 1 goes on serving after A expires, nothing falls
// back, and release 2 still waits for the administrator's approval. The
// untimestamped case is
// TestHandoverOldCertificateExpiredBeforeApprovalFallsBackWithAClearState.
func TestHandoverTimestampedOldReleaseKeepsServingAfterItsCertificateExpires(t *testing.T) {
	r, s := oneStampedSite(t)
	if id := s.c.Status().Identity; !id.Timestamped {
		t.Fatalf("release 1 does not see its own timestamp: %+v", id)
	}
	campID := candidateWithQuickBooksClosed(t, r, s)

	// Certificate A expires (QuickBooks' clock passes it); release 1's
	// signature is timestamped, and QuickBooks still lets it in by itself.
	// QuickBooks, started in the background for release 1's last session,
	// is stopped so that the next write needs a new login under the new
	// date.
	if _, err := s.sim.SetClock(context.Background(), r.a.Cert.NotAfter.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.sim.StopQB()
	r.queue("after A expired")
	r.checkWrites()
	noDialog(t, s, "after A expired, with QuickBooks closed")
	runs(t, r, s, "1.0.0")
	if step := waitStep(t, s, gateway.HandoverCandidateInstalled); step == nil {
		t.Fatal("no handover step")
	}
	r.waitStates(campID, string(qbconnect.CampaignCandidateInstalled)+"/"+qbconnect.SubQBClosed)

	// The administrator opens the file; release 2 asks and is approved.
	s.sim.Open(s.file)
	s.sim.Answer(dialogFor(t, r, s, s.file), qbdsim.ChoiceAlways)
	switched(t, r, s, campID)
	s.sim.StopQB()
	r.queue("after switch")
	r.checkWrites()
}
