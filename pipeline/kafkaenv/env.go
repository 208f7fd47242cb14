package kafkaenv

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

// Config says how to open a process's Kafka environment.
type Config struct {
	// Conn reaches the cluster. With Broker set, its Brokers are replaced
	// by the embedded broker's address once it listens.
	Conn kafka.Conn
	// TopicPrefix prefixes every topic name (<prefix>.orders.v1, ...).
	// Required.
	TopicPrefix string
	// CreateTopics creates missing topics with Partitions partitions.
	// Default false.
	CreateTopics bool
	// Partitions of topics created; at least 1 when CreateTopics is set.
	Partitions int32
	// SchemaRegistry is a Confluent-compatible registry URL; empty uses
	// Avro single-object encoding. Default empty.
	SchemaRegistry string
	// Broker, when not nil, is the embedded broker this process runs; a
	// nil Broker.Logger becomes Logger named "broker". Default nil:
	// connect to Conn.Brokers.
	Broker *broker.Config
	// SetupTimeout bounds creating topics and registering schemas, each.
	// Default 30s.
	SetupTimeout time.Duration
	// Logger receives the broker's and the setup's logs. Default
	// zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.SetupTimeout <= 0 {
		c.SetupTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c can be opened; its errors are *ConfigError.
// It does not change c.
func (c *Config) Validate() error {
	if _, err := schemas.NewTopics(c.TopicPrefix); err != nil {
		return &ConfigError{err}
	}
	if c.CreateTopics && c.Partitions < 1 {
		return &ConfigError{fmt.Errorf("--partitions %d: must be at least 1", c.Partitions)}
	}
	return nil
}

// ConfigError is an error in the configuration rather than in reaching
// Kafka; its message is the underlying error's.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// IsConfig marks the error as the caller's configuration (a command exits
// 2 on it).
func (e *ConfigError) IsConfig() bool { return true }

// Env is an open Kafka environment.
type Env struct {
	Conn   kafka.Conn
	Topics schemas.Topics
	Serde  *schemas.Serde
	// Broker is the embedded broker; nil unless Config.Broker was set.
	Broker *broker.Broker
}

// Close stops the embedded broker, if this process runs one.
func (e *Env) Close() {
	if e.Broker != nil {
		e.Broker.Close()
	}
}

// Open prepares Kafka for a process's stages: it starts the embedded
// broker when cfg.Broker is set, creates missing topics when
// cfg.CreateTopics is set, and builds the serde (registering the schemas
// when a registry is configured).
func Open(ctx context.Context, cfg Config) (*Env, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	topics, _ := schemas.NewTopics(cfg.TopicPrefix) // checked by Validate
	env := &Env{Topics: topics, Conn: cfg.Conn}
	if cfg.Broker != nil {
		bc := *cfg.Broker
		if bc.Logger == nil {
			bc.Logger = log.Named("broker")
		}
		b, err := broker.Start(bc)
		if err != nil {
			return nil, err
		}
		env.Broker = b
		env.Conn.Brokers = []string{b.Addr()}
	}
	if err := env.Conn.Validate(); err != nil {
		env.Close()
		return nil, &ConfigError{err}
	}
	if cfg.CreateTopics {
		if err := env.ensureTopics(ctx, cfg.Partitions, cfg.SetupTimeout, log); err != nil {
			env.Close()
			return nil, err
		}
	}
	serdeOpts := []schemas.Option{schemas.WithTopics(topics)}
	if cfg.SchemaRegistry != "" {
		rc, err := sr.NewClient(sr.URLs(cfg.SchemaRegistry))
		if err != nil {
			env.Close()
			return nil, &ConfigError{fmt.Errorf("--schema-registry: %w", err)}
		}
		serdeOpts = append(serdeOpts, schemas.WithRegistry(rc))
	}
	env.Serde = schemas.NewSerde(serdeOpts...)
	if cfg.SchemaRegistry != "" {
		rctx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
		defer cancel()
		if err := env.Serde.Register(rctx); err != nil {
			env.Close()
			return nil, fmt.Errorf("registering schemas with %s: %w", cfg.SchemaRegistry, err)
		}
	}
	return env, nil
}

func (e *Env) ensureTopics(ctx context.Context, partitions int32, timeout time.Duration, log *zap.Logger) error {
	cl, err := e.Conn.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	warnings, err := kafka.EnsureTopics(ctx, cl, e.Topics, kafka.TopicSpec{Partitions: partitions})
	if err != nil {
		return fmt.Errorf("preparing topics on %v: %w", e.Conn.Brokers, err)
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	log.Info("kafka topics ready", zap.Strings("brokers", e.Conn.Brokers), zap.Strings("topics", e.Topics.All()))
	return nil
}
