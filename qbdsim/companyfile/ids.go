package companyfile

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qbconnect/qbconnect/qbxml"
)

// idState holds the counters behind ListID, TxnID, TxnLineID and TxnNumber.
// They live in the file's meta table and are saved in the same SQLite
// transaction as the objects that use them.
type idState struct {
	next      uint64 // next ID counter (hex part of ListID/TxnID)
	txnNumber int64  // last TxnNumber given
}

// newID returns an ID in QuickBooks' format: a hexadecimal counter, a dash and
// the creation time in epoch seconds ("80000001-1232697602").
func (s *idState) newID(created time.Time) string {
	id := s.next
	s.next++
	return strings.ToUpper(strconv.FormatUint(id, 16)) + "-" + strconv.FormatInt(created.Unix(), 10)
}

func (s *idState) newTxnNumber() int64 {
	s.txnNumber++
	return s.txnNumber
}

func (f *File) saveIDs(ctx context.Context, q querier) error {
	return putMetaTx(ctx, q, "ids", fmt.Sprintf("%d,%d", f.ids.next, f.ids.txnNumber))
}

func (f *File) loadIDs(ctx context.Context) error {
	v, err := getMetaTx(ctx, f.db, "ids")
	if err != nil {
		return fmt.Errorf("companyfile: read counters: %w", err)
	}
	if _, err := fmt.Sscanf(v, "%d,%d", &f.ids.next, &f.ids.txnNumber); err != nil {
		return fmt.Errorf("%w: %s: bad counters %q", ErrNotCompanyFile, f.path, v)
	}
	return nil
}

// nextEditSequence returns the EditSequence of a modification at now of an
// object whose current EditSequence is prev: the epoch seconds, made strictly
// greater than prev so that two changes within one second still differ.
func nextEditSequence(now time.Time, prev string) string {
	s := now.Unix()
	if p, err := strconv.ParseInt(prev, 10, 64); err == nil && p >= s {
		s = p + 1
	}
	return strconv.FormatInt(s, 10)
}

// touch marks o, whose Ret is ret (of content model model), modified at
// tm: a new TimeModified and EditSequence, in the row and in the Ret.
func (o *object) touch(ret *qbxml.Node, model *qbxml.ElementType, tm time.Time) {
	o.modified, o.editSeq = tm.Unix(), nextEditSequence(tm, o.editSeq)
	setOrdered(ret, model, "TimeModified", qbTime(tm))
	setOrdered(ret, model, "EditSequence", o.editSeq)
}

// qbTime formats a DATETIMETYPE value as QuickBooks Desktop writes it: the
// wall-clock time in t's location followed by that location's standard
// offset, even while daylight saving time is in effect, so that 10:00 PDT is
// written "T10:00:00-08:00" (an hour off as an instant). Sources:
// jsgoupil/quickbooks-sync pull requests #28 ("The DateTime is otherwise
// accurate (follows DST), but the offset does not follow DST") and #33, and
// that project's README. A location without daylight saving time is written
// with its one offset.
func qbTime(t time.Time) string {
	return t.Format("2006-01-02T15:04:05") + formatOffset(standardOffset(t))
}

// standardOffset is the standard (non-daylight-saving) UTC offset, in
// seconds, of t's location in t's year: the smaller of its offsets in
// January and July, which holds in both hemispheres.
func standardOffset(t time.Time) int {
	loc := t.Location()
	_, jan := time.Date(t.Year(), time.January, 1, 12, 0, 0, 0, loc).Zone()
	_, jul := time.Date(t.Year(), time.July, 1, 12, 0, 0, 0, loc).Zone()
	return min(jan, jul)
}

// formatOffset formats an offset in seconds east of UTC as "±HH:MM".
func formatOffset(sec int) string {
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("", sec)).Format("-07:00")
}

// qbDate formats a date as YYYY-MM-DD.
func qbDate(t time.Time) string { return t.Format("2006-01-02") }

// parseQBDateTime parses a DATETIMETYPE value ("YYYY-MM-DD[THH[:MM[:SS[±HH:MM]]]]");
// a value without an offset is in loc, the QuickBooks computer's local time
// (jsgoupil/quickbooks-sync#19). A value with an offset is taken as the
// instant it names, although QuickBooks itself writes standard-time offsets
// during daylight saving time (see qbTime); how QuickBooks reads an offset in
// a request is not documented, so this choice is unverified. end rounds a partial value up to the
// last second it covers (for "to" bounds).
func parseQBDateTime(s string, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	layouts := []string{"2006-01-02T15:04:05-07:00", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02"}
	for i, l := range layouts {
		var t time.Time
		var err error
		if i < 2 {
			t, err = time.Parse(l, s)
		} else {
			t, err = time.ParseInLocation(l, s, loc)
		}
		if err != nil {
			continue
		}
		if end {
			switch l {
			case "2006-01-02":
				t = t.Add(24*time.Hour - time.Second)
			case "2006-01-02T15":
				t = t.Add(time.Hour - time.Second)
			case "2006-01-02T15:04":
				t = t.Add(time.Minute - time.Second)
			}
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid date-time %q", s)
}

// parseQBDate parses a DATETYPE value.
func parseQBDate(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q", s)
	}
	return t, nil
}
