package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/backoff"
	"github.com/heldsway/heldsway/pipeline/kafka"
)

// TableConfig configures a Table.
type TableConfig struct {
	// Topic is the compacted topic to materialise. Required.
	Topic string
	// Conn says how to reach Kafka (seed brokers, TLS, SASL). Required.
	Conn kafka.Conn
	// OnChange, if set, is called from Run's goroutine after each change:
	// val nil means key was deleted. Default none.
	OnChange func(key, old, val []byte)
	// NoValues keeps no values in the table: Get finds nothing, Len is 0
	// and OnChange's old is always nil. For a caller whose OnChange keeps
	// its own materialised view (the processor's decoded codes), so the
	// topic is held in memory once. Default false.
	NoValues bool
	// Logger receives the table's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults: a nil Logger
// becomes zap.NewNop().
func (c *TableConfig) EnsureDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c is usable.
func (c TableConfig) Validate() error {
	if c.Topic == "" {
		return errors.New("stream: table config: topic is required")
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("stream: table config: %w", err)
	}
	return nil
}

// Table is a global table: every partition of a compacted topic, read from
// the start with read_committed outside any group, held in memory. Every
// instance holds all of it. A nil value (tombstone) deletes a key.
type Table struct {
	cfg      TableConfig
	log      *zap.Logger
	caughtUp chan struct{}
	once     sync.Once

	// mu guards m. Leaf lock; OnChange is called without it.
	mu struct {
		sync.RWMutex
		m map[string][]byte
	}
}

// NewTable returns a table; call Run to fill it.
func NewTable(cfg TableConfig) (*Table, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Table{cfg: cfg, log: cfg.Logger.With(zap.String("table", cfg.Topic)), caughtUp: make(chan struct{})}
	t.mu.m = make(map[string][]byte)
	return t, nil
}

// Get returns key's value. The slice is shared: do not modify it.
func (t *Table) Get(key []byte) ([]byte, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.mu.m[string(key)]
	return v, ok
}

// Len is the number of keys.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.mu.m)
}

// CaughtUp reports whether the table reached the end offsets observed when
// Run started.
func (t *Table) CaughtUp() bool {
	select {
	case <-t.caughtUp:
		return true
	default:
		return false
	}
}

// WaitCaughtUp blocks until the table is caught up or ctx is done.
func (t *Table) WaitCaughtUp(ctx context.Context) error {
	select {
	case <-t.caughtUp:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run consumes the topic until ctx is done. It returns nil then, or an
// error if the topic cannot be read.
func (t *Table) Run(ctx context.Context) error {
	opts, err := t.cfg.Conn.Opts()
	if err != nil {
		return fmt.Errorf("stream: table %s: %w", t.cfg.Topic, err)
	}
	opts = append(opts,
		kgo.ConsumeTopics(t.cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(250*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("stream: creating table client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	// The ends to reach: the last stable offsets now.
	var pending map[int32]int64
	bo := backoff.New(50*time.Millisecond, 2*time.Second)
	for pending == nil {
		ends, err := adm.ListCommittedOffsets(ctx, t.cfg.Topic)
		if err == nil {
			pending, err = tableEnds(ends, t.cfg.Topic)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			t.log.Warn("listing table end offsets; retrying", zap.Error(err))
			if !bo.Wait(ctx) {
				return nil
			}
		}
	}
	t.checkCaughtUp(pending)

	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.log.Warn("fetching table", zap.Int32("partition", p), zap.Error(err))
			}
		})
		if fetches.NumRecords() == 0 && len(pending) > 0 {
			// Stalled before the end: a trailing aborted record hides
			// the end offset until later markers arrive.
			if ends, err := adm.ListCommittedOffsets(ctx, t.cfg.Topic); err == nil {
				for p, end := range pending {
					if o, ok := ends.Lookup(t.cfg.Topic, p); ok && o.Err == nil && o.Offset > end {
						pending[p] = o.Offset
					}
				}
			}
			continue
		}
		fetches.EachRecord(func(rec *kgo.Record) {
			if end, ok := pending[rec.Partition]; ok && rec.Offset+1 >= end {
				delete(pending, rec.Partition)
			}
			if rec.Attrs.IsControl() {
				return
			}
			t.apply(rec.Key, rec.Value)
		})
		t.checkCaughtUp(pending)
	}
}

func tableEnds(ends kadm.ListedOffsets, topic string) (map[int32]int64, error) {
	ps, ok := ends[topic]
	if !ok || len(ps) == 0 {
		return nil, fmt.Errorf("stream: table topic %q not found", topic)
	}
	pending := make(map[int32]int64)
	for p, o := range ps {
		if o.Err != nil {
			return nil, fmt.Errorf("stream: table topic %q partition %d: %w", topic, p, o.Err)
		}
		if o.Offset > 0 {
			pending[p] = o.Offset
		}
	}
	return pending, nil
}

func (t *Table) apply(key, val []byte) {
	if t.cfg.NoValues {
		if t.cfg.OnChange != nil {
			t.cfg.OnChange(key, nil, val)
		}
		return
	}
	k := string(key)
	t.mu.Lock()
	old := t.mu.m[k]
	if val == nil {
		delete(t.mu.m, k)
	} else {
		t.mu.m[k] = val
	}
	t.mu.Unlock()
	if t.cfg.OnChange != nil {
		t.cfg.OnChange(key, old, val)
	}
}

func (t *Table) checkCaughtUp(pending map[int32]int64) {
	if len(pending) == 0 {
		t.once.Do(func() {
			if t.cfg.NoValues {
				t.log.Info("table caught up")
			} else {
				t.log.Info("table caught up", zap.Int("keys", t.Len()))
			}
			close(t.caughtUp)
		})
	}
}
