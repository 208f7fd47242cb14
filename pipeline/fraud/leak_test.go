package fraud

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"gopkg.in/yaml.v3"
)

var t0 = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)

// TestLeakScenarios runs testdata/leak*: redemptions in, flags out.
// Regenerate with `go test ./pipeline/fraud -run TestLeakScenarios -rewrite`.
//
//	config          input: LeakConfig as YAML (defaults otherwise)
//	redeem at= [seen=] [n=1] [clicked] [link] [code=CODE]   (link: the code requires a click)
//	                n redemptions at the offset from T0 (event time),
//	                counted at record time seen (an offset from T0, default
//	                at); prints any flag and whether the code is in an
//	                episode after them
//	correct at= [n=1] [code=CODE]
//	                late clicks correct the first n redemptions made by
//	                `redeem at=` with the same offset (CodeStats.Clicked)
//	stats [code=]   prints the retained buckets
func TestLeakScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if strings.Contains(filepath.ToSlash(path), "/fuzz/") {
			return // go test fuzz corpora, not scenarios
		}
		cfg := LeakConfig{}
		cfg.EnsureDefaults()
		stats := map[string]*CodeStats{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "config":
				cfg = LeakConfig{}
				if err := yaml.Unmarshal([]byte(d.Input), &cfg); err != nil {
					d.Fatalf(t, "%v", err)
				}
				cfg.EnsureDefaults()
				if err := cfg.Validate(); err != nil {
					return "error: " + err.Error()
				}
				return "ok"
			case "redeem":
				var at, code string
				n := 1
				d.ScanArgs(t, "at", &at)
				seenArg := at
				d.MaybeScanArgs(t, "seen", &seenArg)
				d.MaybeScanArgs(t, "n", &n)
				code = "LEAK"
				d.MaybeScanArgs(t, "code", &code)
				off, err := time.ParseDuration(at)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				seen, err := time.ParseDuration(seenArg)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				s := stats[code]
				if s == nil {
					s = &CodeStats{}
					stats[code] = s
				}
				var b strings.Builder
				var res LeakResult
				for i := range n {
					r := Redemption{Code: code, AffiliateID: "aff", AffiliateClicked: d.HasArg("clicked"), RequiresClick: d.HasArg("link"),
						Order: OrderRef{OrderID: fmt.Sprint("o-", at, "-", i), OccurredAt: t0.Add(off)}}
					res = s.Observe(r, cfg, t0.Add(seen))
					if res.Flag != nil {
						fmt.Fprintf(&b, "flag #%d %s %s pause=%v", i+1, res.Flag.Type, res.Flag.Severity, res.Pause)
						keys := make([]string, 0, len(res.Flag.Evidence))
						for k := range res.Flag.Evidence {
							if k != "order_id" {
								keys = append(keys, k)
							}
						}
						sort.Strings(keys)
						for _, k := range keys {
							fmt.Fprintf(&b, "\n  %s=%s", k, res.Flag.Evidence[k])
						}
						b.WriteString("\n")
					}
				}
				fmt.Fprintf(&b, "active=%v", res.Active)
				return b.String()
			case "correct":
				var at string
				n := 1
				code := "LEAK"
				d.ScanArgs(t, "at", &at)
				d.MaybeScanArgs(t, "n", &n)
				d.MaybeScanArgs(t, "code", &code)
				off, err := time.ParseDuration(at)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				for i := range n { // the orders `redeem at=` made, o-<at>-<i>
					stats[code].Clicked(Redemption{Code: code, Order: OrderRef{OrderID: fmt.Sprint("o-", at, "-", i), OccurredAt: t0.Add(off)}}, cfg)
				}
				return fmt.Sprintf("pending=%d", len(stats[code].Pending))
			case "stats":
				code := "LEAK"
				d.MaybeScanArgs(t, "code", &code)
				var b strings.Builder
				for _, x := range stats[code].Buckets {
					fmt.Fprintf(&b, "%s count=%d no_click=%d\n", time.UnixMilli(x.Start).UTC().Sub(t0), x.Count, x.NoClick)
				}
				return b.String()
			}
			d.Fatalf(t, "unknown command %q", d.Cmd)
			return ""
		})
	})
}

func TestLeakFlagOncePerEpisode(t *testing.T) {
	cfg := LeakConfig{MinCount: 3, Buckets: 4}
	cfg.EnsureDefaults()
	var s CodeStats
	flags := 0
	for h := range 100 {
		for i := range 10 {
			r := Redemption{Code: "C", AffiliateClicked: true, Order: OrderRef{OrderID: strconv.Itoa(i), OccurredAt: t0.Add(time.Duration(h) * time.Hour)}}
			if res := s.Observe(r, cfg, t0); res.Flag != nil {
				flags++
			}
		}
	}
	// A steady 10/h is a spike against an empty baseline once, then the
	// baseline catches up and the episode cools down without new flags.
	if flags != 1 {
		t.Fatalf("got %d flags, want 1", flags)
	}
	if len(s.Buckets) > 2*cfg.Buckets+1 {
		t.Fatalf("kept %d buckets", len(s.Buckets))
	}
}

func FuzzUnmarshalCodeStats(f *testing.F) {
	cfg := LeakConfig{}
	cfg.EnsureDefaults()
	var s CodeStats
	for i := range 30 {
		s.Observe(Redemption{Code: "C", Order: OrderRef{OccurredAt: t0.Add(time.Duration(i) * 17 * time.Minute)}}, cfg, t0)
	}
	seed, _ := s.Marshal()
	f.Add(seed)
	for i := range 5 {
		s.Observe(Redemption{Code: "C", RequiresClick: true, Order: OrderRef{OccurredAt: t0.Add(time.Duration(i) * 31 * time.Minute)}}, cfg, t0.Add(time.Duration(i)*time.Minute))
	}
	seed, _ = s.Marshal()
	f.Add(seed)
	f.Add([]byte(`{"b":[{"s":5,"c":1,"n":2}]}`))
	f.Add([]byte(`{"b":[{"s":5,"c":1},{"s":5,"c":1}]}`))
	f.Add([]byte(`{"b":[{"s":-9223372036854775808,"c":1},{"s":9223372036854775807,"c":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := UnmarshalCodeStats(data)
		if err != nil {
			return
		}
		b1, _ := s.Marshal()
		s2, err := UnmarshalCodeStats(b1)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if b2, _ := s2.Marshal(); !bytes.Equal(b1, b2) {
			t.Fatal("unstable encoding")
		}
		s2.Observe(Redemption{Code: "C", Order: OrderRef{OccurredAt: t0}}, cfg, t0)
	})
}

// TestCodeStatsCodec: the binary format round-trips, and stats stored as
// JSON by earlier versions still decode to the same values.
func TestCodeStatsCodec(t *testing.T) {
	want := CodeStats{
		Buckets:      []Bucket{{Start: -3600000, Count: 3, NoClick: 1}, {Start: 0, Count: 1}, {Start: 7200000, Count: 40, NoClick: 40}},
		EpisodeStart: 7200000,
		LastTrigger:  7260000,
	}
	for _, tc := range []struct {
		name string
		data func() []byte
	}{
		{"binary", func() []byte { b, _ := want.Marshal(); return b }},
		{"legacy json", func() []byte {
			return []byte(`{"b":[{"s":-3600000,"c":3,"n":1},{"s":0,"c":1},{"s":7200000,"c":40,"n":40}],"e":7200000,"t":7260000}`)
		}},
	} {
		got, err := UnmarshalCodeStats(tc.data())
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: decoded %+v, want %+v", tc.name, got, want)
		}
	}
	b, _ := want.Marshal()
	if b[0] != formatBinary {
		t.Fatalf("stats without pending redemptions written as format %#x, want %#x (read by earlier versions)", b[0], formatBinary)
	}
	for _, bad := range [][]byte{nil, {0x07}, b[:len(b)-1], append(slices.Clone(b), 0)} {
		if _, err := UnmarshalCodeStats(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%x: err %v, want ErrCorrupt", bad, err)
		}
	}

	withPending := want
	withPending.Pending = []Pending{{-3600000, 1_700_000_000_000, 1}, {7200000, 1_700_000_000_500, 1 << 63}, {7200000, 1_699_000_000_000, 42}}
	pb, err := withPending.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalCodeStats(pb)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(withPending) {
		t.Fatalf("decoded %+v, want %+v", got, withPending)
	}
	for name, p := range map[string][]Pending{
		"no such bucket":             {{1, 5, 0}},
		"more pending than no-click": {{-3600000, 5, 0}, {-3600000, 6, 0}},
		"a bucket without no-click":  {{0, 5, 0}},
	} {
		s := want
		s.Pending = p
		if _, err := s.Marshal(); err == nil {
			t.Errorf("%s: encoded", name)
		}
		// The same, written by hand past Marshal's check.
		s.Pending = nil
		raw, _ := s.Marshal()
		raw[0] = formatPending
		raw = binary.AppendUvarint(raw, uint64(len(p)))
		var lb, ls int64
		for _, x := range p {
			raw = binary.AppendVarint(raw, x.Bucket-lb)
			raw = binary.AppendVarint(raw, x.Seen-ls)
			raw = binary.LittleEndian.AppendUint64(raw, x.Order)
			lb, ls = x.Bucket, x.Seen
		}
		if _, err := UnmarshalCodeStats(raw); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: decoded, err %v", name, err)
		}
	}
}

// TestCodeStatsPendingBound: a flood of unclicked redemptions of a link
// code within Settle keeps at most maxPending pending (the oldest settle
// early), and the stored value stays decodable.
func TestCodeStatsPendingBound(t *testing.T) {
	var cfg LeakConfig
	cfg.EnsureDefaults()
	var s CodeStats
	for i := range 3 * maxPending {
		s.Observe(Redemption{Code: "C", RequiresClick: true, Order: OrderRef{OccurredAt: t0.Add(time.Duration(i) * time.Second)}}, cfg, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if len(s.Pending) != maxPending {
		t.Fatalf("%d pending, want %d", len(s.Pending), maxPending)
	}
	if want := t0.Add(time.Duration(2*maxPending) * time.Millisecond).UnixMilli(); s.Pending[0].Seen != want {
		t.Fatalf("oldest pending seen at %d, want %d", s.Pending[0].Seen, want)
	}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnmarshalCodeStats(b); err != nil {
		t.Fatal(err)
	}
	// Past Settle, all settle.
	s.Observe(Redemption{Code: "C", AffiliateClicked: true, RequiresClick: true, Order: OrderRef{OccurredAt: t0}}, cfg, t0.Add(time.Hour))
	if len(s.Pending) != 0 {
		t.Fatalf("%d pending after Settle", len(s.Pending))
	}
}

// TestCodeStatsClicked: a correction takes one redemption of its bucket
// off the no-click count, never below zero, and leaves buckets no longer
// kept alone.
func TestCodeStatsClicked(t *testing.T) {
	var cfg LeakConfig
	cfg.EnsureDefaults()
	at := time.Date(2026, 1, 10, 12, 30, 0, 0, time.UTC)
	red := func(min int, clicked bool) Redemption {
		return Redemption{Code: "C", AffiliateID: "a", RequiresClick: true, AffiliateClicked: clicked,
			Order: OrderRef{OrderID: fmt.Sprint("o", min), OccurredAt: at.Add(time.Duration(min) * time.Minute)}}
	}
	var s CodeStats
	s.Observe(red(0, false), cfg, at)
	s.Observe(red(1, false), cfg, at)
	s.Observe(red(2, true), cfg, at)
	s.Clicked(red(0, true), cfg)
	if b := s.Buckets[0]; b.Count != 3 || b.NoClick != 1 || len(s.Pending) != 1 {
		t.Fatalf("after one correction: %+v, %d pending", b, len(s.Pending))
	}
	s.Clicked(red(1, true), cfg)
	s.Clicked(red(2, true), cfg)
	if b := s.Buckets[0]; b.Count != 3 || b.NoClick != 0 || len(s.Pending) != 0 {
		t.Fatalf("corrections past zero: %+v, %d pending", b, len(s.Pending))
	}
	s.Clicked(red(-600, true), cfg) // a bucket never kept
	if len(s.Buckets) != 1 {
		t.Fatalf("a correction made a bucket: %+v", s.Buckets)
	}
}

// TestCodeStatsClickedTakesItsOwnEntry: a correction takes the pending
// entry of its own order, not another one of the same bucket; a
// correction of a redemption that settled lowers the no-click count but
// leaves the others pending; and one of a redemption never counted, in a
// bucket whose no-click redemptions are all pending for other orders,
// changes nothing (the stored value stays valid).
func TestCodeStatsClickedTakesItsOwnEntry(t *testing.T) {
	var cfg LeakConfig
	cfg.EnsureDefaults()
	at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	red := func(id string, min int) Redemption {
		return Redemption{Code: "C", AffiliateID: "a", RequiresClick: true,
			Order: OrderRef{OrderID: id, Platform: "p", StoreID: "s", OccurredAt: at.Add(time.Duration(min) * time.Minute)}}
	}
	var s CodeStats
	s.Observe(red("Y", 1), cfg, at)                             // pending, then settled
	s.Observe(red("X", 2), cfg, at.Add(cfg.Settle+time.Second)) // settles Y; X pending
	if len(s.Pending) != 1 || s.Pending[0].Order != PendingOrder(red("X", 2).Order) {
		t.Fatalf("pending %+v, want X's entry only", s.Pending)
	}
	s.Clicked(red("Y", 1), cfg) // Y settled: its no-click goes, X stays pending
	if b := s.Buckets[0]; b.NoClick != 1 || len(s.Pending) != 1 {
		t.Fatalf("after Y's correction: %+v, %d pending; want no_click 1 and X still pending", b, len(s.Pending))
	}
	s.Clicked(red("Z", 3), cfg) // never counted: X's is the only no-click, and it is pending
	if b := s.Buckets[0]; b.NoClick != 1 || len(s.Pending) != 1 {
		t.Fatalf("after a correction of an order never counted: %+v, %d pending", b, len(s.Pending))
	}
	if _, err := s.Marshal(); err != nil {
		t.Fatal(err)
	}
	s.Clicked(red("X", 2), cfg)
	if b := s.Buckets[0]; b.NoClick != 0 || len(s.Pending) != 0 {
		t.Fatalf("after X's correction: %+v, %d pending", b, len(s.Pending))
	}
}
