package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// help runs `heldsway ARGS --help` and returns what it printed.
func help(t *testing.T, args ...string) string {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--help"))
	if err := root.Execute(); err != nil {
		t.Fatalf("heldsway %s --help: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

var (
	tlsSASLRegistry = []string{"--kafka-tls", "--kafka-tls-ca", "--kafka-tls-cert", "--kafka-tls-key", "--kafka-sasl-mechanism", "--kafka-sasl-user", "--kafka-sasl-password-file", "--schema-registry"}
	syncFlagNames   = []string{"--sync ", "--sync-attempts", "--stores-file"}
)

// TestCommandHelp checks that each command lists the flags it uses, not
// the ones it does not, with text true for it.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		args    []string
		has     []string
		hasNot  []string
		says    []string // phrases the help must contain
		saysNot []string
	}{
		{
			args:    []string{"broker"},
			has:     []string{"--kafka-listen", "--no-sync-writes", "--partitions", "--topic-prefix"},
			hasNot:  append([]string{"--brokers"}, tlsSASLRegistry...),
			says:    []string{"address the embedded broker listens on"},
			saysNot: []string{"disables the embedded broker"},
		},
		{
			args:    []string{"tail", "orders"},
			has:     append([]string{"--brokers", "--from-beginning"}, tlsSASLRegistry...),
			hasNot:  []string{"--partitions", "--no-sync-writes", "--sync "},
			says:    []string{"(default: the embedded broker at --kafka-listen)"},
			saysNot: []string{"disables the embedded broker"},
		},
		{
			args:   []string{"codes", "list"},
			has:    []string{"--brokers", "--registry-timeout", "--format"},
			hasNot: append([]string{"--partitions", "--no-sync-writes"}, syncFlagNames...),
		},
		{
			args:   []string{"codes", "export"},
			has:    []string{"--brokers", "--out"},
			hasNot: append([]string{"--partitions"}, syncFlagNames...),
		},
		{
			args: []string{"codes", "import"},
			has:  append([]string{"--atomic", "--partitions"}, syncFlagNames...),
		},
		{
			args:    []string{"process"},
			has:     append([]string{"--brokers", "--instance-id", "--program"}, tlsSASLRegistry...),
			hasNot:  []string{"--no-sync-writes", "--http-addr", "--clickhouse"},
			says:    []string{"(default: the embedded broker at --kafka-listen)"},
			saysNot: []string{"disables the embedded broker"},
		},
		{
			args:    []string{"sink"},
			has:     []string{"--brokers", "--clickhouse", "--dashboard-addr", "--api-token-file"},
			hasNot:  []string{"--no-sync-writes", "--rule"},
			says:    []string{"(default: the embedded broker at --kafka-listen)"},
			saysNot: []string{"disables the embedded broker"},
		},
		{
			args:    []string{"ingest"},
			has:     []string{"--brokers", "--destination", "--http-addr"},
			hasNot:  []string{"--no-sync-writes", "--clickhouse"},
			saysNot: []string{"disables the embedded broker"},
		},
		{
			args: []string{"up"},
			has:  []string{"--brokers", "--no-sync-writes", "--destination", "--clickhouse", "--program"},
			says: []string{"when set, no embedded broker is started"},
		},
		{
			args: []string{"bench"},
			says: []string{"takes about a minute and a half on two cores", "about 3 for 1M, 30 for 10M"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			out := help(t, tt.args...)
			flags := out[strings.Index(out, "Flags:"):]
			if i := strings.Index(flags, "Global Flags:"); i > 0 {
				flags = flags[:i]
			}
			for _, f := range tt.has {
				if !strings.Contains(flags, f) {
					t.Errorf("lacks %s", f)
				}
			}
			for _, f := range tt.hasNot {
				if strings.Contains(flags, f) {
					t.Errorf("lists %s, which it does not use", f)
				}
			}
			for _, s := range tt.says {
				if !strings.Contains(out, s) {
					t.Errorf("does not say %q", s)
				}
			}
			for _, s := range tt.saysNot {
				if strings.Contains(out, s) {
					t.Errorf("says %q, which is not true for it", s)
				}
			}
		})
	}
}

// TestBenchHelpMatchesDocs checks that the timings bench --help gives are
// the ones docs/benchmarks.md reports.
func TestBenchHelpMatchesDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/benchmarks.md")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Join(strings.Fields(string(b)), " ")
	for _, s := range []string{"takes about a minute and a half", "# about 3 minutes", "# 30 minutes", "about 9 GiB"} {
		if !strings.Contains(docs, s) {
			t.Errorf("docs/benchmarks.md no longer says %q: update bench --help with it", s)
		}
	}
}

// TestEveryCommandHasHelp runs --help on every command of the tree: each
// prints its description and usage.
func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			p := append(append([]string{}, path...), sub.Name())
			want := sub.Long
			if want == "" {
				want = sub.Short
			}
			if out := help(t, p...); !strings.Contains(out, want) || !strings.Contains(out, "Usage:") {
				t.Errorf("heldsway %s --help lacks its description or usage", strings.Join(p, " "))
			}
			walk(sub, p)
		}
	}
	walk(newRoot(), nil)
}

func TestVersionString(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.10",
		Main:      debug.Module{Path: "github.com/heldsway/heldsway", Version: "v0.4.1"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "f16f66d0c0ffee"},
			{Key: "vcs.time", Value: "2026-12-07T17:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"module version and commit", info, true, "v0.4.1 (module github.com/heldsway/heldsway, commit f16f66d0c0ffee+dirty, committed 2026-12-07T17:00:00Z, go1.26.10)"},
		{"devel build without vcs", &debug.BuildInfo{GoVersion: "go1.26.10", Main: debug.Module{Path: "github.com/heldsway/heldsway", Version: "(devel)"}}, true, "dev (module github.com/heldsway/heldsway, commit unknown, go1.26.10)"},
		{"no build info", nil, false, "dev (no build info)"},
	}
	for _, tt := range tests {
		if got := versionString(tt.info, tt.ok); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// The binary's own --version prints the same.
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"--version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "module github.com/heldsway/heldsway") || !strings.Contains(out.String(), "commit ") {
		t.Errorf("--version printed %q", out.String())
	}
}
