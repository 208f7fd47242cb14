package harness

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBinaries(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Skipf("no executable path here: %v", err)
	}
	peer := filepath.Join(t.TempDir(), "peer")
	if err := os.WriteFile(peer, []byte("#!/bin/sh\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	for _, tt := range []struct {
		name              string
		child, goka       string
		skip              bool
		wantChild, wantGk string
		missing           string // the path of a *MissingPeerError
	}{
		{"defaults, skipped", "", "", true, self, "", ""},
		{"given child, skipped", "/bin/true", "", true, "/bin/true", "", ""},
		{"given peer", "", peer, false, self, peer, ""},
		{"missing peer", "", missing, false, "", "", missing},
		{"default peer next to self", "", "", false, "", "", filepath.Join(filepath.Dir(self), GokaPeerName)},
	} {
		child, goka, err := Binaries(tt.child, tt.goka, tt.skip)
		var mp *MissingPeerError
		if tt.missing != "" {
			if !errors.As(err, &mp) || mp.Path != tt.missing || !strings.Contains(err.Error(), "; pass --goka-binary or --skip-goka") {
				t.Errorf("%s: %v, want a missing peer at %s", tt.name, err, tt.missing)
			}
			continue
		}
		if err != nil || child != tt.wantChild || goka != tt.wantGk {
			t.Errorf("%s: %q, %q, %v; want %q, %q", tt.name, child, goka, err, tt.wantChild, tt.wantGk)
		}
	}
}

func TestReportWriteFiles(t *testing.T) {
	dir := t.TempDir()
	rep := &Report{Repeat: 1}
	js, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.md")
	if err := rep.WriteFiles(js, md); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(js)
	var back Report
	if err != nil || json.Unmarshal(b, &back) != nil || back.Repeat != 1 {
		t.Errorf("json file: %v %s", err, b)
	}
	if b, err := os.ReadFile(md); err != nil || string(b) != rep.Markdown() {
		t.Errorf("markdown file: %v", err)
	}
	if err := rep.WriteFiles(filepath.Join(dir, "no", "such", "dir.json"), ""); err == nil || !strings.HasPrefix(err.Error(), "writing ") {
		t.Errorf("unwritable path: %v", err)
	}
	if err := rep.WriteFiles("", ""); err != nil {
		t.Errorf("no paths: %v", err)
	}
}
