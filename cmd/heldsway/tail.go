package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
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
			topic := args[0]
			if !strings.Contains(topic, ".") {
				topic = k.topicPrefix + "." + topic + ".v1"
			}
			found := false
			for _, t := range env.topics.All() {
				found = found || t == topic
			}
			if !found {
				return usageError{fmt.Errorf("topic %q is not one of HeldSway's: %s", args[0], strings.Join(env.topics.All(), ", "))}
			}
			reset := kgo.NewOffset().AtEnd()
			if fromStart {
				reset = kgo.NewOffset().AtStart()
			}
			cl, err := env.conn.NewClient(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(reset), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx := cmd.Context()
			if wait > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, wait)
				defer cancel()
			}
			enc := json.NewEncoder(os.Stdout)
			n := 0
			for max <= 0 || n < max {
				fs := cl.PollFetches(ctx)
				if ctx.Err() != nil {
					return nil
				}
				for _, fe := range fs.Errors() {
					return fmt.Errorf("fetching %s[%d]: %w", fe.Topic, fe.Partition, fe.Err)
				}
				for _, r := range fs.Records() {
					out := map[string]any{"partition": r.Partition, "offset": r.Offset, "key": string(r.Key)}
					if r.Value == nil {
						out["value"] = nil
					} else if v, err := env.serde.DecodeAny(r.Value); err != nil {
						out["error"] = err.Error()
					} else {
						out["value"] = v
					}
					if err := enc.Encode(out); err != nil {
						return fmt.Errorf("writing output: %w", err)
					}
					n++
					if max > 0 && n >= max {
						return nil
					}
				}
			}
			return nil
		},
	}
	k.register(c, kafkaReader)
	c.Flags().BoolVar(&fromStart, "from-beginning", false, "start at the oldest record instead of waiting for new ones")
	c.Flags().IntVar(&max, "max", 0, "stop after this many records (0: no limit)")
	c.Flags().DurationVar(&wait, "timeout", 0, "stop after this long (0: until interrupted)")
	return c
}
