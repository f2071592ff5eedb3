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

// retFor says whether a source element named src fills the Ret element ret.
func retFor(src, ret string) bool {
	if src == ret || src+"Ret" == ret {
		return true
	}
	for _, suf := range []string{"Add", "Mod"} {
		if strings.HasSuffix(src, suf) && strings.TrimSuffix(src, suf)+"Ret" == ret {
			return true
		}
	}
	return false
}

// build returns the Ret element named retName filled from src.
func (b *builder) build(retName string, src *elem) (*elem, error) {
	model, ok := contentModel(retName)
	if !ok {
		return nil, fmt.Errorf("companyfile: no schema for %s", retName)
	}
	out := &elem{Name: retName}
	if err := b.fill(out, model, src.Kids, make([]bool, len(src.Kids))); err != nil {
		return nil, err
	}
	return out, nil
}

func (b *builder) fill(out *elem, p *particle, src []*elem, used []bool) error {
	for k := range p.Kids {
		kp := &p.Kids[k]
		switch {
		case kp.Kind == "e":
			for j, s := range src {
				if used[j] || !retFor(s.Name, kp.Name) {
					continue
				}
				used[j] = true
				if err := b.emit(out, kp, s); err != nil {
					return err
				}
				if kp.Max == 1 {
					break
				}
			}
		case kp.Max != 1:
			// A repeated sequence or choice (transaction lines): emit the
			// sources in their own order.
			var names []*particle
			collectElements(kp, &names)
			for j, s := range src {
				if used[j] {
					continue
				}
				for _, np := range names {
					if retFor(s.Name, np.Name) {
						used[j] = true
						if err := b.emit(out, np, s); err != nil {
							return err
						}
						break
					}
				}
			}
		default:
			if err := b.fill(out, kp, src, used); err != nil {
				return err
			}
		}
	}
	return nil
}

func collectElements(p *particle, out *[]*particle) {
	for k := range p.Kids {
		kp := &p.Kids[k]
		if kp.Kind == "e" {
			*out = append(*out, kp)
		} else {
			collectElements(kp, out)
		}
	}
}

func isRefModel(p *particle) bool {
	if p.Type < 0 || !strings.HasSuffix(p.Name, "Ref") {
		return false
	}
	_, ok := lookupChild(&schemaTypes[p.Type], "ListID")
	return ok
}

func (b *builder) emit(out *elem, p *particle, s *elem) error {
	if p.Type >= 0 {
		if isRefModel(p) {
			ref, err := b.resolveRef(p.Name, s)
			if err != nil {
				return err
			}
			out.Kids = append(out.Kids, ref)
			return nil
		}
		model := &schemaTypes[p.Type]
		child := &elem{Name: p.Name}
		if err := b.fill(child, model, s.Kids, make([]bool, len(s.Kids))); err != nil {
			return err
		}
		if names := elementNames(model); len(names) > 0 && names[0] == "TxnLineID" {
			if id := child.text("TxnLineID"); id == "" || id == "-1" {
				setOrdered(child, model, "TxnLineID", b.f.ids.newID(b.now))
			}
		}
		out.Kids = append(out.Kids, child)
		return nil
	}
	text, err := normalize(p, s.Text)
	if err != nil {
		return err
	}
	out.Kids = append(out.Kids, textElem(p.Name, text))
	return nil
}

// normalize checks and formats a simple value the way QuickBooks returns it.
func normalize(p *particle, v string) (string, error) {
	if p.Simple < 0 {
		return v, nil
	}
	st := &schemaSimples[p.Simple]
	switch st.Base {
	case "AMTTYPE":
		c, err := parseCents(v)
		if err != nil {
			return "", qbErr(stInvalidValue, "The %q field has an invalid value %q.", p.Name, v)
		}
		return formatCents(c), nil
	case "PRICETYPE", "QUANTYPE", "PERCENTTYPE", "FLOATTYPE":
		v = strings.TrimSpace(v)
		if _, err := strconv.ParseFloat(v, 64); err != nil && v != "" {
			return "", qbErr(stInvalidValue, "The %q field has an invalid value %q.", p.Name, v)
		}
		return v, nil
	case "BOOLTYPE":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return "true", nil
		case "false", "0":
			return "false", nil
		}
		return "", qbErr(stInvalidBool, "There was an error when converting the boolean value %q in the field %q.", v, p.Name)
	case "DATETYPE":
		if _, err := parseQBDate(v); err != nil {
			return "", qbErr(stInvalidDate, "There was an error when converting the date value %q in the field %q.", v, p.Name)
		}
		return strings.TrimSpace(v), nil
	case "INTTYPE":
		if _, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return "", qbErr(stInvalidValue, "The %q field has an invalid value %q.", p.Name, v)
		}
		return strings.TrimSpace(v), nil
	}
	if st.MaxLen > 0 && len([]rune(v)) > st.MaxLen {
		return "", qbErr(stInvalidString, "The string %q in the field %q is too long.", v, p.Name)
	}
	return v, nil
}

// resolveRef resolves a reference (ListID and/or FullName) to the object it
// names and returns it with both, as QuickBooks does. An unknown object is
// status 3140.
func (b *builder) resolveRef(name string, s *elem) (*elem, error) {
	listID, fullName := strings.TrimSpace(s.text("ListID")), s.text("FullName")
	ns, types, ok := refTarget(name, b.typ)
	if !ok {
		ref := &elem{Name: name}
		if listID != "" {
			ref.Kids = append(ref.Kids, textElem("ListID", listID))
		}
		if fullName != "" {
			ref.Kids = append(ref.Kids, textElem("FullName", fullName))
		}
		return ref, nil
	}
	o, err := b.f.lookupRef(b.ctx, b.q, ns, types, listID, fullName)
	if err != nil {
		if errors.Is(err, errNoObject) {
			what := fullName
			if listID != "" {
				what = listID
			}
			return nil, qbErr(stInvalidRef, "There is an invalid reference to QuickBooks %s %q in the %s.", strings.TrimSuffix(name, "Ref"), what, b.typ.Name)
		}
		return nil, err
	}
	return &elem{Name: name, Kids: []*elem{textElem("ListID", o.id), textElem("FullName", o.name)}}, nil
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

// setOrdered sets the child name of e to text, inserting it at its place in
// the content model when it is missing.
func setOrdered(e *elem, model *particle, name, text string) *elem {
	if c := e.child(name); c != nil {
		c.Text, c.Kids = text, nil
		return c
	}
	c := textElem(name, text)
	insertOrdered(e, model, c)
	return c
}

// insertOrdered inserts c among e's children after every child that comes
// before it in the content model.
func insertOrdered(e *elem, model *particle, c *elem) {
	order := elementNames(model)
	pos := func(n string) int {
		for i, o := range order {
			if o == n {
				return i
			}
		}
		return len(order)
	}
	want := pos(c.Name)
	at := len(e.Kids)
	for i, k := range e.Kids {
		if pos(k.Name) > want {
			at = i
			break
		}
	}
	e.Kids = append(e.Kids, nil)
	copy(e.Kids[at+1:], e.Kids[at:])
	e.Kids[at] = c
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
