package checkout_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
	"github.com/heldsway/heldsway/schemas"
)

// TestRefundsOfPlatforms feeds every refund source the same two faults
// through its real payload and checks each answers alike, as BuildRefund
// does: an unknown currency is refused with the checkout reason (a
// webhook dead-letters it, the conversion API answers 400 with it), and a
// long reason is published cut to checkout.MaxReason bytes on a rune
// boundary.
func TestRefundsOfPlatforms(t *testing.T) {
	topics, hasher := platformEnv(t, "refunds")
	long := strings.Repeat("é", 600) // 1200 bytes
	// setCurrency sets every currency field of a payload, however nested.
	var setCurrency func(v any, cur string)
	setCurrency = func(v any, cur string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "currency" || k == "currency_code" {
					x[k] = cur
					continue
				}
				setCurrency(e, cur)
			}
		case []any:
			for _, e := range x {
				setCurrency(e, cur)
			}
		}
	}
	type source struct {
		name string
		// parse delivers a refund whose reason is reason and whose every
		// currency field is cur, and returns the refunds published.
		parse func(t *testing.T, reason, cur string) ([]*schemas.Refund, error)
	}
	webhookSource := func(p webhook.Platform, store string, h http.Header, now time.Time, payload func(t *testing.T, reason, cur string) []byte) func(t *testing.T, reason, cur string) ([]*schemas.Refund, error) {
		return func(t *testing.T, reason, cur string) ([]*schemas.Refund, error) {
			res, err := p.Parse(webhook.Delivery{Store: webhook.Store{ID: store}, Header: h, Body: payload(t, reason, cur), Now: now})
			if err != nil {
				if !errors.Is(err, webhook.ErrPayload) {
					t.Fatalf("error %v is not a webhook.ErrPayload: it would not be dead-lettered", err)
				}
				return nil, err
			}
			var out []*schemas.Refund
			for _, ev := range res.Events {
				if rf, ok := ev.Value.(*schemas.Refund); ok {
					if ev.Topic != topics.Refunds {
						t.Fatalf("refund published on %s", ev.Topic)
					}
					out = append(out, rf)
				}
			}
			return out, nil
		}
	}
	stripeRefund := func(t *testing.T, reason, cur string) []byte {
		ev := object(t, fixture(t, "stripe", "fixtures3.event.json"))
		r := object(t, fixture(t, "stripe", "fixtures3.refund.json"))
		r["reason"] = reason
		setCurrency(r, cur)
		ev["type"], ev["data"] = "refund.created", map[string]any{"object": r}
		return encode(t, ev)
	}
	sources := []source{
		{"shopify", webhookSource(shopify.New(shopify.Config{Topics: topics, Hasher: hasher}), "shop.myshopify.com",
			http.Header{"X-Shopify-Topic": {"refunds/create"}, "X-Shopify-Shop-Domain": {"shop.myshopify.com"}},
			time.Date(2025, 4, 2, 17, 38, 15, 0, time.UTC),
			func(t *testing.T, reason, cur string) []byte {
				r := object(t, fixture(t, "shopify", "refund_509562969.rest-2026-07.json"))
				r["note"] = reason
				setCurrency(r, cur)
				return encode(t, r)
			})},
		{"woocommerce", webhookSource(woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher}), "https://shop.example/",
			http.Header{"X-Wc-Webhook-Topic": {"order.updated"}, "X-Wc-Webhook-Source": {"https://shop.example/"}},
			time.Date(2019, 6, 6, 18, 18, 38, 0, time.UTC),
			func(t *testing.T, reason, cur string) []byte {
				o := object(t, fixture(t, "woocommerce", "order_324_partially_refunded.json"))
				for _, r := range o["refunds"].([]any) {
					r.(map[string]any)["reason"] = reason
				}
				setCurrency(o, cur)
				return encode(t, o)
			})},
		{"stripe", webhookSource(stripe.New(stripe.Config{Topics: topics, Promotions: stripe.StaticCodes{}}), "acct_1", nil,
			time.Unix(1234567890, 0).UTC().Add(time.Hour), stripeRefund)},
		{"paddle", webhookSource(paddle.New(paddle.Config{Topics: topics, Discounts: paddle.StaticCodes{}}), "paddle-main", nil,
			time.Date(2024, 4, 15, 9, 48, 20, 0, time.UTC),
			func(t *testing.T, reason, cur string) []byte {
				a := object(t, fixture(t, "paddle", "notification_data.adjustment.created.json"))
				a["status"], a["reason"] = "approved", reason
				setCurrency(a, cur)
				return encode(t, map[string]any{"event_id": "evt_01", "event_type": "adjustment.updated", "occurred_at": "2024-04-15T08:48:20.239695Z", "notification_id": "ntf_01", "data": a})
			})},
		{"conversion API", func(t *testing.T, reason, cur string) ([]*schemas.Refund, error) {
			amt := int64(1200)
			rf, err := (&conversion.RefundRequest{RefundID: "R-7", OrderID: "A-1001", Currency: cur, Amount: &amt, Reason: reason}).ToRefund(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
			if err != nil {
				return nil, err
			}
			return []*schemas.Refund{rf}, nil
		}},
	}
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			rfs, err := s.parse(t, "damaged", "usd")
			if err != nil || len(rfs) == 0 {
				t.Fatalf("control: %d refunds, %v", len(rfs), err)
			}
			for _, rf := range rfs {
				if rf.Currency != "USD" || rf.Reason == nil || *rf.Reason != "damaged" {
					t.Fatalf("control: currency %q reason %v", rf.Currency, rf.Reason)
				}
			}

			t.Run("unknown currency", func(t *testing.T) {
				_, err := s.parse(t, "damaged", "ZZZ")
				if !errors.Is(err, checkout.ErrCheckout) || !strings.Contains(err.Error(), "checkout: invalid checkout: currency: ") {
					t.Fatalf("%v; want the checkout reason", err)
				}
			})
			t.Run("long reason", func(t *testing.T) {
				rfs, err := s.parse(t, long, "usd")
				if s.name == "conversion API" {
					// The API refuses a reason it would cut: its caller can
					// send a shorter one.
					if err == nil || !strings.Contains(err.Error(), "reason: longer than 1024 bytes") {
						t.Fatalf("%v; want it refused", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, rf := range rfs {
					if rf.Reason == nil || *rf.Reason != long[:checkout.MaxReason] {
						t.Fatalf("published as %d bytes, want the first %d", len(deref(rf.Reason)), checkout.MaxReason)
					}
				}
			})
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
