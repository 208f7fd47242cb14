package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/pipeline/kafkaenv"
	"github.com/heldsway/heldsway/pipeline/supervisor"
	"github.com/heldsway/heldsway/sinks/clickhouse"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/dashboard"
)

// chFlags configure the ClickHouse sink.
type chFlags struct {
	dsn           string
	passwordFile  string
	flushRows     int
	flushInterval time.Duration
	rollupEvery   time.Duration
}

func (c *chFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.dsn, "clickhouse", "clickhouse://127.0.0.1:9000/heldsway", "ClickHouse DSN (native protocol); 'none' disables the sink")
	f.StringVar(&c.passwordFile, "clickhouse-password-file", "", "file holding the ClickHouse password (else HELDSWAY_CLICKHOUSE_PASSWORD); replaces any password in the DSN")
	f.IntVar(&c.flushRows, "flush-rows", clickhouse.DefaultFlushRows, "insert a batch once this many records are buffered")
	f.DurationVar(&c.flushInterval, "flush-interval", clickhouse.DefaultFlushInterval, "insert a batch this long after its first record arrived")
	f.DurationVar(&c.rollupEvery, "rollup-every", time.Minute, "refresh the per-code daily rollups (heldsway report, /dashboard) at this interval; 0 disables")
}

func (c *chFlags) enabled() bool { return c.dsn != "none" }

// resolvedDSN returns the DSN with the password from
// HELDSWAY_CLICKHOUSE_PASSWORD or --clickhouse-password-file, so the
// password need not appear on the command line or in the config file.
func (c *chFlags) resolvedDSN() (string, error) {
	return dsnWithPassword(c.dsn, c.passwordFile)
}

// dsnWithPassword sets the password of dsn from the secret in env or file;
// dsn is returned unchanged when neither holds one. The user defaults to
// ClickHouse's "default".
func dsnWithPassword(dsn, file string) (string, error) {
	pass, err := secret("HELDSWAY_CLICKHOUSE_PASSWORD", file)
	if err != nil {
		return "", err
	}
	dsn, err = clickhouse.DSNWithPassword(dsn, pass)
	if err != nil {
		return "", usageError{err}
	}
	return dsn, nil
}

// newSink builds the ClickHouse sink reading env's topics.
func newSink(c *chFlags, env *kafkaenv.Env, log *zap.Logger) (*clickhouse.Sink, error) {
	dsn, err := c.resolvedDSN()
	if err != nil {
		return nil, err
	}
	s, err := clickhouse.New(clickhouse.Config{
		Conn:          env.Conn,
		Topics:        env.Topics,
		DSN:           dsn,
		FlushRows:     c.flushRows,
		FlushInterval: c.flushInterval,
		Serde:         env.Serde,
		Logger:        log.Named("sink"),
	})
	if err != nil {
		return nil, usageError{err}
	}
	return s, nil
}

func newSinkCmd(g *globalFlags) *cobra.Command {
	k := &kafkaFlags{}
	ch := &chFlags{}
	var dashAddr, apiTokenFile string
	c := &cobra.Command{
		Use:   "sink",
		Short: "Load every HeldSway topic into ClickHouse, idempotently",
		Long: `Consume clicks, orders, refunds, codes, attributions, adjustments, flags
and dead letters and insert them into ClickHouse in batches (by rows and by
time). Kafka offsets are committed only after ClickHouse accepted the batch;
tables are ReplacingMergeTree keyed by the records' deterministic ids, so a
redelivered batch never double counts. While ClickHouse is down the sink
backs off and keeps its position. A record ClickHouse can never accept goes
to the dead-letter topic with the reason.

Migrations (versioned, idempotent) are applied on start.

With --dashboard-addr the sink also serves /dashboard (the per-code figures
from ClickHouse, behind a login with the API token) and /healthz there, as
heldsway up does on its --http-addr.`,
		Example: `  heldsway sink --brokers kafka:9092 --clickhouse clickhouse://ch:9000/heldsway
  heldsway sink --brokers kafka:9092 --dashboard-addr 0.0.0.0:8090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable
			if !ch.enabled() {
				return usageError{fmt.Errorf("--clickhouse none: nothing to do for the sink")}
			}
			env, err := openKafka(cmd.Context(), g, k, log, false)
			if err != nil {
				return err
			}
			defer env.Close()
			s, err := newSink(ch, env, log)
			if err != nil {
				return err
			}
			if a, err := newAnalytics(ch, log); err != nil {
				return err
			} else if a != nil {
				defer a.Close()
				defer a.StartRefresher(cmd.Context(), ch.rollupEvery)()
			}
			if dashAddr == "" {
				return s.Run(cmd.Context())
			}
			return runSinkDashboard(cmd.Context(), g, ch, s, dashAddr, apiTokenFile, log)
		},
	}
	k.register(c, kafkaClient)
	ch.register(c)
	c.Flags().StringVar(&dashAddr, "dashboard-addr", "", "also serve /dashboard and /healthz on this address (empty: no HTTP server)")
	c.Flags().StringVar(&apiTokenFile, "api-token-file", "", "file holding the API token the dashboard login takes (else HELDSWAY_API_TOKEN, else generated under <data-dir>/secrets)")
	return c
}

// runSinkDashboard runs the sink and, beside it, an HTTP server with the
// dashboard; either stopping stops both.
func runSinkDashboard(ctx context.Context, g *globalFlags, ch *chFlags, s *clickhouse.Sink, addr, tokenFile string, log *zap.Logger) error {
	token, err := g.generatedSecret(log, "HELDSWAY_API_TOKEN", tokenFile, "api-token")
	if err != nil {
		return err
	}
	dsn, err := ch.resolvedDSN()
	if err != nil {
		return err
	}
	a, err := analytics.New(analytics.Config{DSN: dsn, Logger: log.Named("dashboard")})
	if err != nil {
		return usageError{err}
	}
	defer a.Close()
	srv, err := edge.New(edge.Config{Addr: addr, Logger: log.Named("http")})
	if err != nil {
		return usageError{fmt.Errorf("--dashboard-addr: %w", err)}
	}
	srv.AddCheck("clickhouse", s.Ready)
	dashboard.Mount(srv, a, token, log)
	if err := srv.Listen(); err != nil {
		return err
	}
	stages := supervisor.New(ctx, supervisor.Config{})
	stages.Go("", srv.Run)
	stages.Go("", s.Run)
	return stages.Wait()
}
