package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/crypto/bcrypt"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/qbwc"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/syncengine"
)

// env is a real platform in process: a store on a fresh database, the API
// server, and an HTTP server on loopback.
type env struct {
	tb          testing.TB
	clock       *clocktest.Clock
	db          *store.DB
	orgs        *store.OrgStore
	companies   *store.CompanyStore
	connections *store.ConnectionStore
	queue       *store.QueueStore
	api         *api.Server
	cfg         api.Config // what api was made with, for a second server
	http        *httptest.Server
	// pollWaits receives a connector ID each time a long-poll starts waiting.
	pollWaits chan string
	// opWaits receives an operation ID each time a request starts waiting
	// for an operation (?wait, live health).
	opWaits  chan string
	engine   *syncengine.Engine
	records  *store.RecordStore
	spec     *specChecker
	jobs     *notify.Jobs
	webhooks *notify.Webhooks
	// attempts receives every webhook delivery attempt once logged.
	attempts chan attemptSeen
	// wc is the Web Connector endpoint at /qbwc.
	wc *qbwc.Server
}

// maxSOAPBody is the env's Web Connector body limit, small enough for a
// test to exceed.
const maxSOAPBody = 256 << 10

// attemptSeen is one logged webhook delivery attempt.
type attemptSeen struct {
	deliveryID string
	attempt    qbconnect.WebhookAttempt
	status     qbconnect.DeliveryStatus
}

// databases lists the DSN makers to run scenario tests against: SQLite
// always, PostgreSQL when QBCONNECT_TEST_POSTGRES names a database.
func databases(tb testing.TB) map[string]func(testing.TB) string {
	tb.Helper()
	dbs := map[string]func(testing.TB) string{"sqlite": sqliteDSN}
	if os.Getenv("QBCONNECT_TEST_POSTGRES") != "" {
		dbs["postgres"] = postgresDSN
	}
	return dbs
}

func sqliteDSN(tb testing.TB) string {
	tb.Helper()
	return "sqlite:" + filepath.Join(tb.TempDir(), "qbconnect.db")
}

// postgresDSN creates a schema of its own in QBCONNECT_TEST_POSTGRES's
// database and returns a DSN that uses it; the schema is dropped at cleanup.
func postgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("QBCONNECT_TEST_POSTGRES")
	if base == "" {
		tb.Skip("QBCONNECT_TEST_POSTGRES is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("api_test_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// webhookPolicy is the webhook sender's policy on private targets.
type webhookPolicy struct {
	allowPrivate bool
	resolver     *net.Resolver
}

func newEnv(tb testing.TB, dsn string, tune ...func(*api.Config)) *env {
	tb.Helper()
	return newEnvPolicy(tb, dsn, webhookPolicy{allowPrivate: true}, tune...)
}

// newEnvPolicy is newEnv with a webhook sender following policy (newEnv's
// allows private targets, whose receivers run on loopback).
func newEnvPolicy(tb testing.TB, dsn string, policy webhookPolicy, tune ...func(*api.Config)) *env {
	tb.Helper()
	e := &env{
		tb:        tb,
		clock:     clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		pollWaits: make(chan string, 100),
		opWaits:   make(chan string, 100),
		attempts:  make(chan attemptSeen, 1000),
		spec:      newSpecChecker(tb),
	}
	db, err := store.Open(context.Background(), dsn, store.Options{Now: e.clock.Now})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	e.db = db
	e.orgs, e.companies = store.NewOrgStore(db), store.NewCompanyStore(db)
	e.connections, e.queue = store.NewConnectionStore(db), store.NewQueueStore(db)
	e.records = store.NewRecordStore(db)
	e.engine, err = syncengine.New(syncengine.Config{DB: db, Queue: e.queue, Now: e.clock.Now, MaxReturned: 50})
	if err != nil {
		tb.Fatal(err)
	}
	jobsCfg := notify.JobsConfig{SQLite: db.SQLDB(), PollInterval: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
	if db.Dialect() == store.Postgres {
		jobsCfg = notify.JobsConfig{PostgresURL: dsn, PollInterval: 20 * time.Millisecond,
			RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
	}
	if e.jobs, err = notify.NewJobs(jobsCfg); err != nil {
		tb.Fatal(err)
	}
	e.webhooks, err = notify.NewWebhooks(notify.WebhooksConfig{Store: store.NewWebhookStore(db), Jobs: e.jobs, Now: e.clock.Now,
		AllowPrivate: policy.allowPrivate, Resolver: policy.resolver,
		MaxAttempts: 4, OnAttempt: func(id string, a qbconnect.WebhookAttempt, st qbconnect.DeliveryStatus) {
			select {
			case e.attempts <- attemptSeen{id, a, st}:
			default:
			}
		}})
	if err != nil {
		tb.Fatal(err)
	}
	cfg := api.Config{
		Orgs: e.orgs, Companies: e.companies, Connections: e.connections, Queue: e.queue,
		Sync: e.engine, Records: e.records, Webhooks: e.webhooks, Events: e.webhooks,
		Reports: store.NewReportStore(db),
		Now:     e.clock.Now,
		OnWait: func(id string) {
			select {
			case e.opWaits <- id:
			default:
			}
		},
		OnPollWait: func(id string) {
			select {
			case e.pollWaits <- id:
			default:
			}
		},
	}
	for _, t := range tune {
		t(&cfg)
	}
	// The control plane, shared by the API server and the Web Connector
	// endpoint, wired as internal/platform does.
	cfg.Metrics = api.NewMetrics()
	ctl, err := control.New(control.Config{Observer: cfg.Metrics, Orgs: cfg.Orgs, Companies: cfg.Companies, Connections: cfg.Connections,
		Queue: cfg.Queue, Sync: cfg.Sync, Events: cfg.Events, Views: api.NewViews(), Logger: cfg.Logger, Now: cfg.Now,
		LeaseTTL: cfg.LeaseTTL, MaxPollWait: cfg.MaxPollWait, OnlineWindow: cfg.OnlineWindow, OnPollWait: cfg.OnPollWait})
	if err != nil {
		tb.Fatal(err)
	}
	e.wc, err = qbwc.New(qbwc.Config{Store: store.NewWebConnectorStore(db), Control: ctl, Now: e.clock.Now,
		BcryptCost: bcrypt.MinCost, MaxBody: maxSOAPBody})
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Control, cfg.WebConnector = ctl, e.wc
	e.cfg = cfg
	e.api, err = api.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	e.http = httptest.NewServer(e.spec.middleware(tb, e.api.Handler()))
	tb.Cleanup(func() {
		e.api.Close()
		e.http.Close()
	})
	return e
}

// newOrg creates an organisation and returns it with an API key.
func (e *env) newOrg(name string) (*qbconnect.Org, string) {
	e.tb.Helper()
	ctx := context.Background()
	o, err := e.orgs.CreateOrg(ctx, name)
	if err != nil {
		e.tb.Fatal(err)
	}
	_, key, err := e.orgs.CreateAPIKey(ctx, o.ID, "test")
	if err != nil {
		e.tb.Fatal(err)
	}
	return o, key
}

// response is an HTTP answer, read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.Fatalf("answer is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// ErrorCode returns error.code of an error answer, or "".
func (r response) ErrorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// do sends a request with an optional bearer token and body.
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.tb.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// mustDo is do that fails the test unless the status is want, and decodes
// the answer into out when out is not nil.
func (e *env) mustDo(want int, method, path, token string, body, out any) response {
	e.tb.Helper()
	r := e.do(method, path, token, body)
	if r.Status != want {
		e.tb.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			e.tb.Fatalf("%s %s: %v\n%s", method, path, err, r.Body)
		}
	}
	return r
}

// linkedCompany creates a company and a connector connection through the
// REST API and returns them with a fresh link code.
func (e *env) linkedCompany(key, name string) (companyID, connectionID, code string) {
	e.tb.Helper()
	var c qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": name}, &c)
	var conn qbconnect.Connection
	e.mustDo(201, "POST", "/v1/companies/"+c.ID+"/connections", key, map[string]any{}, &conn)
	var lc qbconnect.LinkCode
	e.mustDo(201, "POST", "/v1/companies/"+c.ID+"/connections/"+conn.ID+"/link-codes", key, nil, &lc)
	return c.ID, conn.ID, lc.Code
}

// client returns a gateway client for the env's server.
func (e *env) client(credential string) *gatewayclient.Client {
	e.tb.Helper()
	c, err := gatewayclient.New(e.http.URL, gatewayclient.Options{Credential: credential, HTTPClient: e.http.Client()})
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

// enqueue puts a qbXML operation in the queue for a connection.
func (e *env) enqueue(orgID, companyID, connectionID, request string) *qbconnect.Operation {
	e.tb.Helper()
	op, err := e.queue.Enqueue(context.Background(), &qbconnect.Operation{
		OrgID: orgID, CompanyID: companyID, ConnectionID: connectionID,
		Kind: qbconnect.OpQBXML, Priority: qbconnect.PriorityInteractive, Request: request,
	})
	if err != nil {
		e.tb.Fatalf("enqueue: %v", err)
	}
	return op
}

func (e *env) operation(orgID, id string) *qbconnect.Operation {
	e.tb.Helper()
	op, err := e.queue.FindOperation(context.Background(), orgID, id)
	if err != nil {
		e.tb.Fatal(err)
	}
	return op
}

func (e *env) connection(orgID, id string) *qbconnect.Connection {
	e.tb.Helper()
	c, err := e.connections.FindConnection(context.Background(), orgID, id)
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

var testConnector = gateway.ConnectorInfo{Version: "1.2.0", Signer: "CN=qbconnect Test", Thumbprint: "ab12cd34", Hostname: "FRONT-DESK"}

func linkRequest(code, path string) gateway.LinkRequest {
	return gateway.LinkRequest{Code: code, File: gateway.FileIdentity{Path: path, CompanyName: "Acme"}, Connector: testConnector}
}
