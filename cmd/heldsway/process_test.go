package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/heldsway/heldsway/pipeline/attribution"
)

// TestProgramFrom: a flag sets the program's default when the user gave
// it or when there is no program file; otherwise the file's value stands.
func TestProgramFrom(t *testing.T) {
	file := filepath.Join(t.TempDir(), "program.yaml")
	if err := os.WriteFile(file, []byte("defaults:\n  rule: last_touch\n  window: 48h\n  grace: 1m\n  injection_threshold: 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		args  []string
		rule  attribution.Rule
		win   time.Duration
		grace time.Duration
		inj   time.Duration
	}{
		{"no file: the flags' defaults", nil, attribution.DefaultRule, attribution.DefaultWindow, attribution.DefaultGrace, attribution.DefaultInjectionThreshold},
		{"no file, one flag", []string{"--rule", "first_touch"}, "first_touch", attribution.DefaultWindow, attribution.DefaultGrace, attribution.DefaultInjectionThreshold},
		{"file: its values", []string{"--program", file}, "last_touch", 48 * time.Hour, time.Minute, 3 * time.Second},
		{"file, flags given win", []string{"--program", file, "--rule", "click_priority", "--grace", "2m"}, "click_priority", 48 * time.Hour, 2 * time.Minute, 3 * time.Second},
		{"file, a flag given its default value still wins", []string{"--program", file, "--window", attribution.DefaultWindow.String()}, "last_touch", attribution.DefaultWindow, time.Minute, 3 * time.Second},
	} {
		c := &cobra.Command{Use: "process"}
		p := &procFlags{}
		p.register(c)
		if err := c.ParseFlags(tt.args); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		prog, err := p.programFrom(c)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		d := prog.Defaults
		if d.Rule != tt.rule || d.Window != tt.win || d.Grace != tt.grace || d.InjectionThreshold != tt.inj {
			t.Errorf("%s: rule %s window %s grace %s injection %s; want %s %s %s %s", tt.name, d.Rule, d.Window, d.Grace, d.InjectionThreshold, tt.rule, tt.win, tt.grace, tt.inj)
		}
	}
}
