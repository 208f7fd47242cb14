package codes

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// testKafka is kfake (franz-go's in-process broker on loopback TCP) with a
// compacted codes topic.
type testKafka struct {
	cluster *kfake.Cluster
	conn    kafka.Conn
	serde   *schemas.Serde
	admin   *kadm.Client
}

var topicSeq atomic.Int64

func newTestKafka(tb testing.TB) *testKafka {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	conn := kafka.Conn{Brokers: c.ListenAddrs()}
	cl, err := conn.NewClient()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cl.Close)
	return &testKafka{cluster: c, conn: conn, serde: schemas.NewSerde(), admin: kadm.NewClient(cl)}
}

// topic creates a new compacted topic with 3 partitions.
func (k *testKafka) topic(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("hs.codes.%d.v1", topicSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := k.admin.CreateTopic(ctx, 3, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		tb.Fatalf("creating topic: %v", err)
	}
	return name
}

// registry opens a registry on topic and waits for it to catch up.
func (k *testKafka) registry(tb testing.TB, topic string) *Registry {
	tb.Helper()
	r, err := NewRegistry(RegistryConfig{Topic: topic, Serde: k.serde, Conn: k.conn}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.WaitCaughtUp(ctx); err != nil {
		tb.Fatalf("WaitCaughtUp: %v", err)
	}
	return r
}

func (k *testKafka) writer(tb testing.TB, r *Registry, s Syncer) *Writer {
	tb.Helper()
	w, err := NewWriter(r, WriterConfig{Conn: k.conn, Syncer: s}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	return w
}

// endOffsets sums the end offsets of topic.
func (k *testKafka) endOffsets(tb testing.TB, topic string) int64 {
	tb.Helper()
	offs, err := k.admin.ListEndOffsets(context.Background(), topic)
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	offs.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}
