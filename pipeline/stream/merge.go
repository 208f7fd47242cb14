package stream

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
)

// inOrder returns a polled batch in the order the stage processes it: state
// partition by state partition, and within one, the records of the
// co-partitioned inputs merged by timestamp (ties broken by the input's
// position in Config.Inputs), each input keeping its offset order. A
// customer's click and order are then applied in the order they happened,
// not in the order the fetches happened to return them, so a replay after a
// crash or a rebalance sees the same interleaving whenever the records were
// polled together.
func inOrder(fetches kgo.Fetches, inputs []string) []*kgo.Record {
	rank := make(map[string]int, len(inputs))
	for i, t := range inputs {
		rank[t] = i
	}
	type queue struct {
		recs []*kgo.Record
		rank int
	}
	byPart := map[int32][]*queue{}
	n := 0
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		byPart[p.Partition] = append(byPart[p.Partition], &queue{recs: p.Records, rank: rank[p.Topic]})
		n += len(p.Records)
	})
	parts := make([]int32, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	out := make([]*kgo.Record, 0, n)
	for _, p := range parts {
		qs := byPart[p]
		// A topic can appear in several fetch partitions of one poll;
		// keep them in offset order as one queue.
		slices.SortStableFunc(qs, func(a, b *queue) int { return a.rank - b.rank })
		merged := qs[:0]
		for _, q := range qs {
			if k := len(merged); k > 0 && merged[k-1].rank == q.rank {
				// Clip first: a fetch's record slices can share one backing
				// array, and appending in place would overwrite the records
				// of the next partition.
				merged[k-1].recs = append(slices.Clip(merged[k-1].recs), q.recs...)
				continue
			}
			merged = append(merged, q)
		}
		for {
			var best *queue
			for _, q := range merged {
				if len(q.recs) == 0 {
					continue
				}
				if best == nil || q.recs[0].Timestamp.Before(best.recs[0].Timestamp) {
					best = q
				}
			}
			if best == nil {
				break
			}
			out = append(out, best.recs[0])
			best.recs = best.recs[1:]
		}
	}
	return out
}
