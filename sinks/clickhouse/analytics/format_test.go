package analytics

import (
	"bytes"
	"strings"
	"testing"
)

func TestDeriveLeakVerdict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		s      CodeStats
		all    uint64
		leaked bool
	}{
		{"healthy", CodeStats{Clicks: 100, Orders: 10}, 10, false},
		{"leak flag", CodeStats{Clicks: 100, Orders: 1, LeakFlags: 1}, 1, true},
		{"orders without clicks", CodeStats{Clicks: 100, Orders: 10, FlaggedOrders: map[string]uint64{FlagCodeWithoutClick: 6}}, 10, true},
		{"more orders than clicks", CodeStats{Clicks: 2, Orders: 6}, 6, true},
		{"too few orders to judge", CodeStats{Clicks: 1, Orders: 4}, 4, false},
		{"no links at all", CodeStats{Clicks: 0, Orders: 40}, 40, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.s.derive(tc.all)
			if tc.s.Leaked != tc.leaked {
				t.Fatalf("leaked %v (%v), want %v", tc.s.Leaked, tc.s.LeakReasons, tc.leaked)
			}
		})
	}
	s := CodeStats{Clicks: 40, Orders: 4, Revenue: 10000, Refunded: 2500, RefundedOrders: 1}
	s.derive(4)
	if s.AOV != 2500 || s.NetRevenue != 7500 || s.RefundRate != 0.25 || s.ConversionRate != 0.1 {
		t.Fatalf("derived %+v", s)
	}
}

func TestSortAndWrite(t *testing.T) {
	rows := []CodeStats{
		{Code: "A", Currency: "EUR", Orders: 1, Revenue: 900},
		{Code: "B", Currency: "EUR", Orders: 3, Revenue: 100, Leaked: true, LeakReasons: []string{"1 code_leak flag(s)"}},
		{Code: "C", Currency: "JPY", Orders: 2, Revenue: 5000},
	}
	if err := Sort(rows, "orders"); err != nil || rows[0].Code != "B" || rows[2].Code != "A" {
		t.Fatalf("sort by orders: %v %v", rows, err)
	}
	if err := Sort(rows, "code"); err != nil || rows[0].Code != "A" {
		t.Fatalf("sort by code: %v", err)
	}
	if err := Sort(rows, "nonsense"); err == nil {
		t.Fatal("sorting by an unknown key succeeded")
	}
	var b bytes.Buffer
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"9.00", "5000", "LEAKED? 1 code_leak flag(s)", "CONVERSION"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteCSV(&b, rows); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "A,,EUR,0,0,1,0.0000,900,") {
		t.Errorf("csv:\n%s", b.String())
	}
}
