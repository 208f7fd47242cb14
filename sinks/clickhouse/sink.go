package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/backoff"
	"github.com/heldsway/heldsway/schemas"
)

// shutdownFlushTimeout bounds the last flush after Run's context ends.
const shutdownFlushTimeout = 10 * time.Second

// insertTimeout bounds one INSERT attempt, so a server that hangs rather
// than refuses is retried too.
const insertTimeout = time.Minute

// deliveryTimeout bounds producing a dead letter, so a Kafka outage is
// retried (and a shutdown is not held up) rather than waited out.
const deliveryTimeout = 30 * time.Second

// commitAttempts bounds retries of an offset commit. A commit that keeps
// failing (the member was kicked from the group) is given up: the records
// are redelivered and collapse as duplicates.
const commitAttempts = 3

// Sink loads the HeldSway topics into ClickHouse: it consumes them in a
// consumer group, decodes each record, buffers rows per table and, every
// FlushRows records or FlushInterval, inserts them and then commits the
// offsets of exactly the records stored. See the package documentation for
// the delivery guarantees.
type Sink struct {
	cfg    Config
	log    *zap.Logger
	routes map[string]*table // topic -> table
	now    func() time.Time

	// rebalanceWanted is set by kgo when a rebalance waits on us: flush
	// early so it can proceed.
	rebalanceWanted atomic.Bool

	mu struct {
		sync.Mutex
		w *Writer // set while Run is connected
	}
}

// New returns a Sink for cfg.
func New(cfg Config) (*Sink, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Sink{cfg: cfg, log: cfg.Logger, routes: topicTables(cfg.Topics), now: time.Now}, nil
}

// Ready reports whether the sink is connected to ClickHouse and the server
// answers, for health checks.
func (s *Sink) Ready(ctx context.Context) error {
	s.mu.Lock()
	w := s.mu.w
	s.mu.Unlock()
	if w == nil {
		return ErrNotConnected
	}
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return w.Ping(ctx)
}

func (s *Sink) setWriter(w *Writer) {
	s.mu.Lock()
	s.mu.w = w
	s.mu.Unlock()
}

// Run connects to ClickHouse (retrying until it answers), applies the
// migrations and loads records until ctx ends. Then it flushes what it
// holds (for at most 10s), commits and returns nil. It returns an error
// only for what retrying cannot fix, such as a bad DSN.
func (s *Sink) Run(ctx context.Context) error {
	var w *Writer
	err := s.retry(ctx, "connecting to clickhouse", func() error {
		var err error
		w, err = Open(ctx, WriterConfig{DSN: s.cfg.DSN, Logger: s.log})
		if errors.Is(err, ErrConfig) || errors.Is(err, ErrNotNative) || errors.Is(err, ErrBadDatabase) || errors.Is(err, ErrBadMigration) {
			return permanent{err}
		}
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer w.Close()
	s.setWriter(w)
	defer s.setWriter(nil)

	topics := make([]string, 0, len(s.routes))
	for t := range s.routes {
		topics = append(topics, t)
	}
	cl, err := s.cfg.Conn.NewClient(
		kgo.ConsumerGroup(s.cfg.Group),
		kgo.ConsumeTopics(topics...),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordDeliveryTimeout(deliveryTimeout),
		kgo.OnPartitionsCallbackBlocked(func(context.Context, *kgo.Client) { s.rebalanceWanted.Store(true) }),
	)
	if err != nil {
		return err
	}
	defer func() {
		cl.AllowRebalance()
		cl.Close()
	}()
	s.log.Info("sink running", zap.Strings("topics", topics), zap.String("group", s.cfg.Group), zap.String("database", w.Database()))
	return s.loop(ctx, cl, w)
}

// loop polls, buffers and flushes until ctx ends.
func (s *Sink) loop(ctx context.Context, cl *kgo.Client, w *Writer) error {
	b := newBatch()
	for {
		if ctx.Err() != nil {
			return s.shutdown(ctx, cl, w, b)
		}
		pollCtx, cancel := ctx, context.CancelFunc(func() {})
		if d := b.deadline(s.cfg.FlushInterval); !d.IsZero() {
			pollCtx, cancel = context.WithDeadline(ctx, d)
		}
		fetches := cl.PollRecords(pollCtx, max(s.cfg.FlushRows-b.n, 1))
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		fetchFailed := false
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			fetchFailed = true
			s.log.Warn("fetching", zap.String("topic", topic), zap.Int32("partition", p), zap.Error(err))
		})
		now := s.now()
		for _, r := range fetches.Records() {
			if err := s.add(ctx, b, r, now); err != nil {
				return s.shutdown(ctx, cl, w, b)
			}
		}
		if b.due(now, s.cfg.FlushRows, s.cfg.FlushInterval) || (s.rebalanceWanted.Load() && !b.empty()) {
			if err := s.flush(ctx, cl, w, b); err != nil {
				return s.shutdown(ctx, cl, w, b)
			}
			s.rebalanceWanted.Store(false)
		}
		if b.empty() {
			cl.AllowRebalance()
		}
		if fetchFailed && fetches.NumRecords() == 0 {
			// Don't spin on a broker that keeps failing.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// shutdown flushes what b holds with a fresh, bounded context after ctx
// ended. Whatever it cannot store stays uncommitted and is redelivered.
func (s *Sink) shutdown(ctx context.Context, cl *kgo.Client, w *Writer, b *batch) error {
	if b.empty() {
		return nil
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownFlushTimeout)
	defer cancel()
	if err := s.flush(fctx, cl, w, b); err != nil {
		s.log.Warn("flushing on shutdown; the records will be redelivered", zap.Error(err))
	}
	return nil
}

// add decodes r and buffers it as a row of its table, or as a dead letter.
// It fails only when ctx ends while a schema registry lookup is retried.
func (s *Sink) add(ctx context.Context, b *batch, r *kgo.Record, now time.Time) error {
	t := s.routes[r.Topic]
	if t == nil || r.Value == nil {
		// A tombstone (codes is compacted; a null value deletes a code):
		// raw tables keep history, so there is nothing to insert.
		b.skip(r, now)
		return nil
	}
	rec := t.newRecord()
	err := s.retry(ctx, "decoding", func() error {
		err := s.cfg.Serde.Decode(r.Value, rec)
		if err != nil && !errors.Is(err, schemas.ErrRegistry) {
			return permanent{err}
		}
		return err
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		b.addDead(r, err.Error(), now)
		return nil
	}
	vals, err := t.values(rec)
	if err != nil {
		b.addDead(r, err.Error(), now)
		return nil
	}
	b.addRow(t, vals, r, now)
	return nil
}

// flush inserts b's rows table by table, publishes its dead letters, then
// commits its offsets and resets it. Each step is retried until it succeeds
// or ctx ends; a table once written is dropped from b, so a flush cut short
// and run again does not write it twice.
func (s *Sink) flush(ctx context.Context, cl *kgo.Client, w *Writer, b *batch) error {
	start := s.now()
	rows := 0
	for _, t := range tables {
		if len(b.rows[t]) == 0 {
			continue
		}
		err := s.retry(ctx, "writing "+t.name, func() error {
			ictx, cancel := context.WithTimeout(ctx, insertTimeout)
			defer cancel()
			rejected, err := w.insert(ictx, t, b.rows[t])
			b.reject(t, rejected)
			return err
		})
		if err != nil {
			return err
		}
		rows += len(b.rows[t])
		delete(b.rows, t)
	}
	if len(b.dead) > 0 {
		if err := s.publishDead(ctx, cl, b.dead); err != nil {
			return err
		}
		b.dead = nil
	}
	var err error
	for attempt := 1; attempt <= commitAttempts; attempt++ {
		if err = commit(ctx, cl, b.offsets); err == nil || ctx.Err() != nil {
			break
		}
		s.log.Warn("committing offsets", zap.Int("attempt", attempt), zap.Error(err))
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		s.log.Error("giving up committing offsets; the stored records will be redelivered and collapse as duplicates", zap.Error(err))
	}
	s.log.Debug("flushed", zap.Int("rows", rows), zap.Duration("took", s.now().Sub(start)))
	b.reset()
	return nil
}

// publishDead produces a schemas.DeadLetter for each record to the
// dead-letter topic and waits for the acks. Records that came from the
// dead-letter topic itself are logged and dropped rather than looped.
func (s *Sink) publishDead(ctx context.Context, cl *kgo.Client, dead []deadLetter) error {
	now := s.now()
	recs := make([]*kgo.Record, 0, len(dead))
	for _, d := range dead {
		r := d.rec
		if r.Topic == s.cfg.Topics.DeadLetter {
			s.log.Error("dropping a dead letter that cannot be stored",
				zap.Int32("partition", r.Partition), zap.Int64("offset", r.Offset), zap.String("reason", d.reason))
			continue
		}
		p, o := r.Partition, r.Offset
		v, err := s.cfg.Serde.Encode(&schemas.DeadLetter{
			EventID:    schemas.ID(r.Topic, strconv.Itoa(int(p)), strconv.FormatInt(o, 10)),
			Source:     r.Topic,
			Stage:      "sink",
			Partition:  &p,
			Offset:     &o,
			Key:        r.Key,
			Value:      r.Value,
			Reason:     d.reason,
			OccurredAt: now,
		})
		if err != nil {
			return fmt.Errorf("encoding dead letter: %w", err)
		}
		recs = append(recs, &kgo.Record{Topic: s.cfg.Topics.DeadLetter, Key: r.Key, Value: v})
	}
	if len(recs) == 0 {
		return nil
	}
	s.log.Warn("dead-lettering records", zap.Int("count", len(recs)),
		zap.String("first_source", dead[0].rec.Topic), zap.String("first_reason", dead[0].reason))
	return s.retry(ctx, "publishing dead letters", func() error {
		return cl.ProduceSync(ctx, recs...).FirstErr()
	})
}

// commit commits offsets synchronously and returns the first error,
// including per-partition errors.
func commit(ctx context.Context, cl *kgo.Client, offsets map[string]map[int32]kgo.EpochOffset) error {
	var first error
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			first = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil && first == nil {
					first = fmt.Errorf("committing %s/%d: %w", t.Topic, p.Partition, err)
				}
			}
		}
	})
	return first
}

// permanent marks an error retry must not retry.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// retry calls f until it succeeds, returns a permanent error (returned
// unwrapped) or ctx ends (ctx's error is returned), backing off between
// attempts (see backoff). Each failure is logged; the capped backoff
// bounds how often.
func (s *Sink) retry(ctx context.Context, what string, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			if attempt > 1 {
				s.log.Info(what+" recovered", zap.Int("attempts", attempt))
			}
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return p.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d := retryPolicy(s.cfg.MaxBackoff).Delay(attempt)
		s.log.Warn(what+" failed; retrying", zap.Error(err), zap.Int("attempt", attempt), zap.Duration("backoff", d))
		if err := backoff.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// retryPolicy is the sink's backoff between attempts: 100ms doubling,
// capped at limit (Config.MaxBackoff).
func retryPolicy(limit time.Duration) backoff.Policy {
	return backoff.Policy{Min: 100 * time.Millisecond, Max: limit}
}
