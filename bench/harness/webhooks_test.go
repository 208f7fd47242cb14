package harness

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/bench/world"
	"github.com/heldsway/heldsway/connectors/click"
	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
	"github.com/heldsway/heldsway/schemas"
)

// TestWebhookFeedMapsBack builds the webhook feed of a small world and
// runs every request through the ingest's own verification and mapping,
// in process: each order and refund must come out with the world's
// customer key, order, amounts and code, so that the oracle's truth holds
// for what the ingest publishes.
func TestWebhookFeedMapsBack(t *testing.T) {
	gen, err := world.New(world.Config{Seed: 3, Events: 6000})
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := newHookSecrets()
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]byte(secrets.hashKey))
	if err != nil {
		t.Fatal(err)
	}
	topics, _ := schemas.NewTopics("bench")
	promos, discounts := stripe.StaticCodes{}, paddle.StaticCodes{}
	for _, a := range gen.Affiliates() {
		c := a.Code
		seedPlatformIDs(&c, c.UpdatedAt)
		for _, p := range c.Platforms {
			switch p.Platform {
			case "stripe":
				promos[*p.RemoteID] = c.Code
			case "paddle":
				discounts[*p.RemoteID] = c.Code
			}
		}
	}
	platforms := map[endpoint]webhook.Platform{
		epShopify:     shopify.New(shopify.Config{Topics: topics, Hasher: hasher}),
		epWooCommerce: woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher}),
		epStripe:      stripe.New(stripe.Config{Topics: topics, Hasher: hasher, Promotions: promos}),
		epPaddle:      paddle.New(paddle.Config{Topics: topics, Hasher: hasher, Discounts: discounts}),
	}
	secretOf := map[endpoint]string{epShopify: secrets.shopify, epWooCommerce: secrets.woo, epStripe: secrets.stripe, epPaddle: secrets.paddle}

	feed := newHookFeed(50)
	type want struct {
		order  *schemas.Order
		refund *schemas.Refund
		key    string
		dup    bool
	}
	wants := map[int]want{}
	seen := map[string]bool{}
	clicks := 0
	for e, ok := gen.Next(); ok; e, ok = gen.Next() {
		adaptToWebhooks(e)
		before := len(feed.reqs)
		if err := feed.add(e); err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case world.KindClick:
			clicks++
		case world.KindOrder:
			wants[before] = want{order: e.Order, key: e.Key, dup: seen[e.Order.OrderID]}
			seen[e.Order.OrderID] = true
		case world.KindRefund:
			wants[before] = want{refund: e.Refund}
		}
	}
	if err := feed.endPhase(); err != nil {
		t.Fatal(err)
	}
	if got := feed.events(0, len(feed.reqs)); got != gen.Emitted() {
		t.Fatalf("feed carries %d events, the world %d", got, gen.Emitted())
	}
	s := &hookSender{secrets: secrets, feed: feed}
	now := time.Now().UTC().Truncate(time.Millisecond)
	counts := map[endpoint]int{}
	subs := 0
	gotClicks := 0
	for i, r := range feed.reqs {
		counts[r.ep]++
		body := feed.body(i)
		h := http.Header{}
		s.sign(h, r, body, now)
		var events []any
		switch r.ep {
		case epClicks:
			if h.Get("Authorization") != "Bearer "+secrets.token {
				t.Fatalf("request %d: no bearer token", i)
			}
			var b click.BatchRequest
			if err := edge.DecodeJSON(body, &b); err != nil {
				t.Fatalf("click batch %d: %v", i, err)
			}
			if len(b.Clicks) != int(r.events) || len(b.Clicks) > 50 {
				t.Fatalf("click batch %d: %d clicks, request says %d", i, len(b.Clicks), r.events)
			}
			for _, c := range b.Clicks {
				if !identity.ValidVisitorID(c.VisitorID) || c.AffiliateID == "" || c.OccurredAt == nil {
					t.Fatalf("click batch %d: %+v", i, c)
				}
			}
			gotClicks += len(b.Clicks)
			continue
		case epConversions:
			var req conversion.OrderRequest
			if err := edge.DecodeJSON(body, &req); err != nil {
				t.Fatalf("conversion %d: %v", i, err)
			}
			o, err := req.ToOrder(hasher, now)
			if err != nil {
				t.Fatalf("conversion %d: %v", i, err)
			}
			events = append(events, o)
		case epRefunds:
			var req conversion.RefundRequest
			if err := edge.DecodeJSON(body, &req); err != nil {
				t.Fatalf("refund %d: %v", i, err)
			}
			rf, err := req.ToRefund(now)
			if err != nil {
				t.Fatalf("refund %d: %v", i, err)
			}
			events = append(events, rf)
		default:
			p := platforms[r.ep]
			if err := p.Verify(secretOf[r.ep], h, body, now); err != nil {
				t.Fatalf("%s request %d: %v", endpointNames[r.ep], i, err)
			}
			res, err := p.Parse(webhook.NewDelivery(context.Background(), webhook.Store{ID: hookStore, Secret: secretOf[r.ep]}, h, body, now))
			if err != nil || res.Ignored != "" {
				t.Fatalf("%s request %d: %v %s\n%s", endpointNames[r.ep], i, err, res.Ignored, body)
			}
			for _, ev := range res.Events {
				events = append(events, ev.Value)
			}
		}
		w, ok := wants[i]
		if !ok {
			t.Fatalf("request %d (%s) matches no world order or refund", i, endpointNames[r.ep])
		}
		var order *schemas.Order
		var refund *schemas.Refund
		for _, v := range events {
			switch x := v.(type) {
			case *schemas.Order:
				order = x
			case *schemas.Refund:
				refund = x
			}
		}
		switch {
		case w.order != nil:
			if order == nil {
				t.Fatalf("request %d: no order published", i)
			}
			wo := w.order
			if id := worldOrderID(order.Platform, order.OrderID); id != wo.OrderID {
				t.Fatalf("request %d: order %s/%s maps to %s, want %s", i, order.Platform, order.OrderID, id, wo.OrderID)
			}
			if order.Customer.Key != w.key {
				t.Fatalf("order %s (%s): customer key %q, want %q", wo.OrderID, order.Platform, order.Customer.Key, w.key)
			}
			if order.Customer.EmailHash == nil && order.Platform != "paddle" {
				t.Errorf("order %s (%s): no email hash", wo.OrderID, order.Platform)
			}
			if order.Subtotal != wo.Subtotal || order.Discount != wo.Discount || order.Total != wo.Total || order.Currency != wo.Currency {
				t.Fatalf("order %s (%s): amounts %d-%d=%d %s, want %d-%d=%d %s", wo.OrderID, order.Platform, order.Subtotal, order.Discount, order.Total,
					order.Currency, wo.Subtotal, wo.Discount, wo.Total, wo.Currency)
			}
			if !order.OccurredAt.Equal(wo.OccurredAt) {
				t.Fatalf("order %s (%s): occurred %v, want %v", wo.OrderID, order.Platform, order.OccurredAt, wo.OccurredAt)
			}
			if len(order.Codes) != len(wo.Codes) || len(wo.Codes) == 1 && (order.Codes[0].Code != wo.Codes[0].Code || order.Codes[0].Amount != wo.Codes[0].Amount) {
				t.Fatalf("order %s (%s): codes %+v, want %+v", wo.OrderID, order.Platform, order.Codes, wo.Codes)
			}
			if s := wo.Subscription; s != nil && !w.dup {
				subs++
				if order.Subscription == nil || order.Subscription.Cycle != s.Cycle {
					t.Fatalf("order %s (%s): subscription %+v, want cycle %d", wo.OrderID, order.Platform, order.Subscription, s.Cycle)
				}
			}
			if w.dup != (r.order == 0) {
				t.Fatalf("request %d: first-delivery mark %d, redelivery %v", i, r.order, w.dup)
			}
		case w.refund != nil:
			if refund == nil {
				t.Fatalf("request %d: no refund published", i)
			}
			wr := w.refund
			if id := worldOrderID(refund.Platform, refund.OrderID); id != wr.OrderID {
				t.Fatalf("refund %s: order %s/%s maps to %s", wr.RefundID, refund.Platform, refund.OrderID, id)
			}
			if refund.Amount != wr.Amount || refund.Currency != wr.Currency {
				t.Fatalf("refund %s (%s): amount %d %s, want %d %s", wr.RefundID, refund.Platform, refund.Amount, refund.Currency, wr.Amount, wr.Currency)
			}
		}
	}
	if gotClicks != clicks {
		t.Fatalf("%d clicks in batches, the world has %d", gotClicks, clicks)
	}
	for ep := endpoint(0); ep < numEndpoints; ep++ {
		if counts[ep] == 0 {
			t.Errorf("no request to %s", endpointNames[ep])
		}
	}
	if subs == 0 {
		t.Error("no subscription payment checked")
	}
	t.Logf("requests per endpoint: %v", feed.byEndpoint())
}

func TestWorldOrderID(t *testing.T) {
	for _, c := range []struct{ platform, id, want string }{
		{"api", "o000000042", "o000000042"},
		{"shopify", "5000000000042", "o000000042"},
		{"woocommerce", "42", "o000000042"},
		{"stripe", "pi_3Bench0000000042", "o000000042"},
		{"paddle", "txn_01hsbench00000000000042", "o000000042"},
		{"stripe", "pi_nodigits", "stripe/pi_nodigits"},
	} {
		if got := worldOrderID(c.platform, c.id); got != c.want {
			t.Errorf("worldOrderID(%s, %s) = %s, want %s", c.platform, c.id, got, c.want)
		}
	}
}
