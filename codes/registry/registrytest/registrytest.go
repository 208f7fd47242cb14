// Package registrytest runs a code registry and its writer for tests, over
// real TCP against an in-process kfake cluster (no mocks): a fresh
// compacted codes topic per test, the Registry caught up before it is
// returned, and everything closed by t.Cleanup.
package registrytest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// Kafka is one kfake cluster and an admin client on it.
type Kafka struct {
	Cluster *kfake.Cluster
	Conn    kafka.Conn
	Serde   *schemas.Serde
	Admin   *kadm.Client
}

var topicSeq atomic.Int64

// Wait bounds each wait for the cluster (creating a topic, a registry
// catching up): HELDSWAY_TEST_WAIT, default 30s.
func Wait(tb testing.TB) time.Duration {
	tb.Helper()
	if v := os.Getenv("HELDSWAY_TEST_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			tb.Fatalf("HELDSWAY_TEST_WAIT: %v", err)
		}
		return d
	}
	return 30 * time.Second
}

// New starts a one-broker cluster, closed when tb ends.
func New(tb testing.TB) *Kafka {
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
	return &Kafka{Cluster: c, Conn: conn, Serde: schemas.NewSerde(), Admin: kadm.NewClient(cl)}
}

// Topic creates a new compacted codes topic with 3 partitions.
func (k *Kafka) Topic(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("hs.codes.%d.v1", topicSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), Wait(tb))
	defer cancel()
	resp, err := k.Admin.CreateTopic(ctx, 3, 1, map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		tb.Fatalf("creating topic: %v", err)
	}
	return name
}

// Registry materialises topic and waits until it caught up.
func (k *Kafka) Registry(tb testing.TB, topic string) *registry.Registry {
	tb.Helper()
	r, err := registry.NewRegistry(registry.RegistryConfig{Topic: topic, Serde: k.Serde, Conn: k.Conn})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Close)
	ctx, cancel := context.WithTimeout(context.Background(), Wait(tb))
	defer cancel()
	if err := r.WaitCaughtUp(ctx); err != nil {
		tb.Fatalf("WaitCaughtUp: %v", err)
	}
	return r
}

// Writer writes to r's topic, calling s (nil: no syncer) after each write.
func (k *Kafka) Writer(tb testing.TB, r *registry.Registry, s registry.Syncer) *registry.Writer {
	tb.Helper()
	w, err := registry.NewWriter(r, registry.WriterConfig{Conn: k.Conn, Syncer: s})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	return w
}

// EndOffsets sums the end offsets of topic.
func (k *Kafka) EndOffsets(tb testing.TB, topic string) int64 {
	tb.Helper()
	offs, err := k.Admin.ListEndOffsets(context.Background(), topic)
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	offs.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}
