package server

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
)

//go:embed templates/*.html static/qb.css
var assets embed.FS

// ui is the web UI: plain server-rendered HTML, one form per action, and
// windows that look like QuickBooks' own.
type ui struct {
	s     *Server
	tmpl  *template.Template
	style []byte
}

func newUI(s *Server) *ui {
	funcs := template.FuncMap{
		"pathEscape": url.PathEscape,
		"base":       filepath.Base,
		"hresult":    qbd.FormatHRESULT,
		"choices":    func() []qbdsim.Choice { return qbdsim.Choices },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format("2006-01-02")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format("2006-01-02 15:04:05")
		},
		"contains": slices.Contains[[]string],
	}
	t := template.Must(template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html"))
	css, _ := assets.ReadFile("static/qb.css")
	return &ui{s: s, tmpl: t, style: css}
}

func (u *ui) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := u.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		u.s.log.Error("qbdsim: rendering a page", "page", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page with a link back.
func (u *ui) fail(w http.ResponseWriter, status int, err error, back string) {
	u.render(w, status, "error.html", map[string]any{"Error": err.Error(), "Back": back})
}

// post checks a form post and parses it; false means it answered already.
func (u *ui) post(w http.ResponseWriter, r *http.Request) bool {
	if !sameOrigin(r) {
		http.Error(w, "cross-site form posts are refused", http.StatusForbidden)
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (u *ui) css(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write(u.style)
}

type indexPage struct {
	State  qbdsim.State
	Files  []string
	Dir    string
	Error  string
	Policy []qbdsim.PolicyMode
}

func (u *ui) index(w http.ResponseWriter, r *http.Request) {
	files, err := u.s.sim.CompanyFiles()
	p := indexPage{State: u.s.sim.State(), Files: files, Dir: u.s.sim.Dir(),
		Policy: []qbdsim.PolicyMode{qbdsim.PolicyAsk, qbdsim.PolicyAlways, qbdsim.PolicyWheneverOpen, qbdsim.PolicyPromptEachTime, qbdsim.PolicyDeny}}
	if err != nil {
		p.Error = err.Error()
	}
	if p.State.Policy.Mode == "" {
		p.State.Policy.Mode = qbdsim.PolicyAsk
	}
	u.render(w, http.StatusOK, "index.html", p)
}

type dialogPage struct {
	D     qbdsim.Dialog
	Error string
	// Form values to show again after an error.
	Choice       string
	LoginAs      string
	PersonalData bool
}

func (u *ui) dialog(w http.ResponseWriter, r *http.Request) {
	d, err := u.s.sim.Dialog(r.PathValue("id"))
	if err != nil {
		u.closedDialog(w, r, err)
		return
	}
	p := dialogPage{D: d, Choice: string(qbdsim.ChoiceNo), LoginAs: qbdsim.AdminUser}
	if d.Answer != nil {
		p.Choice, p.LoginAs, p.PersonalData = string(d.Answer.Choice), d.Answer.LoginAs, d.Answer.PersonalData
	}
	u.render(w, http.StatusOK, "dialog.html", p)
}

// closedDialog shows what became of a dialog that is no longer pending.
func (u *ui) closedDialog(w http.ResponseWriter, r *http.Request, err error) {
	id := r.PathValue("id")
	for _, d := range slices.Backward(u.s.sim.State().Answered) {
		if d.ID == id {
			u.render(w, http.StatusOK, "closed.html", d)
			return
		}
	}
	u.fail(w, http.StatusNotFound, err, "/")
}

func (u *ui) answer(w http.ResponseWriter, r *http.Request) {
	if !u.post(w, r) {
		return
	}
	id := r.PathValue("id")
	a := qbdsim.Answer{Choice: qbdsim.Choice(r.PostFormValue("choice")), LoginAs: r.PostFormValue("loginAs"), PersonalData: r.PostFormValue("personalData") != ""}
	d, err := u.s.sim.AnswerDialog(id, a, false)
	if err != nil {
		cur, gone := u.s.sim.Dialog(id)
		if gone != nil {
			u.closedDialog(w, r, gone)
			return
		}
		u.render(w, http.StatusBadRequest, "dialog.html", dialogPage{D: cur, Error: err.Error(), Choice: string(a.Choice), LoginAs: a.LoginAs, PersonalData: a.PersonalData})
		return
	}
	redirect(w, r, "/dialogs/"+url.PathEscape(d.ID))
}

func (u *ui) done(w http.ResponseWriter, r *http.Request) {
	if !u.post(w, r) {
		return
	}
	if _, err := u.s.sim.ConfirmDialog(r.PathValue("id")); err != nil {
		if errors.Is(err, qbdsim.ErrNoSuchDialog) {
			u.closedDialog(w, r, err)
			return
		}
		u.fail(w, http.StatusBadRequest, err, "/dialogs/"+url.PathEscape(r.PathValue("id")))
		return
	}
	redirect(w, r, "/dialogs/"+url.PathEscape(r.PathValue("id")))
}

type appsPage struct {
	File  string
	Apps  *qbdsim.IntegratedApps
	Open  bool
	Error string
}

func (u *ui) apps(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	ia, err := u.s.sim.Apps(file)
	if err != nil {
		u.fail(w, http.StatusNotFound, err, "/")
		return
	}
	st := u.s.sim.State()
	open := st.CompanyFile != nil && st.CompanyFile.Name == filepath.Base(file)
	u.render(w, http.StatusOK, "apps.html", appsPage{File: file, Apps: ia, Open: open})
}

func (u *ui) appsURL(r *http.Request) string {
	return "/files/" + url.PathEscape(r.PathValue("file")) + "/apps"
}

func (u *ui) companyPrefs(w http.ResponseWriter, r *http.Request) {
	if !u.post(w, r) {
		return
	}
	none, notify := r.PostFormValue("dontAllowAny") != "", r.PostFormValue("notifyExpired") != ""
	if err := u.s.sim.SetCompanyPrefs(r.PathValue("file"), qbdsim.CompanyPrefs{DontAllowAny: &none, NotifyExpired: &notify}); err != nil {
		u.fail(w, http.StatusBadRequest, err, u.appsURL(r))
		return
	}
	redirect(w, r, u.appsURL(r))
}

func (u *ui) toggleAllow(w http.ResponseWriter, r *http.Request) {
	if !u.post(w, r) {
		return
	}
	allow := r.PostFormValue("allow") == "on"
	if _, err := u.s.sim.SetApp(r.PathValue("file"), r.PathValue("key"), qbdsim.AppChange{AllowAccess: &allow}); err != nil {
		u.fail(w, http.StatusBadRequest, err, u.appsURL(r))
		return
	}
	redirect(w, r, u.appsURL(r))
}

func (u *ui) remove(w http.ResponseWriter, r *http.Request) {
	if !u.post(w, r) {
		return
	}
	if err := u.s.sim.RemoveApp(r.PathValue("file"), r.PathValue("key")); err != nil {
		u.fail(w, http.StatusBadRequest, err, u.appsURL(r))
		return
	}
	redirect(w, r, u.appsURL(r))
}

type propertiesPage struct {
	File  string
	App   qbdsim.AppEntry
	Users []string
	Error string
}

func (u *ui) properties(w http.ResponseWriter, r *http.Request) {
	u.showProperties(w, r, http.StatusOK, "")
}

func (u *ui) showProperties(w http.ResponseWriter, r *http.Request, status int, msg string) {
	file, key := r.PathValue("file"), r.PathValue("key")
	ia, err := u.s.sim.Apps(file)
	if err != nil {
		u.fail(w, http.StatusNotFound, err, "/")
		return
	}
	i := slices.IndexFunc(ia.Apps, func(e qbdsim.AppEntry) bool { return e.Key == key })
	if i < 0 {
		u.fail(w, http.StatusNotFound, qbdsim.ErrNoSuchApp, u.appsURL(r))
		return
	}
	users, err := u.s.sim.Users(file)
	if err != nil {
		u.fail(w, http.StatusNotFound, err, "/")
		return
	}
	u.render(w, status, "properties.html", propertiesPage{File: file, App: ia.Apps[i], Users: users, Error: msg})
}

func (u *ui) saveProperties(w http.ResponseWriter, r *http.Request) {
	if !u.post(w, r) {
		return
	}
	allow := r.PostFormValue("allowAccess") != ""
	c := qbdsim.AppChange{AllowAccess: &allow}
	if allow {
		prompt, auto, personal := r.PostFormValue("promptEachTime") != "", r.PostFormValue("autoLogin") != "", r.PostFormValue("personalData") != ""
		loginAs := r.PostFormValue("loginAs")
		c.PromptEachTime, c.AutoLogin, c.PersonalData, c.LoginAs = &prompt, &auto, &personal, &loginAs
	}
	if _, err := u.s.sim.SetApp(r.PathValue("file"), r.PathValue("key"), c); err != nil {
		u.showProperties(w, r, http.StatusBadRequest, err.Error())
		return
	}
	redirect(w, r, u.appsURL(r))
}

func (u *ui) action(w http.ResponseWriter, r *http.Request, fn func() error) {
	if !u.post(w, r) {
		return
	}
	if err := fn(); err != nil {
		u.fail(w, http.StatusBadRequest, err, "/")
		return
	}
	redirect(w, r, "/")
}

func (u *ui) start(w http.ResponseWriter, r *http.Request) { u.action(w, r, u.s.sim.StartQuickBooks) }
func (u *ui) stop(w http.ResponseWriter, r *http.Request)  { u.action(w, r, u.s.sim.StopQuickBooks) }
func (u *ui) closeFile(w http.ResponseWriter, r *http.Request) {
	u.action(w, r, u.s.sim.CloseFile)
}

func (u *ui) dismissModal(w http.ResponseWriter, r *http.Request) {
	u.action(w, r, func() error { u.s.sim.DismissModalDialog(); return nil })
}

func (u *ui) open(w http.ResponseWriter, r *http.Request) {
	u.action(w, r, func() error {
		mode, err := qbd.ParseFileMode(r.PostFormValue("mode"))
		if err != nil {
			return err
		}
		return u.s.sim.OpenFile(r.PostFormValue("file"), mode, r.PostFormValue("user"))
	})
}

func (u *ui) policy(w http.ResponseWriter, r *http.Request) {
	u.action(w, r, func() error {
		p, err := qbdsim.ParsePolicy(r.PostFormValue("mode"))
		if err != nil {
			return err
		}
		p.LoginAs = r.PostFormValue("loginAs")
		p.PersonalData = r.PostFormValue("personalData") != ""
		return u.s.sim.SetPolicy(p)
	})
}
