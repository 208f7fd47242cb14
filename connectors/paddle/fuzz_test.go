package paddle

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

func FuzzPaddleEvent(f *testing.F) {
	f.Add(notify(f, "transaction.completed", "notification_data.transaction.completed.json", nil))
	f.Add(notify(f, "transaction.completed", "event.transaction.updated_with_discount_id.json", nil))
	f.Add(notify(f, "adjustment.updated", "notification_data.adjustment.created.json", func(d map[string]any) { d["status"] = "approved" }))
	p := newTestPlatform(f, nil)
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
				if v.EventID == "" || v.OrderID == "" || v.Customer.Key == "" || ev.Key != v.Customer.Key || v.Customer.EmailHash != nil {
					t.Fatalf("bad order %+v", v)
				}
				for _, a := range []int64{v.Subtotal, v.Discount, v.Tax, v.Total} {
					if a < 0 || a > money.Max {
						t.Fatalf("amount out of range %+v", v)
					}
				}
			case *schemas.Refund:
				if v.EventID == "" || v.OrderID == "" || v.Amount < 0 || v.Total < 0 {
					t.Fatalf("bad refund %+v", v)
				}
			default:
				t.Fatalf("unexpected value %T", v)
			}
		}
	})
}

func FuzzPaddleSignatureHeader(f *testing.F) {
	b := []byte(`{"event_id":"evt_1"}`)
	good := Sign(testSecret, testNow, b)
	f.Add(good)
	f.Add(good + ";h1=dummy")
	f.Add("ts=1;h1=zz;;=")
	f.Add("h1=" + strings.Repeat("a", 64) + ";ts=99999999999999999999")
	p := newTestPlatform(f, nil)
	want := good[strings.Index(good, "h1="):]
	f.Fuzz(func(t *testing.T, h string) {
		err := p.Verify(testSecret, http.Header{SignatureHeader: {h}}, b, testNow)
		if err == nil {
			if !strings.Contains(strings.ToLower(h), want) {
				t.Fatalf("forged header %q verified", h)
			}
			return
		}
		if !errors.Is(err, hmacsig.ErrSignature) && !errors.Is(err, hmacsig.ErrStale) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
