package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
	"github.com/heldsway/heldsway/sinks/dashboard"
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

// reportRange parses --from and --to.
func reportRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	t := now.UTC()
	if to != "" {
		var err error
		if t, err = time.Parse(time.DateOnly, to); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--to: want YYYY-MM-DD, got %q", to)
		}
	}
	f := t.AddDate(0, 0, -29)
	if from != "" {
		var err error
		if f, err = time.Parse(time.DateOnly, from); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--from: want YYYY-MM-DD, got %q", from)
		}
	}
	if t.Before(f) {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return f, t, nil
}

func runReport(cmd *cobra.Command, f *reportFlags, log *zap.Logger) error {
	from, to, err := reportRange(f.from, f.to, time.Now())
	if err != nil {
		return usageError{err}
	}
	write := map[string]func(w io.Writer, rows []analytics.CodeStats) error{
		"table": func(w io.Writer, rows []analytics.CodeStats) error {
			return analytics.WriteTable(w, rows)
		},
		"csv": func(w io.Writer, rows []analytics.CodeStats) error {
			return analytics.WriteCSV(w, rows)
		},
		"json": func(w io.Writer, rows []analytics.CodeStats) error {
			return analytics.WriteJSON(w, rows)
		},
	}[f.format]
	if write == nil {
		return usageError{fmt.Errorf("--format %q: table, csv or json", f.format)}
	}
	if f.by != "code" && f.by != "affiliate" {
		return usageError{fmt.Errorf("--by %q: code or affiliate", f.by)}
	}
	if f.top < 0 {
		return usageError{fmt.Errorf("--top %d: must be positive", f.top)}
	}
	if err := analytics.Sort(nil, f.sort); err != nil {
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
	ctx := cmd.Context()
	if f.refresh {
		if _, err := client.Refresh(ctx, analytics.RefreshOptions{}); err != nil {
			return err
		}
	}
	rows, err := client.Codes(ctx, analytics.Query{From: from, To: to, Currency: f.currency, Code: f.code})
	if err != nil {
		return err
	}
	if f.by == "affiliate" {
		affs := analytics.ByAffiliate(rows)
		if f.top > 0 && len(affs) > f.top {
			affs = affs[:f.top]
		}
		if f.format == "table" {
			fmt.Fprintf(cmd.OutOrStdout(), "Affiliates %s to %s (UTC), by approved commission\n\n",
				from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		return analytics.WriteAffiliates(cmd.OutOrStdout(), affs, f.format)
	}
	_ = analytics.Sort(rows, f.sort)
	if f.top > 0 && len(rows) > f.top {
		rows = rows[:f.top]
	}
	if f.format == "table" {
		fmt.Fprintf(cmd.OutOrStdout(), "Codes %s to %s (UTC), sorted by %s\n\n",
			from.Format(time.DateOnly), to.Format(time.DateOnly), f.sort)
	}
	return write(cmd.OutOrStdout(), rows)
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

// startRefresher runs the refresher in the background until ctx ends or
// the returned stop is called; stop waits for it to finish.
func (c *chFlags) startRefresher(ctx context.Context, a *analytics.Client) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.refresher(a)(ctx) // nil once ctx ends
	}()
	return func() { cancel(); <-done }
}

// mountDashboard serves /dashboard on srv over a, guarded by the API token.
func mountDashboard(srv *edge.Server, a *analytics.Client, token string, log *zap.Logger) {
	h := dashboard.RequireToken(token, dashboard.New(a, dashboard.WithLogger(log.Named("dashboard"))))
	for _, p := range dashboard.Patterns {
		srv.Handle(p, h)
	}
}
