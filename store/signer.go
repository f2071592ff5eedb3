package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// SignerClaimStore reads what an organisation's connectors report about their
// signing certificates.
type SignerClaimStore struct{ db *DB }

var _ qbconnect.SignerClaims = (*SignerClaimStore)(nil)

// NewSignerClaimStore returns the signer claims of db.
func NewSignerClaimStore(db *DB) *SignerClaimStore { return &SignerClaimStore{db: db} }

// OrgSignerClaims returns, per claimed thumbprint, the claims of the
// connectors (not revoked) serving the organisation's connections that are
// not unlinked, ordered by thumbprint.
func (s *SignerClaimStore) OrgSignerClaims(ctx context.Context, orgID string) ([]qbconnect.SignerClaim, error) {
	rows, err := s.db.query(ctx, `SELECT LOWER(ctr.thumbprint), MIN(ctr.signer), COUNT(DISTINCT ctr.id) FROM connectors ctr
		JOIN connections c ON c.connector_id = ctr.id
		WHERE c.org_id = ? AND c.status <> 'Unlinked' AND ctr.revoked_at IS NULL AND ctr.thumbprint <> ''
		GROUP BY LOWER(ctr.thumbprint) ORDER BY LOWER(ctr.thumbprint)`, orgID)
	if err != nil {
		return nil, fmt.Errorf("signer claims: %w", err)
	}
	defer rows.Close()
	out := []qbconnect.SignerClaim{}
	for rows.Next() {
		var c qbconnect.SignerClaim
		if err := rows.Scan(&c.Thumbprint, &c.Signer, &c.Connectors); err != nil {
			return nil, fmt.Errorf("signer claims: %w", err)
		}
		c.Thumbprint = strings.ToLower(c.Thumbprint)
		out = append(out, c)
	}
	return out, rows.Err()
}
