package main

import (
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/sinks/clickhouse"
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
	if err != nil || pass == "" {
		return dsn, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", usageError{fmt.Errorf("--clickhouse: not a URL (the DSN is not shown: it may hold a password)")}
	}
	user := "default"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, pass)
	return u.String(), nil
}

// newSink builds the ClickHouse sink reading env's topics.
func newSink(c *chFlags, env *kafkaEnv, log *zap.Logger) (*clickhouse.Sink, error) {
	opts, err := env.clientOpts()
	if err != nil {
		return nil, err
	}
	dsn, err := c.resolvedDSN()
	if err != nil {
		return nil, err
	}
	s, err := clickhouse.New(clickhouse.Config{
		Brokers:       env.conn.Brokers,
		KafkaOpts:     opts,
		Topics:        env.topics,
		DSN:           dsn,
		FlushRows:     c.flushRows,
		FlushInterval: c.flushInterval,
		Serde:         env.serde,
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

Migrations (versioned, idempotent) are applied on start.`,
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
				defer ch.startRefresher(cmd.Context(), a)()
			}
			return s.Run(cmd.Context())
		},
	}
	k.register(c)
	ch.register(c)
	return c
}
