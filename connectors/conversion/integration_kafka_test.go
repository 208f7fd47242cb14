package conversion

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// TestIntegrationConversionToKafka posts orders and refunds to a real HTTP
// server backed by the embedded broker over TCP and reads the Avro records
// back from Kafka.
func TestIntegrationConversionToKafka(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	topics, _ := schemas.NewTopics("it")
	conn := kafka.Conn{Brokers: []string{b.Addr()}}
	opts, err := conn.Opts()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, publish.ClientOpts(5*time.Second)...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kafka.EnsureTopics(ctx, cl, topics, kafka.TopicSpec{Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	serde := schemas.NewSerde(schemas.WithTopics(topics))
	hasher, _ := identity.NewHasher([]byte("0123456789abcdef0123"))
	srv, err := edge.New(edge.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish.New(cl, serde, publish.Config{})
	srv.AddCheck("kafka", pub.Ping)
	(&Handlers{Publisher: pub, Hasher: hasher, Topics: topics}).Register(srv, "tok")
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	defer func() { stop(); <-done }()
	base := "http://" + srv.Addr()

	post := func(path, body string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	visitor := identity.NewVisitorID()
	order := `{"order_id":"1001","currency":"eur","subtotal":5990,"discount":599,"shipping":490,"codes":["sarah10"],` +
		`"customer":{"email":"Jane@Example.com"},"visitor_id":"` + visitor + `","occurred_at":"2026-11-20T10:00:00Z"}`
	code, out := post("/v1/conversions", order)
	if code != http.StatusAccepted {
		t.Fatalf("conversion: %d %v", code, out)
	}
	// A retry of the same request yields the same event id.
	code, again := post("/v1/conversions", order)
	if code != http.StatusAccepted || again["event_id"] != out["event_id"] {
		t.Fatalf("retry: %d %v, first %v", code, again, out)
	}
	if code, out := post("/v1/refunds", `{"refund_id":"r1","order_id":"1001","currency":"EUR","amount":2000}`); code != http.StatusAccepted {
		t.Fatalf("refund: %d %v", code, out)
	}
	if code, out := post("/v1/conversions", `{"order_id":"1002","currency":"EUR","subtotal":-5}`); code != http.StatusBadRequest || out["error"] == nil {
		t.Fatalf("negative subtotal: %d %v", code, out)
	}

	cons, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topics.Orders, topics.Refunds), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var orders []*schemas.Order
	var refunds []*schemas.Refund
	for len(orders) < 2 || len(refunds) < 1 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d orders, %d refunds before timeout", len(orders), len(refunds))
		}
		for _, r := range fs.Records() {
			v, err := serde.DecodeAny(r.Value)
			if err != nil {
				t.Fatalf("decoding %s record: %v", r.Topic, err)
			}
			switch x := v.(type) {
			case *schemas.Order:
				if string(r.Key) != x.Customer.Key {
					t.Errorf("order key %q, customer key %q", r.Key, x.Customer.Key)
				}
				orders = append(orders, x)
			case *schemas.Refund:
				refunds = append(refunds, x)
			}
		}
	}
	o := orders[0]
	if o.OrderID != "1001" || o.Currency != "EUR" || o.Subtotal != 5990 || o.Discount != 599 || o.Shipping != 490 || o.Total != 5881 {
		t.Errorf("order amounts: %+v", o)
	}
	if len(o.Codes) != 1 || o.Codes[0].Code != "SARAH10" || o.Codes[0].Amount != 599 {
		t.Errorf("codes: %+v", o.Codes)
	}
	if o.Customer.Key != visitor || o.Customer.EmailHash == nil || *o.Customer.EmailHash != hasher.Email("jane@example.com") {
		t.Errorf("customer: %+v", o.Customer)
	}
	if !o.OccurredAt.Equal(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("occurred_at %v", o.OccurredAt)
	}
	if orders[1].EventID != o.EventID {
		t.Errorf("retried order has event id %s, first %s", orders[1].EventID, o.EventID)
	}
	if rf := refunds[0]; rf.OrderID != "1001" || rf.Amount != 2000 || rf.Total != 2000 || rf.Platform != "api" {
		t.Errorf("refund: %+v", rf)
	}
}

// TestIntegrationKafkaDown checks that an unreachable broker gives 503 and
// that healthz reports it.
func TestIntegrationKafkaDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	topics, _ := schemas.NewTopics("down")
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, publish.ClientOpts(2*time.Second)...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kafka.EnsureTopics(ctx, cl, topics, kafka.TopicSpec{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	b.Close() // Kafka goes away.
	hasher, _ := identity.NewHasher([]byte("0123456789abcdef0123"))
	pub := publish.New(cl, schemas.NewSerde(schemas.WithTopics(topics)), publish.Config{Timeout: 2 * time.Second})
	srv, _ := edge.New(edge.Config{Addr: "127.0.0.1:0"})
	srv.AddCheck("kafka", pub.Ping)
	(&Handlers{Publisher: pub, Hasher: hasher, Topics: topics}).Register(srv, "tok")
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(sctx) }()
	defer func() { stop(); <-done }()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+srv.Addr()+"/v1/conversions",
		bytes.NewBufferString(`{"order_id":"1","currency":"USD","subtotal":100}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("with kafka down: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	hz, err := http.Get("http://" + srv.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	hz.Body.Close()
	if hz.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz with kafka down: %d", hz.StatusCode)
	}
}
