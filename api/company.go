package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect"
)

func (s *Server) registerCompanies(rs *routeSet) {
	rs.add("POST", "/v1/companies", AuthAPIKey, s.createCompany)
	rs.add("GET", "/v1/companies", AuthAPIKey, s.listCompanies)
	rs.add("GET", "/v1/companies/{companyId}", AuthAPIKey, s.getCompany)
	rs.add("PATCH", "/v1/companies/{companyId}", AuthAPIKey, s.updateCompany)
	rs.add("DELETE", "/v1/companies/{companyId}", AuthAPIKey, s.deleteCompany)
}

// Limits of company fields.
const (
	maxNameLen       = 200
	maxExternalIDLen = 200
	maxMetadataKeys  = 50
	maxMetadataLen   = 500
	// minSyncEvery is the shortest interval between scheduled syncs: a
	// shorter one (1ns) ran every data type at every tick.
	minSyncEvery = time.Minute
)

// companyRequest is the body of POST /v1/companies.
type companyRequest struct {
	Name         string                  `json:"name"`
	ExternalID   string                  `json:"externalId"`
	Metadata     map[string]string       `json:"metadata"`
	SyncSchedule *qbconnect.SyncSchedule `json:"syncSchedule"`
}

func (req *companyRequest) validate() error {
	req.Name = strings.TrimSpace(req.Name)
	if err := checkNames(map[string]string{"field \"name\"": req.Name, "field \"externalId\"": req.ExternalID}); err != nil {
		return err
	}
	for k, v := range req.Metadata {
		if err := checkNames(map[string]string{"a metadata key": k}); err != nil {
			return err
		}
		if err := checkTexts(map[string]string{"metadata value " + strconv.Quote(k): v}); err != nil {
			return err
		}
	}
	if sch := req.SyncSchedule; sch != nil && sch.Every > 0 && time.Duration(sch.Every) < minSyncEvery {
		return qbconnect.Errorf(qbconnect.EInvalid,
			"syncSchedule.every must be at least %s (0 for the platform's default, negative for no automatic sync), not %s",
			minSyncEvery, time.Duration(sch.Every))
	}
	switch {
	case req.Name == "":
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"name\" is required")
	case utf8.RuneCountInString(req.Name) > maxNameLen:
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"name\" is longer than %d characters", maxNameLen)
	case utf8.RuneCountInString(req.ExternalID) > maxExternalIDLen:
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"externalId\" is longer than %d characters", maxExternalIDLen)
	case len(req.Metadata) > maxMetadataKeys:
		return qbconnect.Errorf(qbconnect.EInvalid, "field \"metadata\" has more than %d keys", maxMetadataKeys)
	}
	for k, v := range req.Metadata {
		if k == "" || len(k) > maxMetadataLen || len(v) > maxMetadataLen {
			return qbconnect.Errorf(qbconnect.EInvalid, "metadata keys must be 1 to %d bytes and values at most %d bytes", maxMetadataLen, maxMetadataLen)
		}
	}
	if sch := req.SyncSchedule; sch != nil && sch.Window != nil {
		for _, d := range sch.Window.Days {
			if d < 0 || d > 6 {
				return qbconnect.Errorf(qbconnect.EInvalid, "syncSchedule.window.days must be 0 (Sunday) to 6")
			}
		}
		for name, v := range map[string]string{"from": sch.Window.From, "to": sch.Window.To} {
			if v != "" && !validClock(v) {
				return qbconnect.Errorf(qbconnect.EInvalid, "syncSchedule.window.%s must be HH:MM, not %q", name, v)
			}
		}
	}
	return nil
}

// validClock reports whether v is a 24-hour "HH:MM".
func validClock(v string) bool {
	h, m, ok := strings.Cut(v, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	return err1 == nil && err2 == nil && hh >= 0 && hh < 24 && mm >= 0 && mm < 60
}

func (s *Server) createCompany(w http.ResponseWriter, r *http.Request) error {
	var req companyRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	c := &qbconnect.Company{
		OrgID:      orgID(r.Context()),
		Name:       req.Name,
		ExternalID: req.ExternalID,
		Metadata:   req.Metadata,
	}
	if req.SyncSchedule != nil {
		c.Schedule = *req.SyncSchedule
	}
	c.Schedule = c.Schedule.WithDefaults()
	if err := s.cfg.Companies.CreateCompany(r.Context(), c); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/companies/"+c.ID)
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// listResponse is a page of a list. Every list answers the same shape:
// hasMore, and nextCursor (null on the last page) to pass as ?cursor=.
type listResponse[T any] struct {
	Data       []T     `json:"data"`
	HasMore    bool    `json:"hasMore"`
	NextCursor *string `json:"nextCursor"`
}

// pageOfList makes the answer of a page whose next cursor is next ("" on
// the last page).
func pageOfList[T any](data []T, next string) listResponse[T] {
	if data == nil {
		data = []T{}
	}
	page := listResponse[T]{Data: data, HasMore: next != ""}
	if next != "" {
		page.NextCursor = &next
	}
	return page
}

// pageParams reads ?limit= (1 to 1000, default 100) and ?cursor=, and
// refuses any other parameter but those named in also.
func pageParams(r *http.Request, also ...string) (limit int, cursor string, err error) {
	q := r.URL.Query()
	for k := range q {
		if k != "limit" && k != "cursor" && !containsString(also, k) {
			return 0, "", qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q (accepted: %s)", k, strings.Join(append([]string{"limit", "cursor"}, also...), ", "))
		}
	}
	limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, "", qbconnect.Errorf(qbconnect.EInvalid, "limit must be a whole number from 1 to 1000, not %q", v)
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

func (s *Server) listCompanies(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r, "externalId")
	if err != nil {
		return err
	}
	cs, next, err := s.cfg.Companies.ListCompanies(r.Context(), qbconnect.CompanyFilter{
		OrgID: orgID(r.Context()), Limit: limit, Cursor: cursor, ExternalID: r.URL.Query().Get("externalId"),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOfList(cs, next))
	return nil
}

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request) error {
	c, err := s.company(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// company returns the {companyId} of the path, in the caller's organisation.
// Another organisation's company is not found, exactly like an unknown one.
func (s *Server) company(r *http.Request) (*qbconnect.Company, error) {
	id := r.PathValue("companyId")
	c, err := s.cfg.Companies.FindCompany(r.Context(), orgID(r.Context()), id)
	if err != nil {
		return nil, notFound(err, "company")
	}
	return c, nil
}

// notFound replaces a not-found error with one whose text names only the
// kind of object, so that the answer for another organisation's ID is
// byte for byte the answer for an unknown one.
func notFound(err error, what string) error {
	if qbconnect.ErrorCodeOf(err) == qbconnect.ENotFound {
		return &qbconnect.Error{Code: qbconnect.ENotFound, Message: what + " not found", Err: err}
	}
	return err
}

// companyPatch is the body of PATCH /v1/companies/{companyId}: fields left
// out keep their value; metadata, when present, replaces the whole map.
type companyPatch struct {
	Name         *string                 `json:"name"`
	ExternalID   *string                 `json:"externalId"`
	Metadata     map[string]string       `json:"metadata"`
	SyncSchedule *qbconnect.SyncSchedule `json:"syncSchedule"`
}

func (s *Server) updateCompany(w http.ResponseWriter, r *http.Request) error {
	var p companyPatch
	if err := decodeJSON(w, r, &p, s.cfg.MaxJSONBody, false); err != nil {
		return err
	}
	// Validate the patch as the company it would make.
	check := companyRequest{Name: "unchanged", Metadata: p.Metadata, SyncSchedule: p.SyncSchedule}
	if p.Name != nil {
		check.Name = *p.Name
	}
	if p.ExternalID != nil {
		check.ExternalID = *p.ExternalID
	}
	if err := check.validate(); err != nil {
		return err
	}
	if p.Name != nil {
		p.Name = &check.Name
	}
	if p.SyncSchedule != nil {
		*p.SyncSchedule = p.SyncSchedule.WithDefaults()
	}
	c, err := s.cfg.Companies.UpdateCompany(r.Context(), orgID(r.Context()), r.PathValue("companyId"), qbconnect.CompanyUpdate{
		Name: p.Name, ExternalID: p.ExternalID, Metadata: p.Metadata, Schedule: p.SyncSchedule,
	})
	if err != nil {
		return notFound(err, "company")
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// deleteCompany removes the company, unlinks its connection and cancels its
// queued work; its synced records are no longer served.
func (s *Server) deleteCompany(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Companies.DeleteCompany(r.Context(), orgID(r.Context()), r.PathValue("companyId")); err != nil {
		return notFound(err, "company")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
