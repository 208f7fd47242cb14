package stream

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestInOrder(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	rec := func(topic string, p int32, off int64, ts int) *kgo.Record {
		return &kgo.Record{Topic: topic, Partition: p, Offset: off, Timestamp: at(ts)}
	}
	fetches := kgo.Fetches{{Topics: []kgo.FetchTopic{
		{Topic: "orders", Partitions: []kgo.FetchPartition{
			{Partition: 1, Records: []*kgo.Record{rec("orders", 1, 0, 10), rec("orders", 1, 1, 30)}},
			{Partition: 0, Records: []*kgo.Record{rec("orders", 0, 5, 20)}},
		}},
		{Topic: "clicks", Partitions: []kgo.FetchPartition{
			// Out of timestamp order inside the partition: offset order wins.
			{Partition: 1, Records: []*kgo.Record{rec("clicks", 1, 0, 10), rec("clicks", 1, 1, 25), rec("clicks", 1, 2, 5)}},
		}},
	}}}
	got := inOrder(fetches, []string{"clicks", "orders"})
	want := []string{"orders/0/5", "clicks/1/0", "orders/1/0", "clicks/1/1", "clicks/1/2", "orders/1/1"}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		if s := r.Topic + "/" + itoa(r.Partition) + "/" + itoa(int32(r.Offset)); s != want[i] {
			t.Fatalf("position %d: %s, want %s (whole: %v)", i, s, want[i], want)
		}
	}
}

func itoa(v int32) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

// TestInOrderSharedBacking: one poll can hold the same topic-partition
// twice, and kgo may cut partitions' record slices from one array; merging
// must not write over the records that follow.
func TestInOrderSharedBacking(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	backing := []*kgo.Record{
		{Topic: "clicks", Partition: 0, Offset: 0, Timestamp: at(1)},
		{Topic: "clicks", Partition: 1, Offset: 0, Timestamp: at(2)}, // another partition, right after in memory
		{Topic: "clicks", Partition: 1, Offset: 1, Timestamp: at(3)},
	}
	first := backing[0:1] // capacity 3: an in-place append would overwrite backing[1:]
	fetches := kgo.Fetches{
		{Topics: []kgo.FetchTopic{{Topic: "clicks", Partitions: []kgo.FetchPartition{
			{Partition: 0, Records: first},
			{Partition: 1, Records: backing[1:3]},
		}}}},
		{Topics: []kgo.FetchTopic{{Topic: "clicks", Partitions: []kgo.FetchPartition{
			{Partition: 0, Records: []*kgo.Record{{Topic: "clicks", Partition: 0, Offset: 1, Timestamp: at(4)}}},
		}}}},
	}
	got := inOrder(fetches, []string{"clicks"})
	seen := map[string]bool{}
	for _, r := range got {
		seen[itoa(r.Partition)+"/"+itoa(int32(r.Offset))] = true
	}
	for _, want := range []string{"0/0", "0/1", "1/0", "1/1"} {
		if !seen[want] {
			t.Fatalf("record %s lost; got %d records: %v", want, len(got), seen)
		}
	}
	if len(got) != 4 {
		t.Fatalf("got %d records, want 4", len(got))
	}
}
