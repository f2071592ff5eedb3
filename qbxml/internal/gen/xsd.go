package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// xnode is one element of an XSD document, kept generic so that the
// generator can walk any construct the qbXML schema uses.
type xnode struct {
	XMLName xml.Name
	Attr    []xml.Attr `xml:",any,attr"`
	Kids    []*xnode   `xml:",any"`
}

func (n *xnode) a(name string) string {
	for _, at := range n.Attr {
		if at.Name.Local == name {
			return at.Value
		}
	}
	return ""
}

func (n *xnode) tag() string { return n.XMLName.Local }

func (n *xnode) kid(tag string) *xnode {
	for _, k := range n.Kids {
		if k.tag() == tag {
			return k
		}
	}
	return nil
}

// baseKinds are the simple types of qbxmltypes130.xsd, in the order the
// runtime Kind constants are declared.
var baseKinds = []string{
	"STRTYPE", "IDTYPE", "ENUMTYPE", "BOOLTYPE", "DATETYPE", "DATETIMETYPE", "TIMEINTERVALTYPE",
	"AMTTYPE", "PRICETYPE", "QUANTYPE", "PERCENTTYPE", "INTTYPE", "FLOATTYPE", "GUIDTYPE",
	"UUIDTYPE", "MACROTYPE",
}

func isBaseKind(s string) bool {
	for _, k := range baseKinds {
		if k == s {
			return true
		}
	}
	return false
}

const unbounded = -1

type simple struct {
	base      string
	maxLen    int
	enum      []string
	minInc    *int64
	maxInc    *int64
	attrs     []*attr
	index     int
	signature string
}

type attr struct {
	name     string
	required bool
	simple   *simple
	def      string
}

const (
	pElement = iota
	pSequence
	pChoice
)

type particle struct {
	kind     int
	min, max int
	child    int
	items    []*particle
}

type child struct {
	name     string
	min      int
	max      int
	simple   *simple
	complex  string // element type name when complex
	choice   int    // 1-based innermost choice group, 0 if none
	union    int    // 1-based repeated-choice union within the type, 0 if none
	conflict bool
	flat     bool
}

type union struct {
	members []int // child indexes
	goName  string
}

type etype struct {
	name     string
	children []*child
	attrs    []*attr
	model    *particle
	choices  []*particle
	unions   []*union
	index    int
	msgSet   bool // message-set containers get no Go struct
}

type schema struct {
	elements     map[string]*xnode // global elements
	groups       map[string]*xnode
	complexes    map[string]*xnode
	types        map[string]*etype
	typeSrc      map[string]*xnode
	simples      map[string]*simple
	globalSimple map[string]*simple
	// baseMaxLen is the maxLength facet of a base kind's own declaration
	// (IDTYPE: 36), which every value of that kind inherits.
	baseMaxLen   map[string]int
	requests     []string // QBXMLMsgsRq order
	responses    []string
	subRequests  []string
	subResponses []string
	warnings     []string
	pending      []string
}

func loadSchema(dir string) (*schema, error) {
	s := &schema{
		elements:     map[string]*xnode{},
		groups:       map[string]*xnode{},
		complexes:    map[string]*xnode{},
		types:        map[string]*etype{},
		typeSrc:      map[string]*xnode{},
		simples:      map[string]*simple{},
		globalSimple: map[string]*simple{},
		baseMaxLen:   map[string]int{},
	}
	for _, f := range []string{"qbxmltypes130.xsd", "qbxml130.xsd", "qbxmlso130.xsd", "qbxmlops130.xsd"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		var root xnode
		if err := xml.Unmarshal(data, &root); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, k := range root.Kids {
			name := k.a("name")
			switch k.tag() {
			case "element":
				s.elements[name] = k
			case "group":
				s.groups[name] = k
			case "complexType":
				s.complexes[name] = k
			case "simpleType":
				if err := s.baseFacets(k); err != nil {
					return nil, fmt.Errorf("%s: simpleType %s: %w", f, name, err)
				}
			case "include":
			default:
				return nil, fmt.Errorf("%s: unexpected top-level %s", f, k.tag())
			}
		}
	}
	// Build every global element, then the message sets pull in every
	// request and response type.
	names := make([]string, 0, len(s.elements))
	for n := range s.elements {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		smp, _, err := s.elementDef(s.elements[n])
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", n, err)
		}
		if smp != nil {
			s.globalSimple[n] = smp
		}
	}
	for len(s.pending) > 0 {
		n := s.pending[0]
		s.pending = s.pending[1:]
		if err := s.buildType(n); err != nil {
			return nil, fmt.Errorf("type %s: %w", n, err)
		}
	}
	s.requests = s.msgChildren("QBXMLMsgsRq")
	s.responses = s.msgChildren("QBXMLMsgsRs")
	s.subRequests = s.msgChildren("QBXMLSubscriptionMsgsRq")
	s.subResponses = s.msgChildren("QBXMLSubscriptionMsgsRs")
	for _, n := range []string{"QBXML", "QBXMLMsgsRq", "QBXMLMsgsRs", "QBXMLSubscriptionMsgsRq", "QBXMLSubscriptionMsgsRs", "SignonMsgsRq", "SignonMsgsRs"} {
		if t := s.types[n]; t != nil {
			t.msgSet = true
		}
	}
	return s, nil
}

func (s *schema) msgChildren(name string) []string {
	t := s.types[name]
	var out []string
	for _, c := range t.children {
		out = append(out, c.name)
	}
	return out
}

func occurs(n *xnode) (int, int, error) {
	min, max := 1, 1
	if v := n.a("minOccurs"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, err
		}
		min = i
	}
	if v := n.a("maxOccurs"); v != "" {
		if v == "unbounded" {
			max = unbounded
		} else {
			i, err := strconv.Atoi(v)
			if err != nil {
				return 0, 0, err
			}
			max = i
		}
	}
	return min, max, nil
}

// elementDef resolves an element declaration (global, local or ref) into a
// simple type or the name of a complex element type, registering the latter.
func (s *schema) elementDef(n *xnode) (*simple, string, error) {
	if ref := n.a("ref"); ref != "" {
		g := s.elements[ref]
		if g == nil {
			return nil, "", fmt.Errorf("unknown element ref %s", ref)
		}
		return s.elementDef(g)
	}
	name := n.a("name")
	if t := n.a("type"); t != "" {
		if isBaseKind(t) {
			return s.intern(&simple{base: t}), "", nil
		}
		ct := s.complexes[t]
		if ct == nil {
			return nil, "", fmt.Errorf("unknown type %s", t)
		}
		return nil, name, s.register(name, ct)
	}
	if st := n.kid("simpleType"); st != nil {
		smp, err := s.simpleType(st)
		return smp, "", err
	}
	if ct := n.kid("complexType"); ct != nil {
		if sc := ct.kid("simpleContent"); sc != nil {
			ext := sc.kid("extension")
			if ext == nil || !isBaseKind(ext.a("base")) {
				return nil, "", fmt.Errorf("unsupported simpleContent in %s", name)
			}
			smp := &simple{base: ext.a("base")}
			for _, k := range ext.Kids {
				if k.tag() == "attribute" {
					at, err := s.attribute(k)
					if err != nil {
						return nil, "", err
					}
					smp.attrs = append(smp.attrs, at)
				}
			}
			return s.intern(smp), "", nil
		}
		return nil, name, s.register(name, ct)
	}
	return nil, "", fmt.Errorf("element %s has no type", name)
}

func (s *schema) register(name string, src *xnode) error {
	if old, ok := s.typeSrc[name]; ok {
		if old != src {
			s.warnings = append(s.warnings, fmt.Sprintf("element %s declared with two different complex types; keeping the first", name))
		}
		return nil
	}
	s.typeSrc[name] = src
	s.pending = append(s.pending, name)
	return nil
}

func (s *schema) simpleType(st *xnode) (*simple, error) {
	r := st.kid("restriction")
	if r == nil {
		return nil, fmt.Errorf("simpleType without restriction")
	}
	base := r.a("base")
	if !isBaseKind(base) {
		return nil, fmt.Errorf("unsupported simple base %s", base)
	}
	smp := &simple{base: base}
	for _, f := range r.Kids {
		v := f.a("value")
		switch f.tag() {
		case "maxLength":
			i, err := strconv.Atoi(v)
			if err != nil {
				return nil, err
			}
			smp.maxLen = i
		case "enumeration":
			smp.enum = append(smp.enum, v)
		case "minInclusive", "maxInclusive":
			i, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, err
			}
			if f.tag() == "minInclusive" {
				smp.minInc = &i
			} else {
				smp.maxInc = &i
			}
		default:
			return nil, fmt.Errorf("unsupported facet %s", f.tag())
		}
	}
	if len(smp.enum) > 0 && smp.base == "STRTYPE" {
		smp.base = "ENUMTYPE"
	}
	return s.intern(smp), nil
}

func (s *schema) attribute(n *xnode) (*attr, error) {
	at := &attr{name: n.a("name"), required: n.a("use") == "required", def: n.a("default")}
	if t := n.a("type"); t != "" {
		if !isBaseKind(t) {
			return nil, fmt.Errorf("attribute %s: unsupported type %s", at.name, t)
		}
		at.simple = s.intern(&simple{base: t})
	} else if st := n.kid("simpleType"); st != nil {
		smp, err := s.simpleType(st)
		if err != nil {
			return nil, err
		}
		at.simple = smp
	} else {
		at.simple = s.intern(&simple{base: "STRTYPE"})
	}
	return at, nil
}

func (smp *simple) sig() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%q", smp.base, smp.maxLen, smp.enum)
	if smp.minInc != nil {
		fmt.Fprintf(&b, "|min%d", *smp.minInc)
	}
	if smp.maxInc != nil {
		fmt.Fprintf(&b, "|max%d", *smp.maxInc)
	}
	for _, a := range smp.attrs {
		fmt.Fprintf(&b, "|@%s:%v:%s:%s", a.name, a.required, a.simple.sig(), a.def)
	}
	return b.String()
}

// baseFacets records the maxLength of a base kind's declaration.
func (s *schema) baseFacets(st *xnode) error {
	name := st.a("name")
	r := st.kid("restriction")
	if !isBaseKind(name) || r == nil {
		return nil
	}
	for _, f := range r.Kids {
		if f.tag() == "maxLength" {
			i, err := strconv.Atoi(f.a("value"))
			if err != nil {
				return err
			}
			s.baseMaxLen[name] = i
		}
	}
	return nil
}

func (s *schema) intern(smp *simple) *simple {
	if smp.maxLen == 0 {
		smp.maxLen = s.baseMaxLen[smp.base]
	}
	k := smp.sig()
	if old, ok := s.simples[k]; ok {
		return old
	}
	smp.signature = k
	s.simples[k] = smp
	return smp
}

func (s *schema) buildType(name string) error {
	ct := s.typeSrc[name]
	t := &etype{name: name}
	s.types[name] = t
	var content *xnode
	for _, k := range ct.Kids {
		switch k.tag() {
		case "sequence", "choice", "group":
			if content != nil {
				return fmt.Errorf("two content models")
			}
			content = k
		case "attribute":
			at, err := s.attribute(k)
			if err != nil {
				return err
			}
			t.attrs = append(t.attrs, at)
		default:
			return fmt.Errorf("unsupported %s in complexType", k.tag())
		}
	}
	if content == nil {
		t.model = &particle{kind: pSequence, min: 1, max: 1}
		return nil
	}
	p, err := s.particle(t, content)
	if err != nil {
		return err
	}
	t.model = p
	s.flatten(t, p, 1, 1, 0, 0)
	return nil
}

// particle turns a sequence, choice, group ref or element into a particle,
// adding element children to t in schema order.
func (s *schema) particle(t *etype, n *xnode) (*particle, error) {
	min, max, err := occurs(n)
	if err != nil {
		return nil, err
	}
	switch n.tag() {
	case "element":
		smp, cplx, err := s.elementDef(n)
		if err != nil {
			return nil, err
		}
		name := n.a("name")
		if name == "" {
			name = n.a("ref")
		}
		idx := -1
		for i, c := range t.children {
			if c.name == name {
				idx = i
				if c.complex != cplx || (c.simple != smp) {
					c.conflict = true
					s.warnings = append(s.warnings, fmt.Sprintf("%s: child %s declared twice with different types; keeping the first", t.name, name))
				}
			}
		}
		if idx < 0 {
			idx = len(t.children)
			t.children = append(t.children, &child{name: name, simple: smp, complex: cplx, min: min, max: max})
		}
		return &particle{kind: pElement, min: min, max: max, child: idx}, nil
	case "group":
		g := s.groups[n.a("ref")]
		if g == nil {
			return nil, fmt.Errorf("unknown group %s", n.a("ref"))
		}
		if len(g.Kids) != 1 {
			return nil, fmt.Errorf("group %s: want one content particle", n.a("ref"))
		}
		p, err := s.particle(t, g.Kids[0])
		if err != nil {
			return nil, err
		}
		if n.a("minOccurs") != "" || n.a("maxOccurs") != "" {
			if p.min != 1 || p.max != 1 {
				// Wrap so both the reference's and the content's occurrence survive.
				return &particle{kind: pSequence, min: min, max: max, items: []*particle{p}}, nil
			}
			p.min, p.max = min, max
		}
		return p, nil
	case "sequence", "choice":
		p := &particle{kind: pSequence, min: min, max: max}
		if n.tag() == "choice" {
			p.kind = pChoice
		}
		for _, k := range n.Kids {
			if k.tag() == "annotation" {
				continue
			}
			item, err := s.particle(t, k)
			if err != nil {
				return nil, err
			}
			p.items = append(p.items, item)
		}
		return p, nil
	}
	return nil, fmt.Errorf("unsupported particle %s", n.tag())
}

// flatten computes each child's effective occurrence, innermost choice group
// and repeated-choice union.
func (s *schema) flatten(t *etype, p *particle, reqMin, repMax int, choice, un int) {
	effMin := reqMin
	if p.min == 0 {
		effMin = 0
	}
	effMax := repMax
	if p.max == unbounded || repMax == unbounded {
		effMax = unbounded
	} else {
		effMax = repMax * p.max
	}
	switch p.kind {
	case pElement:
		c := t.children[p.child]
		if c.seen() {
			// declared twice (in two choice branches): widen
			c.min = 0
			if effMax == unbounded || c.max == unbounded {
				c.max = unbounded
			} else if effMax > c.max {
				c.max = effMax
			}
			return
		}
		c.min = effMin
		c.max = effMax
		c.choice = choice
		c.union = un
		c.markSeen()
	case pSequence:
		for _, it := range p.items {
			s.flatten(t, it, effMin, effMax, choice, un)
		}
	case pChoice:
		t.choices = append(t.choices, p)
		id := len(t.choices)
		if len(p.items) == 1 {
			s.flatten(t, p.items[0], effMin, effMax, id, un)
			return
		}
		repeated := p.max == unbounded || p.max > 1
		allElems := true
		for _, it := range p.items {
			if it.kind != pElement || it.max != 1 || t.children[it.child].simple != nil {
				allElems = false
			}
		}
		u := un
		if repeated && allElems && un == 0 {
			t.unions = append(t.unions, &union{})
			u = len(t.unions)
			for _, it := range p.items {
				t.unions[u-1].members = append(t.unions[u-1].members, it.child)
			}
		}
		for _, it := range p.items {
			s.flatten(t, it, 0, effMax, id, u)
		}
	}
}

func (c *child) seen() bool { return c.flat }
func (c *child) markSeen()  { c.flat = true }
