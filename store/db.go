// Package store keeps the platform's state in SQLite (the embedded default)
// or PostgreSQL: organisations and API keys, companies, connections, link
// codes and connectors, the operation queue, and synced records.
//
// One code path serves both databases; the SQL differs only where the
// dialects do (placeholders, row locks, NOTIFY), and each dialect has its own
// goose migrations, applied by Open. The conformance suite in
// store/storetest runs against both.
//
// It imports only the domain (package qbconnect). The platform's wiring
// (internal/platform, cmd/qbconnect), the sync engine, notify and release
// import it; the API and the Web Connector endpoint reach it through the
// domain's service interfaces, and the connector and the simulator never
// import it.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/qbconnect/qbconnect"
)

// Options configure a DB. The zero value is usable: every field has a default.
type Options struct {
	// Now is the clock; nil means time.Now. Times are stored with
	// microsecond precision.
	Now func() time.Time
	// Rand is the source of IDs and secrets; nil means crypto/rand.Reader.
	// Outside tests it must be cryptographically secure. It is read under a
	// lock, so it need not be safe for concurrent use.
	Rand io.Reader
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// MaxAttempts is the default number of attempts of an operation that
	// does not set its own; 0 means 5.
	MaxAttempts int
	// RetryBase and RetryMax bound the exponential back-off after a
	// retryable failure; 0 means 5s and 5m.
	RetryBase, RetryMax time.Duration
	// LinkCodeTTL is how long a link code is valid when the caller gives no
	// TTL; 0 means one hour.
	LinkCodeTTL time.Duration
	// MaxConns is the PostgreSQL pool size, or the number of SQLite reader
	// connections; 0 means 10 and 4.
	MaxConns int
}

func (o *Options) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 5 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.LinkCodeTTL <= 0 {
		o.LinkCodeTTL = time.Hour
	}
}

// Dialect names the database behind a DB.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open store. It is safe for concurrent use. Services are views on
// it: NewOrgStore(db), NewCompanyStore(db), NewConnectionStore(db),
// NewQueueStore(db), NewRecordStore(db).
type DB struct {
	dialect Dialect
	// write takes every transaction that writes. With SQLite it holds one
	// connection, so writes are serialised in process (and BEGIN IMMEDIATE
	// serialises them across processes); with PostgreSQL it is the pool.
	write *sql.DB
	// read serves queries; it is write itself with PostgreSQL.
	read *sql.DB

	opts   Options
	log    *slog.Logger
	randMu sync.Mutex

	hub *hub
	// dispatch answers idle long-polls from memory (dispatch.go).
	dispatch *Dispatcher
	// channel is the PostgreSQL NOTIFY channel of this schema.
	channel      string
	stopListener context.CancelFunc
	listenerDone chan struct{}
	// checkpoint runs SQLite's checkpoints beside the writer
	// (checkpoint.go); nil with PostgreSQL.
	checkpoint *checkpointer
	// recordUpsert (UpsertRecords' full batch) and pageUpsert (a sync
	// page's write of sqlitePageFlush records) are prepared on SQLite's
	// writer at Open: a sync page that joins a transaction holding the
	// writer could not prepare them then. Nil with PostgreSQL.
	recordUpsert, pageUpsert *sql.Stmt
	// pageSeenUpsert is pageUpsert for a full pass's page, which writes
	// its sweep generation into every record (SyncPage.SweepUnseen).
	pageSeenUpsert *sql.Stmt
	// pageSeenNew is a first pass's insert of sqlitePageFlush records
	// (SyncPage.insertNew).
	pageSeenNew *sql.Stmt
}

// Open opens the store named by dsn and applies pending migrations.
// dsn is "sqlite:PATH" or a "postgres://" (or "postgresql://") URL. With
// PostgreSQL the URL may carry search_path to use a schema other than
// public; the schema must exist.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	opts.setDefaults()
	db := &DB{opts: opts, log: opts.Logger, hub: newHub()}
	db.dispatch = newDispatcher(db)
	db.hub.observer = db.dispatch
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		err = db.openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		err = db.openPostgres(ctx, dsn)
	default:
		return nil, qbconnect.Errorf(qbconnect.EInvalid, "database %q: want sqlite:PATH or a postgres:// URL", redact(dsn))
	}
	if err != nil {
		db.closePools()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.dialect != Postgres {
		if db.recordUpsert, err = db.write.PrepareContext(ctx, recordInsertSQL(recordBatch)); err != nil {
			db.Close()
			return nil, fmt.Errorf("prepare record upsert: %w", err)
		}
		if db.pageUpsert, err = db.write.PrepareContext(ctx, recordInsertSQL(sqlitePageFlush)); err != nil {
			db.Close()
			return nil, fmt.Errorf("prepare record upsert: %w", err)
		}
		if db.pageSeenUpsert, err = db.write.PrepareContext(ctx, recordSeenInsertSQL(sqlitePageFlush, recordSeenConflict)); err != nil {
			db.Close()
			return nil, fmt.Errorf("prepare record upsert: %w", err)
		}
		if db.pageSeenNew, err = db.write.PrepareContext(ctx, recordNewSQL(sqlitePageFlush, true)); err != nil {
			db.Close()
			return nil, fmt.Errorf("prepare record insert: %w", err)
		}
	}
	if db.dialect == Postgres {
		if err := db.startListener(ctx, dsn); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

func (db *DB) openSQLite(path string) error {
	if path == "" {
		return qbconnect.Errorf(qbconnect.EInvalid, "sqlite: empty path")
	}
	db.dialect = SQLite
	// synchronous=NORMAL in WAL mode never corrupts the file, but a power
	// loss may undo the last transactions. Every writer tolerates that: a
	// sync page commits with its checkpoint, so a lost page is fetched
	// again (a moved iterator restarts the pass), and a lost result is
	// re-leased and recovered through its message set ID.
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	if err := createSQLite(path); err != nil {
		return err
	}
	var err error
	// The writer's page cache holds sqliteWriterCache KiB rather than
	// SQLite's default 2 MB: a sync page's upserts touch the records
	// table's and its indexes' pages over and over, and pages that fall out
	// are read back with a system call each.
	db.write, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate&_pragma=cache_size(-"+strconv.Itoa(sqliteWriterCache)+")"+
		"&_pragma=wal_autocheckpoint("+strconv.Itoa(sqliteCheckpointBackstop)+")")
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	// Create the file and switch it to WAL before readers open it.
	if err := db.write.Ping(); err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.read, err = sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := db.opts.MaxConns
	if n <= 0 {
		n = 4
	}
	db.read.SetMaxOpenConns(n)
	db.read.SetMaxIdleConns(n)
	return db.startCheckpointer(path)
}

// sqliteWriterCache is the writer connection's page cache in KiB (64 MiB).
const sqliteWriterCache = 64 << 10

// sqlitePageSize is the page size of new SQLite databases. Sync results
// (about 1 MB of qbXML per page) and records are written in large
// transactions, and every WAL frame costs system calls: with 16 KiB pages
// a full sync (BenchmarkFullSync in syncengine) stores about 15% more
// records per CPU-second than with the default 4 KiB, while small queue
// updates still rewrite little.
const sqlitePageSize = 16384

// createSQLite creates a missing database file with sqlitePageSize pages;
// the page size must be set before WAL mode fixes it. An existing file
// keeps its own.
func createSQLite(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	c, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=page_size("+strconv.Itoa(sqlitePageSize)+")")
	if err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	defer c.Close()
	if _, err := c.Exec("PRAGMA journal_mode=WAL"); err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	return nil
}

func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	db.dialect = Postgres
	var err error
	db.write, err = sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres %s: %w", redact(dsn), err)
	}
	n := db.opts.MaxConns
	if n <= 0 {
		n = 10
	}
	db.write.SetMaxOpenConns(n)
	db.write.SetMaxIdleConns(n)
	db.read = db.write
	var schema string
	if err := db.write.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("connect to postgres %s: %w", redact(dsn), err)
	}
	db.channel = "qbconnect_queue"
	if schema != "public" {
		db.channel += "." + schema
	}
	return nil
}

// Dialect reports which database the store uses.
func (db *DB) Dialect() Dialect { return db.dialect }

// Ping reports whether the database answers and holds the store's schema:
// it reads the migrations table through the pool that serves queries, so
// that a database that is down, a closed store or a dropped schema all
// fail it. It does not wait for SQLite's single writer, so a long write
// transaction does not make the server look unready.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM qbconnect_migrations").Scan(&n); err != nil {
		return fmt.Errorf("database %s: %w", db.dialect, err)
	}
	if n == 0 {
		return fmt.Errorf("database %s: no migration applied", db.dialect)
	}
	return nil
}

// Close stops the notification listener and the checkpointer and closes
// the pools.
func (db *DB) Close() error {
	if db.stopListener != nil {
		db.stopListener()
		<-db.listenerDone
	}
	return db.closePools()
}

func (db *DB) closePools() error {
	var errs []error
	errs = append(errs, db.checkpoint.stop())
	if db.recordUpsert != nil {
		errs = append(errs, db.recordUpsert.Close())
	}
	if db.pageSeenUpsert != nil {
		errs = append(errs, db.pageSeenUpsert.Close())
	}
	if db.pageSeenNew != nil {
		errs = append(errs, db.pageSeenNew.Close())
	}
	if db.pageUpsert != nil {
		errs = append(errs, db.pageUpsert.Close())
	}
	if db.read != nil && db.read != db.write {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// now returns the clock's time in UTC at the precision the store keeps.
func (db *DB) now() time.Time {
	return db.opts.Now().UTC().Truncate(time.Microsecond)
}

// rebind turns the ? placeholders of a query into PostgreSQL's $n. Queries
// in this package never contain a literal question mark.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// forUpdate returns the row-locking clause for PostgreSQL; SQLite has one
// writer, so its transactions need none.
func (db *DB) forUpdate(clause string) string {
	if db.dialect == Postgres {
		return " " + clause
	}
	return ""
}

func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, db.rebind(query), args...)
}

func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.read.QueryContext(ctx, db.rebind(query), args...)
}

// tx is a write transaction. Notifications queued with notify reach
// waiters only once it commits.
type tx struct {
	*sql.Tx
	db *DB
	// conn is the transaction's connection on PostgreSQL (begin), for
	// copyFrom; nil on SQLite.
	conn  *sql.Conn
	wake  []string
	after []func() // see AfterCommit
	// batch (inTx's transactions) sends the PostgreSQL notifications in
	// one statement just before commit (flushPending) rather than one
	// statement each: they are delivered at commit either way.
	batch bool
	// pending are the statements execAtCommit put off until commit.
	pending []pendingStmt
}

// pendingStmt is a statement execAtCommit put off: rebound, with its
// arguments.
type pendingStmt struct {
	query string
	args  []any
}

// begin starts a write transaction. On PostgreSQL it holds the
// transaction's connection too, as a *sql.Conn, so that a COPY, which
// database/sql cannot send, can run in it (copyFrom); Commit and Rollback
// hand the connection back to the pool.
func (db *DB) begin(ctx context.Context) (*tx, error) {
	if db.dialect != Postgres {
		stx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("begin: %w", err)
		}
		return &tx{Tx: stx, db: db}, nil
	}
	c, err := db.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	stx, err := c.BeginTx(ctx, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &tx{Tx: stx, db: db, conn: c}, nil
}

// Commit runs the statements execAtCommit put off, commits t and hands
// its connection back. When one of those statements fails, it rolls t
// back and returns that statement's error.
func (t *tx) Commit() error {
	if err := t.flushPending(context.Background()); err != nil {
		_ = t.Rollback()
		return err
	}
	err := t.Tx.Commit()
	t.release()
	return err
}

// Rollback rolls t back, unless it is finished already, and hands its
// connection back.
func (t *tx) Rollback() error {
	err := t.Tx.Rollback()
	t.release()
	return err
}

func (t *tx) release() {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// copyFrom copies rows into table's columns with PostgreSQL's COPY, in t,
// and returns how many it copied. A row that breaks a constraint fails
// the whole COPY (and the transaction, up to its last savepoint).
func (t *tx) copyFrom(ctx context.Context, table string, columns []string, rows [][]any) (int64, error) {
	if t.conn == nil {
		return 0, errors.New("copy: not a PostgreSQL transaction")
	}
	var n int64
	err := t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: the connection is a %T, not pgx's", dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
	return n, err
}

// AfterCommit makes fn run once t committed, never when it rolls back.
// Change hooks find it on their qbconnect.EventRecorder by assertion: the
// control plane starts there the deliveries of an event recorded by a
// change no caller waits on (the sync scheduler's end of a pass).
func (t *tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// committed wakes the waiters of what t changed and runs its AfterCommit
// funcs, once t committed.
func (t *tx) committed() {
	t.db.checkpoint.wrote()
	for _, k := range t.wake {
		t.db.hub.notify(k)
	}
	for _, fn := range t.after {
		fn()
	}
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.ExecContext(ctx, t.db.rebind(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.QueryRowContext(ctx, t.db.rebind(query), args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.QueryContext(ctx, t.db.rebind(query), args...)
}

// notify wakes, after commit, whoever waits on key (a connector or
// connection ID) in this process and, with PostgreSQL, in every process.
func (t *tx) notify(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	for _, k := range t.wake {
		if k == key {
			return nil
		}
	}
	if strings.HasPrefix(key, connectionsPrefix) {
		// Ahead of the connector's own key, here (committed) and in the
		// batch (flushPending): the poll it wakes must find the connections
		// it remembers already dropped.
		t.wake = append([]string{key}, t.wake...)
	} else {
		t.wake = append(t.wake, key)
	}
	if t.db.dialect == Postgres && !t.batch {
		if _, err := t.exec(ctx, "SELECT pg_notify(?, ?)", t.db.channel, key); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	return nil
}

// execAtCommit puts query off until t commits: it then runs with the
// other statements put off, in order, and a batching transaction's
// notifications, in one round trip to PostgreSQL instead of one each
// (SQLite, in the process, runs them one by one). It is for a write
// that nothing later in the transaction reads (a lease's history row, an
// outcome's) and whose failure fails the transaction: its error comes
// from Commit, or from inTx.
func (t *tx) execAtCommit(query string, args ...any) {
	t.pending = append(t.pending, pendingStmt{t.db.rebind(query), args})
}

// flushPending runs the statements execAtCommit put off and, in a
// batching transaction on PostgreSQL, sends the notifications in one
// statement after them; on PostgreSQL all of it is one round trip.
func (t *tx) flushPending(ctx context.Context) error {
	stmts := t.pending
	t.pending = nil
	if t.batch && t.db.dialect == Postgres && len(t.wake) > 0 {
		args := make([]any, 0, 2*len(t.wake))
		for _, k := range t.wake {
			args = append(args, t.db.channel, k)
		}
		stmts = append(stmts, pendingStmt{t.db.rebind("SELECT pg_notify(?, ?)" + strings.Repeat(", pg_notify(?, ?)", len(t.wake)-1)), args})
		t.batch = false // sent: Commit must not send them again
	}
	switch {
	case len(stmts) == 0:
		return nil
	case t.conn == nil || len(stmts) == 1:
		for _, st := range stmts {
			if _, err := t.ExecContext(ctx, st.query, st.args...); err != nil {
				return fmt.Errorf("at commit: %w", err)
			}
		}
		return nil
	}
	return t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("at commit: the connection is a %T, not pgx's", dc)
		}
		b := &pgx.Batch{}
		for _, st := range stmts {
			b.Queue(st.query, st.args...)
		}
		br := c.Conn().SendBatch(ctx, b)
		for range stmts {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return fmt.Errorf("at commit: %w", err)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("at commit: %w", err)
		}
		return nil
	})
}

// inTx runs fn in a write transaction and commits it when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*tx) error) error {
	t, err := db.begin(ctx)
	if err != nil {
		return err
	}
	t.batch = true
	if err := fn(t); err != nil {
		_ = t.Rollback()
		return err
	}
	if err := t.flushPending(ctx); err != nil {
		_ = t.Rollback()
		return err
	}
	db.hub.expectEchoes(t.wake)
	if err := t.Commit(); err != nil {
		db.hub.commitFailed(t.wake)
		return fmt.Errorf("commit: %w", err)
	}
	t.committed()
	return nil
}

// inOrg turns a row of an organisation other than orgID into sql.ErrNoRows,
// for lookups that select a row by its unique ID alone and check its
// organisation afterwards. With `WHERE org_id = ? AND id = ?`, PostgreSQL's
// generic plan for a table not yet analysed can take an index led by
// org_id and read every row of the organisation to find one: in a
// 10,000-connector benchmark run, on a new database, operation lookups
// read 7,500 buffers each on average and connection lookups 5,000. By ID
// alone, the unique index is the only one that fits.
func inOrg(err error, rowOrg, orgID string) error {
	if err == nil && rowOrg != orgID {
		return sql.ErrNoRows
	}
	return err
}

// notFound converts sql.ErrNoRows into an ENotFound error naming what was
// looked up; other errors are wrapped.
func notFound(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return qbconnect.Errorf(qbconnect.ENotFound, "%s %q not found", what, id)
	}
	return fmt.Errorf("find %s %q: %w", what, id, err)
}

// isUniqueViolation reports whether err is a unique or primary key
// constraint failure in either dialect.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// redact hides the password of a URL-style DSN in messages.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	creds := dsn[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return dsn[:scheme+3] + creds[:i] + ":***" + dsn[at:]
	}
	return dsn
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// oneOf returns the condition that col holds one of values (at least
// one), and its arguments: one array on PostgreSQL, a placeholder each on
// SQLite.
func (db *DB) oneOf(col string, values []string) (string, []any) {
	if db.dialect == Postgres {
		return col + " = ANY(?::text[])", []any{values}
	}
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return col + " IN (?" + strings.Repeat(", ?", len(values)-1) + ")", args
}

// scanIDs reads and closes rows of one string column.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
