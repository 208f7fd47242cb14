package main

import (
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func newBrokerCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	c := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded Kafka broker with on-disk persistence",
		Long: `Run a single-node Kafka-protocol broker (franz-go's kfake) that keeps its
data under <data-dir>/kafka, so records and committed offsets survive a
restart. It creates HeldSway's topics on start.

Any Kafka client can use it at --kafka-listen (default 127.0.0.1:9092). For
production, run real Kafka or Redpanda and give the other commands
--brokers instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable
			k.brokers = nil
			env, err := openKafka(cmd.Context(), g, k, log, true)
			if err != nil {
				return err
			}
			defer env.Close()
			log.Info("broker ready; stop with Ctrl-C", zap.String("addr", env.Broker.Addr()))
			<-cmd.Context().Done()
			return nil
		},
	}
	k.register(c, kafkaEmbeddedOnly)
	k.registerEmbedded(c)
	return c
}
