package stream

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func rec(topic string, part int32, off int64, ms int64) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: part, Offset: off, Timestamp: time.UnixMilli(ms), LeaderEpoch: 0}
}

func fetch(parts ...kgo.FetchPartition) kgo.Fetches {
	byTopic := map[string][]kgo.FetchPartition{}
	var order []string
	for _, p := range parts {
		t := p.Records[0].Topic
		if _, ok := byTopic[t]; !ok {
			order = append(order, t)
		}
		byTopic[t] = append(byTopic[t], p)
	}
	var f kgo.Fetch
	for _, t := range order {
		f.Topics = append(f.Topics, kgo.FetchTopic{Topic: t, Partitions: byTopic[t]})
	}
	return kgo.Fetches{f}
}

func fp(hwm int64, recs ...*kgo.Record) kgo.FetchPartition {
	return kgo.FetchPartition{Partition: recs[0].Partition, HighWatermark: hwm, LastStableOffset: hwm, Records: recs}
}

func names(recs []*kgo.Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, fmt.Sprintf("%s%d@%d", r.Topic, r.Partition, r.Timestamp.UnixMilli()))
	}
	return strings.Join(s, " ")
}

// TestAlignerTake walks the aligner through a backlog fetched topic by
// topic: records wait for an input that is behind, flow once it arrives,
// and wait at most maxIdle for an input that never delivers.
func TestAlignerTake(t *testing.T) {
	a := newAligner([]string{"clicks", "orders"}, 500*time.Millisecond, 100)
	// Partition 0: both inputs have a backlog (end 3); partition 1: clicks
	// are caught up (empty), orders have one record.
	a.assigned(0, map[string]int64{"clicks": 0, "orders": 0}, map[string]int64{"clicks": 3, "orders": 3})
	a.assigned(1, map[string]int64{"clicks": 0, "orders": 0}, map[string]int64{"clicks": 0, "orders": 1})

	steps := []struct {
		name    string
		fetches kgo.Fetches
		waited  time.Duration // how long the poll before this take blocked
		want    string
		wait    time.Duration
	}{
		{
			name:    "orders first: everything waits for partition 0's clicks, which may be older",
			fetches: fetch(fp(3, rec("orders", 0, 0, 10), rec("orders", 0, 1, 20), rec("orders", 0, 2, 30)), fp(1, rec("orders", 1, 0, 5))),
			want:    "",
			wait:    500 * time.Millisecond,
		},
		{
			name:    "two clicks arrive: merged up to the last click, orders after it wait",
			fetches: fetch(fp(3, rec("clicks", 0, 0, 15), rec("clicks", 0, 1, 25))),
			waited:  100 * time.Millisecond,
			want:    "orders1@5 orders0@10 clicks0@15 orders0@20 clicks0@25",
			wait:    500 * time.Millisecond,
		},
		{
			name:    "the last click: clicks caught up, the rest flows",
			fetches: fetch(fp(3, rec("clicks", 0, 2, 40))),
			waited:  100 * time.Millisecond,
			want:    "orders0@30 clicks0@40",
		},
		{
			name:    "an input behind that never delivers: wait at most maxIdle",
			fetches: fetch(fp(9, rec("orders", 0, 3, 50))),
			waited:  100 * time.Millisecond,
			want:    "",
			wait:    500 * time.Millisecond,
		},
		{
			name: "time spent processing other batches does not count: polls that return at once leave it waiting",
			want: "",
			wait: 500 * time.Millisecond,
		},
		{
			name:   "still waiting",
			waited: 400 * time.Millisecond,
			want:   "",
			wait:   100 * time.Millisecond,
		},
		{
			name:   "maxIdle spent polling: processed without the input",
			waited: 100 * time.Millisecond,
			want:   "orders0@50",
		},
	}
	for _, s := range steps {
		a.end[topicPartition{"clicks", 0}] = max(a.end[topicPartition{"clicks", 0}], 3)
		if s.name == "an input behind that never delivers: wait at most maxIdle" {
			a.end[topicPartition{"clicks", 0}] = 9 // the broker says more clicks exist
		}
		a.add(s.fetches, s.waited)
		got, wait, _ := a.take(100)
		if names(got) != s.want || wait != s.wait {
			t.Fatalf("%s: took %q wait %v, want %q wait %v", s.name, names(got), wait, s.want, s.wait)
		}
	}
	if n := a.takeSkipped(); n != 1 {
		t.Fatalf("skipped %d partitions, want 1", n)
	}

	// The commit carries the offsets after what was taken, not after what
	// was fetched, and leaves partitions nothing was taken from alone.
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	for _, topic := range []string{"orders", "clicks"} {
		rt := kmsg.NewTxnOffsetCommitRequestTopic()
		rt.Topic = topic
		for _, p := range []int32{0, 1, 2} {
			rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset = p, 99
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	if err := a.rewriteCommit(req); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			got[fmt.Sprintf("%s/%d", rt.Topic, rp.Partition)] = rp.Offset
		}
	}
	want := map[string]int64{"orders/0": 4, "orders/1": 1, "clicks/0": 3}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("commit offsets %v, want %v", got, want)
	}
}

// TestAlignerFlowControl pauses an input partition whose queue is full and
// resumes it once it drained below half.
func TestAlignerFlowControl(t *testing.T) {
	a := newAligner([]string{"a", "b"}, time.Second, 4)
	a.assigned(0, map[string]int64{"a": 0, "b": 0}, map[string]int64{"a": 10, "b": 10})
	a.add(fetch(fp(10, rec("a", 0, 0, 1), rec("a", 0, 1, 2), rec("a", 0, 2, 3), rec("a", 0, 3, 4))), 0)
	if got, _, _ := a.take(100); len(got) != 0 {
		t.Fatalf("took %s while b is behind", names(got))
	}
	pause, resume := a.flowControl()
	if fmt.Sprint(pause) != "map[a:[0]]" || resume != nil {
		t.Fatalf("pause %v resume %v", pause, resume)
	}
	a.add(fetch(fp(10, rec("b", 0, 0, 3))), 0)
	if got, _, _ := a.take(100); names(got) != "a0@1 a0@2 a0@3 b0@3" {
		t.Fatalf("took %s", names(got))
	}
	pause, resume = a.flowControl()
	if pause != nil || fmt.Sprint(resume) != "map[a:[0]]" {
		t.Fatalf("pause %v resume %v", pause, resume)
	}

	// A partition revoked while paused is handed back for resuming.
	a.add(fetch(fp(10, rec("a", 0, 4, 5), rec("a", 0, 5, 6), rec("a", 0, 6, 7))), 0)
	if pause, _ = a.flowControl(); fmt.Sprint(pause) != "map[a:[0]]" {
		t.Fatalf("pause %v", pause)
	}
	if resume := a.drop([]int32{0}); fmt.Sprint(resume) != "map[a:[0]]" || len(a.queues) != 0 {
		t.Fatalf("drop resumes %v, %d partitions still queued", resume, len(a.queues))
	}
}

const (
	alignA = "align-a"
	alignB = "align-b"
)

// TestAlignInputsAcrossPolls: a backlog written topic by topic (all of
// input a, then all of input b, timestamps interleaved) and read in small
// polls is processed in timestamp order per state partition, with every
// record exactly once, across a restart mid-stream.
func TestAlignInputsAcrossPolls(t *testing.T) {
	h := newHarness(t, alignA, alignB)
	const perPart = 120
	pcl, err := kgo.NewClient(kgo.SeedBrokers(h.addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer pcl.Close()
	base := time.Now().Add(-time.Hour).UnixMilli()
	for _, topic := range []string{alignA, alignB} {
		var recs []*kgo.Record
		for p := int32(0); p < numParts; p++ {
			for i := int64(0); i < perPart; i++ {
				ms := base + 2*i
				if topic == alignB {
					ms++
				}
				recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Key: []byte(fmt.Sprintf("p%d", p)),
					Value: []byte(strconv.FormatInt(ms, 10)), Timestamp: time.UnixMilli(ms)})
			}
		}
		if err := pcl.ProduceSync(h.ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	process := func(_ context.Context, tx *Tx, rec *kgo.Record) error {
		tx.Produce(outTopic, rec.Key, []byte(rec.Topic+"@"+string(rec.Value)))
		return nil
	}
	cfg := h.config(tempDir(t), "a")
	cfg.Inputs = []string{alignA, alignB}
	cfg.AlignInputs = true
	cfg.MaxPollRecords = 40
	// The first instance stops mid-stream, inside a transaction, with
	// records held: the second must start where the committed prefix ends.
	var seen atomic.Int64
	r := h.start(cfg, func(ctx context.Context, tx *Tx, rec *kgo.Record) error {
		if seen.Add(1) > 300 {
			<-ctx.Done()
			return ctx.Err()
		}
		return process(ctx, tx, rec)
	})
	h.waitFor("the first instance to stall mid-stream", 30*time.Second, func() bool { return seen.Load() > 300 })
	if r.s.Stats().TxnCommitted == 0 {
		t.Fatal("the first instance committed nothing")
	}
	r.stop()
	r = h.start(cfg, process)
	h.waitFor("every record processed", 60*time.Second, func() bool {
		resps, err := h.adm.FetchOffsets(h.ctx, group)
		if err != nil {
			return false
		}
		var sum int64
		resps.Each(func(o kadm.OffsetResponse) {
			if (o.Topic == alignA || o.Topic == alignB) && o.Err == nil {
				sum += o.At
			}
		})
		return sum == 2*numParts*perPart
	})
	r.stop()

	byKey := map[string][]string{}
	for _, o := range h.readAll(outTopic) {
		byKey[string(o.Key)] = append(byKey[string(o.Key)], string(o.Value))
	}
	for p := 0; p < numParts; p++ {
		k := fmt.Sprintf("p%d", p)
		got := byKey[k]
		var want []string
		for i := int64(0); i < 2*perPart; i++ {
			topic := alignA
			if i%2 == 1 {
				topic = alignB
			}
			want = append(want, fmt.Sprintf("%s@%d", topic, base+i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("partition %d: %d outputs, want %d in timestamp order; first difference at %d:\n got %v\nwant %v",
				p, len(got), len(want), firstDiff(got, want), abbreviate(got), abbreviate(want))
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestAlignerMergesPartitions: records of every state partition come out
// in one timestamp order, and the limit leaves the rest for the next take.
func TestAlignerMergesPartitions(t *testing.T) {
	a := newAligner([]string{"a", "b"}, time.Second, 100)
	for p := int32(0); p < 2; p++ {
		a.assigned(p, map[string]int64{"a": 0, "b": 0}, map[string]int64{"a": 2, "b": 0})
	}
	a.add(fetch(fp(2, rec("a", 0, 0, 1), rec("a", 0, 1, 3)), fp(2, rec("a", 1, 0, 2), rec("a", 1, 1, 3))), 0)
	got, wait, more := a.take(3)
	if names(got) != "a0@1 a1@2 a0@3" || wait != 0 || !more {
		t.Fatalf("took %s wait %v more %v", names(got), wait, more)
	}
	got, _, more = a.take(3)
	if names(got) != "a1@3" || more {
		t.Fatalf("then took %s more %v", names(got), more)
	}
}

// TestAlignerFollowInput: an input the stage follows (records fed back by
// a downstream stage) is taken in timestamp order with the others, but a
// partition of it that is behind holds nothing back.
func TestAlignerFollowInput(t *testing.T) {
	for _, follow := range []bool{false, true} {
		var fl []string
		if follow {
			fl = []string{"holds"}
		}
		a := newAligner([]string{"orders", "holds"}, 500*time.Millisecond, 100, fl...)
		// holds is behind (end 2, nothing fetched yet); orders has records.
		a.assigned(0, map[string]int64{"orders": 0, "holds": 0}, map[string]int64{"orders": 2, "holds": 2})
		a.add(fetch(fp(2, rec("orders", 0, 0, 10), rec("orders", 0, 1, 20))), 0)
		got, _, _ := a.take(100)
		want := ""
		if follow {
			want = "orders0@10 orders0@20"
		}
		if names(got) != want {
			t.Fatalf("follow=%v: took %q, want %q", follow, names(got), want)
		}
		// The fed-back records, older than what was taken, come next.
		a.add(fetch(fp(2, rec("holds", 0, 0, 5), rec("holds", 0, 1, 15))), 0)
		got, _, _ = a.take(100)
		want = "holds0@5 holds0@15"
		if !follow {
			want = "holds0@5 orders0@10 holds0@15 orders0@20"
		}
		if names(got) != want {
			t.Fatalf("follow=%v: then took %q, want %q", follow, names(got), want)
		}
	}
}

// TestAlignerTimestampTies: record timestamps are milliseconds, and a fast
// producer stamps many records alike. A record stamped like the last one
// of an input partition that is behind waits, unless it sorts before that
// partition in the tie-break: the partition's next record may carry the
// same timestamp (a click produced just before an order, in the same
// millisecond) and must come first. Taking the tie was the cause of orders
// decided before their clicks in the 1M-event bench (false code_leak flags
// by the no-click ratio).
func TestAlignerTimestampTies(t *testing.T) {
	a := newAligner([]string{"clicks", "orders"}, 500*time.Millisecond, 100)
	a.assigned(0, map[string]int64{"clicks": 0, "orders": 0}, map[string]int64{"clicks": 3, "orders": 2})
	a.add(fetch(fp(3, rec("clicks", 0, 0, 10)), fp(2, rec("orders", 0, 0, 10), rec("orders", 0, 1, 10))), 0)
	if got, wait, _ := a.take(100); names(got) != "clicks0@10" || wait != 500*time.Millisecond {
		t.Fatalf("took %q wait %v; want the click only, the orders stamped like the last click waiting", names(got), wait)
	}
	a.add(fetch(fp(3, rec("clicks", 0, 1, 10), rec("clicks", 0, 2, 11))), 0)
	if got, _, _ := a.take(100); names(got) != "clicks0@10 orders0@10 orders0@10 clicks0@11" {
		t.Fatalf("then took %q", names(got))
	}

	// The other way round: orders are behind, and clicks stamped like the
	// last order sort before it, so they go.
	a = newAligner([]string{"clicks", "orders"}, 500*time.Millisecond, 100)
	a.assigned(0, map[string]int64{"clicks": 0, "orders": 0}, map[string]int64{"clicks": 2, "orders": 3})
	a.add(fetch(fp(2, rec("clicks", 0, 0, 10), rec("clicks", 0, 1, 11)), fp(3, rec("orders", 0, 0, 10))), 0)
	if got, _, _ := a.take(100); names(got) != "clicks0@10 orders0@10" {
		t.Fatalf("took %q; want the tied click and order, the click at 11 waiting", names(got))
	}
}
