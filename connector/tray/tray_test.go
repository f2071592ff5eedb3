package tray

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qbconnect/qbconnect/connector"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/qbd"
)

func file(id, company string, shown qbd.Condition, paused bool) connector.FileStatus {
	return connector.FileStatus{ConnectionID: id, CompanyName: company, Shown: shown, Paused: paused}
}

var (
	ok          = qbd.Condition{Code: qbd.CondOK}
	paused      = connector.OwnCondition(connector.CondPaused)
	unreachable = connector.OwnCondition(connector.CondPlatformUnreachable)
	revoked     = connector.OwnCondition(connector.CondConnectorRevoked)
	waitingQB   = qbd.Condition{Code: "qb_busy", Message: "QuickBooks is busy.", Retryable: true}
	needsUser   = qbd.Condition{Code: "auth_pending", Message: "QuickBooks is asking whether to let the connector in.", Resolution: "Choose Yes, always.", NeedsUser: true}
	needsUser2  = qbd.Condition{Code: "wrong_file_open", Message: "Another company file is open.", NeedsUser: true}
)

func status(files ...connector.FileStatus) *connector.Status {
	return &connector.Status{Linked: len(files) > 0, Files: files}
}

// TestTrayIconFollowsTheWorstFile: the icon and tooltip show the worst
// state among the linked files, and name the files in it.
func TestTrayIconFollowsTheWorstFile(t *testing.T) {
	tests := []struct {
		name    string
		st      *connector.Status
		level   Level
		tooltip string
	}{
		{"connector not running", nil, LevelStopped, "qbconnector is not running"},
		{"nothing linked", status(), LevelAction, "qbconnector: no company file is linked"},
		{"one file connected", status(file("c1", "Acme", ok, false)), LevelOK, "qbconnector: connected"},
		{"two files connected", status(file("c1", "Acme", ok, false), file("c2", "Beta", ok, false)), LevelOK, "qbconnector: 2 files connected"},
		{"paused beats connected", status(file("c1", "Acme", ok, false), file("c2", "Beta", paused, true)), LevelPaused, "qbconnector: Paused - Beta"},
		{"waiting for QuickBooks beats paused", status(file("c1", "Acme", waitingQB, false), file("c2", "Beta", paused, true)), LevelWaiting, "qbconnector: Waiting - Acme"},
		{"platform unreachable is waiting", status(file("c1", "Acme", unreachable, false)), LevelWaiting, "qbconnector: Waiting - Acme"},
		{"action needed beats waiting, every such file named", status(file("c1", "Acme", needsUser, false), file("c2", "Beta", waitingQB, false), file("c3", "Gamma", revoked, false)), LevelAction, "qbconnector: Action needed - Acme, Gamma"},
		{"a file without a platform name shows its QuickBooks name", status(connector.FileStatus{ConnectionID: "c1", Shown: needsUser, File: fileIdentity("Acme Ltd")}), LevelAction, "qbconnector: Action needed - Acme Ltd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Build(tt.st)
			if diff := cmp.Diff([]any{tt.level, tt.tooltip}, []any{v.Level, v.Tooltip}); diff != "" {
				t.Errorf("level, tooltip (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrayTooltipFitsWindows: many long names are cut to the 127
// characters a notification-area tooltip holds.
func TestTrayTooltipFitsWindows(t *testing.T) {
	var files []connector.FileStatus
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		files = append(files, file(n, strings.Repeat(n, 40), needsUser, false))
	}
	got := Build(status(files...)).Tooltip
	if n := len([]rune(got)); n != maxTooltip || !strings.HasSuffix(got, "…") {
		t.Errorf("tooltip %q: %d characters, want %d ending with an ellipsis", got, n, maxTooltip)
	}
}

// TestTrayMenuOffersWhatApplies: Open needs a running connector; Perform
// Sync and Pause need a file that is not paused; Resume a paused one.
func TestTrayMenuOffersWhatApplies(t *testing.T) {
	tests := []struct {
		name                     string
		st                       *connector.Status
		open, sync, pause, resum bool
	}{
		{"not running: nothing but the menu", nil, false, false, false, false},
		{"nothing linked: open to link", status(), true, false, false, false},
		{"all syncing", status(file("c1", "Acme", ok, false)), true, true, true, false},
		{"all paused", status(file("c1", "Acme", paused, true)), true, false, false, true},
		{"one of each", status(file("c1", "Acme", ok, false), file("c2", "Beta", paused, true)), true, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := []Item{
				{ItemOpen, "Open", tt.open},
				{ItemSync, "Perform Sync", tt.sync},
				{ItemPause1h, "Pause for 1 hour", tt.pause},
				{ItemPause8h, "Pause for 8 hours", tt.pause},
				{ItemPause24h, "Pause for 24 hours", tt.pause},
				{ItemResume, "Resume", tt.resum},
			}
			if diff := cmp.Diff(want, Build(tt.st).Items); diff != "" {
				t.Errorf("menu (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrayMenuItemsCallTheLocalAPI: each menu item but Open is an action
// of the local API that the command line also uses, with a pause length
// the API accepts.
func TestTrayMenuItemsCallTheLocalAPI(t *testing.T) {
	type act struct {
		Action, For string
		OK          bool
	}
	got := map[string]act{}
	for _, it := range Build(status(file("c1", "Acme", ok, false))).Items {
		a, f, ok := ActionFor(it.ID)
		got[it.ID] = act{a, f, ok}
		if ok && a == "pause" {
			if _, err := connector.ParsePauseDuration(f); err != nil {
				t.Errorf("%s: pause for %q: %v", it.ID, f, err)
			}
		}
	}
	want := map[string]act{
		ItemOpen:     {},
		ItemSync:     {"sync", "", true},
		ItemPause1h:  {"pause", "1h", true},
		ItemPause8h:  {"pause", "8h", true},
		ItemPause24h: {"pause", "24h", true},
		ItemResume:   {"resume", "", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

// TestTrayNotifiesOncePerChange: a notification when a file comes to need
// action, none while it stays so, another when what it needs changes or
// when it needs action again after recovering; the connector not
// answering for a while repeats nothing.
func TestTrayNotifiesOncePerChange(t *testing.T) {
	steps := []struct {
		name string
		st   *connector.Status
		want []Notice
	}{
		{"all connected", status(file("c1", "Acme", ok, false), file("c2", "Beta", ok, false)), nil},
		{"Acme needs action", status(file("c1", "Acme", needsUser, false), file("c2", "Beta", ok, false)),
			[]Notice{{"Acme: action needed", "QuickBooks is asking whether to let the connector in. Choose Yes, always."}}},
		{"still the same", status(file("c1", "Acme", needsUser, false), file("c2", "Beta", ok, false)), nil},
		{"connector restarting", nil, nil},
		{"same again after the restart", status(file("c1", "Acme", needsUser, false), file("c2", "Beta", waitingQB, false)), nil},
		{"what Acme needs changes, Beta needs action too", status(file("c1", "Acme", needsUser2, false), file("c2", "Beta", revoked, false)),
			[]Notice{{"Acme: action needed", "Another company file is open."}, {"Beta: action needed", revoked.Message + " " + revoked.Resolution}}},
		{"paused is no action", status(file("c1", "Acme", paused, true), file("c2", "Beta", revoked, false)), nil},
		{"Acme needs the same action again after a pause", status(file("c1", "Acme", needsUser2, false), file("c2", "Beta", revoked, false)),
			[]Notice{{"Acme: action needed", "Another company file is open."}}},
	}
	var n Notifier
	for _, s := range steps {
		if diff := cmp.Diff(s.want, n.Update(s.st)); diff != "" {
			t.Errorf("%s: notices (-want +got):\n%s", s.name, diff)
		}
	}
}

// TestTrayIconIsAnIcoPerLevel: each level's icon is a .ico holding a
// PNG of its own colour, which Windows' notification area reads.
func TestTrayIconIsAnIcoPerLevel(t *testing.T) {
	seen := map[[4]uint8]Level{}
	for l := LevelOK; l <= LevelStopped; l++ {
		ico := Icon(l)
		var hdr [3]uint16
		if err := binary.Read(bytes.NewReader(ico), binary.LittleEndian, &hdr); err != nil || hdr != [3]uint16{0, 1, 1} {
			t.Fatalf("%v: header %v, %v; want an icon file with one image", l, hdr, err)
		}
		size := binary.LittleEndian.Uint32(ico[14:])
		off := binary.LittleEndian.Uint32(ico[18:])
		if int(off+size) != len(ico) {
			t.Fatalf("%v: image at %d+%d in %d bytes", l, off, size, len(ico))
		}
		img, err := png.Decode(bytes.NewReader(ico[off:]))
		if err != nil {
			t.Fatalf("%v: %v", l, err)
		}
		r, g, b, a := img.At(iconSize/2, iconSize/2).RGBA()
		c := [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
		if other, dup := seen[c]; dup {
			t.Errorf("%v has the colour of %v", l, other)
		}
		seen[c] = l
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("%v: the corner is not transparent", l)
		}
	}
}

func fileIdentity(name string) gateway.FileIdentity { return gateway.FileIdentity{CompanyName: name} }
