package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/heldsway/heldsway/pipeline/kafkaenv"
)

func newTailCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	var (
		fromStart bool
		max       int
		wait      time.Duration
	)
	c := &cobra.Command{
		Use:   "tail TOPIC",
		Short: "Print a topic's Avro records as JSON lines",
		Long: `Read records from a HeldSway topic, decode their Avro (single-object or
schema-registry framing) and print one JSON object per line with the
record's partition, offset and key.

TOPIC is a full topic name or a short one (orders, clicks, refunds, codes,
attributions, adjustments, flags, deadletter) that gets --topic-prefix.
Only committed records are shown (read_committed).`,
		Example: `  heldsway tail orders --from-beginning --max 10
  heldsway tail heldsway.attributions.v1 --brokers kafka:9092`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			env, err := openKafka(cmd.Context(), g, k, log, false)
			if err != nil {
				return err
			}
			defer env.Close()
			return env.Tail(cmd.Context(), kafkaenv.TailConfig{Topic: args[0], FromStart: fromStart, Max: max, Timeout: wait}, os.Stdout)
		},
	}
	k.register(c, kafkaReader)
	c.Flags().BoolVar(&fromStart, "from-beginning", false, "start at the oldest record instead of waiting for new ones")
	c.Flags().IntVar(&max, "max", 0, "stop after this many records (0: no limit)")
	c.Flags().DurationVar(&wait, "timeout", 0, "stop after this long (0: until interrupted)")
	return c
}
