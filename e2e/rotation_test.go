package e2e

import "testing"

// One test per situation of the certificate-expiry notice, for a
// re-signed release installed over the old one: an administrator running
// the new MSI by hand, or a file that fell back from the handover. Each
// starts from a connector authorised under certificate A, replaces it with
// the release signed with certificate B, and plays the scenario of
// internal/scenario: after every step the connector's local API and the
// platform's REST API must show the same state (scenario.Play), the
// connector's UI in a browser must show it too, queued writes must wait
// and then run exactly once, and the client must get a signed webhook for
// each state and each write. The self-update path, where release 2 is
// installed beside release 1 and asks QuickBooks while release 1 serves,
// is release/e2e's handover tests.
//
// Their names start with TestRotation so that the README's command,
// `go test ./e2e -run Rotation`, runs exactly these.

func TestRotationNewUserLinksUnderCertificateBWithoutExtraStep(t *testing.T) {
	newRotation(t).play("new-user", nil)
}

func TestRotationRightFileOpenAsksAtNextAccessAndQueuedWorkFinishes(t *testing.T) {
	newRotation(t).play("right-file-open", map[string]string{
		"qbdsim:auth_pending": "qbdsim-authorization-dialog.png",
		"connector:ok":        "connector-connected.png",
	})
}

func TestRotationOtherFileOpenApprovedForWrongFileThenFixed(t *testing.T) {
	newRotation(t).play("other-file-open", map[string]string{"connector:wrong_file_open": "connector-wrong-file.png"})
}

func TestRotationQuickBooksClosedTimesOutUntilUserOpensFileAndSyncs(t *testing.T) {
	newRotation(t).play("qb-closed", map[string]string{
		"connector:qb_closed":    "connector-qb-closed.png",
		"connector:auth_pending": "connector-auth-pending.png",
	})
}

func TestRotationAccessDeniedRunsNothingUntilAuthorised(t *testing.T) {
	newRotation(t).play("access-denied", map[string]string{"connector:access_denied": "connector-access-denied.png"})
}

func TestRotationOldEntryRemovedBeforeApprovingChangesNothing(t *testing.T) {
	newRotation(t).play("old-entry-removed", nil)
}

func TestRotationOldEntryRemovedAfterApprovingChangesNothing(t *testing.T) {
	newRotation(t).play("old-entry-removed-after", nil)
}
