package attribution_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// The payloads below hold the fields the connectors map, laid out as the
// fixtures the connectors' own tests use (connectors/*/testdata).

const connVisitor = "vabcdefghijklmnopqrstuvwxyz"

type noLookups struct{}

func (noLookups) Code(context.Context, string, string) (string, error) {
	return "", fmt.Errorf("no lookup expected")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stripeInvoicePaid is invoice.paid for invoice n of subscription sub_1,
// created at at, for billing_reason reason.
func stripeInvoicePaid(t *testing.T, n int, reason string, at time.Time) []byte {
	return mustJSON(t, map[string]any{
		"id": fmt.Sprint("evt_", n), "object": "event", "type": "invoice.paid", "created": at.Unix(),
		"data": map[string]any{"object": map[string]any{
			"id": fmt.Sprint("in_", n), "object": "invoice", "billing_reason": reason, "status": "paid",
			"created": at.Unix(), "currency": "usd", "customer": "cus_1",
			"subtotal": 1000, "total": 1000, "total_excluding_tax": 1000,
			"parent": map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
				"subscription": "sub_1", "metadata": map[string]any{"heldsway_vid": connVisitor}}},
			"discounts":              []any{map[string]any{"id": "di_1", "object": "discount", "promotion_code": map[string]any{"id": "promo_1", "code": "SUB"}}},
			"total_discount_amounts": []any{map[string]any{"amount": 0, "discount": "di_1"}},
		}},
	})
}

// paddleTransactionCompleted is transaction.completed for transaction n of
// subscription sub_1 with origin, its billing period starting at start.
func paddleTransactionCompleted(t *testing.T, n int, origin string, start, at time.Time) []byte {
	return mustJSON(t, map[string]any{
		"event_id": fmt.Sprint("evt_", n), "event_type": "transaction.completed",
		"occurred_at": at.Format(time.RFC3339Nano), "notification_id": fmt.Sprint("ntf_", n),
		"data": map[string]any{
			"id": fmt.Sprint("txn_", n), "status": "completed", "customer_id": "ctm_1", "currency_code": "USD",
			"origin": origin, "subscription_id": "sub_1", "custom_data": map[string]any{"heldsway_vid": connVisitor},
			"discount_id": "dsc_1", "discount": map[string]any{"id": "dsc_1", "code": "SUB"},
			"billing_period": map[string]any{"starts_at": start.Format(time.RFC3339Nano), "ends_at": start.AddDate(0, 1, 0).Format(time.RFC3339Nano)},
			"details":        map[string]any{"totals": map[string]any{"subtotal": "1000", "discount": "0", "tax": "0", "total": "1000"}},
		},
	})
}

// TestConnectorRenewals: a monthly subscription paid through Stripe or
// Paddle, its payments mapped by the connectors (the first says it is the
// first, the renewals say neither cycle nor start) and decided by stage 1
// with the customer state stored in between, earns for the rule's
// recurring months and then stops with recurring_period_over.
func TestConnectorRenewals(t *testing.T) {
	topics, err := schemas.NewTopics("test")
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	platforms := map[string]webhook.Platform{
		"stripe": stripe.New(stripe.Config{Topics: topics, Hasher: hasher, Promotions: noLookups{}}),
		"paddle": paddle.New(paddle.Config{Topics: topics, Discounts: noLookups{}}),
	}
	// A subscription started on January 31 renews on the last day of the
	// shorter months, as both platforms bill; payment m falls an hour after
	// the m-th anniversary (Paddle bills from the billing period's start,
	// Stripe pays an hour after the invoice is made).
	anniversary := func(m int) time.Time {
		first := time.Date(2026, time.Month(1+m), 1, 9, 30, 0, 0, time.UTC)
		return first.AddDate(0, 0, min(31, first.AddDate(0, 1, -1).Day())-1)
	}
	if anniversary(1).Day() != 28 || anniversary(2).Day() != 31 || anniversary(3).Day() != 30 {
		t.Fatal("anniversaries")
	}
	payAt := func(m int) time.Time { return anniversary(m).Add(time.Hour) }
	bodies := map[string]func(m int) []byte{
		"stripe": func(m int) []byte {
			reason := "subscription_cycle"
			if m == 0 {
				reason = "subscription_create"
			}
			return stripeInvoicePaid(t, m, reason, payAt(m))
		},
		"paddle": func(m int) []byte {
			origin := "subscription_recurring"
			if m == 0 {
				origin = "web"
			}
			return paddleTransactionCompleted(t, m, origin, anniversary(m), payAt(m))
		},
	}
	for _, months := range []int32{0, 1, 3, 12} {
		for name, pl := range platforms {
			t.Run(fmt.Sprintf("%s/%d months", name, months), func(t *testing.T) {
				a := attribution.New(attribution.NewProgram())
				reg := schemas.Code{Code: "SUB", AffiliateID: "aff", Status: "active",
					Commission: &schemas.CommissionRule{Type: "percent", Value: 1000, RecurringMonths: months}}
				lookup := func(c string) (schemas.Code, bool) { return reg, c == reg.Code }
				var state []byte
				var got, want []int64
				for m := range int(months) + 3 {
					at := payAt(m)
					res, err := pl.Parse(webhook.Delivery{Store: webhook.Store{ID: "store"}, Body: bodies[name](m), Now: at.Add(time.Minute)})
					if err != nil || len(res.Events) != 1 {
						t.Fatalf("payment %d: %v, %+v", m, err, res)
					}
					o := *res.Events[0].Value.(*schemas.Order)
					if s := o.Subscription; s == nil || s.ID != "sub_1" || (m == 0) != (s.Cycle == 1) || (m > 0) != (s.StartedAt == nil) {
						t.Fatalf("payment %d: subscription %+v", m, s)
					}
					st, err := attribution.UnmarshalCustomer(state)
					if len(state) == 0 {
						st, err = attribution.Customer{}, nil
					}
					if err != nil {
						t.Fatal(err)
					}
					cand, ok, _ := a.Order(&st, o, lookup, at.Add(2*time.Minute))
					if !ok || cand.WithCode == nil {
						t.Fatalf("payment %d: not decided with its code", m)
					}
					att := cand.WithCode.Attribution
					if over := slices.Contains(att.Reasons, attribution.ReasonRecurringPeriodOver); over != (att.Commission == 0) {
						t.Fatalf("payment %d: commission %d, reasons %v", m, att.Commission, att.Reasons)
					}
					got = append(got, att.Commission)
					if m == 0 || int32(m) < months {
						want = append(want, 100)
					} else {
						want = append(want, 0)
					}
					if state, err = st.Marshal(); err != nil {
						t.Fatal(err)
					}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("commissions %v, want %v", got, want)
				}
			})
		}
	}
}
