// Package synctest checks, for tests, that the platform holds what
// QuickBooks holds: for every data type the sync engine knows, the same
// objects with the same EditSequences and nothing more, and for a sample
// of each type the same JSON, field by field, that the engine makes of
// QuickBooks' own answer. The sync engine's, the Web Connector's and the
// end-to-end tests ask it the same question of different set-ups.
package synctest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/qbxml"
	"github.com/qbconnect/qbconnect/syncengine"
)

// QuickBooks runs one qbXML document in QuickBooks, as a trusted
// application, and returns its answer.
type QuickBooks func(doc []byte) ([]byte, error)

// Stored returns the records of a data type the platform holds, by ID,
// deleted ones left out.
type Stored func(dataType string) map[string]*qbconnect.Record

// featureOff is QuickBooks' status for a query of a feature the company
// has not turned on (payroll, sites, assemblies, multicurrency): the
// company holds none of the type.
const featureOff = 3250

// Doc wraps requests (one or more …Rq elements) in a qbXML 13.0 document
// that stops on the first error.
func Doc(requests string) []byte {
	return []byte(`<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">` +
		requests + `</QBXMLMsgsRq></QBXML>`)
}

// Records returns every record of an answer, or those before the first
// error status and that status as a *qbxml.StatusError. "No match"
// (status 1) is not an error.
func Records(resp []byte) ([]*qbxml.Node, error) {
	dec := qbxml.NewDecoder(bytes.NewReader(resp), &qbxml.Options{Generic: true})
	var out []*qbxml.Node
	for {
		it, err := dec.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if it.Kind == qbxml.ItemResponse {
			if err := it.Response.Err(); err != nil {
				return out, err
			}
			continue
		}
		out = append(out, it.Record.ToNode())
	}
}

// Holding returns the records of a query's answer; a company without the
// type's feature (status 3250) holds none.
func Holding(resp []byte) ([]*qbxml.Node, error) {
	recs, err := Records(resp)
	var se *qbxml.StatusError
	if errors.As(err, &se) && se.Response.StatusCode == featureOff {
		return nil, nil
	}
	return recs, err
}

// Query runs requests in QuickBooks and returns the records of the
// answer, as Holding does; any other error status fails the test.
func Query(tb testing.TB, qb QuickBooks, requests string) []*qbxml.Node {
	tb.Helper()
	resp, err := qb(Doc(requests))
	if err != nil {
		tb.Fatalf("QuickBooks: %v", err)
	}
	recs, err := Holding(resp)
	if err != nil {
		tb.Fatalf("QuickBooks answered %v to %.200s", err, requests)
	}
	return recs
}

// ActiveAll is the ActiveStatus filter that asks a list's query for
// inactive elements too; "" when the query has none (it returns them all).
func ActiveAll(info qbconnect.DataTypeInfo) string {
	if qbxml.Lookup(info.Object+"QueryRq").Child("ActiveStatus") == nil {
		return ""
	}
	return "<ActiveStatus>All</ActiveStatus>"
}

// idElement is the element that identifies an object of the type.
func idElement(info qbconnect.DataTypeInfo) string {
	if info.Transaction {
		return "TxnID"
	}
	return "ListID"
}

// Holdings returns the ID and EditSequence of every object of a data type
// QuickBooks holds, inactive ones included.
func Holdings(tb testing.TB, qb QuickBooks, info qbconnect.DataTypeInfo) map[string]string {
	tb.Helper()
	idEl := idElement(info)
	recs := Query(tb, qb, `<`+info.Object+`QueryRq>`+ActiveAll(info)+`<IncludeRetElement>`+idEl+
		`</IncludeRetElement><IncludeRetElement>EditSequence</IncludeRetElement></`+info.Object+`QueryRq>`)
	out := make(map[string]string, len(recs))
	for _, r := range recs {
		id, _ := r.ChildText(idEl)
		es, _ := r.ChildText("EditSequence")
		out[id] = es
	}
	return out
}

// Ret returns QuickBooks' current Ret element of one object, with its
// lines; it fails the test when QuickBooks holds no such object.
func Ret(tb testing.TB, qb QuickBooks, info qbconnect.DataTypeInfo, id string) *qbxml.Node {
	tb.Helper()
	idEl := idElement(info)
	q := qbxml.Lookup(info.Object + "QueryRq")
	if q.Child(idEl) == nil {
		// The query cannot name one (templates): read them all.
		for _, r := range Query(tb, qb, `<`+info.Object+`QueryRq/>`) {
			if got, _ := r.ChildText(idEl); got == id {
				return r
			}
		}
		tb.Fatalf("QuickBooks holds no %s %s", info.Object, id)
	}
	lines := ""
	for _, el := range []string{"IncludeLineItems", "IncludeComponentLineItems"} {
		if info.Transaction && q.Child(el) != nil {
			lines = "<" + el + ">true</" + el + ">"
		}
	}
	recs := Query(tb, qb, `<`+info.Object+`QueryRq><`+idEl+`>`+id+`</`+idEl+`>`+lines+`</`+info.Object+`QueryRq>`)
	if len(recs) == 0 {
		tb.Fatalf("QuickBooks holds no %s %s", info.Object, id)
	}
	return recs[0]
}

// Check reports, as test errors, every difference between what the
// platform holds (stored) and what QuickBooks holds (qb) for each of the
// data types: an object missing on either side, a different
// EditSequence, and for up to sample stored records of each type a JSON
// document different from the one the sync engine makes of QuickBooks'
// Ret. It returns the number of objects QuickBooks holds of the types.
func Check(tb testing.TB, qb QuickBooks, stored Stored, types []qbconnect.DataTypeInfo, sample int) int {
	tb.Helper()
	total := 0
	for _, info := range types {
		total += checkType(tb, qb, stored, info, sample)
	}
	return total
}

func checkType(tb testing.TB, qb QuickBooks, stored Stored, info qbconnect.DataTypeInfo, sample int) int {
	tb.Helper()
	want := Holdings(tb, qb, info)
	got := stored(info.Name)
	if len(got) != len(want) {
		tb.Errorf("%s: %d stored, QuickBooks has %d", info.Name, len(got), len(want))
	}
	for id, es := range want {
		r, ok := got[id]
		if !ok {
			tb.Errorf("%s %s missing from the platform", info.Name, id)
			continue
		}
		if r.EditSequence != es {
			tb.Errorf("%s %s: stored editSequence %s, QuickBooks %s", info.Name, id, r.EditSequence, es)
		}
	}
	n := 0
	for id, r := range got {
		if _, ok := want[id]; !ok {
			tb.Errorf("%s %s stored but not in QuickBooks", info.Name, id)
			continue
		}
		if n == sample {
			continue
		}
		n++
		var wantJSON, gotJSON any
		mustUnmarshal(tb, syncengine.RecordJSON(Ret(tb, qb, info, id)), &wantJSON)
		mustUnmarshal(tb, r.Data, &gotJSON)
		if diff := cmp.Diff(wantJSON, gotJSON); diff != "" {
			tb.Errorf("%s %s differs from QuickBooks (-QuickBooks +stored):\n%s", info.Name, id, diff)
		}
	}
	return len(want)
}

func mustUnmarshal(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("invalid JSON %.200s: %v", b, err)
	}
}
