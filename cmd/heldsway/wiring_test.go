package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestWiringOnly keeps cmd/heldsway to wiring (docs/DESIGN.md, "cmd
// holds only wiring"): flag definitions, Configs built from flags, calls
// of Run, printing and exit codes. What a command does belongs to the
// package that owns it (connectors/codeops, pipeline/kafkaenv,
// sinks/clickhouse/analytics, ...). In the non-test files, every
// function and every function literal, each on its own:
//   - has no loop (for, range) and starts no goroutine (go, select):
//     loops walk domain data and goroutines run stages, both a package's
//     job;
//   - takes at most maxDecisions decisions: an if whose condition is not
//     only an error check, a case clause, a && or ||.
//
// wiringExceptions name the few functions that may break a rule, each
// with why; an entry that no longer needs its exception fails the test,
// so the list only shrinks.
func TestWiringOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			sources = append(sources, f)
		}
	}
	problems, used := wiringProblems(t, sources)
	for _, p := range problems {
		t.Error(p)
	}
	for name, why := range wiringExceptions {
		if !used[name] {
			t.Errorf("wiringExceptions[%q] (%s) is not needed any more: remove it", name, why)
		}
	}
}

// maxDecisions bounds the decisions of one function of cmd/heldsway.
const maxDecisions = 6

// wiringExceptions are the functions that may break a rule of
// TestWiringOnly, by name (Recv.Method for methods), with why.
var wiringExceptions = map[string]string{
	"applyLayers":      "flag machinery: sets each flag not given on the command line from the environment or the config file",
	"sharedKey":        "flag machinery: a config-file key of another subcommand's flag",
	"setFlag":          "flag machinery: a YAML list into a slice flag",
	"collectFlagNames": "flag machinery: the flag names of every subcommand, for the shared config file",
	"byteSize.Set":     "a flag value type (--memory): its units",
	"byteSize.String":  "a flag value type (--memory): its units",
	"versionString":    "what --version prints, from the build info",
}

// wiringProblems checks the named Go files; used reports the exceptions
// that were needed.
func wiringProblems(t *testing.T, paths []string) (problems []string, used map[string]bool) {
	t.Helper()
	used = map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range paths {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := funcName(fd)
			for _, p := range checkWiring(fset, name, fd.Body) {
				if _, ok := wiringExceptions[name]; ok {
					used[name] = true
					continue
				}
				problems = append(problems, p)
			}
		}
	}
	sort.Strings(problems)
	return problems, used
}

func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// checkWiring checks one function body, and each function literal in it
// on its own.
func checkWiring(fset *token.FileSet, name string, body *ast.BlockStmt) []string {
	var problems []string
	decisions := 0
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			problems = append(problems, checkWiring(fset, name+" (func literal at line "+fmt.Sprint(fset.Position(n.Pos()).Line)+")", n.Body)...)
			return false
		case *ast.ForStmt, *ast.RangeStmt:
			problems = append(problems, fmt.Sprintf("%s: %s loops: move what it walks into the package that owns it", fset.Position(n.Pos()), name))
		case *ast.GoStmt, *ast.SelectStmt:
			problems = append(problems, fmt.Sprintf("%s: %s runs goroutines: move them into the package that owns the stages", fset.Position(n.Pos()), name))
		case *ast.IfStmt:
			if !isErrCheck(n.Cond) {
				decisions++
			}
		case *ast.CaseClause, *ast.CommClause:
			decisions++
		case *ast.BinaryExpr:
			if (n.Op == token.LAND || n.Op == token.LOR) && !isErrCheck(n) {
				decisions++
			}
		}
		return true
	})
	if decisions > maxDecisions {
		problems = append(problems, fmt.Sprintf("%s: %s takes %d decisions (at most %d): move the logic into the package that owns it", fset.Position(body.Pos()), name, decisions, maxDecisions))
	}
	return problems
}

// isErrCheck reports conditions that only look at an error: err != nil,
// err == nil, errors.Is/As(...), or several joined by && and ||.
func isErrCheck(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return isErrCheck(x.X)
	case *ast.BinaryExpr:
		switch x.Op {
		case token.LAND, token.LOR:
			return isErrCheck(x.X) && isErrCheck(x.Y)
		case token.NEQ, token.EQL:
			id, ok := x.X.(*ast.Ident)
			nilY, _ := x.Y.(*ast.Ident)
			return ok && nilY != nil && nilY.Name == "nil" && strings.HasSuffix(strings.ToLower(id.Name), "err")
		}
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "errors" {
				return sel.Sel.Name == "Is" || sel.Sel.Name == "As"
			}
		}
	case *ast.UnaryExpr:
		return x.Op == token.NOT && isErrCheck(x.X)
	}
	return false
}

// TestWiringRules: the checks of TestWiringOnly on small functions, so a
// change to the checker cannot make it pass everything.
func TestWiringRules(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       string // part of the one problem; "" for none
	}{
		{"wiring", `cfg := Config{A: f.a}
			if err := cfg.Validate(); err != nil { return usageError{err} }
			x, err := New(cfg)
			if err != nil && !errors.Is(err, io.EOF) { return err }
			if f.verbose { log = log.Named("v") }
			return x.Run(ctx)`, ""},
		{"range", `for _, r := range rows { fmt.Println(r) }`, "loops"},
		{"for", `for i := 0; i < n; i++ {}`, "loops"},
		{"loop in a literal", `run := func() { for {} }; run()`, "(func literal at line 4) loops"},
		{"goroutine", `go s.Run(ctx)`, "runs goroutines"},
		{"select", `select { case <-ctx.Done(): }`, "runs goroutines"},
		{"decisions", `if a { x() }
			if b || c { x() }
			if d && e { x() }
			switch f { case 1: case 2: }`, "takes 7 decisions"},
		{"six decisions", `if a { x() }
			if b || c { x() }
			if d && e { x() }
			if g { x() }`, ""},
	} {
		src := "package p\n\nfunc f() {\n" + tt.body + "\n}\n"
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, "p.go", src, 0)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		problems := checkWiring(fset, "f", file.Decls[0].(*ast.FuncDecl).Body)
		switch {
		case tt.want == "" && len(problems) != 0:
			t.Errorf("%s: %v, want none", tt.name, problems)
		case tt.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.want)):
			t.Errorf("%s: %v, want one with %q", tt.name, problems, tt.want)
		}
	}
}
