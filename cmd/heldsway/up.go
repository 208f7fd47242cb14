package main

import (
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/supervisor"
	"github.com/heldsway/heldsway/sinks/dashboard"
)

func newUpCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	h := &httpFlags{}
	ch := &chFlags{}
	pf := &procFlags{}
	c := &cobra.Command{
		Use:   "up",
		Short: "Run the whole single-machine stack in one process",
		Long: `Run everything a single machine needs in one process: the embedded Kafka
broker (unless --brokers points at a real cluster), the ingest HTTP server,
the stream processor and the ClickHouse sink (unless --clickhouse none).

GET /healthz on --http-addr answers 200 only when Kafka and, when enabled,
ClickHouse are reachable and the processor is running. SIGINT or SIGTERM stop it cleanly: the HTTP server
drains requests in flight, the sink flushes what it has, and the broker
persists its state.`,
		Example: `  heldsway up
  heldsway up --clickhouse none --http-addr 0.0.0.0:8080
  heldsway up --brokers kafka:9092 --clickhouse clickhouse://ch:9000/heldsway`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable
			return runUp(cmd, g, k, h, ch, pf, log)
		},
	}
	k.register(c, kafkaEmbeddedUnlessBrokers)
	k.registerEmbedded(c)
	h.register(c)
	ch.register(c)
	pf.register(c)
	return c
}

// runUp starts every stage and stops all of them when any fails or ctx ends.
func runUp(cmd *cobra.Command, g *globalFlags, k *kafkaFlags, h *httpFlags, ch *chFlags, pf *procFlags, log *zap.Logger) error {
	ctx := cmd.Context()
	env, err := openKafka(ctx, g, k, log, true)
	if err != nil {
		return err
	}
	defer env.Close() // last: the broker outlives every client
	ingest, err := newIngest(ctx, g, h, env, log)
	if err != nil {
		return err
	}
	ran := false
	defer func() {
		if !ran {
			ingest.Close()
		}
	}()
	if err := ingest.Listen(); err != nil {
		return err
	}

	stages := supervisor.New(ctx, supervisor.Config{Logger: log})
	defer stages.Stop()
	run := stages.Go
	proc, err := newProcessor(cmd, g, pf, env, log)
	if err != nil {
		return err
	}
	ingest.Server().AddCheck("processor", proc.Ready)
	run("process", proc.Run)
	if ch.enabled() {
		s, err := newSink(ch, env, log)
		if err != nil {
			return err
		}
		ingest.Server().AddCheck("clickhouse", s.Ready)
		run("sink", s.Run)
		a, err := newAnalytics(ch, log)
		if err != nil {
			return err
		}
		if a != nil {
			defer a.Close()
			token, err := g.generatedSecret(log, "HELDSWAY_API_TOKEN", h.apiTokenFile, "api-token")
			if err != nil {
				return err
			}
			dashboard.Mount(ingest.Server(), a, token, log)
			run("rollup", ch.refresher(a))
		}
	} else {
		log.Info("clickhouse sink disabled (--clickhouse none)")
	}
	ran = true
	run("ingest", ingest.Run)
	log.Info("heldsway up", zap.String("http", ingest.Addr()), zap.Strings("kafka", env.Conn.Brokers))
	return stages.Wait()
}
