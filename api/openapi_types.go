package api

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/qbconnect/qbconnect"
)

// The data types' operations: one path per data type, so that a client
// generated from the document has listInvoices, getInvoice,
// createInvoice... with typed records and bodies. They document the
// routes whose pattern holds {dataType} (record.go, write.go); the record
// schemas come from the qbXML metadata through syncengine.JSONSchemas, the
// same tables the records' JSON is written and read with.

const (
	routeListRecords  = "GET /v1/companies/{companyId}/{dataType}"
	routeCreateRecord = "POST /v1/companies/{companyId}/{dataType}"
	routeGetRecord    = "GET /v1/companies/{companyId}/{dataType}/{id}"
	routeUpdateRecord = "PATCH /v1/companies/{companyId}/{dataType}/{id}"
	routeDeleteRecord = "DELETE /v1/companies/{companyId}/{dataType}/{id}"
	routeVoidRecord   = "POST /v1/companies/{companyId}/{dataType}/{id}/void"
)

// recordFilterParams documents every filter of the list routes, by name;
// recordQuery says which a data type takes.
func recordFilterParams() map[string]jsonObj {
	ps := map[string]jsonObj{
		"updatedSince":   queryParam("updatedSince", "Records stored at or after this RFC 3339 time.", dateTime()),
		"includeDeleted": queryParam("includeDeleted", "Also list records deleted in QuickBooks.", boolean()),
		"name":           queryParam("name", "Exact FullName (lists) or RefNumber (transactions).", str("")),
		"namePrefix":     queryParam("namePrefix", "Name or RefNumber starting with this.", str("")),
		"refNumber":      queryParam("refNumber", "Exact RefNumber.", str("")),
		"txnDateFrom":    queryParam("txnDateFrom", "TxnDate on or after (YYYY-MM-DD).", date()),
		"txnDateTo":      queryParam("txnDateTo", "TxnDate on or before (YYYY-MM-DD).", date()),
		"active":         queryParam("active", "Active or inactive elements only.", boolean()),
		"customerId":     queryParam("customerId", "Only records of this customer (its ListID).", str("")),
		"vendorId":       queryParam("vendorId", "Only records of this vendor (its ListID).", str("")),
		"payeeId":        queryParam("payeeId", "Only records of this payee (its ListID).", str("")),
		"entityId":       queryParam("entityId", "Only records of this employee, vendor or other name (its ListID).", str("")),
		"parentId":       queryParam("parentId", "Only the children of this element (its ListID).", str("")),
		"customerIds":    queryParam("customerIds", "Only records of any of these customers: comma-separated ListIDs, at most 100.", str("")),
		"vendorIds":      queryParam("vendorIds", "Only records of any of these vendors: comma-separated ListIDs, at most 100.", str("")),
		"payeeIds":       queryParam("payeeIds", "Only records of any of these payees: comma-separated ListIDs, at most 100.", str("")),
		"entityIds":      queryParam("entityIds", "Only records of any of these employees, vendors or other names: comma-separated ListIDs, at most 100.", str("")),
		"parentIds":      queryParam("parentIds", "Only the children of any of these elements: comma-separated ListIDs, at most 100.", str("")),
		"ids":            queryParam("ids", "Only these records: comma-separated IDs, at most 100.", str("")),
		"updatedBefore":  queryParam("updatedBefore", "Records stored before this RFC 3339 time.", dateTime()),
		"refNumberFrom":  queryParam("refNumberFrom", "RefNumber from this one on, compared as text as QuickBooks compares them.", str("")),
		"refNumberTo":    queryParam("refNumberTo", "RefNumber up to this one, compared as text.", str("")),
		"sort":           queryParam("sort", "Order of the list: by update time (the default), name or RefNumber, or transaction date; a leading - sorts descending; ties by ID. Keep it while paging.", enum(qbconnect.RecordSorts...)),
		"count":          queryParam("count", "Also answer totalCount: how many records the filters select.", boolean()),
	}
	for _, p := range pageQueryParams() {
		ps[p["name"].(string)] = p
	}
	return ps
}

// singular turns a data type's plural API name into the singular of its
// SDK methods: invoices Invoice, classes Class, journalEntries
// JournalEntry; terms stay terms.
func singular(plural string) string {
	s := plural
	switch {
	case strings.HasSuffix(s, "Terms"):
	case strings.HasSuffix(s, "ies"):
		s = strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "sses"):
		s = strings.TrimSuffix(s, "es")
	default:
		s = strings.TrimSuffix(s, "s")
	}
	return upperFirst(s)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// dataTypeDocs documents every data type's operations, keyed "METHOD
// path", and returns the record and body schemas they refer to.
func dataTypeDocs() (map[string]opSpec, jsonObj, []jsonObj) {
	types, comps := dataTypeSchemas()
	comps = editSequenceOrIfMatch(types, comps)
	filters := recordFilterParams()
	writeErrors := []int{400, 401, 404, 409, 413, 422, 502, 504}
	writeQuery := func() []jsonObj {
		return []jsonObj{
			waitQuery(),
			queryParam("timeout", "The write becomes TimedOut if QuickBooks has not run it within this duration.", str("")),
			headerParam("Idempotency-Key", idempotencyDesc),
		}
	}
	// If-Match is the HTTP form of editSequence (api/ifmatch.go).
	ifMatch := func(desc string) jsonObj {
		return jsonObj{"name": "If-Match", "in": "header", "required": false, "description": desc,
			"schema": jsonObj{"type": "string", "pattern": `^"[!#-~]+"$`}, "example": `"1700000000"`}
	}
	writeQueryIfMatch := func(desc string) []jsonObj { return append(writeQuery(), ifMatch(desc)) }
	docs := map[string]opSpec{}
	var tags []jsonObj
	for _, ts := range types {
		info := ts.Info
		one, many := singular(info.Name), upperFirst(info.Name)
		kind := "list"
		if info.Transaction {
			kind = "transaction"
		}
		tags = append(tags, jsonObj{"name": info.Name, "description": typeTagDescription(ts)})
		base := "/v1/companies/{companyId}/" + info.Name
		var query []jsonObj
		for _, name := range recordQuery(info) {
			query = append(query, filters[name])
		}
		docs["GET "+base] = opSpec{id: "list" + many, tag: info.Name, route: routeListRecords,
			summary: "List " + words(info.Name),
			desc:    fmt.Sprintf("The company's %s as last synced from QuickBooks (qbXML %sRet), in the order of sort (oldest stored first by default), a page at a time; follow nextCursor. Filters the type does not take answer 400.", words(info.Name), info.Object),
			query:   query,
			ok:      map[int]jsonObj{200: jsonResp("A page, in the order of sort.", countedPage(ref(ts.Record)))}, errors: []int{400, 401, 404}}
		got := jsonResp("The record.", ref(ts.Record))
		got["headers"] = jsonObj{"ETag": jsonObj{
			"description": "The record's editSequence in double quotes (\"<editSequence>\"), to send back as If-Match; a record deleted in QuickBooks has a hash of the answer instead.",
			"schema":      jsonObj{"type": "string"}, "example": `"1700000000"`}}
		docs["GET "+base+"/{id}"] = opSpec{id: "get" + one, tag: info.Name, route: routeGetRecord,
			summary: "Get " + article(words(one)),
			desc:    fmt.Sprintf("One %s record by its %s, as last synced. Its ETag is its editSequence in double quotes, the If-Match of updates, deletes and voids.", kind, ts.IDField),
			ok:      map[int]jsonObj{200: got}, errors: []int{400, 401, 404}}
		if ts.Create != "" {
			docs["POST "+base] = opSpec{id: "create" + one, tag: info.Name, route: routeCreateRecord,
				summary: "Create " + article(words(one)),
				desc:    fmt.Sprintf("Queues a %sAddRq for QuickBooks. The answer is the write's operation: 202 while it waits for QuickBooks, 200 with the created record once it ran (with ?wait).", info.Object),
				query:   writeQuery(), body: jsonBody(ref(ts.Create), true), ok: operationAnswers(), errors: writeErrors}
		}
		if ts.Update != "" {
			docs["PATCH "+base+"/{id}"] = opSpec{id: "update" + one, tag: info.Name, route: routeUpdateRecord,
				summary: "Update " + article(words(one)),
				desc:    fmt.Sprintf("Queues a %sModRq for QuickBooks with the fields of the body; editSequence, as last read, is required, in the body or as If-Match, and a stale one answers 409 conflict.", info.Object),
				query: writeQueryIfMatch("The record's editSequence as an entity tag, \"<editSequence>\" (the ETag of its GET), instead of editSequence in the body. " +
					"Both given and different answer 400 invalid; a stale one answers 409 conflict, as a stale editSequence does. \"*\", lists and weak tags answer 400."), body: jsonBody(ref(ts.Update), true), ok: operationAnswers(), errors: writeErrors}
		}
		if hasAction(info, qbconnect.WriteDelete) {
			del := "ListDelRq"
			if info.Transaction {
				del = "TxnDelRq"
			}
			docs["DELETE "+base+"/{id}"] = opSpec{id: "delete" + one, tag: info.Name, route: routeDeleteRecord,
				summary: "Delete " + article(words(one)),
				desc:    fmt.Sprintf("Queues a %s for QuickBooks. The answer is the write's operation.", del),
				query:   writeQueryIfMatch(ifMatchCheckDesc), ok: operationAnswers(), errors: []int{400, 401, 404, 409, 422, 502, 504}}
		}
		if hasAction(info, qbconnect.WriteVoid) {
			docs["POST "+base+"/{id}/void"] = opSpec{id: "void" + one, tag: info.Name, route: routeVoidRecord,
				summary: "Void " + article(words(one)),
				desc:    "Queues a TxnVoidRq for QuickBooks: the transaction stays, with zero amounts. The answer is the write's operation.",
				query:   writeQueryIfMatch(ifMatchCheckDesc), ok: operationAnswers(), errors: []int{400, 401, 404, 409, 422, 502, 504}}
		}
	}
	return docs, jsonObj(comps), tags
}

// editSequenceOrIfMatch returns the components with the update bodies'
// editSequence no longer required, since If-Match may carry it instead
// (api/ifmatch.go); the server still refuses an update with neither. The
// shared snapshot is copied, not changed.
func editSequenceOrIfMatch(types []typeSchema, comps map[string]any) map[string]any {
	out := make(map[string]any, len(comps))
	for k, v := range comps {
		out[k] = v
	}
	for _, ts := range types {
		s, ok := comps[ts.Update].(map[string]any)
		if ts.Update == "" || !ok {
			continue
		}
		upd := make(map[string]any, len(s))
		for k, v := range s {
			upd[k] = v
		}
		if req, ok := s["required"].([]string); ok {
			var keep []string
			for _, r := range req {
				if r != "editSequence" {
					keep = append(keep, r)
				}
			}
			delete(upd, "required")
			if len(keep) > 0 {
				upd["required"] = keep
			}
		}
		if props, ok := s["properties"].(map[string]any); ok {
			if es, ok := props["editSequence"].(map[string]any); ok {
				p := make(map[string]any, len(props))
				for k, v := range props {
					p[k] = v
				}
				e := make(map[string]any, len(es)+1)
				for k, v := range es {
					e[k] = v
				}
				e["description"] = "The record's editSequence as last read: required, here or as If-Match (\"<editSequence>\"); a stale one answers 409 conflict."
				p["editSequence"] = e
				upd["properties"] = p
			}
		}
		out[ts.Update] = upd
	}
	return out
}

// ifMatchCheckDesc documents If-Match on deletes and voids, which
// QuickBooks runs without an editSequence.
const ifMatchCheckDesc = "The record's editSequence as an entity tag, \"<editSequence>\" (the ETag of its GET): the write is queued only if the platform's synced copy of the record still has it, " +
	"else 409 conflict (the record changed or was deleted since it was read) and nothing is queued. \"*\", lists and weak tags answer 400."

func hasAction(info qbconnect.DataTypeInfo, a qbconnect.WriteAction) bool {
	for _, x := range info.Actions {
		if x == string(a) {
			return true
		}
	}
	return false
}

func typeTagDescription(ts typeSchema) string {
	info := ts.Info
	kind := "A list element (its ID is its ListID)"
	if info.Transaction {
		kind = "A transaction (its ID is its TxnID)"
	}
	writes := "read only: QuickBooks' SDK does not write it"
	if len(info.Actions) > 0 {
		writes = "writes: " + strings.Join(info.Actions, ", ")
	}
	s := fmt.Sprintf("qbXML %s. %s; %s.", info.Object, kind, writes)
	if info.RefFilter != "" {
		s += " Lists filter by " + info.RefFilter + "."
	}
	return s
}

// words splits "salesTaxCodes" into "sales tax codes".
func words(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
