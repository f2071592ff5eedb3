package api

import (
	"bytes"
	_ "embed"
	"net/http"
	"sync"

	"github.com/qbconnect/qbconnect"
)

// The rendered API reference: Redoc (api/redoc, vendored by
// scripts/redoc.sh) renders /v1/openapi.json in the browser. Both the page
// and the script are served from the binary, so /docs works without any
// network beyond the platform itself.

//go:embed redoc/redoc.standalone.js
var redocBundle []byte

// redocJS is the bundle with its one address outside the platform, the
// Redocly logo of the sidebar's footer (which Redoc hides when it does not
// load), replaced by an empty image: the page makes no request elsewhere.
var redocJS = sync.OnceValue(func() []byte {
	return bytes.ReplaceAll(redocBundle, []byte(`"https://cdn.redoc.ly/redoc/logo-mini.svg"`), []byte(`"data:,"`))
})

// docsPage loads the script and the document relative to /docs, so that it
// also works behind a path prefix. The fonts are the system's: nothing is
// fetched from a CDN.
const docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qbconnect API reference</title>
<style>body { margin: 0; }</style>
</head>
<body>
<div id="redoc"></div>
<script src="docs/redoc.standalone.js"></script>
<script>
Redoc.init("v1/openapi.json", {
  theme: { typography: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                         headings: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" },
                         code: { fontFamily: "ui-monospace, 'Cascadia Mono', Menlo, Consolas, monospace" } } },
  jsonSamplesExpandLevel: 2
}, document.getElementById("redoc"));
</script>
</body>
</html>
`

func (s *Server) registerDocs(rs *routeSet) {
	rs.add("GET", "/docs", AuthNone, serveDocs)
	rs.add("GET", "/docs/redoc.standalone.js", AuthNone, serveRedoc)
}

func serveDocs(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this page takes no query parameters")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(docsPage))
	return nil
}

func serveRedoc(w http.ResponseWriter, r *http.Request) error {
	if len(r.URL.Query()) > 0 {
		return qbconnect.Errorf(qbconnect.EInvalid, "this script takes no query parameters")
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(redocJS())
	return nil
}
