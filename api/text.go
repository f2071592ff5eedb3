package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/control"
)

// Text that reaches the store must be text both databases hold alike:
// PostgreSQL refuses NUL and invalid UTF-8 (a 500, or a change half done),
// SQLite stores them. The API refuses them first, with 400 invalid, in the
// request line (path IDs, query filters), in JSON bodies (REST and gateway)
// and in the fields it stores.

// checkTexts, checkNames and checkText are the control plane's checks
// (control.CheckTexts), so that the REST API and the connector protocol
// refuse the same text.
func checkTexts(fields map[string]string) error { return control.CheckTexts(fields) }

func checkNames(fields map[string]string) error { return control.CheckNames(fields) }

func checkText(name, v string, noControl bool) error { return control.CheckText(name, v, noControl) }

// checkRequestLine refuses a request whose path or query holds bytes no
// ID or filter may hold (NUL, invalid UTF-8, control characters) or whose
// query cannot be parsed: net/url drops a malformed pair silently, and a
// filter the client believes applied must never be ignored.
func checkRequestLine(r *http.Request) error {
	if err := checkText("the path", r.URL.Path, true); err != nil {
		return err
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return qbconnect.Errorf(qbconnect.EInvalid, "the query string cannot be parsed: %v", err)
	}
	for k, vs := range q {
		if err := checkText("a query parameter name", k, true); err != nil {
			return err
		}
		if len(vs) > 1 {
			// Handlers read one value; the others would be ignored.
			return qbconnect.Errorf(qbconnect.EInvalid, "query parameter %q is given %d times; give it once", k, len(vs))
		}
		for _, v := range vs {
			if err := checkText("query parameter "+strings.ToValidUTF8(k, "?"), v, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkJSONText refuses JSON that encoding/json would accept with a changed
// meaning: invalid UTF-8 (silently replaced by U+FFFD), the escape \u0000
// (a NUL the databases disagree about) and an object with the same key
// twice (the last one silently wins). It runs in one pass over valid or
// invalid JSON alike; syntax errors are left for the decoder to explain.
func checkJSONText(data []byte) error {
	if !utf8.Valid(data) {
		return qbconnect.Errorf(qbconnect.EInvalid, "the request body is not valid UTF-8")
	}
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]struct{}
	}
	var stack []frame
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, frame{object: true, expectKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].expectKey = true
			}
		case '"':
			start := i
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] != '\\' {
					continue
				}
				escaped = true
				i++
				if i+4 < len(data) && data[i] == 'u' && string(data[i+1:i+5]) == "0000" {
					return qbconnect.Errorf(qbconnect.EInvalid, "the request body holds a NUL character (\\u0000) at byte %d", i-1)
				}
			}
			n := len(stack)
			if n == 0 || !stack[n-1].object || !stack[n-1].expectKey || i >= len(data) {
				continue
			}
			f := &stack[n-1]
			f.expectKey = false
			key := string(data[start+1 : i])
			if escaped {
				var k string
				if json.Unmarshal(data[start:i+1], &k) == nil {
					key = k
				}
			}
			if f.keys == nil {
				f.keys = map[string]struct{}{}
			}
			if _, dup := f.keys[key]; dup {
				return qbconnect.Errorf(qbconnect.EInvalid, "the request body has the key %q twice in one object", key)
			}
			f.keys[key] = struct{}{}
		}
	}
	return nil
}
