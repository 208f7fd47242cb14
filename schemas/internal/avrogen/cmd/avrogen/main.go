// Command avrogen writes the schemas package's generated codec
// (records_gen.go) from its avro/*.avsc files. The package's go:generate
// line runs it in the package directory:
//
//	go generate ./schemas
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/heldsway/heldsway/schemas/internal/avrogen"
)

func main() {
	dir := flag.String("dir", ".", "the schemas package directory, holding "+avrogen.Glob)
	out := flag.String("out", "records_gen.go", "file to write, relative to -dir")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "avrogen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	src, err := avrogen.Generate(os.DirFS(dir))
	if err != nil {
		return err
	}
	path := filepath.Join(dir, out)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, src) {
		return nil
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return fmt.Errorf("writing generated code: %w", err)
	}
	return nil
}
