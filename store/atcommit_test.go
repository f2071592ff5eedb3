package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/qbconnect/qbconnect/store"
	"github.com/qbconnect/qbconnect/store/storetest"
)

// A write put off until commit (execAtCommit: a lease's history row, a
// completion's outcome) runs at commit, after the transaction's other
// statements and in the order it was put off; on PostgreSQL all of them
// go in one round trip. When one fails, the commit fails with its error
// and nothing of the transaction is kept.
func TestWritesPutOffUntilCommitRunInOrderAndFailTheCommit(t *testing.T) {
	dsns := map[string]storetest.DSNFunc{"sqlite": storetest.SQLiteDSN}
	if base := os.Getenv("QBCONNECT_TEST_POSTGRES"); base != "" {
		dsns["postgres"] = storetest.PostgresDSN(base)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e := storetest.NewEnv(t, dsn(t), store.Options{})
			insert := func(id string) store.Stmt {
				return store.Stmt{Query: "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, 1)", Args: []any{id, "org " + id}}
			}
			name := func(id string) (string, bool) {
				var n string
				q := "SELECT name FROM orgs WHERE id = ?"
				if e.DB.Dialect() == store.Postgres {
					q = "SELECT name FROM orgs WHERE id = $1"
				}
				err := e.DB.SQLDB().QueryRowContext(ctx, q, id).Scan(&n)
				return n, err == nil
			}
			// The rename is put off after the insert it depends on.
			err := store.WriteWithPutOff(ctx, e.DB, insert("org_a"), insert("org_b"),
				store.Stmt{Query: "UPDATE orgs SET name = ? WHERE id = ?", Args: []any{"renamed", "org_b"}}, insert("org_c"))
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range map[string]string{"org_a": "org org_a", "org_b": "renamed", "org_c": "org org_c"} {
				if got, ok := name(id); !ok || got != want {
					t.Errorf("%s: name %q (found %v), want %q", id, got, ok, want)
				}
			}
			// org_a again breaks the primary key at commit.
			err = store.WriteWithPutOff(ctx, e.DB, insert("org_d"), insert("org_e"), insert("org_a"))
			if err == nil || !strings.Contains(err.Error(), "at commit") {
				t.Fatalf("commit with a failing put-off write: %v, want its error", err)
			}
			for _, id := range []string{"org_d", "org_e"} {
				if _, ok := name(id); ok {
					t.Errorf("%s is stored, though its transaction failed at commit", id)
				}
			}
		})
	}
}
