package qbconnect

import (
	"context"
	"time"
)

// Org is an organisation: one of our clients (a lender, a SaaS product, an
// accountants' tool). Every other object belongs to exactly one Org, and every
// query is scoped by it.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// APIKey is an organisation's credential for the REST API. The secret is
// shown once at creation and stored only as a hash; Prefix is kept for display.
type APIKey struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"orgId"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	LastUsed  *time.Time `json:"lastUsedAt,omitempty"`
}

// OrgService manages organisations and API keys.
type OrgService interface {
	// CreateOrg creates an organisation. An empty name is EInvalid.
	CreateOrg(ctx context.Context, name string) (*Org, error)
	// FindOrg returns ENotFound for an unknown ID.
	FindOrg(ctx context.Context, id string) (*Org, error)
	// ListOrgs returns every organisation, oldest first.
	ListOrgs(ctx context.Context) ([]*Org, error)
	// CreateAPIKey returns the key and its secret, which is never stored or
	// returned again. ENotFound for an unknown organisation.
	CreateAPIKey(ctx context.Context, orgID, name string) (*APIKey, string, error)
	// ListAPIKeys returns an organisation's keys, oldest first, without
	// secrets.
	ListAPIKeys(ctx context.Context, orgID string) ([]*APIKey, error)
	// RevokeAPIKey revokes a key by ID or prefix; ENotFound when neither matches.
	RevokeAPIKey(ctx context.Context, idOrPrefix string) error
	// AuthenticateAPIKey returns the key for a secret; EUnauthorized when the
	// secret is unknown or revoked.
	AuthenticateAPIKey(ctx context.Context, secret string) (*APIKey, error)
}
