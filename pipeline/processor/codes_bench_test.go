package processor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// benchCodes is the registry size of BenchmarkCodeLookup.
const benchCodes = 20_000

// BenchmarkCodeLookup measures the processor's code lookup (the function
// the attribution rules call for every code of every order) over a
// registry of benchCodes codes loaded from the embedded broker. ns/op is
// a lookup of a code looked up before; first-ns/lookup is the mean of the
// first lookup of each code after the registry loaded.
func BenchmarkCodeLookup(b *testing.B) {
	br, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: b.TempDir(), NoSyncWrites: true})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	topics, _ := schemas.NewTopics("bench")
	serde := schemas.NewSerde(schemas.WithTopics(topics))
	conn := kafka.Conn{Brokers: []string{br.Addr()}}
	cl, err := conn.NewClient(kgo.ProducerLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout(b))
	defer cancel()
	if _, err := kafka.EnsureTopics(ctx, cl, topics, kafka.TopicSpec{Partitions: 4}); err != nil {
		b.Fatal(err)
	}
	names := make([]string, benchCodes)
	recs := make([]*kgo.Record, 0, benchCodes)
	for i := range names {
		max := int64(100)
		c := schemas.Code{
			Code: fmt.Sprintf("CODE%06d", i), DisplayCode: fmt.Sprintf("code%06d", i), CouponID: "launch",
			AffiliateID: fmt.Sprintf("aff-%04d", i%1000), DiscountType: "percent", DiscountValue: 1000,
			Status: "active", Commission: &schemas.CommissionRule{Type: "percent", Value: 500},
			MaxUses: &max, AllowedAffiliates: []string{"aff-0001"}, Version: 1, UpdatedAt: worldStart,
		}
		c.EventID = schemas.ID(c.Code, "1")
		v, err := serde.Encode(&c)
		if err != nil {
			b.Fatal(err)
		}
		names[i] = c.Code
		recs = append(recs, &kgo.Record{Topic: topics.Codes, Key: []byte(c.Code), Value: v})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	p, err := New(Config{Conn: conn, Topics: topics, Serde: serde, StateDir: b.TempDir(), InstanceID: "bench", Logger: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.codes.Run(rctx) }()
	if err := p.codes.WaitCaughtUp(ctx); err != nil {
		b.Fatal(err)
	}
	// Measure lookups alone: the table's reader and the broker stop (the
	// table keeps what it read).
	stop()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	cl.Close()
	br.Close()
	start := time.Now()
	for _, n := range names {
		if _, ok := p.lookup(n); !ok {
			b.Fatalf("code %s not found", n)
		}
	}
	first := time.Since(start)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, ok := p.lookup(names[i%len(names)]); !ok {
			b.Fatal("not found")
		}
		i++
	}
	b.ReportMetric(float64(first.Nanoseconds())/float64(len(names)), "first-ns/lookup")
}
