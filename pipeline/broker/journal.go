package broker

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/heldsway/heldsway/state"
)

// The commit journal belongs to the embedded, single-machine broker only:
// it makes up for what kfake lacks, and is not a Kafka feature. Real Kafka
// and Redpanda (--brokers) keep their own transaction log; nothing in this
// file runs against them.
//
// Why a commit journal: kfake ends a transaction (EndTxn commit) with a
// series of separate appends, each fsynced with SyncWrites: a commit
// marker to each partition the transaction wrote, one after the other;
// then the offsets staged by TxnOffsetCommit, which until then live only
// in memory, one groups.log entry per partition; then its pids.log
// entries. Nothing records the decision to commit before the first
// append, so a crash in between leaves a transaction half committed: some
// partitions with a commit marker and the rest reloaded as aborted, or all
// outputs committed and the consumed offsets not (or only some). A stream
// processor then processes the batch again and publishes its outputs
// twice. Real Kafka first writes PREPARE_COMMIT to its transaction log and
// rolls the commit forward after a crash.
//
// The journal does the same on kfake's behalf. A control function sees
// every request before kfake handles it (kfake handles one at a time). It
// stages the offsets of each TxnOffsetCommit; on EndTxn with commit it
// writes the transaction (producer id and epoch, staged offsets) to the
// journal and syncs it before kfake starts committing. When the next
// request arrives, that EndTxn is over, and the journal is emptied before
// that request runs. So after a crash a non-empty journal names the only
// transaction whose commit may be half done, and nothing else ran after
// it; repair (repair.go) finishes it.

// journalFile is the commit journal in the data directory.
const journalFile = "heldsway.commit-journal"

// journalEntry is a transaction kfake was asked to commit.
type journalEntry struct {
	TxnID      string `json:"txn_id"`
	ProducerID int64  `json:"producer_id"`
	Epoch      int16  `json:"epoch"`
	// Version is the EndTxn request version. From 5 (KIP-890 part 2)
	// every transaction ends with an epoch bump, so a commit marker with
	// this producer id and epoch belongs to this transaction alone.
	Version int16           `json:"version"`
	Offsets []journalOffset `json:"offsets,omitempty"`
}

// journalOffset is an offset staged by TxnOffsetCommit.
type journalOffset struct {
	Group string `json:"group"`
	// Topic, or TopicID from TxnOffsetCommit v6 on.
	Topic       string   `json:"topic,omitempty"`
	TopicID     [16]byte `json:"topic_id"`
	Partition   int32    `json:"partition"`
	Offset      int64    `json:"offset"`
	LeaderEpoch int32    `json:"leader_epoch"`
	Metadata    *string  `json:"metadata,omitempty"`
}

type stagedKey struct {
	txnID string
	pid   int64
	epoch int16
}

type offsetKey struct {
	group, topic string
	topicID      [16]byte
	part         int32
}

// journal is the live commit journal of a running broker.
type journal struct {
	mu      sync.Mutex
	f       *os.File
	sync    bool
	pending bool // the file holds an entry
	staged  map[stagedKey]map[offsetKey]journalOffset
	c       *kfake.Cluster // the cluster j.control controls

	calls    int // since the control function was added
	prepared int // entries written, for tests
}

// rotateControlEvery is how many requests a control function sees before
// it is replaced by a fresh one: kfake keeps, per control function, the
// last request of every connection it ever saw, closed connections
// included.
var rotateControlEvery = 1 << 14

func openJournal(path string, sync bool) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, state.PrivateFileMode)
	if err != nil {
		return nil, err
	}
	j := &journal{f: f, sync: sync, staged: map[stagedKey]map[offsetKey]journalOffset{}}
	if err := j.clear(); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

// control is the cluster's control function for every request. It never
// handles a request itself unless the journal cannot be written: then the
// client's connection is closed without the request running, and the
// client retries on a new one.
func (j *journal) control(req kmsg.Request) (kmsg.Response, error, bool) { //nolint:revive // kfake's control signature
	j.mu.Lock()
	defer j.mu.Unlock()
	fail := func(err error) (kmsg.Response, error, bool) {
		j.c.KeepControl()
		return nil, fmt.Errorf("broker: commit journal: %w", err), true
	}
	end, isEnd := req.(*kmsg.EndTxnRequest)
	if j.pending && !(isEnd && end.Commit) { // a commit overwrites the entry
		if err := j.clear(); err != nil {
			return fail(err)
		}
	}
	switch r := req.(type) {
	case *kmsg.TxnOffsetCommitRequest:
		k := stagedKey{r.TransactionalID, r.ProducerID, r.ProducerEpoch}
		offs := j.staged[k]
		if offs == nil {
			offs = map[offsetKey]journalOffset{}
			j.staged[k] = offs
		}
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				offs[offsetKey{r.Group, t.Topic, t.TopicID, p.Partition}] = journalOffset{
					Group: r.Group, Topic: t.Topic, TopicID: t.TopicID, Partition: p.Partition,
					Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, Metadata: p.Metadata,
				}
			}
		}
	case *kmsg.InitProducerIDRequest:
		if r.TransactionalID != nil {
			j.unstage(*r.TransactionalID)
		}
	case *kmsg.EndTxnRequest:
		if !r.Commit {
			j.unstage(r.TransactionalID)
			break
		}
		staged := j.staged[stagedKey{r.TransactionalID, r.ProducerID, r.ProducerEpoch}]
		e := journalEntry{TxnID: r.TransactionalID, ProducerID: r.ProducerID, Epoch: r.ProducerEpoch, Version: r.Version}
		for _, o := range staged {
			e.Offsets = append(e.Offsets, o)
		}
		slices.SortFunc(e.Offsets, func(a, b journalOffset) int {
			return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Topic, b.Topic),
				bytes.Compare(a.TopicID[:], b.TopicID[:]), cmp.Compare(a.Partition, b.Partition))
		})
		if err := j.write(e); err != nil {
			return fail(err) // the client retries the EndTxn
		}
		j.unstage(r.TransactionalID)
		j.prepared++
	}
	if j.calls++; j.calls >= rotateControlEvery {
		j.calls = 0
		j.c.DropControl()
		j.c.Control(j.control)
	}
	return nil, nil, false
}

func (j *journal) unstage(txnID string) {
	for k := range j.staged {
		if k.txnID == txnID {
			delete(j.staged, k)
		}
	}
}

// write replaces the journal's content with e.
func (j *journal) write(e journalEntry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	buf := make([]byte, 8, 8+len(data))
	binary.LittleEndian.PutUint32(buf[0:4], uint32(len(data)))
	binary.LittleEndian.PutUint32(buf[4:8], crc32.Checksum(data, crc32c))
	buf = append(buf, data...)
	j.pending = true // even a failed write may leave something
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if _, err := j.f.WriteAt(buf, 0); err != nil {
		return err
	}
	if j.sync {
		return j.f.Sync()
	}
	return nil
}

// clear empties the journal: the transaction it named is over.
func (j *journal) clear() error {
	if err := j.f.Truncate(0); err != nil {
		return err
	}
	if j.sync {
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	j.pending = false
	return nil
}

// close empties the journal after the cluster stopped (every request it
// took is over) and closes it.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return errors.Join(j.clear(), j.f.Close())
}

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// readJournal returns the entry in the journal at path, or nil if there is
// none (or only a torn write: then the commit never started).
func readJournal(path string) (*journalEntry, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	if len(raw) < 8 {
		return nil, nil
	}
	n := binary.LittleEndian.Uint32(raw[0:4])
	if uint64(len(raw)-8) < uint64(n) {
		return nil, nil
	}
	data := raw[8 : 8+n]
	if crc32.Checksum(data, crc32c) != binary.LittleEndian.Uint32(raw[4:8]) {
		return nil, nil
	}
	var e journalEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return &e, nil
}

// clearJournal empties the journal file at path, if there is one.
func clearJournal(path string, sync bool) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(0); err != nil {
		return err
	}
	if sync {
		return f.Sync()
	}
	return nil
}
