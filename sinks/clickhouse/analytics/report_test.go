package analytics

import (
	"strings"
	"testing"
	"time"
)

// TestReportConfig: heldsway report's flags are checked before ClickHouse
// is reached, in the order the command checks them, and the range
// defaults to the 30 days ending today (UTC).
func TestReportConfig(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 12, 7, 23, 30, 0, 0, time.FixedZone("x", -5*3600)) }
	valid := ReportConfig{Sort: "orders", Format: "table", By: "code", Now: now}
	for _, tt := range []struct {
		name     string
		edit     func(*ReportConfig)
		from, to string // want, when valid
		err      string
	}{
		{"defaults", func(*ReportConfig) {}, "2026-11-09", "2026-12-08", ""},
		{"to only", func(c *ReportConfig) { c.To = "2026-11-30" }, "2026-11-01", "2026-11-30", ""},
		{"both", func(c *ReportConfig) { c.From, c.To = "2026-11-01", "2026-11-01" }, "2026-11-01", "2026-11-01", ""},
		{"by affiliate, csv", func(c *ReportConfig) { c.By, c.Format = "affiliate", "csv" }, "2026-11-09", "2026-12-08", ""},
		{"bad to", func(c *ReportConfig) { c.To = "30.11.2026" }, "", "", `--to: want YYYY-MM-DD, got "30.11.2026"`},
		{"bad from", func(c *ReportConfig) { c.From = "x" }, "", "", `--from: want YYYY-MM-DD, got "x"`},
		{"reversed", func(c *ReportConfig) { c.From, c.To = "2026-11-02", "2026-11-01" }, "", "", "--to 2026-11-01 is before --from 2026-11-02"},
		{"bad format", func(c *ReportConfig) { c.Format = "xml" }, "", "", `--format "xml": table, csv or json`},
		{"bad by", func(c *ReportConfig) { c.By = "coupon" }, "", "", `--by "coupon": code or affiliate`},
		{"negative top", func(c *ReportConfig) { c.Top = -1 }, "", "", "--top -1: must be positive"},
		{"bad sort", func(c *ReportConfig) { c.Sort = "size" }, "", "", "size"},
		{"format before by", func(c *ReportConfig) { c.Format, c.By = "xml", "x" }, "", "", "--format"},
	} {
		c := valid
		tt.edit(&c)
		err := c.Validate()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		from, to, _ := c.Range()
		if from.Format(time.DateOnly) != tt.from || to.Format(time.DateOnly) != tt.to {
			t.Errorf("%s: range %s to %s, want %s to %s", tt.name, from.Format(time.DateOnly), to.Format(time.DateOnly), tt.from, tt.to)
		}
	}
}
