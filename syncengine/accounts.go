package syncengine

// An account's Balance and TotalBalance (AccountRet) move with every
// posting to it, and QuickBooks answers them current (qbdsim derives them
// from its ledger, consistent with the balance sheet). Whether a posting
// also changes the account's TimeModified is documented nowhere we found,
// and qbdsim leaves it; an incremental accounts pass, which asks for what
// was modified, would then never bring the new balances. Nor can the
// transactions a pass brings say which accounts moved, as they say which
// customers and items did (moveKinds): a transaction posts to accounts it
// does not name (an item line to the item's income, cost of goods sold
// and inventory asset accounts, a payment to Undeposited Funds, sales tax
// to Sales Tax Payable).
//
// So every pass reads the accounts whole (qbconnect.FullBalancesMove):
// one AccountQuery, as an incremental pass is, of a list of tens to a few
// hundred accounts, a few kilobytes each. Each sync's accounts pass
// stores the balances QuickBooks holds as it runs, at no request more
// than the pass itself: reading them again after every page or write
// that posts would cost QuickBooks one more request each, several a sync,
// for figures a client reads with the next pass's. If QuickBooks does
// mark an account modified as it posts, the pass brings the same figures.

// balancesMove reports whether QuickBooks moves the records of d without
// marking them modified, in ways no transaction names (accounts), so that
// every pass must read them whole.
func balancesMove(d *dataType) bool { return d.object == "Account" }
