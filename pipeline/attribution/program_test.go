package attribution

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadExample(t *testing.T) {
	p, err := Load("testdata/program.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Defaults.Rule != CouponPriority || p.Defaults.Window != 720*time.Hour || p.Defaults.Grace != 10*time.Minute ||
		p.Defaults.InjectionThreshold != 10*time.Second || p.Defaults.Leak.FactorPercent != 500 {
		t.Fatalf("defaults: %+v", p.Defaults)
	}
	if s := p.Settings("aff-sarah", "SARAH10"); s.Window != 336*time.Hour || s.Commission.Value != 1500 || s.Rule != CouponPriority {
		t.Fatalf("aff-sarah/SARAH10: %+v", s)
	}
	if s := p.Settings("aff-deals", "LAUNCH"); s.Rule != LastTouch || s.Window != 168*time.Hour || s.Commission.Type != "fixed" {
		t.Fatalf("aff-deals/LAUNCH: %+v", s)
	}
	if p.MaxWindow() != 720*time.Hour {
		t.Fatalf("max window %v", p.MaxWindow())
	}
}

func TestDefaults(t *testing.T) {
	p, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Defaults
	if d.Rule != CouponPriority || d.Window != 720*time.Hour || d.Grace != 10*time.Minute || d.InjectionThreshold != 10*time.Second ||
		d.StuffingSeverity != "review" || d.Commission.Type != "percent" || d.Commission.Value != 0 {
		t.Fatalf("defaults: %+v", d)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"defaults: {rule: best}", `defaults.rule: "best" is not one of`},
		{"defaults: {window: -1h}", "defaults.window: -1h0m0s must be positive"},
		{"defaults: {window: 30d}", "decoding yaml"},
		{"defaults: {grace: 48h}", "defaults.grace"},
		{"defaults: {injection_threshold: 2h}", "defaults.injection_threshold"},
		{"defaults: {commission: {type: bonus}}", `defaults.commission.type: "bonus"`},
		{"defaults: {commission: {type: percent, value: 10001}}", "defaults.commission.value"},
		{"defaults: {commission: {type: fixed, value: 5}}", "defaults.commission.currency"},
		{"defaults: {commission: {type: percent, recurring_months: -1}}", "defaults.commission.recurring_months"},
		{"defaults: {stuffing_severity: block}", "defaults.stuffing_severity"},
		{"defaults: {injection_severity: block}", "defaults.injection_severity"},
		{"defaults: {leak: {bucket: 1ms}}", "defaults.leak.bucket"},
		{"defaults: {leak: {baseline_buckets: -1}}", "defaults.leak.baseline_buckets"},
		{"defaults: {leak: {factor_percent: 50}}", "defaults.leak.factor_percent"},
		{"defaults: {leak: {no_click_ratio_bp: 20000}}", "defaults.leak.no_click_ratio_bp"},
		{"defaults: {leak: {severity: x}}", "defaults.leak.severity"},
		{"affiliates: {aff-1: {window: -1h}}", "affiliates.aff-1.window"},
		{"affiliates: {aff-1: {rule: nope}}", "affiliates.aff-1.rule"},
		{"codes: {save10: {commission: {type: fixed, value: 1}}}", "codes.SAVE10.commission.currency"},
		{"codes: {save10: {}, SAVE10: {}}", "duplicates SAVE10"},
		{"codes: {' ': {}}", "empty code"},
		{"defaults: {rules: split}", "field rules not found"},
		{"affiliates: [1, 2]", "decoding yaml"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalidProgram) {
			t.Errorf("Parse(%q) = %v, want an ErrInvalidProgram containing %q", tc.yaml, err, tc.want)
		}
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}
