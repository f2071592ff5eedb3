package api

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/qbconnect/qbconnect"
)

// The OpenAPI 3.1 documents of every route, built here next to the route
// table: the client API's, served at /v1/openapi.json, and the connector
// protocol's with the Web Connector endpoints, served at
// /gateway/v1/openapi.json. Tests validate every request and answer they
// make against them, and check that their paths together are exactly the
// route table's (a data type's paths document the {dataType} routes).

func (s *Server) registerOpenAPI(rs *routeSet) {
	rs.add("GET", "/v1/openapi.json", AuthNone, serveDocument(OpenAPI))
	rs.add("GET", "/gateway/v1/openapi.json", AuthNone, serveDocument(ConnectorOpenAPI))
}

func serveDocument(doc func() []byte) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if len(r.URL.Query()) > 0 {
			return qbconnect.Errorf(qbconnect.EInvalid, "this endpoint takes no query parameters")
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(doc())
		return nil
	}
}

var (
	clientDocOnce, connectorDocOnce sync.Once
	clientDoc, connectorDoc         []byte
)

// OpenAPI returns the OpenAPI 3.1 document of the client API as JSON: the
// routes under /v1 and the platform's probes, with one path per data type.
func OpenAPI() []byte {
	clientDocOnce.Do(func() { clientDoc = marshalDocument(clientDocument()) })
	return clientDoc
}

// ConnectorOpenAPI returns the OpenAPI 3.1 document of the connector
// protocol (/gateway/v1) and the QuickBooks Web Connector endpoints
// (/qbwc) as JSON.
func ConnectorOpenAPI() []byte {
	connectorDocOnce.Do(func() { connectorDoc = marshalDocument(connectorDocument()) })
	return connectorDoc
}

func marshalDocument(doc jsonObj) []byte {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("api: OpenAPI document: " + err.Error()) // a bug in the literals of openapi*.go
	}
	return append(b, '\n')
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
func date() jsonObj                        { return jsonObj{"type": "string", "format": "date"} }
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

// fullReasons are the values of SyncFullReason, in the order that decides
// between several.
func fullReasons() []string {
	var out []string
	for _, r := range qbconnect.SyncFullReasons() {
		out = append(out, string(r))
	}
	return out
}

// fullReasonCatalogue describes SyncFullReason's values.
const fullReasonCatalogue = "Why a pass is full (reads every record of the type and marks deleted what QuickBooks no longer returns) rather than incremental (what changed since the last pass, and QuickBooks' list of deletions). " +
	"When several reasons hold, the pass gives the first of: " +
	"`first_sync`: the type never completed a pass; " +
	"`was_empty`: the last completed pass found the type empty, so there is no modified date to ask for changes from; " +
	"`requested`: the sync was started with `full: true`; " +
	"`balances_move`: QuickBooks moves the type's balances with every posting without marking its records modified, in records the transactions do not name (accounts), so every pass reads it whole; " +
	"`read_whole`: QuickBooks cannot be asked for the type's records changed since a date (templates), so every pass reads it whole; " +
	"`deletions_out_of_reach`: the last completed pass is older than QuickBooks' deleted queries reach back (90 days), so only a full pass learns what was deleted since; " +
	"`no_deleted_query`: QuickBooks keeps no list of the type's deletions (leads, transfers), so a pass is full once the last full one is a day old."

// fullReasonField is the fullReason of a sync state, a sync run and a
// sync.completed event's pass.
func fullReasonField() jsonObj {
	return withDesc(ref("SyncFullReason"), "Present when mode is full: why the pass reads every record. Absent for an incremental pass, and for full passes recorded before the platform gave reasons.")
}

func errorCodes() []string {
	return []string{string(qbconnect.EInvalid), string(qbconnect.ENotFound), string(qbconnect.EConflict), string(qbconnect.EIdempotencyMismatch), string(qbconnect.EUnauthorized),
		string(qbconnect.EForbidden), string(qbconnect.ETooLarge), string(qbconnect.ERateLimited), string(qbconnect.EUnavailable),
		string(qbconnect.ETimeout), string(qbconnect.EQuickBooks), string(qbconnect.EInternal)}
}

func schemas() jsonObj {
	embeddedError := object([]string{"code", "message", "userMessage", "resolution"}, jsonObj{
		"code": ref("ErrorCode"), "message": str("For developers."), "userMessage": str("For the end user."),
		"resolution": str("What to do."), "qbCode": str("QuickBooks' statusCode or HRESULT (\"0x80040408\")."),
	})
	fileIdentity := object([]string{"path", "companyName"}, jsonObj{"path": str(""), "companyName": str(""), "fileId": str("")})
	syncWindow := object(nil, jsonObj{
		"timeZone": str("IANA time zone; empty is UTC."),
		"days":     array(jsonObj{"type": "integer", "minimum": 0, "maximum": 6}),
		"from":     str("HH:MM"), "to": str("HH:MM"),
	})
	syncSchedule := object(nil, jsonObj{
		"every":  withDesc(durationSchema(), "Interval such as \"6h\", at least 1 minute. Left out or \"0s\", it is one hour (\"1h0m0s\"), which the company then shows; negative disables automatic syncs."),
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
		"code": ref("HealthCode"), "message": str("What is wrong, for the end user."), "resolution": str("What the end user should do."),
		"qbCode": str("QuickBooks' HRESULT or statusCode behind the code."), "since": dateTime(), "lastRequestAt": dateTime(), "lastSuccessAt": dateTime(), "needsUserAction": boolean(),
	})
	connection := object([]string{"id", "companyId", "kind", "status", "health", "file", "paused", "createdAt", "updatedAt"}, jsonObj{
		"id": str(""), "companyId": str(""), "kind": enum("connector", "webconnector"),
		"status": ref("ConnectionStatus"), "health": ref("Health"),
		"connectorId": str(""), "file": ref("FileIdentity"), "paused": boolean(), "pausedUntil": dateTime(),
		"pausedBy":  enum("connector", "api"),
		"createdAt": dateTime(), "updatedAt": dateTime(), "linkedAt": dateTime(),
	})
	syncState := object([]string{"dataType", "status", "pages", "fetched", "deleted", "remaining", "restarts"}, jsonObj{
		"dataType": str(""), "status": enum("Idle", "Queued", "Fetching", "Complete", "Failed"),
		"mode": enum("full", "incremental"), "fullReason": fullReasonField(), "trigger": enum("schedule", "on_demand"), "runId": str(""),
		"pages": integer(), "fetched": integer(), "deleted": integer(), "remaining": integer(), "restarts": integer(),
		"startedAt": dateTime(), "lastCompletedAt": dateTime(), "lastFullSyncAt": dateTime(), "updatedAt": dateTime(),
		"error": ref("EmbeddedError"),
	})
	syncRun := object([]string{"id", "dataType", "mode", "trigger", "status", "pages", "fetched", "deleted", "restarts", "startedAt", "durationMs"}, jsonObj{
		"id": str(""), "dataType": str(""), "mode": enum("full", "incremental"), "fullReason": fullReasonField(), "trigger": enum("schedule", "on_demand"),
		"status": enum("Queued", "Fetching", "Complete", "Failed"), "pages": integer(), "fetched": integer(), "deleted": integer(),
		"restarts": integer(), "startedAt": dateTime(), "finishedAt": dateTime(), "durationMs": integer(), "error": ref("EmbeddedError"),
		"syncId": str("The company sync this pass is part of (the passes one request or one scheduled start began together); its sync.completed event carries the same id."),
	})
	operation := object([]string{"id", "companyId", "kind", "status", "attempts", "createdAt", "updatedAt"}, jsonObj{
		"id": str(""), "companyId": str(""), "kind": enum("sync", "write", "qbxml", "health", "stamp"),
		"status":   ref("OperationStatus"),
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
	webhookFields := jsonObj{
		"id": str(""), "url": str(""), "description": str(""), "events": withDesc(array(ref("EventType")), "The event types delivered; empty means every type."),
		"enabled":                 withDesc(boolean(), "False while the endpoint is disabled: it receives no events."),
		"createdAt":               dateTime(),
		"previousSecretExpiresAt": withDesc(dateTime(), "Present during a secret rotation's overlap: until then deliveries are signed with the previous secret too."),
	}
	webhook := object([]string{"id", "url", "events", "enabled", "createdAt"}, webhookFields)
	webhookCreated := object([]string{"id", "url", "events", "enabled", "createdAt", "secret"}, mergeObj(webhookFields, jsonObj{
		"secret": withDesc(str(""), "Signing secret, shown only here: \"whsec_\" and base64, as Standard Webhooks libraries take it (the HMAC key is the base64-decoded part)."),
	}))
	webhookPatch := object(nil, jsonObj{
		"url": str("An absolute http or https URL without credentials or fragment."), "description": str(""),
		"events":  withDesc(array(ref("EventType")), "The event types delivered; empty means every type."),
		"enabled": withDesc(boolean(), "False stops deliveries to the endpoint until it is true again."),
	})
	webhookRotation := object(nil, jsonObj{
		"overlap": withDesc(durationSchema(), "How long the secret being replaced keeps signing deliveries beside the new one: 0s to 168h; left out, 24h."),
	})
	delivery := object([]string{"id", "webhookId", "eventId", "eventType", "status", "attempts", "createdAt"}, jsonObj{
		"id": str(""), "webhookId": str(""), "eventId": str("The event's ID, sent as webhook-id."), "eventType": ref("EventType"),
		"status": enum("Pending", "Delivered", "Failed"), "createdAt": dateTime(), "deliveredAt": dateTime(),
		"attempts": array(object([]string{"at", "durationMs"}, jsonObj{"at": dateTime(), "statusCode": integer(), "error": str(""), "durationMs": integer()})),
		"replayOf": str("The delivery this one replays; absent for an event's first delivery."),
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
			"code": ref("ErrorCode"), "message": str("For developers."), "userMessage": str("For the end user."),
			"resolution": str("What to do."), "requestId": str("Also in the X-Request-Id header."),
			"qbCode": str("QuickBooks' statusCode or HRESULT, when the error came from QuickBooks."),
		})}),
		"EmbeddedError": embeddedError,
		"ErrorCode":     withDesc(enum(errorCodes()...), errorCatalogue()),
		"HealthCode":    withDesc(enum(healthCodes()...), "\"ok\", or what is wrong: the platform's own codes (never_connected, connector_offline, paused, file_mismatch, connector_revoked) and QuickBooks' situations as the connector or the Web Connector endpoint diagnose them (qb_closed, wrong_file_open, access_denied, ...)."),
		"ConnectionStatus": withDesc(enum(string(qbconnect.StatusPendingAuth), string(qbconnect.StatusLinked), string(qbconnect.StatusUnlinked), string(qbconnect.StatusDeauthorized)),
			"PendingAuth: created, waiting for a connector or the Web Connector; Linked: attached; Unlinked: removed by the client or the end user; Deauthorized: its credential was revoked."),
		"OperationStatus": withDesc(enum(statusPending, string(qbconnect.OpSucceeded), string(qbconnect.OpFailed), string(qbconnect.OpTimedOut), string(qbconnect.OpCanceled)),
			"Pending until QuickBooks ran it; then Success, Failed (error says why), TimedOut (its deadline passed first) or Canceled."),
		"FileIdentity":          fileIdentity,
		"SyncSchedule":          syncSchedule,
		"Company":               object([]string{"id", "name", "syncSchedule", "createdAt", "updatedAt"}, mergeObj(companyFields, jsonObj{"id": str(""), "createdAt": dateTime(), "updatedAt": dateTime()})),
		"CompanyCreate":         companyCreate,
		"CompanyPatch":          companyPatch,
		"Health":                health,
		"Connection":            connection,
		"LinkCode":              object([]string{"companyId", "connectionId", "expiresAt"}, jsonObj{"code": str("Shown only here."), "companyId": str(""), "connectionId": str(""), "expiresAt": dateTime()}),
		"DataType":              object([]string{"name", "object", "transaction", "actions"}, jsonObj{"name": str(""), "object": str("qbXML object."), "transaction": boolean(), "actions": array(enum("create", "update", "delete", "void")), "refFilter": str("Query parameter filtering by the customer, vendor, payee, entity or parent.")}),
		"Record":                record,
		"SyncState":             syncState,
		"SyncFullReason":        withDesc(enum(fullReasons()...), fullReasonCatalogue),
		"SyncStatus":            object([]string{"companyId", "data"}, jsonObj{"companyId": str(""), "data": array(ref("SyncState"))}),
		"SyncRun":               syncRun,
		"Operation":             operation,
		"Webhook":               webhook,
		"WebhookCreated":        webhookCreated,
		"WebhookPatch":          webhookPatch,
		"WebhookSecretRotation": webhookRotation,
		"Delivery":              delivery,
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

// opSpec documents one operation.
type opSpec struct {
	id      string // operationId, read as an SDK method: listInvoices, createCustomer
	summary string
	desc    string // description; the summary when empty
	tag     string
	query   []jsonObj // query and header parameters
	body    jsonObj   // request body (content by media type); nil for none
	ok      map[int]jsonObj
	errors  []int // error statuses the route answers, each with the Error schema
	// route is the route table's "METHOD pattern" this operation documents
	// when its path is not the route's own (a data type's paths document
	// the {dataType} routes).
	route string
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
	return jsonObj{"name": name, "in": "header", "required": false, "description": desc,
		"schema": jsonObj{"type": "string", "maxLength": maxIdempotencyKey, "pattern": "^[!-~]+$"}, "example": "order-1042-create"}
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
