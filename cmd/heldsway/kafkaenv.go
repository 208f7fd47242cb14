package main

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

// kafkaEnv is what every stage shares: where Kafka is, the topic names and
// the Avro serde.
type kafkaEnv struct {
	conn   kafka.Conn
	topics schemas.Topics
	serde  *schemas.Serde
	broker *broker.Broker // nil unless this process runs the embedded broker
}

func (e *kafkaEnv) Close() {
	if e.broker != nil {
		e.broker.Close()
	}
}

// openKafka prepares Kafka for a stage: it starts the embedded broker when
// startEmbedded is set and no --brokers were given, creates missing topics,
// and builds the serde (registering schemas when a registry is configured).
func openKafka(ctx context.Context, g *globalFlags, k *kafkaFlags, log *zap.Logger, startEmbedded bool) (*kafkaEnv, error) {
	topics, err := schemas.NewTopics(k.topicPrefix)
	if err != nil {
		return nil, usageError{err}
	}
	if k.createTopics && k.partitions < 1 {
		return nil, usageError{fmt.Errorf("--partitions %d: must be at least 1", k.partitions)}
	}
	env := &kafkaEnv{topics: topics}
	if startEmbedded && k.embedded() {
		b, err := broker.Start(broker.Config{Listen: k.listen, DataDir: g.path("kafka"), NoSyncWrites: k.noSyncWrites}, log.Named("broker"))
		if err != nil {
			return nil, err
		}
		env.broker = b
		k.listen = b.Addr()
	}
	conn, err := k.conn()
	if err != nil {
		env.Close()
		return nil, err
	}
	env.conn = conn
	if k.createTopics {
		if err := env.ensureTopics(ctx, k.partitions, log); err != nil {
			env.Close()
			return nil, err
		}
	}
	serdeOpts := []schemas.Option{schemas.WithTopics(topics)}
	if k.schemaRegistry != "" {
		rc, err := sr.NewClient(sr.URLs(k.schemaRegistry))
		if err != nil {
			env.Close()
			return nil, usageError{fmt.Errorf("--schema-registry: %w", err)}
		}
		serdeOpts = append(serdeOpts, schemas.WithRegistry(rc))
	}
	env.serde = schemas.NewSerde(serdeOpts...)
	if k.schemaRegistry != "" {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := env.serde.Register(rctx); err != nil {
			env.Close()
			return nil, fmt.Errorf("registering schemas with %s: %w", k.schemaRegistry, err)
		}
	}
	return env, nil
}

func (e *kafkaEnv) ensureTopics(ctx context.Context, partitions int32, log *zap.Logger) error {
	cl, err := e.conn.NewClient()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	warnings, err := kafka.EnsureTopics(ctx, cl, e.topics, kafka.TopicSpec{Partitions: partitions})
	if err != nil {
		return fmt.Errorf("preparing topics on %v: %w", e.conn.Brokers, err)
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	log.Info("kafka topics ready", zap.Strings("brokers", e.conn.Brokers), zap.Strings("topics", e.topics.All()))
	return nil
}
