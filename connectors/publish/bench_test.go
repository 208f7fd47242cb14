package publish_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// BenchmarkPublishParallel measures events/s acknowledged by the embedded
// broker from 32 concurrent publishers, without and with per-batch fsync.
func BenchmarkPublishParallel(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "nosync"
		if sync {
			name = "fsync"
		}
		b.Run(name, func(b *testing.B) {
			br, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: b.TempDir(), NoSyncWrites: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			topics, _ := schemas.NewTopics("pb")
			cl, _ := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(br.Addr())}, publish.ClientOpts(5*time.Second)...)...)
			defer cl.Close()
			kafka.EnsureTopics(context.Background(), cl, topics, kafka.TopicSpec{Partitions: 4})
			serde := schemas.NewSerde(schemas.WithTopics(topics))
			p := publish.New(cl, serde, publish.Config{})
			o := &schemas.Order{EventID: "e", OrderID: "o", Platform: "api", StoreID: "s", SourceEvent: "x", Currency: "EUR", Subtotal: 1, Total: 1, Customer: schemas.Customer{Key: "k"}, OccurredAt: time.Now(), ReceivedAt: time.Now()}
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if err := p.Publish(context.Background(), publish.Event{Topic: topics.Orders, Key: string(rune('a' + i%26)), Value: o}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
