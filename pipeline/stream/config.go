package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/state"
)

// ProcessFunc applies one input record: it reads and writes the record's
// state partition through tx and produces outputs through tx. Returning an
// error dead-letters the record (its writes and outputs are dropped), unless
// the error wraps ErrAbort or the context is done, which abort the whole
// transaction for a retry.
type ProcessFunc func(ctx context.Context, tx *Tx, rec *kgo.Record) error

// DeadLetterFunc chooses where a record that Process rejected goes. An
// empty topic drops the record (it is still consumed). The runtime adds the
// headers heldsway.error, heldsway.stage and heldsway.source
// (topic/partition/offset).
type DeadLetterFunc func(rec *kgo.Record, err error) (topic string, key, value []byte)

// Config configures a Stage.
type Config struct {
	// Name names the stage in logs and the default topic names. Required.
	Name string
	// Group is the consumer group. Default Name.
	Group string
	// Inputs are the co-partitioned input topics: all must have the same
	// partition count, and partition p of every input is state partition
	// p. Required.
	Inputs []string
	// Changelog is the compacted topic mirroring the state: partition p
	// holds state partition p's writes. Created with the inputs'
	// partition count if missing. Default Group + "-changelog".
	Changelog string
	// ChangelogReplication is the replication factor used when creating
	// the changelog and the default dead-letter topic. Default -1 (the
	// broker's default).
	ChangelogReplication int16
	// StateDir is the Pebble directory. Required.
	StateDir string
	// State tunes the Pebble store. Default: the zero state.Config
	// (synced commits). A nil State.Logger becomes the stage's logger
	// named "state".
	State state.Config
	// InstanceID identifies this instance: the transactional ID is
	// Group + "-" + InstanceID. It must be unique among live instances
	// and stable across restarts of one instance (a pod name, a host
	// name), so a restarted instance fences its predecessor and aborts
	// its open transaction at once. Required.
	InstanceID string
	// Conn says how every client the stage makes reaches Kafka (seed
	// brokers, TLS, SASL). Required.
	Conn kafka.Conn
	// GroupOpts are extra options for the group client only (session and
	// rebalance timeouts, static membership with kgo.InstanceID). Default
	// none.
	GroupOpts []kgo.Opt
	// MaxPollRecords bounds the records in one transaction. Default 10000.
	MaxPollRecords int
	// AlignInputs processes the inputs in timestamp order across polls,
	// not only within one, and across all the state partitions the
	// instance owns: when an input partition has nothing fetched while
	// the broker holds more of it, newer records of every partition wait
	// for it (at most MaxInputIdle), and the offsets committed stop before
	// the records still waiting. A backlog fetched topic by topic or
	// partition by partition is then applied in the order the records
	// reached Kafka. Each input partition keeps at most MaxPollRecords
	// records waiting; beyond that its fetching pauses. Default false
	// (records are merged by timestamp per partition within one poll).
	AlignInputs bool
	// FollowInputs are inputs (among Inputs) that AlignInputs never waits
	// for: their records are taken in timestamp order with the others, but
	// a partition of theirs that is behind holds nothing back. For an
	// input fed back by a downstream stage (its records carry the
	// timestamps of the records that caused them, older than the ones
	// being processed, and it is written in transactions whose end the
	// aligner would otherwise wait for). Default none.
	FollowInputs []string
	// MaxInputIdle is how long aligned records wait for an input that is
	// behind but delivers nothing (Kafka Streams' max.task.idle.ms),
	// counted in time the stage spends waiting in polls, not processing. It
	// matters only when the broker's offsets say more is coming that
	// never does, such as records of aborted transactions. Default 500ms.
	MaxInputIdle time.Duration
	// ValueCacheBytes bounds the in-memory cache of committed state values
	// (and of keys known to be absent) in front of Pebble. Default 48 MiB;
	// negative disables it.
	ValueCacheBytes int
	// TransactionTimeout is the broker-side timeout of one transaction;
	// a crashed instance that is not restarted holds back read_committed
	// consumers of its outputs for up to this long. Default 30s.
	TransactionTimeout time.Duration
	// DeadLetter routes rejected records. Default: topic Name +
	// ".dead-letter" (created if missing) with the record's key and value.
	DeadLetter DeadLetterFunc
	// Tables are global tables the stage waits for (WaitCaughtUp) before
	// it joins the group. The caller runs them. Default none.
	Tables []*Table
	// MinBackoff and MaxBackoff bound the wait before retrying after an
	// infrastructure error; the wait doubles per consecutive failure.
	// Defaults 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the stage's logs. Default zap.NewNop().
	Logger *zap.Logger
	// Now is the clock that stamps Stats.LastCommit and paces the
	// rate-limited logs. It is not the aligner's: MaxInputIdle counts the
	// wall time polls block, which decides when records stop waiting for
	// an input that is behind, so wall time can decide the order records
	// are applied in (and with it an outcome) when an input stalls.
	// Default time.Now.
	Now func() time.Time

	createDeadLetter bool // DeadLetter was defaulted: create its topic
}

// EnsureDefaults sets c's zero fields to their defaults (a nil Logger
// becomes zap.NewNop()), the state store's included.
func (c *Config) EnsureDefaults() {
	if c.Group == "" {
		c.Group = c.Name
	}
	if c.Changelog == "" && c.Group != "" {
		c.Changelog = c.Group + "-changelog"
	}
	if c.ChangelogReplication == 0 {
		c.ChangelogReplication = -1
	}
	if c.ValueCacheBytes == 0 {
		c.ValueCacheBytes = 48 << 20
	}
	if c.MaxPollRecords == 0 {
		c.MaxPollRecords = 10000
	}
	if c.MaxInputIdle == 0 {
		c.MaxInputIdle = 500 * time.Millisecond
	}
	if c.TransactionTimeout == 0 {
		c.TransactionTimeout = 30 * time.Second
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.State.Logger == nil {
		c.State.Logger = c.Logger.With(zap.String("stage", c.Name)).Named("state")
	}
	c.State.EnsureDefaults()
}

// Validate reports whether c, with defaults applied, is usable. It does
// not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if c.Name == "" {
		return errors.New("stream: config: name is required")
	}
	if len(c.Inputs) == 0 {
		return errors.New("stream: config: at least one input topic is required")
	}
	seen := make(map[string]bool, len(c.Inputs))
	for _, t := range c.Inputs {
		if t == "" || seen[t] {
			return fmt.Errorf("stream: config: input %q is empty or repeated", t)
		}
		seen[t] = true
	}
	for _, t := range c.FollowInputs {
		if !seen[t] {
			return fmt.Errorf("stream: config: followed input %q is not an input", t)
		}
	}
	if seen[c.Changelog] {
		return fmt.Errorf("stream: config: changelog %q is also an input", c.Changelog)
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("stream: config: %w", err)
	}
	if c.StateDir == "" {
		return errors.New("stream: config: state dir is required")
	}
	if c.InstanceID == "" {
		return errors.New("stream: config: instance id is required")
	}
	if c.MaxInputIdle < 0 {
		return fmt.Errorf("stream: config: max input idle %v: must not be negative", c.MaxInputIdle)
	}
	if c.MaxPollRecords < 1 {
		return fmt.Errorf("stream: config: max poll records %d: must be positive", c.MaxPollRecords)
	}
	if c.TransactionTimeout < time.Second {
		return fmt.Errorf("stream: config: transaction timeout %s: must be at least 1s", c.TransactionTimeout)
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		return fmt.Errorf("stream: config: backoff %s..%s: need 0 < min <= max", c.MinBackoff, c.MaxBackoff)
	}
	if err := c.State.Validate(); err != nil {
		return fmt.Errorf("stream: config: %w", err)
	}
	return nil
}

func (c *Config) deadLetterTopic() string { return c.Name + ".dead-letter" }

func (c *Config) transactionalID() string { return c.Group + "-" + c.InstanceID }
