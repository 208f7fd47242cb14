package clickhouse

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap/zaptest"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// The sink tests run the real path: kfake (franz-go's in-process broker, on
// loopback TCP) -> Sink -> ClickHouse.

type testKafka struct {
	cluster *kfake.Cluster
	topics  schemas.Topics
	serde   *schemas.Serde
	client  *kgo.Client
	admin   *kadm.Client
}

func newKafka(t *testing.T) *testKafka {
	t.Helper()
	topics, err := schemas.NewTopics("hs")
	if err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topics.All()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return &testKafka{cluster: c, topics: topics, serde: schemas.NewSerde(schemas.WithTopics(topics)), client: cl, admin: kadm.NewClient(cl)}
}

// produce publishes records (Avro) or raw []byte values to topic.
func (k *testKafka) produce(t *testing.T, ctx context.Context, topic string, vals ...any) {
	t.Helper()
	var recs []*kgo.Record
	for _, v := range vals {
		b, ok := v.([]byte)
		if !ok {
			var err error
			if b, err = k.serde.Encode(v); err != nil {
				t.Fatalf("encoding %T: %v", v, err)
			}
		}
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(len(recs))), Value: b})
	}
	if err := k.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing: %v", err)
	}
}

// committedAll reports whether group has committed every partition of
// topics up to its end.
func (k *testKafka) committedAll(ctx context.Context, group string, topics ...string) (bool, string) {
	ends, err := k.admin.ListEndOffsets(ctx, topics...)
	if err != nil {
		return false, err.Error()
	}
	committed, err := k.admin.FetchOffsets(ctx, group)
	if err != nil {
		return false, err.Error()
	}
	done, why := true, ""
	ends.Each(func(e kadm.ListedOffset) {
		if e.Offset == 0 {
			return
		}
		c, ok := committed.Lookup(e.Topic, e.Partition)
		if !ok || c.At != e.Offset {
			done = false
			why = fmt.Sprintf("%s/%d committed %d of %d", e.Topic, e.Partition, c.At, e.Offset)
		}
	})
	return done, why
}

// startSink runs a Sink until the test ends.
func startSink(t *testing.T, cfg Config) *Sink {
	t.Helper()
	s, _ := runSink(t, cfg)
	return s
}

// runSink runs a Sink until the test ends; exited is closed if Run
// returns before that.
func runSink(t *testing.T, cfg Config) (s *Sink, exited <-chan struct{}) {
	t.Helper()
	cfg.Logger = zaptest.NewLogger(t)
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 200 * time.Millisecond
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		runErr = s.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
			if runErr != nil {
				t.Errorf("Run: %v", runErr)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return s, done
}

// eventually polls cond every 50ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %s", what, d, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func countIs(t *testing.T, ctx context.Context, w *Writer, query string, want uint64) func() (bool, string) {
	return func() (bool, string) {
		var n uint64
		if err := w.Conn().QueryRow(ctx, query).Scan(&n); err != nil {
			return false, err.Error()
		}
		return n == want, fmt.Sprintf("%s = %d, want %d", query, n, want)
	}
}

func TestSinkEndToEnd(t *testing.T) {
	ctx := testContext(t, 50*time.Second)
	srv := chtest.New(t)
	k := newKafka(t)

	const nOrders = 50
	var orders []any
	for i := range nOrders {
		orders = append(orders, sampleOrder(i))
	}
	k.produce(t, ctx, k.topics.Orders, orders...)
	// Undecodable, and decodable but out of ClickHouse's range: both must
	// end up in deadletters, via the dead-letter topic.
	tooOld := sampleOrder(999)
	tooOld.OccurredAt = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	k.produce(t, ctx, k.topics.Orders, []byte("not avro"), tooOld)
	// One of every other record, and a tombstone on codes.
	k.produce(t, ctx, k.topics.Clicks, sampleClick())
	k.produce(t, ctx, k.topics.Refunds, sampleRefund())
	k.produce(t, ctx, k.topics.Codes, sampleCode(1), sampleCode(2))
	if err := k.client.ProduceSync(ctx, &kgo.Record{Topic: k.topics.Codes, Key: []byte("SPRING15")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	k.produce(t, ctx, k.topics.Attributions, sampleAttribution(1), sampleAttribution(2))
	k.produce(t, ctx, k.topics.Adjustments, sampleAdjustment())
	k.produce(t, ctx, k.topics.Flags, sampleFlag())

	cfg := Config{Conn: kafka.Conn{Brokers: k.cluster.ListenAddrs()}, Topics: k.topics, DSN: srv.DSN, FlushRows: 20}
	s := startSink(t, cfg)
	w := openWriter(t, ctx, srv.DSN)

	eventually(t, 30*time.Second, "orders loaded", countIs(t, ctx, w, "SELECT count() FROM orders FINAL", nOrders))
	eventually(t, 10*time.Second, "dead letters loaded", countIs(t, ctx, w, "SELECT count() FROM deadletters FINAL WHERE stage = 'sink'", 2))
	for table, want := range map[string]uint64{"clicks": 1, "refunds": 1, "codes": 1, "attributions": 1, "adjustments": 1, "flags": 1} {
		eventually(t, 10*time.Second, table+" loaded", countIs(t, ctx, w, "SELECT count() FROM "+table+" FINAL", want))
	}
	eventually(t, 10*time.Second, "offsets committed", func() (bool, string) {
		return k.committedAll(ctx, DefaultGroup, k.topics.All()...)
	})
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}

	var reasons []string
	rows, err := w.Conn().Query(ctx, "SELECT reason FROM deadletters FINAL WHERE source = ? ORDER BY reason", k.topics.Orders)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		reasons = append(reasons, r)
	}
	rows.Close()
	if len(reasons) != 2 || !strings.Contains(reasons[0], "outside DateTime range") || !strings.Contains(reasons[1], "decoding") {
		t.Fatalf("reasons = %q", reasons)
	}
	t.Logf("dead-letter reasons: %q", reasons)

	var version uint64
	if err := w.Conn().QueryRow(ctx, "SELECT version FROM attributions FINAL").Scan(&version); err != nil || version != 2 {
		t.Errorf("attribution version %d, %v; want 2", version, err)
	}

	// Redelivery: a second sink in a new group reads every record again.
	// The rows are inserted twice (merges are stopped so they stay
	// apart), and FINAL still counts each once.
	if err := w.Conn().Exec(ctx, "SYSTEM STOP MERGES orders"); err != nil {
		t.Fatal(err)
	}
	before := count(t, ctx, w, "SELECT count() FROM orders")
	cfg.Group = "heldsway-sink-replay"
	startSink(t, cfg)
	eventually(t, 20*time.Second, "replay committed", func() (bool, string) {
		return k.committedAll(ctx, cfg.Group, k.topics.All()...)
	})
	for table, want := range map[string]uint64{"orders": nOrders, "clicks": 1, "codes": 1, "attributions": 1, "deadletters": 2} {
		if got := count(t, ctx, w, "SELECT count() FROM "+table+" FINAL"); got != want {
			t.Errorf("after redelivery: %s FINAL = %d, want %d", table, got, want)
		}
	}
	if got := count(t, ctx, w, "SELECT count() FROM orders"); got != before+nOrders {
		t.Errorf("orders rows without FINAL = %d, want %d: the replay should have inserted duplicates", got, before+nOrders)
	}
}

// TestSinkRidesOutClickHouseOutage cuts the sink's connection to
// ClickHouse (through a proxy it dials) mid-stream: it must retry, keep
// its Kafka position, and end with every record stored once.
func TestSinkRidesOutClickHouseOutage(t *testing.T) {
	ctx := testContext(t, 50*time.Second)
	srv := chtest.New(t)
	k := newKafka(t)
	p := newProxy(t, srv.Addr)
	p.setUp(false) // down from the start: Run must wait for it

	cfg := Config{Conn: kafka.Conn{Brokers: k.cluster.ListenAddrs()}, Topics: k.topics, DSN: "clickhouse://" + p.addr() + "/" + srv.Database}
	s := startSink(t, cfg)
	w := openWriter(t, ctx, srv.DSN)
	if err := s.Ready(ctx); err == nil {
		t.Fatal("Ready while ClickHouse is unreachable")
	}
	p.setUp(true)
	eventually(t, 10*time.Second, "ready", func() (bool, string) {
		err := s.Ready(ctx)
		return err == nil, fmt.Sprint(err)
	})

	var first, second []any
	for i := range 10 {
		first = append(first, sampleOrder(i))
		second = append(second, sampleOrder(100+i))
	}
	k.produce(t, ctx, k.topics.Orders, first...)
	eventually(t, 10*time.Second, "first batch", countIs(t, ctx, w, "SELECT count() FROM orders FINAL", 10))

	p.setUp(false)
	k.produce(t, ctx, k.topics.Orders, second...)
	time.Sleep(500 * time.Millisecond) // several failed attempts at 100-200ms backoff
	if got := count(t, ctx, w, "SELECT count() FROM orders"); got != 10 {
		t.Fatalf("orders = %d while ClickHouse is unreachable", got)
	}
	if ok, _ := k.committedAll(ctx, DefaultGroup, k.topics.Orders); ok {
		t.Fatal("offsets committed for records not stored")
	}
	p.setUp(true)
	eventually(t, 15*time.Second, "second batch", countIs(t, ctx, w, "SELECT count() FROM orders FINAL", 20))
	eventually(t, 10*time.Second, "offsets committed", func() (bool, string) {
		return k.committedAll(ctx, DefaultGroup, k.topics.Orders)
	})
}

// proxy forwards TCP to a target and can be switched off, which refuses new
// connections and cuts open ones: a ClickHouse outage on demand.
type proxy struct {
	ln     net.Listener
	target string
	mu     struct {
		sync.Mutex
		up    bool
		conns map[net.Conn]bool
	}
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.mu.up = true
	p.mu.conns = map[net.Conn]bool{}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.setUp(false)
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mu.up = up
	if !up {
		for c := range p.mu.conns {
			c.Close()
		}
		clear(p.mu.conns)
	}
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		up := p.mu.up
		p.mu.Unlock()
		if !up {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.mu.conns[c], p.mu.conns[u] = true, true
		p.mu.Unlock()
		go func() { io.Copy(u, c); u.Close(); c.Close() }()
		go func() { io.Copy(c, u); u.Close(); c.Close() }()
	}
}
