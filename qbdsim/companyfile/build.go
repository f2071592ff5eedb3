package companyfile

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qbconnect/qbconnect/qbxml"
)

// builder turns XxxAdd (or a Ret merged with a XxxMod) into a XxxRet by
// walking the Ret's content model: every Ret element takes the source
// elements of the same name (XxxLineAdd and XxxLineMod map to XxxLineRet,
// Contacts to ContactsRet), references are resolved to ListID and FullName,
// simple values are normalised, and repeated choices keep the source order.
type builder struct {
	f   *File
	ctx context.Context
	q   querier
	typ *objType
	now time.Time
}

// retFor says whether a source element named src fills the Ret element
// ret: the same name, or the Add or Mod form of a XxxRet (InvoiceLineAdd,
// ContactsMod), or the Mod form of an aggregate that a Ret holds under its
// plain name (SalesOrPurchaseMod fills SalesOrPurchase).
func retFor(src, ret string) bool {
	if src == ret || src+"Ret" == ret {
		return true
	}
	for _, suf := range []string{"Add", "Mod"} {
		if strings.HasSuffix(src, suf) && strings.TrimSuffix(src, suf)+"Ret" == ret {
			return true
		}
	}
	return strings.HasSuffix(src, "Mod") && strings.TrimSuffix(src, "Mod") == ret
}

// build returns the Ret element named retName filled from src.
func (b *builder) build(retName string, src *qbxml.Node) (*qbxml.Node, error) {
	t, ok := contentModel(retName)
	if !ok {
		return nil, fmt.Errorf("companyfile: no schema for %s", retName)
	}
	out := &qbxml.Node{Name: retName}
	if err := b.fillType(out, t, src); err != nil {
		return nil, err
	}
	return out, nil
}

// fillType fills out, an element of type t, from the children of src.
func (b *builder) fillType(out *qbxml.Node, t *qbxml.ElementType, src *qbxml.Node) error {
	return b.fill(out, t, []qbxml.Particle{t.Model}, src.Children, make([]bool, len(src.Children)))
}

func (b *builder) fill(out *qbxml.Node, t *qbxml.ElementType, items []qbxml.Particle, src []*qbxml.Node, used []bool) error {
	for k := range items {
		kp := &items[k]
		switch {
		case kp.Kind == qbxml.ElementParticle:
			c := &t.Children[kp.Child]
			for j, s := range src {
				if used[j] || !retFor(s.Name, c.Name) {
					continue
				}
				used[j] = true
				if err := b.emit(out, c, s); err != nil {
					return err
				}
				if kp.Max == 1 {
					break
				}
			}
		case kp.Max != 1:
			// A repeated sequence or choice (transaction lines): emit the
			// sources in their own order.
			var names []*qbxml.Child
			collectElements(t, kp, &names)
			for j, s := range src {
				if used[j] {
					continue
				}
				for _, c := range names {
					if retFor(s.Name, c.Name) {
						used[j] = true
						if err := b.emit(out, c, s); err != nil {
							return err
						}
						break
					}
				}
			}
		default:
			if err := b.fill(out, t, kp.Items, src, used); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectElements lists the children of t that the particle p holds.
func collectElements(t *qbxml.ElementType, p *qbxml.Particle, out *[]*qbxml.Child) {
	for k := range p.Items {
		kp := &p.Items[k]
		if kp.Kind == qbxml.ElementParticle {
			*out = append(*out, &t.Children[kp.Child])
		} else {
			collectElements(t, kp, out)
		}
	}
}

// isRef says whether c is a reference to a list object (ListID, FullName).
func isRef(c *qbxml.Child) bool {
	t := c.Type()
	return t != nil && strings.HasSuffix(c.Name, "Ref") && t.Child("ListID") != nil
}

func (b *builder) emit(out *qbxml.Node, c *qbxml.Child, s *qbxml.Node) error {
	if t := c.Type(); t != nil {
		if isRef(c) {
			ref, err := b.resolveRef(c.Name, s)
			if err != nil {
				return err
			}
			out.Children = append(out.Children, ref)
			return nil
		}
		child := &qbxml.Node{Name: c.Name}
		if err := b.fillType(child, t, s); err != nil {
			return err
		}
		if (len(t.Children) > 0 && t.Children[0].Name == "TxnLineID") || (t.Child("TxnLineID") != nil && strings.HasSuffix(c.Name, "LineRet")) {
			if id := textAt(child, "TxnLineID"); id == "" || id == "-1" {
				setOrdered(child, t, "TxnLineID", b.f.ids.newID(b.now))
			}
		}
		b.completeEntry(out, child, t, s.Name != c.Name)
		out.Children = append(out.Children, child)
		return nil
	}
	text, err := normalize(c, s.Text)
	if err != nil {
		return err
	}
	out.Children = append(out.Children, qbxml.NewText(c.Name, text))
	return nil
}

// completeEntry gives the entries that QuickBooks keeps inside a list
// element their own identity: a contact (ContactsRet) its ListID, times and
// EditSequence, a note (AdditionalNotesRet) its NoteID and date. changed is
// true for an entry from an Add or a Mod (a new or modified entry), false
// for a stored one that stays as it was.
func (b *builder) completeEntry(parent, e *qbxml.Node, t *qbxml.ElementType, changed bool) {
	switch {
	case t.Child("ListID") != nil && t.Child("TimeCreated") != nil:
		if textAt(e, "ListID") == "" {
			setOrdered(e, t, "ListID", b.f.ids.newID(b.now))
		}
		if textAt(e, "TimeCreated") == "" {
			setOrdered(e, t, "TimeCreated", qbTime(b.now))
		}
		if changed || textAt(e, "TimeModified") == "" {
			setOrdered(e, t, "TimeModified", qbTime(b.now))
			setOrdered(e, t, "EditSequence", nextEditSequence(b.now, textAt(e, "EditSequence")))
		}
	case t.Child("NoteID") != nil:
		if textAt(e, "NoteID") == "" {
			next := int64(1)
			for _, n := range kids(parent, e.Name) {
				if v, err := strconv.ParseInt(textAt(n, "NoteID"), 10, 64); err == nil && v >= next {
					next = v + 1
				}
			}
			setOrdered(e, t, "NoteID", strconv.FormatInt(next, 10))
		}
		if changed || textAt(e, "Date") == "" {
			setOrdered(e, t, "Date", qbDate(b.now))
		}
	}
}

// normalize checks and formats a simple value the way QuickBooks returns it.
func normalize(ch *qbxml.Child, v string) (string, error) {
	st := ch.Simple
	if st == nil {
		return v, nil
	}
	switch st.Kind {
	case qbxml.KindAmount:
		c, err := parseCents(v)
		if err != nil {
			return "", qbErr(stInvalidValue, "The %q field has an invalid value %q.", ch.Name, v)
		}
		return formatCents(c), nil
	case qbxml.KindPrice, qbxml.KindQuantity, qbxml.KindPercent, qbxml.KindFloat:
		v = strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(v, 64); err != nil && v != "" {
			return "", qbErr(stInvalidValue, "The %q field has an invalid value %q.", ch.Name, v)
		}
		return v, nil
	case qbxml.KindBool:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return "true", nil
		case "false", "0":
			return "false", nil
		}
		return "", qbErr(stInvalidBool, "There was an error when converting the boolean value %q in the field %q.", v, ch.Name)
	case qbxml.KindDate:
		if _, err := parseQBDate(v); err != nil {
			return "", qbErr(stInvalidDate, "There was an error when converting the date value %q in the field %q.", v, ch.Name)
		}
		return strings.TrimSpace(v), nil
	case qbxml.KindInt:
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return "", qbErr(stInvalidValue, "The %q field has an invalid value %q.", ch.Name, v)
		}
		return strings.TrimSpace(v), nil
	}
	if st.MaxLength > 0 && utf8.RuneCountInString(v) > st.MaxLength {
		return "", qbErr(stInvalidString, "The string %q in the field %q is too long.", v, ch.Name)
	}
	return v, nil
}

// resolveRef resolves a reference (ListID and/or FullName) to the object it
// names and returns it with both, as QuickBooks does. A FullName naming no
// object is status 3140 (invalidRef), a ListID naming none 3120
// (refNotFound).
func (b *builder) resolveRef(name string, s *qbxml.Node) (*qbxml.Node, error) {
	listID, fullName := strings.TrimSpace(textAt(s, "ListID")), textAt(s, "FullName")
	ns, types, ok := refTarget(name, b.typ)
	if !ok {
		ref := &qbxml.Node{Name: name}
		if listID != "" {
			ref.Children = append(ref.Children, qbxml.NewText("ListID", listID))
		}
		if fullName != "" {
			ref.Children = append(ref.Children, qbxml.NewText("FullName", fullName))
		}
		return ref, nil
	}
	o, err := b.f.lookupRef(b.ctx, b.q, ns, types, listID, fullName)
	if err != nil {
		if errors.Is(err, errNoObject) {
			if listID != "" {
				return nil, refNotFound(listID)
			}
			return nil, invalidRef(strings.TrimSuffix(name, "Ref"), fullName, b.typ.Name)
		}
		return nil, err
	}
	return &qbxml.Node{Name: name, Children: []*qbxml.Node{qbxml.NewText("ListID", o.id), qbxml.NewText("FullName", o.name)}}, nil
}

// lookupRef finds the list element a reference names, by ListID when given
// (FullName must then agree) or by FullName. types, when set, restricts the
// object types that fit (a VendorRef must name a vendor).
func (f *File) lookupRef(ctx context.Context, q querier, ns string, types []string, listID, fullName string) (*object, error) {
	var o *object
	var err error
	switch {
	case listID != "":
		o, err = getObjectByID(ctx, q, listID)
		if err == nil && (o.ns != ns || (fullName != "" && nameKey(fullName) != nameKey(o.name))) {
			err = errNoObject
		}
	case fullName != "":
		o, err = getObjectByName(ctx, q, ns, fullName)
	default:
		err = errNoObject
	}
	if err != nil {
		return nil, err
	}
	if len(types) > 0 {
		ok := false
		for _, t := range types {
			ok = ok || o.typ == t
		}
		if !ok {
			return nil, errNoObject
		}
	}
	return o, nil
}

// parseCents parses an amount ("12", "-3.5", "1234.56") to cents.
func parseCents(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return 0, fmt.Errorf("invalid amount %q", v)
	}
	r.Mul(r, big.NewRat(100, 1))
	fl, _ := r.Float64()
	if math.Abs(fl) > 1e15 {
		return 0, fmt.Errorf("amount %q out of range", v)
	}
	return int64(math.Round(fl)), nil
}

func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// parseDecimal parses a PRICETYPE/QUANTYPE/PERCENTTYPE value.
func parseDecimal(v string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f
}
