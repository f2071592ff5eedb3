#!/usr/bin/env bash
# Regenerates the SDKs from the committed OpenAPI document
# (sdk/openapi/qbconnect.json, which TestCommittedDocumentsAreTheServedOnes
# keeps equal to what /v1/openapi.json serves; refresh it first with
# go test ./api -run CommittedDocuments -update):
#   sdk/go/qbconnect/qbconnect.gen.go   oapi-codegen v2.8.2 (types and client; a package of
#                                       the main module, whose go.mod requires its runtime)
#   sdk/typescript/src/*.gen.ts         openapi-typescript (npm), and the operation table
# Commit the result; CI regenerates and fails on any difference.
# SKIP_TYPESCRIPT=1 regenerates the Go client only.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

(cd go && go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../openapi/qbconnect.json)
echo "sdk/go: generated"

if [ "${SKIP_TYPESCRIPT:-}" = "" ]; then
  (cd typescript && npm ci --no-audit --no-fund --silent && npm run --silent generate)
  echo "sdk/typescript: generated"
fi
