package syncengine

import (
	"fmt"
	"strings"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
)

// TypeSchema names the JSON Schema components of one data type: the record
// the read endpoints answer and the bodies its create and update take.
// The schemas describe exactly what the codec of this package writes and
// reads (appendJSON, fromJSON), derived from the same qbXML metadata that
// package qbxml generates from Intuit's XSD.
type TypeSchema struct {
	Info qbconnect.DataTypeInfo
	// Record, Create and Update are component names (such as "Invoice",
	// "InvoiceCreate", "InvoiceUpdate"); Create and Update are "" when the
	// type cannot be created or updated.
	Record, Create, Update string
	// IDField is the record's own ID field: "listId" or "txnId".
	IDField string
}

// DataTypes lists the data types the engine syncs, lists first, without an
// engine: the same list Engine.DataTypes answers.
func DataTypes() []qbconnect.DataTypeInfo {
	types, _ := newDataTypes()
	out := make([]qbconnect.DataTypeInfo, len(types))
	for i, d := range types {
		out[i] = qbconnect.DataTypeInfo{Name: d.name, Object: d.object, Transaction: d.txn, Actions: d.actions(), RefFilter: refFilter(d.ref)}
	}
	return out
}

// JSONSchemas returns one TypeSchema per data type and the JSON Schema
// (OpenAPI 3.1) components they refer to, keyed by component name. Nested
// elements are components named after their qbXML element ("CustomerRef",
// "InvoiceLineRet", "InvoiceLineAdd"); refs point at
// "#/components/schemas/<name>".
//
// A record is a closed object: "id" (its ListID or TxnID), "deleted" for a
// record deleted in QuickBooks, and the camelCase fields of its Ret
// element. Booleans are JSON booleans, integers JSON numbers, amounts,
// prices, quantities, percentages and floats decimal strings (format
// "decimal"), dates "date", date-times "date-time", intervals "duration".
// A child that may repeat is an array.
func JSONSchemas() ([]TypeSchema, map[string]any) {
	types, _ := newDataTypes()
	g := &schemaGen{components: map[string]any{}, top: map[string]bool{}}
	for _, d := range types {
		g.top[d.object] = true
		g.top[d.object+"Create"] = true
		g.top[d.object+"Update"] = true
	}
	out := make([]TypeSchema, 0, len(types))
	for _, d := range types {
		ts := TypeSchema{
			Info:    qbconnect.DataTypeInfo{Name: d.name, Object: d.object, Transaction: d.txn, Actions: d.actions(), RefFilter: refFilter(d.ref)},
			Record:  d.object,
			IDField: JSONName(d.idElem(), false),
		}
		rec := g.object(d.ret, nil)
		props := rec["properties"].(map[string]any)
		props["id"] = map[string]any{"type": "string", "description": fmt.Sprintf("The record's %s, the ID in this API's paths.", d.idElem()), "maxLength": 36}
		props["deleted"] = map[string]any{"type": "boolean", "description": "Present (true) for a record deleted in QuickBooks, listed with ?includeDeleted=true."}
		rec["required"] = []string{"id"}
		rec["description"] = fmt.Sprintf("A %s record: the qbXML %sRet element as camelCase JSON.", d.object, d.object)
		g.components[d.object] = rec
		if d.add != nil {
			ts.Create = d.object + "Create"
			body := g.object(d.add, nil)
			body["description"] = fmt.Sprintf("The body of a create: the qbXML %s element as camelCase JSON.", d.add.Name)
			g.components[ts.Create] = body
		}
		if d.mod != nil {
			ts.Update = d.object + "Update"
			idKey := JSONName(d.idElem(), false)
			body := g.object(d.mod, []string{idKey})
			body["description"] = fmt.Sprintf("The body of an update: the qbXML %s element as camelCase JSON. editSequence is the record's, as last read; %s may be left out (the path names the record) and must equal it when present.", d.mod.Name, idKey)
			g.components[ts.Update] = body
		}
		out = append(out, ts)
	}
	return out, g.components
}

type schemaGen struct {
	components map[string]any
	top        map[string]bool // names taken by the data types' own components
}

// object returns the schema of element type t; optional lists required
// children that the request may leave out anyway.
func (g *schemaGen) object(t *qbxml.ElementType, optional []string) map[string]any {
	names := newCodec().namesOf(t)
	props := map[string]any{}
	var required []string
	for i := range t.Children {
		ch := &t.Children[i]
		key := names.keys[i]
		if names.byKey[key] != i {
			continue // a second child with the same JSON key is unreachable
		}
		var s map[string]any
		if ch.Simple != nil {
			s = simpleSchema(ch.Simple)
		} else {
			s = map[string]any{"$ref": "#/components/schemas/" + g.ref(ch.Type())}
		}
		if ch.Max != 1 {
			arr := map[string]any{"type": "array", "items": s}
			if ch.Max > 1 {
				arr["maxItems"] = ch.Max
			}
			s = arr
		}
		props[key] = s
		if ch.Min > 0 && !contains(optional, key) {
			required = append(required, key)
		}
	}
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// ref returns the component name of a nested element type, adding its
// schema the first time.
func (g *schemaGen) ref(t *qbxml.ElementType) string {
	name := t.Name
	if g.top[name] {
		name = "Qbxml" + name
	}
	if _, done := g.components[name]; done {
		return name
	}
	g.components[name] = nil // placeholder against recursion
	s := g.object(t, nil)
	s["description"] = fmt.Sprintf("The qbXML %s element.", t.Name)
	g.components[name] = s
	return name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// simpleSchema is the JSON Schema of a simple value as appendJSON writes it.
func simpleSchema(st *qbxml.SimpleType) map[string]any {
	s := map[string]any{"type": "string"}
	switch st.Kind {
	case qbxml.KindBool:
		return map[string]any{"type": "boolean"}
	case qbxml.KindInt:
		s = map[string]any{"type": "integer"}
		if st.HasMin {
			s["minimum"] = st.MinInclusive
		}
		if st.HasMax {
			s["maximum"] = st.MaxInclusive
		}
		return s
	case qbxml.KindDate:
		s["format"] = "date"
	case qbxml.KindDateTime:
		s["format"] = "date-time"
	case qbxml.KindTimeInterval:
		s["format"] = "duration"
	case qbxml.KindAmount, qbxml.KindPrice, qbxml.KindQuantity, qbxml.KindPercent, qbxml.KindFloat:
		s["format"] = "decimal"
		s["description"] = "A decimal number as a string (" + strings.ToLower(strings.TrimSuffix(st.Kind.String(), "TYPE")) + "), so that no precision is lost."
	}
	if len(st.Enum) > 0 {
		s["enum"] = append([]string(nil), st.Enum...)
	}
	if st.MaxLength > 0 {
		s["maxLength"] = st.MaxLength
	}
	return s
}
