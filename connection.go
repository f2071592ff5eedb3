package qbconnect

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ConnectionKind says which transport reaches the company file.
type ConnectionKind string

// Connection kinds.
const (
	KindConnector    ConnectionKind = "connector"    // our signed desktop connector
	KindWebConnector ConnectionKind = "webconnector" // Intuit's QuickBooks Web Connector
)

// ConnectionStatus is the lifecycle of a connection.
type ConnectionStatus string

// Connection statuses.
const (
	StatusPendingAuth  ConnectionStatus = "PendingAuth"  // created, link code or .qwc not used yet
	StatusLinked       ConnectionStatus = "Linked"       // a connector or Web Connector is attached
	StatusUnlinked     ConnectionStatus = "Unlinked"     // the client or end user removed it
	StatusDeauthorized ConnectionStatus = "Deauthorized" // its credential was revoked
)

// Health codes set by the platform itself. Codes describing QuickBooks'
// situation (closed, wrong file, access denied, ...) come from the connector
// or the Web Connector endpoint, which derive them from QuickBooks' answers
// with the table in package qbd (qbd.Diagnose); the platform stores them as
// they are.
const (
	HealthOK               = "ok"
	HealthNeverConnected   = "never_connected"
	HealthConnectorOffline = "connector_offline"
	HealthPaused           = "paused"
	HealthFileMismatch     = "file_mismatch" // identity stamp differs from the linked file
	HealthRevoked          = "connector_revoked"
)

// Health says what is wrong with a connection right now, in words for the end
// user, and since when. Code "ok" means nothing is wrong.
type Health struct {
	Code          string     `json:"code"`
	Message       string     `json:"message"`
	Resolution    string     `json:"resolution,omitempty"`
	QBCode        string     `json:"qbCode,omitempty"` // HRESULT or statusCode behind it
	Since         time.Time  `json:"since"`
	LastRequestAt *time.Time `json:"lastRequestAt,omitempty"`
	LastSuccessAt *time.Time `json:"lastSuccessAt,omitempty"`
	// NeedsUser is true when work waits for the end user to act (QuickBooks
	// closed, wrong file, not authorised); queued work then waits without
	// burning attempts and resumes by itself when the condition clears.
	NeedsUser bool `json:"needsUserAction"`
}

// FileIdentity identifies a QuickBooks company file. FileID is a private
// identifier the platform stamps into the file as a DataExt at link time, so
// that a renamed, moved or different file is detected before work runs.
type FileIdentity struct {
	Path        string `json:"path"`
	CompanyName string `json:"companyName"`
	FileID      string `json:"fileId"`
}

// Connection links a company to one QuickBooks company file through one
// transport. A company has at most one active (not Unlinked) connection.
type Connection struct {
	ID          string           `json:"id"`
	OrgID       string           `json:"-"`
	CompanyID   string           `json:"companyId"`
	Kind        ConnectionKind   `json:"kind"`
	Status      ConnectionStatus `json:"status"`
	Health      Health           `json:"health"`
	ConnectorID string           `json:"connectorId,omitempty"` // Kind connector
	File        FileIdentity     `json:"file"`
	Paused      bool             `json:"paused"`
	PausedUntil *time.Time       `json:"pausedUntil,omitempty"`
	// PausedBy says who paused a paused connection.
	PausedBy PauseOwner `json:"pausedBy,omitempty"`
	// PauseChangeAt is when the end user made the last pause change on
	// the connector that the platform applied.
	PauseChangeAt *time.Time `json:"-"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	LinkedAt      *time.Time `json:"linkedAt,omitempty"`
}

// PauseOwner says who paused a connection.
type PauseOwner string

// Who may pause a connection.
const (
	// PausedByConnector: the end user, on the connector.
	PausedByConnector PauseOwner = "connector"
	// PausedByAPI: the client, through the REST API.
	PausedByAPI PauseOwner = "api"
)

// Pause is a change of a connection's pause.
type Pause struct {
	Paused bool
	// Until ends the pause by itself; nil means until resumed.
	Until *time.Time
	// By says who pauses; a resume clears it.
	By PauseOwner
	// ChangeAt, for a change made on the connector, is when the end user
	// made it. Such a change is applied only when it is newer than the
	// last one applied, so that a change the connector sends again after
	// a lost answer is applied once, by whichever server receives it.
	ChangeAt *time.Time
}

// Connector is one installation of the desktop connector. It may serve
// several connections (a multi-company PC). Its credential is random, shown to
// the connector once and stored as a hash.
type Connector struct {
	ID         string     `json:"id"`
	Version    string     `json:"version"`
	Signer     string     `json:"signer"`     // certificate subject, or "unsigned"
	Thumbprint string     `json:"thumbprint"` // SHA-1 of the signing certificate, hex
	Hostname   string     `json:"hostname,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastSeenAt *time.Time `json:"lastSeenAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// LinkCode is a single-use code that a connector exchanges for a credential.
// Code is shown once; only its hash is stored.
type LinkCode struct {
	Code         string    `json:"code,omitempty"`
	OrgID        string    `json:"-"`
	CompanyID    string    `json:"companyId"`
	ConnectionID string    `json:"connectionId"`
	ExpiresAt    time.Time `json:"expiresAt"`
}

// ConnectionService manages connections, link codes and connectors. Methods
// taking an orgID answer ENotFound for another organisation's IDs.
type ConnectionService interface {
	// CreateConnection creates a PendingAuth connection for a company;
	// EConflict when the company already has an active one.
	CreateConnection(ctx context.Context, c *Connection) error
	FindConnection(ctx context.Context, orgID, id string) (*Connection, error)
	// ActiveConnection returns the company's active connection, or ENotFound.
	ActiveConnection(ctx context.Context, orgID, companyID string) (*Connection, error)
	ListConnections(ctx context.Context, orgID, companyID string) ([]*Connection, error)
	// UnlinkConnection marks it Unlinked and cancels its queued operations.
	UnlinkConnection(ctx context.Context, orgID, id string) error
	// SetHealth records the connection's current health. Since is kept when
	// the code does not change.
	SetHealth(ctx context.Context, id string, h Health) error

	// CreateLinkCode issues a code valid for ttl (0 means one hour).
	CreateLinkCode(ctx context.Context, orgID, connectionID string, ttl time.Duration) (*LinkCode, error)
	// RedeemLinkCode marks the code used, links the connection to the
	// connector (creating the connector when connectorID is "") and the file,
	// and returns the connection, the connector and, for a new connector, its
	// credential. EUnauthorized for an unknown, used or expired code.
	RedeemLinkCode(ctx context.Context, code, connectorID string, file FileIdentity) (*Connection, *Connector, string, error)
	// RedeemLink is RedeemLinkCode that also records, in the same
	// transaction, what the connector reports about itself (about's
	// Version, Signer, Thumbprint and Hostname; nil keeps them): a link
	// either happens whole or not at all, and a failure leaves the code
	// unused. EInvalid for text a database cannot hold (NUL, invalid UTF-8).
	RedeemLink(ctx context.Context, code, connectorID string, file FileIdentity, about *Connector) (*Connection, *Connector, string, error)
	// AuthenticateConnector returns the connector for a credential;
	// EUnauthorized when unknown or revoked.
	AuthenticateConnector(ctx context.Context, credential string) (*Connector, error)
	// ConnectorConnections returns the connections a connector serves.
	ConnectorConnections(ctx context.Context, connectorID string) ([]*Connection, error)
	// UpdateConnector records what a connector reports about itself.
	UpdateConnector(ctx context.Context, c *Connector) error

	// LookupConnection returns a connection by ID without an organisation
	// scope, for the gateway and the Web Connector endpoint after they have
	// authenticated the caller. ENotFound for an unknown ID.
	LookupConnection(ctx context.Context, id string) (*Connection, error)
	// SetPaused pauses (until p.Until, or indefinitely) or resumes a
	// connection. Queued work of a paused connection waits. A connector's
	// change (p.ChangeAt set) that is not newer than the last one applied
	// changes nothing. It returns the connection as it now is.
	SetPaused(ctx context.Context, orgID, id string, p Pause) (*Connection, error)
	// LinkWebConnector links a Web Connector connection, at its first
	// update, to the company file it reported (an empty FileID gets a new
	// one) and sets its health to h, the Web Connector's state, in one
	// change. ENotFound for an unknown ID; EConflict for a connector
	// connection or one unlinked or deauthorised.
	LinkWebConnector(ctx context.Context, id string, file FileIdentity, h Health) (*Connection, error)
	// RevokeConnector revokes a connector's credential and marks its linked
	// connections Deauthorized. ENotFound unless the connector serves one of
	// the organisation's connections.
	RevokeConnector(ctx context.Context, orgID, connectorID string) error
}

// CheckFile compares the identity of the company file open in QuickBooks
// with the one recorded at link time. It returns nil when they match, and an
// error with code EConflict and a user message naming both files otherwise.
// The private FileID decides when both sides have one; without it the path
// and the company name must both match (case-insensitively for the path,
// since Windows paths are).
func (f FileIdentity) CheckFile(open FileIdentity) *Error {
	var same bool
	if f.FileID != "" && open.FileID != "" {
		same = f.FileID == open.FileID
	} else {
		same = strings.EqualFold(f.Path, open.Path) && f.CompanyName == open.CompanyName
	}
	if same {
		return nil
	}
	return &Error{
		Code:    EConflict,
		Message: fmt.Sprintf("company file mismatch: linked %q (%s), open %q (%s)", f.Path, f.FileID, open.Path, open.FileID),
		UserMessage: fmt.Sprintf("QuickBooks has %q (%s) open, but this connection is linked to %q (%s).",
			open.CompanyName, open.Path, f.CompanyName, f.Path),
		Resolution: fmt.Sprintf("Open %q in QuickBooks, or re-link the connection if the company file was moved on purpose.", f.Path),
	}
}
