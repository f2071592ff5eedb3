package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect"
)

// RecordStore keeps synced QuickBooks records.
type RecordStore struct{ db *DB }

var _ qbconnect.RecordService = (*RecordStore)(nil)

// NewRecordStore returns the record service of db.
func NewRecordStore(db *DB) *RecordStore { return &RecordStore{db: db} }

// recordBatch is how many rows one INSERT carries: 12 parameters each stays
// well under both databases' parameter limits.
const recordBatch = 500

// recordRowColumns are the columns of a record upsert's row, in the order
// of its 12 parameters.
const recordRowColumns = `company_id, type, id, edit_sequence, name, ref_id, txn_date, active, modified_at, updated_at, deleted, data`

// recordCopyColumns are recordRowColumns for a COPY (SyncPage.insertFresh).
var recordCopyColumns = strings.Split(strings.ReplaceAll(recordRowColumns, " ", ""), ",")

// recordUpdate is what an upsert sets on a stored record, but its
// updated_at (and seen).
const recordUpdate = ` ON CONFLICT (company_id, type, id) DO UPDATE SET edit_sequence = excluded.edit_sequence,
	name = excluded.name, ref_id = excluded.ref_id, txn_date = excluded.txn_date, active = excluded.active,
	modified_at = excluded.modified_at, deleted = excluded.deleted, data = excluded.data`

// recordChanged is the condition under which an upsert changes a stored
// record.
const recordChanged = `(records.edit_sequence <> excluded.edit_sequence OR records.deleted <> excluded.deleted OR records.data <> excluded.data)`

// An unchanged record (same EditSequence, deletion flag and data) keeps its
// UpdatedAt, so the overlap of incremental syncs does not look like change.
const recordConflict = recordUpdate + `, updated_at = excluded.updated_at WHERE ` + recordChanged

// recordUnnestSQL is PostgreSQL's upsert of a batch of one company's type:
// one array parameter per column instead of 12 parameters per row, so the
// statement text is the same for every batch (pgx caches its plan) and the
// server binds 12 values rather than 6,000. Its parameters: company, type,
// updated_at, then the arrays id, edit_sequence, name, ref_id, txn_date,
// active, modified_at, deleted, data.
const recordUnnestSQL = recordUnnestInsertSQL + recordConflict

// recordUnnestInsertSQL is recordUnnestSQL without its ON CONFLICT
// clause.
const recordUnnestInsertSQL = `INSERT INTO records (company_id, type, id, edit_sequence, name, ref_id, txn_date, active,
	modified_at, updated_at, deleted, data) SELECT ?, ?, u.id, u.es, u.name, u.ref_id, u.txn_date, u.active,
	u.modified_at, ?, u.deleted, u.data FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::bigint[],
	?::boolean[], ?::text[]) AS u(id, es, name, ref_id, txn_date, active, modified_at, deleted, data)`

// recordInsertSQL is the upsert of rows records, 12 parameters each
// (recordRowColumns).
func recordInsertSQL(rows int) string {
	return recordValuesSQL(recordRowColumns, recordRowParams, rows, recordConflict)
}

// recordRowParams are the parameters of one row of recordRowColumns.
const recordRowParams = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// recordValuesSQL is a multi-row INSERT of rows rows into columns, each
// row's parameters row, ended by conflict.
func recordValuesSQL(columns, row string, rows int, conflict string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO records (" + columns + ") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(conflict)
	return b.String()
}

// recordSeenConflict is recordConflict for a full pass's page, whose
// records carry the pass's sweep generation in seen (SyncPage.SweepUnseen):
// an unchanged record is written too, for its seen, but keeps its
// UpdatedAt. It makes a RETURNING list unchanged records, so a page that
// needs what changed uses recordSeenChangedConflict instead.
const recordSeenConflict = recordUpdate + `, updated_at = CASE WHEN ` + recordChanged + ` THEN excluded.updated_at ELSE records.updated_at END,
	seen = excluded.seen WHERE records.seen <> excluded.seen OR ` + recordChanged

// recordSeenChangedConflict is recordConflict that also writes seen: an
// unchanged record is skipped (SyncPage.markSeen writes its seen after).
const recordSeenChangedConflict = recordUpdate + `, updated_at = excluded.updated_at, seen = excluded.seen WHERE ` + recordChanged

// recordSeenInsertSQL is recordInsertSQL for a full pass's page: each row
// has a 13th parameter, its seen, and conflict is recordSeenConflict or
// recordSeenChangedConflict.
func recordSeenInsertSQL(rows int, conflict string) string {
	return recordValuesSQL(recordRowColumns+", seen", "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows, conflict)
}

// recordNewSQL is SQLite's insert of rows records of a first pass
// (SyncPage.insertNew): INSERT OR IGNORE, with seen as a 13th parameter
// when withSeen.
func recordNewSQL(rows int, withSeen bool) string {
	var insert string
	if withSeen {
		insert = recordSeenInsertSQL(rows, "")
	} else {
		insert = recordValuesSQL(recordRowColumns, recordRowParams, rows, "")
	}
	return "INSERT OR IGNORE" + strings.TrimPrefix(insert, "INSERT")
}

// recordSeenUnnestInsertSQL is recordUnnestInsertSQL for a full pass's
// page: its fourth parameter is the records' seen.
// recordSeenUnnestInsertSQL+recordSeenConflict (or
// recordSeenChangedConflict) upserts.
const recordSeenUnnestInsertSQL = `INSERT INTO records (company_id, type, id, edit_sequence, name, ref_id, txn_date, active,
	modified_at, updated_at, deleted, data, seen) SELECT ?, ?, u.id, u.es, u.name, u.ref_id, u.txn_date, u.active,
	u.modified_at, ?, u.deleted, u.data, ?::bigint FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::bigint[],
	?::boolean[], ?::text[]) AS u(id, es, name, ref_id, txn_date, active, modified_at, deleted, data)`

// UpsertRecords inserts or replaces records in one transaction, in
// multi-row statements. Each record needs CompanyID, Type, ID and valid JSON
// Data; one invalid record is EInvalid and nothing is stored. UpdatedAt is
// set to now for records that changed. Of two records with the same key in
// rs, the last wins.
func (s *RecordStore) UpsertRecords(ctx context.Context, rs []*qbconnect.Record) error {
	uniq, err := uniqueRecords(rs)
	if err != nil || len(uniq) == 0 {
		return err
	}
	now := micros(s.db.now())
	return s.db.inTx(ctx, func(tx *tx) error { return upsertRecords(ctx, tx, uniq, now) })
}

// uniqueRecords checks rs and keeps the last record of each key.
func uniqueRecords(rs []*qbconnect.Record) ([]*qbconnect.Record, error) {
	byKey := make(map[[3]string]int, len(rs))
	uniq := make([]*qbconnect.Record, 0, len(rs))
	for i, r := range rs {
		if r.CompanyID == "" || r.Type == "" || r.ID == "" {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "record %d: company, type and ID are required", i)
		}
		if !json.Valid(r.Data) {
			return nil, qbconnect.Errorf(qbconnect.EInvalid, "record %s %s: data is not valid JSON", r.Type, r.ID)
		}
		k := [3]string{r.CompanyID, r.Type, r.ID}
		if j, ok := byKey[k]; ok {
			uniq[j] = r
			continue
		}
		byKey[k] = len(uniq)
		uniq = append(uniq, r)
	}
	return uniq, nil
}

// upsertRecords writes uniq (valid, one per key) in tx.
func upsertRecords(ctx context.Context, tx *tx, uniq []*qbconnect.Record, now int64) error {
	var full *sql.Stmt
	args := make([]any, 0, recordBatch*12)
	for start := 0; start < len(uniq); start += recordBatch {
		batch := uniq[start:min(start+recordBatch, len(uniq))]
		args = args[:0]
		for _, r := range batch {
			args = append(args, r.CompanyID, r.Type, r.ID, r.EditSequence, r.Name, r.RefID, r.TxnDate, r.Active,
				micros(r.ModifiedAt), now, r.Deleted, string(r.Data))
		}
		var err error
		if len(batch) == recordBatch {
			if full == nil && tx.db.recordUpsert != nil {
				full = tx.StmtContext(ctx, tx.db.recordUpsert)
				defer full.Close()
			} else if full == nil {
				if full, err = tx.PrepareContext(ctx, tx.db.rebind(recordInsertSQL(recordBatch))); err != nil {
					return fmt.Errorf("upsert records: %w", err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.exec(ctx, recordInsertSQL(len(batch)), args...)
		}
		if err != nil {
			return fmt.Errorf("upsert records: %w", err)
		}
	}
	return nil
}

// DeleteRecords marks records deleted in QuickBooks at time at; unknown IDs
// are ignored.
func (s *RecordStore) DeleteRecords(ctx context.Context, companyID, typ string, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	now := micros(s.db.now())
	return s.db.inTx(ctx, func(tx *tx) error { return deleteRecords(ctx, tx, companyID, typ, ids, at, now) })
}

// deleteRecords marks records deleted in tx.
func deleteRecords(ctx context.Context, tx *tx, companyID, typ string, ids []string, at time.Time, now int64) error {
	for start := 0; start < len(ids); start += recordBatch {
		batch := ids[start:min(start+recordBatch, len(ids))]
		args := []any{micros(at), now, companyID, typ}
		for _, id := range batch {
			args = append(args, id)
		}
		_, err := tx.exec(ctx, `UPDATE records SET deleted = TRUE, modified_at = ?, updated_at = ?
			WHERE company_id = ? AND type = ? AND NOT deleted AND id IN (?`+strings.Repeat(", ?", len(batch)-1)+")", args...)
		if err != nil {
			return fmt.Errorf("delete records: %w", err)
		}
	}
	return nil
}

const recordColumns = "r.company_id, r.type, r.id, r.edit_sequence, r.name, r.ref_id, r.txn_date, r.active, r.modified_at, r.updated_at, r.deleted, r.data"

func scanRecord(row interface{ Scan(...any) error }) (*qbconnect.Record, error) {
	r := &qbconnect.Record{}
	var modified, updated int64
	var data []byte
	if err := row.Scan(&r.CompanyID, &r.Type, &r.ID, &r.EditSequence, &r.Name, &r.RefID, &r.TxnDate, &r.Active,
		&modified, &updated, &r.Deleted, &data); err != nil {
		return nil, err
	}
	r.ModifiedAt, r.UpdatedAt, r.Data = fromMicros(modified), fromMicros(updated), data
	return r, nil
}

// FindRecord returns a record, deleted or not; ENotFound for an unknown
// record or one of another organisation's company.
func (s *RecordStore) FindRecord(ctx context.Context, orgID, companyID, typ, id string) (*qbconnect.Record, error) {
	r, err := scanRecord(s.db.queryRow(ctx, "SELECT "+recordColumns+` FROM records r JOIN companies c ON c.id = r.company_id
		WHERE c.org_id = ? AND c.deleted_at IS NULL AND r.company_id = ? AND r.type = ? AND r.id = ?`, orgID, companyID, typ, id))
	if err != nil {
		return nil, notFound(err, "record", id)
	}
	return r, nil
}

// TypesOf returns the type of each of ids the store holds as a live
// record of one of types in the company, by ID (unknown IDs left out);
// ENotFound for an unknown or other-org company.
func (s *RecordStore) TypesOf(ctx context.Context, orgID, companyID string, ids, types []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 || len(types) == 0 {
		return out, nil
	}
	if _, err := NewCompanyStore(s.db).FindCompany(ctx, orgID, companyID); err != nil {
		return nil, err
	}
	inTypes, typeArgs := s.db.oneOf("type", types)
	for start := 0; start < len(ids); start += recordBatch {
		inIDs, idArgs := s.db.oneOf("id", ids[start:min(start+recordBatch, len(ids))])
		rows, err := s.db.query(ctx, "SELECT id, type FROM records WHERE company_id = ? AND NOT deleted AND "+inTypes+" AND "+inIDs,
			append(append([]any{companyID}, typeArgs...), idArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("record types: %w", err)
		}
		for rows.Next() {
			var id, typ string
			if err := rows.Scan(&id, &typ); err != nil {
				rows.Close()
				return nil, fmt.Errorf("record types: %w", err)
			}
			out[id] = typ
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("record types: %w", err)
		}
	}
	return out, nil
}

// ListRecords returns a page of records ordered by UpdatedAt then ID (so an
// incremental reader can resume with UpdatedSince), and the next cursor (""
// at the end). ENotFound for an unknown or other-org company.
func (s *RecordStore) ListRecords(ctx context.Context, f qbconnect.RecordFilter) ([]*qbconnect.Record, string, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	order, err := recordOrderOf(f.Sort)
	if err != nil {
		return nil, "", err
	}
	if _, err := NewCompanyStore(s.db).FindCompany(ctx, f.OrgID, f.CompanyID); err != nil {
		return nil, "", err
	}
	where, args := recordWhere(f)
	if f.Cursor != "" {
		cond, cargs, err := order.after(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, cond), append(args, cargs...)
	}
	rows, err := s.db.query(ctx, "SELECT "+recordColumns+" FROM records r WHERE "+strings.Join(where, " AND ")+
		" ORDER BY "+order.orderBy()+" LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	list := []*qbconnect.Record{}
	var next string
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list records: %w", err)
		}
		if len(list) == limit {
			next = order.cursor(list[len(list)-1])
			break
		}
		list = append(list, r)
	}
	return list, next, rows.Err()
}

// CountMatching counts the records the filter selects, cursor and limit
// aside.
func (s *RecordStore) CountMatching(ctx context.Context, f qbconnect.RecordFilter) (int, error) {
	if _, err := NewCompanyStore(s.db).FindCompany(ctx, f.OrgID, f.CompanyID); err != nil {
		return 0, err
	}
	where, args := recordWhere(f)
	var n int
	if err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM records r WHERE "+strings.Join(where, " AND "), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	return n, nil
}

// recordWhere turns a filter, cursor aside, into conditions on records r.
func recordWhere(f qbconnect.RecordFilter) ([]string, []any) {
	where, args := []string{"r.company_id = ?", "r.type = ?"}, []any{f.CompanyID, f.Type}
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	in := func(col string, values []string) {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")
		a := make([]any, len(values))
		for i, v := range values {
			a[i] = v
		}
		add(col+" IN ("+marks+")", a...)
	}
	if !f.IncludeDeleted {
		add("NOT r.deleted")
	}
	if len(f.IDs) > 0 {
		in("r.id", f.IDs)
	}
	if f.UpdatedSince != nil {
		add("r.updated_at >= ?", micros(*f.UpdatedSince))
	}
	if f.UpdatedBefore != nil {
		add("r.updated_at < ?", micros(*f.UpdatedBefore))
	}
	if f.Name != "" {
		add("r.name = ?", f.Name)
	}
	if f.NamePrefix != "" {
		add("substr(r.name, 1, ?) = ?", len([]rune(f.NamePrefix)), f.NamePrefix)
	}
	if f.RefNumberFrom != "" {
		add("r.name >= ?", f.RefNumberFrom)
	}
	if f.RefNumberTo != "" {
		add("r.name <= ?", f.RefNumberTo)
	}
	if f.TxnDateFrom != "" {
		add("r.txn_date >= ?", f.TxnDateFrom)
	}
	if f.TxnDateTo != "" {
		add("r.txn_date <> '' AND r.txn_date <= ?", f.TxnDateTo)
	}
	if f.Active != nil {
		add("r.active = ?", *f.Active)
	}
	refs := f.RefIDs
	if f.RefID != "" {
		refs = append([]string{f.RefID}, refs...)
	}
	if len(refs) > 0 {
		in("r.ref_id", refs)
	}
	return where, args
}

// recordOrder is one of qbconnect.RecordSorts: a column, ascending or not,
// with the record's ID breaking ties in the same direction.
type recordOrder struct {
	sort string // as the client named it
	col  string
	desc bool
}

func recordOrderOf(sort string) (recordOrder, error) {
	o := recordOrder{sort: sort}
	if sort == "" {
		o.sort = "updatedAt"
	}
	name := strings.TrimPrefix(o.sort, "-")
	o.desc = name != o.sort
	switch name {
	case "updatedAt":
		o.col = "r.updated_at"
	case "name":
		o.col = "r.name"
	case "txnDate":
		o.col = "r.txn_date"
	default:
		return o, qbconnect.Errorf(qbconnect.EInvalid, "sort %q is not one of %s", sort, strings.Join(qbconnect.RecordSorts, ", "))
	}
	return o, nil
}

func (o recordOrder) orderBy() string {
	if o.desc {
		return o.col + " DESC, r.id DESC"
	}
	return o.col + ", r.id"
}

// key is the sort column's value of a record, as a string for the cursor.
func (o recordOrder) key(r *qbconnect.Record) string {
	switch o.col {
	case "r.name":
		return r.Name
	case "r.txn_date":
		return r.TxnDate
	}
	return strconv.FormatInt(micros(r.UpdatedAt), 10)
}

// cursor names the position after r. The default order keeps the
// original cursor format, so cursors handed out before sorts existed
// still work.
func (o recordOrder) cursor(r *qbconnect.Record) string {
	if o.sort == "updatedAt" {
		return timeIDCursor(micros(r.UpdatedAt), r.ID)
	}
	b, _ := json.Marshal([]string{o.sort, o.key(r), r.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// after reads a cursor of this order into the condition for the rows
// after it.
func (o recordOrder) after(c string) (string, []any, error) {
	var key any
	var id string
	if o.sort == "updatedAt" {
		t, cid, err := parseTimeIDCursor(c)
		if err != nil {
			return "", nil, err
		}
		key, id = t, cid
	} else {
		var parts []string
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil || json.Unmarshal(b, &parts) != nil || len(parts) != 3 {
			return "", nil, qbconnect.Errorf(qbconnect.EInvalid, "invalid cursor %q", c)
		}
		if parts[0] != o.sort {
			return "", nil, qbconnect.Errorf(qbconnect.EInvalid, "the cursor is of a list sorted by %s, not %s: keep the sort while paging", parts[0], o.sort)
		}
		key, id = parts[1], parts[2]
	}
	op := ">"
	if o.desc {
		op = "<"
	}
	return "(" + o.col + " " + op + " ? OR (" + o.col + " = ? AND r.id " + op + " ?))", []any{key, key, id}, nil
}

// CountRecords counts live (not deleted) records of a type.
func (s *RecordStore) CountRecords(ctx context.Context, companyID, typ string) (int, error) {
	var n int
	err := s.db.queryRow(ctx, "SELECT COUNT(*) FROM records WHERE company_id = ? AND type = ? AND NOT deleted", companyID, typ).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count records: %w", err)
	}
	return n, nil
}
