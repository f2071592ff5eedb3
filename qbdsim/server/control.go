package server

import (
	"net/http"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
)

// OpenRequest opens a company file in QuickBooks' UI. Mode is "single"
// (default) or "multi"; User defaults to Admin.
type OpenRequest struct {
	File string `json:"file"`
	Mode string `json:"mode,omitempty"`
	User string `json:"user,omitempty"`
}

// AnswerRequest answers a dialog; with Done it also presses Done on the
// Access Confirmation window.
type AnswerRequest struct {
	qbdsim.Answer
	Done bool `json:"done,omitempty"`
}

// ModalRequest shows a modal dialog in QuickBooks.
type ModalRequest struct {
	Title string `json:"title"`
}

// LatencyRequest sets the latency model (Go durations, "" for zero).
type LatencyRequest struct {
	PerRequest string `json:"perRequest,omitempty"`
	PerRecord  string `json:"perRecord,omitempty"`
}

// SwitchRequest turns a condition on or off.
type SwitchRequest struct {
	On bool `json:"on"`
}

// ExecRequest runs one qbXML request as an already authorised application.
type ExecRequest struct {
	File    string `json:"file"`
	Request string `json:"request"`
}

// FilesResponse lists the company files.
type FilesResponse struct {
	Dir   string   `json:"dir"`
	Files []string `json:"files"`
}

func (s *Server) apiState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.sim.State())
}

// done answers a control call with the state after it, or its error.
func (s *Server) done(w http.ResponseWriter, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.sim.State())
}

func (s *Server) apiStart(w http.ResponseWriter, r *http.Request) { s.done(w, s.sim.StartQuickBooks()) }
func (s *Server) apiStop(w http.ResponseWriter, r *http.Request)  { s.done(w, s.sim.StopQuickBooks()) }
func (s *Server) apiCloseFile(w http.ResponseWriter, r *http.Request) {
	s.done(w, s.sim.CloseFile())
}

func (s *Server) apiOpen(w http.ResponseWriter, r *http.Request) {
	var in OpenRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	mode, err := qbd.ParseFileMode(in.Mode)
	if err != nil {
		writeError(w, err)
		return
	}
	s.done(w, s.sim.OpenFile(in.File, mode, in.User))
}

func (s *Server) apiFiles(w http.ResponseWriter, r *http.Request) {
	files, err := s.sim.CompanyFiles()
	if err != nil {
		writeError(w, err)
		return
	}
	if files == nil {
		files = []string{}
	}
	writeJSON(w, http.StatusOK, FilesResponse{Dir: s.sim.Dir(), Files: files})
}

func (s *Server) apiApps(w http.ResponseWriter, r *http.Request) {
	ia, err := s.sim.Apps(r.PathValue("file"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ia)
}

func (s *Server) apiCompanyPrefs(w http.ResponseWriter, r *http.Request) {
	var in qbdsim.CompanyPrefs
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	file := r.PathValue("file")
	if err := s.sim.SetCompanyPrefs(file, in); err != nil {
		writeError(w, err)
		return
	}
	s.apiApps(w, r)
}

func (s *Server) apiSetApp(w http.ResponseWriter, r *http.Request) {
	var in qbdsim.AppChange
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	e, err := s.sim.SetApp(r.PathValue("file"), r.PathValue("key"), in)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) apiRemoveApp(w http.ResponseWriter, r *http.Request) {
	if err := s.sim.RemoveApp(r.PathValue("file"), r.PathValue("key")); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiDialogs(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.sim.Dialogs())
}

func (s *Server) apiDialog(w http.ResponseWriter, r *http.Request) {
	d, err := s.sim.Dialog(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiAnswer(w http.ResponseWriter, r *http.Request) {
	var in AnswerRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	d, err := s.sim.AnswerDialog(r.PathValue("id"), in.Answer, in.Done)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiDone(w http.ResponseWriter, r *http.Request) {
	d, err := s.sim.ConfirmDialog(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiModal(w http.ResponseWriter, r *http.Request) {
	var in ModalRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	s.done(w, s.sim.ShowModalDialog(in.Title))
}

func (s *Server) apiDismissModal(w http.ResponseWriter, r *http.Request) {
	s.sim.DismissModalDialog()
	s.done(w, nil)
}

func (s *Server) apiFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.sim.State().Faults)
}

func (s *Server) apiInjectFault(w http.ResponseWriter, r *http.Request) {
	var in qbdsim.Fault
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	f, err := s.sim.InjectFault(in)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiClearFaults(w http.ResponseWriter, r *http.Request) {
	s.sim.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiRemoveFault(w http.ResponseWriter, r *http.Request) {
	if !s.sim.RemoveFault(r.PathValue("id")) {
		writeError(w, errNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiPolicy(w http.ResponseWriter, r *http.Request) {
	var in qbdsim.Policy
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	s.done(w, s.sim.SetPolicy(in))
}

func (s *Server) apiLatency(w http.ResponseWriter, r *http.Request) {
	var in LatencyRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	var l companyfile.Latency
	for _, f := range []struct {
		s string
		d *time.Duration
	}{{in.PerRequest, &l.PerRequest}, {in.PerRecord, &l.PerRecord}} {
		if f.s == "" {
			continue
		}
		d, err := time.ParseDuration(f.s)
		if err != nil {
			writeError(w, err)
			return
		}
		*f.d = d
	}
	s.done(w, s.sim.SetLatency(l))
}

// ClockRequest sets the simulator's clock: Time (RFC 3339), or Reset to go
// back to the real time.
type ClockRequest struct {
	Time  time.Time `json:"time"`
	Reset bool      `json:"reset,omitempty"`
}

func (s *Server) apiClock(w http.ResponseWriter, r *http.Request) {
	var in ClockRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	if in.Time.IsZero() != in.Reset {
		writeError(w, errBadClock)
		return
	}
	s.sim.SetClock(in.Time)
	s.done(w, nil)
}

func (s *Server) apiInitializing(w http.ResponseWriter, r *http.Request) {
	var in SwitchRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	s.sim.SetInitializing(in.On)
	s.done(w, nil)
}

func (s *Server) apiCannotStart(w http.ResponseWriter, r *http.Request) {
	var in SwitchRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	s.sim.SetCannotStart(in.On)
	s.done(w, nil)
}

func (s *Server) apiExec(w http.ResponseWriter, r *http.Request) {
	var in ExecRequest
	if err := readJSON(r, &in); err != nil {
		writeError(w, err)
		return
	}
	resp, err := s.sim.Exec(r.Context(), in.File, []byte(in.Request))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(resp)
}

const errBadClock = constError("give either a time (RFC 3339) or reset: true")
