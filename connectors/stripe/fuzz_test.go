package stripe

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/connectors/hmacsig"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

func FuzzStripeEvent(f *testing.F) {
	f.Add(body(f, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession))
	f.Add(body(f, "invoice.paid", "fixtures3.invoice.json", func(o map[string]any) { o["status"] = "paid" }))
	f.Add(body(f, "charge.refunded", "fixtures3.charge.json", nil))
	f.Add(body(f, "refund.created", "fixtures3.refund.json", func(o map[string]any) { o["status"] = "succeeded" }))
	p := newTestPlatform(f, nil)
	p.cfg.Invoices = fakeInvoices{"di_1": testPromo}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := p.Parse(delivery(b))
		if err != nil {
			if !errors.Is(err, webhook.ErrPayload) && !errors.Is(err, ErrTemporary) {
				t.Fatalf("error wraps neither ErrPayload nor ErrTemporary: %v", err)
			}
			return
		}
		if res.Ignored != "" && len(res.Events) > 0 {
			t.Fatal("ignored with events")
		}
		for _, ev := range res.Events {
			switch v := ev.Value.(type) {
			case *schemas.Order:
				if v.EventID == "" || v.OrderID == "" || v.Customer.Key == "" || ev.Key != v.Customer.Key {
					t.Fatalf("incomplete order %+v", v)
				}
				for _, a := range []int64{v.Subtotal, v.Discount, v.Shipping, v.Total} {
					if a < 0 || a > money.Max {
						t.Fatalf("amount out of range %+v", v)
					}
				}
				for _, c := range v.Codes {
					if c.Code == "" || c.RemoteID == nil {
						t.Fatalf("bad code %+v", c)
					}
				}
			case *schemas.Refund:
				if v.EventID == "" || v.OrderID == "" || v.Amount < 0 || v.Amount > money.Max {
					t.Fatalf("bad refund %+v", v)
				}
			default:
				t.Fatalf("unexpected value %T", v)
			}
		}
	})
}

func FuzzStripeSignatureHeader(f *testing.F) {
	b := []byte(`{"id":"evt_1"}`)
	good := Sign(testSecret, testNow, b)
	f.Add(good)
	f.Add(good + ",v1=" + strings.Repeat("0", 64))
	f.Add("t=1,v1=zz")
	f.Add("t=,v1=,=,,")
	f.Add("v1=" + strings.Repeat("a", 64) + ",t=99999999999999999999")
	p := newTestPlatform(f, nil)
	f.Fuzz(func(t *testing.T, h string) {
		err := p.Verify(testSecret, http.Header{SignatureHeader: {h}}, b, testNow)
		if err == nil {
			// Only the real signature (maybe among others, hex in any
			// case) verifies.
			if !strings.Contains(strings.ToLower(h), good[strings.Index(good, "v1="):]) {
				t.Fatalf("forged header %q verified", h)
			}
			return
		}
		if !errors.Is(err, hmacsig.ErrSignature) && !errors.Is(err, hmacsig.ErrStale) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
