package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/qbconnect/qbconnect/store"
)

func sqlitePageSize(tb testing.TB, path string) int {
	tb.Helper()
	var n int
	if err := rawDB(tb, "sqlite:"+path).QueryRow("PRAGMA page_size").Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestSQLiteNewDatabaseHasLargePages checks that a new SQLite store gets 16
// KiB pages in WAL mode, and that an existing database keeps its page size
// and opens as before.
func TestSQLiteNewDatabaseHasLargePages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := sqlitePageSize(t, path); got != 16384 {
		t.Errorf("new database page size = %d, want 16384", got)
	}
	var mode string
	if err := rawDB(t, "sqlite:"+path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal mode = %q, %v; want wal", mode, err)
	}

	old := filepath.Join(dir, "old.db")
	raw, err := sql.Open("sqlite", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE before_qbconnect (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err = store.Open(ctx, "sqlite:"+old, store.Options{})
	if err != nil {
		t.Fatalf("open a database created elsewhere: %v", err)
	}
	org := store.NewOrgStore(db)
	if _, err := org.CreateOrg(ctx, "Acme"); err != nil {
		t.Errorf("write to a database created elsewhere: %v", err)
	}
	db.Close()
	if got := sqlitePageSize(t, old); got != 4096 {
		t.Errorf("existing database page size = %d, want its own 4096", got)
	}
}
