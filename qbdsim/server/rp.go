package server

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbd/simclient"
)

// The request-processor API (see package simclient for its description).

func (s *Server) rpOpen(w http.ResponseWriter, r *http.Request) {
	var app qbd.App
	if err := readJSON(r, &app); err != nil {
		writeError(w, err)
		return
	}
	id, err := s.sim.Connect(r.Context(), app)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, simclient.ConnectionResponse{Connection: id})
}

func (s *Server) rpAuthPrefs(w http.ResponseWriter, r *http.Request) {
	var p qbd.AuthPreferences
	if err := readJSON(r, &p); err != nil {
		writeError(w, err)
		return
	}
	if err := s.sim.SetAuthPreferences(r.PathValue("conn"), p); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rpBegin(w http.ResponseWriter, r *http.Request) {
	var in simclient.BeginSessionRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	mode, err := qbd.ParseFileMode(in.Mode)
	if err != nil {
		writeError(w, err)
		return
	}
	ctx := r.Context()
	if h := r.Header.Get(simclient.WaitHeader); h != "" {
		d, err := time.ParseDuration(h)
		if err != nil || d < 0 {
			writeError(w, errBadWait)
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	ticket, err := s.sim.BeginSession(ctx, r.PathValue("conn"), in.Path, mode)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, simclient.BeginSessionResponse{Ticket: ticket})
}

type constError string

func (e constError) Error() string { return string(e) }

const errBadWait = constError("bad " + simclient.WaitHeader + " header: want a duration such as 1.5s")

func (s *Server) rpSession(w http.ResponseWriter, r *http.Request) {
	conn, ticket := r.PathValue("conn"), r.PathValue("ticket")
	path, err := s.sim.CurrentCompanyFileName(conn, ticket)
	if err != nil {
		writeError(w, err)
		return
	}
	versions, err := s.sim.QBXMLVersionsForSession(conn, ticket)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, simclient.SessionResponse{CompanyFile: path, QBXMLVersions: versions})
}

func (s *Server) rpProcess(w http.ResponseWriter, r *http.Request) {
	req, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeError(w, err)
		return
	}
	resp, err := s.sim.ProcessRequest(r.Context(), r.PathValue("conn"), r.PathValue("ticket"), req)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(resp)
}

func (s *Server) rpEnd(w http.ResponseWriter, r *http.Request) {
	if err := s.sim.EndSession(r.Context(), r.PathValue("conn"), r.PathValue("ticket")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) rpClose(w http.ResponseWriter, r *http.Request) {
	if err := s.sim.Disconnect(r.Context(), r.PathValue("conn")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
