package companyfile

import (
	"github.com/qbconnect/qbconnect/qbxml"
)

// The processor reads Intuit's qbXML 13.0 schema through the qbxml
// package: qbxml.Lookup gives each element's children in schema order and
// its content model, which the processor walks to build schema-ordered
// Ret elements, and qbxml.Validate checks requests.

// contentModel returns the complex element type named name (e.g.
// "CustomerRet", "CustomerQueryRq").
func contentModel(name string) (*qbxml.ElementType, bool) {
	t := qbxml.Lookup(name)
	return t, t != nil
}

// lookupChild returns the child element named name of t.
func lookupChild(t *qbxml.ElementType, name string) (*qbxml.Child, bool) {
	if t == nil {
		return nil, false
	}
	c := t.Child(name)
	return c, c != nil
}

// childRanks gives each child of t its position in schema order; the
// children of one repeated sequence or choice (transaction lines) share a
// position, so that sorting by it keeps their own order.
func childRanks(t *qbxml.ElementType) map[string]int {
	pos := make(map[string]int, len(t.Children))
	n := 0
	var walk func(p *qbxml.Particle, group int)
	walk = func(p *qbxml.Particle, group int) {
		for i := range p.Items {
			k := &p.Items[i]
			if k.Kind == qbxml.ElementParticle {
				idx := n
				if group >= 0 {
					idx = group
				}
				if _, ok := pos[t.Children[k.Child].Name]; !ok {
					pos[t.Children[k.Child].Name] = idx
				}
				n++
				continue
			}
			g := group
			if g < 0 && k.Max != 1 {
				g = n
			}
			walk(k, g)
		}
	}
	walk(&qbxml.Particle{Kind: qbxml.SequenceParticle, Min: 1, Max: 1, Items: []qbxml.Particle{t.Model}}, -1)
	return pos
}

// insertOrdered inserts c among e's children after every child that comes
// before it in t's schema order.
func insertOrdered(e *qbxml.Node, t *qbxml.ElementType, c *qbxml.Node) {
	pos := func(name string) int {
		if i := t.ChildIndex(name); i >= 0 {
			return i
		}
		return len(t.Children)
	}
	want := pos(c.Name)
	at := len(e.Children)
	for i, k := range e.Children {
		if pos(k.Name) > want {
			at = i
			break
		}
	}
	e.Children = append(e.Children, nil)
	copy(e.Children[at+1:], e.Children[at:])
	e.Children[at] = c
}

// setOrdered sets the child name of e to text, inserting it at its place in
// t's schema order when it is missing.
func setOrdered(e *qbxml.Node, t *qbxml.ElementType, name, text string) *qbxml.Node {
	if c := e.Child(name); c != nil {
		c.Text, c.Children = text, nil
		return c
	}
	c := qbxml.NewText(name, text)
	insertOrdered(e, t, c)
	return c
}
