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
