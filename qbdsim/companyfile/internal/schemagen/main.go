// Command schemagen writes the compact content models of qbXML 13.0 that the
// company file's request processor walks to build schema-ordered responses.
// It reads Intuit's schema from ../shared/reference/qbxml at generate time
// only; the schema itself never enters the repository.
//
//	go generate ./qbdsim/companyfile
package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type node struct {
	name  string
	attrs map[string]string
	kids  []*node
}

func (n *node) attr(k string) string { return n.attrs[k] }

func parseFile(path string) (*node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := &node{name: "#root"}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	return root, nil
}

type simple struct {
	Base   string
	MaxLen int
	Enums  []string
}

func (s simple) key() string {
	return fmt.Sprintf("%s|%d|%s", s.Base, s.MaxLen, strings.Join(s.Enums, "\x00"))
}

type particle struct {
	Kind     byte // 'e', 's', 'c'
	Name     string
	Min, Max int
	Type     int // complex type index or -1
	Simple   int // simple index or -1
	Kids     []particle
}

type gen struct {
	elements     map[string]*node // global elements
	complexTypes map[string]*node
	simpleTypes  map[string]*node
	groups       map[string]*node

	types      []particle // index -> root particle
	typeByKey  map[*node]int
	simples    []simple
	simpleByK  map[string]int
	globalType map[string]int // element or message name -> complex type index
	globalSimp map[string]int
}

func occurs(n *node) (int, int) {
	min, max := 1, 1
	if v := n.attr("minOccurs"); v != "" {
		min, _ = strconv.Atoi(v)
	}
	if v := n.attr("maxOccurs"); v != "" {
		if v == "unbounded" {
			max = -1
		} else {
			max, _ = strconv.Atoi(v)
		}
	}
	return min, max
}

func (g *gen) simpleIndex(s simple) int {
	k := s.key()
	if i, ok := g.simpleByK[k]; ok {
		return i
	}
	g.simples = append(g.simples, s)
	g.simpleByK[k] = len(g.simples) - 1
	return len(g.simples) - 1
}

// resolveSimpleNamed resolves a named type (qbXML or xsd builtin) to a simple.
func (g *gen) resolveSimpleNamed(name string) simple {
	if strings.HasPrefix(name, "xsd:") {
		return simple{Base: strings.TrimPrefix(name, "xsd:")}
	}
	st, ok := g.simpleTypes[name]
	if !ok {
		return simple{Base: name}
	}
	// The qbXML base types (names ending in TYPE) are the bases we keep.
	if strings.HasSuffix(name, "TYPE") {
		s := g.resolveSimpleNode(st)
		s.Base = name
		return s
	}
	return g.resolveSimpleNode(st)
}

func (g *gen) resolveSimpleNode(st *node) simple {
	for _, k := range st.kids {
		switch k.name {
		case "restriction":
			s := g.resolveSimpleNamed(k.attr("base"))
			for _, f := range k.kids {
				switch f.name {
				case "maxLength":
					s.MaxLen, _ = strconv.Atoi(f.attr("value"))
				case "enumeration":
					s.Enums = append(s.Enums, f.attr("value"))
				}
			}
			return s
		case "union":
			return simple{Base: "union"}
		}
	}
	return simple{Base: "string"}
}

// complexIndex returns the type index of a complexType node (named or inline).
func (g *gen) complexIndex(ct *node) int {
	if i, ok := g.typeByKey[ct]; ok {
		return i
	}
	g.types = append(g.types, particle{})
	i := len(g.types) - 1
	g.typeByKey[ct] = i
	root := particle{Kind: 's', Min: 1, Max: 1, Type: -1, Simple: -1}
	for _, k := range ct.kids {
		switch k.name {
		case "sequence", "choice", "group":
			root.Kids = append(root.Kids, g.particle(k))
		}
	}
	g.types[i] = root
	return i
}

func (g *gen) particle(n *node) particle {
	min, max := occurs(n)
	switch n.name {
	case "sequence", "choice":
		p := particle{Kind: n.name[0], Min: min, Max: max, Type: -1, Simple: -1}
		for _, k := range n.kids {
			switch k.name {
			case "sequence", "choice", "group", "element":
				p.Kids = append(p.Kids, g.particle(k))
			}
		}
		return p
	case "group":
		grp, ok := g.groups[n.attr("ref")]
		if !ok {
			log.Fatalf("unknown group %q", n.attr("ref"))
		}
		p := particle{Kind: 's', Min: min, Max: max, Type: -1, Simple: -1}
		for _, k := range grp.kids {
			switch k.name {
			case "sequence", "choice", "group":
				p.Kids = append(p.Kids, g.particle(k))
			}
		}
		return p
	case "element":
		p := particle{Kind: 'e', Min: min, Max: max, Type: -1, Simple: -1}
		if ref := n.attr("ref"); ref != "" {
			ge, ok := g.elements[ref]
			if !ok {
				log.Fatalf("unknown element %q", ref)
			}
			p.Name = ref
			p.Type, p.Simple = g.elementType(ge)
			return p
		}
		p.Name = n.attr("name")
		p.Type, p.Simple = g.elementType(n)
		return p
	}
	log.Fatalf("unexpected %s", n.name)
	return particle{}
}

// elementType resolves an element declaration to (complex, simple) indexes.
func (g *gen) elementType(n *node) (int, int) {
	if t := n.attr("type"); t != "" {
		if ct, ok := g.complexTypes[t]; ok {
			return g.complexIndex(ct), -1
		}
		return -1, g.simpleIndex(g.resolveSimpleNamed(t))
	}
	for _, k := range n.kids {
		switch k.name {
		case "complexType":
			for _, kk := range k.kids {
				if kk.name == "simpleContent" {
					for _, ext := range kk.kids {
						if ext.name == "extension" || ext.name == "restriction" {
							return -1, g.simpleIndex(g.resolveSimpleNamed(ext.attr("base")))
						}
					}
				}
			}
			return g.complexIndex(k), -1
		case "simpleType":
			return -1, g.simpleIndex(g.resolveSimpleNode(k))
		}
	}
	return -1, g.simpleIndex(simple{Base: "string"})
}

func findShared() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, "..", "shared", "reference", "qbxml")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("qbXML schema not found at %s: %w", p, err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod) not found")
		}
		dir = parent
	}
}

func main() {
	out := flag.String("o", "schema_gen.go", "output file")
	flag.Parse()
	dir, err := findShared()
	if err != nil {
		log.Fatal(err)
	}
	g := &gen{
		elements: map[string]*node{}, complexTypes: map[string]*node{}, simpleTypes: map[string]*node{}, groups: map[string]*node{},
		typeByKey: map[*node]int{}, simpleByK: map[string]int{}, globalType: map[string]int{}, globalSimp: map[string]int{},
	}
	for _, f := range []string{"qbxmltypes130.xsd", "qbxmlso130.xsd", "qbxml130.xsd", "qbxmlops130.xsd"} {
		root, err := parseFile(filepath.Join(dir, f))
		if err != nil {
			log.Fatal(err)
		}
		for _, sch := range root.kids {
			for _, n := range sch.kids {
				name := n.attr("name")
				switch n.name {
				case "element":
					g.elements[name] = n
				case "complexType":
					g.complexTypes[name] = n
				case "simpleType":
					g.simpleTypes[name] = n
				case "group":
					g.groups[name] = n
				}
			}
		}
	}
	names := make([]string, 0, len(g.elements))
	for name := range g.elements {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c, s := g.elementType(g.elements[name])
		if c >= 0 {
			g.globalType[name] = c
		} else {
			g.globalSimp[name] = s
		}
	}
	// Messages are local elements of QBXMLMsgsRq/Rs with named types.
	for _, env := range []string{"QBXMLMsgsRq", "QBXMLMsgsRs"} {
		var walk func(n *node)
		walk = func(n *node) {
			for _, k := range n.kids {
				if k.name == "element" && k.attr("name") != "" && k.attr("type") != "" {
					if ct, ok := g.complexTypes[k.attr("type")]; ok {
						g.globalType[k.attr("name")] = g.complexIndex(ct)
					}
				}
				walk(k)
			}
		}
		walk(g.elements[env])
	}

	var b bytes.Buffer
	b.WriteString("// Code generated by internal/schemagen from Intuit's qbXML 13.0 schema; DO NOT EDIT.\n\npackage companyfile\n\n")
	b.WriteString("var schemaSimples = [...]simpleType{\n")
	for _, s := range g.simples {
		fmt.Fprintf(&b, "{%q, %d, %s},\n", s.Base, s.MaxLen, strSlice(s.Enums))
	}
	b.WriteString("}\n\nvar schemaTypes = [...]particle{\n")
	for _, t := range g.types {
		writeParticle(&b, t)
		b.WriteString(",\n")
	}
	b.WriteString("}\n\nvar schemaElements = map[string]int32{\n")
	keys := sortedKeys(g.globalType)
	for _, k := range keys {
		fmt.Fprintf(&b, "%q: %d,\n", k, g.globalType[k])
	}
	b.WriteString("}\n\nvar schemaSimpleElements = map[string]int32{\n")
	for _, k := range sortedKeys(g.globalSimp) {
		fmt.Fprintf(&b, "%q: %d,\n", k, g.globalSimp[k])
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("format: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func strSlice(s []string) string {
	if len(s) == 0 {
		return "nil"
	}
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func writeParticle(b *bytes.Buffer, p particle) {
	fmt.Fprintf(b, "{%q, %q, %d, %d, %d, %d, ", string(p.Kind), p.Name, p.Min, p.Max, p.Type, p.Simple)
	if len(p.Kids) == 0 {
		b.WriteString("nil}")
		return
	}
	b.WriteString("[]particle{")
	for _, k := range p.Kids {
		writeParticle(b, k)
		b.WriteString(", ")
	}
	b.WriteString("}}")
}
