package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// The JSON answers of reads carry a strong ETag (a hash of the body), are
// answered 304 Not Modified when the client's If-None-Match names it, and
// are gzip-compressed for clients that accept it (900 invoices are about
// 1.5 MB as JSON and about 175 KB gzipped). Answers that are not JSON (a
// sync page's raw qbXML) and answers other than 200 pass through as they
// are written.

// minGzipSize is the smallest body worth compressing: below about one
// packet, gzip's header and the CPU cost buy nothing.
const minGzipSize = 1400

// readResponse buffers a 200 JSON answer to a GET or HEAD; anything else
// goes straight to the client.
type readResponse struct {
	w           http.ResponseWriter
	r           *http.Request
	status      int
	passthrough bool
	buf         bytes.Buffer
}

func newReadResponse(w http.ResponseWriter, r *http.Request) *readResponse {
	return &readResponse{w: w, r: r}
}

func (rr *readResponse) Header() http.Header { return rr.w.Header() }

func (rr *readResponse) WriteHeader(status int) {
	if rr.status != 0 {
		return
	}
	rr.status = status
	ct := rr.w.Header().Get("Content-Type")
	if status != http.StatusOK || !strings.HasPrefix(ct, "application/json") || rr.w.Header().Get("Content-Encoding") != "" {
		rr.passthrough = true
		rr.w.WriteHeader(status)
	}
}

func (rr *readResponse) Write(b []byte) (int, error) {
	if rr.status == 0 {
		rr.WriteHeader(http.StatusOK)
	}
	if rr.passthrough {
		return rr.w.Write(b)
	}
	return rr.buf.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (rr *readResponse) Unwrap() http.ResponseWriter { return rr.w }

// finish sends a buffered answer: 304 when If-None-Match names its ETag,
// else the body, gzipped when the client accepts gzip and it is large. It
// reports whether it answered 304.
func (rr *readResponse) finish() (notModified bool) {
	if rr.status == 0 || rr.passthrough {
		return false
	}
	h := rr.w.Header()
	body := rr.buf.Bytes()
	etag := h.Get("ETag")
	if etag == "" {
		sum := sha256.Sum256(body)
		etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		h.Set("ETag", etag)
	}
	h.Add("Vary", "Accept-Encoding")
	if etagListMatches(rr.r.Header.Get("If-None-Match"), etag) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		rr.w.WriteHeader(http.StatusNotModified)
		return true
	}
	if len(body) >= minGzipSize && acceptsGzip(rr.r.Header.Get("Accept-Encoding")) {
		var z bytes.Buffer
		gw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		_, _ = gw.Write(body)
		_ = gw.Close()
		h.Set("Content-Encoding", "gzip")
		body = z.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rr.w.WriteHeader(rr.status)
	_, _ = rr.w.Write(body) // the client went away; nothing to do
	return false
}

// etagListMatches reports whether an If-None-Match (or If-Match) header
// names etag, comparing weakly as RFC 9110 asks of If-None-Match: a W/
// prefix is ignored, and "*" matches any.
func etagListMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		return q > 0
	}
	return false
}
