package clickhouse

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/sinks/clickhouse/chtest"
)

// restartOutage is how long TestSinkClickHouseRestart keeps the ClickHouse
// server down: HELDSWAY_FAULT_OUTAGE (a duration) when set, else a minute.
func restartOutage(t *testing.T) time.Duration {
	if s := os.Getenv("HELDSWAY_FAULT_OUTAGE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HELDSWAY_FAULT_OUTAGE: %v", err)
		}
		return d
	}
	return time.Minute
}

// TestSinkClickHouseRestart kills the ClickHouse server process (SIGKILL,
// while orders and clicks stream in), keeps it down for restartOutage
// while they keep arriving, then starts it again on the same data
// directory and ports. The same Sink, never restarted, must:
//
//   - commit no offset while the server is down (nothing can be stored);
//   - have stored, durably across the kill, every record it committed;
//   - end with every produced order and click stored exactly once (FINAL,
//     one event_id per row) and every offset committed;
//   - dead-letter nothing: an outage is not a bad record.
func TestSinkClickHouseRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute-long ClickHouse outage")
	}
	outage := restartOutage(t)
	ctx := testContext(t, outage+2*time.Minute)
	srv := chtest.Private(t)
	k := newKafka(t)
	topics := []string{k.topics.Orders, k.topics.Clicks}
	cfg := Config{Conn: kafka.Conn{Brokers: k.cluster.ListenAddrs()}, Topics: k.topics, DSN: srv.DSN, MaxBackoff: 2 * time.Second}
	s, exited := runSink(t, cfg)
	w := openWriter(t, ctx, srv.DSN)
	stillRunning := func(when string) {
		t.Helper()
		select {
		case <-exited:
			t.Fatalf("%s: the sink's Run returned; it must ride out the outage", when)
		default:
		}
	}

	// One order and one click every 25ms, keyed by order so that both
	// partitions of each topic get records, from now until stopProducing.
	var produced atomic.Int64
	prodCtx, stopProducing := context.WithCancel(ctx)
	defer stopProducing()
	var prodErr error
	var prodDone sync.WaitGroup
	prodDone.Add(1)
	go func() {
		defer prodDone.Done()
		prodErr = produceSteadily(prodCtx, k, 40, &produced)
	}()
	finishProducing := func() int {
		t.Helper()
		stopProducing()
		prodDone.Wait()
		if prodErr != nil {
			t.Fatalf("producing: %v", prodErr)
		}
		return int(produced.Load())
	}

	eventually(t, 30*time.Second, "orders and clicks flowing before the kill", func() (bool, string) {
		var n uint64
		if err := w.Conn().QueryRow(ctx, "SELECT count() FROM orders").Scan(&n); err != nil {
			return false, err.Error()
		}
		return n >= 80, fmt.Sprintf("%d orders stored", n)
	})
	time.Sleep(500 * time.Millisecond) // kill at some point of the flush cycle, not right after a count

	srv.Kill(t)
	killed := time.Now()
	atKill := produced.Load()
	t.Logf("ClickHouse killed (SIGKILL) after %d orders; down for %s", atKill, outage)

	// A commit for an insert acknowledged just before the kill may still
	// be on its way; after that, nothing may be committed until the
	// server is back.
	time.Sleep(time.Second)
	committed := fetchCommitted(t, ctx, k, topics)
	if len(committed) == 0 {
		t.Fatal("nothing committed before the kill")
	}
	for time.Since(killed) < outage {
		time.Sleep(time.Second)
		stillRunning("during the outage")
		if now := fetchCommitted(t, ctx, k, topics); !maps.Equal(now, committed) {
			t.Fatalf("offsets committed while ClickHouse was down: %v, then %v", committed, now)
		}
		if err := s.Ready(ctx); err == nil {
			t.Fatal("Ready while ClickHouse is down")
		}
	}
	if ok, _ := k.committedAll(ctx, DefaultGroup, topics...); ok {
		t.Fatal("every offset committed at the end of the outage: nothing was produced while it was down?")
	}

	restart := time.Now()
	srv.Start(t)
	t.Logf("ClickHouse restarted in %s; %d orders produced while it was down", time.Since(restart).Round(time.Millisecond), produced.Load()-atKill)
	w = openWriter(t, ctx, srv.DSN) // the old connections died with the server

	// Everything committed before the kill must have survived it. The sink
	// resumes at the committed offsets, so rows below them can only come
	// from before the kill.
	for tp, off := range committed {
		table := map[string]string{k.topics.Orders: "orders", k.topics.Clicks: "clicks"}[tp.topic]
		q := fmt.Sprintf("SELECT uniqExact(kafka_offset) FROM %s WHERE kafka_partition = %d AND kafka_offset < %d", table, tp.partition, off)
		if got := count(t, ctx, w, q); got != uint64(off) {
			t.Fatalf("%s/%d: committed up to %d before the kill, but %d of those rows are stored", tp.topic, tp.partition, off, got)
		}
	}

	time.Sleep(2 * time.Second) // orders keep arriving while the sink catches up
	n := finishProducing()
	eventually(t, 60*time.Second, fmt.Sprintf("all %d orders and clicks stored once after the restart", n), func() (bool, string) {
		for _, table := range []string{"orders", "clicks"} {
			var rows, ids uint64
			if err := w.Conn().QueryRow(ctx, "SELECT count(), uniqExact(event_id) FROM "+table+" FINAL").Scan(&rows, &ids); err != nil {
				return false, err.Error()
			}
			if rows > uint64(n) || rows != ids {
				t.Fatalf("%s FINAL = %d rows, %d event ids, want %d of each: duplicates", table, rows, ids, n)
			}
			if rows != uint64(n) {
				return false, fmt.Sprintf("%s FINAL %d rows, want %d", table, rows, n)
			}
		}
		return true, ""
	})
	caughtUp := time.Since(restart)
	eventually(t, 15*time.Second, "offsets committed", func() (bool, string) {
		return k.committedAll(ctx, DefaultGroup, topics...)
	})
	stillRunning("after the restart")
	eventually(t, 10*time.Second, "ready after the restart", func() (bool, string) {
		err := s.Ready(ctx)
		return err == nil, fmt.Sprint(err)
	})

	// Nothing was dead-lettered: not to the topic, not to the table.
	ends, err := k.admin.ListEndOffsets(ctx, k.topics.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset != 0 {
			t.Errorf("%s/%d has %d records: the outage was dead-lettered", o.Topic, o.Partition, o.Offset)
		}
	})
	if got := count(t, ctx, w, "SELECT count() FROM deadletters"); got != 0 {
		t.Errorf("deadletters has %d rows", got)
	}

	raw := count(t, ctx, w, "SELECT count() FROM orders")
	t.Logf("%d orders and clicks, %d sent while ClickHouse was down; caught up %s after the restart; %d raw order rows (%d redelivered, collapsed by FINAL)",
		n, int64(n)-atKill, caughtUp.Round(time.Millisecond), raw, raw-uint64(n))
}

// produceSteadily produces, rate times a second until ctx ends, order i and
// a click of its own, keyed by the order, and counts the orders acknowledged in
// produced.
func produceSteadily(ctx context.Context, k *testKafka, rate int, produced *atomic.Int64) error {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		o := sampleOrder(i)
		c := sampleClick()
		c.EventID, c.ClickID = "click-"+strconv.Itoa(i), "click-"+strconv.Itoa(i)
		var recs []*kgo.Record
		for _, r := range []struct {
			topic string
			v     any
		}{{k.topics.Orders, o}, {k.topics.Clicks, c}} {
			b, err := k.serde.Encode(r.v)
			if err != nil {
				return fmt.Errorf("encoding %T: %w", r.v, err)
			}
			recs = append(recs, &kgo.Record{Topic: r.topic, Key: []byte(o.OrderID), Value: b})
		}
		// Not ctx: a produce cut short could land without being counted.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := k.client.ProduceSync(pctx, recs...).FirstErr()
		cancel()
		if err != nil {
			return err
		}
		produced.Store(int64(i + 1))
	}
}

type topicPartition struct {
	topic     string
	partition int32
}

// offsets are a group's committed offsets.
type offsets map[topicPartition]int64

// fetchCommitted returns the sink group's committed offsets on topics.
func fetchCommitted(t *testing.T, ctx context.Context, k *testKafka, topics []string) offsets {
	t.Helper()
	resp, err := k.admin.FetchOffsetsForTopics(ctx, DefaultGroup, topics...)
	if err != nil {
		t.Fatalf("fetching committed offsets: %v", err)
	}
	out := offsets{}
	resp.Each(func(r kadm.OffsetResponse) {
		if r.Err != nil {
			t.Fatalf("committed offset of %s/%d: %v", r.Topic, r.Partition, r.Err)
		}
		if r.At >= 0 {
			out[topicPartition{r.Topic, r.Partition}] = r.At
		}
	})
	return out
}
