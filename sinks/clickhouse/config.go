package clickhouse

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// Config configures a Sink.
type Config struct {
	// Conn says how to reach Kafka (seed brokers, TLS, SASL). Required.
	// Options the sink needs itself (group, offsets, isolation) are added
	// to its options.
	Conn kafka.Conn
	// Topics names the topics to consume; each non-empty name is loaded
	// into its table (Clicks into clicks, ..., DeadLetter into
	// deadletters). DeadLetter is required: records that cannot be
	// decoded or stored are published there.
	Topics schemas.Topics
	// Group is the Kafka consumer group. Default "heldsway-sink".
	Group string
	// DSN is the ClickHouse native-protocol DSN, e.g.
	// clickhouse://127.0.0.1:9000/heldsway; the database (default
	// "heldsway") is created if missing. Required.
	DSN string
	// FlushRows flushes once this many records are buffered. Default 10000.
	FlushRows int
	// FlushInterval flushes this long after the first buffered record
	// arrived. Default 1s.
	FlushInterval time.Duration
	// MaxBackoff caps the exponential backoff (from 100ms, doubling)
	// between retries while ClickHouse or Kafka fail. Default 10s.
	MaxBackoff time.Duration
	// Serde decodes records and encodes dead letters. Default
	// schemas.NewSerde(schemas.WithTopics(Topics)); pass one with a
	// registry to read Confluent-framed records.
	Serde *schemas.Serde
	// Logger receives the sink's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// Defaults.
const (
	DefaultGroup         = "heldsway-sink"
	DefaultFlushRows     = 10000
	DefaultFlushInterval = time.Second
	DefaultMaxBackoff    = 10 * time.Second
)

// ErrConfig is wrapped by every Config.Validate error and by
// WriterConfig.Validate's error for a missing DSN.
var ErrConfig = errors.New("clickhouse: invalid config")

// EnsureDefaults sets c's zero fields to their defaults (a nil Logger
// becomes zap.NewNop()).
func (c *Config) EnsureDefaults() {
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.FlushRows == 0 {
		c.FlushRows = DefaultFlushRows
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Serde == nil {
		c.Serde = schemas.NewSerde(schemas.WithTopics(c.Topics))
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, can run a Sink. It
// does not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	switch {
	case c.DSN == "":
		return fmt.Errorf("%w: no DSN", ErrConfig)
	case c.Topics.DeadLetter == "":
		return fmt.Errorf("%w: no dead-letter topic", ErrConfig)
	case c.FlushRows < 0:
		return fmt.Errorf("%w: FlushRows %d < 0", ErrConfig, c.FlushRows)
	case c.FlushInterval < 0:
		return fmt.Errorf("%w: FlushInterval %s < 0", ErrConfig, c.FlushInterval)
	case c.MaxBackoff < 0:
		return fmt.Errorf("%w: MaxBackoff %s < 0", ErrConfig, c.MaxBackoff)
	}
	if _, _, err := parseDSN(c.DSN); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}
