package qbconnect

import "context"

// SignerClaim is what an organisation's connectors report about the
// certificate that signed them: a claim, since the platform cannot verify
// what a connector says about itself.
type SignerClaim struct {
	// Thumbprint is the claimed certificate's SHA-1, lowercase hex.
	Thumbprint string
	// Signer is the claimed subject, as the first connector reported it.
	Signer string
	// Connectors counts the organisation's connectors making the claim.
	Connectors int
}

// SignerClaims lists the signer claims of an organisation's connectors.
type SignerClaims interface {
	// OrgSignerClaims returns, per claimed thumbprint, the claims of the
	// connectors (not revoked) serving the organisation's linked
	// connections; an empty list for an unknown organisation.
	OrgSignerClaims(ctx context.Context, orgID string) ([]SignerClaim, error)
}
