package api_test

import (
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/store"
)

// TestReadingAWriteOperationDoesNotDecodeItsAnswerAgain: a write's
// qbXML answer is decoded once, when the write completes, and the result
// (status, record, QuickBooks' error) is stored with it. GET
// /v1/operations/{id} shows that stored result: it answers the same after
// the stored qbXML answer is made unreadable, which a read that decoded
// it again could not.
func TestReadingAWriteOperationDoesNotDecodeItsAnswerAgain(t *testing.T) {
	for name, dsn := range databases(t) {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dsn(t))
			c := newCompany(t, e, smallCompany())
			c.background(t)
			base := "/v1/companies/" + c.id + "/customers?wait=30s"
			created, _ := c.write(t, 200, "POST", base, `{"name":"Read Once Ltd"}`)
			// The name is taken: the answer is the error, the operation is
			// at Location.
			_, r := c.write(t, 502, "POST", base, `{"name":"Read Once Ltd"}`)
			rejected := operation{ID: strings.TrimPrefix(r.Header.Get("Location"), "/v1/operations/")}
			if created.ID == "" || rejected.ID == "" {
				t.Fatalf("writes answered without their operations: %q, %q", created.ID, rejected.ID)
			}
			before := map[string]string{}
			for _, op := range []operation{created, rejected} {
				before[op.ID] = string(e.mustDo(200, "GET", "/v1/operations/"+op.ID, c.key, nil, nil).Body)
			}

			update := "UPDATE operations SET result = ? WHERE id IN (?, ?)"
			if e.db.Dialect() == store.Postgres {
				update = "UPDATE operations SET result = $1 WHERE id IN ($2, $3)"
			}
			if _, err := e.db.SQLDB().Exec(update, []byte("<not qbXML"), created.ID, rejected.ID); err != nil {
				t.Fatal(err)
			}
			for id, want := range before {
				if got := string(e.mustDo(200, "GET", "/v1/operations/"+id, c.key, nil, nil).Body); got != want {
					t.Errorf("GET /v1/operations/%s after its answer became unreadable:\n%s\nwant\n%s", id, got, want)
				}
			}
			var op operation
			e.mustDo(200, "GET", "/v1/operations/"+created.ID, c.key, nil, &op)
			if op.Status != "Success" || op.Record["name"] != "Read Once Ltd" {
				t.Errorf("created customer's operation: %+v", op)
			}
			e.mustDo(200, "GET", "/v1/operations/"+rejected.ID, c.key, nil, &op)
			if op.Status != "Failed" || op.Error["qbCode"] != "3100" {
				t.Errorf("rejected write's operation: %+v", op)
			}
		})
	}
}
