package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	"github.com/qbconnect/qbconnect/internal/wait"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// What a client application does through the REST API beyond creating
// companies and writes: waiting for an operation, listing a company's
// connections, syncing and reading the sync's progress.

// CreateCompanyWith creates a company (name, externalId, metadata,
// syncSchedule) and its connector connection, and returns both.
func (p *Platform) CreateCompanyWith(body client.CreateCompanyRequest) (*qbconnect.Company, *qbconnect.Connection) {
	p.tb.Helper()
	ctx, c := context.Background(), p.Client()
	co, err := c.CreateCompany(ctx, body)
	p.check("create company", err)
	conn, err := c.CreateConnection(ctx, co.ID, qbconnect.KindConnector)
	p.check("create connection", err)
	return co, conn
}

// NoAutoSync returns the syncSchedule of a company that is synced only
// when asked (POST .../sync, Perform Sync):
// CreateCompanyWith(client.CreateCompanyRequest{Name: n, SyncSchedule: NoAutoSync()}).
func NoAutoSync() *sdk.SyncSchedule { return client.Schedule("-1s") }

// WaitOperation reads an operation with GET /v1/operations/{id}?wait=,
// which answers as soon as the operation is done, or as it is after wait.
func (p *Platform) WaitOperation(id string, wait time.Duration) *Operation {
	p.tb.Helper()
	op, err := p.Client().GetOperation(context.Background(), id, client.GetOperationParams{Wait: wait})
	p.check("wait for operation", err)
	return op
}

// Connections lists a company's connections.
func (p *Platform) Connections(companyID string) []qbconnect.Connection {
	p.tb.Helper()
	conns, err := p.Client().ListConnections(context.Background(), companyID)
	p.check("list connections", err)
	return conns
}

// SyncState is one data type's sync as GET .../sync-status shows it.
type SyncState = client.SyncState

// SyncRun is one pass as GET .../sync-runs shows it.
type SyncRun = client.SyncRun

// StartSync starts a sync of every data type with POST .../sync.
func (p *Platform) StartSync(companyID string) {
	p.tb.Helper()
	_, err := p.Client().StartSync(context.Background(), companyID, qbconnect.SyncRequest{})
	p.check("start sync", err)
}

// SyncStatus returns the sync of every data type of a company.
func (p *Platform) SyncStatus(companyID string) []SyncState {
	p.tb.Helper()
	st, err := p.Client().GetSyncStatus(context.Background(), companyID)
	p.check("sync status", err)
	return st
}

// SyncRuns returns every pass of a company's history.
func (p *Platform) SyncRuns(companyID string) []SyncRun {
	p.tb.Helper()
	var all []SyncRun
	params := client.ListParams{Limit: 1000}
	for {
		page, err := p.Client().ListSyncRuns(context.Background(), companyID, params)
		p.check("list sync runs", err)
		all = append(all, page.Data...)
		if page.NextCursor == nil {
			return all
		}
		params.Cursor = *page.NextCursor
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
			if s.Status == sdk.SyncStateStatusFailed {
				p.tb.Fatalf("the sync of %s failed", s.DataType)
			}
			if s.Status == sdk.SyncStateStatusComplete {
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
