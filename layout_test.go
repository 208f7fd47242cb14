// The repository's layout rules, checked on every `make test`: no folder
// imports a folder that imports it back, directly or through a chain; and
// the leaf packages every folder may import depend on nothing of the
// module.
//
// Folders are import paths cut to their first path elements under the
// module, at two depths: the top-level folders that follow the data flow
// (connectors, schemas, pipeline, state, sinks, codes, bench, cmd) and the
// folders below them (connectors/shopify, connectors/codesync, sinks/clickhouse:
// sinks/clickhouse/analytics belongs to sinks/clickhouse). A package may
// import a package of its own folder. Test files are not counted: an
// external test package may import the packages that use it (the webhook
// flow's tests run every platform through it).
package heldsway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

const module = "github.com/heldsway/heldsway"

// folderDepths are the depths at which folders must not form cycles.
var folderDepths = []int{1, 2}

func TestNoFolderCycles(t *testing.T) {
	pkgs := listPackages(t)
	for _, depth := range folderDepths {
		t.Run(fmt.Sprintf("depth%d", depth), func(t *testing.T) {
			g := folderGraph(pkgs, depth)
			if len(g.edges) == 0 {
				t.Fatalf("no imports between folders at depth %d: the package list is wrong", depth)
			}
			for _, c := range g.cycles() {
				t.Errorf("folder cycle: %s\n%s", strings.Join(append(c, c[0]), " -> "), g.explain(c))
			}
		})
	}
}

// leaves are the packages every folder may import: they depend on no
// package of the module (and so on no Kafka client and no connector).
var leaves = []string{"schemas/money", "schemas/promocode", "connectors/hmacsig"}

func TestLeafPackages(t *testing.T) {
	byPath := map[string]pkg{}
	for _, p := range listPackages(t) {
		byPath[p.ImportPath] = p
	}
	for _, l := range leaves {
		p, ok := byPath[module+"/"+l]
		if !ok {
			t.Errorf("leaf package %s does not exist", l)
			continue
		}
		for _, d := range p.Deps {
			if d == module || strings.HasPrefix(d, module+"/") {
				t.Errorf("leaf package %s depends on %s", l, strings.TrimPrefix(d, module+"/"))
			}
		}
	}
}

// pkg is what the checks need of `go list -json`.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

// listPackages runs `go list` over the module; LAYOUT_GO_LIST_TIMEOUT
// (default 5m) bounds it.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	bound := 5 * time.Minute
	if s := os.Getenv("LAYOUT_GO_LIST_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("LAYOUT_GO_LIST_TIMEOUT: %v", err)
		}
		bound = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-json=ImportPath,Imports,Deps,Error", "./...")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// graph is the import graph between folders; why holds, per edge, the
// package imports that make it.
type graph struct {
	edges map[string][]string
	why   map[[2]string][]string
}

// folder cuts an import path of the module to its first depth elements
// under the module; "" for the module's root package and for other modules.
func folder(path string, depth int) string {
	rest, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) > depth {
		parts = parts[:depth]
	}
	return strings.Join(parts, "/")
}

func folderGraph(pkgs []pkg, depth int) graph {
	g := graph{edges: map[string][]string{}, why: map[[2]string][]string{}}
	for _, p := range pkgs {
		from := folder(p.ImportPath, depth)
		if from == "" {
			continue
		}
		for _, imp := range p.Imports {
			to := folder(imp, depth)
			if to == "" || to == from {
				continue
			}
			e := [2]string{from, to}
			if len(g.why[e]) == 0 {
				g.edges[from] = append(g.edges[from], to)
			}
			g.why[e] = append(g.why[e], p.ImportPath+" imports "+imp)
		}
	}
	for f := range g.edges {
		slices.Sort(g.edges[f])
	}
	return g
}

// cycles returns one cycle through each strongly connected set of two or
// more folders, starting at its least folder, in a stable order.
func (g graph) cycles() [][]string {
	var nodes []string
	for f := range g.edges {
		nodes = append(nodes, f)
	}
	slices.Sort(nodes)
	seen := map[string]bool{}
	var out [][]string
	for _, start := range nodes {
		if seen[start] {
			continue
		}
		c := g.shortestCycle(start)
		if c == nil {
			continue
		}
		for _, f := range g.component(start) {
			seen[f] = true
		}
		out = append(out, c)
	}
	return out
}

// reach returns every folder reachable from f (f itself only through a
// cycle).
func (g graph) reach(f string) map[string]bool {
	r := map[string]bool{}
	stack := slices.Clone(g.edges[f])
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if r[n] {
			continue
		}
		r[n] = true
		stack = append(stack, g.edges[n]...)
	}
	return r
}

// component returns the folders on a cycle with f.
func (g graph) component(f string) []string {
	var c []string
	for n := range g.reach(f) {
		if g.reach(n)[f] {
			c = append(c, n)
		}
	}
	return c
}

// shortestCycle returns the shortest cycle from start back to start, nil
// when there is none.
func (g graph) shortestCycle(start string) []string {
	prev := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range g.edges[n] {
			if m == start {
				c := []string{n}
				for c[0] != start {
					c = append([]string{prev[c[0]]}, c...)
				}
				return c
			}
			if _, ok := prev[m]; !ok {
				prev[m] = n
				queue = append(queue, m)
			}
		}
	}
	return nil
}

// explain lists, for each step of cycle c, the package imports behind it.
func (g graph) explain(c []string) string {
	var b strings.Builder
	for i, from := range c {
		to := c[(i+1)%len(c)]
		why := g.why[[2]string{from, to}]
		fmt.Fprintf(&b, "  %s -> %s:\n", from, to)
		for _, w := range why {
			fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(w, module+"/", ""))
		}
	}
	return b.String()
}

// TestFolderGraphFindsCycles shows the check finds what it must on graphs
// made up for it, so a pass of TestNoFolderCycles means something.
func TestFolderGraphFindsCycles(t *testing.T) {
	p := func(path string, imports ...string) pkg {
		for i, imp := range imports {
			imports[i] = module + "/" + imp
		}
		return pkg{ImportPath: module + "/" + path, Imports: append(imports, "fmt")}
	}
	tests := []struct {
		name  string
		pkgs  []pkg
		depth int
		want  []string // each cycle joined with " -> ", first folder repeated
	}{
		{"layers", []pkg{p("connectors/shopify", "schemas/money", "connectors/webhook"), p("connectors/webhook", "schemas"), p("schemas/money")}, 2, nil},
		{"same folder", []pkg{p("sinks/clickhouse", "schemas"), p("sinks/clickhouse/analytics", "sinks/clickhouse"), p("sinks/clickhouse/chtest", "sinks/clickhouse/analytics")}, 2, nil},
		{"direct", []pkg{p("connectors/hmacsig", "connectors/webhook"), p("connectors/webhook", "connectors/hmacsig/b64"), p("connectors/hmacsig/b64")}, 2,
			[]string{"connectors/hmacsig -> connectors/webhook -> connectors/hmacsig"}},
		{"chain", []pkg{p("connectors/click", "codes"), p("codes", "connectors/money"), p("connectors/money")}, 1,
			[]string{"codes -> connectors -> codes"}},
		{"chain invisible below the top level", []pkg{p("connectors/click", "codes"), p("codes", "connectors/money"), p("connectors/money")}, 2, nil},
		{"three folders", []pkg{p("a/x", "b/y"), p("b/y", "c/z"), p("c/z", "a/x/w"), p("a/x/w"), p("d/d", "a/x")}, 2,
			[]string{"a/x -> b/y -> c/z -> a/x"}},
		{"two cycles", []pkg{p("a", "b"), p("b", "a/q"), p("a/q"), p("c", "d"), p("d", "c/q"), p("c/q")}, 1,
			[]string{"a -> b -> a", "c -> d -> c"}},
		{"root and other modules ignored", []pkg{{ImportPath: module, Imports: []string{module + "/a"}}, p("a", "b"), {ImportPath: module + "/b", Imports: []string{module, "golang.org/x/text/a"}}}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			g := folderGraph(tt.pkgs, tt.depth)
			for _, c := range g.cycles() {
				got = append(got, strings.Join(append(c, c[0]), " -> "))
				if e := g.explain(c); !strings.Contains(e, " imports ") {
					t.Errorf("explain(%v) names no import:\n%s", c, e)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("cycles = %q, want %q", got, tt.want)
			}
		})
	}
}
