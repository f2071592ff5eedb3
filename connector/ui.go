package connector

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/qbd"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// uiCookie carries the UI token once the browser opened the UI's link.
const uiCookie = "qbconnector_ui"

// checkLoopback accepts only host:port addresses on the loopback
// interface: the UI must not be reachable from the network.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("connector: UI address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("connector: UI address %q is not a loopback address (such as 127.0.0.1:0)", addr)
	}
	return nil
}

func listenLoopback(addr string) (net.Listener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connector: local UI: %w", err)
	}
	return ln, nil
}

var uiFuncs = template.FuncMap{
	"describe":   Describe,
	"plain":      plainMessage,
	"stateLabel": stateLabel,
	"stateClass": stateClass,
	"iso": func(t any) string {
		switch v := t.(type) {
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.UTC().Format(time.RFC3339)
		case time.Time:
			return v.UTC().Format(time.RFC3339)
		}
		return ""
	},
	"when": func(t any) string {
		switch v := t.(type) {
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.Local().Format("Mon 2 Jan 2006 15:04:05")
		case time.Time:
			return v.Local().Format("Mon 2 Jan 2006 15:04:05")
		}
		return ""
	},
}

// stateLabel is a card's short state line.
func stateLabel(c qbd.Condition) string {
	switch c.Code {
	case qbd.CondOK:
		return "Connected"
	case CondChecking:
		return "Checking…"
	case CondPaused:
		return "Paused"
	case CondPlatformUnreachable:
		return "Platform unreachable"
	}
	if c.NeedsUser {
		return "Action needed"
	}
	return "Waiting for QuickBooks"
}

func stateClass(c qbd.Condition) string {
	switch {
	case c.Code == qbd.CondOK:
		return "ok"
	case c.NeedsUser && c.Code != CondPaused:
		return "user"
	default:
		return "wait"
	}
}

type pageData struct {
	Title      string
	View       string
	Status     Status
	Flash      string
	FlashClass string
	File       *FileStatus
	Items      []*Entry
	Lines      []LogLine
	// Limited: the page was opened with the users' token, so it offers
	// no link or unlink (access.go).
	Limited bool
}

// roleKey is the context key of the request's uiRole, set by guard.
type roleKey struct{}

// limited reports whether a request came with the users' token.
func limited(r *http.Request) bool { return r.Context().Value(roleKey{}) == roleUser }

// UIHandler returns the local web UI and its JSON API. Every request must
// carry the installation's token (the cookie set by the link that
// `qbconnector ui` prints, or "Authorization: Bearer TOKEN"), be addressed
// to a loopback host (against DNS rebinding), and, for changes, come from
// the UI's own pages.
func (a *Agent) UIHandler() http.Handler {
	tmpl := template.Must(template.New("ui").Funcs(uiFuncs).ParseFS(templateFS, "templates/*.html"))
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		a.renderPage(w, r, tmpl, pageData{Title: "Company files", View: "cards", Flash: r.URL.Query().Get("msg"), FlashClass: r.URL.Query().Get("class")})
	})
	mux.HandleFunc("GET /fragments", func(w http.ResponseWriter, r *http.Request) {
		d := pageData{Status: a.Status(), Limited: limited(r)}
		var cards, foot bytes.Buffer
		if err := tmpl.ExecuteTemplate(&cards, "cards", d); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := tmpl.ExecuteTemplate(&foot, "footer", d); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeUIJSON(w, http.StatusOK, map[string]string{"cards": cards.String(), "footer": foot.String()})
	})
	mux.HandleFunc("GET /log", func(w http.ResponseWriter, r *http.Request) {
		items, _ := a.jr.Recent(r.Context(), "", 50)
		a.renderPage(w, r, tmpl, pageData{Title: "Log", View: "log", Items: items, Lines: a.logs.Lines("", 200)})
	})
	mux.HandleFunc("GET /files/{id}/log", func(w http.ResponseWriter, r *http.Request) {
		st := a.Status()
		f := st.File(r.PathValue("id"))
		if f == nil {
			http.NotFound(w, r)
			return
		}
		items, _ := a.jr.Recent(r.Context(), f.ConnectionID, 50)
		a.renderPage(w, r, tmpl, pageData{Title: "Log", View: "log", File: f, Items: items, Lines: a.logs.Lines(f.ConnectionID, 200)})
	})
	// Link from the page: the link code (and, optionally, the company
	// file; the one open in QuickBooks otherwise).
	mux.HandleFunc("POST /link", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{}
		lf, err := a.Link(r.Context(), LinkRequest{Code: r.FormValue("code"), File: r.FormValue("file")})
		if err != nil {
			q.Set("msg", pageError(err))
			q.Set("class", "error")
		} else {
			q.Set("msg", fmt.Sprintf("%s is linked to %s.", lf.File.CompanyName, lf.Client()))
		}
		http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
	})
	mux.HandleFunc("POST /files/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		msg, err := a.act(r, r.PathValue("id"), r.PathValue("action"), r.FormValue("for"))
		q := url.Values{"msg": {msg}}
		if err != nil {
			q = url.Values{"msg": {err.Error()}, "class": {"error"}}
		}
		http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
	})

	// The JSON API, for the qbconnector command line and tests.
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		writeUIJSON(w, http.StatusOK, a.Status())
	})
	mux.HandleFunc("GET /api/log", func(w http.ResponseWriter, r *http.Request) {
		writeUIJSON(w, http.StatusOK, a.logs.Lines(r.URL.Query().Get("connection"), 500))
	})
	mux.HandleFunc("POST /api/files/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			For string `json:"for"`
		}
		if r.ContentLength != 0 {
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
				writeUIJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
				return
			}
		}
		msg, err := a.act(r, r.PathValue("id"), r.PathValue("action"), body.For)
		if err != nil {
			writeUIJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeUIJSON(w, http.StatusOK, map[string]string{"message": msg})
	})
	mux.HandleFunc("POST /api/link", func(w http.ResponseWriter, r *http.Request) {
		var req LinkRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeUIJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
			return
		}
		lf, err := a.Link(r.Context(), req)
		if err != nil {
			writeUIJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeUIJSON(w, http.StatusOK, lf)
	})
	return a.guard(mux)
}

// pageError is an error as the page shows it: what happened and what to do
// for a Problem, without the cause's internal text; otherwise the message
// without the package prefix.
func pageError(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return strings.TrimSpace(p.What + " " + p.Do)
	}
	return plainMessage(err.Error())
}

// act performs a card's action: sync, approve (the new version), pause,
// resume or unlink.
func (a *Agent) act(r *http.Request, id, action, forArg string) (string, error) {
	name := id
	if lf := a.linked(id); lf != nil {
		name = lf.File.CompanyName
	}
	switch action {
	case "sync":
		if err := a.PerformSync(r.Context(), id); err != nil {
			return "", err
		}
		return fmt.Sprintf("Sync of %s requested. The connector is checking QuickBooks now.", name), nil
	case "approve":
		if err := a.ApproveNewVersion(r.Context(), id); err != nil {
			return "", err
		}
		return fmt.Sprintf("The new version of the connector is asking QuickBooks for access to %s. Answer QuickBooks' window if it names this company.", name), nil
	case "pause":
		d, err := ParsePauseDuration(forArg)
		if err != nil {
			return "", err
		}
		if err := a.SetPaused(id, true, d); err != nil {
			return "", err
		}
		if d == 0 {
			return fmt.Sprintf("Syncing of %s is paused until you resume it.", name), nil
		}
		return fmt.Sprintf("Syncing of %s is paused for %s.", name, d), nil
	case "resume":
		if err := a.SetPaused(id, false, 0); err != nil {
			return "", err
		}
		return fmt.Sprintf("Syncing of %s resumed.", name), nil
	case "unlink":
		if err := a.Unlink(r.Context(), id); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s is unlinked.", name), nil
	}
	return "", fmt.Errorf("unknown action %q", action)
}

// ParsePauseDuration accepts the pause lengths the UI and the command line
// offer: 1h, 8h, 24h, or "" for until resumed; any other Go duration up to
// a week is accepted too.
func ParsePauseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > 7*24*time.Hour {
		return 0, fmt.Errorf("pause length %q: want 1h, 8h, 24h (at most a week), or nothing for until resumed", s)
	}
	return d, nil
}

// Link links another company file while the agent runs.
func (a *Agent) Link(ctx context.Context, req LinkRequest) (*LinkedFile, error) {
	var out *LinkedFile
	err := a.updateConfig(func(c *Config) error {
		l := &Linker{Config: c, QuickBooks: a.qb, Identity: a.id, Now: a.now,
			Gateway: func(platform, cred string) (gateway.Service, error) {
				if platform == c.PlatformURL && cred == c.Credential {
					return a.gw, nil
				}
				return gatewayclient.New(platform, gatewayclient.Options{Credential: cred})
			}}
		lf, err := l.Link(ctx, req)
		out = lf
		return err
	})
	if err == nil {
		a.log.Info("connector: company file linked", "connection", out.ConnectionID, "file", out.File.Path, "company", out.File.CompanyName)
		a.Probe(out.ConnectionID)
	}
	return out, err
}

func (a *Agent) renderPage(w http.ResponseWriter, r *http.Request, tmpl *template.Template, d pageData) {
	d.Status = a.Status()
	d.Limited = limited(r)
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "page", d); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	buf.WriteTo(w)
}

// guard enforces the token, the loopback Host, and same-origin changes;
// the users' token (access.go) may only read and sync, pause or resume.
func (a *Agent) guard(next http.Handler) http.Handler {
	token := a.config().UIToken
	userToken := UserToken(token)
	role := func(t string) uiRole {
		switch {
		case t == "":
			return roleNone
		case subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1:
			return roleAdmin
		case subtle.ConstantTimeCompare([]byte(t), []byte(userToken)) == 1:
			return roleUser
		}
		return roleNone
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		w.Header().Set("Referrer-Policy", "same-origin")
		w.Header().Set("Cache-Control", "no-store")
		if !loopbackHost(r.Host) {
			http.Error(w, "Forbidden: the connector's UI answers on 127.0.0.1 only.", http.StatusForbidden)
			return
		}
		if t := r.URL.Query().Get("token"); t != "" && r.Method == http.MethodGet {
			if role(t) == roleNone {
				refuse(w)
				return
			}
			// The cookie carries the token the link carried: the users'
			// link opens the users' page.
			http.SetCookie(w, &http.Cookie{Name: uiCookie, Value: t, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			http.Redirect(w, r, r.URL.Path, http.StatusSeeOther) // drop the token from the address bar
			return
		}
		got := roleNone
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			got = role(strings.TrimPrefix(h, "Bearer "))
		} else if c, err := r.Cookie(uiCookie); err == nil {
			got = role(c.Value)
		}
		if got == roleNone {
			refuse(w)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sameOrigin(r) {
			http.Error(w, "Forbidden: changes must come from the connector's own page.", http.StatusForbidden)
			return
		}
		if got == roleUser && !userMay(r) {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeUIJSON(w, http.StatusForbidden, map[string]string{"error": AdminOnlyMessage})
				return
			}
			http.Error(w, "Forbidden: "+AdminOnlyMessage, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roleKey{}, got)))
	})
}

func refuse(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintln(w, "The connector's page needs its access link. Run \"qbconnector ui\" on this computer (as the user that installed the connector) and open the link it prints.")
}

// loopbackHost accepts Host headers naming the loopback interface.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// sameOrigin refuses changes requested by other sites' pages.
func sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	switch site {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "null" {
		// A privacy-minded browser hides the origin; its fetch metadata
		// still says where the request comes from.
		return site == "same-origin"
	}
	if o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

func writeUIJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
