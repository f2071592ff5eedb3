package release

import (
	"context"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// maxRevokeReason bounds the operator's reason for a revocation.
const maxRevokeReason = 4096

// Revoke revokes a release: it is never offered again, connectors running
// it are offered the newest release newer than it whatever that release's
// rollout selects (unless it is paused), and they are told in the answer
// to their state reports (see Revocation), so that a file still served by
// it during a certificate handover falls back. reason is required.
// EInvalid for a missing or overlong reason, ENotFound for an unknown
// version, EConflict for a release revoked before; none changes anything.
func (s *Service) Revoke(ctx context.Context, version, reason string) (*qbconnect.Release, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case strings.TrimSpace(version) == "":
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the version to revoke is required")
	case reason == "":
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "a reason is required: say why release %s is revoked", version)
	case len(reason) > maxRevokeReason:
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the reason is limited to %d bytes", maxRevokeReason)
	}
	rel, err := s.cfg.Store.RevokeRelease(ctx, version, reason)
	if err != nil {
		return nil, err
	}
	s.log.Warn("release revoked", "version", rel.Version, "reason", reason)
	return rel, nil
}

// Revocation returns the revocation of the release a connector reports
// running. ENotFound when that version is no revoked release.
func (s *Service) Revocation(ctx context.Context, version string) (*qbconnect.Revocation, error) {
	return s.cfg.Store.Revocation(ctx, version)
}
