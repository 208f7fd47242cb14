package webhooktest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// WaitEnv names the environment variable bounding what the suite waits
// for (a Go duration): Kafka acknowledging, a topic being created, the
// records of a case being read back. Default DefaultWait.
const WaitEnv = "HELDSWAY_TEST_WAIT"

// DefaultWait is the bound when WaitEnv is unset: generous, for a loaded
// machine; each wait ends as soon as what it waits for happened.
const DefaultWait = 30 * time.Second

// downTimeout is how long the publisher of the "Kafka down" cases waits
// for an acknowledgement that cannot come.
const downTimeout = time.Second

// waitBound is WaitEnv's duration, or DefaultWait.
func waitBound(t testing.TB) time.Duration {
	t.Helper()
	v := os.Getenv(WaitEnv)
	if v == "" {
		return DefaultWait
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive Go duration", WaitEnv, v)
	}
	return d
}

// cluster is the suite's embedded broker (pipeline/broker, kfake over
// TCP with a data directory) and the publish path production uses: a kgo
// client built with publish.ClientOpts and a publish.Publisher encoding
// Avro with schemas.Serde. One cluster serves a whole Run; every case
// publishes to topics of its own (newTopics), so what a case finds on them
// is what it published.
type cluster struct {
	br    *broker.Broker
	cl    *kgo.Client
	serde *schemas.Serde
	pub   *publish.Publisher
	wait  time.Duration
	cases int
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	wait := waitBound(t)
	br, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true})
	if err != nil {
		t.Fatalf("starting the embedded broker: %v", err)
	}
	t.Cleanup(br.Close)
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(br.Addr())}, publish.ClientOpts(wait)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	serde := schemas.NewSerde()
	return &cluster{
		br: br, cl: cl, serde: serde, wait: wait,
		pub: publish.New(cl, serde, publish.Config{Timeout: wait}),
	}
}

// newTopics returns a topic set no other case uses. With create, its
// orders, refunds and dead-letter topics are created (one partition, so
// records read back in the order they were published); without, none of
// them exists.
func (c *cluster) newTopics(t *testing.T, create bool) schemas.Topics {
	t.Helper()
	c.cases++
	topics, err := schemas.NewTopics(fmt.Sprintf("conformance.case%d", c.cases))
	if err != nil {
		t.Fatal(err)
	}
	if !create {
		return topics
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	want := []kafka.Topic{
		{Name: topics.Orders, Partitions: 1},
		{Name: topics.Refunds, Partitions: 1},
		{Name: topics.DeadLetter, Partitions: 1},
	}
	if _, err := kafka.CreateTopics(ctx, c.cl, want...); err != nil {
		t.Fatalf("creating the case's topics: %v", err)
	}
	return topics
}

// landed reads back every record on the case's orders, refunds and
// dead-letter topics, decoded from Avro, in the order each topic holds
// them (orders, then refunds, then dead letters). The publisher answered
// only once the broker acknowledged, so the topics' end offsets, read
// first, count every record a case published. It reads on a client of its
// own, whose metadata is fresh (a client's cache can hold a topic created
// a moment ago as missing).
func (c *cluster) landed(t *testing.T, topics schemas.Topics) []publish.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	names := []string{topics.Orders, topics.Refunds, topics.DeadLetter}
	// newTopics creates every topic with the one partition 0.
	parts := map[string]map[int32]kgo.Offset{}
	for _, n := range names {
		parts[n] = map[int32]kgo.Offset{0: kgo.NewOffset().AtStart()}
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(c.br.Addr()), kgo.ConsumePartitions(parts))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ends, err := kadm.NewClient(cons).ListEndOffsets(ctx, names...)
	if err != nil {
		t.Fatalf("listing end offsets: %v", err)
	}
	if err := ends.Error(); err != nil {
		t.Fatalf("listing end offsets: %v", err)
	}
	want := map[string]int64{}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Partition != 0 {
			t.Fatalf("topic %s has a partition %d; the case created one", o.Topic, o.Partition)
		}
		want[o.Topic] += o.Offset
		total += o.Offset
	})
	if total == 0 {
		return nil
	}
	byTopic := map[string][]publish.Event{}
	for n := int64(0); n < total; {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of the %d records on the case's topics within %s (%s)", n, total, c.wait, WaitEnv)
		}
		for _, e := range fs.Errors() {
			t.Fatalf("consuming %s/%d: %v", e.Topic, e.Partition, e.Err)
		}
		for _, r := range fs.Records() {
			v, err := c.serde.DecodeAny(r.Value)
			if err != nil {
				t.Fatalf("record %d on %s is not a HeldSway Avro record: %v", r.Offset, r.Topic, err)
			}
			byTopic[r.Topic] = append(byTopic[r.Topic], publish.Event{Topic: r.Topic, Key: string(r.Key), Value: v})
			n++
		}
	}
	var out []publish.Event
	for _, name := range names {
		if int64(len(byTopic[name])) != want[name] {
			t.Fatalf("read %d records on %s, its end offset is %d", len(byTopic[name]), name, want[name])
		}
		out = append(out, byTopic[name]...)
	}
	return out
}

// parsed is what the handler should have published for r from store: the
// events pl.Parse returns for it, each through the Avro codec as a
// consumer reads it back.
func (c *cluster) parsed(t *testing.T, pl webhook.Platform, store webhook.Store, r Request) []publish.Event {
	t.Helper()
	h := http.Header{} // canonical keys, as a request carries them
	for k, vs := range r.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	res, err := pl.Parse(webhook.Delivery{Store: store, Header: h, Body: r.Body, Now: r.At.UTC().Truncate(time.Millisecond)})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	out := make([]publish.Event, 0, len(res.Events))
	for _, ev := range res.Events {
		b, err := c.serde.Encode(ev.Value)
		if err != nil {
			t.Fatalf("encoding %T: %v", ev.Value, err)
		}
		v, err := c.serde.DecodeAny(b)
		if err != nil {
			t.Fatalf("decoding %T: %v", ev.Value, err)
		}
		out = append(out, publish.Event{Topic: ev.Topic, Key: ev.Key, Value: v})
	}
	return out
}

// missing checks the broker has none of names, asking the cluster rather
// than a client's metadata cache.
func (c *cluster) missing(t *testing.T, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.wait)
	defer cancel()
	for _, n := range names {
		if _, err := kafka.Partitions(ctx, c.cl, n); !errors.Is(err, kafka.ErrUnknownTopic) {
			t.Fatalf("topic %s: %v; want it missing", n, err)
		}
	}
}

// downPublisher is a publisher on its own client whose acknowledgements
// are awaited for downTimeout only: for the cases where Kafka cannot
// acknowledge, so they fail fast.
func (c *cluster) downPublisher(t *testing.T) *publish.Publisher {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.br.Addr())}, publish.ClientOpts(downTimeout)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return publish.New(cl, c.serde, publish.Config{Timeout: downTimeout})
}
