package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/api"
)

// TestLinkCodeAnswersTheConnectionAsLocation: a link code's 201, like every
// 201, carries Location: the connection's address, where the link shows
// once the connector used the code (a code has no address of its own).
func TestLinkCodeAnswersTheConnectionAsLocation(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	var c qbconnect.Company
	e.mustDo(201, "POST", "/v1/companies", key, map[string]any{"name": "Harbor"}, &c)
	var conn qbconnect.Connection
	e.mustDo(201, "POST", "/v1/companies/"+c.ID+"/connections", key, map[string]any{}, &conn)
	r := e.do("POST", "/v1/companies/"+c.ID+"/connections/"+conn.ID+"/link-codes", key, map[string]any{"expiresIn": "15m"})
	if r.Status != 201 {
		t.Fatalf("link code: %d %s", r.Status, r.Body)
	}
	want := "/v1/companies/" + c.ID + "/connections/" + conn.ID
	if got := r.Header.Get("Location"); got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	if got := e.do("GET", want, key, nil); got.Status != 200 {
		t.Errorf("GET Location: %d %s", got.Status, got.Body)
	}
}

// TestDurationsAreTextAndSecondsStillRead: expiresIn and syncSchedule.every
// are documented with one type, Go duration text, which the API also
// answers; a number of seconds, the earlier spelling, is still read. The
// requests with numbers go to the handler directly: the document no longer
// offers them, so the test server's document check would refuse them.
func TestDurationsAreTextAndSecondsStillRead(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	for _, name := range []string{"SyncSchedule"} {
		every := schemaOf(t, name)["properties"].(map[string]any)["every"].(map[string]any)
		if every["type"] != "string" {
			t.Errorf("%s.every is documented as %v, want type string", name, every)
		}
	}
	direct := func(method, path, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.api.Handler().ServeHTTP(rec, req)
		return rec
	}
	rec := direct("POST", "/v1/companies", `{"name":"Harbor","syncSchedule":{"every":21600}}`)
	var c qbconnect.Company
	if err := json.Unmarshal(rec.Body.Bytes(), &c); rec.Code != 201 || err != nil {
		t.Fatalf("every as seconds: %d %s", rec.Code, rec.Body)
	}
	var shown struct {
		SyncSchedule struct {
			Every any `json:"every"`
		} `json:"syncSchedule"`
	}
	json.Unmarshal(rec.Body.Bytes(), &shown)
	if shown.SyncSchedule.Every != "6h0m0s" {
		t.Errorf("every sent as 21600 seconds is answered as %v, want \"6h0m0s\"", shown.SyncSchedule.Every)
	}
	var conn qbconnect.Connection
	e.mustDo(201, "POST", "/v1/companies/"+c.ID+"/connections", key, map[string]any{}, &conn)
	before := e.clock.Now()
	rec = direct("POST", "/v1/companies/"+c.ID+"/connections/"+conn.ID+"/link-codes", `{"expiresIn":900}`)
	var lc qbconnect.LinkCode
	if err := json.Unmarshal(rec.Body.Bytes(), &lc); rec.Code != http.StatusCreated || err != nil {
		t.Fatalf("expiresIn as seconds: %d %s", rec.Code, rec.Body)
	}
	if got := lc.ExpiresAt.Sub(before); got < 15*time.Minute-time.Second || got > 15*time.Minute+time.Second {
		t.Errorf("expiresIn 900 seconds: the code expires %s after it was issued, want 15m", got)
	}
}

// schemaOf returns a component schema of the client API's document.
func schemaOf(tb testing.TB, name string) map[string]any {
	tb.Helper()
	doc := clientDocument(tb)
	s, ok := doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	if !ok {
		tb.Fatalf("no schema %s in the document", name)
	}
	return s
}

func clientDocument(tb testing.TB) map[string]any {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		tb.Fatal(err)
	}
	return doc
}

// TestConnectionStatusChangedCarriesItsDocumentedSchema: the data of a
// delivered connection.status_changed is the document's
// ConnectionStatusChange (the connection, its previous status and previous
// health code, both from their enums), nothing more.
func TestConnectionStatusChangedCarriesItsDocumentedSchema(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	_, key := e.newOrg("Lender")
	rc := newReceiver(t, 0, e.clock.Now)
	var hook struct{ ID, Secret string }
	e.mustDo(201, "POST", "/v1/webhooks", key, map[string]any{"url": rc.srv.URL + "/hooks", "events": []string{"connection.status_changed"}}, &hook)
	rc.setSecret("/hooks", hook.Secret)
	e.startJobs(t)
	companyID, connID, _ := e.linkedCompany(key, "Bakery")
	e.mustDo(200, "DELETE", "/v1/companies/"+companyID+"/connections/"+connID, key, nil, nil)

	ev := rc.next(t)
	doc := loadDocument(t, api.OpenAPI())
	schema := doc.Components.Schemas["ConnectionStatusChange"]
	if schema == nil {
		t.Fatal("the document has no ConnectionStatusChange schema")
	}
	if ref := doc.Components.Schemas["ConnectionStatusChangedEvent"].Value.Properties["data"].Ref; ref != "#/components/schemas/ConnectionStatusChange" {
		t.Errorf("ConnectionStatusChangedEvent.data is %q, want a $ref to ConnectionStatusChange", ref)
	}
	data, _ := json.Marshal(ev.Data)
	var v any
	json.Unmarshal(data, &v)
	if err := schema.Value.VisitJSON(v); err != nil {
		t.Errorf("connection.status_changed data does not match ConnectionStatusChange: %v\n%s", err, data)
	}
	if ev.Data["previousStatus"] != "PendingAuth" || ev.Data["connection"].(map[string]any)["status"] != "Unlinked" {
		t.Errorf("status change: %s", data)
	}
}

// The casing of enumeration values, by category, as the document's
// Conventions section states it.
var (
	pascalCase = regexp.MustCompile(`^[A-Z][a-z0-9]+([A-Z][a-z0-9]+)*$`)
	snakeCase  = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	kebabCase  = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	eventName  = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*\.([a-z0-9]+_)*[a-z0-9]+ed$`)
	fieldRef   = regexp.MustCompile(`^-?[a-z][a-zA-Z0-9]*$`)
	// An instant is named ...At, or by the preposition that says how it
	// bounds something (since, until, asOf, notBefore, pausedUntil,
	// updatedSince), or deadline.
	instantName = regexp.MustCompile(`At$|^(at|since|until|asOf|deadline)$|(Since|Until|Before|After)$`)
)

// enumCategory says which convention an enumeration follows, from where it
// is: the component schema holding it, its property or parameter name.
func enumCategory(schema, name string) (string, *regexp.Regexp) {
	switch {
	case schema == "HealthCheck" && name == "status", schema == "/healthz" || schema == "/readyz":
		// "ok" (and "ready") say all is well: the health code, not a state.
		return "code", snakeCase
	case strings.HasSuffix(schema, "Status") && name == "", strings.HasSuffix(schema, "State") && name == "",
		name == "status", name == "state", name == "previousStatus", name == "previousState":
		return "state", pascalCase
	case schema == "EventType" && name == "", strings.HasSuffix(schema, "Event") && name == "type", name == "events", name == "eventType":
		return "event type", eventName
	case name == "report", name == "period":
		return "URL name", kebabCase
	case name == "sort":
		return "field reference", fieldRef
	}
	return "code or kind", snakeCase
}

// TestEveryEnumAndTimeFieldFollowsTheConventions walks the served
// documents (the client API's and the connector protocol's): every enumeration value of the platform's objects,
// parameters and events follows the casing of its category (records'
// enumerations are QuickBooks' own values, as qbXML spells them, and are
// not checked), every date-time is named as an instant, and every field
// named as an instant is a date-time. A new enumeration or time field that
// drifts from the rule fails here.
func TestEveryEnumAndTimeFieldFollowsTheConventions(t *testing.T) {
	var qbxml struct {
		Components map[string]any `json:"components"`
	}
	if err := json.Unmarshal(api.EmbeddedDataTypeSchemas(), &qbxml); err != nil || len(qbxml.Components) == 0 {
		t.Fatalf("data type schemas: %v", err)
	}
	var enums, times int
	var doc map[string]any // the document being walked
	var walk func(v any, where, schema, name string)
	walk = func(v any, where, schema, name string) {
		switch x := v.(type) {
		case []any:
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", where, i), schema, name)
			}
		case map[string]any:
			if values, ok := x["enum"].([]any); ok {
				cat, rule := enumCategory(schema, name)
				for _, v := range values {
					enums++
					if s, _ := v.(string); !rule.MatchString(s) {
						t.Errorf("%s: %q breaks the rule of its category (%s: %s)", where, v, cat, rule)
					}
				}
			}
			if x["format"] == "date-time" {
				times++
				if !instantName.MatchString(name) {
					t.Errorf("%s: the date-time %q is not named as an instant (…At, since, until, asOf, deadline, …Since/Until/Before/After)", where, name)
				}
			}
			if props, ok := x["properties"].(map[string]any); ok {
				for k, p := range props {
					if strings.HasSuffix(k, "At") && !isDateTime(p, doc) {
						t.Errorf("%s/properties/%s: named as an instant but not a date-time: %v", where, k, p)
					}
					walk(p, where+"/properties/"+k, schema, k)
				}
			}
			if n, ok := x["name"].(string); ok && x["in"] != nil {
				walk(x["schema"], where+"/schema", schema, n)
			}
			for k, e := range x {
				switch k {
				case "properties", "schema", "enum":
				default:
					walk(e, where+"/"+k, schema, name)
				}
			}
		}
	}
	for _, b := range [][]byte{api.OpenAPI(), api.ConnectorOpenAPI()} {
		doc = nil
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for name, s := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
			if _, fromQBXML := qbxml.Components[name]; fromQBXML {
				continue
			}
			walk(s, "#/components/schemas/"+name, name, "")
		}
		for path, item := range doc["paths"].(map[string]any) {
			walk(item, "paths "+path, path, "")
		}
		walk(doc["webhooks"], "webhooks", "", "")
	}
	if enums < 100 || times < 20 {
		t.Fatalf("walked %d enumeration values and %d date-times; the walk missed the document", enums, times)
	}
}

// isDateTime reports whether a property's schema (or the schema it
// refers to) is a date-time.
func isDateTime(p any, doc map[string]any) bool {
	s, _ := p.(map[string]any)
	if r, ok := s["$ref"].(string); ok {
		s, _ = doc["components"].(map[string]any)["schemas"].(map[string]any)[strings.TrimPrefix(r, "#/components/schemas/")].(map[string]any)
	}
	return s["format"] == "date-time"
}
