package clickhouse

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func rec(topic string, p int32, off int64) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: p, Offset: off, LeaderEpoch: 3}
}

func TestBatchDue(t *testing.T) {
	const interval = time.Second
	tests := []struct {
		name    string
		rows    int
		dead    int
		skipped int
		after   time.Duration
		maxRows int
		want    bool
	}{
		{name: "empty never due", after: time.Hour, maxRows: 1},
		{name: "below both thresholds", rows: 2, after: 999 * time.Millisecond, maxRows: 3},
		{name: "rows reach threshold", rows: 3, maxRows: 3, want: true},
		{name: "dead letters count as rows", rows: 1, dead: 2, maxRows: 3, want: true},
		{name: "interval elapsed", rows: 1, after: interval, maxRows: 100, want: true},
		{name: "only tombstones, interval elapsed", skipped: 1, after: interval, maxRows: 100, want: true},
		{name: "only tombstones, not yet", skipped: 5, after: time.Millisecond, maxRows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBatch()
			var off int64
			for range tt.rows {
				b.addRow(ordersTable, []any{"x"}, rec("o", 0, off), t0)
				off++
			}
			for range tt.dead {
				b.addDead(rec("o", 0, off), "bad", t0)
				off++
			}
			for range tt.skipped {
				b.skip(rec("c", 0, off), t0)
				off++
			}
			if got := b.due(t0.Add(tt.after), tt.maxRows, interval); got != tt.want {
				t.Fatalf("due = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBatchDeadlineFromFirstRecord(t *testing.T) {
	b := newBatch()
	if !b.deadline(time.Second).IsZero() {
		t.Fatal("empty batch has a deadline")
	}
	b.addRow(ordersTable, nil, rec("o", 0, 0), t0)
	b.addRow(ordersTable, nil, rec("o", 0, 1), t0.Add(500*time.Millisecond))
	if got := b.deadline(time.Second); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("deadline = %v, want first record + interval", got)
	}
	b.reset()
	if !b.empty() || b.n != 0 || !b.deadline(time.Second).IsZero() {
		t.Fatal("reset batch is not empty")
	}
}

func TestBatchOffsetsCommitPastEveryConsumedRecord(t *testing.T) {
	b := newBatch()
	b.addRow(ordersTable, nil, rec("orders", 0, 10), t0)
	b.addRow(ordersTable, nil, rec("orders", 0, 11), t0)
	b.addDead(rec("orders", 0, 12), "bad", t0)
	b.addRow(ordersTable, nil, rec("orders", 1, 4), t0)
	b.skip(rec("codes", 2, 7), t0)
	b.addRow(clicksTable, nil, rec("clicks", 0, 0), t0)

	want := map[string]map[int32]int64{
		"orders": {0: 13, 1: 5},
		"codes":  {2: 8},
		"clicks": {0: 1},
	}
	if len(b.offsets) != len(want) {
		t.Fatalf("offsets = %v", b.offsets)
	}
	for topic, parts := range want {
		for p, off := range parts {
			got := b.offsets[topic][p]
			if got.Offset != off || got.Epoch != 3 {
				t.Errorf("%s/%d: commit %+v, want offset %d epoch 3", topic, p, got, off)
			}
		}
	}
	if b.n != 5 {
		t.Errorf("n = %d, want 5 (4 rows, 1 dead letter; tombstones do not count)", b.n)
	}
	if len(b.rows[ordersTable]) != 3 || len(b.rows[clicksTable]) != 1 {
		t.Errorf("rows per table: orders %d, clicks %d", len(b.rows[ordersTable]), len(b.rows[clicksTable]))
	}
	// Metadata columns are appended from the record.
	if vals := b.rows[ordersTable][2].vals; vals[0] != int32(1) || vals[1] != int64(4) {
		t.Errorf("metadata = %v, want partition 1, offset 4", vals)
	}
}

func TestBatchRejectMovesRowsToDeadLetters(t *testing.T) {
	b := newBatch()
	for off := range int64(4) {
		b.addRow(ordersTable, []any{off}, rec("orders", 0, off), t0)
	}
	b.rows[ordersTable][1].err = errors.New("bad one")
	b.rows[ordersTable][3].err = errors.New("bad three")
	b.reject(ordersTable, []int{1, 3})

	if len(b.rows[ordersTable]) != 2 || b.rows[ordersTable][0].vals[0] != int64(0) || b.rows[ordersTable][1].vals[0] != int64(2) {
		t.Fatalf("kept rows = %v", b.rows[ordersTable])
	}
	if len(b.dead) != 2 || b.dead[0].rec.Offset != 1 || b.dead[1].rec.Offset != 3 || b.dead[1].reason != "bad three" {
		t.Fatalf("dead = %+v", b.dead)
	}
	if b.offsets["orders"][0].Offset != 4 {
		t.Fatalf("rejected rows must still be committed: %v", b.offsets)
	}
}

func TestBackoff(t *testing.T) {
	limit := time.Second
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := retryPolicy(limit).Delay(i + 1); got != w*time.Millisecond {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Millisecond)
		}
	}
	if got := retryPolicy(10 * time.Second).Delay(1000); got != 10*time.Second {
		t.Errorf("backoff(1000) = %v", got)
	}
}

func TestDedupTokenStableAndDistinct(t *testing.T) {
	rows := []prepared{
		{vals: []any{"e1", int32(0), int64(1)}},
		{vals: []any{"e2", int32(0), int64(2)}},
	}
	all := []int{0, 1}
	a, b := dedupToken("orders", rows, all), dedupToken("orders", rows, all)
	if a != b {
		t.Fatal("token differs for the same batch")
	}
	if dedupToken("clicks", rows, all) == a || dedupToken("orders", rows, []int{0}) == a {
		t.Fatal("token equal for different batches")
	}
	other := []prepared{{vals: []any{"e3", int32(0), int64(1)}}, {vals: []any{"e4", int32(0), int64(2)}}}
	if dedupToken("orders", other, all) == a {
		t.Fatal("token equal for different event ids at the same positions")
	}
}
