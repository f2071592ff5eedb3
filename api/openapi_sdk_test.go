package api_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/qbconnect/qbconnect/api"
)

var updateDocs = flag.Bool("update", false, "rewrite the committed OpenAPI documents under sdk/openapi")

// TestCommittedDocumentsAreTheServedOnes: the SDKs (sdk/go, sdk/typescript)
// and the Redocly lint of .ci/run read sdk/openapi/*.json, which must be
// the documents the server serves; go test ./api -run CommittedDocuments
// -update rewrites them.
func TestCommittedDocumentsAreTheServedOnes(t *testing.T) {
	for name, doc := range map[string][]byte{"qbconnect.json": api.OpenAPI(), "connector.json": api.ConnectorOpenAPI()} {
		path := filepath.Join("..", "sdk", "openapi", name)
		if *updateDocs {
			if err := os.WriteFile(path, doc, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./api -run CommittedDocuments -update writes it)", err)
		}
		if !bytes.Equal(got, doc) {
			t.Errorf("%s differs from the served document: run go test ./api -run CommittedDocuments -update, then regenerate the SDKs (sdk/generate.sh)", path)
		}
	}
}
