package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// OrgStore keeps organisations and their API keys.
type OrgStore struct{ db *DB }

var _ qbconnect.OrgService = (*OrgStore)(nil)

// NewOrgStore returns the organisation service of db.
func NewOrgStore(db *DB) *OrgStore { return &OrgStore{db: db} }

// apiKeyPrefix starts every API key secret.
const apiKeyPrefix = "qbk_live_"

// lastUsedGranularity limits how often authentication writes LastUsed.
const lastUsedGranularity = time.Minute

// CreateOrg creates an organisation. An empty name is EInvalid.
func (s *OrgStore) CreateOrg(ctx context.Context, name string) (*qbconnect.Org, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "organisation name is required")
	}
	id, err := s.db.newID("org")
	if err != nil {
		return nil, err
	}
	o := &qbconnect.Org{ID: id, Name: name, CreatedAt: s.db.now()}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)", o.ID, o.Name, micros(o.CreatedAt))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	return o, nil
}

// FindOrg returns ENotFound for an unknown ID.
func (s *OrgStore) FindOrg(ctx context.Context, id string) (*qbconnect.Org, error) {
	o := &qbconnect.Org{}
	var created int64
	err := s.db.queryRow(ctx, "SELECT id, name, created_at FROM orgs WHERE id = ?", id).Scan(&o.ID, &o.Name, &created)
	if err != nil {
		return nil, notFound(err, "organisation", id)
	}
	o.CreatedAt = fromMicros(created)
	return o, nil
}

// ListOrgs returns every organisation, oldest first.
func (s *OrgStore) ListOrgs(ctx context.Context) ([]*qbconnect.Org, error) {
	rows, err := s.db.query(ctx, "SELECT id, name, created_at FROM orgs ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	defer rows.Close()
	orgs := []*qbconnect.Org{}
	for rows.Next() {
		o := &qbconnect.Org{}
		var created int64
		if err := rows.Scan(&o.ID, &o.Name, &created); err != nil {
			return nil, fmt.Errorf("list organisations: %w", err)
		}
		o.CreatedAt = fromMicros(created)
		orgs = append(orgs, o)
	}
	return orgs, rows.Err()
}

// CreateAPIKey returns the key and its secret ("qbk_live_" and 32
// characters), which is never stored or returned again. ENotFound for an
// unknown organisation.
func (s *OrgStore) CreateAPIKey(ctx context.Context, orgID, name string) (*qbconnect.APIKey, string, error) {
	if _, err := s.FindOrg(ctx, orgID); err != nil {
		return nil, "", err
	}
	id, err := s.db.newID("key")
	if err != nil {
		return nil, "", err
	}
	secret, err := s.db.newSecret(apiKeyPrefix)
	if err != nil {
		return nil, "", err
	}
	k := &qbconnect.APIKey{
		ID:        id,
		OrgID:     orgID,
		Name:      strings.TrimSpace(name),
		Prefix:    secret[:len(apiKeyPrefix)+8],
		CreatedAt: s.db.now(),
	}
	err = s.db.inTx(ctx, func(tx *tx) error {
		_, err := tx.exec(ctx, `INSERT INTO api_keys (id, org_id, name, prefix, secret_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, k.ID, k.OrgID, k.Name, k.Prefix, hashSecret(secret), micros(k.CreatedAt))
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("create API key: %w", err)
	}
	return k, secret, nil
}

const apiKeyColumns = "id, org_id, name, prefix, created_at, revoked_at, last_used_at"

func scanAPIKey(row interface{ Scan(...any) error }) (*qbconnect.APIKey, error) {
	k := &qbconnect.APIKey{}
	var created int64
	var revoked, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.OrgID, &k.Name, &k.Prefix, &created, &revoked, &used); err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	k.RevokedAt = timePtr(revoked)
	k.LastUsed = timePtr(used)
	return k, nil
}

// ListAPIKeys returns an organisation's keys, oldest first, without secrets.
// An unknown organisation has no keys.
func (s *OrgStore) ListAPIKeys(ctx context.Context, orgID string) ([]*qbconnect.APIKey, error) {
	rows, err := s.db.query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE org_id = ? ORDER BY created_at, id", orgID)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	keys := []*qbconnect.APIKey{}
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list API keys: %w", err)
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RevokeAPIKey revokes a key by ID or prefix; ENotFound when neither
// matches. Revoking a revoked key keeps its first revocation time.
func (s *OrgStore) RevokeAPIKey(ctx context.Context, idOrPrefix string) error {
	return s.db.inTx(ctx, func(tx *tx) error {
		res, err := tx.exec(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? OR prefix = ?`,
			micros(s.db.now()), idOrPrefix, idOrPrefix)
		if err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return qbconnect.Errorf(qbconnect.ENotFound, "API key %q not found", idOrPrefix)
		}
		// Every process forgets the keys it remembers.
		return tx.notify(ctx, apiKeysKey)
	})
}

// AuthenticateAPIKey returns the key for a secret; EUnauthorized when the
// secret is unknown or revoked. It records the use at most once a minute.
// With PostgreSQL, a key read is remembered (see Dispatcher.apiKey) until
// any key is revoked, which every process hears of, or for two minutes.
func (s *OrgStore) AuthenticateAPIKey(ctx context.Context, secret string) (*qbconnect.APIKey, error) {
	if !strings.HasPrefix(secret, apiKeyPrefix) {
		return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown API key")
	}
	hash := hashSecret(secret)
	now := s.db.now()
	d := s.db.dispatch
	k, epoch := d.apiKey(string(hash), now)
	if k == nil {
		var err error
		k, err = scanAPIKey(s.db.queryRow(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE secret_hash = ?", hash))
		if err == sql.ErrNoRows {
			return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "unknown API key")
		}
		if err != nil {
			return nil, fmt.Errorf("authenticate API key: %w", err)
		}
		if k.RevokedAt != nil {
			return nil, qbconnect.Errorf(qbconnect.EUnauthorized, "API key %s was revoked", k.Prefix)
		}
	}
	if k.LastUsed == nil || now.Sub(*k.LastUsed) >= lastUsedGranularity {
		err := s.db.inTx(ctx, func(tx *tx) error {
			_, err := tx.exec(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", micros(now), k.ID)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("authenticate API key: %w", err)
		}
		k.LastUsed = &now
	}
	d.rememberAPIKey(string(hash), k, epoch, now)
	return k, nil
}
