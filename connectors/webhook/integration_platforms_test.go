package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/connectors/click"
	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

const (
	shopifySecret = "shpss_test_secret"
	wooSecret     = "woo-webhook-secret"
	stripeSecret  = "whsec_test_secret"
	paddleSecret  = "pdl_ntfset_test_secret"
)

const (
	// apiToken guards the conversion and click batch APIs.
	apiToken = "campaign-api-token"
	// maxBody is the edge's --max-body-bytes.
	maxBody = 1 << 20
)

// stack is an ingest edge wired as heldsway ingest wires it (the four
// webhook endpoints, the conversion API, click redirects and batches,
// /healthz checking Kafka), publishing to the embedded broker over TCP.
type stack struct {
	base   string
	addr   string
	topics schemas.Topics
	serde  *schemas.Serde
	// now, when set, is the edge's clock; time.Now otherwise.
	now atomic.Pointer[time.Time]
}

// setNow sets the edge's clock. The fixtures are years old and the edge
// refuses event times more than 400 days from its clock, so a test sets it
// near the fixture it sends, as the platform sent it then.
func (s *stack) setNow(t time.Time) { s.now.Store(&t) }

func (s *stack) clock() time.Time {
	if t := s.now.Load(); t != nil {
		return *t
	}
	return time.Now()
}

func newStack(t testing.TB, edits ...func(*edge.Config)) *stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	topics, _ := schemas.NewTopics("wh")
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr())}, publish.ClientOpts(5*time.Second)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	if _, err := kafka.EnsureTopics(ctx, cl, topics, kafka.TopicSpec{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	serde := schemas.NewSerde(schemas.WithTopics(topics))
	pub := publish.New(cl, serde, publish.Config{})
	hasher, _ := identity.NewHasher([]byte("0123456789abcdef-hash"))
	cfg := edge.Config{Addr: "127.0.0.1:0", MaxBodyBytes: maxBody}
	for _, e := range edits {
		e(&cfg)
	}
	srv, err := edge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{addr: b.Addr(), topics: topics, serde: serde}
	srv.AddCheck("kafka", pub.Ping)
	(&conversion.Handlers{Publisher: pub, Hasher: hasher, Topics: topics, Now: st.clock}).Register(srv, apiToken)
	tracker, err := click.New(click.Config{Destinations: map[string]string{"default": "https://shop.example/"}},
		staticCodes{"SARAH10": {Code: "SARAH10", AffiliateID: "aff-sarah"}}, pub, hasher, topics)
	if err != nil {
		t.Fatal(err)
	}
	tracker.SetClock(st.clock)
	tracker.Register(srv, apiToken)
	platforms := []struct {
		p      webhook.Platform
		stores []webhook.Store
	}{
		{shopify.New(shopify.Config{Topics: topics, Hasher: hasher}), []webhook.Store{{ID: "other.myshopify.com", Secret: "wrong"}, {ID: "shop.myshopify.com", Secret: shopifySecret}}},
		{woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher}), []webhook.Store{{ID: "https://shop.example", Secret: wooSecret}}},
		{stripe.New(stripe.Config{Topics: topics, Hasher: hasher, Promotions: stripe.StaticCodes{"promo_spring": "spring10"}}), []webhook.Store{{ID: "acct_1", Secret: stripeSecret}}},
		{paddle.New(paddle.Config{Topics: topics, Hasher: hasher, Discounts: paddle.StaticCodes{}}), []webhook.Store{{ID: "paddle-main", Secret: paddleSecret}}},
	}
	for _, p := range platforms {
		srv.Handle("POST /webhooks/"+p.p.Name(), &webhook.Handler{Platform: p.p, Stores: p.stores, Publisher: pub, DeadLetterTopic: topics.DeadLetter, MaxBodyBytes: maxBody, Now: st.clock})
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	t.Cleanup(func() { stop(); <-done })
	st.base = "http://" + srv.Addr()
	return st
}

// staticCodes is the code registry the click tracker reads.
type staticCodes map[string]schemas.Code

func (c staticCodes) Get(code string) (schemas.Code, bool) { e, ok := c[code]; return e, ok }

func fixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutate decodes a JSON object, applies f and encodes it again.
func mutate(t testing.TB, b []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func b64hmac(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

type delivery struct {
	name string
	// at is the edge's clock when it receives the delivery.
	at     time.Time
	path   string
	body   []byte
	header map[string]string
	status int
}

func (s *stack) post(t testing.TB, d delivery) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+d.path, bytes.NewReader(d.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range d.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Receive times of the fixtures: an hour after each one's own time.
var (
	shopOrderAt  = time.Date(2008, 1, 10, 17, 0, 0, 0, time.UTC)   // order_450789469 created_at 2008-01-10T11:00:00-05:00
	shopRefundAt = time.Date(2025, 4, 2, 17, 38, 15, 0, time.UTC)  // refund_509562969 created_at 2025-04-02T11:38:15-05:00
	wooOrderAt   = time.Date(2018, 4, 4, 0, 5, 14, 0, time.UTC)    // order_963 date_modified_gmt 2018-04-03T23:05:14
	wooRefundAt  = time.Date(2019, 6, 6, 18, 18, 38, 0, time.UTC)  // order_324 date_modified_gmt 2019-06-06T17:18:38
	stripeAt     = time.Unix(1234567890, 0).UTC().Add(time.Hour)   // fixtures3 event created 1234567890
	paddleTxnAt  = time.Date(2024, 4, 12, 11, 18, 49, 0, time.UTC) // occurred_at 2024-04-12T10:18:49.621022Z
	paddleAdjAt  = time.Date(2024, 4, 15, 9, 48, 20, 0, time.UTC)  // occurred_at 2024-04-15T08:48:20.239695Z
)

// deliveries are the real fixtures, each signed with its platform's scheme
// at the time it is received.
func deliveries(t testing.TB) []delivery {
	shopOrder := fixture(t, "../shopify/testdata/order_450789469.rest-2026-07.json")
	shopRefund := fixture(t, "../shopify/testdata/refund_509562969.rest-2026-07.json")
	shop := func(topic string, body []byte) map[string]string {
		return map[string]string{"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": "shop.myshopify.com",
			"X-Shopify-Hmac-Sha256": b64hmac(shopifySecret, body), "X-Shopify-Webhook-Id": "wh-1", "X-Shopify-API-Version": "2026-07"}
	}
	wooOrder := fixture(t, "../woocommerce/testdata/order_963_with_coupon_lines.json")
	wooRefunded := fixture(t, "../woocommerce/testdata/order_324_partially_refunded.json")
	woo := func(topic string, body []byte) map[string]string {
		return map[string]string{"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Source": "https://shop.example/",
			"X-WC-Webhook-Signature": b64hmac(wooSecret, body)}
	}
	session := mutate(t, fixture(t, "../stripe/testdata/fixtures3.checkout.session.json"), func(m map[string]any) {
		m["payment_status"], m["status"], m["currency"] = "paid", "complete", "usd"
		m["amount_subtotal"], m["amount_total"] = 5000, 4500
		m["total_details"] = map[string]any{"amount_discount": 500, "amount_shipping": 0, "amount_tax": 0}
		m["discounts"] = []any{map[string]any{"coupon": "co_1", "promotion_code": "promo_spring"}}
		m["customer_details"] = map[string]any{"email": "Buyer@Example.com"}
	})
	stripeEvent := mutate(t, fixture(t, "../stripe/testdata/fixtures3.event.json"), func(m map[string]any) {
		m["id"], m["type"] = "evt_checkout_1", "checkout.session.completed"
		var obj map[string]any
		_ = json.Unmarshal(session, &obj)
		m["data"] = map[string]any{"object": obj}
	})
	stripeHeader := map[string]string{"Stripe-Signature": stripe.Sign(stripeSecret, stripeAt, stripeEvent)}
	staleHeader := map[string]string{"Stripe-Signature": stripe.Sign(stripeSecret, stripeAt.Add(-time.Hour), stripeEvent)}
	paddleTxn := mutate(t, []byte(`{}`), func(m map[string]any) {
		var data map[string]any
		_ = json.Unmarshal(fixture(t, "../paddle/testdata/notification_data.transaction.completed.json"), &data)
		m["event_id"], m["event_type"], m["occurred_at"], m["notification_id"], m["data"] = "evt_01paddletxn", "transaction.completed", "2024-04-12T10:18:49.621022Z", "ntf_01", data
	})
	paddleAdj := mutate(t, []byte(`{}`), func(m map[string]any) {
		var data map[string]any
		_ = json.Unmarshal(fixture(t, "../paddle/testdata/notification_data.adjustment.created.json"), &data)
		data["status"] = "approved"
		m["event_id"], m["event_type"], m["occurred_at"], m["notification_id"], m["data"] = "evt_01paddleadj", "adjustment.updated", "2024-04-15T08:48:20.239695Z", "ntf_02", data
	})
	return []delivery{
		{"shopify orders/paid", shopOrderAt, "/webhooks/shopify", shopOrder, shop("orders/paid", shopOrder), http.StatusOK},
		{"shopify redelivery", shopOrderAt.Add(time.Hour), "/webhooks/shopify", shopOrder, shop("orders/paid", shopOrder), http.StatusOK},
		{"shopify refunds/create", shopRefundAt, "/webhooks/shopify", shopRefund, shop("refunds/create", shopRefund), http.StatusOK},
		{"shopify tampered", shopOrderAt, "/webhooks/shopify", append([]byte(" "), shopOrder...), shop("orders/paid", shopOrder), http.StatusUnauthorized},
		{"shopify unused topic", shopOrderAt, "/webhooks/shopify", shopOrder, shop("products/update", shopOrder), http.StatusAccepted},
		{"woocommerce order.created", wooOrderAt, "/webhooks/woocommerce", wooOrder, woo("order.created", wooOrder), http.StatusOK},
		{"woocommerce refunds via order.updated", wooRefundAt, "/webhooks/woocommerce", wooRefunded, woo("order.updated", wooRefunded), http.StatusOK},
		{"woocommerce ping", wooOrderAt, "/webhooks/woocommerce", []byte("webhook_id=42"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusOK},
		{"stripe checkout.session.completed", stripeAt, "/webhooks/stripe", stripeEvent, stripeHeader, http.StatusOK},
		{"stripe replay outside tolerance", stripeAt, "/webhooks/stripe", stripeEvent, staleHeader, http.StatusUnauthorized},
		{"paddle transaction.completed", paddleTxnAt, "/webhooks/paddle", paddleTxn, map[string]string{"Paddle-Signature": paddle.Sign(paddleSecret, paddleTxnAt, paddleTxn)}, http.StatusOK},
		{"paddle adjustment approved", paddleAdjAt, "/webhooks/paddle", paddleAdj, map[string]string{"Paddle-Signature": paddle.Sign(paddleSecret, paddleAdjAt, paddleAdj)}, http.StatusOK},
		{"paddle bad signature", paddleAdjAt, "/webhooks/paddle", paddleAdj, map[string]string{"Paddle-Signature": paddle.Sign("wrong", paddleAdjAt, paddleAdj)}, http.StatusUnauthorized},
	}
}

// TestIntegrationFixturesToKafka posts every platform's real payload,
// signed with its scheme, to a running ingest edge and reads the canonical
// Avro events back from Kafka.
func TestIntegrationFixturesToKafka(t *testing.T) {
	s := newStack(t)
	for _, d := range deliveries(t) {
		s.setNow(d.at)
		if got, out := s.post(t, d); got != d.status {
			t.Errorf("%s: status %d (%v), want %d", d.name, got, out, d.status)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := kgo.NewClient(kgo.SeedBrokers(s.addr), kgo.ConsumeTopics(s.topics.Orders, s.topics.Refunds),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	orders := map[string][]*schemas.Order{}
	refunds := map[string][]*schemas.Refund{}
	n := 0
	for n < 9 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d events, orders %v refunds %v", n, keys(orders), keys(refunds))
		}
		for _, r := range fs.Records() {
			v, err := s.serde.DecodeAny(r.Value)
			if err != nil {
				t.Fatalf("undecodable record on %s: %v", r.Topic, err)
			}
			n++
			switch x := v.(type) {
			case *schemas.Order:
				if string(r.Key) != x.Customer.Key {
					t.Errorf("order %s keyed %q, customer key %q", x.OrderID, r.Key, x.Customer.Key)
				}
				orders[x.Platform+"/"+x.OrderID] = append(orders[x.Platform+"/"+x.OrderID], x)
			case *schemas.Refund:
				if want := x.Platform + "/" + x.StoreID + "/" + x.OrderID; string(r.Key) != want {
					t.Errorf("refund %s keyed %q, want %q", x.RefundID, r.Key, want)
				}
				refunds[x.Platform+"/"+x.RefundID] = append(refunds[x.Platform+"/"+x.RefundID], x)
			}
		}
	}
	// Shopify: delivered twice with one event id; TENOFF applied.
	so := orders["shopify/450789469"]
	if len(so) != 2 || so[0].EventID != so[1].EventID {
		t.Fatalf("shopify order: %d events, want the delivery and its redelivery with one event id", len(so))
	}
	if o := so[0]; o.StoreID != "shop.myshopify.com" || o.Currency == "" || len(o.Codes) != 1 || o.Codes[0].Code != "TENOFF" || o.Subtotal <= 0 {
		t.Errorf("shopify order mapped to %+v", o)
	}
	if len(refunds["shopify/509562969"]) != 1 {
		t.Errorf("shopify refund missing: %v", keys(refunds))
	}
	if o := orders["woocommerce/963"]; len(o) != 1 || len(o[0].Codes) != 1 || o[0].Codes[0].Code != "30$OFF" || o[0].Customer.EmailHash == nil {
		t.Errorf("woocommerce order: %+v", o)
	}
	wooRefunds := 0
	for k := range refunds {
		if len(k) > 12 && k[:12] == "woocommerce/" {
			wooRefunds++
		}
	}
	if wooRefunds == 0 {
		t.Errorf("woocommerce refunds from order.updated missing: %v", keys(refunds))
	}
	if o := orders["stripe/pi_1PgafyB7WZ01zgkWSjxsAJo3"]; len(o) != 1 || o[0].Subtotal != 5000 || o[0].Discount != 500 || o[0].Currency != "USD" ||
		len(o[0].Codes) != 1 || o[0].Codes[0].Code != "SPRING10" || o[0].Codes[0].RemoteID == nil || *o[0].Codes[0].RemoteID != "promo_spring" {
		t.Errorf("stripe order: %+v (orders %v)", o, keys(orders))
	}
	if o := orders["paddle/txn_01hv8wptq8987qeep44cyrewp9"]; len(o) != 1 || o[0].Currency != "USD" || o[0].Subscription == nil {
		t.Errorf("paddle order: %+v", o)
	}
	if r := refunds["paddle/adj_01hvgf2s84dr6reszzg29zbvcm"]; len(r) != 1 || r[0].OrderID != "txn_01hvcc93znj3mpqt1tenkjb04y" {
		t.Errorf("paddle refund: %+v (refunds %v)", r, keys(refunds))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// BenchmarkIngestShopifyOrders measures signed Shopify order webhooks per
// second through the HTTP edge into Kafka (acks=all, embedded broker, loopback),
// with parallel clients as a store platform would send them.
func BenchmarkIngestShopifyOrders(b *testing.B) {
	s := newStack(b)
	s.setNow(shopOrderAt)
	base := fixture(b, "../shopify/testdata/order_450789469.rest-2026-07.json")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.SetParallelism(16)
	var seq int64
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			<-mu
			seq++
			id := seq
			mu <- struct{}{}
			body := mutate(b, base, func(m map[string]any) { m["id"] = 1_000_000 + id })
			req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/shopify", bytes.NewReader(body))
			req.Header.Set("X-Shopify-Topic", "orders/paid")
			req.Header.Set("X-Shopify-Shop-Domain", "shop.myshopify.com")
			req.Header.Set("X-Shopify-Hmac-Sha256", b64hmac(shopifySecret, body))
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
