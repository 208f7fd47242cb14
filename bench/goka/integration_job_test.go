package goka

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// waitBound bounds each wait of the job tests: HELDSWAY_TEST_WAIT (a Go
// duration), default 90s (Goka's group joins take seconds on a loaded
// machine).
func waitBound(t *testing.T) time.Duration {
	t.Helper()
	if s := os.Getenv("HELDSWAY_TEST_WAIT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HELDSWAY_TEST_WAIT: %v", err)
		}
		return d
	}
	return 90 * time.Second
}

// TestLateClickCorrectsLeakDetector runs the Goka job against the
// embedded broker over TCP: an order with a link partner's code is
// decided before the partner's click reaches the customer-keyed
// processor, so the code-keyed processor's leak detector counts it
// unclicked; the click then revises the order, and the detector's
// no-click count must go down again (a correction, as the processor's
// stages send it), without counting a second use of the code: for a code
// without a usage limit (a Redeemed correction) and for one with a limit
// (the revised candidate's ClickArrived).
func TestLateClickCorrectsLeakDetector(t *testing.T) {
	bound := waitBound(t)
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	conn := kafka.Conn{Brokers: []string{b.Addr()}}
	in, out := mustTopics(t, "gk-in"), mustTopics(t, "gk-out")
	cl, err := conn.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 4*bound)
	defer cancel()
	if _, err := kafka.EnsureTopics(ctx, cl, in, kafka.TopicSpec{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	serde := schemas.NewSerde(schemas.WithTopics(in))
	t0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Minute)
	produce := func(topic, key string, v any, at time.Time) {
		t.Helper()
		val, err := serde.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: val, Timestamp: at}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	ptr := func(s string) *string { return &s }
	limit := int64(10)
	codes := []schemas.Code{
		// Without a usage limit: the customer-keyed processor publishes
		// and sends the code-keyed one a Redeemed, then a correction.
		{EventID: "code-1", Code: "LINK", DisplayCode: "LINK", AffiliateID: "site", DiscountType: "percent", DiscountValue: 10,
			Status: "active", RequiresClick: true, Version: 1, UpdatedAt: t0.Add(-time.Hour)},
		// With one: the code-keyed processor decides both versions; the
		// second carries ClickArrived.
		{EventID: "code-2", Code: "LIMITED", DisplayCode: "LIMITED", AffiliateID: "site", DiscountType: "percent", DiscountValue: 10,
			Status: "active", RequiresClick: true, MaxUses: &limit, Version: 1, UpdatedAt: t0.Add(-time.Hour)},
	}
	for i := range codes {
		produce(in.Codes, codes[i].Code, &codes[i], t0.Add(-time.Hour))
	}

	const group = "gk"
	job := make(chan error, 1)
	jctx, stop := context.WithCancel(ctx)
	go func() {
		job <- Run(jctx, Config{Conn: conn, Inputs: in, Outputs: out, Group: group, StateDir: t.TempDir()})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-job:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("job: %v", err)
			}
		case <-time.After(bound):
			t.Errorf("the job did not stop within %v", bound)
		}
	})

	for i, code := range codes {
		t.Run(code.Code, func(t *testing.T) {
			cust, order := fmt.Sprint("cust-", i), fmt.Sprint("o-", i)
			produce(in.Orders, cust, &schemas.Order{EventID: "order-" + order, OrderID: order, Platform: "shopify", StoreID: "s1", SourceEvent: "orders/create",
				Currency: "USD", Subtotal: 10000, Discount: 1000, Total: 9000, Codes: []schemas.AppliedCode{{Code: code.Code, Amount: 1000}},
				OccurredAt: t0, ReceivedAt: t0}, t0)
			// The order is decided (version 1, unclicked) before the click is
			// produced: the customer-keyed processor reads clicks and orders from
			// two topics, so only this wait orders them.
			version := func(v int32) func(_, val []byte) bool {
				return func(_, val []byte) bool {
					var a schemas.Attribution
					return serde.Decode(val, &a) == nil && a.OrderID == order && a.Version == v
				}
			}
			if waitRecord(t, conn, out.Attributions, bound, version(1)) == nil {
				t.Fatalf("no version 1 attribution within %v", bound)
			}
			produce(in.Clicks, cust, &schemas.Click{EventID: "click-" + order, ClickID: "k-" + order, VisitorID: "v-" + order, Code: ptr(code.Code), AffiliateID: ptr("site"),
				Source: "redirect", OccurredAt: t0.Add(-time.Minute), ReceivedAt: t0.Add(-time.Minute)}, t0.Add(time.Second))
			if waitRecord(t, conn, out.Attributions, bound, version(2)) == nil {
				t.Fatalf("the late click published no version 2 within %v", bound)
			}

			// The code table's latest value: one use, one redemption, none of it
			// unclicked any more.
			var last *codeValue
			waitRecord(t, conn, group+"-redeem-table", bound, func(key, v []byte) bool {
				if string(key) != "code/"+code.Code {
					return false
				}
				d, err := codeCodec{}.Decode(v)
				if err != nil {
					t.Fatalf("decoding the code table: %v", err)
				}
				last = d.(*codeValue)
				return len(last.stats.Buckets) == 1 && last.stats.Buckets[0].NoClick == 0
			})
			if last == nil || len(last.stats.Buckets) != 1 {
				t.Fatalf("code table %+v: want one bucket", last)
			}
			if bk := last.stats.Buckets[0]; bk.Count != 1 || bk.NoClick != 0 || last.counter.Uses != 1 || len(last.stats.Pending) != 0 {
				t.Fatalf("leak detector bucket %+v, %d pending, uses %d: want 1 redemption, 0 without a click, none pending, 1 use (the late click's correction)",
					bk, len(last.stats.Pending), last.counter.Uses)
			}
		})
	}
}

// waitRecord reads topic from the start until a record's key and value
// satisfy match or bound passes, and returns that value (nil when none did).
func waitRecord(t *testing.T, conn kafka.Conn, topic string, bound time.Duration, match func(key, value []byte) bool) []byte {
	t.Helper()
	cl, err := conn.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		var found []byte
		fs.EachRecord(func(r *kgo.Record) {
			if found == nil && r.Value != nil && match(r.Key, r.Value) {
				found = r.Value
			}
		})
		if found != nil {
			return found
		}
	}
	return nil
}
