package connector

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

// TestHandoverFallsBackWhenTheOldCertificateExpiresUntimestamped: while a
// candidate waits for QuickBooks' approval, the running version keeps
// serving only as long as QuickBooks trusts it. Once its certificate has
// expired, a signature without a timestamp makes every file that has not
// switched fall back (the candidate is then installed as a self-update is
// today), with a step that says why and what to do; a timestamped
// signature keeps the handover going. The record survives a restart.
func TestHandoverFallsBackWhenTheOldCertificateExpiresUntimestamped(t *testing.T) {
	expired := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name        string
		timestamped bool
		want        string
	}{
		{"untimestamped", false, gateway.HandoverFellBack},
		{"timestamped", true, gateway.HandoverCandidateInstalled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &Store{Dir: t.TempDir()}
			cfg := &Config{PlatformURL: "http://127.0.0.1:1", Credential: "qbc_x", Files: []LinkedFile{{
				ConnectionID: "con_1", CompanyID: "cmp_1",
				File: gateway.FileIdentity{Path: `C:\QB\acme.qbw`, CompanyName: "Acme", FileID: "fid_1"},
			}, {
				ConnectionID: "con_2", CompanyID: "cmp_2",
				File: gateway.FileIdentity{Path: `C:\QB\beta.qbw`, CompanyName: "Beta", FileID: "fid_2"},
			}}}
			if err := st.Save(cfg); err != nil {
				t.Fatal(err)
			}
			// con_2 switched already; con_1 waits for QuickBooks.
			h := &Handover{Offer: gateway.UpdateOffer{Version: "2.0.0"}, From: "1.0.0", Program: st.Path("qbconnector.candidate"),
				Files: map[string]*FileHandover{"con_1": candidateInstalledStep("2.0.0", "qb_closed"), "con_2": switchedStep("2.0.0")}}
			if err := st.SaveHandover(h); err != nil {
				t.Fatal(err)
			}
			plat := &fakePlatform{conn: gateway.Connection{ID: "con_1", CompanyID: "cmp_1", Status: "Linked", File: cfg.Files[0].File},
				polls: make(chan *gateway.PollResponse), got: make(chan gateway.State, 100)}
			noQB := func() (qbd.RequestProcessor, error) { return nil, errors.New("no QuickBooks in this test") }
			a, err := NewAgent(context.Background(), Options{Store: st, Config: cfg, Gateway: plat, UIAddr: "-",
				NewProcessor: noQB, NewCandidateProcessor: func(string) (qbd.RequestProcessor, error) { return noQB() },
				Identity:  Identity{Version: "1.0.0", Signer: "CN=A", Thumbprint: "aa", NotAfter: expired, Timestamped: tc.timestamped},
				Heartbeat: time.Hour, ProbeInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })

			f := waitStatus(t, a, "con_1's handover step "+tc.want, func(f FileStatus) bool {
				return f.ConnectionID == "con_1" && f.Handover != nil && f.Handover.State == tc.want
			})
			saved, err := st.LoadHandover()
			if err != nil || saved == nil {
				t.Fatalf("the handover record after the tick: %+v, %v", saved, err)
			}
			if got := saved.Files["con_2"].State; got != gateway.HandoverSwitched {
				t.Errorf("con_2, switched before, is %s now", got)
			}
			if got := saved.Files["con_1"].State; got != tc.want {
				t.Errorf("con_1 saved as %s, want %s", got, tc.want)
			}
			if saved.Due() != (tc.want == gateway.HandoverFellBack) {
				t.Errorf("the candidate's installation due = %v", saved.Due())
			}
			if tc.want == gateway.HandoverFellBack && (f.Handover.Resolution == "" || !strings.Contains(f.Handover.Message, "expired") ||
				f.Handover.SubState != gateway.FellBackCertificateExpired) {
				t.Errorf("the fall-back step does not say why and what to do: %+v", f.Handover)
			}
			// The step goes to the platform with the next report.
			a.state.notify()
			for {
				r := plat.nextReport(t)
				if len(r.Files) > 0 && r.Files[0].Handover != nil && r.Files[0].Handover.State == tc.want {
					break
				}
			}
		})
	}
}

// TestHandoverFallsBackWhenTheRunningReleaseIsRevoked: the publisher
// revokes the release that serves the files not yet switched; the answer
// to the next state report says so, and those files fall back exactly as
// when the certificate expires (the candidate is then installed as a
// self-update is today), with a step that names the revocation, and the
// platform hears FellBack with the reason. A word about another version
// (an answer about the release before) changes nothing.
func TestHandoverFallsBackWhenTheRunningReleaseIsRevoked(t *testing.T) {
	st := &Store{Dir: t.TempDir()}
	cfg := &Config{PlatformURL: "http://127.0.0.1:1", Credential: "qbc_x", Files: []LinkedFile{{
		ConnectionID: "con_1", CompanyID: "cmp_1",
		File: gateway.FileIdentity{Path: `C:\QB\acme.qbw`, CompanyName: "Acme", FileID: "fid_1"},
	}}}
	if err := st.Save(cfg); err != nil {
		t.Fatal(err)
	}
	h := &Handover{Offer: gateway.UpdateOffer{Version: "2.0.0"}, From: "1.0.0", Program: st.Path("qbconnector.candidate"),
		Files: map[string]*FileHandover{"con_1": candidateInstalledStep("2.0.0", "qb_closed")}}
	if err := st.SaveHandover(h); err != nil {
		t.Fatal(err)
	}
	plat := &fakePlatform{conn: gateway.Connection{ID: "con_1", CompanyID: "cmp_1", Status: "Linked", File: cfg.Files[0].File},
		polls: make(chan *gateway.PollResponse), got: make(chan gateway.State, 100),
		revoked: &gateway.Revocation{Version: "0.9.0", Reason: "an older release", RevokedAt: time.Now()}}
	noQB := func() (qbd.RequestProcessor, error) { return nil, errors.New("no QuickBooks in this test") }
	a, err := NewAgent(context.Background(), Options{Store: st, Config: cfg, Gateway: plat, UIAddr: "-",
		NewProcessor: noQB, NewCandidateProcessor: func(string) (qbd.RequestProcessor, error) { return noQB() },
		Identity:  Identity{Version: "1.0.0", Signer: "CN=A", Thumbprint: "aa", NotAfter: time.Now().Add(30 * 24 * time.Hour)},
		Heartbeat: time.Hour, ProbeInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// An answer about another version: the handover goes on.
	plat.nextReport(t)
	a.noteRevocation(&gateway.Revocation{Version: "0.9.0", Reason: "an older release", RevokedAt: time.Now()})
	if why, _ := a.oldCannotServe(); why != "" {
		t.Fatalf("release 1.0.0 stands, yet it cannot serve: %s", why)
	}

	plat.mu.Lock()
	plat.revoked = &gateway.Revocation{Version: "1.0.0", Reason: "it loses writes on reconnect", RevokedAt: time.Now()}
	plat.mu.Unlock()
	a.state.notify()
	f := waitStatus(t, a, "con_1's handover step FellBack", func(f FileStatus) bool {
		return f.Handover != nil && f.Handover.State == gateway.HandoverFellBack
	})
	if f.Handover.SubState != gateway.FellBackReleaseRevoked || !strings.Contains(f.Handover.Message, "revoked version 1.0.0") ||
		!strings.Contains(f.Handover.Message, "it loses writes on reconnect") || f.Handover.Resolution == "" {
		t.Errorf("the fall-back step does not name the revocation and what to do: %+v", f.Handover)
	}
	saved, err := st.LoadHandover()
	if err != nil || saved == nil || !saved.Due() {
		t.Fatalf("the candidate's installation is not due: %+v, %v", saved, err)
	}
	for {
		r := plat.nextReport(t)
		if len(r.Files) > 0 && r.Files[0].Handover != nil && r.Files[0].Handover.State == gateway.HandoverFellBack {
			if got := r.Files[0].Handover.SubState; got != gateway.FellBackReleaseRevoked {
				t.Errorf("the platform hears FellBack/%s, want %s", got, gateway.FellBackReleaseRevoked)
			}
			break
		}
	}
}
