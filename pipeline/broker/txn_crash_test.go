package broker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// TestCrashDuringTxnCommit reproduces, deterministically, every state a
// SIGKILL can leave on disk while kfake ends a consume-transform-produce
// transaction. kfake's EndTxn appends, in this order and each as its own
// write (fsynced with SyncWrites): a commit marker to every partition the
// transaction wrote (in map order), then one groups.log entry per consumed
// partition for the offsets staged by TxnOffsetCommit (kept in memory
// until then), then the producer's endtx/init entries in pids.log. A
// SIGKILL loses nothing written, so a crash image is the data directory
// before EndTxn plus a prefix of those appends: the test captures the
// directory right before kfake handles EndTxn and right after, and builds
// every such prefix (any subset of the markers, since their order is map
// order; then every prefix of the offset entries).
//
// Restarted on each image, the broker must show the transaction's outputs
// and its consumed offsets both or neither: outputs without offsets make a
// stream processor process the batch again (duplicate outputs), offsets
// without outputs lose it.
func TestCrashDuringTxnCommit(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, err := Start(Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()

	adm, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 2, 1, nil, "in"); err != nil {
		t.Fatal(err)
	}
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 2, 1, nil, "out"); err != nil {
		t.Fatal(err)
	}
	produceInputs := func(round int) {
		t.Helper()
		for p := range int32(2) {
			r := &kgo.Record{Topic: "in", Partition: p, Value: fmt.Appendf(nil, "in-%d-%d", round, p)}
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err != nil {
				t.Fatal(err)
			}
			err = cl.ProduceSync(ctx, r).FirstErr()
			cl.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(addr), kgo.ConsumerGroup("g"), kgo.ConsumeTopics("in"),
		kgo.TransactionalID("stage-0"), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// round consumes the two inputs of a round and writes one output per
	// input to the output partition of the same number, in one
	// transaction that also commits the consumed offsets.
	round := func(n int) []string {
		t.Helper()
		var outs []string
		if err := sess.Begin(); err != nil {
			t.Fatal(err)
		}
		for len(outs) < 2 {
			fs := sess.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("round %d: consumed %d of 2 inputs", n, len(outs))
			}
			fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetching %s/%d: %v", tp, p, err) })
			fs.EachRecord(func(r *kgo.Record) {
				v := fmt.Sprintf("out-%s", r.Value)
				outs = append(outs, v)
				if err := sess.ProduceSync(ctx, &kgo.Record{Topic: "out", Partition: r.Partition, Value: []byte(v)}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			})
		}
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil || !committed {
			t.Fatalf("round %d: committed %v, %v", n, committed, err)
		}
		return outs
	}
	produceInputs(1)
	round1 := round(1)

	// Capture the directory right before kfake handles the next EndTxn
	// (commit), and right after: when the next request of any kind
	// reaches the cluster, kfake, which handles requests one at a time,
	// has finished that EndTxn. Control functions run in the order they
	// were added, so the broker's own run first.
	pre, post := t.TempDir(), t.TempDir()
	var (
		mu               sync.Mutex
		armed, captured  bool
		endReq           kmsg.Request
		preSize, postSiz map[string]int64
	)
	done := make(chan struct{})
	b.cluster.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case !armed || captured:
		case endReq == nil:
			if r, ok := req.(*kmsg.EndTxnRequest); ok && r.Commit {
				endReq = req
				preSize = copyDir(t, dir, pre)
			}
		case req != endReq:
			postSiz = copyDir(t, dir, post)
			captured = true
			close(done)
		}
		return nil, nil, false
	})
	produceInputs(2)
	mu.Lock()
	armed = true
	mu.Unlock()
	round2 := round(2)
	// Any request ends the capture.
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		if _, err := kadm.NewClient(adm).ListTopics(ctx); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	sess.Close()

	// What EndTxn appended: a marker to each output partition (segment
	// and index), entries to groups.log and pids.log. Anything else means
	// kfake's EndTxn changed and this test needs a look.
	var markerParts []string // partition directories, relative
	var groupsLog, pidsLog bool
	for name, size := range postSiz {
		if size == preSize[name] || strings.HasPrefix(name, "heldsway.") {
			continue
		}
		switch {
		case size < preSize[name]:
			t.Fatalf("%s shrank during EndTxn: %d -> %d bytes", name, preSize[name], size)
		case name == "groups.log":
			groupsLog = true
		case name == "pids.log":
			pidsLog = true
		case strings.HasSuffix(name, ".dat"):
			markerParts = append(markerParts, filepath.Dir(name))
		case strings.HasSuffix(name, ".idx"):
		default:
			t.Fatalf("EndTxn appended to %s, which this test does not expect", name)
		}
	}
	sort.Strings(markerParts)
	if len(markerParts) != 2 || !groupsLog || !pidsLog {
		t.Fatalf("EndTxn appended markers to %v, groups.log %v, pids.log %v: want 2 output partitions and both logs", markerParts, groupsLog, pidsLog)
	}
	// groups.log entries are framed [4-byte length][4-byte CRC][length
	// bytes]; cut at each entry boundary.
	raw, err := os.ReadFile(filepath.Join(post, "groups.log"))
	if err != nil {
		t.Fatal(err)
	}
	cuts := []int64{preSize["groups.log"]}
	for at := preSize["groups.log"]; at < int64(len(raw)); {
		at += 8 + int64(binary.LittleEndian.Uint32(raw[at:]))
		cuts = append(cuts, at)
	}
	if len(cuts) != 3 {
		t.Fatalf("EndTxn appended %d groups.log entries, want 2 (one per consumed partition)", len(cuts)-1)
	}

	type image struct {
		name    string
		markers []string // output partitions whose marker is on disk
		groups  int64    // groups.log size
		pids    bool     // pids.log entries on disk
		// The broker crashes again during its repair: after the
		// repair cluster wrote its markers and offsets and closed,
		// before the repair finished (snapshots, journal).
		repairCrash bool
	}
	var images []image
	for mask := range 1 << len(markerParts) {
		var ms []string
		for i, p := range markerParts {
			if mask&(1<<i) != 0 {
				ms = append(ms, p)
			}
		}
		if len(ms) < len(markerParts) {
			images = append(images, image{name: fmt.Sprintf("markers on %v", ms), markers: ms, groups: cuts[0]})
			continue
		}
		for k, c := range cuts {
			images = append(images, image{name: fmt.Sprintf("all markers, %d of 2 offset entries", k), markers: ms, groups: c})
			if k == len(cuts)-1 {
				images = append(images, image{name: "all of EndTxn", markers: ms, groups: c, pids: true})
			}
		}
	}

	for _, im := range images {
		im.name += ", repair interrupted"
		im.repairCrash = true
		images = append(images, im)
	}

	wantRound1 := map[int32]int64{0: 1, 1: 1}
	wantRound2 := map[int32]int64{0: 2, 1: 2}
	for _, im := range images {
		t.Run(strings.ReplaceAll(im.name, " ", "_"), func(t *testing.T) {
			img := t.TempDir()
			copyDir(t, pre, img)
			restore := func(name string, size int64) {
				data, err := os.ReadFile(filepath.Join(post, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(img, name), data[:size], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range im.markers {
				for name, size := range postSiz {
					if filepath.Dir(name) == p {
						restore(name, size)
					}
				}
			}
			restore("groups.log", im.groups)
			if im.pids {
				restore("pids.log", postSiz["pids.log"])
			}

			log := zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
			cfg := Config{Listen: "127.0.0.1:0", DataDir: img, Logger: log}
			cfg.EnsureDefaults()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if im.repairCrash {
				d, err := readJournal(filepath.Join(img, journalFile))
				if err != nil {
					t.Fatal(err)
				}
				c, err := kfake.NewCluster(append(clusterOpts(cfg, img, log), privateListen)...)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = repairCluster(c, d, log)
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			outs := readCommitted(ctx, t, b.Addr(), "out")
			for _, v := range round1 {
				if outs[v] != 1 {
					t.Errorf("round 1 output %s seen %d times, want 1", v, outs[v])
				}
			}
			visible := 0
			for _, v := range round2 {
				visible += outs[v]
			}
			fetched, err := kadm.NewClient(cl).FetchOffsets(ctx, "g")
			if err != nil {
				t.Fatal(err)
			}
			offs := map[int32]int64{}
			fetched.Each(func(o kadm.OffsetResponse) {
				if o.Topic == "in" {
					offs[o.Partition] = o.At
				}
			})
			switch {
			case visible == 2 && fmt.Sprint(offs) == fmt.Sprint(wantRound2):
				t.Logf("transaction committed with its offsets")
			case visible == 0 && fmt.Sprint(offs) == fmt.Sprint(wantRound1):
				t.Logf("transaction aborted with its offsets")
			default:
				t.Errorf("after a crash with %s: %d of 2 outputs committed, consumed offsets %v (round 1 %v, round 2 %v): outputs and offsets must commit together",
					im.name, visible, offs, wantRound1, wantRound2)
			}

			// The same transactional id commits again, and read_committed
			// readers see it: nothing is left open.
			txn, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.TransactionalID("stage-0"),
				kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err != nil {
				t.Fatal(err)
			}
			defer txn.Close()
			if err := txn.BeginTransaction(); err != nil {
				t.Fatal(err)
			}
			for p := range int32(2) {
				if err := txn.ProduceSync(ctx, &kgo.Record{Topic: "out", Partition: p, Value: fmt.Appendf(nil, "after-%d", p)}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
				t.Fatal(err)
			}
			outs = readCommitted(ctx, t, b.Addr(), "out")
			if outs["after-0"] != 1 || outs["after-1"] != 1 {
				t.Errorf("a transaction committed after the restart is not visible read_committed: %v", outs)
			}
		})
	}
}

// copyDir copies the regular files under src to dst and returns their
// sizes by relative path.
func copyDir(t *testing.T, src, dst string) map[string]int64 {
	t.Helper()
	sizes := map[string]int64{}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sizes[rel] = int64(len(data))
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sizes
}

// readCommitted reads topic read_committed up to its high watermark and
// counts the values. A transaction left open stalls the read.
func readCommitted(ctx context.Context, t *testing.T, addr, topic string) map[string]int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	pending := map[int32]int64{}
	consume := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			pending[o.Partition] = o.Offset
			consume[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	counts := map[string]int{}
	if len(pending) == 0 {
		return counts
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: consume}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for len(pending) > 0 {
		fs := rd.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s read_committed: partitions %v not read to their end (a transaction left open?)", topic, slices.Sorted(maps.Keys(pending)))
		}
		fs.EachRecord(func(r *kgo.Record) {
			if !r.Attrs.IsControl() {
				counts[string(r.Value)]++
			}
			if end, ok := pending[r.Partition]; ok && r.Offset+1 >= end {
				delete(pending, r.Partition)
			}
		})
	}
	return counts
}

// TestJournalNamesRejectedCommit: the commit journal names a transaction
// (written before kfake handles the EndTxn) that kfake then refused or
// that had been aborted already, here by an abort marker. The repair must
// not commit the offsets the journal holds for it.
func TestJournalNamesRejectedCommit(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Start(Config{Listen: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()
	adm, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		ended *kmsg.EndTxnRequest
	)
	b.cluster.ControlKey(int16(kmsg.EndTxn), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		defer mu.Unlock()
		ended = req.(*kmsg.EndTxnRequest)
		return nil, nil, false
	})
	txn, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID("rejected"), kgo.DefaultProduceTopic("t"))
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	if err := txn.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := txn.ProduceSync(ctx, &kgo.Record{Value: []byte("aborted")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := txn.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	crashed := t.TempDir()
	copyDir(t, dir, crashed)
	mu.Lock()
	e := journalEntry{TxnID: "rejected", ProducerID: ended.ProducerID, Epoch: ended.ProducerEpoch, Version: ended.Version,
		Offsets: []journalOffset{{Group: "g", Topic: "t", Partition: 0, Offset: 1, LeaderEpoch: -1}}}
	mu.Unlock()
	j, err := openJournal(filepath.Join(crashed, journalFile), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.write(e); err != nil {
		t.Fatal(err)
	}
	j.f.Close()

	b2, err := Start(Config{Listen: "127.0.0.1:0", DataDir: crashed, Logger: zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if got := readCommitted(ctx, t, b2.Addr(), "t"); len(got) != 0 {
		t.Errorf("read_committed sees %v after the restart, want nothing", got)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b2.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fetched, err := kadm.NewClient(cl).FetchOffsets(ctx, "g")
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		t.Fatal(err)
	}
	if o, ok := fetched.Lookup("t", 0); ok && o.Err == nil && o.At >= 0 {
		t.Errorf("the offsets of an aborted transaction were committed: %+v", o)
	}
	if n, err := os.ReadFile(filepath.Join(crashed, journalFile)); err != nil || len(n) != 0 {
		t.Errorf("commit journal after the repair: %d bytes, %v; want empty", len(n), err)
	}
}

// TestControlRotation: the journal's control function, replaced by a fresh
// one after every request here, still sees every request exactly once.
func TestControlRotation(t *testing.T) {
	defer func(n int) { rotateControlEvery = n }(rotateControlEvery)
	rotateControlEvery = 1
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Start(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	txn, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.TransactionalID("rotate"), kgo.DefaultProduceTopic("t"),
		kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	const n = 5
	for i := range n {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := txn.ProduceSync(ctx, &kgo.Record{Value: fmt.Append(nil, i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
	}
	b.journal.mu.Lock()
	defer b.journal.mu.Unlock()
	if b.journal.prepared != n {
		t.Errorf("the journal saw %d commits, want %d", b.journal.prepared, n)
	}
}
