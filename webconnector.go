package qbconnect

import (
	"context"
	"time"
)

// WebConnectorCredential is the QuickBooks Web Connector login of one
// connection: the user name written in its .qwc file and the password the
// end user types into the Web Connector, kept only as a hash. FileID is the
// GUID the Web Connector stamps into the company file under the platform's
// OwnerID; it stays the same for the life of the connection, so that a
// regenerated .qwc never meets QBWC1039 ("Unique OwnerID/FileID pair value
// required").
type WebConnectorCredential struct {
	ConnectionID string
	OrgID        string
	UserName     string
	PasswordHash []byte
	FileID       string
	// FailedLogins counts wrong passwords since FailedSince, for
	// operators; the endpoint limits failed logins per source address,
	// never per user name.
	FailedLogins int
	FailedSince  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WebConnectorSessionStatus is the lifecycle of a Web Connector session.
type WebConnectorSessionStatus string

// Web Connector session statuses.
const (
	SessionOpen   WebConnectorSessionStatus = "open"   // authenticated; the update runs
	SessionClosed WebConnectorSessionStatus = "closed" // closeConnection, connectionError, or an answer that ends the update
	// SessionAbandoned is an open session that went silent and was taken
	// over by the connection's next session.
	SessionAbandoned WebConnectorSessionStatus = "abandoned"
)

// WebConnectorSession is one Web Connector update: from authenticate to
// closeConnection. Its ticket is bound at authenticate to one connection of
// one organisation; only the ticket's hash is kept. The state is persisted
// after every callback, so that any platform process can serve the next one.
type WebConnectorSession struct {
	ID           string
	TicketHash   []byte
	ConnectionID string
	OrgID        string
	CompanyID    string
	Status       WebConnectorSessionStatus
	// CompanyFile is the path given to the Web Connector at authenticate
	// ("" for the file QuickBooks has open).
	CompanyFile string
	// HCPDone is set once the first sendRequestXML brought the
	// Host/Company/Preferences answers and the file's identity checked out.
	HCPDone bool
	// OpID and LeaseID name the operation sent by the last sendRequestXML
	// whose answer has not come back yet. Recovery says that what was sent
	// is the oldMessageSetID recovery of that write, not the write itself.
	OpID     string
	LeaseID  string
	Recovery bool
	// Sent and Received count requests; Received drives the progress.
	Sent     int
	Received int
	// PendingNoOp says the last sendRequestXML answered "NoOp", so that the
	// getLastError that follows decides on the pause; NoOps counts pauses.
	PendingNoOp bool
	NoOps       int
	// LastError is what getLastError answers: a message for the end user.
	LastError string
	// Version counts updates; UpdateSession writes only over the version
	// it read.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time
}

// WebConnectorService keeps Web Connector credentials and sessions.
type WebConnectorService interface {
	// OwnerID returns the platform's OwnerID: candidate on the first call
	// ever, the stored one afterwards (one per platform database).
	OwnerID(ctx context.Context, candidate string) (string, error)
	// SaveCredential stores c, replacing the connection's earlier
	// credential; EConflict when another connection has the user name.
	SaveCredential(ctx context.Context, c *WebConnectorCredential) error
	// FindCredential returns a connection's credential, or ENotFound.
	FindCredential(ctx context.Context, connectionID string) (*WebConnectorCredential, error)
	// CredentialByUser returns the credential of a user name, or ENotFound.
	CredentialByUser(ctx context.Context, userName string) (*WebConnectorCredential, error)
	// RecordLoginFailure counts a wrong password for the user name within
	// window (a failure after the window starts a new count) and returns
	// the count. Unknown user names count nothing and return 0.
	RecordLoginFailure(ctx context.Context, userName string, window time.Duration) (int, error)
	// ResetLoginFailures clears the user name's count.
	ResetLoginFailures(ctx context.Context, userName string) error

	// CreateSession stores a new session, setting its ID and times.
	CreateSession(ctx context.Context, s *WebConnectorSession) error
	// FindSession returns the session of a ticket hash, or ENotFound.
	FindSession(ctx context.Context, ticketHash []byte) (*WebConnectorSession, error)
	// UpdateSession writes a session's mutable fields and UpdatedAt.
	// EConflict when it changed since it was read (two processes served
	// the same callback).
	UpdateSession(ctx context.Context, s *WebConnectorSession) error
	// ConnectionSessions returns the connection's sessions that are open or
	// still hold an operation, newest first.
	ConnectionSessions(ctx context.Context, connectionID string) ([]*WebConnectorSession, error)

	// PendingOperations counts the connection's queued and in-flight
	// operations.
	PendingOperations(ctx context.Context, connectionID string) (int, error)
}

// WebConnectorFile is a generated .qwc file and the credential it goes
// with.
type WebConnectorFile struct {
	// FileName is a name to save it under.
	FileName string `json:"fileName"`
	// QWC is the file's content.
	QWC string `json:"qwc"`
	// UserName is the file's UserName.
	UserName string `json:"userName"`
	// Password is the password to type into the Web Connector. It is set
	// only when this answer generated it, and shown nowhere else: the
	// platform keeps only its hash.
	Password string `json:"password,omitempty"`
	// PasswordSet says an earlier password is still valid (Password is
	// then empty).
	PasswordSet bool `json:"passwordSet"`
	// AppURL is the endpoint the file points at.
	AppURL string `json:"appUrl"`
}
