package gateway

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
)

// Endpoints of connector self-update (an additive part of v1).
const (
	// PathUpdate answers the release the platform offers this connector:
	// GET ?platform=windows/amd64 gives 200 with an UpdateOffer, or 204 when
	// there is none.
	PathUpdate = PathPrefix + "/update"
	// PathUpdateReport receives the outcome of an update attempt (POST
	// UpdateReport).
	PathUpdateReport = PathPrefix + "/update/report"
	// PathArtifact serves a file of a release (GET), to connectors only.
	PathArtifact = PathPrefix + "/releases/{version}/artifacts/{name}"
)

// MaxArtifactSize is the largest release file a connector downloads.
const MaxArtifactSize = 512 << 20

// ArtifactRef names a file of a release and what it must hash to.
type ArtifactRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// UpdateOffer is a release the connector should install.
type UpdateOffer struct {
	Version string `json:"version"`
	Channel string `json:"channel"`
	// Program is the connector executable for the platform asked about.
	Program ArtifactRef `json:"program"`
	// Signature is the detached PKCS#7 signature of Program, for
	// platforms whose executables do not embed one; nil for Windows.
	Signature *ArtifactRef `json:"signature,omitempty"`
	// SignerThumbprint is the SHA-1 thumbprint (lowercase hex) of the
	// certificate the release is signed with; the connector refuses a file
	// signed by any other.
	SignerThumbprint string `json:"signerThumbprint"`
	SignerSubject    string `json:"signerSubject"`
}

// Update outcomes a connector reports.
const (
	UpdateInstalled  = "installed"
	UpdateRefused    = "refused"
	UpdateRolledBack = "rolled_back"
	UpdateFailed     = "failed"
)

// UpdateReport is the outcome of one update attempt.
type UpdateReport struct {
	FromVersion string `json:"fromVersion"`
	ToVersion   string `json:"toVersion"`
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason,omitempty"`
}

// Updates is the self-update part of the protocol. gatewayclient.Client implements it;
// connectors find it by type assertion on their Service.
type Updates interface {
	// CheckUpdate returns the release offered for platform ("linux/amd64"),
	// or nil when the connector should keep what it runs.
	CheckUpdate(ctx context.Context, platform string) (*UpdateOffer, error)
	// Download writes a release file to w, checking its size and SHA-256
	// against ref as it goes; a mismatch is an error and w holds garbage.
	Download(ctx context.Context, version string, ref ArtifactRef, w io.Writer) error
	// ReportUpdate records an update attempt's outcome.
	ReportUpdate(ctx context.Context, r UpdateReport) error
}

// ArtifactPath returns the path of a release file.
func ArtifactPath(version, name string) string {
	return strings.NewReplacer("{version}", url.PathEscape(version), "{name}", url.PathEscape(name)).Replace(PathArtifact)
}

// ErrChecksum is wrapped by Download when a file's size or SHA-256 differs
// from the release record.
var ErrChecksum = errors.New("downloaded file does not match the release")
