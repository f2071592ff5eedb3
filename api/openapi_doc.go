package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
	"github.com/qbconnect/qbconnect/qbd"
)

// The two documents are assembled here from the operations (openapi_routes.go,
// openapi_types.go, openapi_qbwc.go, reportDocs) and the schemas
// (openapi.go, syncengine.JSONSchemas). Every operation gets an
// operationId, a summary and a description, every request and answer an
// example synthesised from its schema (so that it always matches it), every
// answer the X-Request-Id header, and each document only the components it
// refers to.

// conventions is the document's Conventions section: the casing of
// enumeration values per category and the form of time fields, which
// TestEveryEnumAndTimeFieldFollowsTheConventions checks on every
// enumeration and date-time of this document.
const conventions = "## Conventions\n\n" +
	"Field names are camelCase. Enumeration values are spelled by category:\n\n" +
	"| category | casing | examples |\n|---|---|---|\n" +
	"| states and statuses: where an object is in its lifecycle (`ConnectionStatus`, `OperationStatus`, a sync's, a delivery's, a rollout's or a campaign's `status` and `state`) | PascalCase | `PendingAuth`, `TimedOut`, `CandidateInstalled` |\n" +
	"| codes that say why (`ErrorCode`, `HealthCode`, a campaign connection's `subState`) and every other enumeration: kinds, modes, triggers, actions, sources | snake_case | `wrong_file_open`, `auth_pending`, `on_demand`, `incremental`, `webconnector` |\n" +
	"| event types | `noun.verb_past`, snake_case words around one dot | `connection.status_changed`, `rotation_campaign.connection_updated` |\n" +
	"| names that appear in URLs like path segments: report names and report periods | kebab-case | `profit-and-loss`, `last-month-to-date` |\n" +
	"| references to a field (`sort`) | the field's name, `-` for descending | `txnDate`, `-updatedAt` |\n" +
	"| records' enumerations | QuickBooks' own values, as qbXML spells them | `AccountsReceivable`, `NotBillable` |\n\n" +
	"The probes' `ok` and `ready`, and a live check's `ok`, say all is well: codes, like the health code `ok`.\n\n" +
	"**Times.** An instant is an RFC 3339 date-time (`format: date-time`), named `…At` (`createdAt`, `expiresAt`) or by the preposition that says how it bounds something (`since`, `until`, `pausedUntil`, `asOf`, `notAfter`, `updatedSince`), or `deadline`. The platform writes its own in UTC with the `Z` suffix (`2026-03-14T09:30:00Z`, with up to six fractional digits when there are some); records' times (`timeCreated`, `timeModified`) are QuickBooks' local time with its UTC offset, as QuickBooks gives them. Dates are `YYYY-MM-DD` (`format: date`). Durations are Go duration text (`\"15m\"`, `\"6h\"`); measured times are integers of milliseconds named `…Ms`.\n\n" +
	"**Compatibility.** Input still takes the earlier spellings: a duration (`expiresIn`, `syncSchedule.every`) as a number of seconds. The sync trigger `onDemand` is now `on_demand`, stored values included.\n\n" +
	"**Methods.** A method a path does not take answers 404 `not_found` with `Allow` naming the methods it does; so does a write a data type lacks (voiding a list element, updating a type QuickBooks' SDK only reads), whose path the document does not list."

// otherDocs completes operations documented in files this one does not own.
var otherDocs = map[string]opSpec{
	"GET /v1/companies/{companyId}/reports/{report}": {id: "getReport",
		desc: "Runs the report in QuickBooks (or serves the kept answer when it is at most maxAge old) and answers its rows and totals; 202 with the operation while QuickBooks has not answered yet."},
}

// documentedRoute maps an operation of a document back to the route it
// documents: "METHOD pattern" of the route table.
func documentedRoute(key string, spec opSpec) string {
	if spec.route != "" {
		return spec.route
	}
	return key
}

func clientDocument() jsonObj {
	docs := routeDocs()
	for k, v := range reportDocs() {
		docs[k] = v
	}
	for k, v := range webConnectorDocs() {
		if strings.HasPrefix(k, "GET /v1/") {
			docs[k] = v
		}
	}
	typeDocs, typeSchemas, typeTags := dataTypeDocs()
	for k, v := range typeDocs {
		docs[k] = v
	}
	comps := mergeObj(schemas(), typeSchemas)
	comps = mergeObj(comps, eventSchemas())
	comps = mergeObj(comps, releaseSchemas())
	tags := []jsonObj{
		{"name": "Platform", "description": "Probes, metrics and this document. They take no credential."},
		{"name": "Company", "description": "A company is one QuickBooks company file of one of your customers."},
		{"name": "Connection", "description": "How the platform reaches the company's file: the qbconnect connector (linked with a one-time code) or Intuit's QuickBooks Web Connector (a .qwc file). Its status and health say whether QuickBooks can be reached now."},
		{"name": "Data", "description": "The data types. Each data type has its own section below with its list, get and write operations."},
		{"name": "Sync", "description": "The platform keeps a copy of every data type, synced on the company's schedule or on demand."},
		{"name": "Write", "description": "Writes go to QuickBooks through the connection and answer with an operation: 202 while it waits, 200 once QuickBooks ran it. Idempotency-Key makes a retry safe."},
		{"name": "Live", "description": "Requests answered by QuickBooks now rather than from the synced copy."},
		{"name": "Report", "description": "Financial statements as QuickBooks computes them."},
		{"name": "Webhook", "description": "Endpoints that receive the organisation's events (see Webhooks)."},
		{"name": "Release", "description": "Connector releases and signing-certificate rotation."},
	}
	dataTags := make([]string, 0, len(typeTags))
	for _, t := range typeTags {
		dataTags = append(dataTags, t["name"].(string))
	}
	tags = append(tags, typeTags...)
	webhookTag := jsonObj{"name": "Events", "description": "The payloads qbconnect POSTs to your webhook endpoints."}
	tags = append(tags, webhookTag)
	doc := buildDocument(docs, comps, "apiKey")
	doc["info"] = jsonObj{
		"title":   "qbconnect API",
		"version": "1.0.0",
		"summary": "Read and write QuickBooks Desktop company files from the cloud.",
		"description": "Authenticate with an organisation's API key: `Authorization: Bearer qbk_...`.\n\n" +
			"**Errors** answer with one shape (`Error`): a stable `code` (see `ErrorCode` for the catalogue), a message for developers, a message and a resolution for the end user, the request's ID and, for errors from QuickBooks, `qbCode`.\n\n" +
			"**Headers.** Every answer carries `X-Request-Id` (send your own, at most 64 plain characters, to correlate logs). Writes take `Idempotency-Key`; updates, deletes and voids of a record take `If-Match` with its editSequence as an entity tag (`\"<editSequence>\"`, the ETag of the record's GET) instead of `editSequence` in the body. Created resources and queued operations answer `Location`. 429 and 503 answer `Retry-After` (seconds).\n\n" +
			"**Records** are the camelCase JSON of QuickBooks' qbXML 13.0 elements: amounts, prices, quantities and percentages are decimal strings, dates `YYYY-MM-DD`, booleans and integers JSON booleans and numbers, repeatable elements arrays.\n\n" +
			"**Webhooks** are signed per the Standard Webhooks specification, so its libraries verify them: `webhook-id` (the event's ID, the same on every retry and replay), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, id + \".\" + timestamp + \".\" + body)>`, where the secret is `whsec_<base64>` and key its base64-decoded part; during a secret rotation's overlap it carries two space-separated signatures. The older `Qbconnect-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>` (key: the secret's whole text) is sent too.\n\n" +
			conventions,
		"license": jsonObj{"name": "Proprietary, all rights reserved", "identifier": "LicenseRef-qbconnect-proprietary"},
	}
	doc["tags"] = tags
	doc["x-tagGroups"] = []jsonObj{
		{"name": "Platform", "tags": []string{"Platform", "Company", "Connection", "Sync", "Write", "Live", "Report", "Webhook", "Release"}},
		{"name": "Data types", "tags": append([]string{"Data"}, dataTags...)},
		{"name": "Webhooks", "tags": []string{"Events"}},
	}
	doc["webhooks"] = webhookDocs(comps)
	pruneComponents(doc)
	return doc
}

func connectorDocument() jsonObj {
	docs := gatewayDocs()
	for k, v := range webConnectorDocs() {
		if !strings.HasPrefix(k, "GET /v1/") {
			docs[k] = v
		}
	}
	doc := buildDocument(docs, schemas(), "connector")
	doc["info"] = jsonObj{
		"title":   "qbconnect connector protocol",
		"version": "1.0.0",
		"summary": "How the qbconnect connector and Intuit's QuickBooks Web Connector talk to the platform.",
		"description": "The connector protocol (`/gateway/v1`, see gateway/PROTOCOL.md): the connector next to QuickBooks links company files with a one-time code, long-polls for work, posts QuickBooks' answers and reports each file's state. Authenticate with the connector credential received at link time: `Authorization: Bearer qbc_...`.\n\n" +
			"The QuickBooks Web Connector endpoints (`/qbwc`): the SOAP 1.1 service Intuit's Web Connector calls, authenticated by the user name and password of the connection's .qwc file.\n\n" +
			"Client applications use the client API's document (/v1/openapi.json) instead.",
		"license": jsonObj{"name": "Proprietary, all rights reserved", "identifier": "LicenseRef-qbconnect-proprietary"},
	}
	doc["tags"] = []jsonObj{
		{"name": "Gateway", "description": "The connector protocol."},
		{"name": "Release", "description": "Connector updates."},
		{"name": "WebConnector", "description": "The QuickBooks Web Connector's SOAP service."},
	}
	pruneComponents(doc)
	return doc
}

// publicRoute reports whether an operation takes no credential.
func publicRoute(pattern string) bool {
	switch pattern {
	case "/healthz", "/readyz", "/metrics", "/v1/openapi.json", "/gateway/v1/openapi.json", "/docs", "/docs/redoc.standalone.js":
		return true
	}
	return strings.HasPrefix(pattern, "/qbwc")
}

// buildDocument lays out the paths of docs with the components comps; the
// document's default security is the scheme named security.
func buildDocument(docs map[string]opSpec, comps jsonObj, security string) jsonObj {
	for k, v := range otherDocs {
		if d, ok := docs[k]; ok {
			d.id, d.desc = v.id, v.desc
			docs[k] = d
		}
	}
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	paths := jsonObj{}
	for _, key := range keys {
		spec := docs[key]
		method, pattern, _ := strings.Cut(key, " ")
		item, _ := paths[pattern].(jsonObj)
		if item == nil {
			item = jsonObj{}
			paths[pattern] = item
		}
		var params []jsonObj
		for _, seg := range strings.Split(pattern, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				name := seg[1 : len(seg)-1]
				params = append(params, jsonObj{"name": name, "in": "path", "required": true, "description": pathParamDesc(name),
					"schema": jsonObj{"type": "string"}, "example": exampleID(name)})
			}
		}
		params = append(params, spec.query...)
		responses := jsonObj{}
		for status, resp := range spec.ok {
			responses[strconv.Itoa(status)] = successResponse(status, resp, comps, spec)
		}
		for _, status := range spec.errors {
			responses[strconv.Itoa(status)] = jsonObj{"$ref": "#/components/responses/" + errorResponseName(status)}
		}
		if responses["400"] == nil {
			// Every route refuses a path or query holding NUL, bytes that
			// are not UTF-8 or control characters (text.go).
			responses["400"] = jsonObj{"$ref": "#/components/responses/" + errorResponseName(400)}
		}
		desc := spec.desc
		if desc == "" {
			desc = spec.summary + "."
		}
		op := jsonObj{
			"operationId": spec.id,
			"summary":     spec.summary,
			"description": desc,
			"tags":        []string{spec.tag},
			"responses":   responses,
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if spec.body != nil {
			op["requestBody"] = withExamples(spec.body, comps, "")
		}
		switch {
		case pattern == "/gateway/v1/link":
			op["security"] = []jsonObj{{}, {"connector": []string{}}}
		case publicRoute(pattern):
			op["security"] = []jsonObj{}
		}
		item[strings.ToLower(method)] = op
	}
	return jsonObj{
		"openapi":  "3.1.0",
		"servers":  []jsonObj{{"url": "/", "description": "The server that serves this document (qbconnect demo prints its address)."}},
		"security": []jsonObj{{security: []string{}}},
		"paths":    paths,
		"components": jsonObj{
			"schemas":   comps,
			"responses": errorResponses(comps),
			"headers": jsonObj{
				"X-Request-Id": jsonObj{"description": "The request's ID: the caller's X-Request-Id when it is at most 64 plain characters, a new one otherwise. Error answers repeat it as requestId.",
					"required": true, "schema": jsonObj{"type": "string"}, "example": "req_5f2c9a1b7d3e4f60"},
				"Location": jsonObj{"description": "The address of the created resource, or of the operation (or sync status) to follow.",
					"schema": jsonObj{"type": "string"}, "example": "/v1/operations/op_0a1b2c3d4e5f6a7b"},
				"Retry-After": jsonObj{"description": "Seconds to wait before retrying.", "schema": jsonObj{"type": "integer"}, "example": 5},
			},
			"securitySchemes": jsonObj{
				"apiKey":    jsonObj{"type": "http", "scheme": "bearer", "description": "An organisation's API key (qbk_...)."},
				"connector": jsonObj{"type": "http", "scheme": "bearer", "description": "A connector credential (qbc_...)."},
			},
		},
	}
}

func pathParamDesc(name string) string {
	switch name {
	case "id":
		return "The record's ListID (lists) or TxnID (transactions)."
	case "report":
		return "The report's name."
	case "version":
		return "The release's version."
	case "name":
		return "The artifact's file name."
	}
	return "The " + words(strings.TrimSuffix(name, "Id")) + "'s ID."
}

// exampleID is an example of an ID named name ("companyId", "id").
func exampleID(name string) string {
	switch name {
	case "companyId":
		return "cmp_4k7m2q9x1v8t3b6n"
	case "connectionId":
		return "con_9d2f6h1k5m8p3r7t"
	case "operationId":
		return "op_0a1b2c3d4e5f6a7b"
	case "webhookId":
		return "whk_3c8e1g6j9l2n5q7s"
	case "eventId":
		return "evt_7b3d9f2h5k8m1p4r"
	case "deliveryId", "replayOf":
		return "dlv_5a8c1e4g7j2l6n9q"
	case "campaignId":
		return "rot_2a5c8e1g4j7l9n3q"
	case "itemId":
		return "op_0a1b2c3d4e5f6a7b"
	case "leaseId":
		return "lse_6e9g2j5l8n1q4s7u"
	case "connectorId":
		return "ctr_1f4h7k2m5p8r3t6v"
	case "id", "listId", "txnId":
		return "80000001-1712345678"
	case "report":
		return "profit-and-loss"
	case "version":
		return "1.4.0"
	case "name":
		return "qbconnector-setup.msi"
	case "requestId":
		return "req_5f2c9a1b7d3e4f60"
	case "runId":
		return "syn_8c1e4g7j2l"
	}
	return "id_" + strings.ToLower(name)
}

// successResponse adds headers and examples to a documented answer.
func successResponse(status int, resp jsonObj, comps jsonObj, spec opSpec) jsonObj {
	out := withExamples(resp, comps, "")
	headers := jsonObj{"X-Request-Id": jsonObj{"$ref": "#/components/headers/X-Request-Id"}}
	if status == http.StatusCreated || status == http.StatusAccepted || spec.id == "runQbxml" || strings.HasPrefix(spec.route, "POST ") ||
		strings.HasPrefix(spec.route, "PATCH ") || strings.HasPrefix(spec.route, "DELETE ") {
		headers["Location"] = jsonObj{"$ref": "#/components/headers/Location"}
	}
	out["headers"] = headers
	return out
}

// withExamples returns a copy of a request body or answer whose media
// types each carry an example of their schema.
func withExamples(o jsonObj, comps jsonObj, _ string) jsonObj {
	out := mergeObj(o, jsonObj{})
	content, _ := o["content"].(jsonObj)
	if content == nil {
		return out
	}
	c := jsonObj{}
	for mt, v := range content {
		media := mergeObj(v.(jsonObj), jsonObj{})
		if _, ok := media["example"]; !ok {
			media["example"] = exampleFor(mt, media["schema"].(jsonObj), comps)
		}
		c[mt] = media
	}
	out["content"] = c
	return out
}

func exampleFor(mediaType string, schema jsonObj, comps jsonObj) any {
	switch {
	case mediaType == "application/xml":
		return `<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="1"><MaxReturned>1</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>`
	case mediaType == "text/xml":
		return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><serverVersion xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>`
	case mediaType == "text/plain":
		return "qbconnect"
	case mediaType == "text/html":
		return "<!DOCTYPE html><html lang=\"en\">...</html>"
	case mediaType == "text/javascript":
		return "/* Redoc */"
	case mediaType == "application/octet-stream":
		return "MZ..."
	}
	return (&exampler{comps: comps}).value(schema, "", 0)
}

type exampler struct {
	comps jsonObj
	refs  int // $refs being followed, against recursive schemas
}

// qbxmlKeys are the record fields an example shows besides the required
// ones: enough to recognise a record without printing all of it.
var qbxmlKeys = map[string]bool{
	"listId": true, "txnId": true, "timeCreated": true, "timeModified": true, "editSequence": true, "name": true, "fullName": true,
	"isActive": true, "companyName": true, "email": true, "phone": true, "balance": true, "totalBalance": true, "accountType": true,
	"txnNumber": true, "refNumber": true, "txnDate": true, "dueDate": true, "customerRef": true, "vendorRef": true, "payeeEntityRef": true,
	"subtotal": true, "totalAmount": true, "amount": true, "balanceRemaining": true, "memo": true, "isPaid": true, "id": true,
}

func (e *exampler) value(s jsonObj, key string, depth int) any {
	if r, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(r, "#/components/schemas/")
		target, _ := e.comps[name].(jsonObj)
		if target == nil {
			if m, ok := e.comps[name].(map[string]any); ok {
				target = m
			}
		}
		if target == nil || e.refs > 40 {
			return nil
		}
		e.refs++
		defer func() { e.refs-- }()
		return e.value(target, key, depth)
	}
	if alts, ok := s["anyOf"].([]jsonObj); ok {
		return e.value(alts[0], key, depth)
	}
	if alts, ok := s["oneOf"].([]jsonObj); ok {
		return e.value(alts[0], key, depth)
	}
	if en, ok := s["enum"].([]string); ok && len(en) > 0 {
		return en[0]
	}
	typ := s["type"]
	if ts, ok := typ.([]string); ok {
		typ = ts[0]
	}
	switch typ {
	case "boolean":
		return true
	case "integer":
		if m, ok := s["minimum"]; ok {
			return m
		}
		return 1
	case "number":
		return 1250.5
	case "array":
		items, _ := s["items"].(jsonObj)
		if items == nil {
			items, _ = s["items"].(map[string]any)
		}
		return []any{e.value(items, key, depth+1)}
	case "object":
		return e.object(s, depth)
	}
	return e.text(s, key)
}

func (e *exampler) object(s jsonObj, depth int) any {
	out := map[string]any{}
	props, _ := s["properties"].(jsonObj)
	if props == nil {
		props, _ = s["properties"].(map[string]any)
	}
	req := map[string]bool{}
	if r, ok := s["required"].([]string); ok {
		for _, k := range r {
			req[k] = true
		}
	}
	qbxmlSchema := len(props) > 0 && props["listId"] != nil || props["txnId"] != nil || props["fullName"] != nil
	for k, v := range props {
		ps, _ := v.(jsonObj)
		if ps == nil {
			ps, _ = v.(map[string]any)
		}
		include := req[k] || !qbxmlSchema && depth < 3 || qbxmlSchema && qbxmlKeys[k]
		if !include || ps == nil {
			continue
		}
		if x := e.value(ps, k, depth+1); x != nil {
			out[k] = x
		}
	}
	if ap, ok := s["additionalProperties"].(jsonObj); ok && len(props) == 0 {
		out["key"] = e.value(ap, "", depth+1)
	}
	return out
}

func (e *exampler) text(s jsonObj, key string) string {
	var v string
	if ex, ok := s["examples"].([]string); ok && len(ex) > 0 {
		return ex[0]
	}
	switch s["format"] {
	case "date-time":
		return "2026-03-14T09:30:00Z"
	case "date":
		return "2026-03-14"
	case "decimal":
		return "1250.00"
	case "duration":
		return "PT1H30M"
	}
	switch {
	case key == "code" || key == "userMessage" || key == "resolution" || key == "message":
		v = map[string]string{"code": "K7QX-92MD", "userMessage": "The request could not be processed.",
			"resolution": "Correct the request as the message says and send it again.", "message": "limit must be between 1 and 1000"}[key]
	case key == "editSequence":
		v = "1712345678"
	case key == "url":
		v = "https://app.example.com/hooks/qbconnect"
	case key == "name" || key == "fullName" || key == "companyName":
		v = "Acme Bakery"
	case key == "email":
		v = "books@acme-bakery.example"
	case key == "phone":
		v = "555-0142"
	case key == "refNumber":
		v = "INV-1042"
	case key == "txnNumber":
		v = "1042"
	case key == "memo" || key == "description":
		v = "Monthly order"
	case key == "path":
		v = `C:\Users\Public\Documents\Acme Bakery.qbw`
	case key == "secret":
		v = "whsec_2b7e151628aed2a6abf7158809cf4f3c"
	case key == "credential":
		v = "qbc_9f86d081884c7d659a2feaa0c55ad015"
	case key == "qbCode":
		v = "3200"
	case key == "timeZone":
		v = "America/New_York"
	case key == "from":
		v = "02:00"
	case key == "to":
		v = "05:00"
	case key == "nextCursor":
		v = "eyJrIjoiODAwMDAwMDEifQ"
	case strings.HasSuffix(key, "Id") || key == "id":
		v = exampleID(key)
	case key == "":
		v = "text"
	default:
		v = words(key)
	}
	if m, ok := s["maxLength"].(int); ok && len(v) > m {
		v = v[:m]
	}
	return v
}

// errorResponseName names the shared answer of an error status.
func errorResponseName(status int) string {
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

// errorStatuses lists every error status an operation may document, with
// the code it answers.
var errorStatuses = map[int]qbconnect.ErrorCode{
	400: qbconnect.EInvalid, 401: qbconnect.EUnauthorized, 403: qbconnect.EForbidden, 404: qbconnect.ENotFound,
	409: qbconnect.EConflict, 413: qbconnect.ETooLarge, 422: qbconnect.EIdempotencyMismatch, 429: qbconnect.ERateLimited,
	500: qbconnect.EInternal, 502: qbconnect.EQuickBooks, 503: qbconnect.EUnavailable, 504: qbconnect.ETimeout,
}

func errorResponses(comps jsonObj) jsonObj {
	out := jsonObj{}
	for status, code := range errorStatuses {
		user, resolution := control.DefaultUserMessage(code)
		example := jsonObj{"error": jsonObj{"code": string(code), "message": errorCodeMeaning[code], "userMessage": user,
			"resolution": resolution, "requestId": "req_5f2c9a1b7d3e4f60"}}
		if code == qbconnect.EQuickBooks {
			example["error"].(jsonObj)["qbCode"] = "3200"
		}
		headers := jsonObj{"X-Request-Id": jsonObj{"$ref": "#/components/headers/X-Request-Id"}}
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			headers["Retry-After"] = jsonObj{"$ref": "#/components/headers/Retry-After"}
		}
		if status == http.StatusUnauthorized {
			headers["WWW-Authenticate"] = jsonObj{"description": "Bearer realm=\"qbconnect\".", "schema": jsonObj{"type": "string"}}
		}
		out[errorResponseName(status)] = jsonObj{
			"description": fmt.Sprintf("%s: code %s. %s", http.StatusText(status), code, errorCodeMeaning[code]),
			"headers":     headers,
			"content":     jsonObj{"application/json": jsonObj{"schema": ref("Error"), "example": example}},
		}
	}
	return out
}

// errorCodeMeaning says when each code is answered.
var errorCodeMeaning = map[qbconnect.ErrorCode]string{
	qbconnect.EInvalid:             "The request is malformed or a field is wrong; the message names it.",
	qbconnect.ENotFound:            "Unknown ID, an ID of another organisation, or no such path.",
	qbconnect.EConflict:            "The state conflicts: a stale editSequence, a duplicate name in QuickBooks, a used link code, a connection that is not linked.",
	qbconnect.EIdempotencyMismatch: "The Idempotency-Key was already used for a different request.",
	qbconnect.EUnauthorized:        "The credential is missing, unknown or revoked.",
	qbconnect.EForbidden:           "The credential may not do that.",
	qbconnect.ETooLarge:            "The request body is over the limit.",
	qbconnect.ERateLimited:         "Too many attempts; retry after Retry-After seconds.",
	qbconnect.EUnavailable:         "QuickBooks or the connector cannot be reached now; retry after Retry-After seconds.",
	qbconnect.ETimeout:             "The operation did not finish before its deadline.",
	qbconnect.EQuickBooks:          "QuickBooks answered with an error status; qbCode holds it.",
	qbconnect.EInternal:            "A bug or an infrastructure failure; the request ID helps the operator find it.",
}

// errorCatalogue is the description of ErrorCode: every code with its HTTP
// status and meaning, and the qbCode families.
func errorCatalogue() string {
	var b strings.Builder
	b.WriteString("The stable code of an error. Clients may switch on it; its text never changes.\n\n| code | HTTP | meaning |\n|---|---|---|\n")
	for _, c := range errorCodes() {
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", c, httpStatus(qbconnect.ErrorCode(c)), errorCodeMeaning[qbconnect.ErrorCode(c)])
	}
	b.WriteString("\n`qbCode`, when present, is what QuickBooks said:\n\n" +
		"| qbCode | family |\n|---|---|\n" +
		"| `1` to `999` | qbXML status codes of a request that QuickBooks ran: 1 means no match (a query found nothing), 500 to 599 warnings on some of the results. |\n" +
		"| `3000` to `3999` | qbXML status codes of a request QuickBooks refused: 3100 duplicate name, 3120 the record named by its ID was not found, 3140 invalid reference to another record, 3160 the record cannot be deleted (transactions use the name or item, or payments, credits or a deposit depend on the transaction), 3161 the transaction is dated on or before the closing date and cannot be deleted, 3170 error when modifying (another user changed the record, or payments or credits are applied to it), 3171 the transaction is dated on or before the closing date and cannot be modified, 3175 the record is in use by another user, 3180 error saving, 3200 stale editSequence (answered as conflict), 3250 feature not enabled, 3260 the QuickBooks user lacks permission, 3263 the application has read-only access. |\n" +
		"| `9000` to `9999` | qbXML status codes of the request processor: 9001 invalid checksum, other session-level errors. |\n" +
		"| `0x8004....` | HRESULTs of QuickBooks' request processor (QBXMLRP2): QuickBooks closed (0x80040408), wrong file open (0x80040409, 0x8004041E), access denied (0x80040402 and neighbours), dialogs and modes; the connection's health code says what to do. |\n")
	return b.String()
}

// healthCodes lists every health code a connection may show.
func healthCodes() []string {
	return []string{
		qbconnect.HealthOK, qbconnect.HealthNeverConnected, qbconnect.HealthConnectorOffline, qbconnect.HealthPaused,
		qbconnect.HealthFileMismatch, qbconnect.HealthRevoked,
		qbd.CondQBClosed, qbd.CondQBNotResponding, qbd.CondNoCompanyOpen, qbd.CondWrongFileOpen, qbd.CondAuthPending, qbd.CondAuthRequired,
		qbd.CondAccessDenied, qbd.CondAccessRemoved, qbd.CondAutoLoginNotAllowed, qbd.CondCertChanged, qbd.CondCertExpired, qbd.CondCertRevoked,
		qbd.CondModalDialog, qbd.CondWrongMode, qbd.CondSingleUserConflict, qbd.CondFileLocked, qbd.CondQBStarting, qbd.CondCannotStart,
		qbd.CondFileNotFound, qbd.CondFileVersion, qbd.CondQBXMLParseError, qbd.CondQBXMLVersion, qbd.CondSessionExpired,
		qbd.CondEditionUnsupported, qbd.CondSDKNotInstalled, qbd.CondQBNotInstalled, qbd.CondInternal, qbd.CondUnknown,
		"checking", "platform_unreachable", // the connector's own, before it talked to QuickBooks
	}
}

// durationSchema is a duration as the API writes it: Go's duration text.
// qbconnect.Duration also reads a number of seconds, the earlier spelling,
// which the document no longer offers (one type per field).
func durationSchema() jsonObj {
	return jsonObj{"type": "string", "pattern": `^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$`,
		"examples":    []string{"15m"},
		"description": "Go duration text, such as \"90s\", \"15m\" or \"6h\". A number of seconds is still read, for compatibility."}
}

// eventSchemas are the payloads of the webhook deliveries.
func eventSchemas() jsonObj {
	events := make([]string, 0, 6)
	for _, ev := range qbconnect.EventTypes() {
		events = append(events, string(ev))
	}
	envelope := func(typ qbconnect.EventType, data jsonObj, desc string) jsonObj {
		o := object([]string{"id", "type", "createdAt", "data"}, jsonObj{
			"id": str("The event's ID; deliveries of one event share it (Qbconnect-Event-Id)."), "type": enum(string(typ)),
			"companyId": str("The company the event is about."), "createdAt": dateTime(), "data": data,
		})
		o["description"] = desc
		return o
	}
	return jsonObj{
		"EventType": withDesc(enum(events...), strings.Join(events, ", ")+"."),
		"ConnectionStatusChange": withDesc(object([]string{"connection", "previousStatus", "previousHealthCode"}, jsonObj{
			"connection":         withDesc(ref("Connection"), "The connection after the change, as GET .../connections/{connectionId} shows it."),
			"previousStatus":     withDesc(ref("ConnectionStatus"), "The status before the change (the same as connection.status when only the health changed)."),
			"previousHealthCode": withDesc(ref("HealthCode"), "The health code before the change (the same as connection.health.code when only the status changed)."),
		}), "What changed on a connection: the connection as it now is, and its status and health code before."),
		"ConnectionStatusChangedEvent": envelope(qbconnect.EventConnectionStatusChanged, ref("ConnectionStatusChange"), "A connection's status or its health code changed."),
		"SyncCompletedEvent": envelope(qbconnect.EventSyncCompleted, object([]string{"id", "companyId", "trigger", "status", "startedAt", "finishedAt", "dataTypes"}, jsonObj{
			"id": str("The sync's ID (syncId of its passes in the sync history)."), "companyId": str(""), "trigger": enum(string(qbconnect.TriggerSchedule), string(qbconnect.TriggerOnDemand)),
			"status":    withDesc(enum("Complete", "Failed"), "Complete when every pass completed; Failed when one failed (its sync.failed was sent when it did)."),
			"startedAt": dateTime(), "finishedAt": dateTime(),
			"dataTypes": withDesc(array(object([]string{"dataType", "runId", "mode", "status", "pages", "fetched", "deleted"}, jsonObj{
				"dataType": str(""), "runId": str("The pass, as the sync history shows it."), "mode": enum("full", "incremental"),
				"fullReason": fullReasonField(), "status": enum("Complete", "Failed"), "pages": integer(), "fetched": withDesc(integer(), "Records received."),
				"deleted": withDesc(integer(), "Deletions received."), "error": ref("EmbeddedError"),
			})), "One entry per data type the sync passed over, by name."),
		}), "A company's sync ended: once per sync (the data types one request or one scheduled start synced together), with the counts of each data type's pass."),
		"SyncFailedEvent":     envelope(qbconnect.EventSyncFailed, ref("SyncState"), "A sync pass of one data type failed; data.error says why. The sync's sync.completed follows once its other passes ended."),
		"WriteSucceededEvent": envelope(qbconnect.EventWriteSucceeded, ref("Operation"), "A client's write ran in QuickBooks; data.record is the record as QuickBooks saved it."),
		"WriteFailedEvent":    envelope(qbconnect.EventWriteFailed, ref("Operation"), "A client's write failed or timed out; data.error says why."),
		"RotationConnectionUpdatedEvent": envelope(qbconnect.EventRotationConnectionUpdated, object([]string{"campaignId", "previousState", "connection"}, jsonObj{
			"campaignId": str(""), "previousState": withDesc(ref("CampaignState"), "The connection's state in the campaign before."),
			"connection": withDesc(ref("CampaignConnection"), "The connection's state in the campaign now, with its company and what the end user should do."),
		}), "During a certificate-rotation campaign, a connection moved to another state."),
		"RecordCreatedEvent": envelope(qbconnect.EventRecordCreated, recordChangesSchema("created"),
			"Records of one data type were created in QuickBooks: one event per sync page (source sync) or per write (source write), with their IDs. GET the records to read them."),
		"RecordUpdatedEvent": envelope(qbconnect.EventRecordUpdated, recordChangesSchema("changed (or voided)"),
			"Records of one data type changed in QuickBooks: one event per sync page or per write. A record the sync saw unchanged is not in it. "+
				"Customers and vendors whose balances a sync page's or a write's transactions moved are read again and reported in an event of their own, naming that page's pass or that write."),
		"RecordDeletedEvent": envelope(qbconnect.EventRecordDeleted, recordChangesSchema("deleted"),
			"Records of one data type were deleted in QuickBooks: one event per sync page or per write; GET with includeDeleted=true still shows them."),
		"WebhookTestEvent": envelope(qbconnect.EventWebhookTest, object([]string{"webhookId", "message"}, jsonObj{
			"webhookId": str("The endpoint the test was sent to."), "message": str("Says that the event reports nothing that happened."),
		}), "A test event, sent on request (testWebhook) to the one endpoint asked, whatever the event types it subscribes to."),
	}
}

// recordChangesSchema is the data of the record.* events.
func recordChangesSchema(what string) jsonObj {
	return object([]string{"dataType", "ids", "source"}, jsonObj{
		"dataType":    str("The data type, as in paths (customers, invoices, ...)."),
		"ids":         withDesc(array(str("")), "The IDs (ListID or TxnID) of the records "+what+"."),
		"source":      withDesc(enum("sync", "write"), "What brought the change: a sync page, or a client's write through the API."),
		"runId":       str("The sync pass, for source sync (the sync history's id): for customers and vendors read again because their balances moved, the pass of the transactions that moved them."),
		"operationId": str("The write, for source write: for customers and vendors, the write that moved their balances."),
	})
}

// webhookDocs is the document's webhooks object: one POST per event type.
func webhookDocs(comps jsonObj) jsonObj {
	schemaOf := map[qbconnect.EventType]string{
		qbconnect.EventConnectionStatusChanged:   "ConnectionStatusChangedEvent",
		qbconnect.EventSyncCompleted:             "SyncCompletedEvent",
		qbconnect.EventSyncFailed:                "SyncFailedEvent",
		qbconnect.EventWriteSucceeded:            "WriteSucceededEvent",
		qbconnect.EventWriteFailed:               "WriteFailedEvent",
		qbconnect.EventRotationConnectionUpdated: "RotationConnectionUpdatedEvent",
		qbconnect.EventWebhookTest:               "WebhookTestEvent",
		qbconnect.EventRecordCreated:             "RecordCreatedEvent",
		qbconnect.EventRecordUpdated:             "RecordUpdatedEvent",
		qbconnect.EventRecordDeleted:             "RecordDeletedEvent",
	}
	header := func(name, desc string) jsonObj {
		return jsonObj{"name": name, "in": "header", "required": true, "description": desc, "schema": jsonObj{"type": "string"}}
	}
	out := jsonObj{}
	for _, ev := range qbconnect.EventTypes() {
		name := schemaOf[ev]
		desc, _ := comps[name].(jsonObj)["description"].(string)
		id := "on" + strings.TrimSuffix(name, "Event")
		out[string(ev)] = jsonObj{"post": jsonObj{
			"operationId": id,
			"summary":     string(ev),
			"description": desc + " POSTed to every webhook endpoint subscribed to " + string(ev) + ". Verify webhook-signature (any Standard Webhooks library does) or Qbconnect-Signature before trusting the body; deliveries are retried and may be replayed, so the same event may arrive more than once, always with the same webhook-id.",
			"tags":        []string{"Events"},
			"security":    []jsonObj{},
			"parameters": []jsonObj{
				header(qbconnect.WebhookHeaderID, "The event's ID: the same on every retry and replay of the event, so receivers deduplicate by it (Standard Webhooks)."),
				header(qbconnect.WebhookHeaderTimestamp, "When the attempt was signed, in Unix seconds (Standard Webhooks); reject one far from now."),
				header(qbconnect.WebhookHeaderStandardSignature, "Space-separated v1,<base64 HMAC-SHA256(key, webhook-id + \".\" + webhook-timestamp + \".\" + body)>, key the base64-decoded part of the whsec_ secret (Standard Webhooks); two during a secret rotation's overlap."),
				header(qbconnect.WebhookHeaderSignature, "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>; several v1 during a secret's rotation."),
				header(qbconnect.WebhookHeaderEventID, "The event's ID."),
				header(qbconnect.WebhookHeaderEventType, "The event's type."),
				header(qbconnect.WebhookHeaderDeliveryID, "The delivery's ID, as the delivery log shows it."),
			},
			"requestBody": withExamples(jsonBody(ref(name), true), comps, ""),
			"responses": jsonObj{
				"200": jsonObj{"description": "Any 2xx answer acknowledges the delivery."},
				"400": jsonObj{"description": "Any other answer, or none within 15 seconds, fails the attempt; the delivery is retried with backoff."},
			},
		}}
	}
	return out
}

// pruneComponents drops the schemas no part of doc refers to.
func pruneComponents(doc jsonObj) {
	comps := doc["components"].(jsonObj)
	schemas := comps["schemas"].(jsonObj)
	keep := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case jsonObj:
			if r, ok := x["$ref"].(string); ok && strings.HasPrefix(r, "#/components/schemas/") {
				name := strings.TrimPrefix(r, "#/components/schemas/")
				if !keep[name] {
					keep[name] = true
					walk(schemas[name])
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []jsonObj:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc["paths"])
	walk(doc["webhooks"])
	used := func(kind string) map[string]bool {
		m := map[string]bool{}
		b, _ := json.Marshal(jsonObj{"p": doc["paths"], "w": doc["webhooks"], "r": comps["responses"]})
		prefix := `"#/components/` + kind + `/`
		for _, part := range strings.Split(string(b), prefix)[1:] {
			name, _, _ := strings.Cut(part, `"`)
			m[name] = true
		}
		return m
	}
	responses := used("responses")
	for name := range comps["responses"].(jsonObj) {
		if !responses[name] {
			delete(comps["responses"].(jsonObj), name)
		}
	}
	walk(comps["responses"])
	headers := used("headers")
	for name := range comps["headers"].(jsonObj) {
		if !headers[name] {
			delete(comps["headers"].(jsonObj), name)
		}
	}
	security, _ := doc["security"].([]jsonObj)
	for name := range comps["securitySchemes"].(jsonObj) {
		if len(security) == 0 || security[0][name] == nil {
			delete(comps["securitySchemes"].(jsonObj), name)
		}
	}
	kept := jsonObj{}
	for name := range keep {
		kept[name] = schemas[name]
	}
	comps["schemas"] = kept
}
