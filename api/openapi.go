package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// The OpenAPI 3.1 document of every route, built here next to the route
// table and served at /v1/openapi.json. Tests validate every request and
// answer they make against it, and check that its paths are exactly the
// route table's.

func (s *Server) registerOpenAPI(rs *routeSet) {
	rs.add("GET", "/v1/openapi.json", AuthNone, s.serveOpenAPI)
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this endpoint takes no query parameters")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(OpenAPI())
	return nil
}

// OpenAPI returns the OpenAPI 3.1 document of the API as JSON.
func OpenAPI() []byte {
	b, err := json.MarshalIndent(openAPIDocument(), "", "  ")
	if err != nil {
		panic("api: OpenAPI document: " + err.Error()) // a bug in the literal below
	}
	return b
}

type jsonObj = map[string]any

func ref(name string) jsonObj { return jsonObj{"$ref": "#/components/schemas/" + name} }
func str(desc string) jsonObj {
	o := jsonObj{"type": "string"}
	if desc != "" {
		o["description"] = desc
	}
	return o
}
func dateTime() jsonObj                    { return jsonObj{"type": "string", "format": "date-time"} }
func integer() jsonObj                     { return jsonObj{"type": "integer"} }
func boolean() jsonObj                     { return jsonObj{"type": "boolean"} }
func array(items jsonObj) jsonObj          { return jsonObj{"type": "array", "items": items} }
func nullable(t string) jsonObj            { return jsonObj{"type": []string{t, "null"}} }
func enum(values ...string) jsonObj        { return jsonObj{"type": "string", "enum": values} }
func withDesc(o jsonObj, d string) jsonObj { o["description"] = d; return o }

// object is a closed object schema: the document lists every field an
// answer may carry, so that a field added without documentation fails the
// tests.
func object(required []string, props jsonObj) jsonObj {
	if required == nil {
		required = []string{}
	}
	return jsonObj{"type": "object", "required": required, "properties": props, "additionalProperties": false}
}

// listOf is a list answered whole: the page shape, always the last page.
func listOf(item jsonObj) jsonObj { return pageOf(item) }

// looseList is a list whose items another part of the platform defines.
func looseList() jsonObj {
	return object([]string{"data"}, jsonObj{"data": array(jsonObj{"type": "object"})})
}

func pageOf(item jsonObj) jsonObj {
	return object([]string{"data", "hasMore", "nextCursor"}, jsonObj{
		"data": array(item), "hasMore": boolean(),
		"nextCursor": withDesc(nullable("string"), "Pass as ?cursor= for the next page; null on the last page."),
	})
}

// countedPage is a page that carries totalCount when asked (count=true).
func countedPage(item jsonObj) jsonObj {
	p := pageOf(item)
	p["properties"].(jsonObj)["totalCount"] = withDesc(integer(), "With count=true: every record the filters select, on every page.")
	return p
}

func errorCodes() []string {
	return []string{string(qbconnect.EInvalid), string(qbconnect.ENotFound), string(qbconnect.EConflict), string(qbconnect.EIdempotencyMismatch), string(qbconnect.EUnauthorized),
		string(qbconnect.EForbidden), string(qbconnect.ETooLarge), string(qbconnect.ERateLimited), string(qbconnect.EUnavailable),
		string(qbconnect.ETimeout), string(qbconnect.EQuickBooks), string(qbconnect.EInternal)}
}

func schemas() jsonObj {
	embeddedError := object([]string{"code", "message", "userMessage", "resolution"}, jsonObj{
		"code": enum(errorCodes()...), "message": str("For developers."), "userMessage": str("For the end user."),
		"resolution": str("What to do."), "qbCode": str("QuickBooks' statusCode or HRESULT (\"0x80040408\")."),
	})
	fileIdentity := object([]string{"path", "companyName"}, jsonObj{"path": str(""), "companyName": str(""), "fileId": str("")})
	syncWindow := object(nil, jsonObj{
		"timeZone": str("IANA time zone; empty is UTC."),
		"days":     array(jsonObj{"type": "integer", "minimum": 0, "maximum": 6}),
		"from":     str("HH:MM"), "to": str("HH:MM"),
	})
	syncSchedule := object(nil, jsonObj{
		"every":  withDesc(jsonObj{"type": []string{"string", "number"}}, "Interval such as \"6h\" (or seconds), at least 1 minute. Left out or 0, it is one hour (\"1h0m0s\"), which the company then shows; negative disables automatic syncs."),
		"window": syncWindow,
	})
	companyFields := jsonObj{
		"name": jsonObj{"type": "string", "maxLength": maxNameLen}, "externalId": jsonObj{"type": "string", "maxLength": maxExternalIDLen},
		"metadata": jsonObj{"type": "object", "additionalProperties": jsonObj{"type": "string"}}, "syncSchedule": ref("SyncSchedule"),
	}
	companyPatch := object(nil, jsonObj{
		"name": companyFields["name"], "externalId": companyFields["externalId"],
		"metadata":     jsonObj{"type": []string{"object", "null"}, "additionalProperties": jsonObj{"type": "string"}},
		"syncSchedule": ref("SyncSchedule"),
	})
	companyCreate := object([]string{"name"}, companyFields)
	health := object([]string{"code", "message", "since", "needsUserAction"}, jsonObj{
		"code": str("\"ok\" or what is wrong, such as \"qb_closed\", \"connector_offline\"."), "message": str(""), "resolution": str(""),
		"qbCode": str(""), "since": dateTime(), "lastRequestAt": dateTime(), "lastSuccessAt": dateTime(), "needsUserAction": boolean(),
	})
	connection := object([]string{"id", "companyId", "kind", "status", "health", "file", "paused", "createdAt", "updatedAt"}, jsonObj{
		"id": str(""), "companyId": str(""), "kind": enum("connector", "webconnector"),
		"status": enum("PendingAuth", "Linked", "Unlinked", "Deauthorized"), "health": ref("Health"),
		"connectorId": str(""), "file": ref("FileIdentity"), "paused": boolean(), "pausedUntil": dateTime(),
		"pausedBy":  enum("connector", "api"),
		"createdAt": dateTime(), "updatedAt": dateTime(), "linkedAt": dateTime(),
	})
	syncState := object([]string{"dataType", "status", "pages", "fetched", "deleted", "remaining", "restarts"}, jsonObj{
		"dataType": str(""), "status": enum("Idle", "Queued", "Fetching", "Complete", "Failed"),
		"mode": enum("full", "incremental"), "trigger": enum("schedule", "onDemand"), "runId": str(""),
		"pages": integer(), "fetched": integer(), "deleted": integer(), "remaining": integer(), "restarts": integer(),
		"startedAt": dateTime(), "lastCompletedAt": dateTime(), "lastFullSyncAt": dateTime(), "updatedAt": dateTime(),
		"error": ref("EmbeddedError"),
	})
	syncRun := object([]string{"id", "dataType", "mode", "trigger", "status", "pages", "fetched", "deleted", "restarts", "startedAt", "durationMs"}, jsonObj{
		"id": str(""), "dataType": str(""), "mode": enum("full", "incremental"), "trigger": enum("schedule", "onDemand"),
		"status": enum("Queued", "Fetching", "Complete", "Failed"), "pages": integer(), "fetched": integer(), "deleted": integer(),
		"restarts": integer(), "startedAt": dateTime(), "finishedAt": dateTime(), "durationMs": integer(), "error": ref("EmbeddedError"),
	})
	operation := object([]string{"id", "companyId", "kind", "status", "attempts", "createdAt", "updatedAt"}, jsonObj{
		"id": str(""), "companyId": str(""), "kind": enum("sync", "write", "qbxml", "health", "stamp"),
		"status":   withDesc(enum(statusPending, "Success", "Failed", "TimedOut", "Canceled"), "Pending until QuickBooks ran it."),
		"dataType": str(""), "action": enum("create", "update", "delete", "void"), "recordId": str(""),
		"idempotencyKey": str(""), "attempts": integer(), "error": ref("EmbeddedError"),
		"record":   withDesc(ref("Record"), "The created or updated record, once the write succeeded."),
		"response": str("The raw qbXML answer of a passthrough, once it succeeded."),
		"deadline": dateTime(), "createdAt": dateTime(), "updatedAt": dateTime(), "completedAt": dateTime(),
	})
	record := jsonObj{"type": "object", "required": []string{"id"}, "additionalProperties": true,
		"description": "The record as camelCase JSON of its qbXML Ret element (ListID is listId, EditSequence editSequence, CustomerRef customerRef {listId, fullName}; repeatable children are arrays; amounts are strings).",
		"properties": jsonObj{"id": str("ListID or TxnID."), "editSequence": str("Required by updates."),
			"deleted": withDesc(boolean(), "Present (true) for records deleted in QuickBooks, with ?includeDeleted=true.")}}
	webhook := object([]string{"id", "url", "events", "createdAt"}, jsonObj{
		"id": str(""), "url": str(""), "description": str(""), "events": array(ref("EventType")), "createdAt": dateTime(),
	})
	webhookCreated := object([]string{"id", "url", "events", "createdAt", "secret"}, jsonObj{
		"id": str(""), "url": str(""), "description": str(""), "events": array(ref("EventType")), "createdAt": dateTime(),
		"secret": str("Signing secret, shown only here."),
	})
	events := make([]string, 0, 5)
	for _, ev := range qbconnect.EventTypes() {
		events = append(events, string(ev))
	}
	delivery := object([]string{"id", "webhookId", "eventId", "eventType", "status", "attempts", "createdAt"}, jsonObj{
		"id": str(""), "webhookId": str(""), "eventId": str(""), "eventType": ref("EventType"),
		"status": enum("Pending", "Delivered", "Failed"), "createdAt": dateTime(), "deliveredAt": dateTime(),
		"attempts": array(object([]string{"at", "durationMs"}, jsonObj{"at": dateTime(), "statusCode": integer(), "error": str(""), "durationMs": integer()})),
	})
	gwFile := ref("FileIdentity")
	gwConnector := object([]string{"version"}, jsonObj{"version": str(""), "signer": str(""), "thumbprint": str(""), "hostname": str("")})
	gwConnection := object([]string{"id", "companyId", "status", "file", "paused"}, jsonObj{
		"id": str(""), "companyId": str(""), "status": str(""), "file": gwFile, "paused": boolean(),
		"pausedUntil": dateTime(), "companyName": str("The company's name on the platform."), "orgName": str("The client organisation's name."),
	})
	pauseChange := object([]string{"paused", "at"}, jsonObj{"paused": boolean(), "until": dateTime(), "at": dateTime()})
	workItem := object([]string{"id", "leaseId", "connectionId", "companyId", "file", "kind", "request", "attempt", "leaseExpiresAt"}, jsonObj{
		"id": str(""), "leaseId": str(""), "connectionId": str(""), "companyId": str(""), "file": gwFile, "kind": str(""),
		"request": str("qbXML request document."), "messageSetId": str(""), "attempt": integer(), "leaseExpiresAt": dateTime(), "deadline": dateTime(),
	})
	failure := object([]string{"condition"}, jsonObj{
		"hresult": str(""), "message": str(""), "condition": str(""), "userMessage": str(""), "resolution": str(""),
		"needsUserAction": boolean(), "retryable": boolean(),
	})
	fileState := object([]string{"connectionId", "condition"}, jsonObj{
		"connectionId": str(""), "file": gwFile, "paused": boolean(), "pauseChange": pauseChange, "condition": str(""), "hresult": str(""), "message": str(""),
		"userMessage": str(""), "resolution": str(""), "needsUserAction": boolean(), "lastRequestAt": dateTime(), "lastSuccessAt": dateTime(),
	})
	return jsonObj{
		"Error": object([]string{"error"}, jsonObj{"error": object([]string{"code", "message", "userMessage", "resolution", "requestId"}, jsonObj{
			"code": enum(errorCodes()...), "message": str("For developers."), "userMessage": str("For the end user."),
			"resolution": str("What to do."), "requestId": str("Also in the X-Request-Id header."),
			"qbCode": str("QuickBooks' statusCode or HRESULT, when the error came from QuickBooks."),
		})}),
		"EmbeddedError":  embeddedError,
		"FileIdentity":   fileIdentity,
		"SyncSchedule":   syncSchedule,
		"Company":        object([]string{"id", "name", "syncSchedule", "createdAt", "updatedAt"}, mergeObj(companyFields, jsonObj{"id": str(""), "createdAt": dateTime(), "updatedAt": dateTime()})),
		"CompanyCreate":  companyCreate,
		"CompanyPatch":   companyPatch,
		"Health":         health,
		"Connection":     connection,
		"LinkCode":       object([]string{"companyId", "connectionId", "expiresAt"}, jsonObj{"code": str("Shown only here."), "companyId": str(""), "connectionId": str(""), "expiresAt": dateTime()}),
		"DataType":       object([]string{"name", "object", "transaction", "actions"}, jsonObj{"name": str(""), "object": str("qbXML object."), "transaction": boolean(), "actions": array(enum("create", "update", "delete", "void")), "refFilter": str("Query parameter filtering by the customer, vendor, payee or parent.")}),
		"Record":         record,
		"SyncState":      syncState,
		"SyncStatus":     object([]string{"companyId", "data"}, jsonObj{"companyId": str(""), "data": array(ref("SyncState"))}),
		"SyncRun":        syncRun,
		"Operation":      operation,
		"EventType":      enum(events...),
		"Webhook":        webhook,
		"WebhookCreated": webhookCreated,
		"Delivery":       delivery,
		"HealthCheck": object([]string{"companyId", "connectionId", "status", "durationMs", "checkedAt", "quickbooks"}, jsonObj{
			"companyId": str(""), "connectionId": str(""), "status": enum("ok"), "durationMs": integer(), "checkedAt": dateTime(),
			"quickbooks": object(nil, jsonObj{"productName": str(""), "majorVersion": str(""), "minorVersion": str(""), "country": str("")}),
		}),
		"GatewayConnector":  gwConnector,
		"GatewayConnection": gwConnection,
		"WorkItem":          workItem,
		"Failure":           failure,
		"FileState":         fileState,
	}
}

func mergeObj(a, b jsonObj) jsonObj {
	out := jsonObj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// opSpec documents one route.
type opSpec struct {
	summary string
	tag     string
	query   []jsonObj // query and header parameters
	body    jsonObj   // request body (content by media type); nil for none
	ok      map[int]jsonObj
	errors  []int // error statuses the route answers, each with the Error schema
}

func jsonBody(schema jsonObj, required bool) jsonObj {
	return jsonObj{"required": required, "content": jsonObj{"application/json": jsonObj{"schema": schema}}}
}

func jsonResp(desc string, schema jsonObj) jsonObj {
	return jsonObj{"description": desc, "content": jsonObj{"application/json": jsonObj{"schema": schema}}}
}

func noContent(desc string) jsonObj { return jsonObj{"description": desc} }

func queryParam(name, desc string, schema jsonObj) jsonObj {
	return jsonObj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func headerParam(name, desc string) jsonObj {
	return jsonObj{"name": name, "in": "header", "required": false, "description": desc, "schema": jsonObj{"type": "string", "maxLength": maxIdempotencyKey}}
}

func pageQueryParams() []jsonObj {
	return []jsonObj{
		queryParam("limit", "Page size, 1 to 1000 (default 100).", jsonObj{"type": "integer", "minimum": 1, "maximum": 1000}),
		queryParam("cursor", "nextCursor of the previous page.", str("")),
	}
}

func waitQuery() jsonObj {
	return queryParam("wait", "Wait up to this long (such as \"30s\", at most 60s) for the operation to finish.", str(""))
}

// routeDocs documents every route, keyed "METHOD pattern".
func routeDocs() map[string]opSpec {
	companyID := "Company"
	writeErrors := []int{400, 401, 404, 409, 413, 422, 502, 504}
	writeQuery := []jsonObj{
		waitQuery(),
		queryParam("timeout", "The write becomes TimedOut if QuickBooks has not run it within this duration.", str("")),
		headerParam("Idempotency-Key", "Repeating a request with the same key returns the first operation; reusing a key for a different request answers 422 idempotency_mismatch."),
	}
	opAnswers := map[int]jsonObj{
		200: jsonResp("The operation finished (with ?wait), or succeeded earlier.", ref("Operation")),
		202: jsonResp("The operation is queued; follow Location.", ref("Operation")),
	}
	recordFilters := pageQueryParams()
	recordFilters = append(recordFilters,
		queryParam("updatedSince", "Records stored at or after this RFC 3339 time.", dateTime()),
		queryParam("includeDeleted", "Also list records deleted in QuickBooks.", boolean()),
		queryParam("name", "Exact FullName (lists) or RefNumber (transactions).", str("")),
		queryParam("namePrefix", "Name or RefNumber starting with this.", str("")),
		queryParam("refNumber", "Transactions: exact RefNumber.", str("")),
		queryParam("txnDateFrom", "Transactions: TxnDate on or after (YYYY-MM-DD).", jsonObj{"type": "string", "format": "date"}),
		queryParam("txnDateTo", "Transactions: TxnDate on or before (YYYY-MM-DD).", jsonObj{"type": "string", "format": "date"}),
		queryParam("active", "Lists: active or inactive elements only.", boolean()),
		queryParam("customerId", "Types whose refFilter is customerId.", str("")),
		queryParam("vendorId", "Types whose refFilter is vendorId.", str("")),
		queryParam("payeeId", "Types whose refFilter is payeeId.", str("")),
		queryParam("parentId", "Types whose refFilter is parentId.", str("")),
		queryParam("customerIds", "Types whose refFilter is customerId: any of these comma-separated IDs (at most 100).", str("")),
		queryParam("vendorIds", "Types whose refFilter is vendorId: any of these comma-separated IDs (at most 100).", str("")),
		queryParam("payeeIds", "Types whose refFilter is payeeId: any of these comma-separated IDs (at most 100).", str("")),
		queryParam("parentIds", "Types whose refFilter is parentId: any of these comma-separated IDs (at most 100).", str("")),
		queryParam("ids", "Only these records: comma-separated IDs (at most 100).", str("")),
		queryParam("updatedBefore", "Records stored before this RFC 3339 time.", dateTime()),
		queryParam("refNumberFrom", "Transactions: RefNumber from this (compared as text).", str("")),
		queryParam("refNumberTo", "Transactions: RefNumber up to this (compared as text).", str("")),
		queryParam("sort", "Order of the list; - sorts descending; ties by ID. Keep it while paging.", enum(qbconnect.RecordSorts...)),
		queryParam("count", "Also answer totalCount, the number of records the filters select.", boolean()),
	)
	pageQuery := pageQueryParams()
	return map[string]opSpec{
		"GET /healthz": {summary: "Liveness probe", tag: "Platform", ok: map[int]jsonObj{200: jsonResp("The process runs.", object([]string{"status"}, jsonObj{"status": enum("ok")}))}},
		"GET /readyz":  {summary: "Readiness probe", tag: "Platform", ok: map[int]jsonObj{200: jsonResp("Ready.", object([]string{"status"}, jsonObj{"status": enum("ready")}))}, errors: []int{503}},
		"GET /metrics": {summary: "Prometheus metrics", tag: "Platform", ok: map[int]jsonObj{200: {"description": "Prometheus text format.", "content": jsonObj{"text/plain": jsonObj{"schema": str("")}}}}},
		"GET /v1/openapi.json": {summary: "This document", tag: "Platform", errors: []int{400},
			ok: map[int]jsonObj{200: jsonResp("The OpenAPI 3.1 document.", jsonObj{"type": "object"})}},

		"POST /v1/companies": {summary: "Create a company", tag: companyID, body: jsonBody(ref("CompanyCreate"), true),
			ok: map[int]jsonObj{201: jsonResp("Created.", ref("Company"))}, errors: []int{400, 401, 413}},
		"GET /v1/companies": {summary: "List companies", tag: companyID,
			query: append(pageQueryParams(), queryParam("externalId", "Only the companies with this externalId.", str(""))),
			ok:    map[int]jsonObj{200: jsonResp("A page, oldest first.", pageOf(ref("Company")))}, errors: []int{400, 401}},
		"GET /v1/companies/{companyId}": {summary: "Get a company", tag: companyID,
			ok: map[int]jsonObj{200: jsonResp("The company.", ref("Company"))}, errors: []int{401, 404}},
		"PATCH /v1/companies/{companyId}": {summary: "Update a company", tag: companyID, body: jsonBody(ref("CompanyPatch"), true),
			ok: map[int]jsonObj{200: jsonResp("Updated.", ref("Company"))}, errors: []int{400, 401, 404, 413}},
		"DELETE /v1/companies/{companyId}": {summary: "Delete a company, unlinking its connection and cancelling its queued work", tag: companyID,
			ok: map[int]jsonObj{204: noContent("Deleted.")}, errors: []int{401, 404}},

		"POST /v1/companies/{companyId}/connections": {summary: "Create a connection", tag: "Connection",
			body: jsonBody(object(nil, jsonObj{"kind": enum("connector", "webconnector")}), false),
			ok:   map[int]jsonObj{201: jsonResp("Created.", ref("Connection"))}, errors: []int{400, 401, 404, 409}},
		"GET /v1/companies/{companyId}/connections": {summary: "List a company's connections", tag: "Connection",
			ok: map[int]jsonObj{200: jsonResp("Every connection.", listOf(ref("Connection")))}, errors: []int{400, 401, 404}},
		"GET /v1/companies/{companyId}/connections/{connectionId}": {summary: "Get a connection with its status and health", tag: "Connection",
			ok: map[int]jsonObj{200: jsonResp("The connection.", ref("Connection"))}, errors: []int{401, 404}},
		"DELETE /v1/companies/{companyId}/connections/{connectionId}": {summary: "Unlink a connection", tag: "Connection",
			ok: map[int]jsonObj{200: jsonResp("The connection, now Unlinked.", ref("Connection"))}, errors: []int{401, 404}},
		"POST /v1/companies/{companyId}/connections/{connectionId}/link-codes": {summary: "Issue a link code for the connector", tag: "Connection",
			body: jsonBody(object(nil, jsonObj{"expiresIn": jsonObj{"type": []string{"string", "number"}}}), false),
			ok:   map[int]jsonObj{201: jsonResp("The code, shown only here.", ref("LinkCode"))}, errors: []int{400, 401, 404, 409}},
		"POST /v1/companies/{companyId}/connections/{connectionId}/pause": {summary: "Pause the connection (its work waits; the connector shows it)", tag: "Connection",
			body: jsonBody(object(nil, jsonObj{"until": dateTime()}), false),
			ok:   map[int]jsonObj{200: jsonResp("The connection, paused.", ref("Connection"))}, errors: []int{400, 401, 404, 409}},
		"POST /v1/companies/{companyId}/connections/{connectionId}/resume": {summary: "Resume the connection, whoever paused it", tag: "Connection",
			body: jsonBody(object(nil, jsonObj{}), false),
			ok:   map[int]jsonObj{200: jsonResp("The connection, resumed.", ref("Connection"))}, errors: []int{400, 401, 404, 409}},

		"GET /v1/data-types": {summary: "List the data types", tag: "Data",
			ok: map[int]jsonObj{200: jsonResp("Every data type.", listOf(ref("DataType")))}, errors: []int{400, 401}},
		"GET /v1/companies/{companyId}/{dataType}": {summary: "List synced records", tag: "Data", query: recordFilters,
			ok: map[int]jsonObj{200: jsonResp("A page, in the order of sort (oldest stored first by default).", countedPage(ref("Record")))}, errors: []int{400, 401, 404}},
		"GET /v1/companies/{companyId}/{dataType}/{id}": {summary: "Get a synced record", tag: "Data",
			ok: map[int]jsonObj{200: jsonResp("The record.", ref("Record"))}, errors: []int{400, 401, 404}},

		"POST /v1/companies/{companyId}/sync": {summary: "Sync now (every or some data types)", tag: "Sync",
			body: jsonBody(object(nil, jsonObj{"dataTypes": array(str("")), "full": boolean()}), false),
			ok:   map[int]jsonObj{202: jsonResp("The passes started (or already under way).", ref("SyncStatus"))}, errors: []int{400, 401, 404, 409}},
		"GET /v1/companies/{companyId}/sync-status": {summary: "Sync status of every data type", tag: "Sync",
			ok: map[int]jsonObj{200: jsonResp("One state per data type.", ref("SyncStatus"))}, errors: []int{400, 401, 404}},
		"GET /v1/companies/{companyId}/sync-runs": {summary: "Sync history", tag: "Sync",
			query: append(append([]jsonObj{}, pageQuery...), queryParam("dataType", "Only this data type.", str(""))),
			ok:    map[int]jsonObj{200: jsonResp("A page, newest first.", pageOf(ref("SyncRun")))}, errors: []int{400, 401, 404}},

		"POST /v1/companies/{companyId}/{dataType}": {summary: "Create a record in QuickBooks", tag: "Write", query: writeQuery,
			body: jsonBody(jsonObj{"type": "object", "additionalProperties": true, "description": "The record in camelCase, as the read endpoints show it, without IDs."}, true),
			ok:   opAnswers, errors: writeErrors},
		"PATCH /v1/companies/{companyId}/{dataType}/{id}": {summary: "Update a record (editSequence required)", tag: "Write", query: writeQuery,
			body: jsonBody(jsonObj{"type": "object", "required": []string{"editSequence"}, "additionalProperties": true}, true), ok: opAnswers, errors: writeErrors},
		"DELETE /v1/companies/{companyId}/{dataType}/{id}": {summary: "Delete a record", tag: "Write", query: writeQuery,
			ok: opAnswers, errors: []int{400, 401, 404, 409, 422, 502, 504}},
		"POST /v1/companies/{companyId}/{dataType}/{id}/void": {summary: "Void a transaction", tag: "Write", query: writeQuery,
			ok: opAnswers, errors: []int{400, 401, 404, 409, 422, 502, 504}},
		"GET /v1/operations/{operationId}": {summary: "Get an operation", tag: "Write", query: []jsonObj{waitQuery()},
			ok: map[int]jsonObj{200: jsonResp("The operation. Finished operations are kept for the server's operation retention (30 days by default), then answer 404.", ref("Operation"))}, errors: []int{400, 401, 404}},

		"POST /v1/companies/{companyId}/qbxml": {summary: "Send a raw qbXML request", tag: "Live",
			query: []jsonObj{waitQuery(), headerParam("Idempotency-Key", "Repeating a request with the same key returns the first operation; reusing a key for a different request answers 422 idempotency_mismatch.")},
			body:  jsonObj{"required": true, "content": jsonObj{"application/xml": jsonObj{"schema": str("qbXML request document.")}}},
			ok:    opAnswers, errors: []int{400, 401, 404, 409, 413, 422, 502}},
		"GET /v1/companies/{companyId}/health": {summary: "Live round trip to QuickBooks", tag: "Live",
			query: []jsonObj{queryParam("timeout", "1s to 60s (default 15s).", str(""))},
			ok:    map[int]jsonObj{200: jsonResp("QuickBooks answered.", ref("HealthCheck"))}, errors: []int{400, 401, 404, 409, 502, 503, 504}},

		"POST /v1/webhooks": {summary: "Create a webhook endpoint", tag: "Webhook",
			body: jsonBody(object([]string{"url"}, jsonObj{"url": str(""), "description": str(""), "events": array(ref("EventType"))}), true),
			ok:   map[int]jsonObj{201: jsonResp("Created; the secret is shown only here.", ref("WebhookCreated"))}, errors: []int{400, 401, 413}},
		"GET /v1/webhooks": {summary: "List webhook endpoints", tag: "Webhook", query: pageQuery,
			ok: map[int]jsonObj{200: jsonResp("A page, oldest first.", pageOf(ref("Webhook")))}, errors: []int{400, 401}},
		"GET /v1/webhooks/{webhookId}": {summary: "Get a webhook endpoint", tag: "Webhook",
			ok: map[int]jsonObj{200: jsonResp("The endpoint.", ref("Webhook"))}, errors: []int{401, 404}},
		"DELETE /v1/webhooks/{webhookId}": {summary: "Delete a webhook endpoint", tag: "Webhook",
			ok: map[int]jsonObj{204: noContent("Deleted.")}, errors: []int{401, 404}},
		"GET /v1/webhooks/{webhookId}/deliveries": {summary: "An endpoint's delivery log", tag: "Webhook", query: pageQuery,
			ok: map[int]jsonObj{200: jsonResp("A page, newest first.", pageOf(ref("Delivery")))}, errors: []int{400, 401, 404}},

		"POST /gateway/v1/link": {summary: "Connector: exchange a link code for a credential", tag: "Gateway",
			body: jsonBody(object([]string{"code", "file", "connector"}, jsonObj{"code": str(""), "file": ref("FileIdentity"), "connector": ref("GatewayConnector")}), true),
			ok: map[int]jsonObj{200: jsonResp("Linked.", object([]string{"connectorId", "connection"}, jsonObj{
				"connectorId": str(""), "credential": str("Only for a new connector."), "connection": ref("GatewayConnection")}))},
			errors: []int{400, 401, 413, 429}},
		"GET /gateway/v1/work": {summary: "Connector: long-poll for the next work item", tag: "Gateway",
			query: []jsonObj{queryParam("wait", "How long to hold the request when there is no work.", str(""))},
			ok: map[int]jsonObj{200: jsonResp("An item, or (item null) a request to report the state now.", object([]string{"item"}, jsonObj{
				"item": jsonObj{"anyOf": []jsonObj{ref("WorkItem"), {"type": "null"}}}, "reportState": boolean()})), 204: noContent("No work came in time.")},
			errors: []int{400, 401, 503}},
		"POST /gateway/v1/work/{itemId}/result": {summary: "Connector: post a work item's outcome", tag: "Gateway",
			body:   jsonBody(object([]string{"leaseId"}, jsonObj{"leaseId": str(""), "response": str(""), "failure": ref("Failure"), "durationMs": integer()}), true),
			ok:     map[int]jsonObj{200: jsonResp("Recorded.", object([]string{"applied", "status"}, jsonObj{"applied": boolean(), "status": str("")}))},
			errors: []int{400, 401, 404, 409, 413}},
		"POST /gateway/v1/work/{itemId}/lease": {summary: "Connector: extend a lease", tag: "Gateway",
			body:   jsonBody(object([]string{"leaseId"}, jsonObj{"leaseId": str("")}), true),
			ok:     map[int]jsonObj{200: jsonResp("Extended.", object([]string{"leaseExpiresAt"}, jsonObj{"leaseExpiresAt": dateTime()}))},
			errors: []int{400, 401, 404, 409}},
		"POST /gateway/v1/state": {summary: "Connector: report its state and each file's", tag: "Gateway",
			body:   jsonBody(object([]string{"connector", "files"}, jsonObj{"connector": ref("GatewayConnector"), "files": jsonObj{"type": []string{"array", "null"}, "items": ref("FileState")}}), true),
			ok:     map[int]jsonObj{200: jsonResp("The connections it serves.", object([]string{"connections"}, jsonObj{"connections": array(ref("GatewayConnection"))}))},
			errors: []int{400, 401}},
		"POST /gateway/v1/connections/{connectionId}/sync": {summary: "Connector: Perform Sync", tag: "Gateway",
			body: jsonBody(object(nil, jsonObj{}), false),
			ok:   map[int]jsonObj{200: jsonResp("Queued.", object([]string{"queued"}, jsonObj{"queued": boolean()}))}, errors: []int{400, 401, 404, 503}},
		"DELETE /gateway/v1/connections/{connectionId}": {summary: "Connector: unlink a connection", tag: "Gateway",
			ok: map[int]jsonObj{204: noContent("Unlinked.")}, errors: []int{401, 404}},

		// Connector releases and certificate rotation (release.go, campaign.go).
		"GET /v1/releases": {summary: "List connector releases", tag: "Release",
			query: []jsonObj{queryParam("channel", "Release channel.", str(""))},
			ok:    map[int]jsonObj{200: jsonResp("Every release.", looseList())}, errors: []int{401, 503}},
		"GET /v1/signing-certificates": {summary: "Signing certificates and their expiry", tag: "Release",
			ok: map[int]jsonObj{200: jsonResp("Every certificate.", looseList())}, errors: []int{401, 503}},
		"GET /v1/rotation-campaigns": {summary: "Certificate rotation campaigns affecting the organisation", tag: "Release",
			ok: map[int]jsonObj{200: jsonResp("Every campaign.", looseList())}, errors: []int{401, 503}},
		"GET /v1/rotation-campaigns/{campaignId}": {summary: "A rotation campaign with its affected connections", tag: "Release",
			ok: map[int]jsonObj{200: jsonResp("The campaign.", jsonObj{"type": "object"})}, errors: []int{401, 404, 503}},
		"GET /gateway/v1/update": {summary: "Connector: is there an update?", tag: "Release",
			query: []jsonObj{queryParam("platform", "Such as windows/amd64.", str(""))},
			ok:    map[int]jsonObj{200: jsonResp("An update offer.", jsonObj{"type": "object"}), 204: noContent("No update.")}, errors: []int{400, 401, 503}},
		"POST /gateway/v1/update/report": {summary: "Connector: report an update's outcome", tag: "Release",
			body: jsonBody(jsonObj{"type": "object"}, true),
			ok:   map[int]jsonObj{204: noContent("Recorded.")}, errors: []int{400, 401, 503}},
		"GET /gateway/v1/releases/{version}/artifacts/{name}": {summary: "Connector: download a release artifact", tag: "Release",
			ok:     map[int]jsonObj{200: {"description": "The artifact.", "content": jsonObj{"application/octet-stream": jsonObj{"schema": str("")}}}},
			errors: []int{401, 404, 503}},
	}
}

func openAPIDocument() jsonObj {
	docs := routeDocs()
	for k, v := range webConnectorDocs() {
		docs[k] = v
	}
	for k, v := range reportDocs() {
		docs[k] = v
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
				params = append(params, jsonObj{"name": name, "in": "path", "required": true, "schema": jsonObj{"type": "string"}})
			}
		}
		params = append(params, spec.query...)
		responses := jsonObj{}
		for status, resp := range spec.ok {
			responses[strconv.Itoa(status)] = resp
		}
		for _, status := range spec.errors {
			responses[strconv.Itoa(status)] = jsonResp(http.StatusText(status), ref("Error"))
		}
		if responses["400"] == nil {
			// Every route refuses a path or query holding NUL, bytes that
			// are not UTF-8 or control characters (text.go).
			responses["400"] = jsonResp("The path or the query holds bytes no ID or filter may hold.", ref("Error"))
		}
		op := jsonObj{
			"operationId": operationID(method, pattern),
			"summary":     spec.summary,
			"tags":        []string{spec.tag},
			"responses":   responses,
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if spec.body != nil {
			op["requestBody"] = spec.body
		}
		switch {
		case strings.HasPrefix(pattern, "/v1/") && pattern != "/v1/openapi.json":
			op["security"] = []jsonObj{{"apiKey": []string{}}}
		case pattern == "/gateway/v1/link":
			op["security"] = []jsonObj{{}, {"connector": []string{}}}
		case strings.HasPrefix(pattern, "/gateway/"):
			op["security"] = []jsonObj{{"connector": []string{}}}
		}
		item[strings.ToLower(method)] = op
	}
	return jsonObj{
		"openapi": "3.1.0",
		"info": jsonObj{
			"title":       "qbconnect API",
			"version":     "1.0.0",
			"description": "Read and write QuickBooks Desktop company files from the cloud. Every error answers with the one error shape (Error). Webhook deliveries are signed: Qbconnect-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>.",
		},
		"servers": []jsonObj{{"url": "/"}},
		"paths":   paths,
		"components": jsonObj{
			"schemas": schemas(),
			"securitySchemes": jsonObj{
				"apiKey":    jsonObj{"type": "http", "scheme": "bearer", "description": "An organisation's API key (qbk_...)."},
				"connector": jsonObj{"type": "http", "scheme": "bearer", "description": "A connector credential (qbc_...)."},
			},
		},
	}
}

// operationID derives a stable operationId such as "getV1CompaniesCompanyId".
func operationID(method, pattern string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(pattern, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
