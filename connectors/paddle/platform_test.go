package paddle

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

func TestTransactionCompleted(t *testing.T) {
	occurred := time.Date(2024, 5, 27, 9, 55, 6, 825325000, time.UTC)
	tests := []struct {
		name    string
		file    string
		mutate  func(d map[string]any)
		want    *schemas.Order
		ignored string
	}{
		{"documented example, first payment of a subscription", "notification_data.transaction.completed.json", func(d map[string]any) {
			d["custom_data"] = map[string]any{"heldsway_vid": testVID, "heldsway_cid": testCID, "other": 5}
		}, &schemas.Order{
			EventID: schemas.ID("paddle", testStore, "order", "txn_01hv8wptq8987qeep44cyrewp9"), OrderID: "txn_01hv8wptq8987qeep44cyrewp9",
			Platform: "paddle", StoreID: testStore, SourceEvent: "transaction.completed", Currency: "USD",
			Subtotal: 59900, Discount: 0, Tax: 5315, Total: 65215,
			Customer: schemas.Customer{Key: testVID, VisitorID: ptr(testVID), ClickID: ptr(testCID), CustomerID: ptr("ctm_01hv6y1jedq4p1n0yqn5ba3ky4")},
			Subscription: &schemas.Subscription{ID: "sub_01hv8x29kz0t586xy6zn1a62ny", Cycle: 1,
				StartedAt: ptr(time.Date(2024, 4, 12, 10, 18, 47, 635628000, time.UTC))},
			OccurredAt: occurred, ReceivedAt: testNow,
		}, ""},
		{"renewal with a discount resolved through the API", "event.transaction.updated_with_discount_id.json", func(d map[string]any) {
			d["custom_data"] = map[string]any{"heldsway_cid": testCID}
		}, &schemas.Order{
			EventID: schemas.ID("paddle", testStore, "order", "txn_01hywqfervkjg6hkk035wy24gt"), OrderID: "txn_01hywqfervkjg6hkk035wy24gt",
			Platform: "paddle", StoreID: testStore, SourceEvent: "transaction.completed", Currency: "GBP",
			Subtotal: 792, Discount: 792, Tax: 0, Total: 0,
			Codes:        []schemas.AppliedCode{{Code: "ABCDE12345", Amount: 792, RemoteID: ptr("dsc_01hszn66dvmdaatbhxd7fqbht3")}},
			Customer:     schemas.Customer{Key: testCIDVis, ClickID: ptr(testCID), CustomerID: ptr("ctm_01hszn65emk81yejv674418f5t")},
			Subscription: &schemas.Subscription{ID: "sub_01hszn67g1m6xsmv62fdypf6t3"},
			OccurredAt:   occurred, ReceivedAt: testNow,
		}, ""},
		{"embedded discount needs no lookup", "api_transaction_get_include_discount.response.json", func(d map[string]any) {
			d["status"] = "completed"
		}, &schemas.Order{
			EventID: schemas.ID("paddle", testStore, "order", "txn_01hen7bxc1p8ep4yk7n5jbzk9r"), OrderID: "txn_01hen7bxc1p8ep4yk7n5jbzk9r",
			Platform: "paddle", StoreID: testStore, SourceEvent: "transaction.completed", Currency: "GBP",
			Subtotal: 2439, Discount: 10, Tax: 486, Total: 2915,
			Codes:    []schemas.AppliedCode{{Code: "QY3XXXMS3E", Amount: 10, RemoteID: ptr("dsc_01hen7bjzh12m0v2peer15d9qt")}},
			Customer: schemas.Customer{Key: "p:paddle/" + testStore + "/ctm_01he849dseyj0zgrc589eeb1c7", CustomerID: ptr("ctm_01he849dseyj0zgrc589eeb1c7")},
			Subscription: &schemas.Subscription{ID: "sub_01hen7byqyfeh7d0cw0qg8tphh", Cycle: 1,
				StartedAt: ptr(time.Date(2023, 11, 7, 15, 45, 40, 606000000, time.UTC))},
			OccurredAt: occurred, ReceivedAt: testNow,
		}, ""},
		{"unknown discount keeps the id; no subscription", "event.transaction.completed.json", func(d map[string]any) {
			d["discount_id"] = "dsc_unknown"
			d["subscription_id"] = nil
			d["origin"] = "web"
			d["custom_data"] = map[string]any{"heldsway_vid": "not-a-visitor"}
		}, &schemas.Order{
			EventID: schemas.ID("paddle", testStore, "order", "txn_01hywqfe6yxhxcsfb4ays8mqt3"), OrderID: "txn_01hywqfe6yxhxcsfb4ays8mqt3",
			Platform: "paddle", StoreID: testStore, SourceEvent: "transaction.completed", Currency: "GBP",
			Subtotal: 792, Discount: 0, Tax: 158, Total: 950,
			Codes:      []schemas.AppliedCode{{Code: "DSC_UNKNOWN", Amount: 0, RemoteID: ptr("dsc_unknown")}},
			Customer:   schemas.Customer{Key: "p:paddle/" + testStore + "/ctm_01hszn72m8kqyqm8g1jxwxc3t3", CustomerID: ptr("ctm_01hszn72m8kqyqm8g1jxwxc3t3")},
			OccurredAt: occurred, ReceivedAt: testNow,
		}, ""},
		{"discount without a code", "event.transaction.completed.json", func(d map[string]any) {
			d["discount_id"] = "dsc_nocode"
		}, nil, ""},
		{"not completed", "api_transaction_get_include_discount.response.json", nil, nil, "status billed"},
		{"payment method change", "event.transaction.completed.json", func(d map[string]any) { d["origin"] = "subscription_payment_method_change" }, nil, "payment method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newTestPlatform(t, nil).Parse(delivery(notify(t, "transaction.completed", tt.file, tt.mutate)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ignored != "" {
				if !strings.Contains(res.Ignored, tt.ignored) || len(res.Events) > 0 {
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
			if tt.want == nil {
				if len(got.Codes) != 0 {
					t.Fatalf("codes %+v, want none", got.Codes)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("order\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tt.want))
			}
		})
	}
}

func TestAdjustment(t *testing.T) {
	occurred := time.Date(2024, 5, 27, 9, 55, 6, 825325000, time.UTC)
	want := func(full bool) *schemas.Refund {
		return &schemas.Refund{
			EventID:  schemas.ID("paddle", testStore, "refund", "txn_01hvcc93znj3mpqt1tenkjb04y", "adj_01hvgf2s84dr6reszzg29zbvcm"),
			RefundID: "adj_01hvgf2s84dr6reszzg29zbvcm", OrderID: "txn_01hvcc93znj3mpqt1tenkjb04y",
			Platform: "paddle", StoreID: testStore, Currency: "USD", Amount: 92, Total: 100, Full: full,
			Reason: ptr("error"), OccurredAt: occurred, ReceivedAt: testNow,
		}
	}
	tests := []struct {
		name    string
		typ     string
		file    string
		mutate  func(d map[string]any)
		want    *schemas.Refund
		ignored string
		err     error
	}{
		{"approved partial refund", "adjustment.updated", "notification_data.adjustment.created.json",
			func(d map[string]any) { d["status"] = "approved" }, want(false), "", nil},
		{"approved full refund", "adjustment.created", "notification_data.adjustment.created.json",
			func(d map[string]any) { d["status"] = "approved"; d["type"] = "full" }, want(true), "", nil},
		{"pending approval waits", "adjustment.created", "notification_data.adjustment.created.json", nil, nil, "pending_approval", nil},
		{"rejected", "adjustment.updated", "notification_data.adjustment.created.json",
			func(d map[string]any) { d["status"] = "rejected" }, nil, "rejected", nil},
		{"credit is not a refund", "adjustment.created", "api_adjustment.response.json",
			func(d map[string]any) { d["action"] = "credit" }, nil, "credit", nil},
		{"API fixture: approved", "adjustment.updated", "api_adjustment.response.json",
			func(d map[string]any) { d["status"] = "approved" }, &schemas.Refund{
				EventID:  schemas.ID("paddle", testStore, "refund", "txn_01h8bxpvx398a7zbawb77y0kp5", "adj_01h8c65c2ggq5nxswnnwv78e75"),
				RefundID: "adj_01h8c65c2ggq5nxswnnwv78e75", OrderID: "txn_01h8bxpvx398a7zbawb77y0kp5",
				Platform: "paddle", StoreID: testStore, Currency: "USD", Amount: 1886, Total: 100,
				Reason: ptr("error"), OccurredAt: occurred, ReceivedAt: testNow,
			}, "", nil},
		{"no totals", "adjustment.updated", "notification_data.adjustment.created.json",
			func(d map[string]any) { d["status"] = "approved"; d["totals"] = nil }, nil, "", webhook.ErrPayload},
		{"decimal amount", "adjustment.updated", "notification_data.adjustment.created.json",
			func(d map[string]any) {
				d["status"] = "approved"
				d["totals"].(map[string]any)["subtotal"] = "9.20"
			}, nil, "", webhook.ErrPayload},
		{"no transaction", "adjustment.updated", "notification_data.adjustment.created.json",
			func(d map[string]any) { d["status"] = "approved"; d["transaction_id"] = "" }, nil, "", webhook.ErrPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newTestPlatform(t, nil).Parse(delivery(notify(t, tt.typ, tt.file, tt.mutate)))
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
			if len(res.Events) != 1 {
				t.Fatalf("got %d events, ignored %q", len(res.Events), res.Ignored)
			}
			ev := res.Events[0]
			got := ev.Value.(*schemas.Refund)
			if ev.Topic != "test.refunds.v1" || ev.Key != "paddle/"+testStore+"/"+got.OrderID {
				t.Fatalf("topic %q key %q", ev.Topic, ev.Key)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("refund\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tt.want))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	withDiscount := notify(t, "transaction.completed", "event.transaction.updated_with_discount_id.json", nil)
	tests := []struct {
		name string
		body []byte
		d    Discounts
		want error
	}{
		{"not json", []byte("["), nil, webhook.ErrPayload},
		{"no event type", []byte(`{"event_id":"evt_1","data":{}}`), nil, webhook.ErrPayload},
		{"not a transaction", notify(t, "transaction.completed", "notification_data.adjustment.created.json", nil), nil, webhook.ErrPayload},
		{"bad occurred_at", []byte(`{"event_id":"evt_1","event_type":"transaction.completed","occurred_at":"yesterday","data":{"id":"txn_1","status":"completed","currency_code":"USD","details":{"totals":{"subtotal":"1","discount":"0","tax":"0","total":"1"}}}}`), nil, webhook.ErrPayload},
		{"negative total", notify(t, "transaction.completed", "event.transaction.completed.json", func(d map[string]any) {
			d["details"].(map[string]any)["totals"].(map[string]any)["total"] = "-5"
		}), nil, webhook.ErrPayload},
		{"bad currency", notify(t, "transaction.completed", "event.transaction.completed.json", func(d map[string]any) { d["currency_code"] = "GB" }), nil, webhook.ErrPayload},
		{"no totals", notify(t, "transaction.completed", "event.transaction.completed.json", func(d map[string]any) { delete(d, "details") }), nil, webhook.ErrPayload},
		{"discount lookup down", withDiscount, &fakeDiscounts{err: errors.New("connection refused")}, ErrTemporary},
		{"rate limited", withDiscount, &fakeDiscounts{err: &RateLimitError{RetryAfter: time.Second}}, ErrTemporary},
		{"chain: one down, none knows", withDiscount, Chain{StaticCodes{}, &fakeDiscounts{err: ErrTemporary}}, ErrTemporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newTestPlatform(t, tt.d).Parse(delivery(tt.body))
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
	b, _ := os.ReadFile("testdata/signature_vectors/standard_payload.body")
	res, err := newTestPlatform(t, nil).Parse(delivery(b))
	if err != nil || !strings.Contains(res.Ignored, "customer.created") {
		t.Fatalf("got %+v, %v", res, err)
	}
}

// TestEventTimeWindow: occurred_at, the event's own time (an adjustment's,
// not its transaction's), must be within eventtime's window of the server
// clock.
func TestEventTimeWindow(t *testing.T) {
	at := func(typ, file string, occurred string, mutate func(d map[string]any)) []byte {
		var env map[string]any
		if err := json.Unmarshal(notify(t, typ, file, mutate), &env); err != nil {
			t.Fatal(err)
		}
		env["occurred_at"] = occurred
		b, _ := json.Marshal(env)
		return b
	}
	approved := func(d map[string]any) { d["status"] = "approved" }
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"order at the clock", at("transaction.completed", "notification_data.transaction.completed.json", "2024-05-27T10:55:06Z", nil), ""},
		{"order 10 minutes ahead", at("transaction.completed", "notification_data.transaction.completed.json", "2024-05-27T11:05:06Z", nil), ""},
		{"order 11 minutes ahead", at("transaction.completed", "notification_data.transaction.completed.json", "2024-05-27T11:06:06.5Z", nil),
			"occurred_at: 2024-05-27T11:06:06Z is outside [now-400d, now+10m]: more than 10 minutes ahead of the server clock 2024-05-27T10:55:06Z"},
		{"order in 9999", at("transaction.completed", "notification_data.transaction.completed.json", "9999-12-31T23:59:59Z", nil), "more than 10 minutes ahead"},
		{"order in 1970", at("transaction.completed", "notification_data.transaction.completed.json", "1970-01-01T00:00:00Z", nil),
			"occurred_at: 1970-01-01T00:00:00Z is outside [now-400d, now+10m]: more than 400 days before"},
		{"order 401 days back", at("transaction.completed", "notification_data.transaction.completed.json", "2023-04-22T10:55:06Z", nil), "more than 400 days before"},
		{"refund of an old transaction, adjusted now", at("adjustment.updated", "notification_data.adjustment.created.json", "2024-05-27T10:55:06Z", func(d map[string]any) {
			approved(d)
			d["created_at"] = "2021-01-01T00:00:00Z"
		}), ""},
		{"refund 401 days back", at("adjustment.updated", "notification_data.adjustment.created.json", "2023-04-22T10:55:06Z", approved), "occurred_at: 2023-04-22T10:55:06Z is outside"},
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
			if err != nil || len(res.Events) != 1 {
				t.Fatalf("Parse = %+v, %v", res, err)
			}
		})
	}
}
