package companyfile

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/qbconnect/qbconnect/qbxml"
)

// Purchase orders and sales orders post nothing: an open line of one puts
// what is not yet received (ReceivedQuantity) or invoiced (Invoiced) of
// its item on order (QuantityOnOrder) or on sales orders
// (QuantityOnSalesOrder), until the line or the order is closed
// (IsManuallyClosed) or the line is received or invoiced in full
// (stockMoves, moveItemLines).
//
// An item receipt or bill receives against a purchase order, an invoice
// invoices a sales order, when its Add links to it: LinkToTxnID brings in
// every open line of the order at what is still open of it (a group line
// as a group line of the same group holding its open lines,
// linkGroupLine), an item line's LinkToTxn (TxnID, TxnLineID) one line,
// whose item the line takes: one of the order's own or one inside a
// group line, never the group line itself. The lines inside an order's
// group lines are order lines like any other (orderLines). The
// order_links table records which line of the receipt, bill or invoice
// received or invoiced which line of the order; an order line's
// ReceivedQuantity or Invoiced is the sum of the quantities of the lines
// linked to it, computed again (refreshOrder) whenever one of them is
// written, modified, deleted or voided. A Mod that removes or replaces a
// linked line takes its link with it; a line it keeps (by TxnLineID)
// stays linked. What bills linked to a purchase order line count apart:
// its UnbilledQuantity is its Quantity less what they billed, and it
// IsBilled when that is nothing; an item receipt receives but bills
// nothing. The links are reported on both sides as quantity links
// (LinkedTxn, linked.go).
//
// A link to an order, or an order line, that is closed (by hand, or
// received or invoiced in full) brings in nothing: the transaction is
// saved with its other lines and QuickBooks answers with the warning 570;
// with no other line it is refused. Only item lines name a link:
// QuickBooks' group line Adds hold no LinkToTxn, and an invoice links to sales orders
// only, never to an estimate.

// orderLinks describes how the transactions of a type link to orders.
type orderLinks struct {
	order   string // the type of order they link to
	srcLine string // the Add's item line that may hold a LinkToTxn
	line    string // the Ret's item line
	group   string // the Ret's group line
	price   string // the line's unit price element (Cost or Rate)
}

var linksToOrders = map[string]orderLinks{
	"ItemReceipt": {"PurchaseOrder", "ItemLineAdd", "ItemLineRet", "ItemGroupLineRet", "Cost"},
	"Bill":        {"PurchaseOrder", "ItemLineAdd", "ItemLineRet", "ItemGroupLineRet", "Cost"},
	"Invoice":     {"SalesOrder", "InvoiceLineAdd", "InvoiceLineRet", "InvoiceLineGroupRet", "Rate"},
}

// orderLink is one line of a receipt, bill or invoice linked to a line
// of an order.
type orderLink struct {
	lineID, orderID, orderLineID string
}

// linkOrders fills the lines of a new receipt, bill or invoice (ret, from
// the Add src, its TxnID id) that link to orders, adds the lines that
// LinkToTxnID brings in, and records the links.
func (f *File) linkOrders(ctx context.Context, q querier, t *objType, ret, src *qbxml.Node, id string) error {
	lk, ok := linksToOrders[t.Name]
	if !ok {
		return nil
	}
	whole := textsOf(src, "LinkToTxnID")
	var srcLines []*qbxml.Node
	for _, s := range src.Children {
		if s.Name == lk.srcLine {
			srcLines = append(srcLines, s)
		}
	}
	if len(whole) == 0 && !slices.ContainsFunc(srcLines, func(s *qbxml.Node) bool { return kid(s, "LinkToTxn") != nil }) {
		return nil
	}
	lm, _ := contentModel(lk.line)
	entity := textAt(ret, t.Entity+"/ListID")
	orders := map[string]*qbxml.Node{}
	order := func(txnID string) (*qbxml.Node, error) {
		if o, ok := orders[txnID]; ok {
			return o, nil
		}
		o, err := getObjectByID(ctx, q, txnID)
		if err != nil || o.typ != lk.order || o.entityID != entity {
			return nil, qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s.", lk.order, txnID, t.Name)
		}
		n, err := parseNode(o.ret)
		if err != nil {
			return nil, err
		}
		orders[txnID] = n
		return n, nil
	}
	m := stockMoves[lk.order]
	var links []orderLink
	var closed []string            // the orders a link to was refused, closed
	left := map[*qbxml.Node]bool{} // the lines linked to closed order lines
	for i, l := range kids(ret, lk.line) {
		if i >= len(srcLines) || kid(srcLines[i], "LinkToTxn") == nil {
			continue
		}
		to := kid(srcLines[i], "LinkToTxn")
		orderID, orderLineID := textAt(to, "TxnID"), textAt(to, "TxnLineID")
		if slices.Contains(whole, orderID) {
			return qbErr(stInvalidValue, "The %s %q is linked both as a whole (LinkToTxnID) and by its line %q.", lk.order, orderID, orderLineID)
		}
		if kid(l, "ItemRef") != nil {
			return qbErr(stInvalidValue, "An item line that links to a %s line takes its item from it: it cannot name an ItemRef.", lk.order)
		}
		o, err := order(orderID)
		if err != nil {
			return err
		}
		ol := orderLine(o, orderLineID)
		if ol == nil {
			return qbErr(stInvalidRef, "There is an invalid reference to the line %q of QuickBooks %s %q in the %s.", orderLineID, lk.order, orderID, t.Name)
		}
		open := m.lineQuantity(o, ol)
		if open <= 0 {
			// A line closed, by hand or received or invoiced in full,
			// links nothing; the line, which takes all it has from it,
			// is left out.
			closed = append(closed, orderID)
			left[l] = true
			continue
		}
		fillLinkedLine(l, lm, ol, lk.price, open)
		links = append(links, orderLink{textAt(l, "TxnLineID"), orderID, orderLineID})
	}
	if len(left) > 0 {
		ret.Children = slices.DeleteFunc(ret.Children, func(l *qbxml.Node) bool { return left[l] })
	}
	tm := f.opt.Now()
	for _, orderID := range whole {
		o, err := order(orderID)
		if err != nil {
			return err
		}
		brought := 0
		for _, ol := range o.Children {
			switch ol.Name {
			case lk.order + "LineRet":
				open := m.lineQuantity(o, ol)
				if kid(ol, "ItemRef") == nil || open <= 0 {
					continue
				}
				l := qbxml.NewNode(lk.line, qbxml.NewText("TxnLineID", f.ids.newID(tm)))
				fillLinkedLine(l, lm, ol, lk.price, open)
				appendOrderLine(ret, lk, l)
				links = append(links, orderLink{textAt(l, "TxnLineID"), orderID, textAt(ol, "TxnLineID")})
				brought++
			case lk.order + "LineGroupRet":
				g, groupLinks := f.linkGroupLine(lk, lm, m, o, ol, orderID)
				if g == nil {
					continue
				}
				appendOrderLine(ret, lk, g)
				links = append(links, groupLinks...)
				brought++
			}
		}
		if brought == 0 {
			closed = append(closed, orderID)
		}
	}
	if len(kids(ret, lk.line)) == 0 && kid(ret, "ExpenseLineRet") == nil && kid(ret, "ItemGroupLineRet") == nil && kid(ret, "InvoiceLineGroupRet") == nil {
		// QuickBooks refuses a transaction that would be empty, as when
		// every order it links to is closed or received in full.
		return qbErr(stInvalidValue, "The %s has no lines: the %s it links to has no open lines.", t.Name, lk.order)
	}
	if len(closed) > 0 {
		// With other lines, the transaction is saved without the link,
		// and QuickBooks warns (status 570).
		f.warning = &status{stLinkClosed, "Warn", fmt.Sprintf("Unable to link to transaction %q because it has already been closed.", closed[0])}
	}
	for _, k := range links {
		if _, err := q.ExecContext(ctx, `INSERT INTO order_links(txn_id, line_id, order_id, order_line_id) VALUES (?, ?, ?, ?)`,
			id, k.lineID, k.orderID, k.orderLineID); err != nil {
			return fmt.Errorf("companyfile: link %s to %s: %w", id, k.orderID, err)
		}
	}
	return nil
}

// linkGroupLine builds, for a link to the whole order o, the group line
// that brings in the open lines of its group line og: the same group and
// description, holding a line for each open line inside og at what is
// still open of it, each linked to it. Its Quantity is how many of the
// group are still open when every line inside is open in the same
// proportion, and left out otherwise. It returns nil when nothing inside
// og is open.
func (f *File) linkGroupLine(lk orderLinks, lm *qbxml.ElementType, m stockMove, o, og *qbxml.Node, orderID string) (*qbxml.Node, []orderLink) {
	gm, _ := contentModel(lk.group)
	tm := f.opt.Now()
	g := qbxml.NewNode(lk.group, qbxml.NewText("TxnLineID", f.ids.newID(tm)))
	for _, name := range []string{"ItemGroupRef", "Desc", "IsPrintItemsInGroup"} {
		if k := kid(og, name); k != nil {
			if _, ok := lookupChild(gm, name); ok {
				insertOrdered(g, gm, k.Clone())
			}
		}
	}
	var links []orderLink
	share, same := -1.0, true // the part of the group still open
	for _, ol := range memberLines(og) {
		open := m.lineQuantity(o, ol)
		if kid(ol, "ItemRef") == nil || open <= 0 {
			same = same && textAt(ol, "Quantity") == ""
			continue
		}
		if qty := parseDecimal(textAt(ol, "Quantity")); qty > 0 {
			same = same && (share < 0 || share == open/qty)
			share = open / qty
		}
		l := qbxml.NewNode(lk.line, qbxml.NewText("TxnLineID", f.ids.newID(tm)))
		fillLinkedLine(l, lm, ol, lk.price, open)
		insertOrdered(g, gm, l)
		links = append(links, orderLink{textAt(l, "TxnLineID"), orderID, textAt(ol, "TxnLineID")})
	}
	if len(links) == 0 {
		return nil, nil
	}
	if same && share > 0 {
		setOrdered(g, gm, "Quantity", strconv.FormatFloat(groupQuantity(og)*share, 'f', -1, 64))
	}
	return g, links
}

// appendOrderLine adds l, an item or group line brought in from an order,
// after the item and group lines ret already has, so that the lines keep
// the order's order.
func appendOrderLine(ret *qbxml.Node, lk orderLinks, l *qbxml.Node) {
	last := -1
	for i, k := range ret.Children {
		if k.Name == lk.line || k.Name == lk.group {
			last = i
		}
	}
	if last < 0 {
		insertOrdered(ret, contentModelOf(ret), l)
		return
	}
	ret.Children = slices.Insert(ret.Children, last+1, l)
}

// orderLines returns the item lines of an order or of a transaction that
// links to one: its own and those inside its group lines.
func orderLines(e *qbxml.Node) []*qbxml.Node {
	var out []*qbxml.Node
	for _, l := range e.Children {
		if _, ok := lineCategory(l.Name); !ok {
			continue
		}
		if isGroupLine(l.Name) {
			out = append(out, memberLines(l)...)
			continue
		}
		out = append(out, l)
	}
	return out
}

// contentModelOf is the content model of a Ret element.
func contentModelOf(ret *qbxml.Node) *qbxml.ElementType {
	m, _ := contentModel(ret.Name)
	return m
}

// textsOf returns the texts of the children of e named name.
func textsOf(e *qbxml.Node, name string) []string {
	var out []string
	for _, k := range e.Children {
		if k.Name == name {
			out = append(out, k.Text)
		}
	}
	return out
}

// orderLine returns the item line of an order with the TxnLineID id, one
// of its own or one inside a group line, or nil. A group line is no item
// line: a line cannot link to it.
func orderLine(order *qbxml.Node, id string) *qbxml.Node {
	for _, l := range orderLines(order) {
		if l.Name == order.Name[:len(order.Name)-len("Ret")]+"LineRet" && textAt(l, "TxnLineID") == id {
			return l
		}
	}
	return nil
}

// fillLinkedLine gives a line linked to an order line (ol) what it does
// not say itself: the order line's item, description, class, sales tax
// code and unit price, and the quantity still open.
func fillLinkedLine(l *qbxml.Node, lm *qbxml.ElementType, ol *qbxml.Node, price string, open float64) {
	for _, name := range []string{"ItemRef", "Desc", "ClassRef", "SalesTaxCodeRef"} {
		if k := kid(ol, name); k != nil && kid(l, name) == nil {
			if _, ok := lookupChild(lm, name); ok {
				insertOrdered(l, lm, k.Clone())
			}
		}
	}
	if textAt(l, "Quantity") == "" {
		setOrdered(l, lm, "Quantity", strconv.FormatFloat(open, 'f', -1, 64))
	}
	if textAt(l, price) == "" && textAt(l, "Amount") == "" && textAt(ol, "Rate") != "" {
		setOrdered(l, lm, price, textAt(ol, "Rate"))
	}
}

// linkedOrders returns the TxnIDs of the orders the transaction id
// receives or invoices.
func linkedOrders(ctx context.Context, q querier, id string) ([]string, error) {
	return queryStrings(ctx, q, `SELECT DISTINCT order_id FROM order_links WHERE txn_id = ? ORDER BY order_id`, id)
}

// refreshOrders computes again the orders the transaction id receives or
// invoices. ret is the transaction as it now stands: the links of the
// lines a Mod removed go with them, those of the lines it kept (by their
// TxnLineID) stay. ret is nil when the transaction is deleted or voided,
// which forgets every link.
func (f *File) refreshOrders(ctx context.Context, q querier, id string, ret *qbxml.Node) error {
	ids, err := linkedOrders(ctx, q, id)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := unlinkRemovedLines(ctx, q, id, ret); err != nil {
		return err
	}
	for _, o := range ids {
		if err := f.refreshOrder(ctx, q, o); err != nil {
			return err
		}
	}
	return nil
}

// unlinkRemovedLines deletes the links of the lines of the transaction id
// that ret (nil: none) no longer holds.
func unlinkRemovedLines(ctx context.Context, q querier, id string, ret *qbxml.Node) error {
	if ret == nil {
		_, err := q.ExecContext(ctx, `DELETE FROM order_links WHERE txn_id = ?`, id)
		return err
	}
	linked, err := queryStrings(ctx, q, `SELECT line_id FROM order_links WHERE txn_id = ?`, id)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, l := range orderLines(ret) {
		kept[textAt(l, "TxnLineID")] = true
	}
	for _, l := range linked {
		if kept[l] {
			continue
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM order_links WHERE txn_id = ? AND line_id = ?`, id, l); err != nil {
			return err
		}
	}
	return nil
}

// refreshOrder sets what was received, invoiced and billed of each line
// of an order from the lines linked to it, and whether it is received or
// invoiced in full, and moves its items' quantities on order by the
// difference. The order counts as modified.
func (f *File) refreshOrder(ctx context.Context, q querier, orderID string) error {
	o, ret, err := getRetByID(ctx, q, orderID)
	if err != nil {
		return err
	}
	if err := f.moveItemLines(ctx, q, o.typ, ret, -1); err != nil {
		return err
	}
	model, _ := contentModel(o.typ + "Ret")
	if err := completeOrder(ctx, q, o.typ, model, ret, orderID); err != nil {
		return err
	}
	if err := f.moveItemLines(ctx, q, o.typ, ret, 1); err != nil {
		return err
	}
	o.touch(ret, model, f.opt.Now())
	o.ret = marshalNode(ret)
	return updateObject(ctx, q, o)
}

// linkedQuantities sums, by the order's TxnLineID, the quantities of the
// lines linked to the lines of an order: all of them (done), and those
// of bills (billed).
func linkedQuantities(ctx context.Context, q querier, orderID string) (done, billed map[string]float64, err error) {
	rows, err := q.QueryContext(ctx, `SELECT l.line_id, l.order_line_id, o.type, o.ret FROM order_links l JOIN objects o ON o.id = l.txn_id WHERE l.order_id = ?`, orderID)
	if err != nil {
		return nil, nil, err
	}
	type link struct {
		lineID, orderLineID, typ string
		ret                      []byte
	}
	var links []link
	for rows.Next() {
		var k link
		if err := rows.Scan(&k.lineID, &k.orderLineID, &k.typ, &k.ret); err != nil {
			rows.Close()
			return nil, nil, err
		}
		links = append(links, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	done, billed = map[string]float64{}, map[string]float64{}
	for _, k := range links {
		txn, err := parseNode(k.ret)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range orderLines(txn) {
			if textAt(l, "TxnLineID") == k.lineID {
				qty := parseDecimal(textAt(l, "Quantity"))
				done[k.orderLineID] += qty
				if k.typ == "Bill" {
					billed[k.orderLineID] += qty
				}
			}
		}
	}
	return done, billed, nil
}

// completeOrder sets, on each line of the order id (ret, of type typ),
// what the lines linked to it received or invoiced (ReceivedQuantity,
// Invoiced) and, on a purchase order, what bills billed of it
// (UnbilledQuantity, IsBilled); and whether the order is received
// (IsFullyReceived) or invoiced (IsFullyInvoiced) in full: every line
// with a quantity is.
func completeOrder(ctx context.Context, q querier, typ string, model *qbxml.ElementType, ret *qbxml.Node, id string) error {
	m, ok := stockMoves[typ]
	if !ok || m.done == "" {
		return nil
	}
	done, billed, err := linkedQuantities(ctx, q, id)
	if err != nil {
		return err
	}
	lm, _ := contentModel(typ + "LineRet")
	lines, full := 0, true
	for _, l := range orderLines(ret) {
		lineID := textAt(l, "TxnLineID")
		setIf(l, lm, m.done, strconv.FormatFloat(done[lineID], 'f', -1, 64))
		if textAt(l, "Quantity") == "" {
			continue
		}
		qty := parseDecimal(textAt(l, "Quantity"))
		setIf(l, lm, "UnbilledQuantity", strconv.FormatFloat(max(qty-billed[lineID], 0), 'f', -1, 64))
		setIf(l, lm, "IsBilled", boolText(billed[lineID] >= qty))
		lines++
		full = full && done[lineID] >= qty
	}
	full = full && lines > 0
	setIf(ret, model, "IsFullyReceived", boolText(full))
	setIf(ret, model, "IsFullyInvoiced", boolText(full))
	return nil
}
