// Command avrogen writes the schemas package's generated record types and
// codec (types_gen.go, codec_gen.go) from its avro/*.avsc files. The package's go:generate
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
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "avrogen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files, err := avrogen.Generate(os.DirFS(dir))
	if err != nil {
		return err
	}
	for name, src := range files {
		path := filepath.Join(dir, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, src) {
			continue
		}
		if err := os.WriteFile(path, src, 0o644); err != nil {
			return fmt.Errorf("writing generated code: %w", err)
		}
	}
	return nil
}
