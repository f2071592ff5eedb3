package qbxml

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ProblemKind classifies a Problem, so that a program can treat a broken
// document structure apart from a value QuickBooks would refuse with a
// status code of its own.
type ProblemKind uint8

// The kinds of problems Validate reports.
const (
	// ProblemStructure is an unknown element or attribute, an element out
	// of order, too many or too few occurrences, a missing required
	// element or attribute, a broken choice, or text where elements
	// belong (or elements where text belongs).
	ProblemStructure ProblemKind = iota + 1
	// ProblemCharacter is text that is not valid UTF-8 or holds a
	// character XML cannot carry.
	ProblemCharacter
	// ProblemEnum is a value outside its enumeration.
	ProblemEnum
	// ProblemLength is a value longer than its maximum length.
	ProblemLength
	// ProblemFormat is a value that is not in the lexical form of its
	// kind (amount, date, boolean, integer, GUID, ...) or out of its range.
	ProblemFormat
)

// Problem is one schema violation found by Validate.
type Problem struct {
	// Path locates the element, e.g.
	// "QBXML/QBXMLMsgsRq/InvoiceAddRq[2]/InvoiceAdd/RefNumber".
	Path string
	// Message says what is wrong and the limit that applies.
	Message string
	// Kind classifies the problem.
	Kind ProblemKind
}

// String returns "path: message".
func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem of a document.
type ValidationError struct {
	Problems []Problem
}

// Error lists every problem on one line.
func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "qbxml: invalid request: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "qbxml: invalid request: %d problems: ", len(e.Problems))
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Validate checks n and its descendants against the schema: known
// elements and attributes, element order, occurrences, required elements
// and attributes, choices, enumerations, maximum lengths and the lexical
// form of each kind of value. n may be the QBXML root or any complex
// element that Lookup knows. It returns nil or a *ValidationError.
func Validate(n *Node) error {
	v := &validator{}
	t := Lookup(n.Name)
	if t == nil {
		v.add(n.Name, "unknown element")
	} else {
		v.element(n, t, n.Name)
	}
	if len(v.problems) > 0 {
		return &ValidationError{Problems: v.problems}
	}
	return nil
}

// Problems returns the problems Validate finds, or nil.
func Problems(n *Node) []Problem {
	err := Validate(n)
	if ve, ok := err.(*ValidationError); ok {
		return ve.Problems
	}
	return nil
}

type validator struct {
	problems []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.addKind(ProblemStructure, path, format, args...)
}

func (v *validator) addKind(kind ProblemKind, path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...), Kind: kind})
}

func (v *validator) element(n *Node, t *ElementType, path string) {
	for _, a := range n.Attrs {
		at := t.Attr(a.Name)
		if at == nil {
			v.add(path, "unknown attribute %s", a.Name)
			continue
		}
		if kind, msg := checkValue(a.Value, at.Type); msg != "" {
			v.addKind(kind, path+"/@"+a.Name, "%s", msg)
		}
	}
	for _, at := range t.Attrs {
		if at.Required {
			if _, ok := n.Attr(at.Name); !ok {
				v.add(path, "missing required attribute %s", at.Name)
			}
		}
	}
	if n.Text != "" && strings.TrimSpace(n.Text) != "" {
		v.add(path, "%s has no text content", t.Name)
	}
	counts := make([]int, len(t.Children))
	lastRank, lastName := -1, ""
	seen := map[string]int{}
	for _, c := range n.Children {
		seen[c.Name]++
		cpath := path + "/" + c.Name
		if seen[c.Name] > 1 {
			cpath = fmt.Sprintf("%s[%d]", cpath, seen[c.Name])
		}
		idx := t.ChildIndex(c.Name)
		if idx < 0 {
			v.add(cpath, "%s is not a child of %s", c.Name, t.Name)
			continue
		}
		ch := &t.Children[idx]
		counts[idx]++
		rank := childRank(t, idx)
		if rank < lastRank {
			v.add(cpath, "%s must come before %s in %s", c.Name, lastName, t.Name)
		}
		if rank > lastRank {
			lastRank, lastName = rank, c.Name
		}
		if ch.Max != Unbounded && counts[idx] == ch.Max+1 {
			v.add(cpath, "%s may occur at most %d time(s) in %s", c.Name, ch.Max, t.Name)
		}
		if ch.Simple != nil {
			if len(c.Children) > 0 {
				v.add(cpath, "%s holds a value, not elements", c.Name)
			}
			for _, a := range c.Attrs {
				var at *Attr
				for i := range ch.Simple.Attrs {
					if ch.Simple.Attrs[i].Name == a.Name {
						at = &ch.Simple.Attrs[i]
					}
				}
				if at == nil {
					v.add(cpath, "unknown attribute %s", a.Name)
				}
			}
			if kind, msg := checkValue(c.Text, ch.Simple); msg != "" {
				v.addKind(kind, cpath, "%s", msg)
			}
			continue
		}
		v.element(c, ch.Type(), cpath)
	}
	v.model(&t.Model, t, counts, path, true)
}

// childRank orders children for the order check: members of a repeated
// choice share a rank because they may interleave.
func childRank(t *ElementType, idx int) int {
	r := t.Children[idx].Repeated
	if r == 0 {
		return idx
	}
	for i := range t.Children {
		if t.Children[i].Repeated == r {
			return i
		}
	}
	return idx
}

// present reports whether any element of p occurs.
func present(p *Particle, counts []int) bool {
	if p.Kind == ElementParticle {
		return counts[p.Child] > 0
	}
	for i := range p.Items {
		if present(&p.Items[i], counts) {
			return true
		}
	}
	return false
}

func names(p *Particle, t *ElementType) string {
	if p.Kind == ElementParticle {
		return t.Children[p.Child].Name
	}
	var parts []string
	for i := range p.Items {
		parts = append(parts, names(&p.Items[i], t))
	}
	sep := ", "
	if p.Kind == ChoiceParticle {
		sep = " | "
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// model checks required elements and choices; required says whether the
// particle must be satisfied (its parent is required or present).
func (v *validator) model(p *Particle, t *ElementType, counts []int, path string, required bool) {
	need := required && p.Min > 0
	switch p.Kind {
	case ElementParticle:
		if need && counts[p.Child] < p.Min {
			v.add(path, "missing required element %s in %s", t.Children[p.Child].Name, t.Name)
		}
	case SequenceParticle:
		if !need && !present(p, counts) {
			return
		}
		for i := range p.Items {
			v.model(&p.Items[i], t, counts, path, true)
		}
	case ChoiceParticle:
		var got []int
		for i := range p.Items {
			if present(&p.Items[i], counts) {
				got = append(got, i)
			}
		}
		switch {
		case len(got) == 0:
			if need {
				v.add(path, "%s needs one of %s", t.Name, names(p, t))
			}
		case len(got) > 1 && (p.Max == 1):
			var alts []string
			for _, i := range got {
				alts = append(alts, names(&p.Items[i], t))
			}
			v.add(path, "%s takes only one of %s; got %s", t.Name, names(p, t), strings.Join(alts, " and "))
		default:
			for _, i := range got {
				v.model(&p.Items[i], t, counts, path, true)
			}
		}
	}
}

// checkValue returns "" when s is a valid value of st, else the kind of
// problem and a message.
func checkValue(s string, st *SimpleType) (ProblemKind, string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return ProblemCharacter, "value is not valid UTF-8"
		}
		if !isXMLChar(r) {
			return ProblemCharacter, fmt.Sprintf("value contains the character U+%04X, which XML cannot carry", r)
		}
		i += n
	}
	if st.MaxLength > 0 {
		if n := utf8.RuneCountInString(s); n > st.MaxLength {
			return ProblemLength, fmt.Sprintf("%q is %d characters long; the maximum length is %d", short(s), n, st.MaxLength)
		}
	}
	if len(st.Enum) > 0 {
		for _, e := range st.Enum {
			if s == e {
				return 0, ""
			}
		}
		return ProblemEnum, fmt.Sprintf("%q is not one of %s", short(s), strings.Join(st.Enum, ", "))
	}
	ok := true
	switch st.Kind {
	case KindBool:
		ok = s == "" || s == "true" || s == "false" || s == "1" || s == "0"
	case KindDate:
		ok = s == "" || validDate(s)
	case KindDateTime:
		ok = s == "" || validDateTime(s)
	case KindAmount:
		ok = validDecimal(s, 13, 2, true)
	case KindPrice, KindQuantity, KindPercent:
		ok = validDecimal(s, 10, 5, false)
	case KindFloat:
		ok = s == "" || validFloat(s)
	case KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return ProblemFormat, fmt.Sprintf("%q is not an integer", short(s))
		}
		if st.HasMin && n < st.MinInclusive {
			return ProblemFormat, fmt.Sprintf("%d is less than the minimum %d", n, st.MinInclusive)
		}
		if st.HasMax && n > st.MaxInclusive {
			return ProblemFormat, fmt.Sprintf("%d is more than the maximum %d", n, st.MaxInclusive)
		}
	case KindGUID:
		ok = s == "0" || validGUID(s)
	case KindTimeInterval:
		ok = s == "" || validInterval(s)
	}
	if !ok {
		return ProblemFormat, fmt.Sprintf("%q is not a valid %s", short(s), st.Kind)
	}
	return 0, ""
}

func short(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		return string(r[:57]) + "..."
	}
	return s
}

func digits(s string, min, max int) (rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[i:], i >= min && i <= max
}

func validDate(s string) bool {
	rest, ok := digits(s, 4, 4)
	if !ok || len(rest) == 0 || rest[0] != '-' {
		return false
	}
	rest, ok = digits(rest[1:], 2, 2)
	if !ok || len(rest) == 0 || rest[0] != '-' {
		return false
	}
	rest, ok = digits(rest[1:], 2, 2)
	if !ok {
		return false
	}
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	// xsd:date allows a time zone suffix
	return rest == "" || rest == "Z" || validZone(rest)
}

func validZone(s string) bool {
	if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return false
	}
	_, ok1 := digits(s[1:3], 2, 2)
	_, ok2 := digits(s[4:], 2, 2)
	return ok1 && ok2
}

// validDateTime follows the DATETIMETYPE pattern
// YYYY-M[M]-D[D][THH[:MM[:SS[±HH:MM]]]].
func validDateTime(s string) bool {
	rest, ok := digits(s, 4, 4)
	if !ok || rest == "" || rest[0] != '-' {
		return false
	}
	if rest, ok = digits(rest[1:], 1, 2); !ok || rest == "" || rest[0] != '-' {
		return false
	}
	if rest, ok = digits(rest[1:], 1, 2); !ok {
		return false
	}
	if rest == "" {
		return true
	}
	if rest[0] != 'T' {
		return false
	}
	for i, sep := range []byte{0, ':', ':'} {
		if i > 0 {
			if rest == "" {
				return true
			}
			if rest[0] != sep {
				return i == 2 && validOffset(rest)
			}
			rest = rest[1:]
		} else {
			rest = rest[1:]
		}
		if rest, ok = digits(rest, 1, 2); !ok {
			return false
		}
	}
	return rest == "" || validOffset(rest)
}

func validOffset(s string) bool {
	if s == "" || (s[0] != '+' && s[0] != '-') {
		return false
	}
	rest, ok := digits(s[1:], 1, 2)
	if !ok || rest == "" || rest[0] != ':' {
		return false
	}
	rest, ok = digits(rest[1:], 1, 2)
	return ok && rest == ""
}

// validDecimal checks [+-]?d{1,intMax}(.d{1,fracMax})? (exactly 2 decimals
// for amounts); the empty string is allowed.
func validDecimal(s string, intMax, fracMax int, exactFrac bool) bool {
	if s == "" {
		return true
	}
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	rest, ok := digits(s, 1, intMax)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	if rest[0] != '.' {
		return false
	}
	min := 1
	if exactFrac {
		min = fracMax
	}
	rest, ok = digits(rest[1:], min, fracMax)
	return ok && rest == ""
}

func validFloat(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	i, dot, n := 0, false, 0
	for ; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			n++
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return n > 0
}

func validGUID(s string) bool {
	if len(s) != 38 || s[0] != '{' || s[37] != '}' {
		return false
	}
	for i := 1; i < 37; i++ {
		c := s[i]
		if i == 9 || i == 14 || i == 19 || i == 24 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func validInterval(s string) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if !strings.HasPrefix(s, "PT") {
		return false
	}
	s = s[2:]
	if s == "" {
		return false
	}
	for _, unit := range []byte{'H', 'M', 'S'} {
		rest, ok := digits(s, 1, 20)
		if ok && rest != "" && rest[0] == unit {
			s = rest[1:]
		}
	}
	return s == ""
}
