package codesync

import (
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
)

func TestImport(t *testing.T) {
	h := newHarness(t, nil, testCode("Existing1"))
	shf := shopifyFake(h)
	shf.pageSize = 1 // follow the Link header
	shf.seed(map[string]any{"title": "WELCOME10", "value_type": "percentage", "value": "-10.0", "starts_at": "2026-01-01T00:00:00Z"}, "WELCOME10")
	shf.seed(map[string]any{"title": "SHOES", "value_type": "percentage", "value": "-20.0", "starts_at": "2026-01-01T00:00:00Z", "entitled_product_ids": []any{1.0}, "target_selection": "entitled"}, "SHOES20")
	shf.seed(map[string]any{"title": "BULK", "value_type": "fixed_amount", "value": "-5.0", "starts_at": "2026-01-01T00:00:00Z"}, "BULK1", "BULK2")
	wof := wooFake(h)
	wof.seed(map[string]any{"code": "welcome10", "discount_type": "percent", "amount": "10.00", "minimum_amount": "0.00", "exclude_sale_items": false})
	wof.seed(map[string]any{"code": "freeship", "discount_type": "fixed_cart", "amount": "0.00", "free_shipping": true, "minimum_amount": "0.00", "exclude_sale_items": false})
	wof.seed(map[string]any{"code": "tenoff", "discount_type": "fixed_cart", "amount": "10.00", "minimum_amount": "50.00", "exclude_sale_items": false, "usage_limit": 3.0, "usage_limit_per_user": 1.0, "date_expires_gmt": "2026-12-31T23:59:59"})
	spring := testCode("Spring5", fixed)
	sw, _ := h.ps[2].remote.Want(&spring, t0)
	if _, err := h.ps[2].remote.Create(ctxT(t), sw, "k"); err != nil {
		t.Fatal(err)
	}
	paf := paddleFake(h)
	paf.pageSize = 1
	paf.seed(map[string]any{"code": "PADDLE20", "amount": "20", "recur": false, "restrict_to": nil, "expires_at": nil, "usage_limit": nil, "custom_data": nil})
	paf.seed(map[string]any{"code": "EXISTING1", "amount": "10", "recur": false, "restrict_to": nil, "expires_at": nil, "usage_limit": nil})

	rep, err := h.s.Import(ctxT(t), h.reg, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Listed != 10 || rep.Created != 4 || rep.Linked != 2 || rep.Skipped != 4 || rep.Written != 5 || len(rep.Conflicts) != 0 {
		for _, it := range rep.Items {
			t.Log(it)
		}
		t.Fatalf("report %+v", rep)
	}
	reasons := map[string]string{}
	for _, it := range rep.Items {
		if it.Action == ImportSkipped {
			reasons[it.Code] = it.Reason
		}
	}
	for code, part := range map[string]string{
		"SHOES20":  "entitled_product_ids",
		"BULK1":    "holds 2 codes",
		"FREESHIP": "free_shipping",
	} {
		if !strings.Contains(reasons[code], part) {
			t.Errorf("%s skipped for %q, want %q", code, reasons[code], part)
		}
	}

	w, ok := h.reg.Get("WELCOME10")
	if !ok || w.AffiliateID != DefaultImportAffiliate || w.DiscountValue != 1000 || w.CouponID != "percent-10" || w.Status != registry.StatusActive || len(w.Platforms) != 2 {
		t.Fatalf("WELCOME10 %+v", w)
	}
	for _, p := range w.Platforms {
		if p.Status != registry.SyncSynced || p.RemoteID == nil {
			t.Fatalf("WELCOME10 state %+v", p)
		}
	}
	ten, _ := h.reg.Get("TENOFF")
	if ten.DisplayCode != "tenoff" || ten.DiscountType != registry.Fixed || ten.DiscountValue != 1000 || deref(ten.Currency) != "USD" ||
		deref(ten.MinOrder) != 5000 || deref(ten.MaxUses) != 3 || !ten.OncePerCustomer || ten.ValidUntil == nil || !ten.ValidUntil.Equal(time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Fatalf("TENOFF %+v", ten)
	}
	if s, _ := h.reg.Get("SPRING5"); s.CouponID != "fixed-5.00-usd" || deref(s.Currency) != "USD" {
		t.Fatalf("SPRING5 %+v", s)
	}
	// The registry's EXISTING1 (12.5%) keeps its definition; Paddle's 10%
	// is pending, for the next sync to fix.
	ex, _ := h.reg.Get("EXISTING1")
	if ex.DiscountValue != 1250 || ex.AffiliateID != "aff_1" || h.reg.state(t, "EXISTING1", "paddle").Status != registry.SyncPending {
		t.Fatalf("EXISTING1 %+v", ex)
	}

	// Importing again finds everything known.
	again, err := h.s.Import(ctxT(t), h.reg, ImportOptions{})
	if err != nil || again.Created+again.Linked != 0 || again.Known != 6 {
		t.Fatalf("again: %v %+v", err, again)
	}

	// Syncing the imported codes changes nothing where they came from.
	h.writes()
	rep2 := h.run(t, "WELCOME10", "TENOFF", "PADDLE20", "EXISTING1")
	if err := rep2.Err(); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for _, r := range rep2.Results {
		byKey[r.Code+"/"+r.Platform] = r.Action
	}
	for k, want := range map[string]string{
		"WELCOME10/shopify": ActionUnchanged, "WELCOME10/woocommerce": ActionUnchanged, "WELCOME10/stripe": ActionCreated,
		"TENOFF/woocommerce": ActionUnchanged, "PADDLE20/paddle": ActionUnchanged, "EXISTING1/paddle": ActionUpdated,
	} {
		if byKey[k] != want {
			t.Errorf("%s: %s, want %s", k, byKey[k], want)
		}
	}
}

func shopifyFake(h *harness) *fakeShopify { return fakeOf[*fakeShopify](h, "shopify") }

func wooFake(h *harness) *fakeWoo { return fakeOf[*fakeWoo](h, "woocommerce") }

func paddleFake(h *harness) *fakePaddle { return fakeOf[*fakePaddle](h, "paddle") }

// fakeOf returns the fake of the named platform.
func fakeOf[T any](h *harness, name string) T {
	for _, p := range h.ps {
		if p.name == name {
			return p.full.(T)
		}
	}
	panic(name)
}

// A store coupon whose code HeldSway cannot hold is skipped with the reason
// naming the field, without the package prefix of the error.
func TestImportInvalidCodeReason(t *testing.T) {
	h := newHarness(t, nil)
	wof := wooFake(h)
	wof.seed(map[string]any{"code": "two words", "discount_type": "percent", "amount": "10.00", "minimum_amount": "0.00", "exclude_sale_items": false})
	rep, err := h.s.Import(ctxT(t), h.reg, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, it := range rep.Items {
		if it.Action == ImportSkipped {
			reasons = append(reasons, it.Reason)
		}
	}
	want := `code: invalid code: "two words" contains a space or control character`
	if len(reasons) != 1 || reasons[0] != want {
		t.Fatalf("skipped reasons %q, want [%q]", reasons, want)
	}
}
