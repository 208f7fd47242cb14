package fraud

import (
	"testing"
	"time"
)

func TestDetectStuffing(t *testing.T) {
	ref := OrderRef{OrderID: "o", Platform: "p", StoreID: "s", OccurredAt: t0}
	for _, tc := range []struct {
		name     string
		requires bool
		clicks   []time.Duration
		want     bool
	}{
		{"not required", false, nil, false},
		{"no click", true, nil, true},
		{"click in window", true, []time.Duration{-time.Hour}, false},
		{"click at window edge", true, []time.Duration{-720 * time.Hour}, false},
		{"click before window", true, []time.Duration{-721 * time.Hour}, true},
		{"click after order", true, []time.Duration{time.Second}, true},
		{"one good of several", true, []time.Duration{time.Second, -721 * time.Hour, -time.Minute}, false},
	} {
		var ts []time.Time
		for _, d := range tc.clicks {
			ts = append(ts, t0.Add(d))
		}
		f, got := DetectStuffing(StuffingInput{Order: ref, Code: "C", AffiliateID: "a", RequiresClick: tc.requires, Window: 720 * time.Hour, AffiliateClicks: ts}, SeverityReview, t0)
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		if got && (f.Type != TypeCodeWithoutClick || f.EventID != OrderFlagID(ref, TypeCodeWithoutClick) || *f.Code != "C") {
			t.Errorf("%s: flag %+v", tc.name, f)
		}
	}
}

func TestDetectInjection(t *testing.T) {
	ref := OrderRef{OrderID: "o", OccurredAt: t0}
	for _, tc := range []struct {
		name string
		gap  time.Duration
		page string
		want string // why, or "" for no flag
	}{
		{"just under threshold", 9999 * time.Millisecond, "", "too_close_to_checkout"},
		{"at threshold", 10 * time.Second, "", ""},
		{"long before", time.Hour, "product", ""},
		{"cart page", time.Hour, "cart", "page_type"},
		{"checkout page", time.Hour, "checkout", "page_type"},
	} {
		f, ok := DetectInjection(InjectionInput{Order: ref, CheckoutAt: t0, ClickID: "k", AffiliateID: "a", ClickAt: t0.Add(-tc.gap), PageType: tc.page}, 10*time.Second, SeverityReject, t0)
		if ok != (tc.want != "") || (ok && (f.Evidence["why"] != tc.want || f.Severity != SeverityReject)) {
			t.Errorf("%s: got %v %+v", tc.name, ok, f)
		}
	}
}
