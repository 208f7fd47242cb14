package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/sinks/clickhouse"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics/analyticstest"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// TestIntegrationReport runs heldsway rollup and heldsway report against a
// seeded ClickHouse in every output format.
func TestIntegrationReport(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := chtest.New(t)
	w, err := clickhouse.Open(ctx, clickhouse.WriterConfig{DSN: srv.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(ctx, analyticstest.New(1).All()); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(append(args, "--data-dir", t.TempDir(), "--clickhouse", srv.DSN))
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatalf("heldsway %v: %v", args, err)
		}
		return out.String()
	}
	if out := run("rollup"); !strings.Contains(out, "refreshed 15 days") {
		t.Errorf("rollup: %q", out)
	}
	rng := []string{"--from", "2026-11-01", "--to", "2026-11-14"}

	table := run(append([]string{"report", "--sort", "orders", "--currency", "EUR"}, rng...)...)
	lines := strings.Split(table, "\n")
	if len(lines) < 4 || !strings.Contains(lines[3], "LEAKY") || !strings.Contains(lines[3], "LEAKED?") {
		t.Errorf("table: the top code by orders should be LEAKY, marked:\n%s", table)
	}
	t.Logf("\n%s", table)

	var rows []analytics.CodeStats
	if err := json.Unmarshal([]byte(run(append([]string{"report", "--format", "json", "--sort", "revenue", "--top", "2"}, rng...)...)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Revenue < rows[1].Revenue {
		t.Errorf("json --top 2 --sort revenue: %+v", rows)
	}

	// --by affiliate: one row per affiliate and currency, its codes summed.
	var affs []analytics.AffiliateStats
	if err := json.Unmarshal([]byte(run(append([]string{"report", "--by", "affiliate", "--format", "json"}, rng...)...)), &affs); err != nil {
		t.Fatal(err)
	}
	all, err := json.Marshal(affs)
	if err != nil {
		t.Fatal(err)
	}
	if len(affs) == 0 || affs[0].AffiliateID == "" || affs[0].Orders == 0 {
		t.Errorf("--by affiliate: %s", all)
	}
	if out := run(append([]string{"report", "--by", "affiliate"}, rng...)...); !strings.Contains(out, "PENDING") || !strings.Contains(out, "REFUND_AMOUNT_RATE") {
		t.Errorf("--by affiliate table:\n%s", out)
	}

	recs, err := csv.NewReader(strings.NewReader(run(append([]string{"report", "--format", "csv", "--code", "ANNA10"}, rng...)...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1][0] != "ANNA10" || recs[1][1] != "aff-anna" {
		t.Errorf("csv --code ANNA10: %v", recs)
	}
}
