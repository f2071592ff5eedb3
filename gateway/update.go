package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// Updates is the self-update part of the protocol. Client implements it;
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

var _ Updates = (*Client)(nil)

// CheckUpdate implements Updates.
func (c *Client) CheckUpdate(ctx context.Context, platform string) (*UpdateOffer, error) {
	var offer UpdateOffer
	status, err := c.do(ctx, http.MethodGet, PathUpdate, url.Values{"platform": {platform}}, nil, true, &offer)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent {
		return nil, nil
	}
	return &offer, nil
}

// ArtifactPath returns the path of a release file.
func ArtifactPath(version, name string) string {
	return strings.NewReplacer("{version}", url.PathEscape(version), "{name}", url.PathEscape(name)).Replace(PathArtifact)
}

// Download implements Updates.
func (c *Client) Download(ctx context.Context, version string, ref ArtifactRef, w io.Writer) error {
	if ref.Size < 0 || ref.Size > MaxArtifactSize {
		return fmt.Errorf("gateway: artifact %s: size %d is out of range", ref.Name, ref.Size)
	}
	u := *c.base
	u.Path += "/gateway/" + Version + "/releases/" + version + "/artifacts/" + ref.Name
	u.RawPath = c.base.EscapedPath() + ArtifactPath(version, ref.Name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	cred := c.Credential()
	if cred == "" {
		return &Error{Code: CodeUnauthorized, Message: "the connector is not linked: no credential"}
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	resp, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &transportError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return decodeError(resp)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(resp.Body, ref.Size+1))
	if err != nil {
		return &transportError{fmt.Errorf("download %s: %w", ref.Name, err)}
	}
	if n != ref.Size {
		return fmt.Errorf("gateway: %s: %w: got %d bytes, the release says %d", ref.Name, ErrChecksum, n, ref.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(ref.SHA256) {
		return fmt.Errorf("gateway: %s: %w: SHA-256 %s, the release says %s", ref.Name, ErrChecksum, got, ref.SHA256)
	}
	return nil
}

// ErrChecksum is wrapped by Download when a file's size or SHA-256 differs
// from the release record.
var ErrChecksum = errors.New("downloaded file does not match the release")

// ReportUpdate implements Updates.
func (c *Client) ReportUpdate(ctx context.Context, r UpdateReport) error {
	body, err := c.encode(r, false)
	if err != nil {
		return err
	}
	return c.retry(ctx, func() error {
		_, err := c.do(ctx, http.MethodPost, PathUpdateReport, nil, body, true, nil)
		return err
	})
}
