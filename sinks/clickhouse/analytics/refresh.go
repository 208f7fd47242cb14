package analytics

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// refreshName keys the code rollups' row in rollup_refreshes.
const refreshName = "code_daily"

// DefaultMargin is how far before the last refresh's start a refresh
// looks for new raw rows: an INSERT whose rows got inserted_at before that
// start but became visible after it is still picked up.
const DefaultMargin = 10 * time.Minute

// daysPerInsert bounds the days one INSERT ... SELECT recomputes, so a
// full refresh over years of data runs in bounded memory.
const daysPerInsert = 31

// Refresh is the outcome of one rollup refresh.
type Refresh struct {
	// Days are the days recomputed, ascending.
	Days []time.Time
	// Version is the version the rows were written with.
	Version uint64
	// Took is how long it ran.
	Took time.Duration
}

// RefreshOptions narrows a refresh.
type RefreshOptions struct {
	// Full recomputes every day that has raw rows, ignoring the watermark.
	Full bool
	// Margin overrides DefaultMargin when positive.
	Margin time.Duration
}

// Refresh recomputes the rollups of every day touched by raw rows inserted
// since the previous refresh (all days on the first), as absolute totals
// from the deduplicated raw rows, and records the refresh. Running it
// again, or after the same raw rows were inserted again, rewrites the same
// figures under a newer version: it never adds to what is there. A failed
// refresh leaves the watermark where it was, so the next one redoes it.
func (c *Client) Refresh(ctx context.Context, opts RefreshOptions) (Refresh, error) {
	start := time.Now()
	conn, err := c.conn(ctx)
	if err != nil {
		return Refresh{}, err
	}
	margin := opts.Margin
	if margin <= 0 {
		margin = DefaultMargin
	}

	var serverNow time.Time
	if err := conn.QueryRow(ctx, "SELECT now()").Scan(&serverNow); err != nil {
		return Refresh{}, fmt.Errorf("reading server time: %w", err)
	}
	var (
		n           uint64
		prevStarted time.Time
		prevVersion uint64
	)
	err = conn.QueryRow(ctx, `SELECT count(), argMax(started_at, version), max(version)
		FROM rollup_refreshes WHERE name = ?`, refreshName).Scan(&n, &prevStarted, &prevVersion)
	if err != nil {
		return Refresh{}, fmt.Errorf("reading the last refresh: %w", err)
	}
	watermark := time.Unix(0, 0).UTC()
	if n > 0 && !opts.Full && prevStarted.Sub(watermark) > margin {
		// inserted_at has whole seconds: round up, so a margin below a
		// second still includes the second the last refresh started in.
		watermark = prevStarted.Add(-margin)
		if tr := watermark.Truncate(time.Second); !tr.Equal(watermark) {
			watermark = tr.Add(time.Second)
		}
	}
	// Versions only grow, even if two refreshes share a millisecond or
	// the clock steps back.
	version := max(uint64(serverNow.UnixMilli()), uint64(time.Now().UnixMilli()), prevVersion+1)

	days, err := c.touchedDays(ctx, watermark)
	if err != nil {
		return Refresh{}, err
	}
	for chunk := range chunks(days, daysPerInsert) {
		stmts := []string{
			refreshOrdersSQL(chunk, version),
			refreshClicksSQL(chunk, version),
			refreshFlagsSQL(chunk, version),
		}
		// Sentinels last: until they land, the chunk's rows already carry
		// the newest version of their days.
		stmts = append(stmts, sentinelSQL(chunk, version)...)
		for _, q := range stmts {
			if err := conn.Exec(ctx, q); err != nil {
				return Refresh{}, fmt.Errorf("refreshing rollups for %s..%s: %w",
					chunk[0].Format(time.DateOnly), chunk[len(chunk)-1].Format(time.DateOnly), err)
			}
		}
	}
	err = conn.Exec(ctx, fmt.Sprintf(`INSERT INTO rollup_refreshes (name, started_at, version, days)
		SELECT '%s', toDateTime(%d), toUInt64(%d), toUInt32(%d)`, refreshName, serverNow.Unix(), version, len(days)))
	if err != nil {
		return Refresh{}, fmt.Errorf("recording the refresh: %w", err)
	}
	r := Refresh{Days: days, Version: version, Took: time.Since(start)}
	c.log.Debug("refreshed rollups", zap.Int("days", len(days)), zap.Uint64("version", version),
		zap.Time("since", watermark), zap.Duration("took", r.Took))
	return r, nil
}

func (c *Client) touchedDays(ctx context.Context, since time.Time) ([]time.Time, error) {
	conn, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	s := since.Unix()
	rows, err := conn.Query(ctx, touchedDaysSQL, s, s, s, s, s, s)
	if err != nil {
		return nil, fmt.Errorf("finding the days to refresh: %w", err)
	}
	defer rows.Close()
	var days []time.Time
	for rows.Next() {
		var d time.Time
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("finding the days to refresh: %w", err)
		}
		days = append(days, d.UTC())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding the days to refresh: %w", err)
	}
	return days, nil
}

// chunks yields consecutive slices of at most n days.
func chunks(days []time.Time, n int) func(func([]time.Time) bool) {
	return func(yield func([]time.Time) bool) {
		for i := 0; i < len(days); i += n {
			if !yield(days[i:min(i+n, len(days))]) {
				return
			}
		}
	}
}

// RunRefresher refreshes the rollups every interval until ctx ends. A
// failed refresh is logged and retried at the next tick; it returns nil
// when ctx ends.
func (c *Client) RunRefresher(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("%w: refresh interval %s", ErrConfig, every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failures := 0
	for {
		rctx, cancel := context.WithTimeout(ctx, max(every*10, 5*time.Minute))
		r, err := c.Refresh(rctx, RefreshOptions{})
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			// Log the first failure and then every tenth: ClickHouse down
			// for an hour should not flood the log.
			if failures == 1 || failures%10 == 0 {
				c.log.Warn("refreshing rollups; retrying", zap.Error(err), zap.Int("failures", failures))
			}
		case err == nil:
			if failures > 0 {
				c.log.Info("refreshing rollups recovered", zap.Int("failures", failures))
			}
			failures = 0
			if len(r.Days) > 0 {
				c.log.Info("refreshed rollups", zap.Int("days", len(r.Days)), zap.Duration("took", r.Took))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
