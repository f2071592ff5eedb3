package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// notInConformanceYet lists the store methods the conformance suite
// (storetest, run on SQLite and PostgreSQL) does not call yet. Every other
// method is pinned on both databases, and a new method comes with its
// scenario.
var notInConformanceYet = []string{}

// TestConformanceSuiteCallsEveryStoreMethod compares the exported methods
// of the store's types with the method names storetest calls. It matches
// by name, so a name shared by two types counts for both: it catches a
// method nobody tests, not a scenario that tests too little.
func TestConformanceSuiteCallsEveryStoreMethod(t *testing.T) {
	fset := token.NewFileSet()
	methods := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || !fn.Name.IsExported() {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			id, ok := typ.(*ast.Ident)
			if !ok || id.Name == "DB" { // the handle itself: Close, SQLDB, Ping
				continue
			}
			methods[id.Name+"."+fn.Name.Name] = true
		}
	}
	called := map[string]bool{}
	suite, _ := filepath.Glob(filepath.Join("storetest", "*.go"))
	for _, f := range suite {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				called[sel.Sel.Name] = true
			}
			return true
		})
	}
	var missing, stale []string
	for m := range methods {
		name := m[strings.Index(m, ".")+1:]
		listed := slices.Contains(notInConformanceYet, m)
		switch {
		case !called[name] && !listed:
			missing = append(missing, m)
		case called[name] && listed:
			stale = append(stale, m)
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	if len(missing) > 0 {
		t.Errorf("store methods no conformance scenario calls: %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("covered now, remove from notInConformanceYet: %v", stale)
	}
	if len(methods) < 50 {
		t.Fatalf("found only %d store methods; is the parser looking in the right place?", len(methods))
	}
}
