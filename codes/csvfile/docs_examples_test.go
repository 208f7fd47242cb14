package csvfile

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/codes/registry/registrytest"
)

// csvBlock matches a fenced ```csv block in Markdown.
var csvBlock = regexp.MustCompile("(?ms)^```csv\n(.*?)^```")

// docCSVBlocks returns every fenced CSV block of the README and docs/, by
// file and position.
func docCSVBlocks(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "..", "README.md"))
	blocks := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range csvBlock.FindAllStringSubmatch(string(b), -1) {
			blocks[filepath.Base(f)+"#"+string(rune('1'+i))] = m[1]
		}
	}
	return blocks
}

// TestIntegrationDocExamplesImport imports every CSV example the docs show,
// as it stands, into a fresh registry on the embedded broker: every row
// must be written, and no code may have expired (or not yet begun) today.
func TestIntegrationDocExamplesImport(t *testing.T) {
	blocks := docCSVBlocks(t)
	if len(blocks) == 0 {
		t.Fatal("no ```csv blocks found in README.md or docs/*.md")
	}
	example, err := os.ReadFile(filepath.Join("..", "testdata", "example.csv"))
	if err != nil {
		t.Fatal(err)
	}
	shown := false
	for _, b := range blocks {
		shown = shown || b == string(example)
	}
	if !shown {
		t.Error("docs/codes-csv.md does not show codes/testdata/example.csv as it is")
	}
	blocks["codes/testdata/example.csv"] = string(example)
	if !strings.Contains(string(example), "\nSARAH10,") {
		t.Error("example.csv has no SARAH10, the code the README and the demo use")
	}

	k := registrytest.New(t)
	now := time.Now()
	for name, csv := range blocks {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(csv, "...") {
				t.Fatalf("example is elided with ...: it cannot be imported as shown")
			}
			reg := k.Registry(t, k.Topic(t))
			w := k.Writer(t, reg, nil)
			rows := strings.Count(strings.TrimSpace(csv), "\n")
			ctx, cancel := context.WithTimeout(t.Context(), registrytest.Wait(t))
			defer cancel()
			rep, err := Import(ctx, strings.NewReader(csv), reg, w, ImportOptions{Atomic: true})
			if err != nil || !rep.OK() || rep.Written != rows {
				t.Fatalf("import: err %v, %d of %d rows written, errors %v", err, rep.Written, rows, rep.Errors)
			}
			for _, c := range reg.All() {
				if c.ValidFrom != nil && c.ValidFrom.After(now) {
					t.Errorf("%s is not valid until %s", c.Code, c.ValidFrom)
				}
				if c.ValidUntil != nil && c.ValidUntil.Before(now) {
					t.Errorf("%s expired on %s", c.Code, c.ValidUntil)
				}
			}
		})
	}
}
