package syncengine

import (
	"maps"
	"slices"
	"time"

	"github.com/qbconnect/qbconnect"
	"github.com/qbconnect/qbconnect/store"
)

// QuickBooks refuses to delete a list element that transactions or other
// list elements name. One it deleted while stored records still name it
// was merged into another (ListMerge, or a rename onto another name in
// the desktop window): every record that named it names the other now
// (Intuit, "Requests that merge accounts, customers, vendors, classes":
// past transactions "automatically reference" the merged-to element),
// and whether QuickBooks marks those records modified is documented
// nowhere (qbdsim does not). Neither the deletion nor the merged-to
// element says which element took the place of which, so the engine
// reads those records again by ID, in the refresh its page queues
// (refreshOperation), and stores what QuickBooks answers: the new
// references, and whatever else the deletion changed in them. A record
// QuickBooks no longer holds is left to its own type's pass.

// goneTracker notes the elements of a list type that a page deletes
// while the store holds them live, and when QuickBooks deleted them; and
// the QuickBooks times of the page's records.
type goneTracker struct {
	d    *dataType
	gone []string
	at   map[string]time.Time // by ID: TimeDeleted, or TimeModified of the page's records
}

// newGoneTracker returns the tracker of a page of d, or nil when the page
// cannot delete a stored list element: a transaction type, or the first
// pass of a type, which stores nothing yet.
func newGoneTracker(st *qbconnect.SyncState, d *dataType) *goneTracker {
	if d.txn || st.LastCompleteAt == nil && st.Restarts == 0 {
		return nil
	}
	return &goneTracker{d: d, at: map[string]time.Time{}}
}

// before notes the deletions of batch whose records the store holds
// live, before they are written (a deletion the overlap of incremental
// passes reports again finds its record deleted already).
func (t *goneTracker) before(page *store.SyncPage, batch []pageItem) error {
	var ids []string
	for _, it := range batch {
		if it.rec == nil {
			ids = append(ids, it.delID)
			t.at[it.delID] = it.delAt
		} else {
			t.at[it.rec.ID] = it.rec.ModifiedAt
		}
	}
	if len(ids) == 0 {
		return nil
	}
	live, err := page.StoredNames(ids, t.d.name)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := live[id]; ok && !slices.Contains(t.gone, id) {
			t.gone = append(t.gone, id)
		}
	}
	return nil
}

// swept notes the elements a full pass's sweep deleted; QuickBooks did
// not say when, so the latest time the pass saw stands for it.
func (t *goneTracker) swept(ids []string, high time.Time) {
	for _, id := range ids {
		t.gone = append(t.gone, id)
		t.at[id] = high
	}
}

// movedByMerge returns, when the page merged customers (merged is not
// empty), the customers whose TotalBalance the merges may have moved,
// with the time each moved (see moveTracker): the merged customers'
// parents, and those of the page's customers, among which QuickBooks
// returns each customer merged into (it marks it modified; its balance
// takes the merged one's). The merged customers are deleted: the
// refresh leaves them out (refreshOperation). Nil for another type.
func (t *goneTracker) movedByMerge(merged map[string][]string) map[string]time.Time {
	if t == nil || len(merged) == 0 || t.d.name != "customers" {
		return nil
	}
	return maps.Clone(t.at)
}

// mergedReferrers returns the IDs, by data type, of the live records of
// page's company that name an element of type typ in gone (deleted by
// the page, or swept), the elements themselves left out: the records to
// read again. It costs a read of the company's records, and only a page
// that deleted a stored element pays it.
func mergedReferrers(page *store.SyncPage, typ string, gone []string) (map[string][]string, error) {
	if len(gone) == 0 {
		return nil, nil
	}
	referring, err := page.Referring(gone)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range referring {
		if r.Type == typ && slices.Contains(gone, r.ID) {
			continue
		}
		out[r.Type] = append(out[r.Type], r.ID)
	}
	return out, nil
}
