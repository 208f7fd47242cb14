package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
)

// runningFile marks a data directory whose broker has not stopped cleanly.
const runningFile = "heldsway.running"

// repairTimeout bounds the repair pass.
const repairTimeout = 2 * time.Minute

// Why a repair: when kfake reloads a data directory after a crash, it
// treats a transaction that was open at the crash as aborted, but writes
// no abort marker into the log. A read_committed consumer that later reads
// across that point (a new consumer group, `heldsway tail
// --from-beginning`, a stage restoring its state from a changelog) is told
// the transaction aborted and then skips every later batch of the same
// producer id, which the restarted producer reuses, until an abort marker
// that never comes: committed records vanish for it. Real Kafka always
// writes the marker. So after an unclean stop, before any client connects,
// repair starts the cluster on a private port, finds the transactions left
// open at the end of each partition and writes their abort markers, then
// closes it.

// repairOpenTransactions writes abort markers for the transactions a
// crash left open in the data directory of opts.
func repairOpenTransactions(opts []kfake.Opt, log *zap.Logger) (int, error) {
	opts = append(opts[:len(opts):len(opts)], kfake.ListenFn(func(network, _ string) (net.Listener, error) {
		return net.Listen(network, "127.0.0.1:0")
	}))
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return 0, fmt.Errorf("starting on a private port: %w", err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), repairTimeout)
	defer cancel()

	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return 0, fmt.Errorf("listing topics: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics.Names()...)
	if err != nil {
		return 0, fmt.Errorf("listing end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics.Names()...)
	if err != nil {
		return 0, fmt.Errorf("listing start offsets: %w", err)
	}
	consume := map[string]map[int32]kgo.Offset{}
	pending := map[string]map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(o.Topic, o.Partition)
		if o.Err != nil || o.Offset <= s.Offset {
			return
		}
		if consume[o.Topic] == nil {
			consume[o.Topic], pending[o.Topic] = map[int32]kgo.Offset{}, map[int32]int64{}
		}
		consume[o.Topic][o.Partition] = kgo.NewOffset().At(s.Offset)
		pending[o.Topic][o.Partition] = o.Offset
	})
	if len(consume) == 0 {
		return 0, nil
	}

	// Replay every partition read_uncommitted with control records, and
	// track which producer ids have a transaction open at the end.
	type tp struct {
		topic string
		part  int32
	}
	open := map[tp]map[int64]int16{} // partition -> producer id -> epoch
	rd, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumePartitions(consume),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	left := 0
	for _, ps := range pending {
		left += len(ps)
	}
	for left > 0 {
		fs := rd.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("reading the log: %w", err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = errors.Join(ferr, fmt.Errorf("%s/%d: %w", t, p, err)) })
		if ferr != nil {
			return 0, fmt.Errorf("reading the log: %w", ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			k := tp{r.Topic, r.Partition}
			switch {
			case r.Attrs.IsControl():
				delete(open[k], r.ProducerID)
			case r.Attrs.IsTransactional():
				if open[k] == nil {
					open[k] = map[int64]int16{}
				}
				open[k][r.ProducerID] = r.ProducerEpoch
			}
			if end, ok := pending[r.Topic][r.Partition]; ok && r.Offset+1 >= end {
				delete(pending[r.Topic], r.Partition)
				left--
			}
		})
	}

	n := 0
	for k, pids := range open {
		for pid, epoch := range pids {
			req := kmsg.NewPtrWriteTxnMarkersRequest()
			m := kmsg.NewWriteTxnMarkersRequestMarker()
			m.ProducerID, m.ProducerEpoch, m.Committed = pid, epoch, false
			mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
			mt.Topic, mt.Partitions = k.topic, []int32{k.part}
			m.Topics = append(m.Topics, mt)
			req.Markers = append(req.Markers, m)
			resp, err := req.RequestWith(ctx, cl)
			if err != nil {
				return n, fmt.Errorf("writing abort marker to %s/%d: %w", k.topic, k.part, err)
			}
			for _, rm := range resp.Markers {
				for _, rt := range rm.Topics {
					for _, rp := range rt.Partitions {
						if rp.ErrorCode != 0 {
							return n, fmt.Errorf("writing abort marker to %s/%d: error code %d", k.topic, k.part, rp.ErrorCode)
						}
					}
				}
			}
			n++
			log.Info("aborted a transaction left open by a crash", zap.String("topic", k.topic), zap.Int32("partition", k.part),
				zap.Int64("producer_id", pid))
		}
	}
	return n, nil
}
