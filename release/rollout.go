package release

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

func validateRollout(ro *qbconnect.Rollout) error {
	if ro.State == "" {
		ro.State = qbconnect.RolloutActive
	}
	if ro.State != qbconnect.RolloutActive && ro.State != qbconnect.RolloutPaused {
		return qbconnect.Errorf(qbconnect.EInvalid, "rollout state %q: want Active or Paused", ro.State)
	}
	if ro.Percent < 0 || ro.Percent > 100 {
		return qbconnect.Errorf(qbconnect.EInvalid, "rollout percentage %d: want 0 to 100", ro.Percent)
	}
	seen := map[string]bool{}
	kept := ro.Companies[:0:0]
	for _, c := range ro.Companies {
		c = strings.TrimSpace(c)
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		kept = append(kept, c)
	}
	ro.Companies = kept
	return nil
}

// RolloutChange changes a release's rollout; nil fields stay as they are.
type RolloutChange struct {
	Percent   *int
	Companies []string // added to the list
	Remove    []string // removed from the list
	Pause     bool
	Resume    bool
}

// SetRollout applies a change to a release's rollout and returns the
// release.
func (s *Service) SetRollout(ctx context.Context, version string, ch RolloutChange) (*qbconnect.Release, error) {
	if ch.Pause && ch.Resume {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "pause and resume at once")
	}
	rel, err := s.cfg.Store.FindRelease(ctx, version)
	if err != nil {
		return nil, err
	}
	ro := rel.Rollout
	if ch.Percent != nil {
		ro.Percent = *ch.Percent
	}
	ro.Companies = append(slices.Clone(ro.Companies), ch.Companies...)
	ro.Companies = slices.DeleteFunc(ro.Companies, func(c string) bool { return slices.Contains(ch.Remove, c) })
	switch {
	case ch.Pause:
		ro.State = qbconnect.RolloutPaused
	case ch.Resume:
		ro.State = qbconnect.RolloutActive
	}
	if err := validateRollout(&ro); err != nil {
		return nil, err
	}
	rel, err = s.cfg.Store.SetRollout(ctx, rel.Version, ro)
	if err != nil {
		return nil, err
	}
	s.log.Info("release rollout changed", "version", rel.Version, "state", ro.State, "percent", ro.Percent, "companies", len(ro.Companies))
	return rel, nil
}

// Releases lists the releases of a channel ("" for all), newest first.
func (s *Service) Releases(ctx context.Context, channel string) ([]*qbconnect.Release, error) {
	return s.cfg.Store.ListReleases(ctx, channel)
}

// bucket places a connector in 0..99 for a release: stable, so that raising
// the percentage only adds connectors.
func bucket(connectorID, version string) int {
	h := sha256.Sum256([]byte(connectorID + "\x00" + version))
	return int(binary.BigEndian.Uint64(h[:8]) % 100)
}

// selects reports whether a release's rollout includes a connector serving
// companies. A connector leaving a revoked release is included by every
// active rollout.
func selects(rel *qbconnect.Release, connectorID string, companies []string, leaving bool) bool {
	if rel.Rollout.State != qbconnect.RolloutActive {
		return false
	}
	if leaving {
		return true
	}
	for _, c := range companies {
		if slices.Contains(rel.Rollout.Companies, c) {
			return true
		}
	}
	return bucket(connectorID, rel.Version) < rel.Rollout.Percent
}

// Offer returns the release a connector should install on platform
// ("windows/amd64"), or nil: the newest release of the stable channel newer
// than what it runs, not revoked, whose rollout selects it (any active
// rollout, when the release it runs was revoked), that has a program for
// its platform, and that the connector has not refused or rolled back
// before.
func (s *Service) Offer(ctx context.Context, c *qbconnect.Connector, platform string) (*gateway.UpdateOffer, error) {
	if c.Version == "" || c.Version == "dev" {
		return nil, nil // a development build updates by hand
	}
	list, err := s.cfg.Store.ListReleases(ctx, DefaultChannel)
	if err != nil {
		return nil, err
	}
	runs, err := s.cfg.Store.ConnectorRuns(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var companies []string
	for _, r := range runs {
		companies = append(companies, r.Connection.CompanyID)
	}
	reports, err := s.cfg.Store.UpdateReports(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	failed := map[string]bool{}
	for _, r := range reports {
		if r.Outcome == qbconnect.UpdateRefused || r.Outcome == qbconnect.UpdateRolledBack {
			failed[r.ToVersion] = true
		}
	}
	leaving := false
	for _, rel := range list {
		if rel.Version == c.Version && rel.Revoked != nil {
			leaving = true
		}
	}
	slices.SortFunc(list, func(a, b *qbconnect.Release) int { return compareVersions(b.Version, a.Version) })
	for _, rel := range list {
		if compareVersions(rel.Version, c.Version) <= 0 {
			return nil, nil
		}
		if failed[rel.Version] || rel.Revoked != nil || !selects(rel, c.ID, companies, leaving) {
			continue
		}
		if offer := offerOf(rel, platform); offer != nil {
			return offer, nil
		}
	}
	return nil, nil
}

func offerOf(rel *qbconnect.Release, platform string) *gateway.UpdateOffer {
	for _, a := range rel.Artifacts {
		if a.Kind != qbconnect.ArtifactExecutable || a.Platform != platform {
			continue
		}
		o := &gateway.UpdateOffer{Version: rel.Version, Channel: rel.Channel,
			Program:          gateway.ArtifactRef{Name: a.Name, Size: a.Size, SHA256: a.SHA256},
			SignerThumbprint: rel.Signer.Thumbprint, SignerSubject: rel.Signer.Subject}
		if a.Signature != "" {
			for _, sa := range rel.Artifacts {
				if sa.Name == a.Signature {
					o.Signature = &gateway.ArtifactRef{Name: sa.Name, Size: sa.Size, SHA256: sa.SHA256}
				}
			}
			if o.Signature == nil {
				return nil
			}
		}
		return o
	}
	return nil
}

// Artifact returns a release file with its data.
func (s *Service) Artifact(ctx context.Context, version, name string) (*qbconnect.Artifact, error) {
	return s.cfg.Store.Artifact(ctx, version, name)
}

// ReportUpdate records a connector's update outcome.
func (s *Service) ReportUpdate(ctx context.Context, c *qbconnect.Connector, r gateway.UpdateReport) error {
	switch qbconnect.UpdateOutcome(r.Outcome) {
	case qbconnect.UpdateInstalled, qbconnect.UpdateRefused, qbconnect.UpdateRolledBack, qbconnect.UpdateFailed:
	default:
		return qbconnect.Errorf(qbconnect.EInvalid, "outcome %q: want installed, refused, rolled_back or failed", r.Outcome)
	}
	if r.ToVersion == "" || len(r.ToVersion) > 64 || len(r.FromVersion) > 64 || len(r.Reason) > 4096 {
		return qbconnect.Errorf(qbconnect.EInvalid, "toVersion is required; versions are at most 64 bytes, the reason 4096")
	}
	rep := qbconnect.UpdateReport{ConnectorID: c.ID, FromVersion: r.FromVersion, ToVersion: r.ToVersion,
		Outcome: qbconnect.UpdateOutcome(r.Outcome), Reason: r.Reason, At: s.cfg.Now().UTC()}
	if err := s.cfg.Store.RecordUpdateReport(ctx, rep); err != nil {
		return err
	}
	log := s.log.Info
	if rep.Outcome != qbconnect.UpdateInstalled {
		log = s.log.Warn
	}
	log("connector update", "connector", c.ID, "from", r.FromVersion, "to", r.ToVersion, "outcome", r.Outcome, "reason", r.Reason)
	return nil
}
