package codeops

import (
	"strings"
	"testing"

	"github.com/heldsway/heldsway/codes/csvfile"
)

// TestTrackingOnlyNotice: codes generate says when its codes give no
// discount (and where they cannot be synced), and only then.
func TestTrackingOnlyNotice(t *testing.T) {
	one, err := csvfile.SheetOf(map[string]string{"affiliate_id": "aff_1", "affiliate_name": "Sarah Lee"})
	if err != nil {
		t.Fatal(err)
	}
	withColumn, err := csvfile.ReadCSV(strings.NewReader("affiliate_id,discount_value\naff_1,10\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		sheet    *csvfile.Sheet
		defaults map[string]string
		notice   bool
	}{
		{"no --discount-value", one, map[string]string{}, true},
		{"--discount-value 10", one, map[string]string{"discount_value": "10"}, false},
		{"a discount_value column", withColumn, map[string]string{}, false},
	} {
		msg := TrackingOnlyNotice(tt.sheet, tt.defaults)
		if (msg != "") != tt.notice || tt.notice && (!strings.Contains(msg, "--discount-value") || !strings.Contains(msg, "Stripe and Paddle")) {
			t.Errorf("%s: notice %q, want one: %v", tt.name, msg, tt.notice)
		}
	}
}
