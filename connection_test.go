package qbconnect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCheckFileDetectsAnotherFile(t *testing.T) {
	linked := FileIdentity{Path: `C:\Books\Bakery.qbw`, CompanyName: "Bob's Bakery", FileID: "fid_1"}
	for name, tc := range map[string]struct {
		open FileIdentity
		same bool
	}{
		"same file":                     {linked, true},
		"renamed, stamp matches":        {FileIdentity{Path: `C:\Books\Bakery 2026.qbw`, CompanyName: "Bob's Bakery", FileID: "fid_1"}, true},
		"copy with another stamp":       {FileIdentity{Path: linked.Path, CompanyName: linked.CompanyName, FileID: "fid_2"}, false},
		"unstamped, path differs":       {FileIdentity{Path: `C:\Other.qbw`, CompanyName: "Bob's Bakery"}, false},
		"unstamped, same path any case": {FileIdentity{Path: `c:\books\bakery.QBW`, CompanyName: "Bob's Bakery"}, true},
		"unstamped, other company":      {FileIdentity{Path: linked.Path, CompanyName: "Sample Rock Castle"}, false},
	} {
		err := linked.CheckFile(tc.open)
		if (err == nil) != tc.same {
			t.Errorf("%s: CheckFile = %v, want same=%v", name, err, tc.same)
			continue
		}
		if err != nil && (err.Code != EConflict || !strings.Contains(err.UserMessage, tc.open.Path) || !strings.Contains(err.UserMessage, linked.Path)) {
			t.Errorf("%s: error %+v should be a conflict naming both files", name, err)
		}
	}
}

func TestErrorCodeAndRetryableThroughWrapping(t *testing.T) {
	busy := &Error{Code: EUnavailable, Message: "QuickBooks is busy", Retryable: true}
	wrapped := fmt.Errorf("lease: %w", busy)
	if got := ErrorCodeOf(wrapped); got != EUnavailable {
		t.Errorf("ErrorCodeOf(wrapped) = %q", got)
	}
	if !IsRetryable(wrapped) || IsRetryable(errors.New("x")) {
		t.Error("IsRetryable does not follow the chain")
	}
	if ErrorCodeOf(errors.New("disk full")) != EInternal || ErrorCodeOf(nil) != "" {
		t.Error("plain errors must be internal and nil must have no code")
	}
}

func TestDurationReadsStringsAndSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{`"15m"`: 15 * time.Minute, `90`: 90 * time.Second, `"1h30m"`: 90 * time.Minute} {
		var d Duration
		if err := json.Unmarshal([]byte(in), &d); err != nil || time.Duration(d) != want {
			t.Errorf("%s: %v, %v; want %v", in, time.Duration(d), err, want)
		}
	}
	var d Duration
	if err := json.Unmarshal([]byte(`"soon"`), &d); err == nil {
		t.Error(`"soon" accepted`)
	}
	b, _ := json.Marshal(Duration(24 * time.Hour))
	if string(b) != `"24h0m0s"` {
		t.Errorf("marshal = %s", b)
	}
}
