package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/qbconnect/qbconnect"
)

// On-demand syncs, their status per data type, and their history.

func (s *Server) registerSync(rs *routeSet) {
	rs.add("POST", "/v1/companies/{companyId}/sync", AuthAPIKey, s.startSync)
	rs.add("GET", "/v1/companies/{companyId}/sync-status", AuthAPIKey, s.syncStatus)
	rs.add("GET", "/v1/companies/{companyId}/sync-runs", AuthAPIKey, s.syncRuns)
}

// apiError is an Error as the API shows it inside other objects (a failed
// sync, a failed operation): the fields of the one error shape, without
// the request ID.
type apiError struct {
	Code        qbconnect.ErrorCode `json:"code"`
	Message     string              `json:"message"`
	UserMessage string              `json:"userMessage"`
	Resolution  string              `json:"resolution"`
	QBCode      string              `json:"qbCode,omitempty"`
}

func errorView(e *qbconnect.Error) *apiError {
	if e == nil {
		return nil
	}
	v := errorOf(e)
	return &apiError{Code: v.Code, Message: v.Message, UserMessage: v.UserMessage, Resolution: v.Resolution, QBCode: v.QBCode}
}

// syncStateView is one data type's sync as the API shows it.
type syncStateView struct {
	DataType       string                   `json:"dataType"`
	Status         qbconnect.SyncStatus     `json:"status"`
	Mode           qbconnect.SyncMode       `json:"mode,omitempty"`
	FullReason     qbconnect.SyncFullReason `json:"fullReason,omitempty"`
	Trigger        qbconnect.SyncTrigger    `json:"trigger,omitempty"`
	RunID          string                   `json:"runId,omitempty"`
	Pages          int                      `json:"pages"`
	Fetched        int                      `json:"fetched"`
	Deleted        int                      `json:"deleted"`
	Remaining      int                      `json:"remaining"`
	Restarts       int                      `json:"restarts"`
	StartedAt      *time.Time               `json:"startedAt,omitempty"`
	LastCompleteAt *time.Time               `json:"lastCompletedAt,omitempty"`
	LastFullAt     *time.Time               `json:"lastFullSyncAt,omitempty"`
	Error          *apiError                `json:"error,omitempty"`
	UpdatedAt      *time.Time               `json:"updatedAt,omitempty"`
}

func syncStateOf(st *qbconnect.SyncState) syncStateView {
	v := syncStateView{
		DataType: st.DataType, Status: st.Status, Mode: st.Mode, FullReason: st.FullReason, Trigger: st.Trigger, RunID: st.RunID,
		Pages: st.Pages, Fetched: st.Fetched, Deleted: st.Deleted, Remaining: st.Remaining, Restarts: st.Restarts,
		StartedAt: st.StartedAt, LastCompleteAt: st.LastCompleteAt, LastFullAt: st.LastFullAt,
		Error: errorView(st.Error),
	}
	if !st.UpdatedAt.IsZero() {
		u := st.UpdatedAt
		v.UpdatedAt = &u
	}
	return v
}

// syncSummaryView is a company sync's summary: the data of sync.completed.
type syncSummaryView struct {
	ID         string                `json:"id"`
	CompanyID  string                `json:"companyId"`
	Trigger    qbconnect.SyncTrigger `json:"trigger"`
	Status     qbconnect.SyncStatus  `json:"status"`
	StartedAt  time.Time             `json:"startedAt"`
	FinishedAt time.Time             `json:"finishedAt"`
	DataTypes  []syncTypeView        `json:"dataTypes"`
}

// syncTypeView is one data type's pass in a syncSummaryView.
type syncTypeView struct {
	DataType   string                   `json:"dataType"`
	RunID      string                   `json:"runId"`
	Mode       qbconnect.SyncMode       `json:"mode"`
	FullReason qbconnect.SyncFullReason `json:"fullReason,omitempty"`
	Status     qbconnect.SyncStatus     `json:"status"`
	Pages      int                      `json:"pages"`
	Fetched    int                      `json:"fetched"`
	Deleted    int                      `json:"deleted"`
	Error      *apiError                `json:"error,omitempty"`
}

func syncSummaryOf(s *qbconnect.SyncSummary) syncSummaryView {
	v := syncSummaryView{ID: s.ID, CompanyID: s.CompanyID, Trigger: s.Trigger, Status: s.Status, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
		DataTypes: make([]syncTypeView, len(s.DataTypes))}
	for i, t := range s.DataTypes {
		v.DataTypes[i] = syncTypeView{DataType: t.DataType, RunID: t.RunID, Mode: t.Mode, FullReason: t.FullReason, Status: t.Status, Pages: t.Pages,
			Fetched: t.Fetched, Deleted: t.Deleted, Error: errorView(t.Error)}
	}
	return v
}

// syncRunView is one pass in the history.
type syncRunView struct {
	ID         string                   `json:"id"`
	SyncID     string                   `json:"syncId,omitempty"`
	DataType   string                   `json:"dataType"`
	Mode       qbconnect.SyncMode       `json:"mode"`
	FullReason qbconnect.SyncFullReason `json:"fullReason,omitempty"`
	Trigger    qbconnect.SyncTrigger    `json:"trigger"`
	Status     qbconnect.SyncStatus     `json:"status"`
	Pages      int                      `json:"pages"`
	Fetched    int                      `json:"fetched"`
	Deleted    int                      `json:"deleted"`
	Restarts   int                      `json:"restarts"`
	StartedAt  time.Time                `json:"startedAt"`
	FinishedAt *time.Time               `json:"finishedAt,omitempty"`
	DurationMS int64                    `json:"durationMs"`
	Error      *apiError                `json:"error,omitempty"`
}

// syncStatusResponse lists the sync of every data type of a company.
type syncStatusResponse struct {
	CompanyID string          `json:"companyId"`
	Data      []syncStateView `json:"data"`
}

func (s *Server) startSync(w http.ResponseWriter, r *http.Request) error {
	var req qbconnect.SyncRequest
	if err := decodeJSON(w, r, &req, s.cfg.MaxJSONBody, true); err != nil {
		return err
	}
	if len(req.DataTypes) > 200 {
		return qbconnect.Errorf(qbconnect.EInvalid, "dataTypes lists %d types; there are far fewer", len(req.DataTypes))
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	eng, err := s.syncEngine()
	if err != nil {
		return err
	}
	states, err := eng.SyncNow(r.Context(), c.OrgID, c.ID, req)
	if err != nil {
		return notFound(err, "company")
	}
	out := syncStatusResponse{CompanyID: c.ID, Data: make([]syncStateView, len(states))}
	for i, st := range states {
		out.Data[i] = syncStateOf(st)
	}
	w.Header().Set("Location", "/v1/companies/"+c.ID+"/sync-status")
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

func (s *Server) syncStatus(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this endpoint takes no query parameters")
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	eng, err := s.syncEngine()
	if err != nil {
		return err
	}
	states, err := eng.SyncStates(r.Context(), c.OrgID, c.ID)
	if err != nil {
		return notFound(err, "company")
	}
	out := syncStatusResponse{CompanyID: c.ID, Data: make([]syncStateView, len(states))}
	for i, st := range states {
		out.Data[i] = syncStateOf(st)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) syncRuns(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "limit", "cursor", "dataType":
		default:
			return qbconnect.Errorf(qbconnect.EInvalid, "unknown query parameter %q (accepted: cursor, dataType, limit)", k)
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return qbconnect.Errorf(qbconnect.EInvalid, "limit must be a whole number from 1 to 1000, not %q", v)
		}
		limit = n
	}
	c, err := s.company(r)
	if err != nil {
		return err
	}
	eng, err := s.syncEngine()
	if err != nil {
		return err
	}
	runs, next, err := eng.SyncRuns(r.Context(), qbconnect.SyncRunFilter{
		OrgID: c.OrgID, CompanyID: c.ID, DataType: q.Get("dataType"), Limit: limit, Cursor: q.Get("cursor"),
	})
	if err != nil {
		return err
	}
	page := struct {
		Data       []syncRunView `json:"data"`
		HasMore    bool          `json:"hasMore"`
		NextCursor *string       `json:"nextCursor"`
	}{Data: make([]syncRunView, len(runs)), HasMore: next != ""}
	for i, run := range runs {
		page.Data[i] = syncRunView{
			ID: run.ID, SyncID: run.SyncID, DataType: run.DataType, Mode: run.Mode, FullReason: run.FullReason, Trigger: run.Trigger, Status: run.Status,
			Pages: run.Pages, Fetched: run.Fetched, Deleted: run.Deleted, Restarts: run.Restarts,
			StartedAt: run.StartedAt, FinishedAt: run.FinishedAt, DurationMS: time.Duration(run.Duration).Milliseconds(),
			Error: errorView(run.Error),
		}
	}
	if next != "" {
		page.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
