package api

import (
	_ "embed"
	"encoding/json"
	"sync"

	"github.com/qbconnect/qbconnect"
)

// The data types' JSON Schemas come from the sync engine's codec tables
// (syncengine.JSONSchemas, derived from the qbXML metadata package qbxml
// generates from Intuit's XSD). The API is an adapter that must not
// depend on the engine (which depends on the store), so the schemas are
// a snapshot embedded here: TestEmbeddedDataTypeSchemasAreTheEngines
// keeps it equal to what the engine derives, and its -update flag writes
// it again.

//go:embed openapi_datatypes.json
var dataTypeSchemasJSON []byte

// typeSchema is syncengine.TypeSchema as the snapshot holds it: a data
// type and the names of its record, create and update schemas ("" when
// the type cannot be created or updated), and its own ID field.
type typeSchema struct {
	Info                   qbconnect.DataTypeInfo
	Record, Create, Update string
	IDField                string
}

// dataTypeSchemaSnapshot is the embedded snapshot: the types and the
// component schemas they refer to.
type dataTypeSchemaSnapshot struct {
	Types      []typeSchema   `json:"types"`
	Components map[string]any `json:"components"`
}

// dataTypeSchemas reads the embedded snapshot once; a snapshot that does
// not decode is a broken build.
var dataTypeSchemas = sync.OnceValues(func() ([]typeSchema, map[string]any) {
	var s dataTypeSchemaSnapshot
	if err := json.Unmarshal(dataTypeSchemasJSON, &s); err != nil {
		panic("api: the embedded data type schemas do not decode: " + err.Error())
	}
	return s.Types, normalJSON(s.Components).(map[string]any)
})

// normalJSON gives decoded JSON the Go types the document's builders
// write and read (openapi_doc.go's examples assert them): a list of
// strings is a []string, a list of objects a []jsonObj, a whole number an
// int.
func normalJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalJSON(e)
		}
		return v
	case []any:
		strs, objs := make([]string, 0, len(v)), make([]jsonObj, 0, len(v))
		for i, e := range v {
			v[i] = normalJSON(e)
			switch e := v[i].(type) {
			case string:
				strs = append(strs, e)
			case map[string]any:
				objs = append(objs, e)
			}
		}
		switch {
		case len(v) > 0 && len(strs) == len(v):
			return strs
		case len(v) > 0 && len(objs) == len(v):
			return objs
		}
		return v
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
	}
	return v
}
