package companyfile

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// refsInsertTrigger lists each object inserted in refs_stale (refs.go);
// the generator drops it while it writes (generator.begin).
const refsInsertTrigger = `CREATE TRIGGER IF NOT EXISTS objects_refs_insert AFTER INSERT ON objects BEGIN
  INSERT OR IGNORE INTO refs_stale(seq, indexed) VALUES (NEW.seq, NULL);
END;`

// fileFormat marks a SQLite file as a company file; bump it on incompatible
// schema changes.
const fileFormat = "qbdsim-company-1"

const ddl = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY);
-- objects holds every list element and transaction as its XxxRet fragment
-- plus the columns that queries filter on.
CREATE TABLE IF NOT EXISTS objects (
  seq        INTEGER PRIMARY KEY,
  type       TEXT NOT NULL,     -- object type: Customer, ItemService, Invoice...
  id         TEXT NOT NULL,     -- ListID or TxnID
  name       TEXT,              -- FullName of list elements
  ns         TEXT,              -- name-uniqueness namespace of list elements
  name_key   TEXT,              -- upper-cased FullName, unique within ns
  parent_id  TEXT,
  ref_number TEXT,
  txn_date   TEXT,              -- YYYY-MM-DD
  created    INTEGER NOT NULL,  -- unix seconds
  modified   INTEGER NOT NULL,  -- unix seconds
  active     INTEGER NOT NULL DEFAULT 1,
  entity_id  TEXT,              -- customer, vendor or payee of a transaction
  account_id TEXT,              -- main account of a transaction
  edit_seq   TEXT NOT NULL,
  effect     INTEGER NOT NULL DEFAULT 0, -- cents this object adds to its entity's balance
  ret        BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_id ON objects(id);
CREATE UNIQUE INDEX IF NOT EXISTS objects_name ON objects(ns, name_key) WHERE name_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_type ON objects(type);
CREATE INDEX IF NOT EXISTS objects_type_modified ON objects(type, modified);
CREATE INDEX IF NOT EXISTS objects_type_date ON objects(type, txn_date);
CREATE INDEX IF NOT EXISTS objects_entity ON objects(entity_id) WHERE entity_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_type_ref ON objects(type, ref_number) WHERE ref_number IS NOT NULL;
-- A customer's TotalBalance adds up its jobs' (jobsBalance), a rename
-- renames the sub-elements (renameChildren), a ListDel looks for what
-- names the element (checkUnused) and a merge repoints the accounts of
-- transactions (repoint): each looks objects up by these columns.
CREATE INDEX IF NOT EXISTS objects_parent ON objects(parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_account ON objects(account_id) WHERE account_id IS NOT NULL;
-- refs records the ListIDs each object's Ret holds (<ListID>...</ListID>:
-- the references it makes, and a list element's own), so that a rename or
-- a merge (rewriteRefs) and a ListDel (checkUnused) find the records that
-- name an element without reading every Ret (refs.go). The triggers list
-- in refs_stale every object inserted, changed or deleted since refs was
-- last brought up to date (flushRefs), whatever wrote it, with the Ret
-- that refs still holds the ListIDs of.
CREATE TABLE IF NOT EXISTS refs (
  list_id TEXT NOT NULL,    -- a ListID the Ret holds
  seq     INTEGER NOT NULL, -- objects.seq of the object
  PRIMARY KEY (list_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refs_stale (
  seq     INTEGER PRIMARY KEY, -- objects.seq
  indexed BLOB                 -- the Ret refs holds the ListIDs of; NULL for none
);
` + refsInsertTrigger + `
CREATE TRIGGER IF NOT EXISTS objects_refs_update AFTER UPDATE OF ret ON objects WHEN NEW.ret IS NOT OLD.ret BEGIN
  INSERT OR IGNORE INTO refs_stale(seq, indexed) VALUES (NEW.seq, OLD.ret);
END;
CREATE TRIGGER IF NOT EXISTS objects_refs_delete AFTER DELETE ON objects BEGIN
  INSERT OR IGNORE INTO refs_stale(seq, indexed) VALUES (OLD.seq, OLD.ret);
END;
-- An opening balance that moves without the Ret (a merge adds the merged
-- name's to the other's) lists the object too: the account balances a
-- write moves read the changed objects from refs_stale (moveBalances).
CREATE TRIGGER IF NOT EXISTS objects_refs_effect AFTER UPDATE OF effect ON objects
  WHEN NEW.effect IS NOT OLD.effect AND NEW.type IN ('Account', 'Customer', 'Vendor') BEGIN
  INSERT OR IGNORE INTO refs_stale(seq, indexed) VALUES (NEW.seq, OLD.ret);
END;
CREATE TABLE IF NOT EXISTS deleted (
  seq        INTEGER PRIMARY KEY,
  type       TEXT NOT NULL,
  id         TEXT NOT NULL,
  name       TEXT,
  ref_number TEXT,
  created    INTEGER NOT NULL,
  deleted    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deleted_type ON deleted(type, deleted);
-- links records the payments applied to invoices and bills (the
-- AppliedToTxnRet of ReceivePayment, BillPaymentCheck and
-- BillPaymentCreditCard), for LinkedTxn and to refuse removing a paid
-- transaction.
CREATE TABLE IF NOT EXISTS links (
  target_id  TEXT NOT NULL,    -- TxnID of the invoice or bill
  payer_seq  INTEGER NOT NULL, -- objects.seq of the payment
  payer_id   TEXT NOT NULL,    -- TxnID of the payment
  amount     INTEGER NOT NULL, -- cents applied
  PRIMARY KEY (target_id, payer_seq)
);
CREATE INDEX IF NOT EXISTS links_payer ON links(payer_id);
-- credit_links records the credits that payments apply to invoices and
-- bills (SetCredit: the LinkedTxn of an AppliedToTxnRet), for LinkedTxn
-- on both sides and to refuse removing an applied credit or the
-- transaction it is applied to.
CREATE TABLE IF NOT EXISTS credit_links (
  credit_id  TEXT NOT NULL,    -- TxnID of the credit memo or vendor credit
  target_id  TEXT NOT NULL,    -- TxnID of the invoice or bill
  payer_seq  INTEGER NOT NULL, -- objects.seq of the payment that applies it
  payer_id   TEXT NOT NULL,    -- TxnID of that payment
  amount     INTEGER NOT NULL, -- cents applied
  PRIMARY KEY (credit_id, target_id, payer_seq)
);
CREATE INDEX IF NOT EXISTS credit_links_target ON credit_links(target_id);
CREATE INDEX IF NOT EXISTS credit_links_payer ON credit_links(payer_id);
-- journal_lines records every line of a journal entry: its name and
-- account, which JournalEntryQuery's EntityFilter and AccountFilter match,
-- and what it adds to the balance of the customer or vendor it names
-- (journal.go); other transactions keep theirs in objects.effect.
CREATE TABLE IF NOT EXISTS journal_lines (
  txn_id     TEXT NOT NULL,    -- TxnID of the journal entry
  line_id    TEXT NOT NULL,    -- TxnLineID of the line
  entity_id  TEXT NOT NULL,    -- ListID of the name on the line, '' for none
  account_id TEXT NOT NULL,    -- ListID of the line's account, '' for none
  effect     INTEGER,          -- cents the line adds to its entity's balance; NULL when it moves none
  PRIMARY KEY (txn_id, line_id)
);
CREATE INDEX IF NOT EXISTS journal_lines_entity ON journal_lines(entity_id);
CREATE INDEX IF NOT EXISTS journal_lines_account ON journal_lines(account_id);
-- order_links records which lines of item receipts, bills and invoices
-- receive or invoice which lines of purchase orders and sales orders
-- (LinkToTxnID and LinkToTxn; orders.go).
CREATE TABLE IF NOT EXISTS order_links (
  txn_id        TEXT NOT NULL, -- TxnID of the item receipt, bill or invoice
  line_id       TEXT NOT NULL, -- TxnLineID of its line
  order_id      TEXT NOT NULL, -- TxnID of the purchase or sales order
  order_line_id TEXT NOT NULL, -- TxnLineID of the order's line
  PRIMARY KEY (txn_id, line_id)
);
CREATE INDEX IF NOT EXISTS order_links_order ON order_links(order_id);
-- barcodes keeps the bar code of each item that has one (BarCodeQuery).
CREATE TABLE IF NOT EXISTS barcodes (value TEXT PRIMARY KEY, list_id TEXT NOT NULL);
-- cleared holds the cleared status of transactions and their lines
-- (ClearedStatusMod); line_id is '' for the whole transaction.
CREATE TABLE IF NOT EXISTS cleared (txn_id TEXT NOT NULL, line_id TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (txn_id, line_id));
CREATE TABLE IF NOT EXISTS message_sets (id TEXT PRIMARY KEY, response BLOB NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS data_ext_defs (
  owner_id TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, ret BLOB NOT NULL,
  PRIMARY KEY (owner_id, name)
);
CREATE TABLE IF NOT EXISTS data_ext (
  owner_id TEXT NOT NULL, name TEXT NOT NULL, object_id TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (object_id, owner_id, name)
);
`

func openDB(path string) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(0)&_pragma=cache_size(-65536)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("companyfile: open %s: %w", path, err)
	}
	// One connection: QuickBooks processes one request at a time, and a
	// single connection keeps SQLite transactions simple.
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("companyfile: open %s: %w", path, err)
	}
	return db, nil
}

func hasSQLiteHeader(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	hdr := make([]byte, 16)
	if _, err := fh.Read(hdr); err != nil {
		return false
	}
	return bytes.Equal(hdr, []byte("SQLite format 3\x00"))
}

func (f *File) initialize(ctx context.Context, companyName string) error {
	if _, err := f.db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("companyfile: create schema: %w", err)
	}
	now := f.opt.Now()
	f.ids = idState{next: 0x80000001}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, v := range map[string]string{
		"format":       fileFormat,
		"company.name": companyName,
		"created":      strconv.FormatInt(now.Unix(), 10),
	} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?)`, k, []byte(v)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users(name) VALUES ('Admin')`); err != nil {
		return err
	}
	if err := f.saveIDs(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return f.seedStandardLists(ctx)
}

func (f *File) load(ctx context.Context) error {
	var format []byte
	err := f.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'format'`).Scan(&format)
	if err != nil || string(format) != fileFormat {
		return fmt.Errorf("%w: %s", ErrNotCompanyFile, f.path)
	}
	var name []byte
	if err := f.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'company.name'`).Scan(&name); err != nil {
		return fmt.Errorf("%w: %s: no company name", ErrNotCompanyFile, f.path)
	}
	f.name = string(name)
	if err := f.upgrade(ctx); err != nil {
		return err
	}
	return f.loadIDs(ctx)
}

// upgrade adds what a company file written by an earlier simulator lacks:
// the tables and indexes added since, the links (of payments and of the
// credits they apply) filled from the payments it holds,
// the balance effects, names and accounts of its journal entries' lines,
// what its item receipts owe their vendors, and the ListIDs its records
// hold (refs).
func (f *File) upgrade(ctx context.Context) error {
	hasTable := func(name string) (bool, error) {
		var n int
		err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n)
		return n > 0, err
	}
	hasLinks, err := hasTable("links")
	if err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	hasCreditLinks, err := hasTable("credit_links")
	if err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	hasJournalLines, err := hasTable("journal_lines")
	if err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	hasRefs, err := hasTable("refs")
	if err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Tables added later are created by the idempotent schema.
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	if !hasLinks || !hasCreditLinks {
		if err := rebuildLinks(ctx, tx); err != nil {
			return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
		}
	}
	if !hasJournalLines {
		if err := f.rebuildJournalLines(ctx, tx); err != nil {
			return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
		}
	}
	if err := f.oweItemReceipts(ctx, tx); err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	if !hasRefs {
		if err := staleAllRefs(ctx, tx); err != nil {
			return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
		}
	}
	// An earlier simulator that knows nothing of refs may have written
	// the file since: the triggers listed what it wrote. It did not
	// delete the account balances the file keeps, if it knew nothing of
	// them either, and so they are deleted here (as is what the upgrade
	// itself changed).
	changed := map[int64][]byte{}
	if err := flushRefs(ctx, tx, changed); err != nil {
		return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
	}
	if len(changed) > 0 {
		if err := forgetBalances(ctx, tx); err != nil {
			return fmt.Errorf("companyfile: upgrade %s: %w", f.path, err)
		}
	}
	return tx.Commit()
}

// oweItemReceipts leaves the item receipts of a file written before they
// were owed to their vendors open for their totals, and refreshes those
// vendors' balances, once.
func (f *File) oweItemReceipts(ctx context.Context, q querier) error {
	const done = "upgrade.itemreceipts.owed"
	if v, err := getMetaTx(ctx, q, done); err != nil || v != "" {
		return err
	}
	receipts, err := f.queryObjects(ctx, q, `SELECT `+objectCols+` FROM objects WHERE type = 'ItemReceipt' AND effect = 0`)
	if err != nil {
		return err
	}
	var vendors []string
	for _, o := range receipts {
		ret, err := parseNode(o.ret)
		if err != nil {
			return fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
		}
		total := mustCents(textAt(ret, "TotalAmount"))
		if total == 0 {
			continue // voided, or empty
		}
		if _, err := q.ExecContext(ctx, `UPDATE objects SET effect = ? WHERE seq = ?`, total, o.seq); err != nil {
			return err
		}
		vendors = append(vendors, o.entityID)
	}
	if err := f.refreshBalances(ctx, q, vendors); err != nil {
		return err
	}
	return putMetaTx(ctx, q, done, "1")
}

// getMetaTx reads an internal meta value ("" when unset).
func getMetaTx(ctx context.Context, q querier, key string) (string, error) {
	var v []byte
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return string(v), err
}

func putMetaTx(ctx context.Context, q querier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, []byte(value))
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queryStrings runs query, which selects one text column, and returns its
// values in the order of the rows.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// object is one row of the objects table.
type object struct {
	seq       int64
	typ       string
	id        string
	name      string
	ns        string
	parentID  string
	refNumber string
	txnDate   string
	created   int64
	modified  int64
	active    bool
	entityID  string
	accountID string
	editSeq   string
	effect    int64
	ret       []byte
}

const objectCols = `seq, type, id, COALESCE(name,''), COALESCE(ns,''), COALESCE(parent_id,''), COALESCE(ref_number,''), COALESCE(txn_date,''), created, modified, active, COALESCE(entity_id,''), COALESCE(account_id,''), edit_seq, effect, ret`

func scanObject(sc interface{ Scan(...any) error }) (*object, error) {
	o := &object{}
	err := sc.Scan(&o.seq, &o.typ, &o.id, &o.name, &o.ns, &o.parentID, &o.refNumber, &o.txnDate, &o.created, &o.modified, &o.active, &o.entityID, &o.accountID, &o.editSeq, &o.effect, &o.ret)
	return o, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nameKey(name string) string { return strings.ToUpper(name) }

const insertObjectSQL = `INSERT INTO objects(type, id, name, ns, name_key, parent_id, ref_number, txn_date, created, modified, active, entity_id, account_id, edit_seq, effect, ret) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

func objectArgs(o *object) []any {
	var key any
	if o.name != "" && o.ns != "" {
		key = nameKey(o.name)
	}
	return []any{o.typ, o.id, nullable(o.name), nullable(o.ns), key, nullable(o.parentID), nullable(o.refNumber), nullable(o.txnDate), o.created, o.modified, o.active, nullable(o.entityID), nullable(o.accountID), o.editSeq, o.effect, o.ret}
}

func insertObject(ctx context.Context, q querier, o *object) error {
	res, err := q.ExecContext(ctx, insertObjectSQL, objectArgs(o)...)
	if err != nil {
		return fmt.Errorf("companyfile: insert %s: %w", o.typ, err)
	}
	o.seq, _ = res.LastInsertId()
	return nil
}

func updateObject(ctx context.Context, q querier, o *object) error {
	var key any
	if o.name != "" && o.ns != "" {
		key = nameKey(o.name)
	}
	_, err := q.ExecContext(ctx, `UPDATE objects SET name=?, name_key=?, parent_id=?, ref_number=?, txn_date=?, modified=?, active=?, entity_id=?, account_id=?, edit_seq=?, effect=?, ret=? WHERE seq=?`,
		nullable(o.name), key, nullable(o.parentID), nullable(o.refNumber), nullable(o.txnDate), o.modified, o.active, nullable(o.entityID), nullable(o.accountID), o.editSeq, o.effect, o.ret, o.seq)
	if err != nil {
		return fmt.Errorf("companyfile: update %s: %w", o.typ, err)
	}
	return nil
}

// errNoObject is returned by the object getters when nothing matches.
var errNoObject = errors.New("companyfile: no such object")

// getObjectByID returns the object with this ListID/TxnID, or errNoObject.
func getObjectByID(ctx context.Context, q querier, id string) (*object, error) {
	o, err := scanObject(q.QueryRowContext(ctx, `SELECT `+objectCols+` FROM objects WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoObject
	}
	return o, err
}

// getRetByID returns the object with this ListID or TxnID and its Ret,
// parsed; errNoObject when there is none.
func getRetByID(ctx context.Context, q querier, id string) (*object, *qbxml.Node, error) {
	o, err := getObjectByID(ctx, q, id)
	if err != nil {
		return nil, nil, err
	}
	ret, err := parseNode(o.ret)
	if err != nil {
		return nil, nil, fmt.Errorf("companyfile: stored %s %s: %w", o.typ, o.id, err)
	}
	return o, ret, nil
}

// getObjectByName returns the list element with this full name in the
// namespace, or errNoObject.
func getObjectByName(ctx context.Context, q querier, ns, name string) (*object, error) {
	o, err := scanObject(q.QueryRowContext(ctx, `SELECT `+objectCols+` FROM objects WHERE ns = ? AND name_key = ?`, ns, nameKey(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoObject
	}
	return o, err
}
