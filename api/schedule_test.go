package api_test

import (
	"testing"
)

// TestNewCompanyIsSyncedHourlyByDefault: the README says syncSchedule is
// hourly by default, so a company created (or patched) without an interval
// shows "1h0m0s", the interval it runs on, not "0s".
func TestNewCompanyIsSyncedHourlyByDefault(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	every := func(co map[string]any) any { return co["syncSchedule"].(map[string]any)["every"] }

	var co map[string]any
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Acme Plumbing"}, &co)
	if got := every(co); got != "1h0m0s" {
		t.Errorf("a new company's syncSchedule.every is %v, want 1h0m0s", got)
	}
	path := "/v1/companies/" + co["id"].(string)
	e.mustDo(200, "GET", path, key, nil, &co)
	if got := every(co); got != "1h0m0s" {
		t.Errorf("read back, syncSchedule.every is %v, want 1h0m0s", got)
	}

	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Windowed", "syncSchedule": map[string]any{"window": map[string]any{"from": "22:00", "to": "06:00"}}}, &co)
	if got := every(co); got != "1h0m0s" {
		t.Errorf("a company with only a window: syncSchedule.every is %v, want 1h0m0s", got)
	}

	e.mustDo(200, "PATCH", path, key, map[string]any{"syncSchedule": map[string]any{"every": "6h"}}, &co)
	e.mustDo(200, "PATCH", path, key, map[string]any{"syncSchedule": map[string]any{"every": "0s"}}, &co)
	if got := every(co); got != "1h0m0s" {
		t.Errorf("patched to 0, syncSchedule.every is %v, want the default 1h0m0s", got)
	}
	e.mustDo(200, "PATCH", path, key, map[string]any{"syncSchedule": map[string]any{"every": "-1s"}}, &co)
	if got := every(co); got != "-1s" {
		t.Errorf("patched to -1s (no automatic syncs), syncSchedule.every is %v", got)
	}
}
