package stream

import (
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicPartition names one input partition.
type topicPartition struct {
	topic string
	part  int32
}

// aligner keeps the polled records of co-partitioned inputs until they can
// be processed in timestamp order across the inputs (Kafka Streams' task
// idling). A state partition's records are taken by timestamp, smallest
// first, only while every input of the partition either has a record
// waiting or has been read to its end: when one input runs dry while the
// broker holds more of it, the other inputs' later records wait for it,
// for at most maxIdle of time spent waiting in polls. Time the stage spends
// processing a batch does not count: under load one batch can take longer
// than maxIdle, and a partition whose next fetch simply had not been
// polled yet would be skipped, its older records processed after newer
// ones of the other inputs (orders decided before the clicks that preceded
// them). A backlog read topic by topic (a whole fetch of
// orders before the clicks that came first) is then still applied in the
// order the records reached Kafka.
//
// Records it keeps were handed over by the consumer, so the consumer's own
// offsets run ahead of what was processed. The stage therefore commits
// the offsets the aligner gives (commitOffsets, rewriting the transaction's
// offset commit), never the consumer's, and starts a new group session
// (which reads the committed offsets) whenever a transaction does not
// commit. The poll loop and the partition callbacks use it; mu is a leaf
// lock (no Kafka call is made holding it).
type aligner struct {
	mu        sync.Mutex
	inputs    []string
	rank      map[string]int
	maxIdle   time.Duration
	maxQueued int // per input partition; more pauses its fetching

	queues map[topicPartition][]*kgo.Record
	// fetched is the offset after the last record the consumer handed
	// over; end is the partition's last stable offset as last reported.
	fetched, end map[topicPartition]int64
	// txn marks partitions whose last record handed over was written in a
	// transaction: a commit marker follows it.
	txn map[topicPartition]bool
	// last is the latest timestamp handed over per input partition: what
	// it delivers next is not older, as far as producers stamp records
	// in order.
	last map[topicPartition]time.Time
	// pos is the offset after the last record taken for processing, per
	// input partition: what the next transaction commits.
	pos map[topicPartition]kgo.EpochOffset
	// dry is how long the stage has waited in polls since each input
	// partition that is behind, with nothing queued, started holding other
	// records back.
	dry map[topicPartition]time.Duration
	// skipped counts input partitions that stopped holding others back
	// after maxIdle without a delivery (each such stretch once).
	skipped int64
	escaped map[topicPartition]bool
	paused  map[topicPartition]bool
	// follow are inputs whose partitions never hold others back: their
	// records are taken in timestamp order with the rest, but an input
	// that is behind waits for nobody (Config.FollowInputs).
	follow map[string]bool
}

func newAligner(inputs []string, maxIdle time.Duration, maxQueued int, follow ...string) *aligner {
	a := &aligner{inputs: inputs, rank: make(map[string]int, len(inputs)), maxIdle: maxIdle, maxQueued: maxQueued,
		follow: make(map[string]bool, len(follow))}
	for _, t := range follow {
		a.follow[t] = true
	}
	for i, t := range inputs {
		a.rank[t] = i
	}
	a.reset()
	return a
}

// reset forgets everything: a new group session starts from the committed
// offsets.
func (a *aligner) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queues = make(map[topicPartition][]*kgo.Record)
	a.fetched = make(map[topicPartition]int64)
	a.end = make(map[topicPartition]int64)
	a.txn = make(map[topicPartition]bool)
	a.last = make(map[topicPartition]time.Time)
	a.pos = make(map[topicPartition]kgo.EpochOffset)
	a.dry = make(map[topicPartition]time.Duration)
	a.escaped = make(map[topicPartition]bool)
	a.paused = make(map[topicPartition]bool)
}

// assigned records where the consumer starts on a newly assigned state
// partition (its committed offset, or the log start) and where each input
// partition ends, so that an input with nothing to fetch is known to be
// caught up before any poll reports on it.
func (a *aligner) assigned(p int32, start, end map[string]int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, t := range a.inputs {
		k := topicPartition{t, p}
		if o, ok := start[t]; ok {
			a.fetched[k] = o
		}
		if o, ok := end[t]; ok {
			a.end[k] = o
		}
	}
}

// drop forgets the records and offsets of state partitions the stage no
// longer owns; their next owner starts from the committed offsets. It
// returns the input partitions it had paused, for the caller to resume:
// a pause outlives the assignment.
func (a *aligner) drop(parts []int32) (resume map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range parts {
		for _, t := range a.inputs {
			k := topicPartition{t, p}
			if a.paused[k] {
				if resume == nil {
					resume = make(map[string][]int32)
				}
				resume[t] = append(resume[t], p)
			}
			delete(a.queues, k)
			delete(a.fetched, k)
			delete(a.end, k)
			delete(a.txn, k)
			delete(a.last, k)
			delete(a.pos, k)
			delete(a.paused, k)
			delete(a.dry, k)
			delete(a.escaped, k)
		}
	}
	return resume
}

// add queues a poll's records and notes how far each partition was read.
// waited is how long the poll blocked: it counts toward maxIdle for every
// partition that holds records back.
func (a *aligner) add(fetches kgo.Fetches, waited time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.dry {
		a.dry[k] += waited
	}
	fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
		if _, ok := a.rank[fp.Topic]; !ok {
			return
		}
		k := topicPartition{fp.Topic, fp.Partition}
		if end := fp.LastStableOffset; end >= 0 {
			a.end[k] = end
		} else if fp.HighWatermark >= 0 {
			a.end[k] = fp.HighWatermark
		}
		if n := len(fp.Records); n > 0 {
			// Copy: a fetch's record slices can share one backing array.
			a.queues[k] = append(a.queues[k], fp.Records...)
			a.fetched[k] = fp.Records[n-1].Offset + 1
			a.txn[k] = fp.Records[n-1].Attrs.IsTransactional()
			for _, r := range fp.Records {
				if r.Timestamp.After(a.last[k]) {
					a.last[k] = r.Timestamp
				}
			}
			delete(a.dry, k)
			delete(a.escaped, k)
		}
	})
}

// caughtUp reports whether input partition k has nothing more to fetch as
// far as the aligner knows. After a record written in a transaction, one
// offset of slack covers the commit marker that follows it, which
// read_committed never hands over.
func (a *aligner) caughtUp(k topicPartition) bool {
	end, ok := a.end[k]
	if !ok {
		return false
	}
	fetched, ok := a.fetched[k]
	if a.txn[k] {
		end--
	}
	return ok && fetched >= end
}

// take removes and returns up to limit records that can be processed now,
// merged by timestamp across every input partition (ties broken by state
// partition, then by the input's position in the stage's inputs), each
// input partition keeping its offset order.
//
// An input partition that is behind (the broker holds more of it) with
// nothing queued holds back every record newer than the last one it
// delivered, since what it delivers next may be older than those, and
// every record stamped like that last one that sorts after it in the
// tie-break, since what it delivers next may carry the same timestamp; after
// maxIdle spent waiting in polls without a delivery it is ignored until
// it delivers again.
// Aligning all partitions, not just the inputs of one, keeps what the
// stage produces in the order its inputs reached Kafka, so a downstream
// stage keyed differently (stage 2, by code) does not see one partition's
// records days ahead of another's during a backlog.
//
// wait is how long until an input partition that holds records back is
// ignored (0 when none does); more reports that the limit left records
// that could be taken at once.
//
// What the aligner knows of an input partition's end comes from the polls
// that included it, so the stage must poll everything the consumer has
// buffered: a partition left in the consumer's buffer would look caught up
// on stale news.
func (a *aligner) take(limit int) (out []*kgo.Record, wait time.Duration, more bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Every known input partition, in tie-break order.
	var keys []topicPartition
	seen := make(map[topicPartition]bool)
	for _, m := range []map[topicPartition]int64{a.end, a.fetched} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	for k := range a.queues {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y topicPartition) int {
		if x.part != y.part {
			return int(x.part) - int(y.part)
		}
		return a.rank[x.topic] - a.rank[y.topic]
	})
	qs := make([][]*kgo.Record, len(keys))
	for i, k := range keys {
		qs[i] = a.queues[k]
	}
	// holds reports whether input partition i holds back records newer
	// than its last, and the cutoff it sets.
	holds := func(i int) (bool, time.Time) {
		k := keys[i]
		if len(qs[i]) > 0 || a.follow[k.topic] || a.caughtUp(k) {
			return false, time.Time{}
		}
		if waited, ok := a.dry[k]; ok && waited >= a.maxIdle {
			if !a.escaped[k] {
				a.escaped[k] = true
				a.skipped++
			}
			return false, time.Time{}
		}
		return true, a.last[k] // zero (holds everything) before any delivery
	}
	// The cutoff is the earliest (timestamp, tie-break position) a
	// holding partition may still deliver: its next record is not older
	// than its last, and may carry the same timestamp (milliseconds: a
	// fast producer stamps a hundred records alike). A record with that
	// same timestamp may go first only if it sorts before the holder in
	// the tie-break; otherwise the holder's next record, say a click
	// produced just before an order in the same millisecond, would be
	// processed after it.
	var cutoff time.Time
	cutoffAt := 0 // the holder's index in keys
	bounded := false
	bound := func(t time.Time, i int) {
		if !bounded || t.Before(cutoff) || t.Equal(cutoff) && i < cutoffAt {
			cutoff, cutoffAt, bounded = t, i, true
		}
	}
	for i := range keys {
		if h, t := holds(i); h {
			bound(t, i)
		}
	}
	for {
		best := -1
		for i, q := range qs {
			if len(q) > 0 && (best < 0 || q[0].Timestamp.Before(qs[best][0].Timestamp)) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		if ts := qs[best][0].Timestamp; bounded && (ts.After(cutoff) || ts.Equal(cutoff) && best > cutoffAt) {
			break
		}
		if len(out) >= limit {
			more = true
			break
		}
		r := qs[best][0]
		qs[best] = qs[best][1:]
		out = append(out, r)
		a.pos[keys[best]] = kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}
		if h, t := holds(best); h {
			bound(t, best)
		}
	}
	held := false
	for i, k := range keys {
		if len(qs[i]) == 0 {
			delete(a.queues, k)
		} else {
			a.queues[k] = qs[i]
			held = true
		}
	}
	if more || !held {
		return out, 0, more
	}
	// Records wait for the input partitions that hold them back.
	for i, k := range keys {
		if h, _ := holds(i); !h {
			continue
		}
		waited, ok := a.dry[k]
		if !ok {
			a.dry[k] = 0
		}
		if left := a.maxIdle - waited; left > 0 && (wait == 0 || left < wait) {
			wait = left
		}
	}
	return out, wait, false
}

// flowControl returns the input partitions whose fetching should pause
// (their queue is full) and those that can resume (their queue is below
// half of it), and records the change.
func (a *aligner) flowControl() (pause, resume map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, q := range a.queues {
		if len(q) >= a.maxQueued && !a.paused[k] {
			if pause == nil {
				pause = make(map[string][]int32)
			}
			pause[k.topic] = append(pause[k.topic], k.part)
			a.paused[k] = true
		}
	}
	for k := range a.paused {
		if len(a.queues[k]) < a.maxQueued/2 {
			if resume == nil {
				resume = make(map[string][]int32)
			}
			resume[k.topic] = append(resume[k.topic], k.part)
			delete(a.paused, k)
		}
	}
	return pause, resume
}

// rewriteCommit makes a transaction's offset commit carry the offsets
// after the records taken for processing, not the consumer's, which also
// count the records still queued. An input partition the stage has taken
// nothing from in this session keeps its committed offset.
func (a *aligner) rewriteCommit(req *kmsg.TxnOffsetCommitRequest) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	done := make(map[topicPartition]bool, len(a.pos))
	topics := req.Topics[:0]
	for _, t := range req.Topics {
		parts := t.Partitions[:0]
		for _, p := range t.Partitions {
			k := topicPartition{t.Topic, p.Partition}
			eo, ok := a.pos[k]
			if !ok {
				continue
			}
			p.Offset, p.LeaderEpoch = eo.Offset, eo.Epoch
			parts = append(parts, p)
			done[k] = true
		}
		t.Partitions = parts
		if len(parts) > 0 {
			topics = append(topics, t)
		}
	}
	req.Topics = topics
	for k, eo := range a.pos {
		if done[k] {
			continue
		}
		i := slices.IndexFunc(req.Topics, func(t kmsg.TxnOffsetCommitRequestTopic) bool { return t.Topic == k.topic })
		if i < 0 {
			t := kmsg.NewTxnOffsetCommitRequestTopic()
			t.Topic = k.topic
			req.Topics = append(req.Topics, t)
			i = len(req.Topics) - 1
		}
		p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = k.part, eo.Offset, eo.Epoch
		p.Metadata = &req.MemberID
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, p)
	}
	return nil
}

// takeSkipped returns how many input partitions stopped holding others
// back after maxIdle since the last call.
func (a *aligner) takeSkipped() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.skipped
	a.skipped = 0
	return n
}
