package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SQLite appends commits to its write-ahead log, and a checkpoint copies
// the log back into the database file. By default the connection whose
// commit takes the log past wal_autocheckpoint pages runs the checkpoint
// inside that commit: with one writer, every write waits while a sync
// page's commit copies megabytes. Here the writer's own checkpoints are a
// backstop only (sqliteCheckpointBackstop pages), and a goroutine with a
// connection of its own runs passive checkpoints beside the writer, after
// writes, at most every sqliteCheckpointEvery. A passive checkpoint never
// waits for the writer or readers; what it cannot copy yet, the next one
// does.
const (
	sqliteCheckpointEvery    = time.Second
	sqliteCheckpointBackstop = 16384 // pages of sqlitePageSize: 256 MiB
)

// checkpointer runs SQLite's checkpoints off the writer (see above).
type checkpointer struct {
	conn   *sql.DB
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// startCheckpointer opens the checkpointer's connection to the SQLite
// database at path and starts it; DB.Close stops it.
func (db *DB) startCheckpointer(path string) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	conn.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{conn: conn, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	db.checkpoint = c
	go c.run(ctx, db)
	return nil
}

func (c *checkpointer) run(ctx context.Context, db *DB) {
	defer close(c.done)
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		if _, err := c.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
			db.log.Warn("sqlite checkpoint", "err", err)
		}
		pause.Reset(sqliteCheckpointEvery)
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
	}
}

// wrote tells the checkpointer that a write transaction committed; it
// never blocks.
func (c *checkpointer) wrote() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// stop ends the checkpointer and closes its connection; the writer's
// close runs the last checkpoint.
func (c *checkpointer) stop() error {
	if c == nil {
		return nil
	}
	c.cancel()
	<-c.done
	return c.conn.Close()
}
