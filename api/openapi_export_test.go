package api

import "strings"

// DocumentedRoute returns the route table's "METHOD pattern" that the
// operation at "METHOD path" of either OpenAPI document documents, and ""
// when no document has that operation.
func DocumentedRoute(key string) string {
	docs := routeDocs()
	for _, m := range []map[string]opSpec{reportDocs(), webConnectorDocs(), gatewayDocs()} {
		for k, v := range m {
			docs[k] = v
		}
	}
	types, _, _ := dataTypeDocs()
	for k, v := range types {
		docs[k] = v
	}
	spec, ok := docs[key]
	if !ok {
		method, path, _ := strings.Cut(key, " ")
		if path == "/docs" || strings.HasPrefix(path, "/docs/") {
			return method + " " + path
		}
		return ""
	}
	return documentedRoute(key, spec)
}

// EmbeddedDataTypeSchemas is the snapshot of the data types' schemas the
// documents are built from (openapi_datatypes.go).
func EmbeddedDataTypeSchemas() []byte { return dataTypeSchemasJSON }
