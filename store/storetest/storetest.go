package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// Run runs the conformance suite; every scenario gets a fresh database from
// newDSN.
func Run(t *testing.T, newDSN DSNFunc) {
	scenarios := []struct {
		name string
		fn   func(*testing.T, DSNFunc)
	}{
		{"MigrationsApplyOnceAndReopen", testReopen},
		{"OrgNeedsAName", testOrgNeedsName},
		{"APIKeyIsShownOnceStoredHashedAndRevocable", testAPIKeys},
		{"CompanyRoundTripsAndUpdatesPartially", testCompanyRoundTrip},
		{"CompaniesPageInCreationOrder", testCompanyPaging},
		{"AnotherTenantsIDAnswersLikeAnUnknownID", testTenantIsolation},
		{"CompanyHasOneActiveConnection", testOneActiveConnection},
		{"LinkCodeIsSingleUseAndExpires", testLinkCode},
		{"LinkRecordsTheConnectorWholeOrNotAtAll", testLinkWhole},
		{"OneConnectorServesSeveralCompanies", testMultiCompanyConnector},
		{"RevokedConnectorIsDeauthorized", testRevokeConnector},
		{"HealthKeepsSinceWhileTheCodeStays", testHealthSince},
		{"WebConnectorAuthenticatesAndLinks", testWebConnector},
		{"DeleteCompanyUnlinksAndCancels", testDeleteCompany},
		{"EnqueueIsIdempotentPerOrg", testIdempotency},
		{"EnqueueRejectsBadInputAndChangesNothing", testEnqueueInvalid},
		{"LeaseFollowsPriorityThenFIFO", testPriorityFIFO},
		{"OneInFlightPerConnector", testOneInFlight},
		{"ExpiredLeaseIsReofferedAndCounted", testLeaseExpiry},
		{"ExpiredLeasesUseUpAttempts", testLeaseExpiryFails},
		{"FirstResultWinsAndLaterOnesAreRecorded", testFirstResultWins},
		{"ResultForUnknownLeaseIsConflict", testUnknownLease},
		{"RetryableFailureBacksOffAndHoldsItsLine", testRetryBackoff},
		{"NonRetryableFailureFails", testNonRetryable},
		{"DeadlineTimesOutQueuedWork", testDeadline},
		{"WorkWaitsWhileTheUserMustActAndResumes", testNeedsUser},
		{"PausedConnectionWaits", testPaused},
		{"PauseChangesFromTheConnectorApplyOnce", testPauseChangesFromTheConnectorApplyOnce},
		{"FinishedOperationsArePrunedOldestFirst", testPruneOperations},
		{"RetentionKeepsAPageASyncPassAwaits", testPruneKeepsAwaitedPages},
		{"CancelOnlyQueuedWork", testCancel},
		{"UnlinkCancelsQueuedWork", testUnlinkCancels},
		{"WaitWakesOnEnqueueAndCompletion", testWaitWakes},
		{"ExtendLeaseKeepsWorkLeased", testExtendLease},
		{"OperationsListNewestFirst", testListOperations},
		{"TwoHandlesLeaseEachItemOnce", testTwoHandlesLeaseOnce},
		{"WaitWakesAcrossProcesses", testWaitWakesAcrossProcesses},
		{"DispatcherAnswersAnIdlePollFromMemory", testDispatcherAnswersAnIdlePollFromMemory},
		{"DispatcherClaimsAgainWhenABackOffOrAPauseEnds", testDispatcherClaimsAgainWhenABackOffOrAPauseEnds},
		{"DispatcherKeepsConnectionsWhileWorkComesAndGoes", testDispatcherKeepsConnectionsWhileWorkComesAndGoes},
		{"DispatcherHearsOtherProcesses", testDispatcherHearsOtherProcesses},
		{"DispatcherRecordsConnectorsSeen", testDispatcherRecordsConnectorsSeen},
		{"DispatcherForgetsConnectorsGoneQuiet", testDispatcherForgetsConnectorsGoneQuiet},
		{"ListenerReconnectsAfterLosingItsConnection", testListenerReconnects},
		{"RecordsUpsertReplaceAndKeepUnchanged", testRecordUpsert},
		{"RecordsFilterAndPage", testRecordList},
		{"RecordsRejectInvalidBatchWhole", testRecordInvalid},
		{"QueueCountsOperationsByStatus", testCountOperations},
		{"ConnectionsCountedByHealthCode", testCountConnectionsByHealth},
		{"PingAnswersUntilClosed", testPing},
		{"SyncPassStartsOnceSavesByKeyAndListsHistory", testSyncPassLifecycle},
		{"SyncPassesStartTogetherWithTheirFirstPages", testSyncPassesStartTogether},
		{"SyncRunEndsOnceWhenItsLastPassEnds", testSyncRunEndsOnceWhenItsLastPassEnds},
		{"SyncPageReportsTheRecordsItChanged", testSyncPageReportsTheRecordsItChanged},
		{"LinkAttemptsCountPerWindow", testLinkAttemptsCountPerWindow},
		{"WebhookEndpointsAreTenantScopedAndListOldestFirst", testWebhookEndpoints},
		{"WebhookEventFansOutToSubscribedEndpoints", testWebhookEventsFanOut},
		{"WebhookSweepFindsUnenqueuedDeliveries", testWebhookSweepFindsUnenqueuedDeliveries},
		{"WebhookUpdateChangesOnlyWhatItHoldsAndDisabledEndpointsGetNoEvents", testWebhookUpdate},
		{"RotatedWebhookSecretKeepsThePreviousOneForTheOverlap", testWebhookSecretRotation},
		{"WebhookTestEventsAndReplaysGoToOneEndpointOutsideTheSweep", testWebhookTestEventsAndReplays},
		{"WebConnectorOwnerIDIsSetOnce", testWebConnectorOwnerIDIsSetOnce},
		{"WebConnectorCredentialsHaveOneUserNameAndCountFailures", testWebConnectorCredentials},
		{"WebConnectorSessionsOneOpenAndUpdateByVersion", testWebConnectorSessions},
		{"WebConnectorLinksAndCountsPendingWork", testWebConnectorLinksAndCountsPendingWork},
		{"WebConnectorLinkRunsTheChangeHookInItsTransaction", testWebConnectorLinkRunsTheChangeHookInItsTransaction},
		{"AWriteKeepsItsResultWithItsCompletion", testAWriteKeepsItsResultWithItsCompletion},
		{"ReleasesPublishOnceWithTheirFiles", testReleasesPublishOnceWithTheirFiles},
		{"ReleasesAreRevokedOnceWithTheirReason", testReleasesAreRevokedOnceWithTheirReason},
		{"CertificatesAreKnownAndWarnedOnce", testCertificatesAreKnownAndWarnedOnce},
		{"CampaignsTrackConnectionsPerOrg", testCampaignsTrackConnectionsPerOrg},
		{"MailOutboxDedupesAndRetries", testMailOutboxDedupesAndRetries},
		{"ContactsReportsAndConnectorRuns", testContactsReportsAndConnectorRuns},
		{"SyncPageWritesWholeOrNothing", testSyncPageWritesWholeOrNothing},
		{"FirstPassPageUpsertsRecordsStoredBeforeIt", testFirstPassPageUpsertsStoredRecords},
		{"AFullPassSweepsTheRecordsItDidNotReturn", testAFullPassSweepsTheRecordsItDidNotReturn},
		{"SyncPageJoinsTheCompletionOfItsOperation", testSyncPageJoinsTheCompletionOfItsOperation},
		{"RecordsPageStoresRecordsReadOutsideAPassAsAPageDoes", testRecordsPageStoresRecordsReadOutsideAPass},
		{"PageFindsSubElementsByNameAndRecordsThatReferToAnElement", testPageFindsSubElementsAndReferringRecords},
		{"ReportSnapshotsKeepTheLastAnswerPerQuery", testReportSnapshotsKeepTheLastAnswerPerQuery},
		{"SignerClaimsCountAnOrgsLiveConnectors", testSignerClaimsCountAnOrgsLiveConnectors},
		{"ReofferEndsOnlyTheConnectorsLiveLeases", testReofferEndsOnlyTheConnectorsLiveLeases},
		{"WarningsAndRemindersAreGivenOnceAcrossProcesses", testWarningsAndRemindersAreGivenOnceAcrossProcesses},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.fn(t, newDSN) })
	}
}

func wantCode(tb testing.TB, err error, want qbconnect.ErrorCode) {
	tb.Helper()
	if got := qbconnect.ErrorCodeOf(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

var ctx = context.Background()

func testReopen(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e := NewEnv(t, dsn, store.Options{})
	org := e.Org(t, "Acme Lending")
	e2 := OpenEnv(t, dsn, store.Options{}, e.Clock)
	got, err := e2.Orgs.FindOrg(ctx, org.ID)
	must(t, err)
	if diff := cmp.Diff(org, got); diff != "" {
		t.Errorf("org after reopen (-want +got):\n%s", diff)
	}
	if _, err := store.Open(ctx, "mysql://x", store.Options{}); qbconnect.ErrorCodeOf(err) != qbconnect.EInvalid {
		t.Errorf("unknown DSN scheme: err = %v, want EInvalid", err)
	}
}

func testOrgNeedsName(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	_, err := e.Orgs.CreateOrg(ctx, "  ")
	wantCode(t, err, qbconnect.EInvalid)
	orgs, err := e.Orgs.ListOrgs(ctx)
	must(t, err)
	if len(orgs) != 0 {
		t.Errorf("orgs after rejected create = %d, want 0", len(orgs))
	}
	_, err = e.Orgs.FindOrg(ctx, "org_unknown")
	wantCode(t, err, qbconnect.ENotFound)
}

func testAPIKeys(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	key, secret, err := e.Orgs.CreateAPIKey(ctx, org.ID, "production")
	must(t, err)
	if !regexp.MustCompile(`^qbk_live_[0-9a-z]{32}$`).MatchString(secret) {
		t.Errorf("secret %q has the wrong shape", secret)
	}
	if !strings.HasPrefix(secret, key.Prefix) || len(key.Prefix) >= len(secret) {
		t.Errorf("prefix %q is not a proper prefix of the secret", key.Prefix)
	}
	e.Clock.Advance(2 * time.Minute)
	got, err := e.Orgs.AuthenticateAPIKey(ctx, secret)
	must(t, err)
	if got.ID != key.ID || got.OrgID != org.ID || got.LastUsed == nil || !got.LastUsed.Equal(e.Clock.Now()) {
		t.Errorf("authenticated key = %+v, want ID %s of %s used now", got, key.ID, org.ID)
	}
	_, err = e.Orgs.AuthenticateAPIKey(ctx, secret+"x")
	wantCode(t, err, qbconnect.EUnauthorized)
	_, err = e.Orgs.AuthenticateAPIKey(ctx, "")
	wantCode(t, err, qbconnect.EUnauthorized)
	_, _, err = e.Orgs.CreateAPIKey(ctx, "org_nope", "x")
	wantCode(t, err, qbconnect.ENotFound)

	keys, err := e.Orgs.ListAPIKeys(ctx, org.ID)
	must(t, err)
	if len(keys) != 1 || keys[0].Prefix != key.Prefix {
		t.Fatalf("keys = %+v, want the one key", keys)
	}
	must(t, e.Orgs.RevokeAPIKey(ctx, key.Prefix))
	_, err = e.Orgs.AuthenticateAPIKey(ctx, secret)
	wantCode(t, err, qbconnect.EUnauthorized)
	wantCode(t, e.Orgs.RevokeAPIKey(ctx, "qbk_live_nothing"), qbconnect.ENotFound)

	// A second key still works after the first is revoked by ID.
	k2, s2, err := e.Orgs.CreateAPIKey(ctx, org.ID, "staging")
	must(t, err)
	_, err = e.Orgs.AuthenticateAPIKey(ctx, s2)
	must(t, err)
	must(t, e.Orgs.RevokeAPIKey(ctx, k2.ID))
	_, err = e.Orgs.AuthenticateAPIKey(ctx, s2)
	wantCode(t, err, qbconnect.EUnauthorized)
}

func testCompanyRoundTrip(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c := &qbconnect.Company{
		OrgID: org.ID, Name: "Bob's Bakery", ExternalID: "cust-42",
		Metadata: map[string]string{"tier": "gold"},
		Schedule: qbconnect.SyncSchedule{Every: qbconnect.Duration(time.Hour),
			Window: &qbconnect.SyncWindow{TimeZone: "America/Chicago", From: "22:00", To: "06:00", Days: []time.Weekday{0, 6}}},
	}
	must(t, e.Companies.CreateCompany(ctx, c))
	if !strings.HasPrefix(c.ID, "cmp_") || !c.CreatedAt.Equal(e.Clock.Now()) {
		t.Errorf("created company ID %q at %v", c.ID, c.CreatedAt)
	}
	got, err := e.Companies.FindCompany(ctx, org.ID, c.ID)
	must(t, err)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("found company (-want +got):\n%s", diff)
	}
	e.Clock.Advance(time.Minute)
	name := "Bob's Bakery LLC"
	upd, err := e.Companies.UpdateCompany(ctx, org.ID, c.ID, qbconnect.CompanyUpdate{Name: &name})
	must(t, err)
	want := *c
	want.Name, want.UpdatedAt = name, e.Clock.Now()
	if diff := cmp.Diff(&want, upd); diff != "" {
		t.Errorf("updated company (-want +got):\n%s", diff)
	}
	bad := qbconnect.SyncSchedule{Window: &qbconnect.SyncWindow{From: "25:00"}}
	_, err = e.Companies.UpdateCompany(ctx, org.ID, c.ID, qbconnect.CompanyUpdate{Schedule: &bad})
	wantCode(t, err, qbconnect.EInvalid)
	empty := ""
	_, err = e.Companies.UpdateCompany(ctx, org.ID, c.ID, qbconnect.CompanyUpdate{Name: &empty})
	wantCode(t, err, qbconnect.EInvalid)
	got, err = e.Companies.FindCompany(ctx, org.ID, c.ID)
	must(t, err)
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("company after rejected updates (-want +got):\n%s", diff)
	}
	wantCode(t, e.Companies.CreateCompany(ctx, &qbconnect.Company{OrgID: "org_nope", Name: "x"}), qbconnect.ENotFound)
}

func testCompanyPaging(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	other := e.Org(t, "Other")
	e.Company(t, other.ID, "not mine")
	var want []string
	for i := range 5 {
		want = append(want, e.Company(t, org.ID, fmt.Sprintf("c%d", i)).ID)
	}
	var got []string
	cursor, pages := "", 0
	for {
		page, next, err := e.Companies.ListCompanies(ctx, qbconnect.CompanyFilter{OrgID: org.ID, Limit: 2, Cursor: cursor})
		must(t, err)
		pages++
		for _, c := range page {
			got = append(got, c.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if diff := cmp.Diff(want, got); diff != "" || pages != 3 {
		t.Errorf("paged companies in %d pages (-want +got):\n%s", pages, diff)
	}
	_, _, err := e.Companies.ListCompanies(ctx, qbconnect.CompanyFilter{OrgID: org.ID, Cursor: "!!"})
	wantCode(t, err, qbconnect.EInvalid)
	_, _, err = e.Companies.ListCompanies(ctx, qbconnect.CompanyFilter{OrgID: org.ID, Limit: 1001})
	wantCode(t, err, qbconnect.EInvalid)
}

func testTenantIsolation(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	a, b := e.Org(t, "A"), e.Org(t, "B")
	conn, _ := e.Linked(t, a.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "<QBXML/>")
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{{CompanyID: conn.CompanyID, Type: "customers", ID: "80000001-1", Data: json.RawMessage(`{}`)}}))

	// Each lookup with B's org must fail exactly like a lookup of an unknown ID.
	checks := []struct {
		name  string
		other func() error
		none  func() error
	}{
		{"company", func() error { _, err := e.Companies.FindCompany(ctx, b.ID, conn.CompanyID); return err },
			func() error { _, err := e.Companies.FindCompany(ctx, b.ID, "cmp_unknown"); return err }},
		{"connection", func() error { _, err := e.Connections.FindConnection(ctx, b.ID, conn.ID); return err },
			func() error { _, err := e.Connections.FindConnection(ctx, b.ID, "con_unknown"); return err }},
		{"operation", func() error { _, err := e.Queue.FindOperation(ctx, b.ID, op.ID); return err },
			func() error { _, err := e.Queue.FindOperation(ctx, b.ID, "op_unknown"); return err }},
		{"cancel", func() error { return e.Queue.Cancel(ctx, b.ID, op.ID) },
			func() error { return e.Queue.Cancel(ctx, b.ID, "op_unknown") }},
		{"record", func() error {
			_, err := e.Records.FindRecord(ctx, b.ID, conn.CompanyID, "customers", "80000001-1")
			return err
		},
			func() error {
				_, err := e.Records.FindRecord(ctx, b.ID, "cmp_unknown", "customers", "80000001-1")
				return err
			}},
		{"records", func() error {
			_, _, err := e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: b.ID, CompanyID: conn.CompanyID, Type: "customers"})
			return err
		}, func() error {
			_, _, err := e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: b.ID, CompanyID: "cmp_unknown", Type: "customers"})
			return err
		}},
		{"link code", func() error { _, err := e.Connections.CreateLinkCode(ctx, b.ID, conn.ID, 0); return err },
			func() error { _, err := e.Connections.CreateLinkCode(ctx, b.ID, "con_unknown", 0); return err }},
		{"unlink", func() error { return e.Connections.UnlinkConnection(ctx, b.ID, conn.ID) },
			func() error { return e.Connections.UnlinkConnection(ctx, b.ID, "con_unknown") }},
		{"revoke connector", func() error { return e.Connections.RevokeConnector(ctx, b.ID, conn.ConnectorID) },
			func() error { return e.Connections.RevokeConnector(ctx, b.ID, "ctr_unknown") }},
		{"enqueue", func() error {
			_, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: b.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "x"})
			return err
		}, func() error {
			_, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: b.ID, ConnectionID: "con_unknown", Kind: qbconnect.OpSync, Request: "x"})
			return err
		}},
	}
	for _, c := range checks {
		other, none := c.other(), c.none()
		if qbconnect.ErrorCodeOf(other) != qbconnect.ENotFound || qbconnect.ErrorCodeOf(none) != qbconnect.ENotFound {
			t.Errorf("%s: other tenant's ID: %v; unknown ID: %v; want both not_found", c.name, other, none)
		}
	}
	// And nothing of A changed.
	got, err := e.Queue.FindOperation(ctx, a.ID, op.ID)
	must(t, err)
	if got.Status != qbconnect.OpQueued {
		t.Errorf("A's operation is %s after B's attempts, want Queued", got.Status)
	}
	c, err := e.Connections.FindConnection(ctx, a.ID, conn.ID)
	must(t, err)
	if c.Status != qbconnect.StatusLinked {
		t.Errorf("A's connection is %s after B's attempts, want Linked", c.Status)
	}
}

func testOneActiveConnection(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	cmpny := e.Company(t, org.ID, "Bakery")
	first := &qbconnect.Connection{OrgID: org.ID, CompanyID: cmpny.ID, Kind: qbconnect.KindConnector}
	must(t, e.Connections.CreateConnection(ctx, first))
	if first.Status != qbconnect.StatusPendingAuth || first.Health.Code != qbconnect.HealthNeverConnected || !first.Health.NeedsUser {
		t.Errorf("new connection: status %s health %+v", first.Status, first.Health)
	}
	second := &qbconnect.Connection{OrgID: org.ID, CompanyID: cmpny.ID, Kind: qbconnect.KindWebConnector}
	wantCode(t, e.Connections.CreateConnection(ctx, second), qbconnect.EConflict)
	wantCode(t, e.Connections.CreateConnection(ctx, &qbconnect.Connection{OrgID: org.ID, CompanyID: cmpny.ID, Kind: "fax"}), qbconnect.EInvalid)
	active, err := e.Connections.ActiveConnection(ctx, org.ID, cmpny.ID)
	must(t, err)
	if active.ID != first.ID {
		t.Errorf("active connection = %s, want %s", active.ID, first.ID)
	}
	must(t, e.Connections.UnlinkConnection(ctx, org.ID, first.ID))
	must(t, e.Connections.UnlinkConnection(ctx, org.ID, first.ID)) // idempotent
	_, err = e.Connections.ActiveConnection(ctx, org.ID, cmpny.ID)
	wantCode(t, err, qbconnect.ENotFound)
	must(t, e.Connections.CreateConnection(ctx, second))
	all, err := e.Connections.ListConnections(ctx, org.ID, cmpny.ID)
	must(t, err)
	if len(all) != 2 || all[0].Status != qbconnect.StatusUnlinked || all[1].ID != second.ID {
		t.Errorf("connections = %+v, want the unlinked one then the new one", all)
	}
}

func testLinkCode(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	cmpny := e.Company(t, org.ID, "Bakery")
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: cmpny.ID, Kind: qbconnect.KindConnector}
	must(t, e.Connections.CreateConnection(ctx, conn))
	lc, err := e.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	must(t, err)
	if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`).MatchString(lc.Code) {
		t.Errorf("link code %q is not XXXX-XXXX in Crockford base32", lc.Code)
	}
	if want := e.Clock.Now().Add(time.Hour); !lc.ExpiresAt.Equal(want) {
		t.Errorf("link code expires at %v, want %v", lc.ExpiresAt, want)
	}
	file := qbconnect.FileIdentity{Path: `C:\Users\Public\Documents\Bakery.qbw`, CompanyName: "Bob's Bakery"}
	_, _, _, err = e.Connections.RedeemLinkCode(ctx, "0000-0000", "", file)
	wantCode(t, err, qbconnect.EUnauthorized)

	// Typed as a person would: lower case, no dash.
	typed := strings.ToLower(strings.ReplaceAll(lc.Code, "-", ""))
	linked, ctr, cred, err := e.Connections.RedeemLinkCode(ctx, typed, "", file)
	must(t, err)
	if linked.Status != qbconnect.StatusLinked || linked.ConnectorID != ctr.ID || linked.Health.Code != qbconnect.HealthOK || linked.Health.NeedsUser {
		t.Errorf("linked connection = %+v", linked)
	}
	if linked.File.Path != file.Path || linked.File.CompanyName != file.CompanyName || !strings.HasPrefix(linked.File.FileID, "fid_") {
		t.Errorf("linked file = %+v, want the reported file with a new private ID", linked.File)
	}
	if !regexp.MustCompile(`^qbc_[0-9a-z]{32}$`).MatchString(cred) {
		t.Errorf("credential %q has the wrong shape", cred)
	}
	got, err := e.Connections.AuthenticateConnector(ctx, cred)
	must(t, err)
	if got.ID != ctr.ID {
		t.Errorf("authenticated connector %s, want %s", got.ID, ctr.ID)
	}
	_, err = e.Connections.AuthenticateConnector(ctx, "qbc_nothing")
	wantCode(t, err, qbconnect.EUnauthorized)

	// Single use.
	_, _, _, err = e.Connections.RedeemLinkCode(ctx, lc.Code, "", file)
	wantCode(t, err, qbconnect.EUnauthorized)

	// Expiry, and a failed redemption changes nothing.
	lc2, err := e.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 10*time.Minute)
	must(t, err)
	e.Clock.Advance(10 * time.Minute)
	_, _, _, err = e.Connections.RedeemLinkCode(ctx, lc2.Code, "", qbconnect.FileIdentity{Path: `D:\Other.qbw`})
	wantCode(t, err, qbconnect.EUnauthorized)
	after, err := e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if diff := cmp.Diff(linked.File, after.File); diff != "" {
		t.Errorf("file after a failed redemption (-want +got):\n%s", diff)
	}
	_, err = e.Connections.CreateLinkCode(ctx, org.ID, conn.ID, -time.Second)
	wantCode(t, err, qbconnect.EInvalid)

	// The identity recorded at link time detects a different file.
	if err := after.File.CheckFile(after.File); err != nil {
		t.Errorf("same file: %v", err)
	}
	moved := qbconnect.FileIdentity{Path: `C:\Old\Bakery.qbw`, CompanyName: "Bob's Bakery", FileID: "fid_other"}
	if err := after.File.CheckFile(moved); err == nil || err.Code != qbconnect.EConflict {
		t.Errorf("different file: %v, want conflict", err)
	}
}

func testMultiCompanyConnector(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c1, cred := e.Linked(t, org.ID, "")
	c2, cred2 := e.Linked(t, org.ID, c1.ConnectorID)
	if cred == "" || cred2 != "" {
		t.Errorf("credentials %q, %q: want one for the new connector only", cred, cred2)
	}
	conns, err := e.Connections.ConnectorConnections(ctx, c1.ConnectorID)
	must(t, err)
	var ids []string
	for _, c := range conns {
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{c1.ID, c2.ID}, ids); diff != "" {
		t.Errorf("connector's connections (-want +got):\n%s", diff)
	}
	must(t, e.Connections.UpdateConnector(ctx, &qbconnect.Connector{ID: c1.ConnectorID, Version: "1.4.0", Signer: "CN=qbconnect", Thumbprint: "ab12", Hostname: "FRONTDESK"}))
	ctr, err := e.Connections.FindConnector(ctx, c1.ConnectorID)
	must(t, err)
	if ctr.Version != "1.4.0" || ctr.Hostname != "FRONTDESK" || ctr.Signer != "CN=qbconnect" {
		t.Errorf("connector = %+v", ctr)
	}
	wantCode(t, e.Connections.UpdateConnector(ctx, &qbconnect.Connector{ID: "ctr_nope"}), qbconnect.ENotFound)
}

func testRevokeConnector(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, cred := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityWrite, "<QBXML/>")
	must(t, e.Connections.RevokeConnector(ctx, org.ID, conn.ConnectorID))
	_, err := e.Connections.AuthenticateConnector(ctx, cred)
	wantCode(t, err, qbconnect.EUnauthorized)
	got, err := e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if got.Status != qbconnect.StatusDeauthorized || got.Health.Code != qbconnect.HealthRevoked || !got.Health.NeedsUser {
		t.Errorf("connection after revoke: %s %+v", got.Status, got.Health)
	}
	_, err = e.Queue.Lease(ctx, conn.ConnectorID, time.Minute)
	wantCode(t, err, qbconnect.EUnauthorized)

	// Re-linking with a new code and a new connector resumes the waiting work.
	lc, err := e.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	must(t, err)
	relinked, ctr, _, err := e.Connections.RedeemLinkCode(ctx, lc.Code, "", conn.File)
	must(t, err)
	if relinked.Status != qbconnect.StatusLinked || relinked.File.FileID != conn.File.FileID {
		t.Errorf("relinked: %s file %+v, want Linked with the same file ID", relinked.Status, relinked.File)
	}
	l := e.Lease(t, ctr.ID, time.Minute)
	if l == nil || l.Operation.ID != op.ID {
		t.Fatalf("lease after relink = %+v, want %s", l, op.ID)
	}
}

func testHealthSince(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	closed := qbconnect.Health{Code: "qb_not_running", Message: "QuickBooks is closed.", Resolution: "Open QuickBooks.", QBCode: "0x80040408", NeedsUser: true}
	must(t, e.Connections.SetHealth(ctx, conn.ID, closed))
	since := e.Clock.Now()
	e.Clock.Advance(5 * time.Minute)
	must(t, e.Connections.SetHealth(ctx, conn.ID, closed))
	got, err := e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	want := closed
	want.Since = since
	if diff := cmp.Diff(want, got.Health); diff != "" {
		t.Errorf("health (-want +got):\n%s", diff)
	}
	e.Clock.Advance(time.Minute)
	must(t, e.Connections.SetHealth(ctx, conn.ID, qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected."}))
	got, err = e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if !got.Health.Since.Equal(e.Clock.Now()) || got.Health.NeedsUser {
		t.Errorf("health after recovery = %+v, want since now", got.Health)
	}
	wantCode(t, e.Connections.SetHealth(ctx, "con_nope", closed), qbconnect.ENotFound)
	wantCode(t, e.Connections.SetHealth(ctx, conn.ID, qbconnect.Health{}), qbconnect.EInvalid)
}

func testWebConnector(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	cmpny := e.Company(t, org.ID, "Bakery")
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: cmpny.ID, Kind: qbconnect.KindWebConnector}
	must(t, e.Connections.CreateConnection(ctx, conn))
	_, err := e.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	wantCode(t, err, qbconnect.EConflict)
	user, pass, err := e.Connections.SetWebConnectorPassword(ctx, org.ID, conn.ID)
	must(t, err)
	_, err = e.Connections.AuthenticateWebConnector(ctx, user, pass+"x")
	wantCode(t, err, qbconnect.EUnauthorized)
	got, err := e.Connections.AuthenticateWebConnector(ctx, user, pass)
	must(t, err)
	if got.ID != conn.ID {
		t.Errorf("authenticated %s, want %s", got.ID, conn.ID)
	}
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "<QBXML/>")
	if l, err := e.Queue.LeaseConnection(ctx, conn.ID, time.Minute); err != nil || l != nil {
		t.Fatalf("lease before link = %v, %v; want nothing", l, err)
	}
	linked, err := e.Connections.LinkWebConnector(ctx, conn.ID, qbconnect.FileIdentity{Path: `C:\Books\Bakery.qbw`, CompanyName: "Bakery"},
		qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected."})
	must(t, err)
	if linked.Status != qbconnect.StatusLinked || linked.File.FileID == "" {
		t.Errorf("linked = %+v", linked)
	}
	l, err := e.Queue.LeaseConnection(ctx, conn.ID, time.Minute)
	must(t, err)
	if l == nil || l.Operation.ID != op.ID {
		t.Fatalf("lease = %+v, want %s", l, op.ID)
	}
	if l2, err := e.Queue.LeaseConnection(ctx, conn.ID, time.Minute); err != nil || l2 != nil {
		t.Errorf("second lease while one is in flight = %v, %v", l2, err)
	}
}

func testDeleteCompany(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityScheduled, "<QBXML/>")
	must(t, e.Companies.DeleteCompany(ctx, org.ID, conn.CompanyID))
	_, err := e.Companies.FindCompany(ctx, org.ID, conn.CompanyID)
	wantCode(t, err, qbconnect.ENotFound)
	wantCode(t, e.Companies.DeleteCompany(ctx, org.ID, conn.CompanyID), qbconnect.ENotFound)
	got, err := e.Queue.FindOperation(ctx, org.ID, op.ID)
	must(t, err)
	c, err := e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if got.Status != qbconnect.OpCanceled || c.Status != qbconnect.StatusUnlinked {
		t.Errorf("after delete: operation %s, connection %s; want Canceled, Unlinked", got.Status, c.Status)
	}
	page, _, err := e.Companies.ListCompanies(ctx, qbconnect.CompanyFilter{OrgID: org.ID})
	must(t, err)
	if len(page) != 0 {
		t.Errorf("companies after delete = %d, want 0", len(page))
	}
}

func testIdempotency(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	a, b := e.Org(t, "A"), e.Org(t, "B")
	ca, _ := e.Linked(t, a.ID, "")
	cb, _ := e.Linked(t, b.ID, "")
	write := func(conn *qbconnect.Connection, req string) *qbconnect.Operation {
		op, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: conn.OrgID, CompanyID: conn.CompanyID, Kind: qbconnect.OpWrite,
			Priority: qbconnect.PriorityWrite, IdempotencyKey: "inv-1001", Request: req})
		must(t, err)
		return op
	}
	first := write(ca, "<InvoiceAdd/>")
	e.Clock.Advance(time.Second)
	again := write(ca, "<InvoiceAdd/>")
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second enqueue with the same key (-first +second):\n%s", diff)
	}
	if first.ConnectionID != ca.ID || first.MaxAttempts != 5 || first.Status != qbconnect.OpQueued || !strings.HasPrefix(first.ID, "op_") {
		t.Errorf("enqueued = %+v", first)
	}
	other := write(cb, "<InvoiceAdd/>")
	if other.ID == first.ID {
		t.Errorf("another org's operation with the same key shares ID %s", other.ID)
	}
	page, _, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: a.ID})
	must(t, err)
	if len(page) != 1 {
		t.Errorf("org A has %d operations, want 1", len(page))
	}
}

func testEnqueueInvalid(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	other := e.Company(t, org.ID, "Other")
	for name, op := range map[string]*qbconnect.Operation{
		"no org":        {ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "x"},
		"no connection": {OrgID: org.ID, Kind: qbconnect.OpSync, Request: "x"},
		"bad kind":      {OrgID: org.ID, ConnectionID: conn.ID, Kind: "dance", Request: "x"},
		"no request":    {OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync},
		"negative":      {OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "x", Priority: -1},
		"wrong company": {OrgID: org.ID, ConnectionID: conn.ID, CompanyID: other.ID, Kind: qbconnect.OpSync, Request: "x"},
	} {
		if _, err := e.Queue.Enqueue(ctx, op); qbconnect.ErrorCodeOf(err) != qbconnect.EInvalid {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
	_, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, CompanyID: other.ID, Kind: qbconnect.OpSync, Request: "x"})
	wantCode(t, err, qbconnect.ENotFound) // no active connection
	must(t, e.Connections.UnlinkConnection(ctx, org.ID, conn.ID))
	_, err = e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Request: "x"})
	wantCode(t, err, qbconnect.EConflict)
	page, _, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID})
	must(t, err)
	if len(page) != 0 {
		t.Errorf("%d operations stored by rejected enqueues", len(page))
	}
}

// drain leases and completes everything of a connector, returning the
// requests in the order they ran.
func drain(tb testing.TB, e *Env, connectorID string) []string {
	tb.Helper()
	var order []string
	for {
		l := e.Lease(tb, connectorID, time.Minute)
		if l == nil {
			return order
		}
		order = append(order, l.Operation.Request)
		if _, applied, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<ok/>")}); err != nil || !applied {
			tb.Fatalf("complete %s: applied=%v err=%v", l.Operation.ID, applied, err)
		}
	}
}

func testPriorityFIFO(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c1, _ := e.Linked(t, org.ID, "")
	c2, _ := e.Linked(t, org.ID, c1.ConnectorID)
	e.Enqueue(t, c1, qbconnect.PriorityScheduled, "sched-1")
	e.Enqueue(t, c2, qbconnect.PriorityScheduled, "sched-2")
	e.Enqueue(t, c1, qbconnect.PriorityWrite, "write-1")
	e.Enqueue(t, c1, qbconnect.PriorityInteractive, "sync-now")
	e.Enqueue(t, c2, qbconnect.PriorityWrite, "write-2")
	e.Enqueue(t, c1, qbconnect.PriorityScheduled, "sched-3")
	e.Enqueue(t, c1, qbconnect.PriorityContinuation, "iterator-next")
	want := []string{"iterator-next", "write-1", "write-2", "sync-now", "sched-1", "sched-2", "sched-3"}
	if diff := cmp.Diff(want, drain(t, e, c1.ConnectorID)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func testOneInFlight(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c1, _ := e.Linked(t, org.ID, "")
	c2, _ := e.Linked(t, org.ID, c1.ConnectorID)
	other, _ := e.Linked(t, org.ID, "")
	e.Enqueue(t, c1, qbconnect.PriorityInteractive, "a")
	e.Enqueue(t, c2, qbconnect.PriorityInteractive, "b")
	e.Enqueue(t, other, qbconnect.PriorityInteractive, "c")
	l := e.Lease(t, c1.ConnectorID, time.Minute)
	if l == nil || l.Operation.Request != "a" || l.Operation.Status != qbconnect.OpInFlight || l.Operation.Attempts != 1 {
		t.Fatalf("first lease = %+v", l)
	}
	if l2 := e.Lease(t, c1.ConnectorID, time.Minute); l2 != nil {
		t.Errorf("second lease of the same connector = %s, want none while %s is in flight", l2.Operation.Request, l.Operation.Request)
	}
	if l2, err := e.Queue.LeaseConnection(ctx, c2.ID, time.Minute); err != nil || l2 != nil {
		t.Errorf("lease of the connector's other connection = %v, %v; want none", l2, err)
	}
	if l3 := e.Lease(t, other.ConnectorID, time.Minute); l3 == nil || l3.Operation.Request != "c" {
		t.Errorf("another connector's lease = %+v, want c", l3)
	}
	_, _, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<ok/>")})
	must(t, err)
	if l4 := e.Lease(t, c1.ConnectorID, time.Minute); l4 == nil || l4.Operation.Request != "b" {
		t.Errorf("lease after completion = %+v, want b", l4)
	}
	_, err = e.Queue.Lease(ctx, "ctr_unknown", time.Minute)
	wantCode(t, err, qbconnect.ENotFound)
	_, err = e.Queue.Lease(ctx, c1.ConnectorID, 0)
	wantCode(t, err, qbconnect.EInvalid)
}

func testLeaseExpiry(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	e.Enqueue(t, conn, qbconnect.PriorityInteractive, "first")
	e.Enqueue(t, conn, qbconnect.PriorityInteractive, "second")
	l1 := e.Lease(t, conn.ConnectorID, 30*time.Second)
	e.Clock.Advance(29 * time.Second)
	if l := e.Lease(t, conn.ConnectorID, 30*time.Second); l != nil {
		t.Fatalf("lease before expiry = %s", l.Operation.Request)
	}
	e.Clock.Advance(time.Second)
	l2 := e.Lease(t, conn.ConnectorID, 30*time.Second)
	if l2 == nil || l2.Operation.ID != l1.Operation.ID || l2.LeaseID == l1.LeaseID || l2.Operation.Attempts != 2 {
		t.Fatalf("lease after expiry = %+v, want %s again with a new lease and attempt 2", l2, l1.Operation.Request)
	}
	// The sweeper re-offers too.
	e.Clock.Advance(time.Minute)
	n, err := e.Queue.ExpireDeadlines(ctx)
	must(t, err)
	got, err := e.Queue.FindOperation(ctx, org.ID, l1.Operation.ID)
	must(t, err)
	if n != 1 || got.Status != qbconnect.OpQueued || got.LeaseID != "" {
		t.Errorf("after sweep: changed %d, operation %s lease %q; want 1, Queued, none", n, got.Status, got.LeaseID)
	}
}

func testLeaseExpiryFails(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpHealth, Request: "x", MaxAttempts: 2})
	must(t, err)
	for range 2 {
		if l := e.Lease(t, conn.ConnectorID, time.Second); l == nil {
			t.Fatal("no lease")
		}
		e.Clock.Advance(time.Second)
	}
	if l := e.Lease(t, conn.ConnectorID, time.Second); l != nil {
		t.Fatalf("third lease of a 2-attempt operation: %+v", l)
	}
	got, err := e.Queue.FindOperation(ctx, org.ID, op.ID)
	must(t, err)
	if got.Status != qbconnect.OpFailed || got.Error == nil || got.Error.Code != qbconnect.ETimeout || got.CompletedAt == nil {
		t.Errorf("operation = %s %+v, want Failed with a timeout error", got.Status, got.Error)
	}
}

func testFirstResultWins(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityWrite, "<InvoiceAdd/>")
	next := e.Enqueue(t, conn, qbconnect.PriorityWrite, "<InvoiceAdd n=2/>")
	l1 := e.Lease(t, conn.ConnectorID, time.Minute)
	e.Clock.Advance(time.Minute)
	l2 := e.Lease(t, conn.ConnectorID, time.Minute)
	if l2 == nil || l2.Operation.ID != op.ID {
		t.Fatalf("re-lease = %+v", l2)
	}
	// The late answer of the expired lease arrives first: the work happened, so it wins.
	got, applied, err := e.Queue.Complete(ctx, op.ID, l1.LeaseID, qbconnect.Outcome{Response: []byte("<first/>")})
	must(t, err)
	if !applied || got.Status != qbconnect.OpSucceeded || string(got.Result) != "<first/>" {
		t.Fatalf("late result: applied=%v status=%s result=%q", applied, got.Status, got.Result)
	}
	got, applied, err = e.Queue.Complete(ctx, op.ID, l2.LeaseID, qbconnect.Outcome{Response: []byte("<second/>")})
	must(t, err)
	if applied || string(got.Result) != "<first/>" {
		t.Errorf("second result: applied=%v result=%q; want ignored", applied, got.Result)
	}
	// A duplicate post of the same result is ignored too.
	_, applied, err = e.Queue.Complete(ctx, op.ID, l1.LeaseID, qbconnect.Outcome{Response: []byte("<first/>")})
	must(t, err)
	if applied {
		t.Error("duplicate result applied")
	}
	outs, err := e.Queue.Outcomes(ctx, org.ID, op.ID)
	must(t, err)
	var summary []string
	for _, o := range outs {
		summary = append(summary, fmt.Sprintf("%s %v %s", o.LeaseID, o.Applied, o.Response))
	}
	want := []string{l1.LeaseID + " true <first/>", l2.LeaseID + " false <second/>", l1.LeaseID + " false <first/>"}
	if diff := cmp.Diff(want, summary); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if l := e.Lease(t, conn.ConnectorID, time.Minute); l == nil || l.Operation.ID != next.ID {
		t.Errorf("next lease = %+v, want %s", l, next.ID)
	}
}

func testUnknownLease(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityWrite, "x")
	e.Lease(t, conn.ConnectorID, time.Minute)
	_, _, err := e.Queue.Complete(ctx, op.ID, "lse_forged", qbconnect.Outcome{Response: []byte("x")})
	wantCode(t, err, qbconnect.EConflict)
	_, _, err = e.Queue.Complete(ctx, "op_unknown", "lse_forged", qbconnect.Outcome{Response: []byte("x")})
	wantCode(t, err, qbconnect.ENotFound)
	got, err := e.Queue.FindOperation(ctx, org.ID, op.ID)
	must(t, err)
	if got.Status != qbconnect.OpInFlight {
		t.Errorf("status after a forged result = %s, want InFlight", got.Status)
	}
}

func testRetryBackoff(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{RetryBase: 10 * time.Second, RetryMax: time.Minute})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpWrite,
		Priority: qbconnect.PriorityWrite, Request: "w1", MaxAttempts: 3})
	must(t, err)
	e.Enqueue(t, conn, qbconnect.PriorityWrite, "w2")
	e.Enqueue(t, conn, qbconnect.PriorityScheduled, "sched")
	busy := &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "QuickBooks is busy", QBCode: "0x80040418", Retryable: true}
	for attempt := 1; attempt <= 3; attempt++ {
		l := e.Lease(t, conn.ConnectorID, time.Minute)
		if l == nil || l.Operation.ID != op.ID || l.Operation.Attempts != attempt {
			t.Fatalf("attempt %d: lease = %+v", attempt, l)
		}
		got, applied, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Failure: busy})
		must(t, err)
		if !applied {
			t.Fatalf("attempt %d: failure not applied", attempt)
		}
		if attempt == 3 {
			if got.Status != qbconnect.OpFailed || got.Error == nil || got.Error.QBCode != "0x80040418" {
				t.Errorf("after the last attempt: %s %+v, want Failed with the QuickBooks code", got.Status, got.Error)
			}
			break
		}
		// Back-off: base·2^(attempt-1) scaled into [0.5, 1).
		wait := got.NotBefore.Sub(e.Clock.Now())
		full := 10 * time.Second << (attempt - 1)
		if got.Status != qbconnect.OpQueued || wait < full/2 || wait >= full {
			t.Fatalf("attempt %d: %s, retry in %v; want Queued, in [%v, %v)", attempt, got.Status, wait, full/2, full)
		}
		// Meanwhile the later write of the same line waits; the scheduled sync may run.
		l2 := e.Lease(t, conn.ConnectorID, time.Minute)
		if attempt == 1 && (l2 == nil || l2.Operation.Request != "sched") {
			t.Fatalf("during back-off: lease = %+v, want sched", l2)
		}
		if l2 != nil {
			if l2.Operation.Request == "w2" {
				t.Fatal("w2 overtook w1 during its back-off")
			}
			_, _, err = e.Queue.Complete(ctx, l2.Operation.ID, l2.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
			must(t, err)
		}
		e.Clock.Advance(wait)
	}
	if l := e.Lease(t, conn.ConnectorID, time.Minute); l == nil || l.Operation.Request != "w2" {
		t.Errorf("after w1 failed: lease = %+v, want w2", l)
	}
}

func testNonRetryable(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityWrite, "x")
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	bad := &qbconnect.Error{Code: qbconnect.EInvalid, Message: "the request is not valid qbXML"}
	got, applied, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Failure: bad})
	must(t, err)
	if !applied || got.Status != qbconnect.OpFailed || got.Attempts != 1 || got.Error.Message != bad.Message {
		t.Errorf("after a permanent failure: applied=%v %s attempts=%d err=%+v", applied, got.Status, got.Attempts, got.Error)
	}
}

func testDeadline(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c1, _ := e.Linked(t, org.ID, "")
	c2, _ := e.Linked(t, org.ID, "")
	deadline := e.Clock.Now().Add(10 * time.Minute)
	enq := func(conn *qbconnect.Connection) *qbconnect.Operation {
		op, err := e.Queue.Enqueue(ctx, &qbconnect.Operation{OrgID: org.ID, ConnectionID: conn.ID, Kind: qbconnect.OpWrite,
			Priority: qbconnect.PriorityWrite, Request: "w", Deadline: &deadline})
		must(t, err)
		return op
	}
	a, b := enq(c1), enq(c2)
	// QuickBooks is closed on both PCs: the writes wait, then time out.
	closed := qbconnect.Health{Code: "qb_not_running", Message: "QuickBooks is closed.", NeedsUser: true}
	must(t, e.Connections.SetHealth(ctx, c1.ID, closed))
	must(t, e.Connections.SetHealth(ctx, c2.ID, closed))
	e.Clock.Advance(10 * time.Minute)
	must(t, e.Connections.SetHealth(ctx, c1.ID, qbconnect.Health{Code: qbconnect.HealthOK}))
	if l := e.Lease(t, c1.ConnectorID, time.Minute); l != nil {
		t.Errorf("lease past the deadline = %+v", l)
	}
	got, err := e.Queue.FindOperation(ctx, org.ID, a.ID)
	must(t, err)
	if got.Status != qbconnect.OpTimedOut || got.Error == nil || got.Error.Code != qbconnect.ETimeout {
		t.Errorf("a = %s %+v, want TimedOut by Lease", got.Status, got.Error)
	}
	n, err := e.Queue.ExpireDeadlines(ctx)
	must(t, err)
	got, err = e.Queue.FindOperation(ctx, org.ID, b.ID)
	must(t, err)
	if n != 1 || got.Status != qbconnect.OpTimedOut {
		t.Errorf("sweep changed %d; b = %s, want 1 and TimedOut", n, got.Status)
	}
}

func testNeedsUser(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityWrite, "w")
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	closed := qbconnect.Health{Code: "qb_not_running", Message: "QuickBooks is not running.", Resolution: "Open QuickBooks.", NeedsUser: true}
	fail := &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "Could not start QuickBooks.", QBCode: "0x80040408", Retryable: true}
	got, applied, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Failure: fail, Health: &closed})
	must(t, err)
	if !applied || got.Status != qbconnect.OpQueued || got.Attempts != 0 {
		t.Fatalf("after QuickBooks closed: applied=%v %s attempts=%d; want Queued with the attempt given back", applied, got.Status, got.Attempts)
	}
	c, err := e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if c.Health.Code != "qb_not_running" || !c.Health.NeedsUser || c.Health.LastRequestAt == nil {
		t.Errorf("health = %+v", c.Health)
	}
	// Days pass; the work waits and burns nothing.
	for range 3 {
		e.Clock.Advance(24 * time.Hour)
		if l := e.Lease(t, conn.ConnectorID, time.Minute); l != nil {
			t.Fatalf("leased while the user must act: %+v", l)
		}
	}
	wake := e.Queue.Wait(ctx, conn.ConnectorID)
	must(t, e.Connections.SetHealth(ctx, conn.ID, qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected."}))
	select {
	case <-wake:
	default:
		t.Error("clearing the health did not wake the connector")
	}
	l = e.Lease(t, conn.ConnectorID, time.Minute)
	if l == nil || l.Operation.ID != op.ID || l.Operation.Attempts != 1 {
		t.Fatalf("lease after recovery = %+v, want %s at attempt 1", l, op.ID)
	}
	ok := qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected."}
	_, _, err = e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<ok/>"), Health: &ok})
	must(t, err)
	c, err = e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if c.Health.LastSuccessAt == nil || !c.Health.LastSuccessAt.Equal(e.Clock.Now()) {
		t.Errorf("last success = %v, want now", c.Health.LastSuccessAt)
	}
}

func testPaused(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	e.Enqueue(t, conn, qbconnect.PriorityScheduled, "s")
	until := e.Clock.Now().Add(time.Hour)
	c, err := e.Connections.SetPaused(ctx, org.ID, conn.ID, qbconnect.Pause{Paused: true, Until: &until, By: qbconnect.PausedByAPI})
	must(t, err)
	if !c.Paused || c.PausedUntil == nil || !c.PausedUntil.Equal(until) || c.PausedBy != qbconnect.PausedByAPI {
		t.Errorf("paused connection = %+v", c)
	}
	if l := e.Lease(t, conn.ConnectorID, time.Minute); l != nil {
		t.Fatalf("leased while paused: %+v", l)
	}
	e.Clock.Advance(time.Hour)
	if l := e.Lease(t, conn.ConnectorID, time.Minute); l == nil {
		t.Fatal("nothing leased once the pause ended")
	}
	_, err = e.Connections.SetPaused(ctx, "org_x", conn.ID, qbconnect.Pause{Paused: true})
	wantCode(t, err, qbconnect.ENotFound)
}

// testPauseChangesFromTheConnectorApplyOnce: a change the connector sends
// again (its answer was lost) must not undo what the API did since, on
// whichever server process it arrives.
func testPauseChangesFromTheConnectorApplyOnce(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	at := e.Clock.Now().Add(-time.Minute)
	local := qbconnect.Pause{Paused: true, By: qbconnect.PausedByConnector, ChangeAt: &at}
	c, err := e.Connections.SetPaused(ctx, org.ID, conn.ID, local)
	must(t, err)
	if !c.Paused || c.PausedBy != qbconnect.PausedByConnector || c.PauseChangeAt == nil || !c.PauseChangeAt.Equal(at) {
		t.Fatalf("after the connector's pause: %+v", c)
	}
	c, err = e.Connections.SetPaused(ctx, org.ID, conn.ID, qbconnect.Pause{Paused: false})
	must(t, err)
	if c.Paused || c.PausedBy != "" || c.PausedUntil != nil {
		t.Fatalf("after the API's resume: %+v", c)
	}
	c, err = e.Connections.SetPaused(ctx, org.ID, conn.ID, local)
	must(t, err)
	if c.Paused {
		t.Fatalf("the connector's pause, sent again, paused the connection again: %+v", c)
	}
	later := at.Add(time.Second)
	c, err = e.Connections.SetPaused(ctx, org.ID, conn.ID, qbconnect.Pause{Paused: true, By: qbconnect.PausedByConnector, ChangeAt: &later})
	must(t, err)
	if !c.Paused || !c.PauseChangeAt.Equal(later) {
		t.Fatalf("a newer change from the connector was not applied: %+v", c)
	}
}

func testPruneOperations(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	finish := func(request string) *qbconnect.Operation {
		t.Helper()
		e.Enqueue(t, conn, qbconnect.PriorityScheduled, request)
		l := e.Lease(t, conn.ConnectorID, time.Minute)
		op, applied, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<QBXML>" + request + "</QBXML>")})
		must(t, err)
		if !applied {
			t.Fatal("result not applied")
		}
		// a second, different answer is kept as an outcome of its own
		_, _, err = e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<QBXML>again</QBXML>")})
		must(t, err)
		e.Clock.Advance(time.Hour)
		return op
	}
	old1, old2 := finish("old1"), finish("old2")
	canceled := e.Enqueue(t, conn, qbconnect.PriorityScheduled, "canceled")
	must(t, e.Queue.Cancel(ctx, org.ID, canceled.ID))
	e.Clock.Advance(time.Hour)
	cutoff := e.Clock.Now() // after old1, old2 and canceled finished
	recent := finish("recent")
	queued := e.Enqueue(t, conn, qbconnect.PriorityScheduled, "queued")

	// Sync results go first; the operations stay.
	n, err := e.Queue.DropSyncResults(ctx, cutoff, 100)
	must(t, err)
	if n != 2 {
		t.Errorf("dropped %d sync results, want 2 (the cancelled one has none)", n)
	}
	op, err := e.Queue.FindOperation(ctx, org.ID, old1.ID)
	must(t, err)
	if op.Status != qbconnect.OpSucceeded || len(op.Result) != 0 {
		t.Errorf("after dropping results: status %s, result %q", op.Status, op.Result)
	}
	outs, err := e.Queue.Outcomes(ctx, org.ID, old1.ID)
	must(t, err)
	for _, o := range outs {
		if len(o.Response) != 0 {
			t.Errorf("an outcome kept its response: %q", o.Response)
		}
	}
	if op, _ := e.Queue.FindOperation(ctx, org.ID, recent.ID); string(op.Result) != "<QBXML>recent</QBXML>" {
		t.Errorf("a recent result was dropped: %q", op.Result)
	}

	// Then the operations themselves, in batches, oldest first.
	n, err = e.Queue.PruneOperations(ctx, cutoff, 2)
	must(t, err)
	if n != 2 {
		t.Fatalf("pruned %d, want a batch of 2", n)
	}
	if _, err := e.Queue.FindOperation(ctx, org.ID, old1.ID); qbconnect.ErrorCodeOf(err) != qbconnect.ENotFound {
		t.Errorf("the oldest operation is still there: %v", err)
	}
	if _, err := e.Queue.FindOperation(ctx, org.ID, canceled.ID); err != nil {
		t.Errorf("the cancelled operation, newer than the batch, is gone: %v", err)
	}
	n, err = e.Queue.PruneOperations(ctx, cutoff, 100)
	must(t, err)
	if n != 1 {
		t.Errorf("second batch pruned %d, want 1", n)
	}
	for _, id := range []string{recent.ID, queued.ID} {
		if _, err := e.Queue.FindOperation(ctx, org.ID, id); err != nil {
			t.Errorf("operation %s, recent or unfinished, was pruned: %v", id, err)
		}
	}
	if outs, err := e.Queue.Outcomes(ctx, org.ID, old2.ID); err == nil && len(outs) > 0 {
		t.Errorf("a pruned operation's outcomes remain: %+v", outs)
	}
	if n, err := e.Queue.PruneOperations(ctx, cutoff, 100); err != nil || n != 0 {
		t.Errorf("nothing left to prune: %d, %v", n, err)
	}
	if _, err := e.Queue.PruneOperations(ctx, cutoff, 0); qbconnect.ErrorCodeOf(err) != qbconnect.EInvalid {
		t.Errorf("a batch of 0: %v, want EInvalid", err)
	}
}

// testPruneKeepsAwaitedPages: the platform stopped after a page finished
// and before it was handled; however long it stayed down, the page's
// result is still there for Reconcile.
func testPruneKeepsAwaitedPages(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	e.Enqueue(t, conn, qbconnect.PriorityScheduled, "page")
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	_, _, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("<QBXML>page</QBXML>")})
	must(t, err)
	st := &qbconnect.SyncState{OrgID: org.ID, CompanyID: conn.CompanyID, DataType: "customers", Status: qbconnect.SyncFetching,
		RunID: "run_1", OpID: l.Operation.ID}
	_, started, err := store.NewSyncStore(e.DB).StartSyncPass(ctx, st, &qbconnect.SyncRun{ID: "run_1", OrgID: org.ID,
		CompanyID: conn.CompanyID, DataType: "customers", Status: qbconnect.SyncFetching})
	must(t, err)
	if !started {
		t.Fatal("the sync pass did not start")
	}
	e.Clock.Advance(90 * 24 * time.Hour)
	if n, err := e.Queue.DropSyncResults(ctx, e.Clock.Now(), 10); err != nil || n != 0 {
		t.Errorf("dropped %d results (%v), want the awaited page's kept", n, err)
	}
	if n, err := e.Queue.PruneOperations(ctx, e.Clock.Now(), 10); err != nil || n != 0 {
		t.Errorf("pruned %d operations (%v), want the awaited page kept", n, err)
	}
	if op, err := e.Queue.FindOperation(ctx, org.ID, l.Operation.ID); err != nil || string(op.Result) != "<QBXML>page</QBXML>" {
		t.Errorf("the awaited page: %+v, %v", op, err)
	}
}

func testCancel(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	a := e.Enqueue(t, conn, qbconnect.PriorityWrite, "a")
	b := e.Enqueue(t, conn, qbconnect.PriorityWrite, "b")
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	wantCode(t, e.Queue.Cancel(ctx, org.ID, a.ID), qbconnect.EConflict)
	must(t, e.Queue.Cancel(ctx, org.ID, b.ID))
	must(t, e.Queue.Cancel(ctx, org.ID, b.ID))
	_, _, err := e.Queue.Complete(ctx, a.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
	wantCode(t, e.Queue.Cancel(ctx, org.ID, a.ID), qbconnect.EConflict)
	if l := e.Lease(t, conn.ConnectorID, time.Minute); l != nil {
		t.Errorf("cancelled work leased: %+v", l)
	}
	got, err := e.Queue.FindOperation(ctx, org.ID, b.ID)
	must(t, err)
	if got.Status != qbconnect.OpCanceled || got.CompletedAt == nil {
		t.Errorf("b = %s", got.Status)
	}
}

func testUnlinkCancels(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	a := e.Enqueue(t, conn, qbconnect.PriorityWrite, "a")
	b := e.Enqueue(t, conn, qbconnect.PriorityWrite, "b")
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	must(t, e.Connections.UnlinkConnection(ctx, org.ID, conn.ID))
	got, err := e.Queue.FindOperation(ctx, org.ID, b.ID)
	must(t, err)
	if got.Status != qbconnect.OpCanceled {
		t.Errorf("queued work after unlink = %s, want Canceled", got.Status)
	}
	// The item in flight still finishes.
	got, applied, err := e.Queue.Complete(ctx, a.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
	if !applied || got.Status != qbconnect.OpSucceeded {
		t.Errorf("in-flight work after unlink: applied=%v %s", applied, got.Status)
	}
}

func testWaitWakes(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	wake := e.Queue.Wait(ctx, conn.ConnectorID)
	select {
	case <-wake:
		t.Fatal("woken before any work")
	default:
	}
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "x")
	waitClosed(t, wake, "enqueue")
	wake = e.Queue.Wait(ctx, conn.ConnectorID)
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	_, _, err := e.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
	waitClosed(t, wake, "completion")
	// A Web Connector session waits on its connection ID.
	wake = e.Queue.Wait(ctx, conn.ID)
	e.Enqueue(t, conn, qbconnect.PriorityInteractive, "y")
	waitClosed(t, wake, "enqueue for the connection")
}

// waitClosed waits for a wake-up channel, failing after a generous deadline
// rather than hanging the suite.
func waitClosed(tb testing.TB, ch <-chan struct{}, what string) {
	tb.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case <-ch:
	case <-timer.C:
		tb.Fatalf("no wake-up after %s within 10s", what)
	}
}

func testWaitWakesAcrossProcesses(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e1 := NewEnv(t, dsn, store.Options{})
	if e1.DB.Dialect() != store.Postgres {
		t.Skip("SQLite wakes waiters in process only")
	}
	// e2 stands for another platform process: its own pools, its own listener.
	e2 := OpenEnv(t, dsn, store.Options{}, e1.Clock)
	org := e1.Org(t, "Acme")
	conn, _ := e1.Linked(t, org.ID, "")
	for i := range 3 {
		wake := e1.Queue.Wait(ctx, conn.ConnectorID)
		op := e2.Enqueue(t, conn, qbconnect.PriorityInteractive, fmt.Sprint(i))
		waitClosed(t, wake, "an enqueue through the other handle")
		l := e1.Lease(t, conn.ConnectorID, time.Minute)
		if l == nil || l.Operation.ID != op.ID {
			t.Fatalf("lease through the woken handle = %+v, want %s", l, op.ID)
		}
		wake2 := e2.Queue.Wait(ctx, conn.ConnectorID)
		_, _, err := e1.Queue.Complete(ctx, op.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
		must(t, err)
		waitClosed(t, wake2, "a completion through the other handle")
	}
}

func testExtendLease(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	conn, _ := e.Linked(t, org.ID, "")
	op := e.Enqueue(t, conn, qbconnect.PriorityInteractive, "big query")
	l := e.Lease(t, conn.ConnectorID, time.Minute)
	e.Clock.Advance(50 * time.Second)
	exp, err := e.Queue.ExtendLease(ctx, op.ID, l.LeaseID, time.Minute)
	must(t, err)
	if !exp.Equal(e.Clock.Now().Add(time.Minute)) {
		t.Errorf("extended to %v", exp)
	}
	e.Clock.Advance(50 * time.Second)
	n, err := e.Queue.ExpireDeadlines(ctx)
	must(t, err)
	if n != 0 {
		t.Errorf("sweep changed %d operations with a live lease", n)
	}
	e.Clock.Advance(time.Minute)
	_, err = e.Queue.ExtendLease(ctx, op.ID, l.LeaseID, time.Minute)
	wantCode(t, err, qbconnect.EConflict)
}

func testListOperations(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c1, _ := e.Linked(t, org.ID, "")
	c2, _ := e.Linked(t, org.ID, "")
	var want []string
	for i := range 5 {
		conn := c1
		if i%2 == 1 {
			conn = c2
		}
		op := e.Enqueue(t, conn, qbconnect.PriorityScheduled, fmt.Sprint(i))
		want = append([]string{op.ID}, want...)
	}
	var got []string
	cursor := ""
	for {
		page, next, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID, Limit: 2, Cursor: cursor})
		must(t, err)
		for _, op := range page {
			got = append(got, op.ID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operations newest first (-want +got):\n%s", diff)
	}
	page, _, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID, CompanyID: c2.CompanyID, Status: qbconnect.OpQueued, Kind: qbconnect.OpSync})
	must(t, err)
	if len(page) != 2 {
		t.Errorf("c2's queued syncs = %d, want 2", len(page))
	}
}

func testTwoHandlesLeaseOnce(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e1 := NewEnv(t, dsn, store.Options{})
	e2 := OpenEnv(t, dsn, store.Options{}, e1.Clock)
	org := e1.Org(t, "Acme")
	conn, _ := e1.Linked(t, org.ID, "")
	const n = 40
	for i := range n {
		e1.Enqueue(t, conn, qbconnect.PriorityScheduled, fmt.Sprint(i))
	}
	// Both handles race for the one connector until the queue is empty.
	type result struct {
		reqs []string
		err  error
	}
	results := make(chan result, 2)
	for _, e := range []*Env{e1, e2} {
		go func() {
			var r result
			for idle := 0; idle < 1000; {
				l, err := e.Queue.Lease(ctx, conn.ConnectorID, time.Hour)
				if err != nil {
					r.err = err
					break
				}
				if l == nil {
					idle++
					if done, _, err := e.Queue.ListOperations(ctx, qbconnect.OperationFilter{OrgID: org.ID, Status: qbconnect.OpSucceeded, Limit: n}); err == nil && len(done) == n {
						break
					}
					continue
				}
				idle = 0
				r.reqs = append(r.reqs, l.Operation.Request)
				if _, applied, err := e.Queue.Complete(ctx, l.Operation.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")}); err != nil || !applied {
					r.err = fmt.Errorf("complete: applied=%v err=%v", applied, err)
					break
				}
			}
			results <- r
		}()
	}
	seen := map[string]int{}
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		for _, req := range r.reqs {
			seen[req]++
		}
	}
	for i := range n {
		if c := seen[fmt.Sprint(i)]; c != 1 {
			t.Errorf("operation %d handed out %d times", i, c)
		}
	}
}

func rec(companyID, id, es, name string, data string) *qbconnect.Record {
	return &qbconnect.Record{CompanyID: companyID, Type: "customers", ID: id, EditSequence: es, Name: name,
		Active: true, ModifiedAt: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC), Data: json.RawMessage(data)}
}

func testRecordUpsert(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c := e.Company(t, org.ID, "Bakery")
	t0 := e.Clock.Now()
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{
		rec(c.ID, "1", "100", "Alice", `{"name":"Alice"}`),
		rec(c.ID, "2", "100", "Bob", `{"name":"Bob"}`),
	}))
	e.Clock.Advance(time.Hour)
	t1 := e.Clock.Now()
	// The overlap of an incremental sync brings Alice unchanged and Bob edited.
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{
		rec(c.ID, "1", "100", "Alice", `{"name":"Alice"}`),
		rec(c.ID, "2", "101", "Robert", `{"name":"Robert"}`),
	}))
	alice, err := e.Records.FindRecord(ctx, org.ID, c.ID, "customers", "1")
	must(t, err)
	bob, err := e.Records.FindRecord(ctx, org.ID, c.ID, "customers", "2")
	must(t, err)
	if !alice.UpdatedAt.Equal(t0) || !bob.UpdatedAt.Equal(t1) || bob.Name != "Robert" || string(bob.Data) != `{"name":"Robert"}` {
		t.Errorf("alice updated %v (want %v); bob %+v (want updated %v)", alice.UpdatedAt, t0, bob, t1)
	}
	want := rec(c.ID, "2", "101", "Robert", `{"name":"Robert"}`)
	want.UpdatedAt = t1
	if diff := cmp.Diff(want, bob); diff != "" {
		t.Errorf("bob (-want +got):\n%s", diff)
	}
	e.Clock.Advance(time.Hour)
	must(t, e.Records.DeleteRecords(ctx, c.ID, "customers", []string{"1", "unknown"}, e.Clock.Now()))
	n, err := e.Records.CountRecords(ctx, c.ID, "customers")
	must(t, err)
	if n != 1 {
		t.Errorf("live records = %d, want 1", n)
	}
	alice, err = e.Records.FindRecord(ctx, org.ID, c.ID, "customers", "1")
	must(t, err)
	if !alice.Deleted || !alice.UpdatedAt.Equal(e.Clock.Now()) {
		t.Errorf("deleted alice = %+v", alice)
	}
	_, err = e.Records.FindRecord(ctx, org.ID, c.ID, "customers", "3")
	wantCode(t, err, qbconnect.ENotFound)
}

func testRecordList(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c := e.Company(t, org.ID, "Bakery")
	var batch []*qbconnect.Record
	for i := range 25 {
		r := rec(c.ID, fmt.Sprintf("%03d", i), "1", fmt.Sprintf("Cust %02d", i), `{}`)
		r.Type = "invoices"
		r.TxnDate = fmt.Sprintf("2026-01-%02d", i+1)
		r.RefID = fmt.Sprintf("ref-%d", i%3)
		r.Active = i%5 != 0
		batch = append(batch, r)
	}
	must(t, e.Records.UpsertRecords(ctx, batch))
	e.Clock.Advance(time.Minute)
	later := e.Clock.Now()
	batch[3].EditSequence = "2"
	must(t, e.Records.UpsertRecords(ctx, batch[3:4]))
	must(t, e.Records.DeleteRecords(ctx, c.ID, "invoices", []string{"004"}, later))

	list := func(f qbconnect.RecordFilter) []string {
		t.Helper()
		f.OrgID, f.CompanyID, f.Type = org.ID, c.ID, "invoices"
		var ids []string
		for {
			page, next, err := e.Records.ListRecords(ctx, f)
			must(t, err)
			for _, r := range page {
				ids = append(ids, r.ID)
			}
			if next == "" {
				return ids
			}
			f.Cursor = next
		}
	}
	all := list(qbconnect.RecordFilter{Limit: 7})
	if len(all) != 24 || all[len(all)-1] != "003" {
		t.Errorf("all live records in update order = %v", all)
	}
	no := false
	for name, tc := range map[string]struct {
		f    qbconnect.RecordFilter
		want []string
	}{
		"updated since":    {qbconnect.RecordFilter{UpdatedSince: &later, IncludeDeleted: true}, []string{"003", "004"}},
		"name":             {qbconnect.RecordFilter{Name: "Cust 07"}, []string{"007"}},
		"name prefix":      {qbconnect.RecordFilter{NamePrefix: "Cust 1"}, []string{"010", "011", "012", "013", "014", "015", "016", "017", "018", "019"}},
		"txn date range":   {qbconnect.RecordFilter{TxnDateFrom: "2026-01-20", TxnDateTo: "2026-01-22"}, []string{"019", "020", "021"}},
		"inactive":         {qbconnect.RecordFilter{Active: &no}, []string{"000", "005", "010", "015", "020"}},
		"ref and prefix":   {qbconnect.RecordFilter{RefID: "ref-1", NamePrefix: "Cust 2"}, []string{"022"}},
		"deleted omitted":  {qbconnect.RecordFilter{Name: "Cust 04"}, nil},
		"ids":              {qbconnect.RecordFilter{IDs: []string{"012", "002", "004", "nope"}}, []string{"002", "012"}},
		"updated before":   {qbconnect.RecordFilter{UpdatedBefore: &later, NamePrefix: "Cust 0"}, []string{"000", "001", "002", "005", "006", "007", "008", "009"}},
		"several refs":     {qbconnect.RecordFilter{RefIDs: []string{"ref-0", "ref-2"}, NamePrefix: "Cust 1"}, []string{"011", "012", "014", "015", "017", "018"}},
		"ref number range": {qbconnect.RecordFilter{RefNumberFrom: "Cust 08", RefNumberTo: "Cust 11"}, []string{"008", "009", "010", "011"}},
		"by name, descending, paged": {qbconnect.RecordFilter{Sort: "-name", Limit: 2, TxnDateFrom: "2026-01-20"},
			[]string{"024", "023", "022", "021", "020", "019"}},
		"by date, paged": {qbconnect.RecordFilter{Sort: "txnDate", Limit: 3, TxnDateTo: "2026-01-07", IncludeDeleted: true},
			[]string{"000", "001", "002", "003", "004", "005", "006"}},
		"by update time, descending": {qbconnect.RecordFilter{Sort: "-updatedAt", Limit: 1, IDs: []string{"003", "001", "002"}},
			[]string{"003", "002", "001"}},
	} {
		if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
		f := tc.f
		f.OrgID, f.CompanyID, f.Type, f.Limit = org.ID, c.ID, "invoices", 1
		n, err := e.Records.CountMatching(ctx, f)
		must(t, err)
		if n != len(tc.want) {
			t.Errorf("%s: CountMatching %d, listed %d", name, n, len(tc.want))
		}
	}
	// A cursor belongs to its order.
	_, next, err := e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: org.ID, CompanyID: c.ID, Type: "invoices", Sort: "name", Limit: 2})
	must(t, err)
	_, _, err = e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: org.ID, CompanyID: c.ID, Type: "invoices", Sort: "txnDate", Cursor: next})
	wantCode(t, err, qbconnect.EInvalid)
	_, _, err = e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: org.ID, CompanyID: c.ID, Type: "invoices", Sort: "size"})
	wantCode(t, err, qbconnect.EInvalid)
	_, err = e.Records.CountMatching(ctx, qbconnect.RecordFilter{OrgID: "org_other", CompanyID: c.ID, Type: "invoices"})
	wantCode(t, err, qbconnect.ENotFound)
	_, _, err = e.Records.ListRecords(ctx, qbconnect.RecordFilter{OrgID: org.ID, CompanyID: c.ID, Type: "invoices", Cursor: "bm9wZQ"})
	wantCode(t, err, qbconnect.EInvalid)
	// TypesOf finds the live records of the types asked among IDs, by ID:
	// a deleted one, another type's and an unknown ID are left out.
	bill := rec(c.ID, "b1", "1", "B-1", `{}`)
	bill.Type = "bills"
	must(t, e.Records.UpsertRecords(ctx, []*qbconnect.Record{bill}))
	must(t, e.Records.DeleteRecords(ctx, c.ID, "invoices", []string{"003"}, e.Clock.Now()))
	types, err := e.Records.TypesOf(ctx, org.ID, c.ID, []string{"001", "003", "b1", "zzz"}, []string{"invoices", "bills"})
	must(t, err)
	if diff := cmp.Diff(map[string]string{"001": "invoices", "b1": "bills"}, types); diff != "" {
		t.Errorf("TypesOf (-want +got):\n%s", diff)
	}
	types, err = e.Records.TypesOf(ctx, org.ID, c.ID, []string{"001", "b1"}, []string{"bills"})
	must(t, err)
	if diff := cmp.Diff(map[string]string{"b1": "bills"}, types); diff != "" {
		t.Errorf("TypesOf bills (-want +got):\n%s", diff)
	}
	_, err = e.Records.TypesOf(ctx, "org_other", c.ID, []string{"001"}, []string{"invoices"})
	wantCode(t, err, qbconnect.ENotFound)
}

func testRecordInvalid(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	c := e.Company(t, org.ID, "Bakery")
	err := e.Records.UpsertRecords(ctx, []*qbconnect.Record{rec(c.ID, "1", "1", "A", `{}`), rec(c.ID, "2", "1", "B", `{"broken`)})
	wantCode(t, err, qbconnect.EInvalid)
	err = e.Records.UpsertRecords(ctx, []*qbconnect.Record{rec(c.ID, "", "1", "A", `{}`)})
	wantCode(t, err, qbconnect.EInvalid)
	n, err := e.Records.CountRecords(ctx, c.ID, "customers")
	must(t, err)
	if n != 0 {
		t.Errorf("%d records stored from a rejected batch", n)
	}
	// A batch larger than one statement with a repeated key: the last one wins.
	var big []*qbconnect.Record
	for i := range 1000 {
		big = append(big, rec(c.ID, fmt.Sprint(i), "1", "n", `{}`))
	}
	big = append(big, rec(c.ID, "0", "2", "last", `{}`))
	must(t, e.Records.UpsertRecords(ctx, big))
	n, err = e.Records.CountRecords(ctx, c.ID, "customers")
	must(t, err)
	r, err := e.Records.FindRecord(ctx, org.ID, c.ID, "customers", "0")
	must(t, err)
	if n != 1000 || r.Name != "last" {
		t.Errorf("count %d, record 0 name %q; want 1000 and last", n, r.Name)
	}
}

func testListenerReconnects(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	e1 := NewEnv(t, dsn, store.Options{})
	if e1.DB.Dialect() != store.Postgres {
		t.Skip("SQLite has no listener")
	}
	e2 := OpenEnv(t, dsn, store.Options{}, e1.Clock)
	org := e1.Org(t, "Acme")
	conn, _ := e1.Linked(t, org.ID, "")
	schema := dsn[strings.LastIndex(dsn, "search_path=")+len("search_path="):]

	// Kill e1's LISTEN connection, as a database restart or a network cut would.
	wake := e1.Queue.Wait(ctx, conn.ConnectorID)
	admin, err := sql.Open("pgx", dsn)
	must(t, err)
	defer admin.Close()
	var killed int
	must(t, admin.QueryRow(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' AND query LIKE '%' || $1 || '%'`, schema).Scan(&killed))
	if killed != 2 { // e1's and e2's
		t.Fatalf("terminated %d listeners, want 2", killed)
	}
	// Notifications sent while it was down are lost, so the reconnect wakes every waiter.
	waitClosed(t, wake, "the listener reconnected")
	// And it listens again: an enqueue through the other handle wakes it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		wake = e1.Queue.Wait(ctx, conn.ConnectorID)
		e2.Enqueue(t, conn, qbconnect.PriorityScheduled, "after reconnect")
		timer := time.NewTimer(200 * time.Millisecond)
		select {
		case <-wake:
			timer.Stop()
			return
		case <-timer.C:
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener did not come back within 10s")
		}
	}
}

func testCountOperations(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	count := func(want map[qbconnect.OperationStatus]int) {
		t.Helper()
		got, err := e.Queue.CountOperations(ctx)
		must(t, err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("operations by status (-want +got):\n%s", diff)
		}
	}
	count(map[qbconnect.OperationStatus]int{})
	org := e.Org(t, "Acme")
	other := e.Org(t, "Other")
	conn, _ := e.Linked(t, org.ID, "")
	conn2, _ := e.Linked(t, other.ID, "")
	a := e.Enqueue(t, conn, qbconnect.PriorityWrite, "a")
	b := e.Enqueue(t, conn, qbconnect.PriorityWrite, "b")
	e.Enqueue(t, conn2, qbconnect.PriorityWrite, "c")
	count(map[qbconnect.OperationStatus]int{qbconnect.OpQueued: 3})

	l := e.Lease(t, conn.ConnectorID, time.Minute)
	if l == nil || l.Operation.ID != a.ID {
		t.Fatalf("lease = %+v, want %s", l, a.ID)
	}
	count(map[qbconnect.OperationStatus]int{qbconnect.OpQueued: 2, qbconnect.OpInFlight: 1})
	_, _, err := e.Queue.Complete(ctx, a.ID, l.LeaseID, qbconnect.Outcome{Response: []byte("ok")})
	must(t, err)
	must(t, e.Queue.Cancel(ctx, org.ID, b.ID))
	count(map[qbconnect.OperationStatus]int{qbconnect.OpQueued: 1, qbconnect.OpSucceeded: 1, qbconnect.OpCanceled: 1})
}

func testCountConnectionsByHealth(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	count := func(want map[string]int) {
		t.Helper()
		got, err := e.Connections.CountConnectionsByHealth(ctx)
		must(t, err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("connections by health (-want +got):\n%s", diff)
		}
	}
	count(map[string]int{})
	org, other := e.Org(t, "Acme"), e.Org(t, "Other")
	a, _ := e.Linked(t, org.ID, "")
	b, _ := e.Linked(t, org.ID, "")
	c, _ := e.Linked(t, other.ID, "")
	offline := qbconnect.Health{Code: qbconnect.HealthConnectorOffline, Message: "The connector is offline."}
	must(t, e.Connections.SetHealth(ctx, a.ID, qbconnect.Health{Code: qbconnect.HealthOK, Message: "Connected."}))
	must(t, e.Connections.SetHealth(ctx, b.ID, offline))
	must(t, e.Connections.SetHealth(ctx, c.ID, offline))
	count(map[string]int{qbconnect.HealthOK: 1, qbconnect.HealthConnectorOffline: 2})
	must(t, e.Connections.UnlinkConnection(ctx, other.ID, c.ID))
	count(map[string]int{qbconnect.HealthOK: 1, qbconnect.HealthConnectorOffline: 1})
}

func testPing(t *testing.T, newDSN DSNFunc) {
	dsn := newDSN(t)
	db, err := store.Open(ctx, dsn, store.Options{})
	must(t, err)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping an open store: %v", err)
	}
	must(t, db.Close())
	if err := db.Ping(ctx); err == nil {
		t.Error("ping a closed store answered nil")
	}
}

// RedeemLink records the connector's report with the link, in one
// transaction; text a database cannot hold (NUL, invalid UTF-8) is EInvalid
// on every database and leaves the code unused and the connection pending.
func testLinkWhole(t *testing.T, newDSN DSNFunc) {
	e := NewEnv(t, newDSN(t), store.Options{})
	org := e.Org(t, "Acme")
	cmpny := e.Company(t, org.ID, "Bakery")
	conn := &qbconnect.Connection{OrgID: org.ID, CompanyID: cmpny.ID, Kind: qbconnect.KindConnector}
	must(t, e.Connections.CreateConnection(ctx, conn))
	lc, err := e.Connections.CreateLinkCode(ctx, org.ID, conn.ID, 0)
	must(t, err)
	file := qbconnect.FileIdentity{Path: `C:\Bakery.qbw`, CompanyName: "Bob's Bakery"}
	for name, about := range map[string]*qbconnect.Connector{
		"NUL in the hostname":         {Version: "1.0.0", Hostname: "FRONT\x00DESK"},
		"invalid UTF-8 in the signer": {Version: "1.0.0", Signer: "CN=\xff"},
	} {
		_, _, _, err := e.Connections.RedeemLink(ctx, lc.Code, "", file, about)
		if qbconnect.ErrorCodeOf(err) != qbconnect.EInvalid {
			t.Errorf("%s: err = %v, want EInvalid", name, err)
		}
	}
	_, _, _, err = e.Connections.RedeemLink(ctx, lc.Code, "", qbconnect.FileIdentity{Path: "C:\\a\x00.qbw"}, nil)
	wantCode(t, err, qbconnect.EInvalid)
	pending, err := e.Connections.FindConnection(ctx, org.ID, conn.ID)
	must(t, err)
	if pending.Status != qbconnect.StatusPendingAuth || pending.ConnectorID != "" {
		t.Errorf("after refused links: %s to %q, want PendingAuth to no connector", pending.Status, pending.ConnectorID)
	}
	about := &qbconnect.Connector{Version: "1.2.0", Signer: "CN=qbconnect", Thumbprint: "ab12", Hostname: "FRONT-DESK"}
	linked, ctr, cred, err := e.Connections.RedeemLink(ctx, lc.Code, "", file, about)
	must(t, err)
	if linked.Status != qbconnect.StatusLinked || ctr.Version != "1.2.0" || ctr.Hostname != "FRONT-DESK" || ctr.LastSeenAt == nil {
		t.Errorf("linked %s, connector %+v", linked.Status, ctr)
	}
	got, err := e.Connections.AuthenticateConnector(ctx, cred)
	must(t, err)
	if got.Version != about.Version || got.Signer != about.Signer || got.Thumbprint != about.Thumbprint || got.Hostname != about.Hostname {
		t.Errorf("stored connector = %+v, want the report %+v", got, about)
	}
}
