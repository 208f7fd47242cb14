package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
)

// reportFlags configure heldsway report.
type reportFlags struct {
	dsn      string
	from, to string
	sort     string
	top      int
	format   string
	currency string
	code     string
	by       string
	refresh  bool
}

func newReportCmd(g *globalFlags) *cobra.Command {
	f := &reportFlags{}
	c := &cobra.Command{
		Use:   "report",
		Short: "Print the per-code table for a date range: orders, AOV, refund rate, commission, leaks",
		Long: `Print one row per code (and currency) for a date range, from the daily
rollups in ClickHouse: clicks and unique visitors, orders (redemptions),
conversion (orders per click), revenue, net revenue (less refunds), average
order value, discount given, commission (approved, plus adjustments such as
refund reversals) and pending commission (orders in review), refunds, the
refund rate by order and by amount (refunded net / net sales; a refund
beyond an order's net counts as its net), the orders credited to the code
(through the code or a click on its link) by method (code, click, split),
flagged orders by fraud type, and whether the code
looks leaked: a code_leak flag, most orders flagged as redeemed without a
click, or more redemptions than clicks on its links.

Dates are UTC days, both inclusive; an order counts on the day of its first
event, with its refunds. Money is shown in each row's currency (table) or
in minor units (csv, json); it is never summed across currencies.

The rollups are refreshed by the sink (heldsway sink / up) every minute;
--refresh brings them up to date first. --by affiliate sums each
affiliate's codes into one row per affiliate and currency.`,
		Example: `  heldsway report --from 2026-11-01 --to 2026-11-30
  heldsway report --from 2026-11-01 --to 2026-11-30 --sort refund_rate --top 10
  heldsway report --currency EUR --format csv > codes.csv
  heldsway report --by affiliate --from 2026-11-01 --to 2026-11-30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable
			return runReport(cmd, f, log)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.dsn, "clickhouse", "clickhouse://127.0.0.1:9000/heldsway", "ClickHouse DSN (native protocol)")
	fl.StringVar(&f.from, "from", "", "first day, YYYY-MM-DD (default: 29 days before --to)")
	fl.StringVar(&f.to, "to", "", "last day, YYYY-MM-DD, inclusive (default: today, UTC)")
	fl.StringVar(&f.sort, "sort", "orders", "sort by "+strings.Join(analytics.SortKeys, ", "))
	fl.IntVar(&f.top, "top", 0, "print only the first N rows (0: all)")
	fl.StringVar(&f.format, "format", "table", "table, csv or json")
	fl.StringVar(&f.currency, "currency", "", "only orders in this currency (ISO-4217)")
	fl.StringVar(&f.code, "code", "", "only this code")
	fl.BoolVar(&f.refresh, "refresh", false, "refresh the rollups before reading them")
	fl.StringVar(&f.by, "by", "code", "code (one row per code) or affiliate (one row per affiliate: its codes summed)")
	return c
}

func runReport(cmd *cobra.Command, f *reportFlags, log *zap.Logger) error {
	rc := analytics.ReportConfig{From: f.from, To: f.to, Sort: f.sort, Top: f.top, Format: f.format,
		Currency: f.currency, Code: f.code, By: f.by, Refresh: f.refresh}
	if err := rc.Validate(); err != nil {
		return usageError{err}
	}
	dsn, err := dsnWithPassword(f.dsn, "")
	if err != nil {
		return err
	}
	client, err := analytics.New(analytics.Config{DSN: dsn, Logger: log.Named("analytics")})
	if err != nil {
		return usageError{err}
	}
	defer client.Close()
	return client.Report(cmd.Context(), cmd.OutOrStdout(), rc)
}

func newRollupCmd(g *globalFlags) *cobra.Command {
	var (
		dsn   string
		full  bool
		every time.Duration
	)
	c := &cobra.Command{
		Use:   "rollup",
		Short: "Refresh the per-code daily rollups in ClickHouse (once, or on a timer)",
		Long: `Recompute the per-code daily rollups (code_orders_daily, code_clicks_daily,
code_flags_daily) for every day touched by raw rows inserted since the last
refresh, as absolute totals from the deduplicated raw tables. Redelivered
raw rows and repeated refreshes cannot double count. The sink runs this
every minute; use this command after a bulk load, or --full to recompute
every day.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			defer log.Sync() //nolint:errcheck // stderr sync errors are not actionable
			dsn, err := dsnWithPassword(dsn, "")
			if err != nil {
				return err
			}
			client, err := analytics.New(analytics.Config{DSN: dsn, Logger: log.Named("rollup")})
			if err != nil {
				return usageError{err}
			}
			defer client.Close()
			if every > 0 {
				return client.RunRefresher(cmd.Context(), every)
			}
			r, err := client.Refresh(cmd.Context(), analytics.RefreshOptions{Full: full})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "refreshed %d days in %s\n", len(r.Days), r.Took.Round(time.Millisecond))
			return nil
		},
	}
	c.Flags().StringVar(&dsn, "clickhouse", "clickhouse://127.0.0.1:9000/heldsway", "ClickHouse DSN (native protocol)")
	c.Flags().BoolVar(&full, "full", false, "recompute every day, not only the days touched since the last refresh")
	c.Flags().DurationVar(&every, "every", 0, "keep refreshing at this interval until stopped (0: once)")
	return c
}

// newAnalytics returns the analytics client of the sink's ClickHouse, for
// the rollup refresher and the dashboard; nil when --rollup-every is 0.
func newAnalytics(c *chFlags, log *zap.Logger) (*analytics.Client, error) {
	if c.rollupEvery <= 0 {
		return nil, nil
	}
	dsn, err := c.resolvedDSN()
	if err != nil {
		return nil, err
	}
	a, err := analytics.New(analytics.Config{DSN: dsn, Logger: log.Named("rollup")})
	if err != nil {
		return nil, usageError{err}
	}
	return a, nil
}

// refresher returns the stage that keeps a's rollups current.
func (c *chFlags) refresher(a *analytics.Client) func(context.Context) error {
	return func(ctx context.Context) error { return a.RunRefresher(ctx, c.rollupEvery) }
}
