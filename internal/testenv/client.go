package testenv

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/wait"
)

// What a client application does through the REST API beyond creating
// companies and writes: waiting for an operation, listing a company's
// connections, syncing and reading the sync's progress.

// CreateCompanyWith creates a company from a POST /v1/companies body (name,
// externalId, metadata, syncSchedule) and its connector connection, and
// returns both.
func (p *Platform) CreateCompanyWith(body map[string]any) (*qbconnect.Company, *qbconnect.Connection) {
	p.tb.Helper()
	var c qbconnect.Company
	p.Must(http.StatusCreated, "POST", "/v1/companies", body, &c)
	var conn qbconnect.Connection
	p.Must(http.StatusCreated, "POST", "/v1/companies/"+c.ID+"/connections", map[string]string{"kind": string(qbconnect.KindConnector)}, &conn)
	return &c, &conn
}

// NoAutoSync is the syncSchedule of a company that is synced only when
// asked (POST .../sync, Perform Sync): CreateCompanyWith(map[string]any{
// "name": n, "syncSchedule": NoAutoSync}).
var NoAutoSync = map[string]string{"every": "-1s"}

// WaitOperation reads an operation with GET /v1/operations/{id}?wait=,
// which answers as soon as the operation is done, or as it is after wait.
func (p *Platform) WaitOperation(id string, wait time.Duration) *Operation {
	p.tb.Helper()
	var op Operation
	p.Must(http.StatusOK, "GET", "/v1/operations/"+id+"?wait="+url.QueryEscape(wait.String()), nil, &op)
	return &op
}

// Connections lists a company's connections.
func (p *Platform) Connections(companyID string) []qbconnect.Connection {
	p.tb.Helper()
	var page struct {
		Data []qbconnect.Connection `json:"data"`
	}
	p.Must(http.StatusOK, "GET", "/v1/companies/"+companyID+"/connections", nil, &page)
	return page.Data
}

// SyncState is one data type's sync as GET .../sync-status shows it.
type SyncState struct {
	DataType string `json:"dataType"`
	Status   string `json:"status"`
	Trigger  string `json:"trigger"`
	Fetched  int    `json:"fetched"`
}

// SyncRun is one pass as GET .../sync-runs shows it.
type SyncRun struct {
	ID       string `json:"id"`
	DataType string `json:"dataType"`
	Trigger  string `json:"trigger"`
	Status   string `json:"status"`
}

// StartSync starts a sync of every data type with POST .../sync.
func (p *Platform) StartSync(companyID string) {
	p.tb.Helper()
	p.Must(http.StatusAccepted, "POST", "/v1/companies/"+companyID+"/sync", map[string]any{}, nil)
}

// SyncStatus returns the sync of every data type of a company.
func (p *Platform) SyncStatus(companyID string) []SyncState {
	p.tb.Helper()
	var st struct {
		Data []SyncState `json:"data"`
	}
	p.Must(http.StatusOK, "GET", "/v1/companies/"+companyID+"/sync-status", nil, &st)
	return st.Data
}

// SyncRuns returns every pass of a company's history.
func (p *Platform) SyncRuns(companyID string) []SyncRun {
	p.tb.Helper()
	var all []SyncRun
	path := "/v1/companies/" + companyID + "/sync-runs?limit=1000"
	for {
		var page struct {
			Data       []SyncRun `json:"data"`
			NextCursor *string   `json:"nextCursor"`
		}
		p.Must(http.StatusOK, "GET", path, nil, &page)
		all = append(all, page.Data...)
		if page.NextCursor == nil {
			return all
		}
		path = "/v1/companies/" + companyID + "/sync-runs?limit=1000&cursor=" + url.QueryEscape(*page.NextCursor)
	}
}

// WaitSynced waits until every data type of a company has completed its
// last pass, and fails the test when one failed.
func (p *Platform) WaitSynced(companyID string, timeout time.Duration) []SyncState {
	p.tb.Helper()
	var states []SyncState
	wait.For(p.tb, "the sync of every data type", timeout, func() (bool, string) {
		states = p.SyncStatus(companyID)
		done := 0
		for _, s := range states {
			if s.Status == string(qbconnect.SyncFailed) {
				p.tb.Fatalf("the sync of %s failed", s.DataType)
			}
			if s.Status == string(qbconnect.SyncComplete) {
				done++
			}
		}
		return len(states) > 0 && done == len(states), fmt.Sprintf("%d of %d types complete", done, len(states))
	})
	return states
}

// PID returns the process's ID.
func (p *Proc) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Kill kills the running agent (SIGKILL) and waits for it; its output
// stays readable in the returned buffer. It returns nil when no agent runs.
func (c *Connector) Kill() *LockedBuffer {
	if c.Proc == nil {
		return nil
	}
	p := c.Proc
	c.Proc = nil
	p.Kill()
	return p.Output
}

// MainWithBrowser is Main for packages whose tests also use a browser: it
// starts headless Chromium (a Browser whose Skip says why when there is
// none) into *browser before the tests and stops it after.
func MainWithBrowser(m *testing.M, bins **Binaries, browser **Browser) int {
	b, err := StartBrowser()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.Close()
	*browser = b
	return Main(m, bins)
}
