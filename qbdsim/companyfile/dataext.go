package companyfile

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// dataExtDef handles DataExtDefAdd/Mod/Query/Del: definitions of custom
// fields (OwnerID "0") and private data of applications (OwnerID a GUID).
func (f *File) dataExtDef(ctx context.Context, rq *request, rs *response) error {
	if rq.op != "Query" {
		if err := checkWrite(rq); err != nil {
			return err
		}
	}
	switch rq.name {
	case "DataExtDefQueryRq":
		rs.countAttr = true
		owners := map[string]bool{}
		for _, o := range kids(rq.el, "OwnerID") {
			owners[o.Text] = true
		}
		assign := map[string]bool{}
		for _, a := range kids(rq.el, "AssignToObject") {
			assign[a.Text] = true
		}
		rows, err := f.db.QueryContext(ctx, `SELECT owner_id, ret FROM data_ext_defs ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var owner string
			var raw []byte
			if err := rows.Scan(&owner, &raw); err != nil {
				return err
			}
			if len(owners) > 0 && !owners[owner] {
				continue
			}
			if len(owners) == 0 && owner != "0" {
				// Private definitions are returned only to their owner.
				continue
			}
			ret, err := parseNode(raw)
			if err != nil {
				return err
			}
			if len(assign) > 0 {
				match := false
				for _, a := range kids(ret, "AssignToObject") {
					match = match || assign[a.Text]
				}
				if !match {
					continue
				}
			}
			f.writeRet(rs, ret, retOptions{include: includeElements(rq.el)})
		}
		if rs.count == 0 {
			rs.st = status{stNoMatch, "Info", "A query request did not find a matching object in QuickBooks"}
		}
		return rows.Err()
	case "DataExtDefAddRq":
		src := kid(rq.el, "DataExtDefAdd")
		owner, name := textAt(src, "OwnerID"), textAt(src, "DataExtName")
		var ret *qbxml.Node
		err := f.writeTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM data_ext_defs WHERE owner_id = ? AND UPPER(name) = UPPER(?)`, owner, name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return qbErr(stNameInUse, "The name %q of the list element is already in use.", name)
			}
			b := &builder{f: f, ctx: ctx, q: tx, now: rq.now}
			var err error
			if ret, err = b.build("DataExtDefRet", src); err != nil {
				return err
			}
			model, _ := contentModel("DataExtDefRet")
			var seq int64
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM data_ext_defs`).Scan(&seq); err != nil {
				return err
			}
			setOrdered(ret, model, "DataExtID", itoa(int(seq)))
			for _, k := range []string{"DataExtListRequire", "DataExtTxnRequire"} {
				if kid(ret, k) == nil {
					setOrdered(ret, model, k, "false")
				}
			}
			if kid(ret, "DataExtFormatString") == nil {
				setOrdered(ret, model, "DataExtFormatString", "")
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO data_ext_defs(owner_id, name, seq, ret) VALUES (?,?,?,?)`, owner, name, seq, marshalNode(ret))
			return err
		})
		if err != nil {
			return err
		}
		f.writeRet(rs, ret, retOptions{})
		return nil
	case "DataExtDefModRq":
		src := kid(rq.el, "DataExtDefMod")
		owner, name := textAt(src, "OwnerID"), textAt(src, "DataExtName")
		var ret *qbxml.Node
		err := f.writeTx(ctx, func(tx *sql.Tx) error {
			var err error
			if ret, err = loadDataExtDef(ctx, tx, owner, name); err != nil {
				return err
			}
			model, _ := contentModel("DataExtDefRet")
			newName := name
			if v := textAt(src, "DataExtNewName"); v != "" {
				newName = v
				setOrdered(ret, model, "DataExtName", v)
			}
			for _, rm := range kids(src, "RemoveFromObject") {
				ret.Children = slices.DeleteFunc(ret.Children, func(k *qbxml.Node) bool { return k.Name == "AssignToObject" && k.Text == rm.Text })
			}
			for _, a := range kids(src, "AssignToObject") {
				insertOrdered(ret, model, qbxml.NewText("AssignToObject", a.Text))
			}
			for _, k := range []string{"DataExtListRequire", "DataExtTxnRequire", "DataExtFormatString"} {
				if v := kid(src, k); v != nil {
					setOrdered(ret, model, k, v.Text)
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE data_ext_defs SET name = ?, ret = ? WHERE owner_id = ? AND UPPER(name) = UPPER(?)`, newName, marshalNode(ret), owner, name); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE data_ext SET name = ? WHERE owner_id = ? AND UPPER(name) = UPPER(?)`, newName, owner, name)
			return err
		})
		if err != nil {
			return err
		}
		f.writeRet(rs, ret, retOptions{})
		return nil
	default: // DataExtDefDelRq
		src := kid(rq.el, "DataExtDefDel")
		if src == nil {
			src = rq.el
		}
		owner, name := textAt(src, "OwnerID"), textAt(src, "DataExtName")
		err := f.writeTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM data_ext_defs WHERE owner_id = ? AND UPPER(name) = UPPER(?)`, owner, name)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return qbErr(stInvalidRef, "There is an invalid reference to QuickBooks DataExtDef %q for owner %q.", name, owner)
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM data_ext WHERE owner_id = ? AND UPPER(name) = UPPER(?)`, owner, name)
			return err
		})
		if err != nil {
			return err
		}
		ret := qbxml.NewNode("DataExtDefDelRet", qbxml.NewText("OwnerID", owner), qbxml.NewText("DataExtName", name), qbxml.NewText("TimeDeleted", qbTime(rq.now)))
		f.writeRet(rs, ret, retOptions{})
		return nil
	}
}

// dataExt handles DataExtAdd/Mod/Del: a value of a defined data extension
// on a list element, a transaction or the company.
func (f *File) dataExt(ctx context.Context, rq *request, rs *response) error {
	if err := checkWrite(rq); err != nil {
		return err
	}
	op := strings.TrimSuffix(strings.TrimPrefix(rq.name, "DataExt"), "Rq")
	src := kid(rq.el, "DataExt"+op)
	owner, name := textAt(src, "OwnerID"), textAt(src, "DataExtName")
	value := textAt(src, "DataExtValue")
	var extType string
	err := f.writeTx(ctx, func(tx *sql.Tx) error {
		def, err := loadDataExtDef(ctx, tx, owner, name)
		if err != nil {
			return err
		}
		extType = textAt(def, "DataExtType")
		name = textAt(def, "DataExtName")
		objID, objType, err := f.dataExtObject(ctx, tx, src)
		if err != nil {
			return err
		}
		assigned := false
		for _, a := range kids(def, "AssignToObject") {
			assigned = assigned || a.Text == objType
		}
		if !assigned && owner == "0" {
			return qbErr(stInvalidValue, "The data extension %q is not assigned to %s objects.", name, objType)
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM data_ext WHERE object_id = ? AND owner_id = ? AND name = ?`, objID, owner, name).Scan(&exists); err != nil {
			return err
		}
		switch op {
		case "Add":
			if exists > 0 {
				return qbErr(stNameInUse, "The data extension %q already has a value on this object.", name)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO data_ext(owner_id, name, object_id, value) VALUES (?,?,?,?)`, owner, name, objID, value)
		case "Mod":
			if exists == 0 {
				_, err = tx.ExecContext(ctx, `INSERT INTO data_ext(owner_id, name, object_id, value) VALUES (?,?,?,?)`, owner, name, objID, value)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE data_ext SET value = ? WHERE object_id = ? AND owner_id = ? AND name = ?`, value, objID, owner, name)
			}
		default:
			if exists == 0 {
				return qbErr(stNotFound, "Object %q specified in the request cannot be found.", name)
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM data_ext WHERE object_id = ? AND owner_id = ? AND name = ?`, objID, owner, name)
		}
		return err
	})
	if err != nil {
		return err
	}
	if op == "Del" {
		ret := &qbxml.Node{Name: "DataExtDelRet"}
		ret.Children = append(ret.Children, src.Children...)
		ret.Children = append(ret.Children, qbxml.NewText("TimeDeleted", qbTime(rq.now)))
		f.writeRet(rs, ret, retOptions{})
		return nil
	}
	ret := qbxml.NewNode("DataExtRet")
	if owner != "" {
		ret.Children = append(ret.Children, qbxml.NewText("OwnerID", owner))
	}
	ret.Children = append(ret.Children, qbxml.NewText("DataExtName", name), qbxml.NewText("DataExtType", extType), qbxml.NewText("DataExtValue", value))
	f.writeRet(rs, ret, retOptions{})
	return nil
}

// loadDataExtDef reads the DataExtDefRet of owner's definition name (in any
// case); an unknown one is status 3140.
func loadDataExtDef(ctx context.Context, q querier, owner, name string) (*qbxml.Node, error) {
	var raw []byte
	err := q.QueryRowContext(ctx, `SELECT ret FROM data_ext_defs WHERE owner_id = ? AND UPPER(name) = UPPER(?)`, owner, name).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qbErr(stInvalidRef, "There is an invalid reference to QuickBooks DataExtDef %q for owner %q.", name, owner)
	}
	if err != nil {
		return nil, err
	}
	return parseNode(raw)
}

// dataExtObject resolves the object a DataExt request names and returns its
// ID and the AssignToObject name of its type.
func (f *File) dataExtObject(ctx context.Context, q querier, src *qbxml.Node) (string, string, error) {
	if t := textAt(src, "OtherDataExtType"); t != "" {
		return companyObjectID, t, nil
	}
	if t := textAt(src, "TxnDataExtType"); t != "" {
		id := textAt(src, "TxnID")
		o, err := getObjectByID(ctx, q, id)
		if errors.Is(err, errNoObject) {
			return "", "", qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q.", t, id)
		}
		if err != nil {
			return "", "", err
		}
		return o.id, t, nil
	}
	t := textAt(src, "ListDataExtType")
	ref := kid(src, "ListObjRef")
	ns := t
	switch t {
	case "Customer", "Vendor", "Employee", "OtherName":
		ns = "Entity"
	case "Item":
		ns = "Item"
	}
	o, err := f.lookupRef(ctx, q, ns, nil, textAt(ref, "ListID"), textAt(ref, "FullName"))
	if errors.Is(err, errNoObject) {
		return "", "", qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q.", t, textAt(ref, "ListID")+textAt(ref, "FullName"))
	}
	if err != nil {
		return "", "", err
	}
	return o.id, t, nil
}

// dataExtFor returns the DataExtRet elements of the owners on each object.
func (f *File) dataExtFor(ctx context.Context, ids, owners []string) (map[string][]*qbxml.Node, error) {
	out := map[string][]*qbxml.Node{}
	if len(ids) == 0 {
		return out, nil
	}
	var args []any
	ph := make([]string, 0, len(owners))
	for _, o := range owners {
		ph = append(ph, "?")
		args = append(args, o)
	}
	defs := map[string]string{}
	rows, err := f.db.QueryContext(ctx, `SELECT owner_id, name, ret FROM data_ext_defs WHERE owner_id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var owner, name string
		var raw []byte
		if err := rows.Scan(&owner, &name, &raw); err != nil {
			rows.Close()
			return nil, err
		}
		if d, err := parseNode(raw); err == nil {
			defs[owner+"\x00"+name] = textAt(d, "DataExtType")
		}
	}
	rows.Close()
	for start := 0; start < len(ids); start += 500 {
		end := min(start+500, len(ids))
		a := append([]any{}, args...)
		ip := make([]string, 0, end-start)
		for _, id := range ids[start:end] {
			ip = append(ip, "?")
			a = append(a, id)
		}
		rows, err := f.db.QueryContext(ctx, `SELECT owner_id, name, object_id, value FROM data_ext WHERE owner_id IN (`+strings.Join(ph, ",")+`) AND object_id IN (`+strings.Join(ip, ",")+`) ORDER BY owner_id, name`, a...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var owner, name, obj, value string
			if err := rows.Scan(&owner, &name, &obj, &value); err != nil {
				rows.Close()
				return nil, err
			}
			out[obj] = append(out[obj], qbxml.NewNode("DataExtRet", qbxml.NewText("OwnerID", owner), qbxml.NewText("DataExtName", name),
				qbxml.NewText("DataExtType", defs[owner+"\x00"+name]), qbxml.NewText("DataExtValue", value)))
		}
		rows.Close()
	}
	return out, nil
}
