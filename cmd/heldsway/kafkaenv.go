package main

import (
	"context"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafkaenv"
)

// openKafka opens a command's Kafka environment from its flags: the
// embedded broker when startEmbedded is set and no --brokers were given,
// missing topics created, the serde built.
func openKafka(ctx context.Context, g *globalFlags, k *kafkaFlags, log *zap.Logger, startEmbedded bool) (*kafkaenv.Env, error) {
	conn, err := k.conn()
	if err != nil {
		return nil, err
	}
	cfg := kafkaenv.Config{
		Conn:           conn,
		TopicPrefix:    k.topicPrefix,
		CreateTopics:   k.createTopics,
		Partitions:     k.partitions,
		SchemaRegistry: k.schemaRegistry,
		Logger:         log,
	}
	if startEmbedded && k.embedded() {
		cfg.Broker = &broker.Config{Listen: k.listen, DataDir: g.path("kafka"), NoSyncWrites: k.noSyncWrites}
	}
	return kafkaenv.Open(ctx, cfg)
}
