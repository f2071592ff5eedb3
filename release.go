package qbconnect

import (
	"context"
	"time"
)

// Release is one published version of the desktop connector: its files,
// the certificate they are signed with, and how far it is rolled out.
type Release struct {
	ID      string `json:"id"`
	Version string `json:"version"` // semantic version, "1.4.0"
	Channel string `json:"channel"` // "stable" unless said otherwise
	Notes   string `json:"notes,omitempty"`
	// Signer is the certificate every signed artifact of the release is
	// signed with; publishing refuses artifacts signed by another.
	Signer    Certificate `json:"signer"`
	Artifacts []Artifact  `json:"artifacts"`
	Rollout   Rollout     `json:"rollout"`
	// CampaignID is the rotation campaign the release started because its
	// signer differs from the previous release's; "" when it did not.
	CampaignID string `json:"campaignId,omitempty"`
	// Revoked is set once the operator revoked the release: it is never
	// offered again, and the connectors running it are told in the answer
	// to their next state report. Nil while it stands.
	Revoked     *Revocation `json:"revoked,omitempty"`
	PublishedAt time.Time   `json:"publishedAt"`
	UpdatedAt   time.Time   `json:"updatedAt"`
}

// Revocation is why and when a release was revoked.
type Revocation struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Artifact kinds.
const (
	ArtifactExecutable = "executable" // the connector program itself
	ArtifactInstaller  = "installer"  // the Windows Installer package
	ArtifactSignature  = "signature"  // a detached PKCS#7 signature of another artifact
	ArtifactOther      = "other"
)

// Artifact is one file of a release.
type Artifact struct {
	Name string `json:"name"` // file name, unique within the release
	Kind string `json:"kind"`
	// Platform is "windows/amd64", "linux/amd64", ... for executables and
	// installers; "" when it does not apply.
	Platform string `json:"platform,omitempty"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"` // lowercase hex of the file
	// SignatureKind is how the file is signed ("authenticode-pe",
	// "authenticode-msi", "pkcs7-detached"); "" for a signature file.
	SignatureKind string `json:"signatureKind,omitempty"`
	// Signature names the detached signature artifact of this one, if any.
	Signature string `json:"signature,omitempty"`
	// Data is the file's content; it travels to the store and back, never
	// in JSON.
	Data []byte `json:"-"`
}

// RolloutState says whether a release is being offered.
type RolloutState string

// Rollout states.
const (
	RolloutActive RolloutState = "Active" // offered to the connectors the rollout selects
	RolloutPaused RolloutState = "Paused" // offered to none; connectors keep what they run
)

// Rollout selects which connectors are offered a release: every connector
// serving one of Companies, and a stable Percent of all connectors (chosen
// by a hash of the connector and the version, so that raising the
// percentage only adds connectors).
type Rollout struct {
	State     RolloutState `json:"state"`
	Percent   int          `json:"percent"`             // 0..100
	Companies []string     `json:"companies,omitempty"` // company IDs
	UpdatedAt time.Time    `json:"updatedAt"`
}

// Certificate is a code-signing certificate the platform knows about: one
// that signed a release, or one a connector reported running with.
type Certificate struct {
	Thumbprint string    `json:"thumbprint"` // SHA-1, lowercase hex
	Subject    string    `json:"subject"`
	CommonName string    `json:"commonName,omitempty"`
	Issuer     string    `json:"issuer,omitempty"`
	Serial     string    `json:"serial,omitempty"`
	NotBefore  time.Time `json:"notBefore"`
	NotAfter   time.Time `json:"notAfter"` // zero when unknown (seen only on a connector)
}

// CertificateStatus is a certificate with what the expiry watch knows about
// it.
type CertificateStatus struct {
	Certificate
	// Releases are the versions signed with it.
	Releases []string `json:"releases"`
	// Connectors counts the connectors reporting it as their signer.
	Connectors int `json:"connectors"`
	// DaysLeft is the number of whole days until NotAfter (negative once
	// expired); nil when NotAfter is unknown.
	DaysLeft *int `json:"daysLeft,omitempty"`
	// Warnings are the thresholds (days) already warned about.
	Warnings []int `json:"warnings"`
}

// UpdateOutcome is what a connector reports after an update attempt.
type UpdateOutcome string

// Update outcomes.
const (
	UpdateInstalled  UpdateOutcome = "installed"   // the new version runs and reported in
	UpdateRefused    UpdateOutcome = "refused"     // checksum or signature did not match the release
	UpdateRolledBack UpdateOutcome = "rolled_back" // the new version did not start; the old one runs again
	UpdateFailed     UpdateOutcome = "failed"      // download or replacement failed; the old one runs
)

// UpdateReport is one update attempt of one connector.
type UpdateReport struct {
	ConnectorID string        `json:"connectorId"`
	FromVersion string        `json:"fromVersion"`
	ToVersion   string        `json:"toVersion"`
	Outcome     UpdateOutcome `json:"outcome"`
	Reason      string        `json:"reason,omitempty"`
	At          time.Time     `json:"at"`
}

// CampaignStatus is the lifecycle of a rotation campaign.
type CampaignStatus string

// Campaign statuses.
const (
	CampaignActive   CampaignStatus = "Active"   // some connections have not been re-authorised yet
	CampaignComplete CampaignStatus = "Complete" // every connection was re-authorised (or left)
)

// CampaignState is where one connection is in a rotation campaign.
type CampaignState string

// Campaign states. The way through is Offered → CandidateInstalled →
// Approved → Switched; Denied, WrongFile and FellBack are the detours, Left
// the way out. While a connection is not Approved (or Switched) its
// QuickBooks administrator still has to authorise the new version.
const (
	// CampaignOffered: the connector was offered the release signed with
	// the new certificate and still serves the file with the old one.
	CampaignOffered CampaignState = "Offered"
	// CampaignCandidateInstalled: the new version is installed (beside the
	// current one, or in its place); QuickBooks has not authorised it for
	// this file yet. SubState says what stands in the way.
	CampaignCandidateInstalled CampaignState = "CandidateInstalled"
	// CampaignApproved: QuickBooks answered the new version for the linked
	// company file.
	CampaignApproved CampaignState = "Approved"
	// CampaignSwitched: the file is served by the new version; the
	// connection is done.
	CampaignSwitched CampaignState = "Switched"
	// CampaignDenied: the QuickBooks administrator denied (or removed) the
	// new version's access.
	CampaignDenied CampaignState = "Denied"
	// CampaignWrongFile: access was granted to another company file than
	// the linked one.
	CampaignWrongFile CampaignState = "WrongFile"
	// CampaignFellBack: the old version could not keep serving (its
	// certificate expired without a timestamp, or its release was revoked)
	// before the file switched; the file waits for the new version's
	// approval like any re-signed application.
	CampaignFellBack CampaignState = "FellBack"
	// CampaignLeft: the connection was unlinked or revoked during the
	// campaign; nothing more to do.
	CampaignLeft CampaignState = "Left"
)

// CampaignStates lists every campaign state in display order.
var CampaignStates = []CampaignState{CampaignOffered, CampaignCandidateInstalled, CampaignApproved, CampaignSwitched,
	CampaignDenied, CampaignWrongFile, CampaignFellBack, CampaignLeft}

// Approved reports whether QuickBooks has authorised the new version for
// the connection (Approved or Switched).
func (s CampaignState) Approved() bool { return s == CampaignApproved || s == CampaignSwitched }

// Done reports whether nothing is left to do for the connection.
func (s CampaignState) Done() bool { return s.Approved() || s == CampaignLeft }

// Valid reports whether s is one of the campaign states.
func (s CampaignState) Valid() bool {
	for _, v := range CampaignStates {
		if s == v {
			return true
		}
	}
	return false
}

// Sub-states of CampaignCandidateInstalled (and, for compatibility of
// instructions, of Denied and WrongFile): the situations of the end user.
const (
	SubPromptShowing     = "prompt_showing"      // QuickBooks shows (or will show) its authorisation dialog
	SubWrongFileOpen     = "wrong_file_open"     // QuickBooks has another company file open
	SubQBClosed          = "qb_closed"           // QuickBooks is not running
	SubApprovedWrongFile = "approved_wrong_file" // access was granted to another company file
	SubDenied            = "denied"              // the administrator denied (or removed) access
	SubOther             = "other"               // another QuickBooks condition; see Health
)

// Sub-states of CampaignFellBack: why the old version could not go on.
const (
	SubCertificateExpired = "certificate_expired" // its certificate expired and its signature has no timestamp (or QuickBooks refused it)
	SubReleaseRevoked     = "release_revoked"     // the operator revoked its release
)

// Instructions tell the end user what to do in one situation, step by step.
type Instructions struct {
	Situation string   `json:"situation"` // what the end user sees
	Steps     []string `json:"steps"`
}

// Campaign is a rotation campaign: started when a release is signed with a
// different certificate than the previous one, because QuickBooks will treat
// the re-signed connector as a new application and ask again.
type Campaign struct {
	ID        string         `json:"id"`
	ReleaseID string         `json:"releaseId"`
	Version   string         `json:"version"`
	Status    CampaignStatus `json:"status"`
	// OldThumbprints are the certificates the affected connectors ran with.
	OldThumbprints []string    `json:"oldThumbprints"`
	NewSigner      Certificate `json:"newSigner"`
	// RolloutAt is the date announced to the clients: from then on their
	// customers will be asked to authorise the connector again.
	RolloutAt time.Time `json:"rolloutAt"`
	// ReminderAfter, when positive, sends one reminder to the client for
	// connections still waiting that long after the connector updated.
	ReminderAfter Duration  `json:"reminderAfter,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	// NotifiedAt is when every affected client was emailed the notice; nil
	// while one of them has no contact address (see NotNotified).
	NotifiedAt *time.Time `json:"notifiedAt,omitempty"`
	// NotNotified names the affected organisations (ID) that have no
	// contact address, so were not told; operators only.
	NotNotified []string `json:"notNotified,omitempty"`
	// OldCertificateExpiresAt is when the first of the old certificates
	// expires: the date by which connections should be Approved, and the
	// reference of the 30, 14 and 7 day reminders. Nil when no old
	// certificate's expiry is known (seen only on connectors).
	OldCertificateExpiresAt *time.Time `json:"oldCertificateExpiresAt,omitempty"`
	CompletedAt             *time.Time `json:"completedAt,omitempty"`
	// Counts per state, over the connections the reader may see.
	Counts map[CampaignState]int `json:"counts"`
	// Connections are the affected connections (in the detail view only,
	// or those that need action in a list).
	Connections []*CampaignConnection `json:"connections,omitempty"`
}

// CampaignConnection is one affected connection in a campaign.
type CampaignConnection struct {
	CampaignID   string        `json:"-"`
	ConnectionID string        `json:"connectionId"`
	OrgID        string        `json:"-"`
	CompanyID    string        `json:"companyId"`
	CompanyName  string        `json:"companyName"`
	ConnectorID  string        `json:"connectorId"`
	File         FileIdentity  `json:"file"`
	State        CampaignState `json:"state"`
	SubState     string        `json:"subState,omitempty"`
	// Health is the connection's health when the state was last computed.
	HealthCode    string `json:"healthCode,omitempty"`
	OldThumbprint string `json:"oldThumbprint"`
	// Since is when the connection entered State (and SubState).
	Since          time.Time  `json:"since"`
	UpdatedAt      *time.Time `json:"updatedAt,omitempty"`  // when the connector ran the new release
	ReauthorizedAt *time.Time `json:"approvedAt,omitempty"` // when QuickBooks authorised the new version
	RemindedAt     *time.Time `json:"remindedAt,omitempty"`
	// NeedsAction is true when the end user must act now.
	NeedsAction bool `json:"needsAction"`
	// Instructions are for the end user's exact situation; nil when
	// nothing is needed.
	Instructions *Instructions `json:"instructions,omitempty"`
}

// CampaignService is the client organisations' view of rotation campaigns.
// Every method is scoped by orgID: counts and connections cover only the
// organisation's own connections, and a campaign without any of them is
// ENotFound.
type CampaignService interface {
	// ListCampaigns returns the campaigns that affect the organisation,
	// newest first, with counts and the connections that need action.
	ListCampaigns(ctx context.Context, orgID string) ([]*Campaign, error)
	// FindCampaign returns one campaign with every affected connection of
	// the organisation.
	FindCampaign(ctx context.Context, orgID, id string) (*Campaign, error)
}

// MailStatus is where a message is in the outbox.
type MailStatus string

// Mail statuses.
const (
	MailQueued MailStatus = "Queued" // waiting to be sent (or retried)
	MailSent   MailStatus = "Sent"   // the SMTP server accepted it
	MailFailed MailStatus = "Failed" // given up after the last attempt
)

// Mail is one message in the outbox: written in the same breath as the
// event that causes it, so that it survives a restart, and sent (and
// retried) by a background job.
type Mail struct {
	ID string `json:"id"`
	// DedupeKey, when set, makes the message unique: queueing a second
	// message with the same key returns the first.
	DedupeKey string     `json:"dedupeKey,omitempty"`
	Kind      string     `json:"kind"`            // "campaign_notice", "expiry_warning", ...
	OrgID     string     `json:"orgId,omitempty"` // the client it is for; "" for operators
	To        []string   `json:"to"`
	Subject   string     `json:"subject"`
	Text      string     `json:"text"`
	HTML      string     `json:"html,omitempty"`
	Status    MailStatus `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"lastError,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	SentAt    *time.Time `json:"sentAt,omitempty"`
}
