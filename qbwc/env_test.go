package qbwc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/internal/platformtest"
	"github.com/qbconnect/qbconnect/qbd"
	"github.com/qbconnect/qbconnect/qbdsim"
	"github.com/qbconnect/qbconnect/qbdsim/companyfile"
	"github.com/qbconnect/qbconnect/qbdsim/webconnector"
	"github.com/qbconnect/qbconnect/qbwc"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
	"github.com/qbconnect/qbconnect/syncengine"
	"github.com/qbconnect/qbconnect/syncengine/synctest"
)

// env is the platform in process (internal/platformtest) with the Web
// Connector tests' helpers, on SQLite, or on PostgreSQL when
// QBCONNECT_TEST_POSTGRES names a database (CI sets it).
type env struct {
	tb  testing.TB
	ctx context.Context
	st  *platformtest.Platform
	wcs *store.WebConnectorStore
	eng *syncengine.Engine
	wc  *qbwc.Server
	srv *httptest.Server
}

// envOptions shape an env.
type envOptions struct {
	QBWC   qbwc.Config       // services, clock, Rand and Sync are set by newEnv
	Engine syncengine.Config // DB, Queue and Now are set by newEnv
	Seed   uint64            // deterministic randomness for tickets, IDs, passwords
}

// seeded is a deterministic io.Reader.
type seeded struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (s *seeded) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Read(p)
}

func newSeeded(seed uint64) io.Reader {
	var k [32]byte
	k[0], k[1] = byte(seed), byte(seed>>8)
	return &seeded{r: rand.NewChaCha8(k)}
}

func newEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	tb.Cleanup(cancel)
	dsn := storetest.SQLiteDSN(tb)
	if pg := os.Getenv("QBCONNECT_TEST_POSTGRES"); pg != "" {
		dsn = storetest.PostgresDSN(pg)(tb)
	}
	ecfg := o.Engine
	ecfg.Rand = newSeeded(o.Seed + 2)
	wcfg := o.QBWC
	wcfg.Rand = newSeeded(o.Seed + 3)
	p := platformtest.New(tb, platformtest.Options{
		DSN:    dsn,
		Store:  store.Options{Rand: newSeeded(o.Seed + 1)},
		Engine: ecfg,
		API:    api.Config{Rand: newSeeded(o.Seed + 4)},
		QBWC:   wcfg,
	})
	return &env{tb: tb, ctx: ctx, st: p, wcs: p.WebConnectors, eng: p.Engine, wc: p.WebConnector,
		srv: p.HTTP}
}

// do calls the REST API with an API key and decodes a JSON answer.
func (e *env) do(method, path, key string, out any) int {
	e.tb.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.srv.URL+path, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			e.tb.Fatalf("%s %s: %v in %s", method, path, err, body)
		}
	}
	return resp.StatusCode
}

// post sends a raw SOAP body to /qbwc and returns status and body.
func (e *env) post(body string, header map[string]string) (int, string) {
	e.tb.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/qbwc", strings.NewReader(body))
	if err != nil {
		e.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tenant is one organisation with one company, its QuickBooks (a
// simulator on its own PC) and its Web Connector.
type tenant struct {
	e        *env
	org      *qbconnect.Org
	key      string
	company  *qbconnect.Company
	conn     *qbconnect.Connection
	sim      *qbdsim.Simulator
	file     string
	qwcFile  *qbconnect.WebConnectorFile
	qwc      *webconnector.QWC
	password string
	wc       *webconnector.Client
	// abort, when set, is consulted before each SOAP call of the Web
	// Connector (see webconnector.Config.BeforeCall).
	abort func(op string) error
	// dropWrites makes the Web Connector die before QuickBooks runs a
	// write (the request processor refuses requests with a
	// newMessageSetID; the test aborts before receiveResponseXML).
	dropWrites bool
	noOps      int
}

// hookedRP is the tenant's request processor with dropWrites.
type hookedRP struct {
	qbd.RequestProcessor
	t *tenant
}

func (h *hookedRP) ProcessRequest(ctx context.Context, ticket string, req []byte) ([]byte, error) {
	if h.t.dropWrites && bytes.Contains(req, []byte("newMessageSetID")) {
		return nil, errors.New("the Web Connector died before QuickBooks ran the request")
	}
	return h.RequestProcessor.ProcessRequest(ctx, ticket, req)
}

var simStart = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// newTenant creates an organisation, a company with a webconnector
// connection, downloads its .qwc over the API, and starts QuickBooks with
// a company file generated from gen open in it.
func (e *env) newTenant(name string, gen companyfile.GenerateOptions) *tenant {
	e.tb.Helper()
	t := &tenant{e: e}
	var err error
	if t.org, err = e.st.Orgs.CreateOrg(e.ctx, name); err != nil {
		e.tb.Fatal(err)
	}
	if _, t.key, err = e.st.Orgs.CreateAPIKey(e.ctx, t.org.ID, "test"); err != nil {
		e.tb.Fatal(err)
	}
	t.company = e.st.Company(e.tb, t.org.ID, name+" Books")
	t.conn = &qbconnect.Connection{OrgID: t.org.ID, CompanyID: t.company.ID, Kind: qbconnect.KindWebConnector}
	if err := e.st.Connections.CreateConnection(e.ctx, t.conn); err != nil {
		e.tb.Fatal(err)
	}
	t.qwcFile = &qbconnect.WebConnectorFile{}
	if st := e.do("GET", "/v1/companies/"+t.company.ID+"/connections/"+t.conn.ID+"/qwc", t.key, t.qwcFile); st != 200 {
		e.tb.Fatalf("GET .qwc: %d", st)
	}
	t.password = t.qwcFile.Password
	if t.qwc, err = webconnector.ParseQWC(strings.NewReader(t.qwcFile.QWC)); err != nil {
		e.tb.Fatalf("the Web Connector refuses the .qwc: %v\n%s", err, t.qwcFile.QWC)
	}

	dir := e.tb.TempDir()
	t.file = filepath.Join(dir, strings.ToLower(name)+".qbw")
	simNow := func() time.Time { return simStart }
	f, err := companyfile.Create(t.file, name+" Trading", companyfile.Options{Now: simNow})
	if err != nil {
		e.tb.Fatal(err)
	}
	if gen.Total() > 0 {
		if err := f.Generate(e.ctx, gen); err != nil {
			e.tb.Fatal(err)
		}
	}
	f.Close()
	if t.sim, err = qbdsim.New(qbdsim.Options{Dir: dir, Now: simNow, Policy: qbdsim.Policy{Mode: qbdsim.PolicyAlways}}); err != nil {
		e.tb.Fatal(err)
	}
	e.tb.Cleanup(func() { t.sim.Close() })
	if err := t.sim.OpenFile(t.file, qbd.FileModeSingleUser, ""); err != nil {
		e.tb.Fatal(err)
	}
	t.wc = t.newClient(t.password)
	return t
}

// newClient returns a Web Connector with the tenant's .qwc and password.
func (t *tenant) newClient(password string) *webconnector.Client {
	t.e.tb.Helper()
	c, err := webconnector.New(webconnector.Config{
		QWC: t.qwc, Password: password, HTTPClient: t.e.srv.Client(), Hostname: "BOOKKEEPER-PC",
		Processor: func() qbd.RequestProcessor { return &hookedRP{RequestProcessor: t.sim.NewProcessor(), t: t} },
		Pause: func(ctx context.Context, d time.Duration) error {
			t.noOps++
			return ctx.Err()
		},
		BeforeCall: func(op string) error {
			if t.abort != nil {
				return t.abort(op)
			}
			return nil
		},
		Now: func() time.Time { return simStart },
	})
	if err != nil {
		t.e.tb.Fatal(err)
	}
	return c
}

// update runs one Web Connector update.
func (t *tenant) update() *webconnector.Result {
	t.e.tb.Helper()
	res, err := t.wc.Update(t.e.ctx)
	if err != nil {
		t.e.tb.Fatal(err)
	}
	return res
}

// connection returns the connection as the platform has it now.
func (t *tenant) connection() *qbconnect.Connection {
	t.e.tb.Helper()
	c, err := t.e.st.Connections.FindConnection(t.e.ctx, t.org.ID, t.conn.ID)
	if err != nil {
		t.e.tb.Fatal(err)
	}
	return c
}

// qb runs requests in QuickBooks as a trusted application and returns
// every record of the answer; an error status other than "no match" (or
// 3250, a feature the company lacks: none) fails the test.
func (t *tenant) qb(requests string) []*qbxml.Node {
	t.e.tb.Helper()
	return synctest.Query(t.e.tb, t.quickBooks, requests)
}

// quickBooks runs a qbXML document in the tenant's company file.
func (t *tenant) quickBooks(doc []byte) ([]byte, error) { return t.sim.Exec(t.e.ctx, t.file, doc) }

// stored returns the records of a type the platform holds: ID → record.
func (t *tenant) stored(typ string) map[string]*qbconnect.Record {
	t.e.tb.Helper()
	out := map[string]*qbconnect.Record{}
	cursor := ""
	for {
		page, next, err := t.e.st.Records.ListRecords(t.e.ctx, qbconnect.RecordFilter{OrgID: t.org.ID, CompanyID: t.company.ID,
			Type: typ, Limit: 1000, Cursor: cursor})
		if err != nil {
			t.e.tb.Fatal(err)
		}
		for _, r := range page {
			out[r.ID] = r
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// checkMirror verifies that the platform holds exactly what QuickBooks
// holds for every data type (synctest.Check), comparing the JSON of
// sample records of each type. It returns the number of objects compared.
func (t *tenant) checkMirror(sample int) int {
	t.e.tb.Helper()
	return synctest.Check(t.e.tb, t.quickBooks, t.stored, t.e.eng.DataTypes(), sample)
}
