#!/usr/bin/env bash
# Fetches the standalone bundle of Redoc from the npm registry into
# api/redoc/, where api/docs.go embeds it for /docs. Run from anywhere;
# commit the result.
set -euo pipefail
version=2.5.4
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "redoc@$version" >/dev/null && tar xzf "redoc-$version.tgz")
cp "$tmp/package/bundles/redoc.standalone.js" "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" api/redoc/
cp "$tmp/package/LICENSE" api/redoc/LICENSE
echo "api/redoc: redoc $version"
