package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxAPIKey
	ctxConnector
)

// requestID returns the request's ID, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// withRequestID gives every request an ID: the caller's X-Request-Id when it
// is short and plain, a new random one otherwise. The answer carries it.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = s.newID("req_")
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxRequestID, id)))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// newID returns prefix and 12 random bytes in hex.
func (s *Server) newID(prefix string) string {
	var b [12]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil {
		// A failing random source is a broken machine; an ID is still
		// needed to answer, and it need not be secret.
		return fmt.Sprintf("%s%x", prefix, s.cfg.Now().UnixNano())
	}
	return prefix + hex.EncodeToString(b[:])
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap turns a route into an http.Handler: authentication, panic recovery,
// error writing, a log line and metrics.
func (s *Server) wrap(rt Route) http.Handler {
	// Metrics label the route by its pattern alone (the method is a label
	// of its own), so that one route's series sum across methods.
	route, method := rt.Pattern, rt.Method
	if rt.Method == "" {
		route, method = "unmatched", "any"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		out := w
		var read *readResponse
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			read = newReadResponse(w, r)
			out = read
		}
		sw := &statusWriter{ResponseWriter: out}
		ctx := r.Context()
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.writeError(sw, r, fmt.Errorf("panic: %v", p))
			}
			if read != nil && read.finish() {
				sw.status = http.StatusNotModified
			}
			elapsed := time.Since(start)
			s.metrics.observeRequest(method, route, sw.status, elapsed)
			org := orgID(ctx)
			if c := connectorOf(ctx); c != nil {
				org = "connector:" + c.ID
			}
			// One line per request; durations in seconds, as everywhere in
			// the logs and metrics.
			s.cfg.Logger.Log(ctx, s.logLevel(sw.status), "request",
				"method", r.Method, "path", r.URL.Path, "route", route, "status", sw.status,
				"duration", elapsed.Seconds(), "requestId", requestID(ctx), "org", org)
		}()
		err := checkRequestLine(r)
		if err == nil {
			var authed context.Context
			if authed, err = s.authenticate(r, rt.Auth); err == nil {
				ctx = authed
				err = rt.handle(sw, r.WithContext(ctx))
			}
		}
		if err != nil {
			s.writeError(sw, r, err)
		}
	})
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// decodeJSON reads a JSON request body of at most limit bytes into v,
// rejecting unknown fields, trailing data and other content types with
// errors that say exactly what is wrong. An empty body is EInvalid unless
// allowEmpty, in which case v is left as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64, allowEmpty bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return qbconnect.Errorf(qbconnect.EInvalid, "Content-Type must be application/json, not %q", ct)
		}
	}
	if enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc != "" && enc != "identity" {
		return qbconnect.Errorf(qbconnect.EInvalid, "Content-Encoding %q is not accepted here", enc)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	data, err := io.ReadAll(body)
	if err != nil {
		return bodyReadError(err, limit)
	}
	return unmarshalStrict(data, v, allowEmpty)
}

// bodyReadError explains a failure to read a request body.
func bodyReadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, errTooLarge) {
		return &qbconnect.Error{Code: qbconnect.ETooLarge,
			Message:    fmt.Sprintf("request body is larger than %d bytes", limit),
			Resolution: fmt.Sprintf("Send at most %d bytes.", limit)}
	}
	var qe *qbconnect.Error
	if errors.As(err, &qe) {
		return qe
	}
	return &qbconnect.Error{Code: qbconnect.EInvalid, Message: "could not read the request body: " + err.Error(), Err: err}
}

var errTooLarge = errors.New("body too large")

// unmarshalStrict decodes one JSON value into v with clear errors.
func unmarshalStrict(data []byte, v any, allowEmpty bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		if allowEmpty {
			return nil
		}
		return qbconnect.Errorf(qbconnect.EInvalid, "the request body is empty; a JSON object is required")
	}
	if err := checkJSONText(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return qbconnect.Errorf(qbconnect.EInvalid, "the request body has data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return qbconnect.Errorf(qbconnect.EInvalid, "the request body has data after the JSON value")
	}
	return nil
}

// jsonError explains a JSON decoding error in words a developer can act on.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return qbconnect.Errorf(qbconnect.EInvalid, "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return qbconnect.Errorf(qbconnect.EInvalid, "the request body must be a JSON %s, not %s", typ.Type, typ.Value)
		}
		return qbconnect.Errorf(qbconnect.EInvalid, "field %q must be %s, not %s", field, jsonKind(typ.Type.String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return qbconnect.Errorf(qbconnect.EInvalid, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return qbconnect.Errorf(qbconnect.EInvalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return qbconnect.Errorf(qbconnect.EInvalid, "invalid JSON: %v", err)
	}
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "struct"):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	default:
		return "of type " + goType
	}
}

// unmatched answers a request that no route takes: 404 in the one error
// shape, naming the methods the path does take (also in Allow) when it
// exists with another method.
func (s *Server) unmatched() handlerFunc {
	paths := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range s.Routes() {
		if allowed[rt.Pattern] == nil {
			paths.Handle(rt.Pattern, http.NotFoundHandler())
		}
		allowed[rt.Pattern] = append(allowed[rt.Pattern], rt.Method)
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		e := &qbconnect.Error{Code: qbconnect.ENotFound,
			Message:     fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path),
			UserMessage: "This address is not part of the API.",
			Resolution:  "Check the method and the path against the API reference."}
		if _, pattern := paths.Handler(r); pattern != "" {
			methods := strings.Join(allowed[pattern], ", ")
			w.Header().Set("Allow", methods)
			e.Message += " (allowed: " + methods + ")"
		}
		return e
	}
}
