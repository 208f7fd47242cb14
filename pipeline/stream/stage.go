package stream

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/backoff"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/state"
)

var (
	// ErrRunning is returned by Run on a stage that is already running.
	ErrRunning = errors.New("stream: stage already running")
	// ErrNotCopartitioned is returned by Run when the inputs (or an
	// existing changelog) do not all have the same partition count.
	ErrNotCopartitioned = errors.New("stream: topics are not co-partitioned")
)

// errRetryBatch marks a transaction aborted for a retry within the session.
var errRetryBatch = errors.New("stream: transaction aborted")

// errUnaligned ends a session whose transaction did not commit while the
// aligner held records: the consumer's position is past them, so the next
// session starts over from the committed offsets.
var errUnaligned = errors.New("stream: transaction not committed with records held for alignment")

// errStateBehind marks a Pebble commit that failed after its Kafka
// transaction committed: the session restarts and the next assignment
// restores the partitions from the changelog.
var errStateBehind = errors.New("stream: state commit failed after kafka commit")

// Stage runs one consume-transform-produce stage in Kafka transactions over
// a partitioned Pebble state. See the package doc for the protocol.
type Stage struct {
	cfg     Config
	process ProcessFunc
	log     *zap.Logger
	hooks   testHooks
	stats   counters
	dlqLog  rateLimited
	skipLog rateLimited

	running   atomic.Bool
	ready     atomic.Bool
	restoring atomic.Int32

	// Set by Run before any session starts; the assignment callbacks run
	// only while the poll loop is blocked (BlockRebalanceOnPoll), so the
	// loop and the callbacks never use them at the same time.
	store *state.Store
	adm   *kadm.Client
	// conn are cfg.Conn's client options, built once by New.
	conn []kgo.Opt
	// cache holds committed state values (see valueCache); nil when
	// Config.ValueCacheBytes is negative.
	cache *valueCache
	// align orders the inputs across polls (Config.AlignInputs); nil when
	// off. Made anew by each session.
	align *aligner

	// mu guards what Stats, Ready and the callbacks share. It is a leaf
	// lock: nothing else is locked, and no Kafka or Pebble call is made,
	// while it is held.
	mu struct {
		sync.Mutex
		owned      map[int32]bool
		assignErr  error
		lastCommit time.Time
	}
}

// testHooks lets tests inject failures at protocol steps.
type testHooks struct {
	// beforeStateCommit runs after the Kafka commit, before the Pebble
	// commit; an error is treated as a failed Pebble commit.
	beforeStateCommit func() error
}

// New validates cfg and returns a stage that runs process on every input
// record. Call Run to start it.
func New(cfg Config, process ProcessFunc) (*Stage, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if process == nil {
		return nil, errors.New("stream: process func is required")
	}
	if cfg.DeadLetter == nil {
		topic := cfg.deadLetterTopic()
		cfg.DeadLetter = func(rec *kgo.Record, _ error) (string, []byte, []byte) {
			return topic, rec.Key, rec.Value
		}
		cfg.createDeadLetter = true
	}
	conn, err := cfg.Conn.Opts()
	if err != nil {
		return nil, fmt.Errorf("stream: %w", err)
	}
	s := &Stage{cfg: cfg, conn: conn, process: process, log: cfg.Logger.With(zap.String("stage", cfg.Name))}
	s.dlqLog.every, s.dlqLog.clock = time.Second, cfg.Now
	s.skipLog.every, s.skipLog.clock = 10*time.Second, cfg.Now
	s.mu.owned = make(map[int32]bool)
	if cfg.ValueCacheBytes > 0 {
		s.cache = newValueCache(cfg.ValueCacheBytes)
	}
	return s, nil
}

// Ready reports whether the stage is in a group session with its tables
// caught up and no restore under way: a readiness probe.
func (s *Stage) Ready() bool { return s.ready.Load() && s.restoring.Load() == 0 }

// Run runs the stage until ctx is done, then finishes gracefully (the
// open transaction is aborted, the group is left, the store is closed) and
// returns nil. Infrastructure errors restart the group session after a
// backoff; Run returns an error only for a configuration problem it cannot
// retry (ErrNotCopartitioned).
func (s *Stage) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.running.Store(false)
	defer s.logTotals()
	// CPU profiles tell the stages apart by the label stage=<name>
	// (go tool pprof -tagfocus stage=attribute); the goroutines the stage
	// starts, its Kafka clients' and Pebble's among them, inherit it.
	ctx = pprof.WithLabels(ctx, pprof.Labels("stage", s.cfg.Name))
	pprof.SetGoroutineLabels(ctx)

	for _, t := range s.cfg.Tables {
		if err := t.WaitCaughtUp(ctx); err != nil {
			return nil // only ctx ends the wait
		}
	}

	cl, err := kgo.NewClient(s.conn...)
	if err != nil {
		return fmt.Errorf("stream: creating admin client: %w", err)
	}
	defer cl.Close()
	s.adm = kadm.NewClient(cl)

	bo := backoff.New(s.cfg.MinBackoff, s.cfg.MaxBackoff)
	for {
		err := s.ensureTopics(ctx, cl)
		if err == nil {
			break
		}
		if errors.Is(err, ErrNotCopartitioned) {
			return err
		}
		s.log.Warn("preparing topics; retrying", zap.Error(err))
		if !bo.Wait(ctx) {
			return nil
		}
	}

	defer func() {
		if s.store != nil {
			if err := s.store.Close(); err != nil {
				s.log.Warn("closing state store", zap.Error(err))
			}
			s.store = nil
		}
	}()
	bo.Reset()
	for {
		if s.store == nil {
			st, err := state.Open(s.cfg.StateDir, s.cfg.State)
			if err != nil {
				s.log.Error("opening state store; retrying", zap.Error(err))
				if !bo.Wait(ctx) {
					return nil
				}
				continue
			}
			s.store = st
		}
		err := s.runSession(ctx, bo)
		if ctx.Err() != nil {
			return nil
		}
		s.stats.sessionRes.Add(1)
		s.log.Warn("group session ended; restarting", zap.Error(err))
		s.cache.clear()
		if state.IsFailed(err) {
			if cerr := s.store.Close(); cerr != nil {
				s.log.Warn("closing failed state store", zap.Error(cerr))
			}
			s.store = nil
		}
		if !bo.Wait(ctx) {
			return nil
		}
	}
}

// ensureTopics checks that the inputs are co-partitioned and creates the
// changelog (compacted) and the default dead-letter topic if missing, with
// the inputs' partition count; an existing changelog must have it too.
func (s *Stage) ensureTopics(ctx context.Context, cl *kgo.Client) error {
	counts, err := kafka.Partitions(ctx, cl, s.cfg.Inputs...)
	if err != nil {
		return fmt.Errorf("describing inputs: %w", err)
	}
	n := int32(-1)
	for _, t := range s.cfg.Inputs {
		if n >= 0 && counts[t] != n {
			return fmt.Errorf("%w: input %q has %d partitions, expected %d", ErrNotCopartitioned, t, counts[t], n)
		}
		n = counts[t]
	}
	want := []kafka.Topic{{Name: s.cfg.Changelog, Partitions: n, Replication: s.cfg.ChangelogReplication, Compacted: true}}
	if s.cfg.createDeadLetter {
		want = append(want, kafka.Topic{Name: s.cfg.deadLetterTopic(), Partitions: n, Replication: s.cfg.ChangelogReplication})
	}
	have, err := kafka.CreateTopics(ctx, cl, want...)
	if err != nil {
		return err
	}
	if m := have[s.cfg.Changelog]; m != n {
		return fmt.Errorf("%w: %q has %d partitions, the inputs %d", ErrNotCopartitioned, s.cfg.Changelog, m, n)
	}
	return nil
}

// runSession runs one group transact session until ctx is done or an
// error needs a fresh session.
func (s *Stage) runSession(ctx context.Context, bo *backoff.Backoff) error {
	opts := append([]kgo.Opt{}, s.conn...)
	opts = append(opts, s.cfg.GroupOpts...)
	opts = append(opts,
		kgo.ConsumerGroup(s.cfg.Group),
		kgo.ConsumeTopics(s.cfg.Inputs...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.TransactionalID(s.cfg.transactionalID()),
		kgo.TransactionTimeout(s.cfg.TransactionTimeout),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.BlockRebalanceOnPoll(),
		kgo.DisableAutoCommit(),
		kgo.RecordPartitioner(changelogPartitioner{changelog: s.cfg.Changelog, def: kgo.StickyKeyPartitioner(nil)}),
		kgo.OnPartitionsAssigned(s.onAssigned),
		kgo.OnPartitionsRevoked(s.onRevoked),
		kgo.OnPartitionsLost(s.onLost),
	)
	if s.cfg.AlignInputs && len(s.cfg.Inputs) > 1 {
		s.align = newAligner(s.cfg.Inputs, s.cfg.MaxInputIdle, s.cfg.MaxPollRecords, s.cfg.FollowInputs...)
	}
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return fmt.Errorf("creating group session: %w", err)
	}
	defer func() {
		s.ready.Store(false)
		sess.CloseAllowingRebalance()
		s.mu.Lock()
		clear(s.mu.owned)
		s.mu.assignErr = nil
		s.mu.Unlock()
	}()
	// Fence a predecessor with our transactional ID and abort its open
	// transaction before anything waits on stable offsets.
	if _, _, err := sess.Client().ProducerID(ctx); err != nil {
		return fmt.Errorf("initializing producer id: %w", err)
	}
	s.ready.Store(true)

	var (
		wait time.Duration // until an aligned partition stops waiting
		more bool          // the aligner holds records it can hand out now
	)
	for {
		t0 := time.Now()
		var fetches kgo.Fetches
		switch {
		case s.align == nil:
			fetches = sess.PollRecords(ctx, s.cfg.MaxPollRecords)
		case more:
			fetches = sess.PollFetches(nil) // a nil context drains what is buffered without waiting
		default:
			// Everything buffered: see aligner.take.
			pollCtx, cancel := ctx, context.CancelFunc(func() {})
			if wait > 0 {
				pollCtx, cancel = context.WithTimeout(ctx, wait)
			}
			fetches = sess.PollFetches(pollCtx)
			cancel()
		}
		polled := time.Since(t0)
		s.stats.poll.Add(int64(polled))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fetches.IsClientClosed() {
			return errors.New("stream: client closed")
		}
		if err := s.takeAssignErr(); err != nil {
			sess.AllowRebalance()
			return err
		}
		var fetchErr error
		fetches.EachError(func(t string, p int32, err error) {
			if fetchErr == nil && !errors.Is(err, context.DeadlineExceeded) {
				fetchErr = fmt.Errorf("fetching %s/%d: %w", t, p, err)
			}
		})
		if fetchErr != nil {
			sess.AllowRebalance()
			return fetchErr
		}
		var recs []*kgo.Record
		if s.align != nil {
			s.align.add(fetches, polled)
			recs, wait, more = s.align.take(s.cfg.MaxPollRecords)
			if n := s.align.takeSkipped(); n > 0 {
				s.stats.alignSkips.Add(n)
				if s.skipLog.allow() {
					s.log.Warn("input partition behind but delivering nothing; records of the other inputs no longer wait for it",
						zap.Duration("max_input_idle", s.cfg.MaxInputIdle), zap.Int64("partitions", n),
						zap.Int64("suppressed", s.skipLog.takeSuppressed()))
				}
			}
			if pause, resume := s.align.flowControl(); pause != nil || resume != nil {
				sess.Client().PauseFetchPartitions(pause)
				sess.Client().ResumeFetchPartitions(resume)
			}
		} else {
			recs = inOrder(fetches, s.cfg.Inputs)
		}
		if len(recs) == 0 {
			sess.AllowRebalance()
			continue
		}
		err := s.processBatch(ctx, sess, recs)
		sess.AllowRebalance()
		switch {
		case err == nil:
			bo.Reset()
		case errors.Is(err, errRetryBatch) && s.align == nil:
			if !bo.Wait(ctx) {
				return ctx.Err()
			}
		default:
			return err
		}
	}
}

// processBatch runs protocol steps 2-4 for one batch of records, in the
// order given.
func (s *Stage) processBatch(ctx context.Context, sess *kgo.GroupTransactSession, recs []*kgo.Record) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	// Reads of the transaction's own writes are served by Tx (its dirty
	// map), so the batch needs no index.
	batch := s.store.NewWriteBatch()
	defer batch.Discard()

	var prodErr firstError
	produce := func(r *kgo.Record) {
		sess.Produce(ctx, r, func(r *kgo.Record, err error) {
			if err != nil {
				prodErr.set(fmt.Errorf("producing to %s: %w", r.Topic, err))
			}
		})
	}

	tProcess := time.Now()
	clogs := make(map[int32]*changelogBuffer)
	applied := make(map[int32]map[string]int64)
	var n, dead int64
	var abortErr error
	tx := Tx{cache: s.cache, dirty: make(map[string][]byte)}
	for _, rec := range recs {
		p := rec.Partition
		tx.reset(p, batch)
		perr := s.process(ctx, &tx, rec)
		if tx.err != nil {
			abortErr = tx.err
			break
		}
		if perr != nil && (errors.Is(perr, ErrAbort) || ctx.Err() != nil) {
			abortErr = perr
			break
		}
		if perr != nil {
			// The record's writes were never applied: it leaves no trace.
			s.deadLetter(rec, perr, produce)
			dead++
		} else {
			changes, err := tx.apply()
			if err != nil {
				abortErr = err
				break
			}
			c := clogs[p]
			if c == nil {
				c = newChangelogBuffer()
				clogs[p] = c
			}
			c.add(changes)
			for _, o := range tx.outputs {
				produce(o)
			}
		}
		offs := applied[p]
		if offs == nil {
			offs = make(map[string]int64, len(s.cfg.Inputs))
			applied[p] = offs
		}
		offs[rec.Topic] = rec.Offset + 1
		n++
	}

	tFlush := time.Now()
	s.stats.process.Add(int64(tFlush.Sub(tProcess)))
	if abortErr == nil {
		for p, c := range clogs {
			for _, ch := range c.entries {
				produce(&kgo.Record{Topic: s.cfg.Changelog, Partition: p, Key: ch.key, Value: ch.val})
			}
		}
		// Flush first so a failed produce aborts instead of committing.
		if err := sess.Client().Flush(ctx); err != nil {
			abortErr = fmt.Errorf("flushing: %w", err)
		} else if err := prodErr.get(); err != nil {
			abortErr = err
		}
	}

	tEnd := time.Now()
	s.stats.flush.Add(int64(tEnd.Sub(tFlush)))
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TransactionTimeout)
	defer cancel()
	if s.align != nil {
		endCtx = kgo.PreTxnCommitFnContext(endCtx, s.align.rewriteCommit)
	}
	if abortErr != nil {
		s.stats.aborted.Add(1)
		if _, err := sess.End(endCtx, kgo.TryAbort); err != nil {
			return fmt.Errorf("aborting transaction: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("transaction aborted; the batch will be consumed again", zap.Error(abortErr))
		if s.align != nil {
			return fmt.Errorf("%w: %w", errUnaligned, abortErr)
		}
		return fmt.Errorf("%w: %w", errRetryBatch, abortErr)
	}

	committed, err := sess.End(endCtx, kgo.TryCommit)
	tState := time.Now()
	s.stats.txnEnd.Add(int64(tState.Sub(tEnd)))
	if err != nil {
		s.stats.aborted.Add(1)
		return fmt.Errorf("committing transaction: %w", err)
	}
	if !committed {
		// A rebalance began: the session aborted and rewound.
		s.stats.aborted.Add(1)
		s.log.Info("transaction aborted by a rebalance; the batch will be consumed again")
		if s.align != nil {
			return errUnaligned
		}
		return nil
	}
	s.stats.committed.Add(1)
	s.stats.processed.Add(n)
	s.stats.deadLettered.Add(dead)
	s.mu.Lock()
	s.mu.lastCommit = s.cfg.Now()
	s.mu.Unlock()

	// Step 4: the Kafka transaction is committed; record the state and the
	// applied offsets. On failure Pebble is behind Kafka for these
	// partitions, which the next assignment detects and repairs.
	err = nil
	if s.hooks.beforeStateCommit != nil {
		err = s.hooks.beforeStateCommit()
	}
	if err == nil {
		err = batch.Commit(applied)
	}
	s.stats.stateCommit.Add(int64(time.Since(tState)))
	if err != nil {
		s.cache.clear()
		s.stats.stateCommitFailures.Add(1)
		s.log.Error("committing state after the kafka commit; the partitions will be restored from the changelog", zap.Error(err))
		return fmt.Errorf("%w: %w", errStateBehind, err)
	}
	for p, c := range clogs {
		for _, ch := range c.entries {
			s.cache.put(cacheKey(p, ch.key), ch.val, ch.val != nil)
		}
	}
	return nil
}

// logTotals logs the stage's counters and where its time went.
func (s *Stage) logTotals() {
	st := s.Stats()
	s.log.Info("stage stopped",
		zap.Int64("records", st.RecordsProcessed), zap.Int64("dead_lettered", st.RecordsDeadLettered),
		zap.Int64("txn_committed", st.TxnCommitted), zap.Int64("txn_aborted", st.TxnAborted),
		zap.Duration("poll", st.PollTime), zap.Duration("process", st.ProcessTime),
		zap.Duration("flush", st.FlushTime), zap.Duration("txn_end", st.TxnEndTime),
		zap.Duration("state_commit", st.StateCommitTime))
}

func (s *Stage) deadLetter(rec *kgo.Record, perr error, produce func(*kgo.Record)) {
	topic, key, value := s.cfg.DeadLetter(rec, perr)
	source := fmt.Sprintf("%s/%d/%d", rec.Topic, rec.Partition, rec.Offset)
	if s.dlqLog.allow() {
		s.log.Warn("dead-lettering record", zap.String("source", source), zap.String("to", topic),
			zap.Error(perr), zap.Int64("suppressed", s.dlqLog.takeSuppressed()))
	}
	if topic == "" {
		return
	}
	produce(&kgo.Record{Topic: topic, Key: key, Value: value, Headers: []kgo.RecordHeader{
		{Key: "heldsway.error", Value: []byte(perr.Error())},
		{Key: "heldsway.stage", Value: []byte(s.cfg.Name)},
		{Key: "heldsway.source", Value: []byte(source)},
	}})
}

func (s *Stage) takeAssignErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.mu.assignErr
	s.mu.assignErr = nil
	return err
}

// changelogBuffer keeps the last write of each key in one transaction, in
// first-write order.
type changelogBuffer struct {
	idx     map[string]int
	entries []change
}

func newChangelogBuffer() *changelogBuffer { return &changelogBuffer{idx: make(map[string]int)} }

func (c *changelogBuffer) add(changes []change) {
	for _, ch := range changes {
		if i, ok := c.idx[string(ch.key)]; ok {
			c.entries[i].val = ch.val
			continue
		}
		c.idx[string(ch.key)] = len(c.entries)
		c.entries = append(c.entries, ch)
	}
}

// changelogPartitioner sends changelog records to the partition set on the
// record (the state partition) and everything else through def.
type changelogPartitioner struct {
	changelog string
	def       kgo.Partitioner
}

func (p changelogPartitioner) ForTopic(t string) kgo.TopicPartitioner {
	if t == p.changelog {
		return kgo.ManualPartitioner().ForTopic(t)
	}
	return p.def.ForTopic(t)
}

type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
