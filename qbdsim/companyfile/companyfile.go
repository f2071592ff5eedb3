// Package companyfile is the simulator's QuickBooks company file: one SQLite
// file per company, and a qbXML request processor that answers every qbXML
// 13.0 request type with QuickBooks Desktop's semantics (ListID/TxnID and
// EditSequence formats, name uniqueness, references, computed totals and
// balances, lines priced from their items and price levels, subtotals and
// percentage discounts, filters, list order, iterators, deletes, voids,
// merges, payments linked to the invoices and bills they pay (or that
// auto-apply chooses) and to the credits they apply, deposits of
// undeposited payments that lock what they hold, credit limits that
// refuse the invoices going over them, purchase and sales
// orders received and invoiced by the transactions linked to them,
// inventory quantities on hand, on order and on sales orders and average
// costs, account balances from the same ledger as the reports, times
// written with the zone's standard offset as QuickBooks writes them,
// private data extensions and message-set error recovery). Features a
// company may lack (payroll, inventory sites, assemblies, per-item price
// levels, multicurrency; see Feature) answer status 3250 until SetFeature
// switches them on.
//
// It also generates large, realistic and deterministic companies for tests,
// demos and benchmarks (see Generate).
//
// Intuit's qbXML schema, the request validator and the element trees come
// from package qbxml: requests are parsed with qbxml.ParseNode and checked
// with qbxml.Validate, Ret objects are built by walking the content models
// of qbxml.Lookup and stored and written as qbxml.Node trees.
//
// Only the simulator (packages qbdsim and qbdsim/server, cmd/qbdsim), the
// demo (internal/demo, which generates company files) and tests import it;
// it stands where QuickBooks stands and imports only qbxml.
package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
)

// Errors returned by this package. Test them with errors.Is.
var (
	// ErrParse is returned by Process when the request is not well-formed
	// qbXML; the simulator turns it into HRESULT 0x80040400.
	ErrParse = errors.New("companyfile: the request is not well-formed qbXML")
	// ErrNotFound is returned by Open when the file does not exist. It wraps
	// fs.ErrNotExist.
	ErrNotFound = fmt.Errorf("companyfile: company file not found: %w", fs.ErrNotExist)
	// ErrNotCompanyFile is returned by Open when the file exists but is not a
	// company file.
	ErrNotCompanyFile = errors.New("companyfile: not a QuickBooks company file")
	// ErrNoMeta is returned by GetMeta for a key that was never set.
	ErrNoMeta = errors.New("companyfile: no such meta key")
	// ErrExists is returned by Create when the path already exists.
	ErrExists = fmt.Errorf("companyfile: company file already exists: %w", fs.ErrExist)
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("companyfile: company file is closed")
)

// Options configure a File. The zero value is valid.
type Options struct {
	// Now is the clock; nil means time.Now. TimeCreated, TimeModified,
	// EditSequence and IDs come from it.
	Now func() time.Time
	// Logger receives debug records of processed requests; nil discards.
	Logger *slog.Logger
	// Latency is added to every Process call (default none).
	Latency Latency
	// IteratorTTL is how long an idle iterator lives; 0 means 20 minutes.
	IteratorTTL time.Duration
	// BalanceMarksModified makes a transaction that moves a customer's or
	// vendor's Balance or TotalBalance mark it modified too (a new
	// TimeModified and EditSequence). Whether QuickBooks does is not
	// documented, and the default, false, leaves them as they were; a
	// sync engine is tested against both.
	BalanceMarksModified bool
}

// Latency models QuickBooks' processing time: PerRequest for every Process
// call plus PerRecord for every object returned or written. Zero is none.
type Latency struct {
	PerRequest, PerRecord time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.IteratorTTL <= 0 {
		o.IteratorTTL = 20 * time.Minute
	}
	return o
}

// Session is the context in which QuickBooks processes a request: the
// session ticket (iterators are scoped to it), the calling application and
// its access rights, and what HostQuery reports.
type Session struct {
	Ticket  string
	AppName string
	Access  AccessRights
	Host    HostInfo
}

// AccessRights are the rights the company file's administrator granted the
// application (Integrated Applications preferences). A read-only application
// gets status 3263 on every write; one without personal-data access cannot
// read or write personal data (e.g. credit card numbers, SSNs).
type AccessRights struct {
	IsReadOnly                  bool
	IsAutomaticLoginAllowed     bool
	IsPersonalDataAccessAllowed bool
	AutomaticLoginUserName      string
}

// HostInfo is what HostQuery reports. Zero fields get defaults: "QuickBooks
// Enterprise Solutions 24.0", "24", "0", "US", "SingleUser".
type HostInfo struct {
	ProductName, MajorVersion, MinorVersion, Country string
	IsAutomaticLogin                                 bool
	FileMode                                         string // "SingleUser" | "MultiUser"
}

// File is an open company file. Its methods are safe for concurrent use;
// requests are processed one at a time, as QuickBooks does.
type File struct {
	path string
	opt  Options
	db   *sql.DB

	mu      sync.Mutex // serialises Process, writes and the fields below
	closed  bool
	name    string
	latency Latency
	ids     idState
	iters   map[string]*iterator // by iteratorID
	types   *typeRegistry
	// writes counts the writes committed since the file was opened, so
	// that figures derived from every object (balances) are cached until
	// the next one.
	writes   uint64
	balances *derivedBalances
	// derivations counts the times the account balances were derived
	// from every posting since the file was opened, rather than read or
	// moved by a write (tests tell the two apart by it).
	derivations int
	// changed collects, during a write (writeTx), the objects it changed
	// with their Rets before it (flushRefs), from which the write moves
	// the account balances the file keeps (moveBalances); nil outside
	// writes.
	changed map[int64][]byte
	// chart is what the balances need besides the transactions'
	// postings, kept up to date by each write (loadChart).
	chart *chart
	// warning is the status (severity Warn) that the write being handled
	// answers with its data, as QuickBooks warns of a link to a closed
	// order (linkOrders); handle clears it before each request.
	warning *status
}

func (f *File) reg() *typeRegistry { return f.types }

// Create creates a new company file at path (which must not exist) with the
// accounts, terms, payment methods, sales tax codes and preferences a new
// QuickBooks company has.
func Create(path string, companyName string, opt Options) (*File, error) {
	if companyName == "" {
		return nil, errors.New("companyfile: the company name is empty")
	}
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, path)
	}
	opt = opt.withDefaults()
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, opt: opt, db: db, name: companyName, latency: opt.Latency, iters: map[string]*iterator{}, types: newTypeRegistry()}
	if err := f.initialize(context.Background(), companyName); err != nil {
		db.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// Open opens an existing company file. It returns an error wrapping
// ErrNotFound when path does not exist and ErrNotCompanyFile when it is not
// a company file.
func Open(path string, opt Options) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, fmt.Errorf("companyfile: open %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory", ErrNotCompanyFile, path)
	}
	if !hasSQLiteHeader(path) {
		return nil, fmt.Errorf("%w: %s", ErrNotCompanyFile, path)
	}
	opt = opt.withDefaults()
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path, opt: opt, db: db, latency: opt.Latency, iters: map[string]*iterator{}, types: newTypeRegistry()}
	if err := f.load(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return f, nil
}

// Close closes the file. Further calls return ErrClosed.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.iters = nil
	return f.db.Close()
}

// Path returns the path the file was opened with.
func (f *File) Path() string { return f.path }

// CompanyName returns the company's name.
func (f *File) CompanyName() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.name
}

// Users returns the company file's users, "Admin" first.
func (f *File) Users() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	users := []string{"Admin"}
	if f.closed {
		return users
	}
	rows, err := f.db.Query(`SELECT name FROM users WHERE name <> 'Admin' ORDER BY name`)
	if err != nil {
		f.opt.Logger.Error("companyfile: list users", "err", err)
		return users
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			users = append(users, n)
		}
	}
	return users
}

// AddUser adds a QuickBooks user to the company file (Admin always exists).
func (f *File) AddUser(name string) error {
	if name == "" {
		return errors.New("companyfile: the user name is empty")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	_, err := f.db.Exec(`INSERT OR IGNORE INTO users(name) VALUES (?)`, name)
	return err
}

// GetMeta returns the value stored under key, or ErrNoMeta.
func (f *File) GetMeta(key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	var v []byte
	err := f.db.QueryRow(`SELECT value FROM meta WHERE key = ?`, "app."+key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", ErrNoMeta, key)
	}
	if err != nil {
		return nil, fmt.Errorf("companyfile: get meta %q: %w", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// PutMeta stores value under key, replacing any previous value. The
// simulator keeps the company's Integrated Applications preferences here.
func (f *File) PutMeta(key string, value []byte) error {
	if key == "" {
		return errors.New("companyfile: the meta key is empty")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	if value == nil {
		value = []byte{}
	}
	_, err := f.db.Exec(`INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, "app."+key, value)
	if err != nil {
		return fmt.Errorf("companyfile: put meta %q: %w", key, err)
	}
	return nil
}

// SetLatency changes the latency model for later requests.
func (f *File) SetLatency(l Latency) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency = l
}

// EndSession drops the iterators of the session with this ticket.
func (f *File) EndSession(ticket string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, it := range f.iters {
		if it.ticket == ticket {
			delete(f.iters, id)
		}
	}
}

// ErrNoObject is returned by RetXML for an unknown ListID or TxnID.
var ErrNoObject = errNoObject

// Count returns the number of stored objects of a type: an object type
// ("Customer", "ItemService", "Invoice") or a query name that covers
// several ("Item", "Terms").
func (f *File) Count(ctx context.Context, typ string) (int, error) {
	names := []any{typ}
	if _, ok := f.types.byName[typ]; !ok {
		names = names[:0]
		for _, t := range f.types.queryTypes(typ) {
			names = append(names, t.Name)
		}
		if len(names) == 0 {
			return 0, fmt.Errorf("companyfile: unknown object type %q", typ)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, ErrClosed
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")
	var n int
	if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM objects WHERE type IN (`+ph+`)`, names...).Scan(&n); err != nil {
		return 0, fmt.Errorf("companyfile: count %s: %w", typ, err)
	}
	return n, nil
}

// RetXML returns the stored XxxRet element (with every line) of the object
// with this ListID or TxnID, as QuickBooks would return it, and its type.
// An unknown ID is ErrNoObject.
func (f *File) RetXML(ctx context.Context, id string) (typ string, ret []byte, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return "", nil, ErrClosed
	}
	o, err := getObjectByID(ctx, f.db, id)
	if err != nil {
		return "", nil, err
	}
	return o.typ, o.ret, nil
}

// Types returns the names of the object types the company file stores, in
// a stable order: list types first, then transaction types.
func (f *File) Types() []string {
	out := make([]string, len(objTypes))
	for i, t := range objTypes {
		out[i] = t.Name
	}
	return out
}
