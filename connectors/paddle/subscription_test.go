package paddle

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestTransactionSubscription: the documented transactions say which
// payment is a subscription's first (origin web or api) and which are not
// (subscription_recurring); only the first carries a cycle and a start.
func TestTransactionSubscription(t *testing.T) {
	webStart := time.Date(2024, 4, 12, 10, 18, 47, 635628000, time.UTC)
	apiStart := time.Date(2023, 11, 7, 15, 45, 40, 606000000, time.UTC)
	completed := func(d map[string]any) { d["status"] = "completed" }
	origin := func(o string) func(d map[string]any) { return func(d map[string]any) { d["origin"] = o } }
	for _, tc := range []struct {
		name   string
		file   string
		mutate func(d map[string]any)
		want   *schemas.Subscription
	}{
		{"checkout (web): first payment", "notification_data.transaction.completed.json", nil,
			&schemas.Subscription{ID: "sub_01hv8x29kz0t586xy6zn1a62ny", Cycle: 1, StartedAt: &webStart}},
		{"API transaction: first payment", "api_transaction_get_include_discount.response.json", completed,
			&schemas.Subscription{ID: "sub_01hen7byqyfeh7d0cw0qg8tphh", Cycle: 1, StartedAt: &apiStart}},
		{"renewal", "event.transaction.completed.json", nil,
			&schemas.Subscription{ID: "sub_01hszn787vc5vkkdah3rtd4nft"}},
		{"renewal with a discount", "event.transaction.updated_with_discount_id.json", nil,
			&schemas.Subscription{ID: "sub_01hszn67g1m6xsmv62fdypf6t3"}},
		{"subscription update", "event.transaction.completed.json", origin("subscription_update"),
			&schemas.Subscription{ID: "sub_01hszn787vc5vkkdah3rtd4nft"}},
		{"one-time charge", "event.transaction.completed.json", origin("subscription_charge"),
			&schemas.Subscription{ID: "sub_01hszn787vc5vkkdah3rtd4nft"}},
		{"an origin Paddle may add", "event.transaction.completed.json", origin("subscription_something_new"),
			&schemas.Subscription{ID: "sub_01hszn787vc5vkkdah3rtd4nft"}},
		{"renewal with a billing period says no start", "event.transaction.completed.json", func(d map[string]any) {
			d["billing_period"] = map[string]any{"starts_at": "2024-05-27T09:52:50.189382Z"}
		}, &schemas.Subscription{ID: "sub_01hszn787vc5vkkdah3rtd4nft"}},
		{"first payment without a billing period", "notification_data.transaction.completed.json", func(d map[string]any) {
			d["billing_period"] = nil
		}, &schemas.Subscription{ID: "sub_01hv8x29kz0t586xy6zn1a62ny", Cycle: 1}},
		{"first payment, billing period start not a time", "notification_data.transaction.completed.json", func(d map[string]any) {
			d["billing_period"] = map[string]any{"starts_at": "soon"}
		}, &schemas.Subscription{ID: "sub_01hv8x29kz0t586xy6zn1a62ny", Cycle: 1}},
		{"first payment, billing period start out of range", "notification_data.transaction.completed.json", func(d map[string]any) {
			d["billing_period"] = map[string]any{"starts_at": "2099-01-01T00:00:00Z"}
		}, &schemas.Subscription{ID: "sub_01hv8x29kz0t586xy6zn1a62ny", Cycle: 1}},
		{"one-off checkout", "notification_data.transaction.completed.json", func(d map[string]any) {
			d["subscription_id"] = nil
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := newTestPlatform(t, nil).Parse(delivery(notify(t, "transaction.completed", tc.file, tc.mutate)))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Events) != 1 {
				t.Fatalf("got %d events, ignored %q", len(res.Events), res.Ignored)
			}
			if got := res.Events[0].Value.(*schemas.Order).Subscription; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("subscription\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tc.want))
			}
		})
	}
}

// TestSubscriptionOriginWithoutID: a renewal without its subscription id
// would be a one-off order that earns on every renewal; it is refused.
func TestSubscriptionOriginWithoutID(t *testing.T) {
	for _, o := range []string{"subscription_recurring", "subscription_update", "subscription_charge"} {
		body := notify(t, "transaction.completed", "event.transaction.completed.json", func(d map[string]any) {
			d["origin"] = o
			d["subscription_id"] = nil
		})
		if _, err := newTestPlatform(t, nil).Parse(delivery(body)); !errors.Is(err, webhook.ErrPayload) {
			t.Errorf("origin %s without subscription_id: got %v, want ErrPayload", o, err)
		}
	}
}
