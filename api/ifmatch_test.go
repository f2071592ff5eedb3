package api_test

import (
	"encoding/json"
	"testing"
)

// TestIfMatchStandsForEditSequenceOnUpdatesDeletesAndVoids: a record's GET
// answers its editSequence as ETag ("<editSequence>"); sent back as
// If-Match it takes the place of editSequence in an update's body, and it
// guards a void or a delete against a record changed since it was read. A
// contradiction with the body, or a malformed If-Match, is refused and
// queues nothing.
func TestIfMatchStandsForEditSequenceOnUpdatesDeletesAndVoids(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, smallCompany())
			c.syncAll(t)
			r := c.refs(t)
			c.background(t)
			base := "/v1/companies/" + c.id + "/invoices"
			created, _ := c.write(t, 200, "POST", base+"?wait=30s", r.expand(writeCases()["invoices"].create))
			id, _ := created.Record["id"].(string)
			es, _ := created.Record["editSequence"].(string)
			if created.Status != "Success" || id == "" || es == "" {
				t.Fatalf("create: %+v", created)
			}
			etag := func() string {
				t.Helper()
				resp := e.do("GET", base+"/"+id, c.key, nil)
				if resp.Status != 200 {
					t.Fatalf("GET the invoice: %d %s", resp.Status, resp.Body)
				}
				return resp.Header.Get("ETag")
			}
			if got := etag(); got != `"`+es+`"` {
				t.Fatalf("GET ETag = %s, want the editSequence %q as an entity tag", got, es)
			}
			// If-Match instead of editSequence in the body.
			updated, _ := c.write(t, 200, "PATCH", base+"/"+id+"?wait=30s", `{"memo":"updated with If-Match"}`, "If-Match", `"`+es+`"`)
			newES, _ := updated.Record["editSequence"].(string)
			if updated.Status != "Success" || newES == "" || newES == es || updated.Record["memo"] != "updated with If-Match" {
				t.Fatalf("update with If-Match: %+v", updated)
			}
			if got := etag(); got != `"`+newES+`"` {
				t.Errorf("after the update, ETag = %s, want %q", got, newES)
			}
			// Refused, queuing nothing: If-Match and the body disagree; a
			// malformed If-Match; If-Match on a create.
			for _, bad := range []struct{ method, path, body, ifMatch string }{
				{"PATCH", base + "/" + id, `{"editSequence":"` + es + `","memo":"contradiction"}`, `"` + newES + `"`},
				{"PATCH", base + "/" + id, `{"memo":"any"}`, `*`},
				{"PATCH", base + "/" + id, `{"memo":"weak"}`, `W/"` + newES + `"`},
				{"DELETE", base + "/" + id, ``, `"` + newES + `", "` + es + `"`},
				{"POST", base + "/" + id + "/void", ``, newES},
				{"POST", base, r.expand(writeCases()["invoices"].create), `"` + newES + `"`},
			} {
				var body any
				if bad.body != "" {
					body = bad.body
				}
				resp := e.do(bad.method, bad.path, c.key, body, "If-Match", bad.ifMatch)
				if resp.Status != 400 || resp.ErrorCode() != "invalid" {
					t.Errorf("%s %s with If-Match %s: %d %s, want 400 invalid", bad.method, bad.path, bad.ifMatch, resp.Status, resp.Body)
				}
			}
			// A stale If-Match: the update fails as a stale editSequence
			// does (QuickBooks refuses it, 3200); a void or a delete is
			// refused before anything is queued.
			_, resp := c.write(t, 409, "PATCH", base+"/"+id+"?wait=30s", `{"memo":"stale"}`, "If-Match", `"`+es+`"`)
			var eb struct{ Error map[string]string }
			json.Unmarshal(resp.Body, &eb)
			if eb.Error["code"] != "conflict" || eb.Error["qbCode"] != "3200" {
				t.Errorf("update with a stale If-Match: %s", resp.Body)
			}
			for _, stale := range []struct{ method, path string }{{"POST", base + "/" + id + "/void"}, {"DELETE", base + "/" + id}} {
				resp := e.do(stale.method, stale.path+"?wait=30s", c.key, nil, "If-Match", `"`+es+`"`)
				if resp.Status != 409 || resp.ErrorCode() != "conflict" || resp.Header.Get("Location") != "" {
					t.Errorf("%s with a stale If-Match: %d %s (Location %q), want 409 conflict and no operation", stale.method, resp.Status, resp.Body, resp.Header.Get("Location"))
				}
			}
			var stored map[string]any
			c.get(t, base+"/"+id, &stored)
			if stored["editSequence"] != newES || stored["memo"] != "updated with If-Match" || stored["deleted"] == true {
				t.Errorf("the refused writes changed the invoice: %v", stored)
			}
			// The current ETag voids, then deletes.
			voided, _ := c.write(t, 200, "POST", base+"/"+id+"/void?wait=30s", "", "If-Match", etag())
			if voided.Status != "Success" {
				t.Errorf("void with the current If-Match: %+v", voided)
			}
			deleted, _ := c.write(t, 200, "DELETE", base+"/"+id+"?wait=30s", "", "If-Match", etag())
			if deleted.Status != "Success" {
				t.Errorf("delete with the current If-Match: %+v", deleted)
			}
			// A deleted record has no editSequence ETag, and If-Match on it
			// is a conflict.
			c.get(t, base+"/"+id, &stored)
			last, _ := stored["editSequence"].(string)
			if got := etag(); stored["deleted"] != true || got == `"`+last+`"` {
				t.Errorf("the deleted invoice (deleted: %v) has its editSequence as ETag: %s", stored["deleted"], got)
			}
			if resp := e.do("DELETE", base+"/"+id, c.key, nil, "If-Match", `"`+last+`"`); resp.Status != 409 || resp.ErrorCode() != "conflict" {
				t.Errorf("delete of a deleted invoice with If-Match: %d %s, want 409 conflict", resp.Status, resp.Body)
			}
		})
	}
}
