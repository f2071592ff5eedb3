package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// The release store's conformance scenarios: releases and certificates,
// rotation campaigns, the mail outbox, contacts and update reports.

func release(version, channel string, signer qbconnect.Certificate, data string) *qbconnect.Release {
	return &qbconnect.Release{Version: version, Channel: channel, Notes: "notes " + version, Signer: signer,
		Rollout: qbconnect.Rollout{State: qbconnect.RolloutPaused},
		Artifacts: []qbconnect.Artifact{
			{Name: "qbconnector.exe", Kind: qbconnect.ArtifactExecutable, Platform: "windows/amd64", Size: int64(len(data)),
				SHA256: "aa", SignatureKind: "authenticode-pe", Data: []byte(data)},
			{Name: "qbconnector.exe.p7s", Kind: qbconnect.ArtifactSignature, Size: 3, SHA256: "bb", Data: []byte("sig")},
		}}
}

// testReleasesPublishOnceWithTheirFiles: a release reads back by version
// or ID with its files' metadata (the data only one file at a time), a
// version publishes once and a failed publish leaves nothing, releases list
// newest first per channel, and the signer joins the known certificates.
func testReleasesPublishOnceWithTheirFiles(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	rs := store.NewReleaseStore(e.DB)
	if !rs.Now().Equal(e.Clock.Now()) {
		t.Errorf("store clock %v, want %v", rs.Now(), e.Clock.Now())
	}
	if id, err := rs.NewID("rel"); err != nil || len(id) <= len("rel_") || id[:4] != "rel_" {
		t.Errorf("new ID %q, %v", id, err)
	}
	notAfter := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	signer := qbconnect.Certificate{Thumbprint: "a1b2", Subject: "CN=QB Connect", CommonName: "QB Connect", Issuer: "CN=CA",
		Serial: "01", NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: notAfter}

	_, err := rs.FindRelease(ctx, "1.0.0")
	wantCode(t, err, qbconnect.ENotFound)
	r1 := release("1.0.0", "stable", signer, "MZ-one")
	must(t, rs.CreateRelease(ctx, r1))
	e.Clock.Advance(time.Minute)
	r2 := release("1.1.0-beta", "beta", signer, "MZ-two")
	must(t, rs.CreateRelease(ctx, r2))
	e.Clock.Advance(time.Minute)
	r3 := release("1.1.0", "stable", signer, "MZ-three")
	must(t, rs.CreateRelease(ctx, r3))

	wantCode(t, rs.CreateRelease(ctx, release("1.0.0", "stable", signer, "again")), qbconnect.EConflict)
	dup := release("2.0.0", "stable", signer, "dup")
	dup.Artifacts = append(dup.Artifacts, dup.Artifacts[0])
	wantCode(t, rs.CreateRelease(ctx, dup), qbconnect.EInvalid)
	_, err = rs.FindRelease(ctx, "2.0.0")
	wantCode(t, err, qbconnect.ENotFound)

	want := *r1
	want.Artifacts = []qbconnect.Artifact{r1.Artifacts[0], r1.Artifacts[1]}
	for i := range want.Artifacts {
		want.Artifacts[i].Data = nil
	}
	for _, key := range []string{"1.0.0", r1.ID} {
		got, err := rs.FindRelease(ctx, key)
		must(t, err)
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("release by %q (-want +got):\n%s", key, diff)
		}
	}
	a, err := rs.Artifact(ctx, "1.0.0", "qbconnector.exe")
	must(t, err)
	if diff := cmp.Diff(&r1.Artifacts[0], a); diff != "" {
		t.Errorf("artifact with its data (-want +got):\n%s", diff)
	}
	_, err = rs.Artifact(ctx, "1.0.0", "missing.exe")
	wantCode(t, err, qbconnect.ENotFound)
	_, err = rs.Artifact(ctx, "9.9.9", "qbconnector.exe")
	wantCode(t, err, qbconnect.ENotFound)

	versions := func(channel string) []string {
		t.Helper()
		list, err := rs.ListReleases(ctx, channel)
		must(t, err)
		v := []string{}
		for _, r := range list {
			v = append(v, r.Version)
			if len(r.Artifacts) != 2 {
				t.Errorf("listed release %s has %d artifacts, want 2", r.Version, len(r.Artifacts))
			}
		}
		return v
	}
	if diff := cmp.Diff([]string{"1.1.0", "1.1.0-beta", "1.0.0"}, versions("")); diff != "" {
		t.Errorf("every release, newest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1.1.0", "1.0.0"}, versions("stable")); diff != "" {
		t.Errorf("stable releases (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{}, versions("nightly")); diff != "" {
		t.Errorf("an empty channel (-want +got):\n%s", diff)
	}

	e.Clock.Advance(time.Minute)
	ro := qbconnect.Rollout{State: qbconnect.RolloutActive, Percent: 25, Companies: []string{"cmp_1"}}
	got, err := rs.SetRollout(ctx, "1.1.0", ro)
	must(t, err)
	ro.UpdatedAt = e.Clock.Now()
	if diff := cmp.Diff(ro, got.Rollout); diff != "" || !got.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("rollout (-want +got):\n%s; updated %v", diff, got.UpdatedAt)
	}
	_, err = rs.SetRollout(ctx, "9.9.9", ro)
	wantCode(t, err, qbconnect.ENotFound)
}

// testReleasesAreRevokedOnceWithTheirReason: a revoked release reads back
// (found and listed) with the operator's reason and when; revoking it
// again, or an unknown version, is an error that changes nothing; the
// other releases stand.
func testReleasesAreRevokedOnceWithTheirReason(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	rs := store.NewReleaseStore(e.DB)
	signer := qbconnect.Certificate{Thumbprint: "a1b2", Subject: "CN=QB Connect"}
	must(t, rs.CreateRelease(ctx, release("1.0.0", "stable", signer, "MZ-one")))
	must(t, rs.CreateRelease(ctx, release("1.1.0", "stable", signer, "MZ-two")))
	e.Clock.Advance(time.Minute)

	got, err := rs.RevokeRelease(ctx, "1.0.0", "loses writes on reconnect")
	must(t, err)
	want := &qbconnect.Revocation{Reason: "loses writes on reconnect", At: e.Clock.Now()}
	if diff := cmp.Diff(want, got.Revoked); diff != "" || !got.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("the revoked release (-want +got):\n%s; updated %v", diff, got.UpdatedAt)
	}
	e.Clock.Advance(time.Minute)
	_, err = rs.RevokeRelease(ctx, "1.0.0", "another reason")
	wantCode(t, err, qbconnect.EConflict)
	_, err = rs.RevokeRelease(ctx, "9.9.9", "unknown")
	wantCode(t, err, qbconnect.ENotFound)

	found, err := rs.FindRelease(ctx, "1.0.0")
	must(t, err)
	if diff := cmp.Diff(want, found.Revoked); diff != "" {
		t.Errorf("found after a second revoke (-want +got):\n%s", diff)
	}
	rv, err := rs.Revocation(ctx, "1.0.0")
	must(t, err)
	if diff := cmp.Diff(want, rv); diff != "" {
		t.Errorf("the revocation by version (-want +got):\n%s", diff)
	}
	for _, v := range []string{"1.1.0", "9.9.9", found.ID} {
		_, err = rs.Revocation(ctx, v)
		wantCode(t, err, qbconnect.ENotFound)
	}
	list, err := rs.ListReleases(ctx, "")
	must(t, err)
	revoked := map[string]*qbconnect.Revocation{}
	for _, r := range list {
		revoked[r.Version] = r.Revoked
	}
	if diff := cmp.Diff(map[string]*qbconnect.Revocation{"1.1.0": nil, "1.0.0": want}, revoked); diff != "" {
		t.Errorf("listed revocations (-want +got):\n%s", diff)
	}
}

// testCertificatesAreKnownAndWarnedOnce: certificates come from releases,
// from AddCertificate and from connectors, ordered by expiry (unknown
// last), with their releases and warnings; a warning is given once.
func testCertificatesAreKnownAndWarnedOnce(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	rs := store.NewReleaseStore(e.DB)
	soon := qbconnect.Certificate{Thumbprint: "0001", Subject: "CN=Old", NotAfter: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
	late := qbconnect.Certificate{Thumbprint: "0002", Subject: "CN=New", NotAfter: time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC)}
	must(t, rs.CreateRelease(ctx, release("1.0.0", "stable", late, "x")))
	must(t, rs.AddCertificate(ctx, qbconnect.Certificate{Thumbprint: "0001", Subject: "CN=Old"}))
	must(t, rs.AddCertificate(ctx, soon)) // completes what is known
	must(t, rs.AddCertificate(ctx, qbconnect.Certificate{Thumbprint: "0003", Subject: "CN=Unknown expiry"}))

	first, err := rs.MarkWarning(ctx, "0001", 30)
	must(t, err)
	again, err := rs.MarkWarning(ctx, "0001", 30)
	must(t, err)
	if !first || again {
		t.Errorf("warning for 30 days: first %v, again %v; want true, false", first, again)
	}
	_, err = rs.MarkWarning(ctx, "0001", 60)
	must(t, err)

	list, err := rs.Certificates(ctx)
	must(t, err)
	want := []*qbconnect.CertificateStatus{
		{Certificate: soon, Releases: []string{}, Warnings: []int{60, 30}},
		{Certificate: late, Releases: []string{"1.0.0"}, Warnings: []int{}},
		{Certificate: qbconnect.Certificate{Thumbprint: "0003", Subject: "CN=Unknown expiry"}, Releases: []string{}, Warnings: []int{}},
	}
	if diff := cmp.Diff(want, list); diff != "" {
		t.Errorf("certificates by expiry (-want +got):\n%s", diff)
	}
}

// testCampaignsTrackConnectionsPerOrg: a campaign links its release once,
// lists newest first, reads its connections per organisation, and records
// notice, status and reminders once.
func testCampaignsTrackConnectionsPerOrg(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	rs := store.NewReleaseStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")
	signer := qbconnect.Certificate{Thumbprint: "0002", Subject: "CN=New"}
	r := release("2.0.0", "stable", signer, "x")
	must(t, rs.CreateRelease(ctx, r))

	_, err := rs.Campaign(ctx, "rot_unknown")
	wantCode(t, err, qbconnect.ENotFound)
	rollout := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	c := &qbconnect.Campaign{ReleaseID: r.ID, Version: r.Version, Status: qbconnect.CampaignActive, OldThumbprints: []string{"0001"},
		NewSigner: signer, RolloutAt: rollout, ReminderAfter: qbconnect.Duration(72 * time.Hour)}
	conns := []*qbconnect.CampaignConnection{
		{ConnectionID: "con_b", OrgID: org.ID, CompanyID: "cmp_b", CompanyName: "Bakery", ConnectorID: "ctr_1",
			File: qbconnect.FileIdentity{Path: `C:\b.qbw`}, State: qbconnect.CampaignOffered, OldThumbprint: "0001"},
		{ConnectionID: "con_a", OrgID: org.ID, CompanyID: "cmp_a", CompanyName: "Apiary", ConnectorID: "ctr_1",
			State: qbconnect.CampaignOffered, OldThumbprint: "0001"},
	}
	must(t, rs.CreateCampaign(ctx, c, conns))
	if c.ID == "" || !c.CreatedAt.Equal(e.Clock.Now()) || conns[0].CampaignID != c.ID || !conns[0].Since.Equal(e.Clock.Now()) {
		t.Errorf("created campaign %+v, connection %+v", c, conns[0])
	}
	second := &qbconnect.Campaign{ReleaseID: r.ID, Version: r.Version, Status: qbconnect.CampaignActive, OldThumbprints: []string{}, RolloutAt: rollout}
	wantCode(t, rs.CreateCampaign(ctx, second, nil), qbconnect.EConflict)
	got, err := rs.FindRelease(ctx, r.Version)
	must(t, err)
	if got.CampaignID != c.ID {
		t.Errorf("release campaign = %q, want %q", got.CampaignID, c.ID)
	}
	list, err := rs.Campaigns(ctx)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("campaigns = %d, want 1 (the refused one left nothing)", len(list))
	}
	wantCampaign := &qbconnect.Campaign{ID: c.ID, ReleaseID: r.ID, Version: r.Version, Status: qbconnect.CampaignActive,
		OldThumbprints: []string{"0001"}, NewSigner: qbconnect.Certificate{Thumbprint: "0002"}, RolloutAt: rollout,
		ReminderAfter: c.ReminderAfter, CreatedAt: c.CreatedAt}
	if diff := cmp.Diff(wantCampaign, list[0]); diff != "" {
		t.Errorf("listed campaign (-want +got):\n%s", diff)
	}

	must(t, rs.AddCampaignConnection(ctx, &qbconnect.CampaignConnection{CampaignID: c.ID, ConnectionID: "con_z", OrgID: other.ID,
		CompanyName: "Zoo", State: qbconnect.CampaignOffered, Since: e.Clock.Now()}))
	// A connection already in the campaign is left as it is.
	must(t, rs.AddCampaignConnection(ctx, &qbconnect.CampaignConnection{CampaignID: c.ID, ConnectionID: "con_a", OrgID: org.ID,
		CompanyName: "Renamed", State: qbconnect.CampaignLeft, Since: e.Clock.Now()}))
	names := func(orgID string) []string {
		t.Helper()
		ccs, err := rs.CampaignConnections(ctx, c.ID, orgID)
		must(t, err)
		n := []string{}
		for _, cc := range ccs {
			n = append(n, cc.CompanyName)
		}
		return n
	}
	if diff := cmp.Diff([]string{"Apiary", "Bakery"}, names(org.ID)); diff != "" {
		t.Errorf("one organisation's connections by company name (-want +got):\n%s", diff)
	}
	if got := names(""); len(got) != 3 {
		t.Errorf("every connection = %v, want 3", got)
	}

	e.Clock.Advance(time.Hour)
	now := e.Clock.Now()
	conns[0].State, conns[0].SubState, conns[0].Since, conns[0].UpdatedAt, conns[0].ReauthorizedAt = qbconnect.CampaignApproved, "", now, &now, &now
	must(t, rs.SaveCampaignConnection(ctx, conns[0]))
	ccs, err := rs.CampaignConnections(ctx, c.ID, org.ID)
	must(t, err)
	if diff := cmp.Diff(conns[0], ccs[1]); diff != "" {
		t.Errorf("saved campaign connection (-want +got):\n%s", diff)
	}

	must(t, rs.SetCampaignNotified(ctx, c.ID, now))
	must(t, rs.SetCampaignNotified(ctx, c.ID, now.Add(time.Hour))) // the first notice stands
	e.Clock.Advance(time.Minute)
	must(t, rs.SetCampaignStatus(ctx, c.ID, qbconnect.CampaignComplete))
	got2, err := rs.Campaign(ctx, c.ID)
	must(t, err)
	done := e.Clock.Now()
	wantCampaign.Status, wantCampaign.NotifiedAt, wantCampaign.CompletedAt = qbconnect.CampaignComplete, &now, &done
	if diff := cmp.Diff(wantCampaign, got2); diff != "" {
		t.Errorf("notified, completed campaign (-want +got):\n%s", diff)
	}

	for _, step := range []struct {
		org  string
		days int
		want bool
	}{{org.ID, 30, true}, {org.ID, 30, false}, {org.ID, 14, true}, {other.ID, 30, true}} {
		first, err := rs.MarkCampaignReminder(ctx, c.ID, step.org, step.days)
		must(t, err)
		if first != step.want {
			t.Errorf("reminder %d days for %s: first=%v, want %v", step.days, step.org, first, step.want)
		}
	}
}

// testMailOutboxDedupesAndRetries: a message is queued once per dedupe
// key, attempts retry it until sent or given up, and a sent message stays
// sent.
func testMailOutboxDedupesAndRetries(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	rs := store.NewReleaseStore(e.DB)
	_, _, err := rs.AddMail(ctx, &qbconnect.Mail{Subject: "nobody"})
	wantCode(t, err, qbconnect.EInvalid)

	m := &qbconnect.Mail{DedupeKey: "notice:rot_1:org_1", Kind: "campaign_notice", OrgID: "org_1", To: []string{"ops@example.test"},
		Subject: "Re-authorise", Text: "text", HTML: "<p>html</p>"}
	stored, created, err := rs.AddMail(ctx, m)
	must(t, err)
	want := *m
	want.ID, want.Status, want.CreatedAt, want.UpdatedAt = stored.ID, qbconnect.MailQueued, e.Clock.Now(), e.Clock.Now()
	if diff := cmp.Diff(&want, stored); diff != "" || !created {
		t.Errorf("queued mail (created %v; -want +got):\n%s", created, diff)
	}
	e.Clock.Advance(time.Second)
	again, created, err := rs.AddMail(ctx, &qbconnect.Mail{DedupeKey: m.DedupeKey, To: []string{"other@example.test"}, Subject: "dup"})
	must(t, err)
	if diff := cmp.Diff(&want, again); diff != "" || created {
		t.Errorf("a second message with the key (created %v; -want first +got):\n%s", created, diff)
	}
	plain, _, err := rs.AddMail(ctx, &qbconnect.Mail{Kind: "expiry_warning", To: []string{"a@example.test"}, Subject: "a"})
	must(t, err)
	lost, _, err := rs.AddMail(ctx, &qbconnect.Mail{Kind: "expiry_warning", To: []string{"b@example.test"}, Subject: "b"})
	must(t, err)

	e.Clock.Advance(time.Minute)
	if sent, err := rs.MailAttempt(ctx, stored.ID, "421 try later", false); err != nil || sent {
		t.Fatalf("failed attempt: sent=%v, %v", sent, err)
	}
	if sent, err := rs.MailAttempt(ctx, stored.ID, "", false); err != nil || !sent {
		t.Fatalf("successful attempt: sent=%v, %v", sent, err)
	}
	if sent, err := rs.MailAttempt(ctx, stored.ID, "", false); err != nil || sent {
		t.Fatalf("attempt on a sent message: sent=%v, %v; want false", sent, err)
	}
	_, err = rs.MailAttempt(ctx, lost.ID, "550 no such user", true)
	must(t, err)
	_, err = rs.MailAttempt(ctx, "msg_unknown", "", false)
	wantCode(t, err, qbconnect.ENotFound)

	got, err := rs.FindMail(ctx, stored.ID)
	must(t, err)
	at := e.Clock.Now()
	want.Status, want.Attempts, want.LastError, want.UpdatedAt, want.SentAt = qbconnect.MailSent, 2, "", at, &at
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("sent mail (-want +got):\n%s", diff)
	}
	_, err = rs.FindMail(ctx, "msg_unknown")
	wantCode(t, err, qbconnect.ENotFound)
	ids := func(st qbconnect.MailStatus) []string {
		t.Helper()
		list, err := rs.ListMail(ctx, st)
		must(t, err)
		v := []string{}
		for _, m := range list {
			v = append(v, m.ID)
		}
		return v
	}
	for st, want := range map[qbconnect.MailStatus][]string{
		"": {stored.ID, plain.ID, lost.ID}, qbconnect.MailQueued: {plain.ID}, qbconnect.MailSent: {stored.ID}, qbconnect.MailFailed: {lost.ID},
	} {
		if diff := cmp.Diff(want, ids(st)); diff != "" {
			t.Errorf("mail %q oldest first (-want +got):\n%s", st, diff)
		}
	}
}

// testContactsReportsAndConnectorRuns: contacts replace per organisation,
// update reports read back per connector oldest first, and connector runs
// list linked connections of connectors not revoked.
func testContactsReportsAndConnectorRuns(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	rs := store.NewReleaseStore(e.DB)
	org, other := e.Org(t, "Lender"), e.Org(t, "Other")

	wantCode(t, rs.SetContacts(ctx, "org_unknown", []string{"a@example.test"}), qbconnect.ENotFound)
	must(t, rs.SetContacts(ctx, org.ID, []string{"z@example.test", "a@example.test", "a@example.test"}))
	must(t, rs.SetContacts(ctx, other.ID, []string{"o@example.test"}))
	got, err := rs.Contacts(ctx, org.ID)
	must(t, err)
	if diff := cmp.Diff([]string{"a@example.test", "z@example.test"}, got); diff != "" {
		t.Errorf("contacts (-want +got):\n%s", diff)
	}
	must(t, rs.SetContacts(ctx, org.ID, nil))
	if got, err := rs.Contacts(ctx, org.ID); err != nil || len(got) != 0 {
		t.Errorf("contacts after clearing = %v, %v", got, err)
	}

	at := e.Clock.Now()
	reports := []qbconnect.UpdateReport{
		{ConnectorID: "ctr_1", FromVersion: "1.0.0", ToVersion: "1.1.0", Outcome: qbconnect.UpdateRolledBack, Reason: "did not start", At: at},
		{ConnectorID: "ctr_2", FromVersion: "1.0.0", ToVersion: "1.1.0", Outcome: qbconnect.UpdateInstalled, At: at.Add(time.Second)},
		{ConnectorID: "ctr_1", FromVersion: "1.0.0", ToVersion: "1.1.1", Outcome: qbconnect.UpdateInstalled, At: at.Add(2 * time.Second)},
	}
	for _, r := range reports {
		must(t, rs.RecordUpdateReport(ctx, r))
	}
	mine, err := rs.UpdateReports(ctx, "ctr_1")
	must(t, err)
	if diff := cmp.Diff([]qbconnect.UpdateReport{reports[0], reports[2]}, mine); diff != "" {
		t.Errorf("one connector's reports (-want +got):\n%s", diff)
	}
	all, err := rs.UpdateReports(ctx, "")
	must(t, err)
	if diff := cmp.Diff(reports, all); diff != "" {
		t.Errorf("every report (-want +got):\n%s", diff)
	}

	first, _ := e.Linked(t, org.ID, "")
	second, _ := e.Linked(t, org.ID, first.ConnectorID)
	revoked, _ := e.Linked(t, other.ID, "")
	must(t, e.Connections.RevokeConnector(ctx, other.ID, revoked.ConnectorID))
	unlinked, _ := e.Linked(t, org.ID, "")
	must(t, e.Connections.UnlinkConnection(ctx, org.ID, unlinked.ID))

	runIDs := func(connectorID string) []string {
		t.Helper()
		runs, err := rs.ConnectorRuns(ctx, connectorID)
		must(t, err)
		v := []string{}
		for _, r := range runs {
			v = append(v, r.Connection.ID)
			if r.CompanyName != "Company" {
				t.Errorf("run of %s: company %q", r.Connection.ID, r.CompanyName)
			}
		}
		return v
	}
	if diff := cmp.Diff([]string{first.ID, second.ID}, runIDs("")); diff != "" {
		t.Errorf("every connector run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{}, runIDs(revoked.ConnectorID)); diff != "" {
		t.Errorf("a revoked connector's runs (-want +got):\n%s", diff)
	}
}
