package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/gateway"
)

// Releases is what the API needs of connector releases (package release
// implements it): the list, signing certificates, self-update offers and
// files, update reports, and rotation campaigns.
type Releases interface {
	// Releases lists a channel's releases ("" for all), newest first.
	Releases(ctx context.Context, channel string) ([]*qbconnect.Release, error)
	// Certificates lists the signing certificates in use.
	Certificates(ctx context.Context) ([]*qbconnect.CertificateStatus, error)
	// Offer returns the release a connector should install on platform,
	// or nil.
	Offer(ctx context.Context, c *qbconnect.Connector, platform string) (*gateway.UpdateOffer, error)
	// Artifact returns a release file with its data; ENotFound when
	// unknown.
	Artifact(ctx context.Context, version, name string) (*qbconnect.Artifact, error)
	// ReportUpdate records a connector's update outcome; EInvalid for a
	// malformed report.
	ReportUpdate(ctx context.Context, c *qbconnect.Connector, r gateway.UpdateReport) error
	qbconnect.CampaignService
}

func (s *Server) registerReleases(rs *routeSet) {
	rs.add("GET", "/v1/releases", AuthAPIKey, s.listReleases)
	rs.add("GET", "/v1/signing-certificates", AuthAPIKey, s.listCertificates)
	rs.add("GET", gateway.PathUpdate, AuthConnector, s.handleUpdateOffer)
	rs.add("POST", gateway.PathUpdateReport, AuthConnector, s.handleUpdateReport)
	rs.add("GET", gateway.PathArtifact, AuthConnector, s.handleArtifact)
}

func (s *Server) releases() (Releases, error) {
	if s.cfg.Releases == nil {
		return nil, &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform serves no connector releases",
			UserMessage: "Connector releases are not available on this platform.", Resolution: "Ask the platform operator."}
	}
	return s.cfg.Releases, nil
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	list, err := rel.Releases(r.Context(), r.URL.Query().Get("channel"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []*qbconnect.Release{}
	}
	writeJSON(w, http.StatusOK, wholeList(list))
	return nil
}

// certificateView is one signing certificate as an organisation sees it.
// Source says who vouches for it: "verified", a certificate that signed a
// release the platform published (its details come from the signature the
// platform checked), or "connector_claim", what a connector reports about
// itself, shown as a claim (thumbprint and claimed signer, nothing the
// platform would vouch for, such as an expiry date).
type certificateView struct {
	Thumbprint string `json:"thumbprint"`
	Source     string `json:"source"`
	// Connectors counts the organisation's connectors running it.
	Connectors    int        `json:"connectors"`
	ClaimedSigner string     `json:"claimedSigner,omitempty"`
	Subject       string     `json:"subject,omitempty"`
	CommonName    string     `json:"commonName,omitempty"`
	Issuer        string     `json:"issuer,omitempty"`
	Serial        string     `json:"serial,omitempty"`
	NotBefore     *time.Time `json:"notBefore,omitempty"`
	NotAfter      *time.Time `json:"notAfter,omitempty"`
	DaysLeft      *int       `json:"daysLeft,omitempty"`
	Releases      []string   `json:"releases,omitempty"`
}

// Certificate sources.
const (
	certVerified = "verified"
	certClaim    = "connector_claim"
)

// listCertificates shows an organisation the certificates its own
// connectors run, never another organisation's, and vouches only for those
// that signed a release the platform published.
func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	if s.cfg.SignerClaims == nil {
		return &qbconnect.Error{Code: qbconnect.EUnavailable, Message: "this platform does not list signing certificates"}
	}
	claims, err := s.cfg.SignerClaims.OrgSignerClaims(r.Context(), orgID(r.Context()))
	if err != nil {
		return err
	}
	all, err := rel.Certificates(r.Context())
	if err != nil {
		return err
	}
	verified := map[string]*qbconnect.CertificateStatus{}
	for _, c := range all {
		if len(c.Releases) > 0 {
			verified[strings.ToLower(c.Thumbprint)] = c
		}
	}
	out := make([]certificateView, 0, len(claims))
	for _, cl := range claims {
		v := certificateView{Thumbprint: cl.Thumbprint, Source: certClaim, Connectors: cl.Connectors, ClaimedSigner: cl.Signer}
		if c := verified[cl.Thumbprint]; c != nil {
			v = certificateView{Thumbprint: cl.Thumbprint, Source: certVerified, Connectors: cl.Connectors,
				Subject: c.Subject, CommonName: c.CommonName, Issuer: c.Issuer, Serial: c.Serial,
				DaysLeft: c.DaysLeft, Releases: c.Releases}
			if !c.NotBefore.IsZero() {
				v.NotBefore = &c.NotBefore
			}
			if !c.NotAfter.IsZero() {
				v.NotAfter = &c.NotAfter
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, wholeList(out))
	return nil
}

// wholeList is a list answered whole, in the page shape of every list:
// always the last page.
func wholeList(data any) map[string]any {
	return map[string]any{"data": data, "hasMore": false, "nextCursor": nil}
}

func (s *Server) handleUpdateOffer(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	platform := r.URL.Query().Get("platform")
	if platform == "" || len(platform) > 32 {
		return invalid("platform is required, such as ?platform=windows/amd64")
	}
	offer, err := rel.Offer(r.Context(), connectorOf(r.Context()), platform)
	if err != nil {
		return err
	}
	if offer == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, offer)
	return nil
}

func (s *Server) handleUpdateReport(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	var rep gateway.UpdateReport
	if err := decodeJSON(w, r, &rep, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	if err := rel.ReportUpdate(r.Context(), connectorOf(r.Context()), rep); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleArtifact(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	a, err := rel.Artifact(r.Context(), r.PathValue("version"), r.PathValue("name"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.Header().Set("X-Checksum-Sha256", a.SHA256)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(a.Data)
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "gateway: artifact download interrupted", "name", a.Name, "err", err)
	}
	return nil
}
