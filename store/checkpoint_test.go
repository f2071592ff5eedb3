package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/internal/wait"
	"github.com/qbconnect/qbconnect/store"
)

// TestSQLiteWritesReachTheDatabaseFileWithoutTheWriterCheckpointing: what
// commits to SQLite's write-ahead log is copied into the database file by
// the store's own checkpointer, well before the writer's backstop (256
// MiB of log) would make a commit do it.
func TestSQLiteWritesReachTheDatabaseFileWithoutTheWriterCheckpointing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "qbconnect.db")
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	data := `{"memo":"` + strings.Repeat("x", 2000) + `"}`
	var rs []*qbconnect.Record
	for i := range 2500 { // about 5 MB
		rs = append(rs, &qbconnect.Record{CompanyID: "co_1", Type: "customers", ID: fmt.Sprintf("80000%04d-1", i),
			ModifiedAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Data: []byte(data)})
	}
	if err := store.NewRecordStore(db).UpsertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the records in the database file", time.Minute, func() (bool, string) {
		got := size()
		return got >= before+4<<20, fmt.Sprintf("database file %d bytes, %d before the writes", got, before)
	})
}
