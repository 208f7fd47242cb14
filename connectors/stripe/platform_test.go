package stripe

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

func TestCheckoutSession(t *testing.T) {
	h := webhooktest.Hasher(t)
	emailHash := h.Email("example@example.com")
	pi := "pi_1PgafyB7WZ01zgkWSjxsAJo3"
	created := time.Unix(1234567890, 0).UTC()
	want := func(mut func(o *schemas.Order)) *schemas.Order {
		o := &schemas.Order{
			EventID: schemas.ID("stripe", testStore, "order", pi), OrderID: pi,
			Platform: "stripe", StoreID: testStore, SourceEvent: "checkout.session.completed",
			Currency: "EUR", Subtotal: 10000, Discount: 2000, Shipping: 500, Tax: 1180, Total: 9680,
			Codes:      []schemas.AppliedCode{{Code: "FALL20", Amount: 2000, RemoteID: ptr(testPromo)}},
			Customer:   schemas.Customer{Key: testVID, VisitorID: ptr(testVID), EmailHash: &emailHash},
			OccurredAt: created, ReceivedAt: testNow,
		}
		if mut != nil {
			mut(o)
		}
		return o
	}
	tests := []struct {
		name    string
		typ     string
		mutate  func(o map[string]any)
		want    *schemas.Order
		ignored string
	}{
		{"paid with promotion code and visitor", "checkout.session.completed", paidSession, want(nil), ""},
		{"async payment succeeded maps to the same event", "checkout.session.async_payment_succeeded", paidSession,
			want(func(o *schemas.Order) { o.SourceEvent = "checkout.session.async_payment_succeeded" }), ""},
		{"client_reference_id click id", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["metadata"] = map[string]any{}
			o["client_reference_id"] = testCID
			o["customer"] = "cus_1"
		}, want(func(o *schemas.Order) {
			o.Customer.Key, o.Customer.VisitorID, o.Customer.ClickID, o.Customer.CustomerID = testCIDVis, nil, ptr(testCID), ptr("cus_1")
		}), ""},
		{"metadata click id and client_reference_id visitor", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["metadata"] = map[string]any{"heldsway_cid": testCID}
			o["client_reference_id"] = testVID
		}, want(func(o *schemas.Order) { o.Customer.ClickID = ptr(testCID) }), ""},
		{"malformed ids dropped, email key", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["metadata"] = map[string]any{"heldsway_vid": "x", "heldsway_cid": "y.z"}
			o["client_reference_id"] = "cart-42"
		}, want(func(o *schemas.Order) { o.Customer.Key, o.Customer.VisitorID = "e:"+emailHash, nil }), ""},
		{"no ids, no email: order key", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["metadata"] = nil
			o["customer_details"] = nil
		}, want(func(o *schemas.Order) {
			o.Customer = schemas.Customer{Key: "o:stripe/" + testStore + "/" + pi}
		}), ""},
		{"expanded promotion code and breakdown", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["discounts"] = []any{map[string]any{"promotion_code": map[string]any{"id": "promo_x", "code": "summer-10"}}}
			o["total_details"].(map[string]any)["breakdown"] = map[string]any{"discounts": []any{
				map[string]any{"amount": 1500, "discount": map[string]any{"id": "di_1", "promotion_code": "promo_x"}},
				map[string]any{"amount": 500, "discount": map[string]any{"id": "di_2", "promotion_code": nil}},
			}}
		}, want(func(o *schemas.Order) {
			o.Codes = []schemas.AppliedCode{{Code: "SUMMER-10", Amount: 1500, RemoteID: ptr("promo_x")}}
		}), ""},
		{"unknown promotion code keeps the id", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["discounts"] = []any{map[string]any{"promotion_code": "promo_unknown"}}
		}, want(func(o *schemas.Order) {
			o.Codes = []schemas.AppliedCode{{Code: "PROMO_UNKNOWN", Amount: 2000, RemoteID: ptr("promo_unknown")}}
		}), ""},
		{"coupon without promotion code is no code", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["discounts"] = []any{map[string]any{"coupon": "Z4OV52SU", "promotion_code": nil}}
		}, want(func(o *schemas.Order) { o.Codes = nil }), ""},
		{"no payment intent: session id", "checkout.session.completed", func(o map[string]any) {
			paidSession(o)
			o["payment_intent"] = nil
			o["payment_status"] = "no_payment_required"
		}, want(func(o *schemas.Order) {
			id := "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"
			o.OrderID, o.EventID = id, schemas.ID("stripe", testStore, "order", id)
		}), ""},
		{"unpaid waits", "checkout.session.completed", nil, nil, "payment_status unpaid"},
		{"subscription mode", "checkout.session.completed", func(o map[string]any) { paidSession(o); o["mode"] = "subscription" }, nil, "first invoice.paid"},
		{"setup mode", "checkout.session.completed", func(o map[string]any) { o["mode"] = "setup" }, nil, "setup mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPlatform(t, nil)
			res, err := p.Parse(delivery(body(t, tt.typ, "fixtures3.checkout.session.json", tt.mutate)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ignored != "" {
				if !strings.Contains(res.Ignored, tt.ignored) || len(res.Events) != 0 {
					t.Fatalf("got %+v, want ignored %q", res, tt.ignored)
				}
				return
			}
			if len(res.Events) != 1 {
				t.Fatalf("got %d events, ignored %q", len(res.Events), res.Ignored)
			}
			ev := res.Events[0]
			got := ev.Value.(*schemas.Order)
			if ev.Topic != "test.orders.v1" || ev.Key != got.Customer.Key {
				t.Fatalf("topic %q key %q", ev.Topic, ev.Key)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("order\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tt.want))
			}
		})
	}
}

func TestInvoice(t *testing.T) {
	inv := "in_1Pgc6tB7WZ01zgkWu9fdqL6I"
	created := time.Unix(1234567890, 0).UTC()
	paid := func(reason string) func(o map[string]any) {
		return func(o map[string]any) {
			o["status"] = "paid"
			o["billing_reason"] = reason
			o["currency"] = "usd"
			o["subtotal"] = 1000
			o["total"] = 880
			o["total_excluding_tax"] = 800
			o["customer_email"] = nil
			o["parent"] = map[string]any{"type": "subscription_details", "subscription_details": map[string]any{
				"subscription": "sub_1", "metadata": map[string]any{"heldsway_cid": testCID}}}
			o["discounts"] = []any{"di_1", "di_2"}
			o["total_discount_amounts"] = []any{
				map[string]any{"amount": 150, "discount": "di_1"},
				map[string]any{"amount": 50, "discount": "di_2"},
			}
		}
	}
	base := func(mut func(o *schemas.Order)) *schemas.Order {
		o := &schemas.Order{
			EventID: schemas.ID("stripe", testStore, "order", inv), OrderID: inv,
			Platform: "stripe", StoreID: testStore, SourceEvent: "invoice.paid",
			Currency: "USD", Subtotal: 1000, Discount: 200, Tax: 80, Total: 880,
			Codes:        []schemas.AppliedCode{{Code: "FALL20", Amount: 150, RemoteID: ptr(testPromo)}},
			Customer:     schemas.Customer{Key: testCIDVis, ClickID: ptr(testCID), CustomerID: ptr("cus_QXg1o8vcGmoR32")},
			Subscription: &schemas.Subscription{ID: "sub_1", Cycle: 1, StartedAt: &created},
			OccurredAt:   created, ReceivedAt: testNow,
		}
		if mut != nil {
			mut(o)
		}
		return o
	}
	tests := []struct {
		name     string
		file     string
		typ      string
		mutate   func(o map[string]any)
		invoices InvoiceDiscounts
		want     *schemas.Order
		ignored  string
	}{
		{"first invoice, discounts expanded through the API", "fixtures3.invoice.json", "invoice.paid", paid("subscription_create"),
			fakeInvoices{"di_1": testPromo, "di_2": ""}, base(nil), ""},
		{"renewal: unknown cycle", "fixtures3.invoice.json", "invoice.payment_succeeded", paid("subscription_cycle"),
			fakeInvoices{"di_1": testPromo}, base(func(o *schemas.Order) {
				o.SourceEvent = "invoice.payment_succeeded"
				o.Subscription = &schemas.Subscription{ID: "sub_1"}
			}), ""},
		{"expanded discount objects need no lookup", "fixtures3.invoice.json", "invoice.paid", func(o map[string]any) {
			paid("subscription_cycle")(o)
			o["discounts"] = []any{map[string]any{"id": "di_1", "object": "discount", "promotion_code": testPromo}}
			o["customer_email"] = "Jane@Example.com"
		}, nil, base(func(o *schemas.Order) {
			o.Subscription = &schemas.Subscription{ID: "sub_1"}
			o.Customer.EmailHash = ptr(webhooktest.Hasher(t).Email("jane@example.com"))
		}), ""},
		{"no lookup configured: bare discount ids skipped", "fixtures3.invoice.json", "invoice.paid", paid("subscription_cycle"),
			nil, base(func(o *schemas.Order) { o.Codes = nil; o.Subscription = &schemas.Subscription{ID: "sub_1"} }), ""},
		{"legacy subscription field and metadata", "fixtures3.invoice.json", "invoice.paid", func(o map[string]any) {
			paid("subscription_cycle")(o)
			o["parent"] = nil
			o["subscription"] = "sub_legacy"
			o["subscription_details"] = map[string]any{"metadata": map[string]any{"heldsway_vid": testVID}}
			delete(o, "total_excluding_tax")
			o["tax"] = 80
		}, fakeInvoices{"di_1": testPromo}, base(func(o *schemas.Order) {
			o.Subscription = &schemas.Subscription{ID: "sub_legacy"}
			o.Customer.Key, o.Customer.VisitorID, o.Customer.ClickID = testVID, ptr(testVID), nil
		}), ""},
		{"legacy discounts with coupons only", "stripe-java.invoice_with_discount_objects.legacy.json", "invoice.paid", func(o map[string]any) {
			o["subscription"] = "sub_2"
			o["currency"] = "usd"
			o["status"] = "paid"
		}, nil, &schemas.Order{
			EventID: schemas.ID("stripe", testStore, "order", "ii_123"), OrderID: "ii_123", Platform: "stripe", StoreID: testStore,
			SourceEvent: "invoice.paid", Currency: "USD",
			Customer:     schemas.Customer{Key: "p:stripe/" + testStore + "/cus_Hj56dFLtzm170b", CustomerID: ptr("cus_Hj56dFLtzm170b")},
			Subscription: &schemas.Subscription{ID: "sub_2"}, OccurredAt: created, ReceivedAt: testNow,
		}, ""},
		{"manual invoice ignored", "fixtures3.invoice.json", "invoice.paid", func(o map[string]any) { o["parent"] = nil }, nil, nil, "without a subscription"},
		{"draft invoice ignored", "fixtures3.invoice.json", "invoice.paid", nil, nil, nil, "status draft"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPlatform(t, nil)
			p.cfg.Invoices = tt.invoices
			res, err := p.Parse(delivery(body(t, tt.typ, tt.file, tt.mutate)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ignored != "" {
				if !strings.Contains(res.Ignored, tt.ignored) {
					t.Fatalf("got %+v, want ignored %q", res, tt.ignored)
				}
				return
			}
			if len(res.Events) != 1 {
				t.Fatalf("got %d events, ignored %q", len(res.Events), res.Ignored)
			}
			if got := res.Events[0].Value.(*schemas.Order); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("order\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tt.want))
			}
		})
	}
}

func TestRefunds(t *testing.T) {
	re := "re_1Pgc72B7WZ01zgkWqPvrRrPE"
	ch := "ch_1PgafuB7WZ01zgkWXYmPNZs8"
	at := time.Unix(1234567890, 0).UTC()
	refundFix := webhooktest.LoadJSON(t, "fixtures3.refund.json")
	refundFix["status"] = "succeeded"
	refundFix["reason"] = "requested_by_customer"
	want := func(order string, full bool) *schemas.Refund {
		return &schemas.Refund{
			EventID: schemas.ID("stripe", testStore, "refund", order, re), RefundID: re, OrderID: order,
			Platform: "stripe", StoreID: testStore, Currency: "USD", Amount: 100, Total: 100, Full: full,
			Reason: ptr("requested_by_customer"), OccurredAt: at, ReceivedAt: testNow,
		}
	}
	tests := []struct {
		name     string
		typ, obj string
		mutate   func(o map[string]any)
		payments PaymentInvoices
		want     []*schemas.Refund
		ignored  string
		err      error
	}{
		{"charge.refunded with list, payment intent", "charge.refunded", "fixtures3.charge.json", func(o map[string]any) {
			o["payment_intent"] = "pi_1"
			o["amount_captured"] = 100
			o["refunded"] = true
			o["refunds"] = map[string]any{"data": []any{refundFix}}
		}, nil, []*schemas.Refund{want("pi_1", true)}, "", nil},
		{"charge.refunded legacy invoice wins", "charge.refunded", "fixtures3.charge.json", func(o map[string]any) {
			o["payment_intent"] = "pi_1"
			o["invoice"] = "in_1"
			o["amount"] = 300
			o["amount_captured"] = 300
			o["refunds"] = map[string]any{"data": []any{refundFix, map[string]any{"id": "re_pending", "amount": 5, "status": "pending"}}}
		}, nil, []*schemas.Refund{want("in_1", false)}, "", nil},
		{"charge.refunded without pi: charge id", "charge.refunded", "fixtures3.charge.json", func(o map[string]any) {
			o["refunds"] = map[string]any{"data": []any{refundFix}}
		}, nil, []*schemas.Refund{want(ch, true)}, "", nil},
		{"charge.refunded without list", "charge.refunded", "fixtures3.charge.json", nil, nil, nil, "refund.created", nil},
		{"refund.created by payment intent", "refund.created", "fixtures3.refund.json", func(o map[string]any) {
			o["payment_intent"] = "pi_1"
			o["reason"] = "requested_by_customer"
		}, nil, []*schemas.Refund{want("pi_1", false)}, "", nil},
		{"refund.updated linked to its invoice", "refund.updated", "fixtures3.refund.json", func(o map[string]any) {
			o["payment_intent"] = "pi_1"
			o["reason"] = "requested_by_customer"
		}, fakePayments{inv: "in_9"}, []*schemas.Refund{want("in_9", false)}, "", nil},
		{"refund lookup failure is temporary", "refund.created", "fixtures3.refund.json", func(o map[string]any) {
			o["payment_intent"] = "pi_1"
		}, fakePayments{err: errors.New("connection refused")}, nil, "", ErrTemporary},
		{"pending refund waits", "refund.created", "fixtures3.refund.json", func(o map[string]any) { o["status"] = "pending" }, nil, nil, "pending", nil},
		{"bad currency", "refund.created", "fixtures3.refund.json", func(o map[string]any) { o["currency"] = "xx" }, nil, nil, "", webhook.ErrPayload},
		{"negative amount", "refund.created", "fixtures3.refund.json", func(o map[string]any) { o["amount"] = -1 }, nil, nil, "", webhook.ErrPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPlatform(t, nil)
			p.cfg.Payments = tt.payments
			res, err := p.Parse(delivery(body(t, tt.typ, tt.obj, tt.mutate)))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.ignored != "" {
				if !strings.Contains(res.Ignored, tt.ignored) {
					t.Fatalf("got %+v, want ignored %q", res, tt.ignored)
				}
				return
			}
			if len(res.Events) != len(tt.want) {
				t.Fatalf("got %d events, ignored %q", len(res.Events), res.Ignored)
			}
			for i, ev := range res.Events {
				got := ev.Value.(*schemas.Refund)
				if ev.Topic != "test.refunds.v1" || ev.Key != "stripe/"+testStore+"/"+got.OrderID {
					t.Fatalf("topic %q key %q", ev.Topic, ev.Key)
				}
				if !reflect.DeepEqual(got, tt.want[i]) {
					t.Fatalf("refund\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tt.want[i]))
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		promos PromotionCodes
		want   error
	}{
		{"not json", []byte("{"), nil, webhook.ErrPayload},
		{"not an event", []byte(`{"object":"charge","id":"ch_1","type":"x"}`), nil, webhook.ErrPayload},
		{"no data", []byte(`{"id":"evt_1","type":"charge.refunded","created":1}`), nil, webhook.ErrPayload},
		{"wrong object", body(t, "charge.refunded", "fixtures3.refund.json", nil), nil, webhook.ErrPayload},
		{"session without amounts", body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
			paidSession(o)
			o["amount_total"] = nil
		}), nil, webhook.ErrPayload},
		{"session bad currency", body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
			paidSession(o)
			o["currency"] = "zzz"
		}), nil, webhook.ErrPayload},
		{"session huge amount", body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
			paidSession(o)
			o["amount_total"] = int64(1) << 60
		}), nil, webhook.ErrPayload},
		{"metadata not strings", body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
			paidSession(o)
			o["metadata"] = map[string]any{"heldsway_vid": 5}
		}), nil, webhook.ErrPayload},
		{"promotion lookup down", body(t, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession),
			&fakeCodes{err: errors.New("dial tcp: refused")}, ErrTemporary},
		{"chain: one source down, none knows", body(t, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession),
			Chain{&fakeCodes{}, &fakeCodes{err: ErrTemporary}}, ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTestPlatform(t, tt.promos).Parse(delivery(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if tt.want == ErrTemporary && errors.Is(err, webhook.ErrPayload) {
				t.Fatal("a temporary failure must not be a payload error")
			}
		})
	}
}

func TestIgnoredTypes(t *testing.T) {
	p := newTestPlatform(t, nil)
	res, err := p.Parse(delivery(body(t, "plan.created", "fixtures3.event.json", nil)))
	if err != nil || !strings.Contains(res.Ignored, "plan.created") {
		t.Fatalf("got %+v, %v", res, err)
	}
	// The unmodified fixture event is a plan.created.
	b := []byte(`{"id":"evt_1","object":"event","type":"customer.created","created":1,"data":{"object":{}}}`)
	if res, err := p.Parse(delivery(b)); err != nil || res.Ignored == "" {
		t.Fatalf("got %+v, %v", res, err)
	}
}

func TestRedeliverySameEventID(t *testing.T) {
	p := newTestPlatform(t, nil)
	b := body(t, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession)
	d1, d2 := delivery(b), delivery(b)
	d2.Now = testNow.Add(time.Hour)
	r1, err1 := p.Parse(d1)
	r2, err2 := p.Parse(d2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if r1.Events[0].Value.(*schemas.Order).EventID != r2.Events[0].Value.(*schemas.Order).EventID {
		t.Fatal("redelivery changed the event id")
	}
}

// TestEventTimeWindow: the time that becomes occurred_at (the event's
// created for orders, the refund's own created for refunds) must be within
// eventtime's window of the server clock.
func TestEventTimeWindow(t *testing.T) {
	old := testNow.AddDate(0, 0, -401).Unix()
	refundFix := webhooktest.LoadJSON(t, "fixtures3.refund.json")
	refundFix["status"] = "succeeded"
	oldRefund := webhooktest.LoadJSON(t, "fixtures3.refund.json")
	oldRefund["id"], oldRefund["status"], oldRefund["created"] = "re_old", "succeeded", old
	withCreated := func(b []byte, created any) []byte {
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		ev["created"] = created
		out, _ := json.Marshal(ev)
		return out
	}
	session := body(t, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession)
	tests := []struct {
		name    string
		body    []byte
		refunds []string // published refund ids, when no error
		want    string
	}{
		{"order at the clock", withCreated(session, testNow.Unix()), nil, ""},
		{"order 11 minutes ahead", withCreated(session, testNow.Add(11*time.Minute).Unix()), nil,
			"created: 2009-02-14T00:42:30Z is outside [now-400d, now+10m]: more than 10 minutes ahead of the server clock 2009-02-14T00:31:30Z"},
		{"order in 9999", withCreated(session, int64(253402300799)), nil, "created: 9999-12-31T23:59:59Z is outside"},
		{"order in 1970", withCreated(session, 1), nil, "created: 1970-01-01T00:00:01Z is outside [now-400d, now+10m]: more than 400 days before"},
		{"session created used without an event time", withCreated(body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
			paidSession(o)
			o["created"] = old
		}), 0), nil, "data.object.created: 2008-01-10T00:31:30Z is outside"},
		{"refund's own time, not the event's", withCreated(body(t, "refund.created", "fixtures3.refund.json", func(o map[string]any) {
			o["status"], o["created"] = "succeeded", old
		}), testNow.Unix()), nil, "refund created: 2008-01-10T00:31:30Z is outside [now-400d, now+10m]: more than 400 days before"},
		{"refund ahead", body(t, "refund.created", "fixtures3.refund.json", func(o map[string]any) {
			o["status"], o["created"] = "succeeded", testNow.Add(time.Hour).Unix()
		}), nil, "refund created: 2009-02-14T01:31:30Z is outside [now-400d, now+10m]: more than 10 minutes ahead"},
		{"charge.refunded leaves out a refund before the window", body(t, "charge.refunded", "fixtures3.charge.json", func(o map[string]any) {
			o["refunds"] = map[string]any{"data": []any{oldRefund, refundFix}}
		}), []string{"re_1Pgc72B7WZ01zgkWqPvrRrPE"}, ""},
		{"charge.refunded with only refunds before the window", body(t, "charge.refunded", "fixtures3.charge.json", func(o map[string]any) {
			o["refunds"] = map[string]any{"data": []any{oldRefund}}
		}), nil, "refund created: 2008-01-10T00:31:30Z is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newTestPlatform(t, nil).Parse(delivery(tt.body))
			if tt.want != "" {
				if !errors.Is(err, webhook.ErrPayload) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Parse = %+v, %v; want ErrPayload saying %q", res, err, tt.want)
				}
				return
			}
			if err != nil || len(res.Events) == 0 {
				t.Fatalf("Parse = %+v, %v", res, err)
			}
			if tt.refunds != nil {
				var got []string
				for _, ev := range res.Events {
					got = append(got, ev.Value.(*schemas.Refund).RefundID)
				}
				if !reflect.DeepEqual(got, tt.refunds) {
					t.Fatalf("published refunds %v, want %v", got, tt.refunds)
				}
			}
		})
	}
}
