package companyfile

import (
	"strings"

	"github.com/qbconnect/qbconnect/qbxml"
)

// How a XxxMod changes a stored XxxRet, as QuickBooks applies it:
//
//   - An element that the Mod leaves out keeps its stored value.
//   - A simple value, a reference or an aggregate whose Mod form is the same
//     element as in the Ret (BillAddress, ShipAddress, VendorAddress,
//     EmergencyContacts) replaces the stored one as a whole: an address
//     sent with only Addr1 loses its City.
//   - An aggregate with a Mod form of its own (SalesOrPurchaseMod,
//     SalesAndPurchaseMod, FixedAssetSalesInfoMod, EmployeePayrollInfoMod,
//     CreditCardTxnInfoMod, CashBackInfoMod) is merged into the stored one
//     element by element, recursively: SalesOrPurchaseMod{Price} changes
//     the price and keeps the description and the account.
//   - Choosing one side of a choice drops the stored other side
//     (SalesAndPurchaseMod replaces a stored SalesOrPurchase, PricePercent
//     a stored Price).
//   - Repeated elements (ShipToAddress, AppliedToTxnMod, Earnings,
//     AdditionalContactRef) replace the stored list.
//   - ContactsMod and AdditionalNotesMod name a stored entry by its ListID
//     (with its EditSequence) or NoteID and are merged into it; the
//     entries not named stay. A ListID or NoteID that names none of them
//     is status 3120 (as an unknown ID a Mod names, unknownID), an empty
//     one 3000, a stale contact EditSequence 3200.
//   - Transaction lines follow their own rule (see mergeLines): lines not
//     sent are deleted, a stored TxnLineID is merged, TxnLineID -1 adds.
//     A group line Mod (InvoiceLineGroupMod) follows it for the lines
//     inside the group when it names any, and keeps them when it names
//     none (see mergeLine and completeGroupLines).

// mergeMod returns the stored Ret cur, of type t, with the Mod mod laid over
// it. The result still holds Mod element names (InvoiceLineMod,
// ContactsMod); the builder maps them onto the Ret.
func mergeMod(cur *qbxml.Node, t *qbxml.ElementType, mod *qbxml.Node) (*qbxml.Node, error) {
	out := cur.Clone()
	if err := mergeInto(out, t, mod, true); err != nil {
		return nil, err
	}
	return out, nil
}

// mergeInto lays the children of mod over out, an element of type t. top
// is true for the object itself, whose ListID, TxnID and EditSequence
// identify it rather than change it.
func mergeInto(out *qbxml.Node, t *qbxml.ElementType, mod *qbxml.Node, top bool) error {
	lines := map[string][]*qbxml.Node{}
	var lineOrder []string
	replaced := map[string]bool{} // repeated elements whose stored list is dropped, by Ret name
	extras := map[string]bool{}   // elements not in the Ret, by name, once the Mod's first is laid over
	for _, m := range mod.Children {
		if top {
			switch m.Name {
			case "ListID", "TxnID", "EditSequence":
				continue
			}
		}
		if cat, ok := lineCategory(m.Name); ok {
			if _, seen := lines[cat]; !seen {
				lineOrder = append(lineOrder, cat)
			}
			lines[cat] = append(lines[cat], m)
			continue
		}
		c := retChild(t, m.Name)
		if c == nil {
			// Not part of the Ret (BarCode, SetCredit): the builder
			// ignores it, the type hooks may read it. A repeated one
			// (SetCredit) keeps all its occurrences.
			if !extras[m.Name] {
				removeKids(out, m.Name)
				extras[m.Name] = true
			}
			out.Children = append(out.Children, m)
			continue
		}
		for _, r := range choiceRivals(t, c.Name) {
			removeKids(out, r)
		}
		isModForm := m.Name != c.Name && c.Type() != nil && strings.HasSuffix(m.Name, "Mod")
		if c.Max == 1 {
			stored := kid(out, c.Name)
			if isModForm && stored != nil {
				if err := mergeInto(stored, c.Type(), m, false); err != nil {
					return err
				}
				continue
			}
			removeKids(out, c.Name)
			removeKids(out, m.Name)
			out.Children = append(out.Children, m)
			continue
		}
		if isModForm && keyOf(m) != "" {
			if err := mergeEntry(out, c, m); err != nil {
				return err
			}
			continue
		}
		if !replaced[c.Name] {
			replaced[c.Name] = true
			removeKids(out, c.Name)
			removeKids(out, m.Name)
		}
		out.Children = append(out.Children, m)
	}
	for _, cat := range lineOrder {
		if err := mergeLines(out, cat, lines[cat]); err != nil {
			return err
		}
	}
	return nil
}

// mergeLines replaces the lines of one category (lineCategory) of out with
// the Mod's lines: a line naming a stored TxnLineID is merged into it, any
// other (TxnLineID -1) is new, and stored lines not named are deleted.
func mergeLines(out *qbxml.Node, cat string, mods []*qbxml.Node) error {
	oldLines := map[string]*qbxml.Node{}
	kept := out.Children[:0]
	for _, k := range out.Children {
		if c, ok := lineCategory(k.Name); ok && c == cat {
			if id := textAt(k, "TxnLineID"); id != "" {
				oldLines[id] = k
			}
			continue
		}
		kept = append(kept, k)
	}
	out.Children = kept
	for _, m := range mods {
		id := textAt(m, "TxnLineID")
		line := m
		prev, ok := oldLines[id]
		if ok && id != "-1" {
			var err error
			if line, err = mergeLine(prev, m); err != nil {
				return err
			}
		}
		if m.Name == "JournalLineMod" {
			// A journal entry stores debit and credit lines; the Mod
			// names the side, or keeps the stored line's.
			switch textAt(m, "JournalLineType") {
			case "Debit":
				line.Name = "JournalDebitLine"
			case "Credit":
				line.Name = "JournalCreditLine"
			default:
				if !ok || id == "-1" {
					return qbErr(stInvalidValue, "The JournalLineType of the new journal line %q is missing.", id)
				}
				line.Name = prev.Name
			}
			removeKids(line, "JournalLineType")
		}
		out.Children = append(out.Children, line)
	}
	return nil
}

// retChild returns the child of the Ret type t that a Mod element named
// name fills, or nil.
func retChild(t *qbxml.ElementType, name string) *qbxml.Child {
	if t == nil {
		return nil
	}
	for i := range t.Children {
		if retFor(name, t.Children[i].Name) {
			return &t.Children[i]
		}
	}
	return nil
}

// keyOf returns the element that names a stored entry of a repeated Mod
// aggregate (ListID of ContactsMod, NoteID of AdditionalNotesMod), or "".
func keyOf(m *qbxml.Node) string {
	for _, key := range []string{"ListID", "NoteID"} {
		if kid(m, key) != nil {
			return key
		}
	}
	return ""
}

// mergeEntry merges m into the stored entry of out (a c.Name element) that
// it names by its key. The merged entry takes m's name, which tells the
// builder that it changed.
func mergeEntry(out *qbxml.Node, c *qbxml.Child, m *qbxml.Node) error {
	key := keyOf(m)
	id := textAt(m, key)
	for i, s := range out.Children {
		if (s.Name != c.Name && s.Name != m.Name) || textAt(s, key) != id {
			continue
		}
		if es := kid(m, "EditSequence"); es != nil && es.Text != textAt(s, "EditSequence") {
			return qbErr(stStaleEdit, "The provided edit sequence %q of the %s %q is out-of-date.", es.Text, c.Name, id)
		}
		merged := s.Clone()
		if err := mergeInto(merged, c.Type(), m, false); err != nil {
			return err
		}
		merged.Name = m.Name
		out.Children[i] = merged
		return nil
	}
	if id != "" {
		// As for the object a Mod names (unknownID): an ID QuickBooks
		// does not hold among the entries is not found.
		return objectNotFound(id)
	}
	return qbErr(stInvalidID, "The given object ID %q in the field %q of %s is invalid.", id, key, m.Name)
}

// choiceRivals returns the children of t that exclude name: those in the
// other branches of every single (not repeated) choice that holds it.
func choiceRivals(t *qbxml.ElementType, name string) []string {
	var out []string
	var walk func(p *qbxml.Particle)
	walk = func(p *qbxml.Particle) {
		for i := range p.Items {
			it := &p.Items[i]
			if !particleHolds(t, it, name) {
				continue
			}
			if p.Kind == qbxml.ChoiceParticle && p.Max == 1 {
				for j := range p.Items {
					if j != i {
						particleNames(t, &p.Items[j], &out)
					}
				}
			}
			if it.Kind != qbxml.ElementParticle {
				walk(it)
			}
		}
	}
	root := qbxml.Particle{Kind: qbxml.SequenceParticle, Min: 1, Max: 1, Items: []qbxml.Particle{t.Model}}
	walk(&root)
	return out
}

func particleHolds(t *qbxml.ElementType, p *qbxml.Particle, name string) bool {
	if p.Kind == qbxml.ElementParticle {
		return t.Children[p.Child].Name == name
	}
	for i := range p.Items {
		if particleHolds(t, &p.Items[i], name) {
			return true
		}
	}
	return false
}

func particleNames(t *qbxml.ElementType, p *qbxml.Particle, out *[]string) {
	if p.Kind == qbxml.ElementParticle {
		*out = append(*out, t.Children[p.Child].Name)
		return
	}
	for i := range p.Items {
		particleNames(t, &p.Items[i], out)
	}
}
