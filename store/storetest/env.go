// Package storetest is the store's conformance suite and its test helpers.
// Run executes every scenario against a database named by a DSN factory;
// store's own tests call it for SQLite always and for PostgreSQL when
// QBCONNECT_TEST_POSTGRES is set. Other packages' tests may use Env to get a
// real store with a controllable clock.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/store"
)

// DSNFunc returns the DSN of a fresh, empty database for one test and
// removes that database in tb.Cleanup.
type DSNFunc func(tb testing.TB) string

// SQLiteDSN is a DSNFunc: a new SQLite file in the test's temp directory.
func SQLiteDSN(tb testing.TB) string {
	tb.Helper()
	return "sqlite:" + filepath.Join(tb.TempDir(), "qbconnect.db")
}

// PostgresDSN returns a DSNFunc that creates a uniquely named schema in the
// database at baseURL for each test and drops it afterwards.
func PostgresDSN(baseURL string) DSNFunc {
	return func(tb testing.TB) string {
		tb.Helper()
		admin, err := sql.Open("pgx", baseURL)
		if err != nil {
			tb.Fatalf("open %s: %v", baseURL, err)
		}
		tb.Cleanup(func() { admin.Close() })
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			tb.Fatal(err)
		}
		schema := "t_" + hex.EncodeToString(b[:])
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			tb.Fatalf("create schema: %v", err)
		}
		tb.Cleanup(func() {
			if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
				tb.Errorf("drop schema %s: %v", schema, err)
			}
		})
		sep := "?"
		if strings.Contains(baseURL, "?") {
			sep = "&"
		}
		return baseURL + sep + "search_path=" + schema
	}
}

// Clock is a manual clock for tests; NewClock starts it at a fixed time,
// and it moves only when told to.
type Clock = clocktest.Clock

// NewClock returns a clock set to 2026-03-02 09:00 UTC.
func NewClock() *Clock {
	return clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
}

// Env is an open store with its services and a manual clock.
type Env struct {
	DSN         string
	DB          *store.DB
	Clock       *Clock
	Orgs        *store.OrgStore
	Companies   *store.CompanyStore
	Connections *store.ConnectionStore
	Queue       *store.QueueStore
	Records     *store.RecordStore
}

// NewEnv opens a store on dsn with a manual clock (opts.Now is replaced) and
// closes it in tb.Cleanup.
func NewEnv(tb testing.TB, dsn string, opts store.Options) *Env {
	tb.Helper()
	clock := NewClock()
	opts.Now = clock.Now
	return OpenEnv(tb, dsn, opts, clock)
}

// OpenEnv opens another handle on dsn, sharing clock (which may be nil to
// keep opts.Now).
func OpenEnv(tb testing.TB, dsn string, opts store.Options, clock *Clock) *Env {
	tb.Helper()
	if clock != nil {
		opts.Now = clock.Now
	}
	db, err := store.Open(context.Background(), dsn, opts)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return &Env{
		DSN: dsn, DB: db, Clock: clock,
		Orgs:        store.NewOrgStore(db),
		Companies:   store.NewCompanyStore(db),
		Connections: store.NewConnectionStore(db),
		Queue:       store.NewQueueStore(db),
		Records:     store.NewRecordStore(db),
	}
}

// Org creates an organisation.
func (e *Env) Org(tb testing.TB, name string) *qbconnect.Org {
	tb.Helper()
	o, err := e.Orgs.CreateOrg(context.Background(), name)
	if err != nil {
		tb.Fatalf("create org: %v", err)
	}
	return o
}

// Company creates a company of an organisation.
func (e *Env) Company(tb testing.TB, orgID, name string) *qbconnect.Company {
	tb.Helper()
	c := &qbconnect.Company{OrgID: orgID, Name: name}
	if err := e.Companies.CreateCompany(context.Background(), c); err != nil {
		tb.Fatalf("create company: %v", err)
	}
	return c
}

// Linked creates a company with a connector connection and links it to
// connectorID ("" creates a connector). It returns the linked connection and
// the connector's credential ("" for an existing connector).
func (e *Env) Linked(tb testing.TB, orgID, connectorID string) (*qbconnect.Connection, string) {
	tb.Helper()
	ctx := context.Background()
	cmp := e.Company(tb, orgID, "Company")
	conn := &qbconnect.Connection{OrgID: orgID, CompanyID: cmp.ID, Kind: qbconnect.KindConnector}
	if err := e.Connections.CreateConnection(ctx, conn); err != nil {
		tb.Fatalf("create connection: %v", err)
	}
	lc, err := e.Connections.CreateLinkCode(ctx, orgID, conn.ID, 0)
	if err != nil {
		tb.Fatalf("create link code: %v", err)
	}
	linked, _, cred, err := e.Connections.RedeemLinkCode(ctx, lc.Code, connectorID,
		qbconnect.FileIdentity{Path: `C:\Books\` + cmp.ID + `.qbw`, CompanyName: cmp.Name})
	if err != nil {
		tb.Fatalf("redeem link code: %v", err)
	}
	return linked, cred
}

// Enqueue enqueues a sync operation on a connection with a priority.
func (e *Env) Enqueue(tb testing.TB, conn *qbconnect.Connection, priority int, request string) *qbconnect.Operation {
	tb.Helper()
	op, err := e.Queue.Enqueue(context.Background(), &qbconnect.Operation{
		OrgID: conn.OrgID, ConnectionID: conn.ID, Kind: qbconnect.OpSync, Priority: priority, Request: request,
	})
	if err != nil {
		tb.Fatalf("enqueue: %v", err)
	}
	return op
}

// Lease leases the connector's next operation, failing the test on error.
func (e *Env) Lease(tb testing.TB, connectorID string, ttl time.Duration) *qbconnect.Lease {
	tb.Helper()
	l, err := e.Queue.Lease(context.Background(), connectorID, ttl)
	if err != nil {
		tb.Fatalf("lease: %v", err)
	}
	return l
}
