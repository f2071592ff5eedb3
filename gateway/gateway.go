// Package gateway is the connector protocol: the versioned HTTP/JSON wire
// types that the desktop connector and the platform exchange, and the
// Service interface that both the platform's in-process implementation
// (control.Plane.Gateway) and the HTTP client satisfy. The HTTP client is
// package gateway/gatewayclient, so that this package, and the control
// plane that speaks it, import no net/http. PROTOCOL.md beside this file
// is the protocol's specification.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Version is the protocol version this package speaks. It is the second path
// segment of every endpoint; an incompatible change gets a new version and the
// platform serves both for a release cycle.
const Version = "v1"

// PathPrefix is the path under which the platform serves this version.
const PathPrefix = "/gateway/" + Version

// Endpoint paths, relative to the platform's base URL.
const (
	PathLink   = PathPrefix + "/link"
	PathWork   = PathPrefix + "/work"
	PathResult = PathPrefix + "/work/{itemId}/result"
	PathLease  = PathPrefix + "/work/{itemId}/lease"
	PathState  = PathPrefix + "/state"
)

// QueryNext is the query parameter with which a result post asks for the
// connector's next work item (Result.Next): ?next=1.
const QueryNext = "next"

// Limits of the protocol. The platform rejects larger requests with 413.
const (
	// MaxPollWait is the longest a poll waits for work before answering
	// "no work".
	MaxPollWait = 30 * time.Second
	// MaxJSONBody is the largest link or state request body.
	MaxJSONBody = 1 << 20
	// MaxResultBody is the largest result body as sent (after compression).
	MaxResultBody = 64 << 20
	// MaxResultDecoded is the largest result body once decompressed.
	MaxResultDecoded = 512 << 20
)

// CredentialPrefix starts every connector credential, so that a credential
// pasted in the wrong place is recognisable.
const CredentialPrefix = "qbc_"

// Work kinds. Kind is informative for the connector (logs, UI); it runs every
// kind the same way: the qbXML request against the expected company file.
const (
	KindSync   = "sync"
	KindWrite  = "write"
	KindQBXML  = "qbxml"
	KindHealth = "health"
	KindStamp  = "stamp"
)

// FileIdentity names a QuickBooks company file: where it is, the company name
// QuickBooks reports for it, and the identity stamp the platform wrote into it
// (a DataExt) when it was linked. The connector refuses to run work when the
// open file's name or stamp differ.
type FileIdentity struct {
	Path        string `json:"path"`
	CompanyName string `json:"companyName"`
	FileID      string `json:"fileId,omitempty"`
}

// ConnectorInfo is what a connector says about itself.
type ConnectorInfo struct {
	Version string `json:"version"`
	// Signer is the subject of the certificate that signed the connector's
	// executable, or "unsigned".
	Signer string `json:"signer"`
	// Thumbprint is the SHA-1 thumbprint of that certificate, lowercase hex.
	Thumbprint string `json:"thumbprint,omitempty"`
	Hostname   string `json:"hostname,omitempty"`
}

// LinkRequest exchanges a single-use link code for a connector credential.
// A connector that already has a credential sends it in the Authorization
// header so that the new company is served by the same installation.
type LinkRequest struct {
	Code      string        `json:"code"`
	File      FileIdentity  `json:"file"`
	Connector ConnectorInfo `json:"connector"`
}

// Connection is a company file that the connector serves, as the platform
// sees it.
type Connection struct {
	ID        string `json:"id"`
	CompanyID string `json:"companyId"`
	// CompanyName is the name the client organisation gave the company on
	// the platform (it may differ from the name inside QuickBooks), and
	// OrgName the client organisation's name: the connector's card shows
	// "Acme Bakery — for Lender Inc.". Both may be empty (an older
	// platform).
	CompanyName string       `json:"companyName,omitempty"`
	OrgName     string       `json:"orgName,omitempty"`
	Status      string       `json:"status"`
	File        FileIdentity `json:"file"`
	// Paused and PausedUntil are the connection's pause on the platform,
	// whoever set it (the end user on the connector, or the client through
	// the REST API). A pause whose PausedUntil has passed is over. The
	// platform owns this level: the connector adopts it and changes it
	// only by sending a PauseChange.
	Paused      bool       `json:"paused"`
	PausedUntil *time.Time `json:"pausedUntil,omitempty"`
}

// PausedAt reports whether the connection is paused at now: Paused, and
// PausedUntil (if any) still ahead.
func (c Connection) PausedAt(now time.Time) bool {
	return c.Paused && (c.PausedUntil == nil || now.Before(*c.PausedUntil))
}

// PauseChange is an end user's pause or resume of one company file on the
// connector: an event with its time, sent once (and again only until a
// state report carrying it succeeds), never a level that every heartbeat
// re-asserts. The platform applies each change once, in the order of At,
// so that a pause set through the REST API is not undone by a connector
// that merely reports in.
type PauseChange struct {
	// Paused is true for a pause, false for a resume.
	Paused bool `json:"paused"`
	// Until ends a pause by itself; nil means until resumed. Only with
	// Paused.
	Until *time.Time `json:"until,omitempty"`
	// At is when the end user made the change, by the connector's clock.
	At time.Time `json:"at"`
}

// Validate reports what is wrong with a change before it is sent.
func (p *PauseChange) Validate() error {
	switch {
	case p.At.IsZero():
		return errors.New("pause change: at is required")
	case p.Until != nil && !p.Paused:
		return errors.New("pause change: until is only for a pause")
	case p.Until != nil && !p.Until.After(p.At):
		return errors.New("pause change: until must be after at")
	}
	return nil
}

// LinkResponse answers a successful link.
type LinkResponse struct {
	ConnectorID string `json:"connectorId"`
	// Credential is set only when the link created a new connector. It is
	// shown once and must be stored by the connector (it is the only way to
	// authenticate); the platform keeps only its hash.
	Credential string     `json:"credential,omitempty"`
	Connection Connection `json:"connection"`
}

// PollRequest asks for the next work item.
type PollRequest struct {
	// Wait is how long the platform may hold the request when there is no
	// work; 0 answers at once, values above MaxPollWait are capped.
	Wait time.Duration
}

// WorkItem is one qbXML request leased to the connector. The lease expires
// at LeaseExpiresAt, after which the platform may offer the item again; a
// result posted after that is recorded but not applied.
type WorkItem struct {
	ID           string `json:"id"`
	LeaseID      string `json:"leaseId"`
	ConnectionID string `json:"connectionId"`
	CompanyID    string `json:"companyId"`
	// File is the company file the request must run against.
	File FileIdentity `json:"file"`
	Kind string       `json:"kind"`
	// Request is the qbXML request document.
	Request string `json:"request"`
	// MessageSetID is the newMessageSetID of a write; the connector records
	// it in its journal before sending the request, so that a write whose
	// answer was lost is recovered with oldMessageSetID, never repeated.
	MessageSetID   string     `json:"messageSetId,omitempty"`
	Attempt        int        `json:"attempt"`
	LeaseExpiresAt time.Time  `json:"leaseExpiresAt"`
	Deadline       *time.Time `json:"deadline,omitempty"`
}

// PollResponse answers a poll. Item is nil when no work arrived in time.
type PollResponse struct {
	Item *WorkItem `json:"item"`
	// ReportState asks the connector to report its state now, because one
	// of its connections changed on the platform (paused or resumed
	// through the REST API, unlinked, renamed): the state answer carries
	// the change. Only with a nil Item.
	ReportState bool `json:"reportState,omitempty"`
}

// Failure says why a work item could not reach QuickBooks: the HRESULT and
// message that QBXMLRP2 returned (or the connector's own reason, such as a
// file mismatch) and the condition the connector derived from them.
type Failure struct {
	// HResult is the COM error as "0x80040408"; empty when the failure did
	// not come from QuickBooks.
	HResult string `json:"hresult,omitempty"`
	// Message is QuickBooks' message, verbatim.
	Message string `json:"message"`
	// Condition is a stable code such as "qb_closed", "wrong_file_open",
	// "auth_pending", "access_denied" (the connector's qbd.Diagnose table).
	Condition string `json:"condition"`
	// UserMessage and Resolution are written for the end user.
	UserMessage string `json:"userMessage,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	// NeedsUser is true when only the end user can clear the condition;
	// the platform then holds the company's work until the state clears.
	NeedsUser bool `json:"needsUserAction"`
	// Retryable is true when the same request may succeed later.
	Retryable bool `json:"retryable"`
}

// Result is the outcome of a work item: exactly one of Response (the raw
// qbXML response, even when it carries an error statusCode) and Failure.
type Result struct {
	ItemID   string   `json:"-"` // in the path
	LeaseID  string   `json:"leaseId"`
	Response string   `json:"response,omitempty"`
	Failure  *Failure `json:"failure,omitempty"`
	// Duration is how long QuickBooks took, for the platform's metrics.
	DurationMillis int64 `json:"durationMs,omitempty"`
	// Next asks the platform to lease the connector's next work item and
	// answer it in ResultAck.Next, so that a connector busy with a sync
	// makes one round trip per item instead of a result and a poll. It
	// travels in the query (?next=1), which a platform that predates it
	// ignores: its answer has no Next, and the connector polls.
	Next bool `json:"-"`
}

// Validate reports what is wrong with a result before it is sent.
func (r *Result) Validate() error {
	switch {
	case r.ItemID == "":
		return errors.New("result: item ID is empty")
	case r.LeaseID == "":
		return errors.New("result: lease ID is empty")
	case r.Response == "" && r.Failure == nil:
		return errors.New("result: needs a response or a failure")
	case r.Response != "" && r.Failure != nil:
		return errors.New("result: has both a response and a failure")
	case r.Failure != nil && r.Failure.Condition == "":
		return errors.New("result: failure has no condition")
	}
	return nil
}

// ResultAck answers a posted result. Applied is false when the item already
// had an outcome (a repeated post, or a post for a lease that was re-offered):
// the result was recorded and ignored, and the connector must not retry it.
//
// Next is the connector's next work item, leased to it as a poll leases
// one, when the result was posted with Result.Next; the connector runs it
// without polling. It is nil when there is nothing to run now, when the
// result was not applied (the connector polls, and a poll re-offers an
// item leased in an answer that was lost), and from a platform that
// predates it.
type ResultAck struct {
	Applied bool      `json:"applied"`
	Status  string    `json:"status"` // the item's status after the post
	Next    *WorkItem `json:"next,omitempty"`
}

// LeaseRequest extends the lease of a work item that takes long to run, so
// that it is not offered again meanwhile.
type LeaseRequest struct {
	ItemID  string `json:"-"` // in the path
	LeaseID string `json:"leaseId"`
}

// LeaseResponse gives the lease's new expiry.
type LeaseResponse struct {
	LeaseExpiresAt time.Time `json:"leaseExpiresAt"`
}

// FileState is what the connector knows about one company file it serves.
type FileState struct {
	ConnectionID string       `json:"connectionId"`
	File         FileIdentity `json:"file"`
	// PauseChange is the end user's pause or resume on the connector that
	// the platform has not confirmed yet; nil when there is none.
	PauseChange *PauseChange `json:"pauseChange,omitempty"`
	// Paused is the pause level that connectors before PauseChange sent
	// with every report. Deprecated: a connector that knows PauseChange
	// leaves it nil; the platform turns a legacy connector's level changes
	// into changes, so that its heartbeat does not undo a pause set
	// elsewhere.
	Paused *bool `json:"paused,omitempty"`
	// Condition is "ok" or the failure condition of QuickBooks' last
	// answer; HResult, Message, UserMessage, Resolution and NeedsUser are as
	// in Failure.
	Condition   string     `json:"condition"`
	HResult     string     `json:"hresult,omitempty"`
	Message     string     `json:"message,omitempty"`
	UserMessage string     `json:"userMessage,omitempty"`
	Resolution  string     `json:"resolution,omitempty"`
	NeedsUser   bool       `json:"needsUserAction"`
	LastRequest *time.Time `json:"lastRequestAt,omitempty"`
	LastSuccess *time.Time `json:"lastSuccessAt,omitempty"`
	// Handover is the file's step in a certificate handover (a release
	// signed with another certificate installed beside the running one);
	// nil when none runs. The platform records it in its rotation
	// campaigns.
	Handover *Handover `json:"handover,omitempty"`
}

// Handover is one file's step in a certificate handover. State is one of
// the Handover* constants (the rotation campaign's state names); SubState,
// for HandoverCandidateInstalled, the end user's situation (the campaign's
// sub-states: "prompt_showing", "qb_closed", "wrong_file_open", ...).
type Handover struct {
	Version  string `json:"version"`
	State    string `json:"state"`
	SubState string `json:"subState,omitempty"`
}

// Handover states, as the platform's rotation campaigns name them.
const (
	HandoverCandidateInstalled = "CandidateInstalled"
	HandoverSwitched           = "Switched"
	HandoverDenied             = "Denied"
	HandoverWrongFile          = "WrongFile"
	HandoverFellBack           = "FellBack"
)

// State is the connector's report about itself and every file it serves.
type State struct {
	Connector ConnectorInfo `json:"connector"`
	Files     []FileState   `json:"files"`
}

// StateResponse lists the connections the platform believes the connector
// serves, so that a connector learns about unlinked companies.
type StateResponse struct {
	Connections []Connection `json:"connections"`
	// Revoked is set when the release the connector reported running
	// (State.Connector.Version) was revoked by its publisher; nil
	// otherwise, and from a platform that predates revocations. During a
	// certificate handover every file not yet served by the candidate
	// then falls back (FellBack, sub-state "release_revoked"), as when the
	// running version's certificate expires.
	Revoked *Revocation `json:"revoked,omitempty"`
}

// Revocation says that a release was revoked, when and why.
type Revocation struct {
	Version   string    `json:"version"`
	Reason    string    `json:"reason"`
	RevokedAt time.Time `json:"revokedAt"`
}

// Sub-states of HandoverFellBack: why the running version could not go on
// serving the file.
const (
	FellBackCertificateExpired = "certificate_expired"
	FellBackReleaseRevoked     = "release_revoked"
)

// Service is the connector protocol as the connector consumes it. The
// platform's in-process implementation and the HTTP client (gatewayclient) both satisfy it,
// so connector code is tested against either.
//
// Errors are *Error values; errors.As finds them.
type Service interface {
	// Link redeems a link code. Code "unauthorized" for an unknown, used or
	// expired code.
	Link(ctx context.Context, req LinkRequest) (*LinkResponse, error)
	// Poll leases the next work item, waiting up to req.Wait for one.
	// A response with a nil Item means no work; it is never (nil, nil).
	Poll(ctx context.Context, req PollRequest) (*PollResponse, error)
	// PostResult records a work item's outcome. It is idempotent by item.
	// With r.Next it also leases the connector's next item (ResultAck.Next).
	PostResult(ctx context.Context, r Result) (*ResultAck, error)
	// ExtendLease extends the lease of an item still running. Code
	// "conflict" when the lease is no longer current: the item was offered
	// again, and the connector should stop working on it if it can.
	ExtendLease(ctx context.Context, req LeaseRequest) (*LeaseResponse, error)
	// ReportState records the connector's version, signer and file states.
	ReportState(ctx context.Context, s State) (*StateResponse, error)
}

// Error codes that the platform answers with. They are the platform's error
// codes; the list here is what a connector needs to switch on.
const (
	CodeInvalid      = "invalid"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeUnauthorized = "unauthorized"
	CodeTooLarge     = "too_large"
	CodeRateLimited  = "rate_limited"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// Error is an error answered by the platform, in the platform's one error
// shape.
type Error struct {
	Status      int    `json:"-"` // HTTP status; 0 for an in-process call
	Code        string `json:"code"`
	Message     string `json:"message"`
	UserMessage string `json:"userMessage,omitempty"`
	Resolution  string `json:"resolution,omitempty"`
	RequestID   string `json:"requestId,omitempty"`
	// RetryAfter is the platform's Retry-After, or 0.
	RetryAfter time.Duration `json:"-"`
}

// Error returns the code and the message.
func (e *Error) Error() string {
	if e.RequestID != "" {
		return fmt.Sprintf("gateway: %s: %s (request %s)", e.Code, e.Message, e.RequestID)
	}
	return fmt.Sprintf("gateway: %s: %s", e.Code, e.Message)
}

// Temporary reports whether the same call may succeed later.
func (e *Error) Temporary() bool {
	return e.Code == CodeUnavailable || e.Code == CodeRateLimited || e.Code == CodeInternal || e.Status >= 500
}

// ErrorBody is the JSON body of every error answer: {"error": {...}}.
type ErrorBody struct {
	Error Error `json:"error"`
}

// CodeOf returns the code of the first *Error in err's chain, or "".
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
