package codesync

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRemoteConformance runs every Remote through the same life cycle
// against its platform's fake: create, find, update, deactivate,
// reactivate, list, delete, and a fixed amount, checking that what the
// store holds always reads back as what Want asked for.
func TestRemoteConformance(t *testing.T) {
	clk := &clock{t: t0}
	for _, p := range newPlatforms(t, clk) {
		t.Run(p.name, func(t *testing.T) {
			ctx, r := ctxT(t), p.remote
			c := testCode("Summer25", rich)
			want, err := r.Want(&c, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, found, err := r.Find(ctx, want.Code); err != nil || found {
				t.Fatalf("Find before create: %v %v", found, err)
			}
			created, err := r.Create(ctx, want, "key-1")
			if err != nil {
				t.Fatal(err)
			}
			have := mustFind(t, r, want.Code)
			if have.ID != created.ID || have.ID == "" {
				t.Fatalf("found id %q, created %q", have.ID, created.ID)
			}
			if d := diff(have, want, t0); len(d) > 0 || !have.Active || have.Unmapped != "" {
				t.Fatalf("after create differs in %v (active %v, unmapped %q):\nhave %+v\nwant %+v", d, have.Active, have.Unmapped, have, want)
			}

			// Discount, limit and expiry change.
			c.DiscountValue, c.MaxUses, c.ValidUntil, c.CouponID = 1500, ptr[int64](50), nil, "percent-15"
			want2, _ := r.Want(&c, t0)
			if len(diff(have, want2, t0)) == 0 {
				t.Fatal("changed code does not differ")
			}
			if _, err := r.Update(ctx, have, want2, "key-2"); err != nil {
				t.Fatal(err)
			}
			have = mustFind(t, r, want.Code)
			if d := diff(have, want2, t0); len(d) > 0 {
				t.Fatalf("after update differs in %v:\nhave %+v\nwant %+v", d, have, want2)
			}

			if _, err := r.Deactivate(ctx, have); err != nil {
				t.Fatal(err)
			}
			have = mustFind(t, r, want.Code)
			if have.Active {
				t.Fatalf("deactivated code is active: %+v", have)
			}
			if _, err := r.Update(ctx, have, want2, "key-3"); err != nil {
				t.Fatal(err)
			}
			have = mustFind(t, r, want.Code)
			if d := diff(have, want2, t0); len(d) > 0 {
				t.Fatalf("after reactivation differs in %v: %+v", d, have)
			}
			if all, active := p.count(want.Code); active != 1 || p.name != "stripe" && all != 1 {
				t.Fatalf("store holds %d codes, %d active", all, active)
			}

			var listed []Coupon
			if err := r.List(ctx, func(cp Coupon) error { listed = append(listed, cp); return nil }); err != nil {
				t.Fatal(err)
			}
			var got *Coupon
			for i := range listed {
				if listed[i].ID == have.ID {
					got = &listed[i]
				}
			}
			if got == nil || len(diff(*got, want2, t0)) > 0 || got.Unmapped != "" {
				t.Fatalf("List gave %+v, want %+v", listed, have)
			}

			// A second create of the same code is refused with the
			// platform's own message (the sync never tries: it looks first).
			if _, err := r.Create(ctx, want2, "key-other"); err == nil || temporary(err) {
				t.Fatalf("duplicate create: %v", err)
			}

			if err := r.Delete(ctx, have); err != nil {
				t.Fatal(err)
			}
			if after, found, err := r.Find(ctx, want.Code); err != nil || found && after.Active {
				t.Fatalf("after delete: %+v %v %v", after, found, err)
			}

			f := testCode("FIVEOFF", fixed)
			fw, _ := r.Want(&f, t0)
			if _, err := r.Create(ctx, fw, "key-5"); err != nil {
				t.Fatal(err)
			}
			if fh := mustFind(t, r, fw.Code); len(diff(fh, fw, t0)) > 0 {
				t.Fatalf("fixed: have %+v want %+v", fh, fw)
			}
		})
	}
}

func mustFind(t *testing.T, r Remote, code string) Coupon {
	t.Helper()
	c, found, err := r.Find(ctxT(t), code)
	if err != nil || !found {
		t.Fatalf("Find %s: %v %v", code, found, err)
	}
	return c
}

// TestRemoteAuth checks that a wrong key is a permanent failure naming the
// platform's answer.
func TestRemoteAuth(t *testing.T) {
	clk := &clock{t: t0}
	ps := newPlatforms(t, clk)
	bad := []Remote{}
	for _, p := range ps {
		var r Remote
		var err error
		base := p.fake.srv.URL
		switch p.name {
		case "shopify":
			r, err = NewShopify(ShopifyConfig{StoreID: "s", BaseURL: base, AccessToken: "wrong"})
		case "woocommerce":
			r, err = NewWooCommerce(WooCommerceConfig{StoreID: "w", BaseURL: base, ConsumerKey: "ck", ConsumerSecret: "wrong"})
		case "stripe":
			r, err = NewStripe(StripeConfig{StoreID: "st", BaseURL: base, SecretKey: "sk_test_wrong"})
		case "paddle":
			r, err = NewPaddle(PaddleConfig{StoreID: "p", BaseURL: base, APIKey: "wrong"})
		}
		if err != nil {
			t.Fatal(err)
		}
		bad = append(bad, r)
	}
	for _, r := range bad {
		_, _, err := r.Find(ctxT(t), "ANY1")
		var ae *APIError
		if !errors.As(err, &ae) || (ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden) || temporary(err) || ae.Message == "" {
			t.Errorf("%s: %v", r.Platform(), err)
		}
	}
}

// TestRemoteRequestShapes checks the bodies the remotes send parse into
// the documented request shapes (the platforms' fixtures).
func TestRemoteRequestShapes(t *testing.T) {
	ps := newPlatforms(t, &clock{t: t0})
	sh := ps[0].remote.(*Shopify)
	body := sh.ruleBody(Coupon{Code: "SUMMERSALE10OFF", Active: true, DiscountType: "fixed", DiscountValue: 1000, Currency: "USD"})
	doc := fixture(t, "shopify", "price_rule_create_fixed_amount.request.json")["price_rule"].(map[string]any)
	for k, v := range doc {
		if k == "starts_at" {
			continue
		}
		if k == "value" { // "-10.00" and the docs' "-10.0" are one amount
			got, _ := strconv.ParseFloat(body[k].(string), 64)
			if docv, _ := strconv.ParseFloat(v.(string), 64); got != docv {
				t.Errorf("shopify price_rule.value = %v, docs send %v", body[k], v)
			}
			continue
		}
		if got := body[k]; got != v {
			t.Errorf("shopify price_rule.%s = %v, docs send %v", k, got, v)
		}
	}
	wo := ps[1].remote.(*WooCommerce)
	wb := wo.body(Coupon{Code: "10OFF", Active: true, DiscountType: "percent", DiscountValue: 1000, MinOrder: ptr[int64](10000), Currency: "USD"})
	wdoc := fixture(t, "woocommerce", "docs_coupon_create.request.json")
	for _, k := range []string{"code", "discount_type", "amount"} {
		if wb[k] != wdoc[k] {
			t.Errorf("woocommerce %s = %v, docs send %v", k, wb[k], wdoc[k])
		}
	}
	if wb["minimum_amount"] != "100.00" {
		t.Errorf("woocommerce minimum_amount %v", wb["minimum_amount"])
	}
	pa := ps[3].remote.(*Paddle)
	pb := pa.body(Coupon{Code: "ABCDE12345", Active: true, DiscountType: "percent", DiscountValue: 1000, MaxUses: ptr[int64](1000), EndsAt: ptr(time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC))})
	pdoc := fixture(t, "paddle", "api_discount_create_full.request.json")
	for _, k := range []string{"type", "amount", "code", "enabled_for_checkout"} {
		if pb[k] != pdoc[k] {
			t.Errorf("paddle %s = %v, docs send %v", k, pb[k], pdoc[k])
		}
	}
	if exp, _ := pdoc["expires_at"].(string); !strings.HasPrefix(exp, "2025-01-01T10:00:00") || pb["expires_at"] != "2025-01-01T10:00:00Z" {
		t.Errorf("paddle expires_at %v (docs %v)", pb["expires_at"], exp)
	}
}

// TestPercentFormats checks basis points render as the platforms write
// percentages.
func TestPercentFormats(t *testing.T) {
	for bp, want := range map[int64]string{1000: "10", 1250: "12.5", 1: "0.01", 10000: "100", 5: "0.05", 1010: "10.1"} {
		if got := bpDecimal(bp); got != want {
			t.Errorf("bpDecimal(%d) = %q, want %q", bp, got, want)
		}
	}
}
