package qbxml

import "sort"

//go:generate go run ./internal/gen -schema ../../shared/reference/qbxml -out .

// Kind is the base simple type of a qbXML value, one of the types declared
// in qbxmltypes130.xsd.
type Kind uint8

// The base kinds of qbXML simple values.
const (
	KindString       Kind = iota + 1 // STRTYPE: text
	KindID                           // IDTYPE: ListID, TxnID (at most 36 characters)
	KindEnum                         // ENUMTYPE or an enumerated STRTYPE
	KindBool                         // BOOLTYPE: true, false or empty
	KindDate                         // DATETYPE: YYYY-MM-DD or empty
	KindDateTime                     // DATETIMETYPE: YYYY-MM-DD[THH[:MM[:SS[±HH:MM]]]] or empty
	KindTimeInterval                 // TIMEINTERVALTYPE: PTnHnMnS or empty
	KindAmount                       // AMTTYPE: up to 13 digits, optional 2 decimals
	KindPrice                        // PRICETYPE: up to 10 digits, up to 5 decimals
	KindQuantity                     // QUANTYPE: up to 10 digits, up to 5 decimals
	KindPercent                      // PERCENTTYPE: up to 10 digits, up to 5 decimals
	KindInt                          // INTTYPE: an integer
	KindFloat                        // FLOATTYPE: a decimal or empty
	KindGUID                         // GUIDTYPE: 0 or {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}
	KindUUID                         // UUIDTYPE: text
	KindMacro                        // MACROTYPE: a macro name for useMacro/defMacro
)

var kindNames = [...]string{
	KindString: "STRTYPE", KindID: "IDTYPE", KindEnum: "ENUMTYPE", KindBool: "BOOLTYPE",
	KindDate: "DATETYPE", KindDateTime: "DATETIMETYPE", KindTimeInterval: "TIMEINTERVALTYPE",
	KindAmount: "AMTTYPE", KindPrice: "PRICETYPE", KindQuantity: "QUANTYPE", KindPercent: "PERCENTTYPE",
	KindInt: "INTTYPE", KindFloat: "FLOATTYPE", KindGUID: "GUIDTYPE", KindUUID: "UUIDTYPE", KindMacro: "MACROTYPE",
}

// String returns the schema name of the kind, e.g. "AMTTYPE".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(?)"
}

// Unbounded is the Max of a child or particle that may repeat without limit.
const Unbounded = -1

// SimpleType describes the text content of a simple element or attribute.
type SimpleType struct {
	// Kind is the base kind.
	Kind Kind
	// MaxLength is the maximum number of characters, 0 when unlimited.
	MaxLength int
	// Enum lists the allowed values; empty when any value of Kind is allowed.
	Enum []string
	// HasMin and MinInclusive give the smallest allowed integer.
	HasMin       bool
	MinInclusive int64
	// HasMax and MaxInclusive give the largest allowed integer.
	HasMax       bool
	MaxInclusive int64
	// Attrs are the attributes of an element with simple content (useMacro).
	Attrs []Attr
}

// Attr describes an attribute of an element.
type Attr struct {
	// Name is the attribute name, e.g. "requestID".
	Name string
	// Required reports whether the schema requires the attribute.
	Required bool
	// Type is the attribute's value type.
	Type *SimpleType
	// Default is the schema default, empty when none.
	Default string
}

// Child describes one child element of a complex element, in schema order.
type Child struct {
	// Name is the element name.
	Name string
	// Min is the effective minimum number of occurrences: 0 when the child
	// is optional itself or sits in an optional group or choice.
	Min int
	// Max is the effective maximum number of occurrences, or Unbounded.
	Max int
	// Simple is the value type of a simple child; nil for a complex child.
	Simple *SimpleType
	// Choice is the 1-based number of the innermost choice group the child
	// belongs to (numbered in schema order), 0 when it is in no choice.
	Choice int
	// Repeated is the 1-based number of the repeated choice (for example
	// InvoiceLineRet | InvoiceLineGroupRet) whose members may interleave,
	// 0 when none.
	Repeated int

	typ int32 // 1-based index into elementTypes for a complex child
}

// Type returns the element type of a complex child, or nil for a simple one.
func (c *Child) Type() *ElementType {
	if c.typ == 0 {
		return nil
	}
	return elementTypes[c.typ-1]
}

// IsSimple reports whether the child has text content.
func (c *Child) IsSimple() bool { return c.Simple != nil }

// ParticleKind tells what a Particle of a content model is.
type ParticleKind uint8

// The kinds of particles.
const (
	ElementParticle ParticleKind = iota + 1
	SequenceParticle
	ChoiceParticle
)

// Particle is a node of an element's content model as the schema declares
// it: a sequence or choice of particles, or one child element.
type Particle struct {
	Kind ParticleKind
	// Min and Max are the particle's occurrence bounds (Max may be Unbounded).
	Min, Max int
	// Child is the index in ElementType.Children of an ElementParticle.
	Child int
	// Items are the particles of a sequence or choice.
	Items []Particle
}

// ElementType describes a complex qbXML element: its attributes, its
// children in schema order and its content model.
type ElementType struct {
	// Name is the element name, e.g. "InvoiceAdd" or "InvoiceQueryRq".
	Name string
	// Children lists every child element once, in schema order.
	Children []Child
	// Attrs lists the element's attributes.
	Attrs []Attr
	// Model is the content model, with groups expanded.
	Model Particle
}

// Child returns the child named name, or nil.
func (t *ElementType) Child(name string) *Child {
	for i := range t.Children {
		if t.Children[i].Name == name {
			return &t.Children[i]
		}
	}
	return nil
}

// ChildIndex returns the index of the child named name in Children, or -1.
func (t *ElementType) ChildIndex(name string) int {
	for i := range t.Children {
		if t.Children[i].Name == name {
			return i
		}
	}
	return -1
}

// Attr returns the attribute named name, or nil.
func (t *ElementType) Attr(name string) *Attr {
	for i := range t.Attrs {
		if t.Attrs[i].Name == name {
			return &t.Attrs[i]
		}
	}
	return nil
}

// Lookup returns the complex element type named name, for request and
// response elements ("InvoiceAddRq", "InvoiceQueryRs"), the message sets
// ("QBXMLMsgsRq") and every global complex element ("InvoiceAdd",
// "InvoiceRet", "InvoiceLineRet", "CustomerRef"). It returns nil when the
// schema has no complex element of that name.
func Lookup(name string) *ElementType {
	i := sort.Search(len(elementTypes), func(i int) bool { return elementTypes[i].Name >= name })
	if i < len(elementTypes) && elementTypes[i].Name == name {
		return elementTypes[i]
	}
	return nil
}

// LookupSimple returns the type of a global simple element such as
// "TxnID" or "MaxReturned", or nil. Local declarations can differ (a
// RefNumber's maximum length depends on its parent): prefer Child.Simple.
func LookupSimple(name string) *SimpleType {
	i := sort.Search(len(globalSimples), func(i int) bool { return globalSimples[i].name >= name })
	if i < len(globalSimples) && globalSimples[i].name == name {
		return globalSimples[i].typ
	}
	return nil
}

type namedSimple struct {
	name string
	typ  *SimpleType
}

// ElementTypes returns every complex element type, sorted by name.
func ElementTypes() []*ElementType {
	out := make([]*ElementType, len(elementTypes))
	copy(out, elementTypes[:])
	return out
}

// RequestNames returns the names of the requests of QBXMLMsgsRq (231 in
// qbXML 13.0) in schema order.
func RequestNames() []string { return append([]string(nil), requestNames[:]...) }

// ResponseNames returns the names of the responses of QBXMLMsgsRs in schema order.
func ResponseNames() []string { return append([]string(nil), responseNames[:]...) }

// SubscriptionRequestNames returns the requests of QBXMLSubscriptionMsgsRq.
func SubscriptionRequestNames() []string {
	return append([]string(nil), subscriptionRequestNames[:]...)
}

// SubscriptionResponseNames returns the responses of QBXMLSubscriptionMsgsRs.
func SubscriptionResponseNames() []string {
	return append([]string(nil), subscriptionResponseNames[:]...)
}

// ResponseName returns the response element for a request element
// ("InvoiceAddRq" gives "InvoiceAddRs"), or "" when the name is not a request.
func ResponseName(request string) string {
	if len(request) < 3 || request[len(request)-2:] != "Rq" {
		return ""
	}
	rs := request[:len(request)-2] + "Rs"
	if Lookup(rs) == nil {
		return ""
	}
	return rs
}
