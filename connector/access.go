package connector

// Who may use the local UI.
//
// The data folder (configuration, credential, the local UI's token) is for
// SYSTEM and the Administrators only (perm_windows.go): the agent runs as
// a service and an administrator links it. The tray app and the Start-menu
// shortcut run in each user's own, unelevated session, and a bookkeeper
// who is not an administrator must still see the state of the company
// files and be able to press Perform Sync, Pause and Resume. So the local
// UI has two tokens:
//
//   - the full token (Config.UIToken), in config.json and runtime.json,
//     which only SYSTEM and the Administrators can read: everything,
//     including linking and unlinking company files;
//   - the users' token, derived from the full one (an HMAC, so it cannot
//     be turned back into it, and it stays the same across restarts
//     without a field of its own in config.json, which older versions
//     would refuse), published with the UI's address in UserAccessFile,
//     which every interactively logged-on user of this computer may read
//     (the INTERACTIVE group, IU) and nobody else: it reads the state and
//     the log, and performs sync, pause and resume. Every other change is
//     refused with 403, so a new route is for administrators until it is
//     allowed here on purpose (userMay).
//
// A service, a network logon or a scheduled task of another account gets
// neither: they are not INTERACTIVE.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// UserAccessFile is the file in the data folder that tells the users of
// this computer where the running agent's local UI is and its users'
// token; the agent writes it when its UI listens and removes it when it
// stops.
const UserAccessFile = "ui-user.json"

// Access is how a program reaches the running agent's local UI.
type Access struct {
	// UIURL opens the UI in a browser (it carries the token).
	UIURL string `json:"uiUrl"`
	// Token goes in "Authorization: Bearer" of API calls.
	Token string `json:"token"`
	// Limited says the token is the users' one: linking and unlinking
	// are refused.
	Limited bool `json:"limited"`
}

// UserToken returns the users' token of a full UI token.
func UserToken(full string) string {
	if full == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(full))
	m.Write([]byte("qbconnector local UI: users' token"))
	return hex.EncodeToString(m.Sum(nil)[:24])
}

// uiRole is what a request's token allows.
type uiRole int

const (
	roleNone uiRole = iota
	// roleUser: the users' token (UserAccessFile).
	roleUser
	// roleAdmin: the full token (config.json).
	roleAdmin
)

// userMay reports whether the users' token may make a request: any read
// (GET, HEAD), and sync, pause and resume of a company file, from the page
// or the JSON API. Everything else (link, unlink, and routes added later)
// needs the full token.
func userMay(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	if r.Method != http.MethodPost {
		return false
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 4 && parts[0] == "api" {
		parts = parts[1:]
	}
	if len(parts) != 3 || parts[0] != "files" || parts[1] == "" {
		return false
	}
	switch parts[2] {
	case "sync", "pause", "resume":
		return true
	}
	return false
}

// AdminOnlyMessage is the local UI's answer to the users' token on a
// change reserved for administrators.
const AdminOnlyMessage = "Linking and unlinking company files needs the connector's administrator access: " +
	"run qbconnector from a command prompt opened with \"Run as administrator\" (or open the page from \"qbconnector ui\" there)."

// SaveUserAccess publishes the users' access to the running agent's UI
// (UserAccessFile), readable by every interactive user of this computer
// (shareWithUsers).
func (s *Store) SaveUserAccess(uiBase, fullToken string) error {
	tok := UserToken(fullToken)
	acc := Access{UIURL: uiBase + "/?token=" + url.QueryEscape(tok), Token: tok, Limited: true}
	data, err := json.Marshal(acc)
	if err != nil {
		return err
	}
	return s.writeFileWith(UserAccessFile, data, shareWithUsers)
}

// RemoveUserAccess removes UserAccessFile at shutdown.
func (s *Store) RemoveUserAccess() error {
	err := os.Remove(s.Path(UserAccessFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// LocalAccess returns how this user reaches the running agent's local UI:
// the full access when it may read the data folder (SYSTEM, an elevated
// administrator, the folder's owner elsewhere), else the users' access
// (UserAccessFile). It returns ErrNotRunning when no agent published
// either. It does not check that the agent answers (DialLocal does).
func (s *Store) LocalAccess() (Access, error) {
	rt, ok, rerr := s.LoadRuntime()
	if rerr == nil && ok {
		cfg, err := s.Load()
		if err == nil {
			return Access{UIURL: rt.UIURL, Token: cfg.UIToken}, nil
		}
		rerr = err
	}
	if rerr != nil && !errors.Is(rerr, fs.ErrPermission) {
		return Access{}, rerr
	}
	data, err := os.ReadFile(s.Path(UserAccessFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Access{}, ErrNotRunning
	case err != nil:
		return Access{}, fmt.Errorf("connector: reading the connector's address for this computer's users: %w", err)
	}
	var acc Access
	if err := json.Unmarshal(data, &acc); err != nil {
		return Access{}, fmt.Errorf("connector: %s is damaged: %w", s.Path(UserAccessFile), err)
	}
	acc.Limited = true
	return acc, nil
}
