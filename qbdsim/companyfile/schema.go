package companyfile

//go:generate go run ./internal/schemagen -o schema_gen.go

// particle is one node of a qbXML content model: an element, a sequence or a
// choice, with its occurrence bounds. Elements point at a complex type
// (schemaTypes) or a simple type (schemaSimples).
type particle struct {
	Kind     string // "e" element, "s" sequence, "c" choice
	Name     string
	Min, Max int32 // Max -1 is unbounded
	Type     int32 // index in schemaTypes, -1 for simple elements
	Simple   int32 // index in schemaSimples, -1 for complex elements
	Kids     []particle
}

// simpleType is a simple content type: its qbXML base (AMTTYPE, STRTYPE,
// BOOLTYPE, ...), maximum length and enumeration.
type simpleType struct {
	Base   string
	MaxLen int
	Enums  []string
}

// contentModel returns the content model of a global element or message
// (e.g. "CustomerRet", "CustomerQueryRq").
func contentModel(name string) (*particle, bool) {
	i, ok := schemaElements[name]
	if !ok {
		return nil, false
	}
	return &schemaTypes[i], true
}

// elemInfo is what the schema says about one element in one context.
type elemInfo struct {
	p      *particle
	simple *simpleType
	model  *particle // complex content model, nil for simple elements
}

// lookupChild finds the element particle named name anywhere in model
// (through nested sequences and choices).
func lookupChild(model *particle, name string) (elemInfo, bool) {
	if model == nil {
		return elemInfo{}, false
	}
	for i := range model.Kids {
		k := &model.Kids[i]
		if k.Kind == "e" {
			if k.Name == name {
				return infoOf(k), true
			}
			continue
		}
		if e, ok := lookupChild(k, name); ok {
			return e, true
		}
	}
	return elemInfo{}, false
}

func infoOf(p *particle) elemInfo {
	e := elemInfo{p: p}
	if p.Type >= 0 {
		e.model = &schemaTypes[p.Type]
	}
	if p.Simple >= 0 {
		e.simple = &schemaSimples[p.Simple]
	}
	return e
}

// elementNames lists the element names of a content model in schema order.
func elementNames(model *particle) []string {
	var names []string
	var walk func(p *particle)
	walk = func(p *particle) {
		for i := range p.Kids {
			k := &p.Kids[i]
			if k.Kind == "e" {
				names = append(names, k.Name)
			} else {
				walk(k)
			}
		}
	}
	walk(model)
	return names
}
