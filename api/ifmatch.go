package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/qbconnect/qbconnect"
)

// If-Match on updates, deletes and voids is the HTTP form of a record's
// editSequence: the entity tag "<editSequence>" (the editSequence in
// double quotes), which is also the ETag of the record's GET while the
// record is not deleted. So a client may read a record, keep its ETag and
// send it back as If-Match instead of copying editSequence into the body.
//
//   - Update: If-Match stands for the body's editSequence. Both given and
//     different is a contradictory request: 400 invalid. A stale one is
//     answered as a stale editSequence is: the operation fails with 409
//     conflict once QuickBooks refuses it (3200).
//   - Delete and void, which QuickBooks runs without an editSequence: the
//     platform compares If-Match with the editSequence of its synced copy
//     when the request arrives, and answers 409 conflict, queuing nothing,
//     when they differ (the record changed since the client read it) or
//     the record was deleted in QuickBooks; 404 when it has no copy.
//
// Only one strong entity tag is accepted: "*", a list or a weak tag
// (W/"...") is 400 invalid.

// recordETag is the ETag of a record's GET: its editSequence as an entity
// tag, or "" (a hash of the body then) for a deleted record or an
// editSequence that cannot be one.
func recordETag(rec *qbconnect.Record) string {
	if rec.Deleted || rec.EditSequence == "" || !validETagText(rec.EditSequence) {
		return ""
	}
	return `"` + rec.EditSequence + `"`
}

// validETagText reports whether s may stand between an entity tag's
// quotes (RFC 9110 etagc: no space, no DEL, no double quote).
func validETagText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c == '"' || c == 0x7f {
			return false
		}
	}
	return true
}

// ifMatchEditSequence reads If-Match as an editSequence; "" when absent.
func ifMatchEditSequence(r *http.Request) (string, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return "", nil
	}
	v := strings.TrimSpace(strings.Join(values, ","))
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' || !validETagText(v[1:len(v)-1]) {
		return "", &qbconnect.Error{Code: qbconnect.EInvalid,
			Message:    "If-Match must be one entity tag holding the record's editSequence, such as \"1700000000\" with its double quotes, not " + truncate(v, 80),
			Resolution: "Send the ETag of the record's GET, or its editSequence in double quotes; \"*\", lists and weak tags (W/) are not accepted."}
	}
	return v[1 : len(v)-1], nil
}

// withEditSequence returns an update's body with the editSequence of
// If-Match: the body as it is when it already holds the same one, the
// body with it added when it holds none, and a 400 when it holds another.
func withEditSequence(body json.RawMessage, editSequence string) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "the request body must be a JSON object: %v", err)
	}
	if raw, ok := fields["editSequence"]; ok {
		var got string
		if json.Unmarshal(raw, &got) != nil || got != editSequence {
			return nil, &qbconnect.Error{Code: qbconnect.EInvalid,
				Message:    "If-Match names editSequence " + editSequence + " but the body's editSequence is " + truncate(string(raw), 40),
				Resolution: "Send the editSequence once, in If-Match or in the body, or the same one in both."}
		}
		return body, nil
	}
	es, _ := json.Marshal(editSequence)
	rest := bytes.TrimSpace(body[1:])
	var b bytes.Buffer
	b.WriteString(`{"editSequence":`)
	b.Write(es)
	if len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes(), nil
}

// checkIfMatch compares a delete's or void's If-Match with the platform's
// copy of the record.
func (s *Server) checkIfMatch(ctx context.Context, c *qbconnect.Company, t qbconnect.DataTypeInfo, id, editSequence string) error {
	recs, err := s.records()
	if err != nil {
		return err
	}
	rec, err := recs.FindRecord(ctx, c.OrgID, c.ID, t.Name, id)
	if err != nil {
		return notFound(err, "record")
	}
	if rec.Deleted {
		return &qbconnect.Error{Code: qbconnect.EConflict, Message: "record " + id + " was deleted in QuickBooks; nothing was queued",
			UserMessage: "This record no longer exists in QuickBooks.", Resolution: "Read the record again before changing it."}
	}
	if rec.EditSequence != editSequence {
		return &qbconnect.Error{Code: qbconnect.EConflict,
			Message:     "If-Match names editSequence " + editSequence + " but record " + id + " is now at " + rec.EditSequence + ": it changed since it was read; nothing was queued",
			UserMessage: "This record was changed in QuickBooks since it was read.",
			Resolution:  "Read the record again and send its current ETag (or editSequence)."}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
