package checkout

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

func validRefund() Refund {
	return Refund{
		Platform: "acme", Store: "s1", OrderID: "o/1", RefundID: "r/1", Currency: " eur",
		Amount: 900, Total: 1200, Reason: "damaged",
		OccurredAt: testAt, ReceivedAt: testAt.Add(time.Second),
	}
}

func TestBuildRefundRefuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Refund)
		want string
	}{
		{"no platform", func(r *Refund) { r.Platform = "" }, "platform, order id and refund id are required"},
		{"no order id", func(r *Refund) { r.OrderID = "" }, "platform, order id and refund id are required"},
		{"no refund id", func(r *Refund) { r.RefundID = "" }, "platform, order id and refund id are required"},
		{"no currency", func(r *Refund) { r.Currency = "" }, "currency: "},
		{"two-letter currency", func(r *Refund) { r.Currency = "EU" }, "currency: "},
		{"unknown currency", func(r *Refund) { r.Currency = "ZZZ" }, "currency: "},
		{"negative amount", func(r *Refund) { r.Amount = -1 }, "amount -1 is out of range"},
		{"amount above max", func(r *Refund) { r.Amount = money.Max + 1 }, "amount 1000000000000001 is out of range"},
		{"negative total", func(r *Refund) { r.Total = -1 }, "total -1 is out of range"},
		{"total above max", func(r *Refund) { r.Total = money.Max + 1 }, "total 1000000000000001 is out of range"},
		{"no time", func(r *Refund) { r.OccurredAt = time.Time{} }, "the refund's time is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := validRefund()
			tt.edit(&r)
			rf, err := BuildRefund(r)
			if !errors.Is(err, ErrCheckout) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("BuildRefund: %v, %+v; want an ErrCheckout containing %q", err, rf, tt.want)
			}
			if strings.HasPrefix(tt.want, "currency") && !errors.Is(err, money.ErrCurrency) {
				t.Fatalf("BuildRefund: %v does not wrap money.ErrCurrency", err)
			}
		})
	}
}

func TestBuildRefund(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	key := "ck_1"
	for _, tt := range []struct {
		name string
		edit func(*Refund)
		want func(*schemas.Refund)
	}{
		{"as given, currency normalised", nil, nil},
		{"bounds are allowed", func(r *Refund) { r.Amount, r.Total = 0, money.Max }, func(w *schemas.Refund) { w.Amount, w.Total = 0, money.Max }},
		{"full refund", func(r *Refund) { r.Full = true }, func(w *schemas.Refund) { w.Full = true }},
		{"no reason is null", func(r *Refund) { r.Reason = "" }, func(w *schemas.Refund) { w.Reason = nil }},
		{"long reason cut on a rune boundary", func(r *Refund) { r.Reason = long }, func(w *schemas.Refund) { w.Reason = Optional(long[:MaxReason]) }},
		{"reason cut inside a rune", func(r *Refund) { r.Reason = "a" + long }, func(w *schemas.Refund) { w.Reason = Optional("a" + long[:MaxReason-2]) }},
		{"customer key", func(r *Refund) { r.CustomerKey = key }, func(w *schemas.Refund) { w.CustomerKey = &key }},
		{"pre-shared layout", func(r *Refund) { r.Platform = "woocommerce" }, func(w *schemas.Refund) {
			w.Platform, w.EventID = "woocommerce", schemas.ID("woocommerce", "s1", "refund", "r/1")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := validRefund()
			if tt.edit != nil {
				tt.edit(&r)
			}
			want := &schemas.Refund{
				EventID: schemas.ID("acme", "s1", "refund", "o/1", "r/1"), RefundID: "r/1", OrderID: "o/1", Platform: "acme", StoreID: "s1",
				Currency: "EUR", Amount: 900, Total: 1200, Reason: Optional("damaged"),
				OccurredAt: testAt, ReceivedAt: testAt.Add(time.Second),
			}
			if tt.want != nil {
				tt.want(want)
			}
			got, err := BuildRefund(r)
			if err != nil {
				t.Fatal(err)
			}
			if got.Reason != nil && (!utf8.ValidString(*got.Reason) || len(*got.Reason) > MaxReason) {
				t.Errorf("reason of %d bytes, valid UTF-8 %v", len(*got.Reason), utf8.ValidString(*got.Reason))
			}
			jsonEqual(t, got, want)
		})
	}
}

func TestCurrency(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		exp  int
		ok   bool
	}{
		{"usd", "USD", 2, true},
		{" JPY ", "JPY", 0, true},
		{"KWD", "KWD", 3, true},
		{"", "", 0, false},
		{"US", "", 0, false},
		{"ZZZ", "", 0, false},
	} {
		cur, exp, err := Currency(tt.in)
		if ok := err == nil; ok != tt.ok || cur != tt.want || exp != tt.exp {
			t.Errorf("Currency(%q) = %q, %d, %v; want %q, %d, ok %v", tt.in, cur, exp, err, tt.want, tt.exp, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrCheckout) || !errors.Is(err, money.ErrCurrency)) {
			t.Errorf("Currency(%q): %v wraps neither ErrCheckout nor money.ErrCurrency", tt.in, err)
		}
	}
}

// FuzzBuildRefund checks what BuildRefund accepts is a refund downstream
// can take: ids present, an upper-case currency, amounts in bounds, a
// reason of at most MaxReason bytes that is valid UTF-8 when given so.
func FuzzBuildRefund(f *testing.F) {
	f.Add("acme", "o", "r", "eur", int64(1), int64(2), "why", int64(testAt.Unix()))
	f.Add("shopify", "", "r", "USD", int64(-1), money.Max, strings.Repeat("é", 600), int64(0))
	f.Fuzz(func(t *testing.T, platform, order, refund, cur string, amount, total int64, reason string, at int64) {
		r := Refund{Platform: platform, OrderID: order, RefundID: refund, Currency: cur, Amount: amount, Total: total, Reason: reason}
		if at != 0 {
			r.OccurredAt = time.Unix(at, 0)
		}
		rf, err := BuildRefund(r)
		if err != nil {
			if !errors.Is(err, ErrCheckout) {
				t.Fatalf("error %v does not wrap ErrCheckout", err)
			}
			return
		}
		if rf.EventID == "" || rf.OrderID == "" || rf.RefundID == "" || rf.Platform == "" || len(rf.Currency) != 3 ||
			strings.ToUpper(rf.Currency) != rf.Currency || rf.Amount < 0 || rf.Amount > money.Max || rf.Total < 0 || rf.Total > money.Max {
			t.Fatalf("accepted %+v", rf)
		}
		if rf.Reason != nil {
			if len(*rf.Reason) > MaxReason || !strings.HasPrefix(reason, *rf.Reason) || (utf8.ValidString(reason) && !utf8.ValidString(*rf.Reason)) {
				t.Fatalf("reason %q from %q", *rf.Reason, reason)
			}
		}
	})
}

// jsonEqual compares got and want through their JSON forms, which
// dereference pointers and make a failure readable.
func jsonEqual(t *testing.T, got, want any) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	if string(g) != string(w) {
		t.Fatalf("got\n%s\nwant\n%s", g, w)
	}
}
