package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/client"
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

// Do sends a REST request with the API key and decodes a JSON answer into
// out (when not nil). It returns the HTTP status and the raw body.
func (p *Platform) Do(method, path string, body, out any, header ...string) (int, []byte) {
	p.tb.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			p.tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, p.URL+path, rd)
	if err != nil {
		p.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		p.tb.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && resp.StatusCode < 300 && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			p.tb.Fatalf("%s %s: %v\n%s", method, path, err, data)
		}
	}
	return resp.StatusCode, data
}

// Must sends a REST request like Do and fails the test unless the answer
// has status want.
func (p *Platform) Must(want int, method, path string, body, out any, header ...string) []byte {
	p.tb.Helper()
	code, data := p.Do(method, path, body, out, header...)
	if code != want {
		p.tb.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, data)
	}
	return data
}

// CreateCompany creates a company and its connector connection and returns
// both.
func (p *Platform) CreateCompany(name string) (*qbconnect.Company, *qbconnect.Connection) {
	p.tb.Helper()
	return p.CreateCompanyWith(map[string]any{"name": name})
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
	if lc.Code == "" {
		p.tb.Fatal("the link code is empty")
	}
	return lc.Code
}

// Connection returns a connection as the REST API shows it.
func (p *Platform) Connection(conn *qbconnect.Connection) *qbconnect.Connection {
	p.tb.Helper()
	c, err := p.Client().GetConnection(context.Background(), conn.CompanyID, conn.ID)
	p.check("get connection", err)
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
	op, err := p.Client().CreateRecord(context.Background(), companyID, "customers", map[string]any{"name": name}, client.WithIdempotencyKey(key))
	p.check("create customer", err)
	if op.ID == "" {
		p.tb.Fatalf("create customer answered no operation: %+v", op)
	}
	return op
}
