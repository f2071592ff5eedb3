package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/qbconnect/qbconnect/api"
	"github.com/qbconnect/qbconnect/syncengine"
)

// The API documents the records exactly as the sync engine's codec writes
// and reads them: the snapshot of the schemas it embeds is the engine's.
func TestEmbeddedDataTypeSchemasAreTheEngines(t *testing.T) {
	types, comps := syncengine.JSONSchemas()
	want, err := json.MarshalIndent(map[string]any{"types": types, "components": comps}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *updateDocs {
		if err := os.WriteFile("openapi_datatypes.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(api.EmbeddedDataTypeSchemas(), want) {
		t.Errorf("api/openapi_datatypes.json differs from syncengine.JSONSchemas(): run go test ./api -run 'EmbeddedDataTypeSchemas|CommittedDocuments' -update, then sdk/generate.sh")
	}
}
