package api

import (
	"net/http"

	"github.com/qbconnect/qbconnect"
)

func (s *Server) registerCampaigns(rs *routeSet) {
	rs.add("GET", "/v1/rotation-campaigns", AuthAPIKey, s.listCampaigns)
	rs.add("GET", "/v1/rotation-campaigns/{campaignId}", AuthAPIKey, s.getCampaign)
}

// listCampaigns answers the campaigns affecting the organisation, with
// counts per state and the connections that need action, each with the
// end-user instructions for its situation.
func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	list, err := rel.ListCampaigns(r.Context(), orgID(r.Context()))
	if err != nil {
		return err
	}
	if list == nil {
		list = []*qbconnect.Campaign{}
	}
	writeJSON(w, http.StatusOK, wholeList(list))
	return nil
}

// getCampaign answers one campaign with every affected connection of the
// organisation.
func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	rel, err := s.releases()
	if err != nil {
		return err
	}
	c, err := rel.FindCampaign(r.Context(), orgID(r.Context()), r.PathValue("campaignId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
