package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// A client that sends Accept-Encoding: gzip gets large reads compressed,
// every JSON read carries an ETag, and a read repeated with If-None-Match
// is answered 304 without a body until the answer changes.
func TestReadsAreCompressedAndAnswerNotModified(t *testing.T) {
	e := newEnv(t, sqliteDSN(t))
	c := newCompany(t, e, smallCompany())
	c.syncAll(t)
	path := "/v1/companies/" + c.id + "/invoices?limit=100"

	plain := e.do("GET", path, c.key, nil, "Accept-Encoding", "identity")
	zipped := e.do("GET", path, c.key, nil, "Accept-Encoding", "br;q=1.0, gzip;q=0.8")
	if plain.Status != 200 || zipped.Status != 200 {
		t.Fatalf("statuses %d and %d", plain.Status, zipped.Status)
	}
	if got := plain.Header.Get("Content-Encoding"); got != "" {
		t.Errorf("identity answer has Content-Encoding %q", got)
	}
	if got := zipped.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("gzip answer has Content-Encoding %q", got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Body))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(inflated, plain.Body) {
		t.Errorf("the gzip answer inflates to %d bytes that differ from the plain %d", len(inflated), len(plain.Body))
	}
	if len(zipped.Body)*3 > len(plain.Body) {
		t.Errorf("gzip answer %d bytes for %d plain: less than 3x smaller", len(zipped.Body), len(plain.Body))
	}
	t.Logf("a page of invoices: %d bytes plain, %d gzipped", len(plain.Body), len(zipped.Body))

	etag := plain.Header.Get("ETag")
	if etag == "" || etag != zipped.Header.Get("ETag") {
		t.Fatalf("ETags %q (plain) and %q (gzip) should be equal and set", etag, zipped.Header.Get("ETag"))
	}
	again := e.do("GET", path, c.key, nil, "If-None-Match", `"other", `+etag)
	if again.Status != 304 || len(again.Body) != 0 || again.Header.Get("ETag") != etag {
		t.Errorf("If-None-Match with the ETag: %d, %d bytes, ETag %q; want 304, none, %q", again.Status, len(again.Body), again.Header.Get("ETag"), etag)
	}
	if other := e.do("GET", path, c.key, nil, "If-None-Match", `"other"`); other.Status != 200 {
		t.Errorf("If-None-Match with another ETag: %d, want 200", other.Status)
	}
	smaller := e.do("GET", "/v1/companies/"+c.id+"/invoices?limit=1", c.key, nil, "If-None-Match", etag)
	if smaller.Status != 200 || smaller.Header.Get("ETag") == etag {
		t.Errorf("another answer with the first's ETag: %d, ETag %q", smaller.Status, smaller.Header.Get("ETag"))
	}
	// Errors are never cached or compressed.
	missing := e.do("GET", "/v1/companies/"+c.id+"/invoices/nope", c.key, nil, "Accept-Encoding", "gzip")
	if missing.Status != 404 || missing.Header.Get("ETag") != "" || missing.Header.Get("Content-Encoding") != "" {
		t.Errorf("404: ETag %q, Content-Encoding %q", missing.Header.Get("ETag"), missing.Header.Get("Content-Encoding"))
	}
}
