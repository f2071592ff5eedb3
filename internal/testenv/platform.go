package testenv

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
	sdk "github.com/qbconnect/qbconnect/sdk/go/qbconnect"
)

// PlatformOptions configure StartPlatform.
type PlatformOptions struct {
	// DB is the database; "" means a new SQLite file in a temporary folder.
	DB string
	// Org is the client organisation's name; "" means "Lender Inc".
	Org string
	// Args are extra `qbconnect serve` flags.
	Args []string
}

// Platform is a running `qbconnect serve` with one client organisation and
// its API key, and a REST client that uses the key.
type Platform struct {
	tb   testing.TB
	bins *Binaries
	Proc *Proc
	// URL is the base URL of the REST API and the connector gateway.
	URL string
	// DB is the database the server uses.
	DB     string
	OrgID  string
	APIKey string
	args   []string
}

// StartPlatform creates an organisation and an API key with `qbconnect
// admin` and starts `qbconnect serve` on a free loopback port with quick
// sweeps, so that leases and offline connectors are noticed within a test's
// patience.
func StartPlatform(tb testing.TB, bins *Binaries, opt PlatformOptions) *Platform {
	tb.Helper()
	if opt.DB == "" {
		opt.DB = "sqlite:" + filepath.Join(tb.TempDir(), "qbconnect.db")
	}
	if opt.Org == "" {
		opt.Org = "Lender Inc"
	}
	p := &Platform{tb: tb, bins: bins, DB: opt.DB}
	out := Run(tb, bins.QBConnect, "admin", "--db", p.DB, "org", "create", opt.Org)
	p.OrgID, _, _ = strings.Cut(strings.TrimSpace(out), "\t")
	p.APIKey = strings.TrimSpace(Run(tb, bins.QBConnect, "admin", "--db", p.DB, "apikey", "create", "--org", opt.Org, "--name", "e2e"))
	if !strings.HasPrefix(p.OrgID, "org_") || !strings.HasPrefix(p.APIKey, "qbk_") {
		tb.Fatalf("qbconnect admin gave org %q and key %q", p.OrgID, p.APIKey)
	}
	// The tests' webhook receivers listen on loopback.
	p.args = append([]string{"serve", "--db", p.DB, "--sweep-interval", "200ms", "--log-level", "debug", "--allow-private-webhooks"}, opt.Args...)
	p.start("127.0.0.1:0")
	return p
}

func (p *Platform) start(addr string) {
	p.tb.Helper()
	p.Proc, p.URL = Start(p.tb, p.bins.QBConnect, append(p.args, "--addr", addr), URLAfter("qbconnect serving on"))
}

// Restart stops the server, runs down while it is down, and starts it
// again on the same address and database.
func (p *Platform) Restart(down func()) {
	p.tb.Helper()
	p.Proc.Stop()
	down()
	p.start(strings.TrimPrefix(p.URL, "http://"))
}

// CreateCompany creates a company and its connector connection and returns
// both.
func (p *Platform) CreateCompany(name string) (*qbconnect.Company, *qbconnect.Connection) {
	p.tb.Helper()
	return p.CreateCompanyWith(client.CreateCompanyRequest{Name: name})
}

// Client returns a REST client of the platform with the organisation's
// API key.
func (p *Platform) Client() *client.Client { return client.New(p.URL, p.APIKey) }

// check fails the test when a REST call failed.
func (p *Platform) check(what string, err error) {
	p.tb.Helper()
	if err != nil {
		p.tb.Fatalf("%s: %v", what, err)
	}
}

// LinkCode issues a link code for a connection.
func (p *Platform) LinkCode(conn *qbconnect.Connection) string {
	p.tb.Helper()
	lc, err := p.Client().CreateLinkCode(context.Background(), conn.CompanyID, conn.ID)
	p.check("create link code", err)
	if lc.Code == nil || *lc.Code == "" {
		p.tb.Fatal("the link code is empty")
	}
	return *lc.Code
}

// Connection returns a connection as the REST API shows it.
func (p *Platform) Connection(conn *qbconnect.Connection) *qbconnect.Connection {
	p.tb.Helper()
	c, err := p.Client().GetConnection(context.Background(), conn.CompanyID, conn.ID)
	p.check("get connection", err)
	return c
}

// Pause pauses a connection through the REST API, as a client does.
func (p *Platform) Pause(conn *qbconnect.Connection) {
	p.tb.Helper()
	_, err := p.Client().PauseConnection(context.Background(), conn.CompanyID, conn.ID)
	p.check("pause connection", err)
}

// Resume resumes a connection through the REST API.
func (p *Platform) Resume(conn *qbconnect.Connection) {
	p.tb.Helper()
	_, err := p.Client().ResumeConnection(context.Background(), conn.CompanyID, conn.ID)
	p.check("resume connection", err)
}

// Customer returns a synced customer as the REST API shows it
// (getCustomer).
func (p *Platform) Customer(companyID, id string) *sdk.Customer {
	p.tb.Helper()
	resp, err := p.Client().API().GetCustomerWithResponse(context.Background(), companyID, id)
	p.check("get customer", err)
	p.check("get customer", client.Check(resp.HTTPResponse, resp.Body))
	return resp.JSON200
}

// Campaign returns a certificate rotation campaign as the organisation's
// REST API shows it (getRotationCampaign).
func (p *Platform) Campaign(id string) *qbconnect.Campaign {
	p.tb.Helper()
	c, err := p.Client().GetRotationCampaign(context.Background(), id)
	p.check("get rotation campaign", err)
	return c
}

// Operation is an operation as the REST API shows it.
type Operation = client.Operation

// Operation returns an operation.
func (p *Platform) Operation(id string) *Operation {
	p.tb.Helper()
	op, err := p.Client().GetOperation(context.Background(), id, client.GetOperationParams{})
	p.check("get operation", err)
	return op
}

// CreateCustomer queues a client's write of a new customer with an
// idempotency key and returns its operation.
func (p *Platform) CreateCustomer(companyID, name, key string) *Operation {
	p.tb.Helper()
	op, err := p.Client().CreateCustomer(context.Background(), companyID, sdk.CustomerCreate{Name: name}, client.WithIdempotencyKey(key))
	p.check("create customer", err)
	if op.Id == "" {
		p.tb.Fatalf("create customer answered no operation: %+v", op)
	}
	return op
}
