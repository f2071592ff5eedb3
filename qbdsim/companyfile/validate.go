package companyfile

import (
	"fmt"
	"slices"
)

// validateContent checks that the children of e match the content model:
// element names, order and occurrences, recursively, and enumerated values.
// QuickBooks rejects a request that breaks its schema as a whole (HRESULT
// 0x80040400), so the processor does the same. qbXML's content models are
// deterministic, so greedy matching is exact.
func validateContent(e *elem, model *particle) error {
	i, err := matchSeq(model, e.Kids, 0)
	if err != nil {
		return fmt.Errorf("in <%s>: %w", e.Name, err)
	}
	if i < len(e.Kids) {
		return fmt.Errorf("in <%s>: unexpected element <%s>", e.Name, e.Kids[i].Name)
	}
	return nil
}

// matchParticle matches p as many times as it may occur, starting at kids[i],
// and returns the index after the last matched child.
func matchParticle(p *particle, kids []*elem, i int) (int, error) {
	occ := 0
	for p.Max < 0 || occ < int(p.Max) {
		var next int
		var err error
		switch p.Kind {
		case "e":
			if i >= len(kids) || kids[i].Name != p.Name {
				next = i
				break
			}
			if err := checkElement(p, kids[i]); err != nil {
				return i, err
			}
			next = i + 1
		case "s":
			next, err = matchSeq(p, kids, i)
		case "c":
			next, err = matchChoice(p, kids, i)
		}
		if err != nil {
			if occ >= int(p.Min) && p.Kind != "e" {
				// An optional repetition that does not fit: stop here and let
				// the caller report what follows.
				return i, nil
			}
			return i, err
		}
		if next == i {
			break
		}
		i = next
		occ++
	}
	if occ < int(p.Min) && !canBeEmpty(p) {
		if i < len(kids) {
			return i, fmt.Errorf("expected <%s>, found <%s>", firstName(p), kids[i].Name)
		}
		return i, fmt.Errorf("missing required element <%s>", firstName(p))
	}
	return i, nil
}

func matchSeq(p *particle, kids []*elem, i int) (int, error) {
	for k := range p.Kids {
		var err error
		i, err = matchParticle(&p.Kids[k], kids, i)
		if err != nil {
			return i, err
		}
	}
	return i, nil
}

func matchChoice(p *particle, kids []*elem, i int) (int, error) {
	var firstErr error
	for k := range p.Kids {
		next, err := matchParticle(&p.Kids[k], kids, i)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if next > i {
			return next, nil
		}
	}
	if firstErr != nil && !canBeEmpty(p) {
		return i, firstErr
	}
	return i, nil
}

// canBeEmpty says whether p matches zero children.
func canBeEmpty(p *particle) bool {
	if p.Min == 0 {
		return true
	}
	switch p.Kind {
	case "s":
		for k := range p.Kids {
			if !canBeEmpty(&p.Kids[k]) {
				return false
			}
		}
		return true
	case "c":
		for k := range p.Kids {
			if canBeEmpty(&p.Kids[k]) {
				return true
			}
		}
		return false
	}
	return false
}

func firstName(p *particle) string {
	if p.Kind == "e" {
		return p.Name
	}
	for k := range p.Kids {
		if n := firstName(&p.Kids[k]); n != "" {
			return n
		}
	}
	return ""
}

func checkElement(p *particle, e *elem) error {
	if p.Type >= 0 {
		if e.Text != "" && len(e.Kids) == 0 && !canBeEmpty(&schemaTypes[p.Type]) {
			return fmt.Errorf("<%s> must contain elements, not text", e.Name)
		}
		return validateContent(e, &schemaTypes[p.Type])
	}
	if len(e.Kids) > 0 {
		return fmt.Errorf("<%s> must not contain elements", e.Name)
	}
	if p.Simple >= 0 {
		st := &schemaSimples[p.Simple]
		if len(st.Enums) > 0 && !slices.Contains(st.Enums, e.Text) {
			return fmt.Errorf("<%s> has the value %q, which is not one of %v", e.Name, e.Text, st.Enums)
		}
	}
	return nil
}
