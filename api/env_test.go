package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/gateway"
	"github.com/qbconnect/qbconnect/gateway/gatewayclient"
	"github.com/qbconnect/qbconnect/internal/clocktest"
	"github.com/qbconnect/qbconnect/internal/platformtest"
	"github.com/qbconnect/qbconnect/notify"
	"github.com/qbconnect/qbconnect/qbwc"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
)

// env is the platform in process (internal/platformtest: a store on a
// fresh database, the sync engine, webhooks, the control plane, the API
// server and the Web Connector endpoint on loopback) with the API tests'
// helpers.
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
func databases(tb testing.TB) map[string]storetest.DSNFunc {
	tb.Helper()
	return platformtest.Databases()
}

var sqliteDSN = storetest.SQLiteDSN

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
		pollWaits: make(chan string, 100),
		opWaits:   make(chan string, 100),
		attempts:  make(chan attemptSeen, 1000),
		spec:      newSpecChecker(tb),
	}
	cfg := api.Config{
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
	p := platformtest.New(tb, platformtest.Options{
		DSN:    dsn,
		Engine: syncengine.Config{MaxReturned: 50},
		API:    cfg,
		TuneAPI: func(c *api.Config) {
			for _, t := range tune {
				t(c)
			}
		},
		QBWC: qbwc.Config{MaxBody: maxSOAPBody},
		Webhooks: &platformtest.WebhookOptions{AllowPrivate: policy.allowPrivate, Resolver: policy.resolver,
			OnAttempt: func(id string, a qbconnect.WebhookAttempt, st qbconnect.DeliveryStatus) {
				select {
				case e.attempts <- attemptSeen{id, a, st}:
				default:
				}
			}},
		Handler: func(h http.Handler) http.Handler { return e.spec.middleware(tb, h) },
	})
	e.clock, e.db = p.Clock, p.DB
	e.orgs, e.companies, e.connections, e.queue, e.records = p.Orgs, p.Companies, p.Connections, p.Queue, p.Records
	e.engine, e.jobs, e.webhooks, e.wc = p.Engine, p.Jobs, p.Webhooks, p.WebConnector
	e.api, e.cfg, e.http = p.API, p.APIConfig, p.HTTP
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
