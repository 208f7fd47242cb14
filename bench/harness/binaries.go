package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// GokaPeerName is the Goka peer's file name next to bin/heldsway (the
// Makefile's build target builds both). Goka, Sarama and LevelDB are
// linked into that binary, not into heldsway.
const GokaPeerName = "heldsway-goka-peer"

// MissingPeerError is a Goka peer binary that cannot be run; the message
// says how to build or skip it.
type MissingPeerError struct {
	Path string
	Err  error
}

func (e *MissingPeerError) Error() string {
	return fmt.Sprintf("the Goka baseline runs %s (bench/cmd/goka-peer, built by make build next to bin/heldsway): %v; pass --goka-binary or --skip-goka", e.Path, e.Err)
}

func (e *MissingPeerError) Unwrap() error { return e.Err }

// Binaries returns the heldsway binary the children run (child, default
// self, the running executable) and the Goka peer (goka, default
// GokaPeerName next to self; "" when skipGoka). A peer that cannot be
// found is a *MissingPeerError.
func Binaries(child, goka string, skipGoka bool) (string, string, error) {
	if child == "" {
		var err error
		if child, err = os.Executable(); err != nil {
			return "", "", fmt.Errorf("finding the heldsway binary: %w", err)
		}
	}
	if skipGoka {
		return child, goka, nil
	}
	if goka == "" {
		self, err := os.Executable()
		if err != nil {
			return "", "", fmt.Errorf("finding the heldsway binary: %w", err)
		}
		goka = filepath.Join(filepath.Dir(self), GokaPeerName)
	}
	if _, err := os.Stat(goka); err != nil {
		return "", "", &MissingPeerError{Path: goka, Err: err}
	}
	return child, goka, nil
}

// WriteFiles writes r as indented JSON to jsonPath and its markdown
// tables to mdPath; an empty path writes nothing.
func (r *Report) WriteFiles(jsonPath, mdPath string) error {
	if jsonPath != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", jsonPath, err)
		}
	}
	if mdPath != "" {
		if err := os.WriteFile(mdPath, []byte(r.Markdown()), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", mdPath, err)
		}
	}
	return nil
}
