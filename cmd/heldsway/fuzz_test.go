package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfigLayers feeds arbitrary bytes as the --config file of `heldsway
// up` through the flag > env > file layering. Any input either configures
// the flags or is a usage error; none panics.
func FuzzConfigLayers(f *testing.F) {
	for _, s := range []string{
		"data-dir: /var/lib/heldsway\nbrokers: [kafka-1:9092, kafka-2:9092]\ntopic-prefix: acme\npartitions: 12\n",
		"http_addr: 0.0.0.0:8080\nmax-inflight: 10\n",
		"destination: {default: https://shop.example/}\n",
		"partitions: many\n",
		"unknown-key: 1\n",
		"- a\n- b\n",
		"clickhouse: null\n",
		"window: 720h\ngrace: -1s\n",
		"&a [*a]",
		"{{{",
		"",
	} {
		f.Add([]byte(s))
	}
	collectFlagNames(newRoot()) // once: applyLayers accepts keys of every subcommand
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		g := &globalFlags{}
		c := newUpCmd(g)
		g.register(c)
		if err := c.ParseFlags([]string{"--config", path}); err != nil {
			t.Fatal(err)
		}
		if err := applyLayers(c); err == nil {
			_ = g.validate()
		}
	})
}

// TestDSNWithPassword: the ClickHouse password comes from the environment
// or a file (clickhouse.DSNWithPassword sets it; its test has the cases).
func TestDSNWithPassword(t *testing.T) {
	t.Setenv("HELDSWAY_CLICKHOUSE_PASSWORD", "from-env")
	if got, err := dsnWithPassword("clickhouse://ch:9000/h", ""); err != nil || got != "clickhouse://default:from-env@ch:9000/h" {
		t.Errorf("from env: %q, %v", got, err)
	}
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := dsnWithPassword("clickhouse://ch:9000/h", file); got != "clickhouse://default:from-file@ch:9000/h" {
		t.Errorf("from file: %q", got)
	}
	t.Setenv("HELDSWAY_CLICKHOUSE_PASSWORD", "")
	if got, _ := dsnWithPassword("clickhouse://u:p@ch:9000/h", ""); got != "clickhouse://u:p@ch:9000/h" {
		t.Errorf("without a secret the DSN must be unchanged: %q", got)
	}
}
