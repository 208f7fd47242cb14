package clickhouse

import (
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// batch is what a Sink has consumed since its last flush: rows per table,
// records to dead-letter, and per partition the offset to commit once all
// of it is stored. Only the Run goroutine touches it.
type batch struct {
	rows map[*table][]prepared
	// srcs[t][i] is the record rows[t][j] came from, i = rows[t][j].index.
	srcs    map[*table][]*kgo.Record
	dead    []deadLetter
	offsets map[string]map[int32]kgo.EpochOffset
	n       int       // rows plus dead letters
	started time.Time // when the first record since the last flush came; zero if none
}

// deadLetter is a consumed record the sink cannot store, and why.
type deadLetter struct {
	rec    *kgo.Record
	reason string
}

func newBatch() *batch {
	b := &batch{}
	b.reset()
	return b
}

func (b *batch) reset() {
	b.rows = make(map[*table][]prepared)
	b.srcs = make(map[*table][]*kgo.Record)
	b.dead = nil
	b.offsets = make(map[string]map[int32]kgo.EpochOffset)
	b.n = 0
	b.started = time.Time{}
}

// addRow buffers r's values for t.
func (b *batch) addRow(t *table, vals []any, r *kgo.Record, now time.Time) {
	b.rows[t] = append(b.rows[t], prepared{vals: append(vals, r.Partition, r.Offset), index: len(b.srcs[t])})
	b.srcs[t] = append(b.srcs[t], r)
	b.n++
	b.consumed(r, now)
}

// addDead buffers r for the dead-letter topic.
func (b *batch) addDead(r *kgo.Record, reason string, now time.Time) {
	b.dead = append(b.dead, deadLetter{rec: r, reason: reason})
	b.n++
	b.consumed(r, now)
}

// skip records that r was consumed and needs no write (a tombstone).
func (b *batch) skip(r *kgo.Record, now time.Time) { b.consumed(r, now) }

// consumed advances r's partition's commit offset past r. Offsets only move
// forward: a partition's records arrive in order.
func (b *batch) consumed(r *kgo.Record, now time.Time) {
	if b.started.IsZero() {
		b.started = now
	}
	parts := b.offsets[r.Topic]
	if parts == nil {
		parts = make(map[int32]kgo.EpochOffset)
		b.offsets[r.Topic] = parts
	}
	next := kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
	if at, ok := parts[r.Partition]; !ok || at.Less(next) {
		parts[r.Partition] = next
	}
}

// empty reports whether nothing was consumed since the last flush.
func (b *batch) empty() bool { return len(b.offsets) == 0 }

// due reports whether the batch should be flushed now: it holds maxRows
// rows and dead letters, or interval has passed since its first record.
func (b *batch) due(now time.Time, maxRows int, interval time.Duration) bool {
	if b.empty() {
		return false
	}
	return b.n >= maxRows || !now.Before(b.started.Add(interval))
}

// deadline is when the batch becomes due by time; zero when empty.
func (b *batch) deadline(interval time.Duration) time.Time {
	if b.empty() {
		return time.Time{}
	}
	return b.started.Add(interval)
}

// reject moves rows[t] at positions js (ascending) to the dead letters.
func (b *batch) reject(t *table, js []int) {
	if len(js) == 0 {
		return
	}
	rows := b.rows[t]
	drop := make(map[int]bool, len(js))
	for _, j := range js {
		drop[j] = true
		b.dead = append(b.dead, deadLetter{rec: b.srcs[t][rows[j].index], reason: rows[j].err.Error()})
	}
	kept := rows[:0]
	for j, p := range rows {
		if !drop[j] {
			kept = append(kept, p)
		}
	}
	b.rows[t] = kept
}
