package syncengine

import (
	"slices"

	"github.com/qbconnect/qbconnect/qbxml"
)

// An account's Balance and TotalBalance (AccountRet) move with every
// posting to it, and QuickBooks answers them current (qbdsim derives them
// from its ledger, consistent with the balance sheet). Whether a posting
// also changes the account's TimeModified is documented nowhere we found,
// and qbdsim leaves it; an incremental accounts pass, which asks for what
// was modified, would then never bring the new balances. So the accounts
// are a row of moveKinds, read again like the customers whose balances
// transactions move, with one difference: a transaction posts to
// accounts it does not name (an item line to the item's income, cost of
// goods sold and inventory asset accounts, a payment to Undeposited
// Funds, sales tax to Sales Tax Payable), so the names on it cannot say
// which accounts moved. Every account is read again instead, in one
// AccountQuery: after each incremental page that brought a posting
// transaction changed, added or deleted (most passes are one page), and
// in the message set of each write of one. A company has tens to a few
// hundred accounts, a few kilobytes each, small next to a page of
// transactions; reading only the accounts a page names would be cheaper
// still, but would leave income, Undeposited Funds and Sales Tax Payable
// stale. If QuickBooks does mark an account modified as it posts, the
// accounts pass brings the same figures again, at no harm.

// nonPostingObjects are the transactions that post to no account: orders
// and estimates (QuickBooks keeps them in non-posting accounts of no
// balance), time and mileage, and inventory moved between sites.
var nonPostingObjects = []string{"Estimate", "SalesOrder", "PurchaseOrder", "TimeTracking", "VehicleMileage", "TransferInventory"}

// postingAccounts returns the accounts type when transactions of d post
// to accounts, else nil (moveKind.of).
func postingAccounts(d *dataType) []string {
	if d.txn && !slices.Contains(nonPostingObjects, d.object) {
		return []string{"accounts"}
	}
	return nil
}

// readsEvery reports whether a change reads every record of the type t
// again (moveKind.every).
func (e *Engine) readsEvery(t string) bool {
	for _, k := range moveKinds {
		if k.every && slices.Contains(k.types, t) {
			return true
		}
	}
	return false
}

// everyQuery is the query of every record of the type t, active or not,
// with requestID id.
func (e *Engine) everyQuery(t, id string) *qbxml.Node {
	d := e.byName[t]
	q := qbxml.NewNode(d.object+"QueryRq").SetAttr("requestID", id)
	if d.activeStatus {
		q.Add(qbxml.NewText("ActiveStatus", "All"))
	}
	return q
}
