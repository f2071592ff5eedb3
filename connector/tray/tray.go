// Package tray is the platform-independent logic of the connector's
// notification-area (tray) app: what its icon, tooltip and menu show for
// the running connector's status, and which notifications to raise when
// that status changes. The Windows glue in cmd/qbconnector only draws
// what this package decides, so the decisions are tested on any OS.
package tray

import (
	"fmt"
	"strings"

	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/qbd"
)

// Level is how the tray icon looks: the worst state of the linked files.
// Levels are ordered from best to worst.
type Level int

const (
	// LevelOK: every file is connected.
	LevelOK Level = iota
	// LevelPaused: syncing is paused, on purpose.
	LevelPaused
	// LevelWaiting: the connector waits for QuickBooks or the platform and
	// keeps trying by itself.
	LevelWaiting
	// LevelAction: someone at this computer must do something.
	LevelAction
	// LevelStopped: the connector is not running, so nothing syncs.
	LevelStopped
)

// String names the level as the tooltip words it.
func (l Level) String() string {
	switch l {
	case LevelOK:
		return "Connected"
	case LevelPaused:
		return "Paused"
	case LevelWaiting:
		return "Waiting"
	case LevelAction:
		return "Action needed"
	}
	return "Not running"
}

// FileLevel is the level of one file, from the condition shown to the
// end user (the same classes as the local UI's cards).
func FileLevel(f connector.FileStatus) Level {
	switch c := f.Shown; {
	case c.Code == qbd.CondOK:
		return LevelOK
	case c.Code == connector.CondPaused:
		return LevelPaused
	case c.NeedsUser:
		return LevelAction
	}
	return LevelWaiting
}

// Menu item IDs, in the order the menu shows them.
const (
	ItemOpen     = "open"
	ItemSync     = "sync"
	ItemPause1h  = "pause-1h"
	ItemPause8h  = "pause-8h"
	ItemPause24h = "pause-24h"
	ItemResume   = "resume"
)

// Item is one menu entry.
type Item struct {
	ID      string
	Title   string
	Enabled bool
}

// View is everything the tray shows for one status.
type View struct {
	Level Level
	// Tooltip fits Windows' 127 characters.
	Tooltip string
	Items   []Item
}

// maxTooltip is NOTIFYICONDATA's szTip length less its terminating NUL.
const maxTooltip = 127

// Build returns the view of a status; st is nil when the connector did
// not answer (not running, or its local UI disabled).
func Build(st *connector.Status) View {
	v := View{Level: LevelStopped}
	running := st != nil
	var anyActive, anyPaused bool
	var worst []string
	if running {
		v.Level = LevelOK
		if !st.Linked || len(st.Files) == 0 {
			v.Level = LevelAction
		}
		for _, f := range st.Files {
			if f.Paused {
				anyPaused = true
			} else {
				anyActive = true
			}
			l := FileLevel(f)
			if l > v.Level {
				v.Level, worst = l, nil
			}
			if l == v.Level && l != LevelOK {
				worst = append(worst, fileName(f))
			}
		}
	}
	v.Tooltip = tooltip(st, v.Level, worst)
	v.Items = []Item{
		{ID: ItemOpen, Title: "Open", Enabled: running},
		{ID: ItemSync, Title: "Perform Sync", Enabled: anyActive},
		{ID: ItemPause1h, Title: "Pause for 1 hour", Enabled: anyActive},
		{ID: ItemPause8h, Title: "Pause for 8 hours", Enabled: anyActive},
		{ID: ItemPause24h, Title: "Pause for 24 hours", Enabled: anyActive},
		{ID: ItemResume, Title: "Resume", Enabled: anyPaused},
	}
	return v
}

func tooltip(st *connector.Status, l Level, names []string) string {
	var s string
	switch {
	case st == nil:
		s = "qbconnector is not running"
	case !st.Linked || len(st.Files) == 0:
		s = "qbconnector: no company file is linked"
	case l == LevelOK && len(st.Files) == 1:
		s = "qbconnector: connected"
	case l == LevelOK:
		s = fmt.Sprintf("qbconnector: %d files connected", len(st.Files))
	default:
		s = "qbconnector: " + l.String() + " - " + strings.Join(names, ", ")
	}
	if r := []rune(s); len(r) > maxTooltip {
		s = string(r[:maxTooltip-1]) + "…"
	}
	return s
}

// fileName names a file as the end user knows it: the platform company,
// else the company file's name, else the connection.
func fileName(f connector.FileStatus) string {
	switch {
	case f.CompanyName != "":
		return f.CompanyName
	case f.File.CompanyName != "":
		return f.File.CompanyName
	}
	return f.ConnectionID
}

// ActionFor returns the local API action and its "for" argument of a
// menu item, and false for Open (which the glue handles by opening the
// browser) or an unknown ID.
func ActionFor(id string) (action, forArg string, ok bool) {
	switch id {
	case ItemSync:
		return "sync", "", true
	case ItemPause1h:
		return "pause", "1h", true
	case ItemPause8h:
		return "pause", "8h", true
	case ItemPause24h:
		return "pause", "24h", true
	case ItemResume:
		return "resume", "", true
	}
	return "", "", false
}

// Notice is one Windows notification.
type Notice struct {
	Title   string
	Message string
}

// Notifier decides which notifications to raise: one when a file comes to
// need action, and again only when what it needs changes. Its zero value
// is ready; it is not safe for concurrent use.
type Notifier struct {
	// told maps a connection to the condition it was notified about.
	told map[string]string
}

// Update returns the notices for a new status. A nil status (the
// connector did not answer) changes nothing, so a restart of the
// connector does not repeat a notice.
func (n *Notifier) Update(st *connector.Status) []Notice {
	if st == nil {
		return nil
	}
	if n.told == nil {
		n.told = map[string]string{}
	}
	var out []Notice
	seen := map[string]bool{}
	for _, f := range st.Files {
		if FileLevel(f) != LevelAction {
			continue
		}
		seen[f.ConnectionID] = true
		if n.told[f.ConnectionID] == f.Shown.Code {
			continue
		}
		n.told[f.ConnectionID] = f.Shown.Code
		msg := f.Shown.Message
		if f.Shown.Resolution != "" {
			msg = strings.TrimSpace(msg + " " + f.Shown.Resolution)
		}
		out = append(out, Notice{Title: fileName(f) + ": action needed", Message: msg})
	}
	for id := range n.told {
		if !seen[id] {
			delete(n.told, id)
		}
	}
	return out
}
