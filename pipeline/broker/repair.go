package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
)

// runningFile marks a data directory whose broker has not stopped cleanly.
const runningFile = "heldsway.running"

// repairTimeout bounds the repair pass.
const repairTimeout = 2 * time.Minute

// The crash repair belongs to the embedded, single-machine broker only: it
// runs on the broker's own data directory before clients connect, to make
// up for what kfake lacks, and is not a Kafka feature. Real Kafka and
// Redpanda (--brokers) write their abort markers themselves; nothing in
// this file runs against them.
//
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
//
// Except one: the transaction the commit journal names (journal.go), if
// kfake had accepted its commit (a commit marker of its producer id and
// epoch is in a log, or its data is still open at the end of one), is
// rolled forward as Kafka would: commit markers where they are missing and
// its staged offsets committed to their groups. In the partitions it had
// not marked yet kfake reloaded the transaction as aborted, and the
// partition snapshots it writes on close would keep saying so despite the
// commit marker. So repair then removes the snapshots of every partition
// the transaction wrote (all of them, so that a repair interrupted there
// does the same again), and kfake rebuilds those partitions from their
// segments, commit markers included, on the next start.

// tp is a topic partition.
type tp struct {
	topic string
	part  int32
}

// repairResult is what a repair did.
type repairResult struct {
	aborted   int           // transactions aborted with a marker
	committed *journalEntry // the commit journaled and rolled forward, if any
	markers   int           // commit markers it was missing
	offsets   int           // offsets it was missing
}

// repair aborts the transactions a crash left open in dir, except the
// commit the journal names, which it completes. opts start a cluster on
// dir.
func repair(opts []kfake.Opt, dir string, sync bool, log *zap.Logger) (repairResult, error) {
	jpath := filepath.Join(dir, journalFile)
	d, err := readJournal(jpath)
	if err != nil {
		return repairResult{}, err
	}
	opts = append(opts[:len(opts):len(opts)], privateListen)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return repairResult{}, fmt.Errorf("starting on a private port: %w", err)
	}
	res, replay, err := repairCluster(c, d, log)
	c.Close()
	if err != nil {
		return res, err
	}
	for _, p := range replay {
		pdir := filepath.Join(dir, "partitions", fmt.Sprintf("%s-%d", url.PathEscape(p.topic), p.part))
		if err := os.Remove(filepath.Join(pdir, "snapshot.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("removing the snapshot of %s/%d: %w", p.topic, p.part, err)
		}
		if sync {
			if err := syncDir(pdir); err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, err
			}
		}
	}
	if err := clearJournal(jpath, sync); err != nil {
		return res, fmt.Errorf("clearing the commit journal: %w", err)
	}
	return res, nil
}

// privateListen has a repair cluster listen where no client looks.
var privateListen = kfake.ListenFn(func(network, _ string) (net.Listener, error) {
	return net.Listen(network, "127.0.0.1:0")
})

// repairCluster repairs the cluster c, completing the commit d if kfake
// had accepted it. It returns the partitions whose snapshot must go.
func repairCluster(c *kfake.Cluster, d *journalEntry, log *zap.Logger) (repairResult, []tp, error) {
	var res repairResult
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		return res, nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), repairTimeout)
	defer cancel()

	adm := kadm.NewClient(cl)
	topics, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return res, nil, fmt.Errorf("listing topics: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics.Names()...)
	if err != nil {
		return res, nil, fmt.Errorf("listing end offsets: %w", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics.Names()...)
	if err != nil {
		return res, nil, fmt.Errorf("listing start offsets: %w", err)
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
		return res, nil, nil
	}

	// Replay every partition read_uncommitted with control records, and
	// track which producer ids have a transaction open at the end, where
	// the journaled transaction wrote and whether a commit marker of it
	// is in a log.
	open := map[tp]map[int64]int16{} // partition -> producer id -> epoch
	var (
		dParts  = map[tp]bool{}
		dMarker bool
	)
	isD := func(r *kgo.Record) bool {
		return d != nil && r.ProducerID == d.ProducerID && r.ProducerEpoch == d.Epoch
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumePartitions(consume),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		return res, nil, err
	}
	defer rd.Close()
	left := 0
	for _, ps := range pending {
		left += len(ps)
	}
	for left > 0 {
		fs := rd.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return res, nil, fmt.Errorf("reading the log: %w", err)
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) { ferr = errors.Join(ferr, fmt.Errorf("%s/%d: %w", t, p, err)) })
		if ferr != nil {
			return res, nil, fmt.Errorf("reading the log: %w", ferr)
		}
		fs.EachRecord(func(r *kgo.Record) {
			k := tp{r.Topic, r.Partition}
			switch {
			case r.Attrs.IsControl():
				delete(open[k], r.ProducerID)
				var key kmsg.ControlRecordKey
				if isD(r) && key.ReadFrom(r.Key) == nil && key.Type == kmsg.ControlRecordKeyTypeCommit {
					dMarker = true
				}
			case r.Attrs.IsTransactional():
				if open[k] == nil {
					open[k] = map[int64]int16{}
				}
				open[k][r.ProducerID] = r.ProducerEpoch
				if isD(r) {
					dParts[k] = true
				}
			}
			if end, ok := pending[r.Topic][r.Partition]; ok && r.Offset+1 >= end {
				delete(pending[r.Topic], r.Partition)
				left--
			}
		})
	}

	// kfake accepted the journaled commit if it wrote a marker of it, or
	// if its data is still open: a transaction fenced or timed out before
	// the commit was aborted with a marker. Before KIP-890 part 2 an
	// epoch spans transactions, so only open data counts.
	dOpen := false
	for _, pids := range open {
		if d == nil {
			break
		}
		if e, ok := pids[d.ProducerID]; ok && e == d.Epoch {
			dOpen = true
		}
	}
	complete := d != nil && (dOpen || dMarker && d.Version >= 5)
	if d != nil && !complete {
		log.Info("the commit journal names a transaction that kfake had not accepted; nothing to complete",
			zap.String("transactional_id", d.TxnID), zap.Int64("producer_id", d.ProducerID), zap.Int16("epoch", d.Epoch))
	}

	for k, pids := range open {
		for pid, epoch := range pids {
			commit := complete && pid == d.ProducerID && epoch == d.Epoch
			req := kmsg.NewPtrWriteTxnMarkersRequest()
			m := kmsg.NewWriteTxnMarkersRequestMarker()
			m.ProducerID, m.ProducerEpoch, m.Committed = pid, epoch, commit
			mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
			mt.Topic, mt.Partitions = k.topic, []int32{k.part}
			m.Topics = append(m.Topics, mt)
			req.Markers = append(req.Markers, m)
			resp, err := req.RequestWith(ctx, cl)
			if err == nil {
				for _, rm := range resp.Markers {
					for _, rt := range rm.Topics {
						for _, rp := range rt.Partitions {
							err = errors.Join(err, kerr.ErrorForCode(rp.ErrorCode))
						}
					}
				}
			}
			if err != nil {
				return res, nil, fmt.Errorf("writing a marker (commit %v) to %s/%d: %w", commit, k.topic, k.part, err)
			}
			if commit {
				res.markers++
				log.Info("wrote the commit marker a crash interrupted", zap.String("topic", k.topic), zap.Int32("partition", k.part),
					zap.Int64("producer_id", pid))
				continue
			}
			res.aborted++
			log.Info("aborted a transaction left open by a crash", zap.String("topic", k.topic), zap.Int32("partition", k.part),
				zap.Int64("producer_id", pid))
		}
	}
	if !complete {
		return res, nil, nil
	}

	// The staged offsets, as kfake would have committed them. Nothing
	// ran after that commit (the journal was not cleared), so they are
	// the group's latest.
	byGroup := map[string]kadm.Offsets{}
	var groups []string
	for _, o := range d.Offsets {
		if o.Topic == "" {
			for _, t := range topics {
				if t.ID == o.TopicID {
					o.Topic = t.Topic
				}
			}
		}
		if o.Topic == "" {
			log.Warn("an offset staged by the interrupted transaction is for a topic that is gone", zap.String("group", o.Group),
				zap.String("topic_id", kadm.TopicID(o.TopicID).String()), zap.Int32("partition", o.Partition))
			continue
		}
		if byGroup[o.Group] == nil {
			byGroup[o.Group] = kadm.Offsets{}
			groups = append(groups, o.Group)
		}
		md := ""
		if o.Metadata != nil {
			md = *o.Metadata
		}
		offs := byGroup[o.Group]
		offs.Add(kadm.Offset{Topic: o.Topic, Partition: o.Partition, At: o.Offset, LeaderEpoch: o.LeaderEpoch, Metadata: md})
	}
	for _, g := range groups {
		if cur, err := adm.FetchOffsets(ctx, g); err == nil || errors.Is(err, kerr.GroupIDNotFound) {
			byGroup[g].Each(func(o kadm.Offset) {
				if c, ok := cur.Lookup(o.Topic, o.Partition); !ok || c.Err != nil || c.At != o.At {
					res.offsets++
				}
			})
		} else {
			return res, nil, fmt.Errorf("fetching the offsets of group %q: %w", g, err)
		}
		resp, err := adm.CommitOffsets(ctx, g, byGroup[g])
		if err == nil {
			resp.Each(func(o kadm.OffsetResponse) {
				switch {
				case errors.Is(o.Err, kerr.UnknownTopicOrPartition):
					log.Warn("an offset staged by the interrupted transaction is for a topic that is gone", zap.String("group", g),
						zap.String("topic", o.Topic), zap.Int32("partition", o.Partition))
				case o.Err != nil:
					err = errors.Join(err, fmt.Errorf("%s/%d: %w", o.Topic, o.Partition, o.Err))
				}
			})
		}
		if err != nil {
			return res, nil, fmt.Errorf("committing the offsets of group %q staged by the interrupted transaction: %w", g, err)
		}
	}
	res.committed = d
	if res.markers+res.offsets == 0 {
		log.Info("the last transaction committed before the crash was complete", zap.String("transactional_id", d.TxnID),
			zap.Int64("producer_id", d.ProducerID), zap.Int16("epoch", d.Epoch))
	} else {
		log.Warn("completed a transaction commit that a crash interrupted", zap.String("transactional_id", d.TxnID),
			zap.Int64("producer_id", d.ProducerID), zap.Int16("epoch", d.Epoch), zap.Int("commit_markers_written", res.markers),
			zap.Int("offsets_committed", res.offsets))
	}
	replay := make([]tp, 0, len(dParts))
	for k := range dParts {
		replay = append(replay, k)
	}
	return res, replay, nil
}

// syncDir fsyncs a directory, making a removal in it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
