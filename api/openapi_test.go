package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/qbconnect/qbconnect/api"
)

// specChecker validates live traffic against the OpenAPI document: every
// request a test sends through an env's server and every answer it gets.
// An answer must be documented (status and body); a request the document
// forbids must not be accepted.
type specChecker struct {
	routers []routers.Router // the client API's document, then the connector's
}

// documents are the OpenAPI documents the server serves.
func documents() map[string][]byte {
	return map[string][]byte{"client": api.OpenAPI(), "connector": api.ConnectorOpenAPI()}
}

func loadDocument(tb testing.TB, b []byte) *openapi3.T {
	tb.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(b)
	if err != nil {
		tb.Fatalf("OpenAPI document does not load: %v", err)
	}
	return doc
}

var (
	routersOnce sync.Once
	docRouters  []routers.Router
	routersErr  error
)

func newSpecChecker(tb testing.TB) *specChecker {
	tb.Helper()
	routersOnce.Do(func() {
		for _, b := range [][]byte{api.OpenAPI(), api.ConnectorOpenAPI()} {
			doc, err := openapi3.NewLoader().LoadFromData(b)
			if err != nil {
				routersErr = err
				return
			}
			doc.Servers = nil // match paths on any test server
			router, err := legacy.NewRouter(doc)
			if err != nil {
				routersErr = err
				return
			}
			docRouters = append(docRouters, router)
		}
	})
	if routersErr != nil {
		tb.Fatalf("OpenAPI router: %v", routersErr)
	}
	return &specChecker{routers: docRouters}
}

// dataTypePattern returns the pattern of the {dataType} route a path of
// dataTypeRoute falls under, or "".
func dataTypePattern(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case !dataTypeRoute(path):
		return ""
	case len(parts) == 4:
		return "/v1/companies/{companyId}/{dataType}"
	case len(parts) == 5:
		return "/v1/companies/{companyId}/{dataType}/{id}"
	case parts[5] == "void":
		return "/v1/companies/{companyId}/{dataType}/{id}/void"
	}
	return ""
}

// dataTypeRoute matches the paths of the routes whose pattern holds
// {dataType}: /v1/companies/{companyId}/{dataType}[/{id}[/void]].
func dataTypeRoute(path string) bool {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return len(parts) >= 4 && len(parts) <= 6 && parts[0] == "v1" && parts[1] == "companies"
}

// observed records which documented (route, status) pairs the package's
// tests produced; TestMain checks that every documented error status of
// every route was seen.
var observed = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// observe records an answer under the route it documents (a data type's
// paths all document the {dataType} routes).
func observe(method, path string, status int) {
	key := method + " " + path
	if r := api.DocumentedRoute(key); r != "" {
		key = r
	}
	observed.Lock()
	defer observed.Unlock()
	observed.m[fmt.Sprintf("%s %d", key, status)] = true
}

// recorder keeps a copy of what a handler writes.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
	r.ResponseWriter.WriteHeader(s)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// middleware validates every request and answer that passes through h.
func (c *specChecker) middleware(tb testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = 200
		}
		answer := rec.body.Bytes()
		if rec.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(answer))
			if err == nil {
				answer, err = io.ReadAll(zr)
			}
			if err != nil {
				tb.Errorf("%s %s: the gzip answer does not inflate: %v", r.Method, r.URL, err)
				return
			}
		}
		check := r.Clone(context.Background())
		check.Body = io.NopCloser(bytes.NewReader(body))
		if err := c.validate(check, body, rec.status, rec.Header(), answer); err != nil {
			tb.Errorf("OpenAPI: %s %s answered %d: %v\nrequest: %.300s\nanswer: %.500s", r.Method, r.URL, rec.status, err, body, answer)
		}
	})
}

func (c *specChecker) validate(req *http.Request, body []byte, status int, header http.Header, resp []byte) error {
	var (
		route  *routers.Route
		params map[string]string
		err    error
	)
	for _, router := range c.routers {
		if route, params, err = router.FindRoute(req); err == nil {
			break
		}
	}
	if err != nil {
		// Not a documented endpoint: it must be answered with the error
		// shape and a 404 (a data type that does not take the action,
		// such as voiding a customer, included), or, on a data type's
		// paths, 400 when the request is malformed before the data type
		// is known, and 401 without a credential.
		var eb struct {
			Error map[string]any `json:"error"`
		}
		if json.Unmarshal(resp, &eb) != nil {
			return fmt.Errorf("undocumented request answered %d without the error shape: %v", status, err)
		}
		code := eb.Error["code"]
		want := status == http.StatusNotFound && code == "not_found" ||
			dataTypeRoute(req.URL.Path) && (status == http.StatusBadRequest && code == "invalid" ||
				status == http.StatusUnauthorized && code == "unauthorized") // the credential is checked before the data type
		if !want {
			return fmt.Errorf("undocumented request answered %d (want the 404 error shape): %v", status, err)
		}
		if pattern := dataTypePattern(req.URL.Path); pattern != "" && status != http.StatusNotFound {
			observe(req.Method, pattern, status) // the {dataType} route answered it
		}
		return nil
	}
	observe(req.Method, route.Path, status)
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			IncludeResponseStatus: true,
			// Compressed gateway results and qbXML documents are read by the
			// server itself; kin-openapi has no decoder for them.
			ExcludeRequestBody: req.Header.Get("Content-Encoding") != "" || strings.Contains(req.Header.Get("Content-Type"), "xml"),
		},
	}
	if reqErr := openapi3filter.ValidateRequest(context.Background(), in); reqErr != nil && status < 400 {
		return fmt.Errorf("the server accepted a request the document forbids: %v", reqErr)
	}
	if status == http.StatusUnauthorized || status == http.StatusNotFound {
		// Authentication and unknown IDs are checked before anything the
		// document says about the body.
		in.Options.ExcludeRequestBody = true
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Body:    io.NopCloser(bytes.NewReader(resp)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// TestMain runs the tests, then, when every test ran and passed, checks
// that the tests produced every error status the document lists for every
// route.
func TestMain(m *testing.M) {
	flag.Parse()
	// SOAP envelopes and the WSDL are documented as text/xml strings;
	// kin-openapi has no decoder of its own for them.
	// The same for the reference page and its script.
	for _, ct := range []string{"text/xml", "text/html", "text/javascript"} {
		openapi3filter.RegisterBodyDecoder(ct, func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		})
	}
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		if missing := unobservedStatuses(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: no test produced these documented answers:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

func unobservedStatuses() []string {
	observed.Lock()
	defer observed.Unlock()
	seen := map[string]bool{}
	var missing []string
	for _, b := range documents() {
		var doc struct {
			Paths map[string]map[string]struct {
				Tags      []string                   `json:"tags"`
				Responses map[string]json.RawMessage `json:"responses"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return []string{err.Error()}
		}
		for path, item := range doc.Paths {
			for method, op := range item {
				if slices.Contains(op.Tags, "Release") {
					continue // the release engineer's routes, tested with their service
				}
				route := api.DocumentedRoute(strings.ToUpper(method) + " " + path)
				for status := range op.Responses {
					key := fmt.Sprintf("%s %s", route, status)
					if !observed.m[key] && !seen[key] {
						seen[key] = true
						missing = append(missing, key)
					}
				}
			}
		}
	}
	sort.Strings(missing)
	return missing
}

func TestOpenAPIDocumentsAreValid31(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	for path, b := range map[string][]byte{"/v1/openapi.json": api.OpenAPI(), "/gateway/v1/openapi.json": api.ConnectorOpenAPI()} {
		doc := loadDocument(t, b)
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("%s: openapi = %q", path, doc.OpenAPI)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Errorf("%s: invalid document: %v", path, err)
		}
		r := e.mustDo(200, "GET", path, "", nil, nil)
		if !bytes.Equal(r.Body, b) {
			t.Errorf("%s serves another document", path)
		}
		if r := e.do("GET", path+"?format=yaml", "", nil); r.Status != 400 {
			t.Errorf("%s with an unknown query: %d", path, r.Status)
		}
	}
}

// TestOpenAPIDocumentsExactlyTheRouteTable: every route is documented and
// every documented operation is a route, with the same path parameters and
// the error statuses every route of its kind answers.
func TestOpenAPIDocumentsExactlyTheRouteTable(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	routes := map[string]api.Route{}
	for _, rt := range e.api.Routes() {
		routes[rt.Method+" "+rt.Pattern] = rt
	}
	// documented maps each route to one operation documenting it; a data
	// type's operations document the {dataType} routes under their own
	// paths, whose path parameters are the route's but {dataType}.
	documented := map[string]*openapi3.Operation{}
	for _, b := range documents() {
		for path, item := range loadDocument(t, b).Paths.Map() {
			for method, op := range item.Operations() {
				route := api.DocumentedRoute(method + " " + path)
				if route == "" {
					t.Errorf("%s %s documents no route", method, path)
					continue
				}
				documented[route] = op
			}
		}
	}
	for key, rt := range routes {
		op := documented[key]
		if op == nil {
			t.Errorf("route %s is not in the OpenAPI document", key)
			continue
		}
		if rt.Auth != api.AuthNone && op.Responses.Status(401) == nil {
			t.Errorf("%s takes a credential but does not document 401", key)
		}
		if strings.Contains(rt.Pattern, "{") && rt.Auth != api.AuthNone && op.Responses.Status(404) == nil {
			t.Errorf("%s has path IDs but does not document 404", key)
		}
		for _, seg := range strings.Split(rt.Pattern, "/") {
			if strings.HasPrefix(seg, "{") && seg != "{dataType}" {
				name := strings.Trim(seg, "{}")
				if p := op.Parameters.GetByInAndName("path", name); p == nil {
					t.Errorf("%s: path parameter %s is not documented", key, name)
				}
			}
		}
	}
	for key := range documented {
		if _, ok := routes[key]; !ok {
			t.Errorf("the OpenAPI document has %s, which is no route", key)
		}
	}
	keys := make([]string, 0, len(routes))
	for k := range routes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t.Logf("%d routes, all documented", len(keys))
}
