package analytics

import (
	"context"
	"fmt"
	"io"
	"time"
)

// ReportConfig is what `heldsway report` prints: the per-code (or
// per-affiliate) table of a date range. Every field but Now is given by
// the command's flags, whose defaults are noted.
type ReportConfig struct {
	// From and To are the first and last UTC day, YYYY-MM-DD, both
	// inclusive. To defaults to today, From to 29 days before To.
	From, To string
	// Sort is one of SortKeys (flag default "orders"); by affiliate, rows
	// are ordered by approved commission instead.
	Sort string
	// Top prints only the first Top rows; 0 prints all.
	Top int
	// Format is table, csv or json (flag default "table").
	Format string
	// Currency and Code, when set, select only that currency or code.
	Currency, Code string
	// By is code (one row per code and currency) or affiliate (flag
	// default "code").
	By string
	// Refresh refreshes the rollups before reading them.
	Refresh bool
	// Now is the clock that decides today. Default time.Now.
	Now func() time.Time
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *ReportConfig) EnsureDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports whether c can be printed, with the flag named in each
// error. It does not change c.
func (c *ReportConfig) Validate() error {
	if _, _, err := c.Range(); err != nil {
		return err
	}
	if writers[c.Format] == nil {
		return fmt.Errorf("--format %q: table, csv or json", c.Format)
	}
	if c.By != "code" && c.By != "affiliate" {
		return fmt.Errorf("--by %q: code or affiliate", c.By)
	}
	if c.Top < 0 {
		return fmt.Errorf("--top %d: must be positive", c.Top)
	}
	return Sort(nil, c.Sort)
}

// Range returns the first and last day of c (From and To parsed, with
// their defaults).
func (c *ReportConfig) Range() (from, to time.Time, err error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	to = now().UTC()
	if c.To != "" {
		if to, err = time.Parse(time.DateOnly, c.To); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--to: want YYYY-MM-DD, got %q", c.To)
		}
	}
	from = to.AddDate(0, 0, -29)
	if c.From != "" {
		if from, err = time.Parse(time.DateOnly, c.From); err != nil {
			return time.Time{}, time.Time{}, fmt.Errorf("--from: want YYYY-MM-DD, got %q", c.From)
		}
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("--to %s is before --from %s", c.To, c.From)
	}
	return from, to, nil
}

// writers are the per-code formats of Report.
var writers = map[string]func(w io.Writer, rows []CodeStats) error{
	"table": WriteTable,
	"csv":   WriteCSV,
	"json":  WriteJSON,
}

// Report writes the table cfg describes to w, after refreshing the
// rollups when cfg.Refresh is set. A table gets a title line naming the
// range and the order.
func (c *Client) Report(ctx context.Context, w io.Writer, cfg ReportConfig) error {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	from, to, _ := cfg.Range() // checked by Validate
	if cfg.Refresh {
		if _, err := c.Refresh(ctx, RefreshOptions{}); err != nil {
			return err
		}
	}
	rows, err := c.Codes(ctx, Query{From: from, To: to, Currency: cfg.Currency, Code: cfg.Code})
	if err != nil {
		return err
	}
	if cfg.By == "affiliate" {
		affs := ByAffiliate(rows)
		if cfg.Top > 0 && len(affs) > cfg.Top {
			affs = affs[:cfg.Top]
		}
		if cfg.Format == "table" {
			fmt.Fprintf(w, "Affiliates %s to %s (UTC), by approved commission\n\n",
				from.Format(time.DateOnly), to.Format(time.DateOnly))
		}
		return WriteAffiliates(w, affs, cfg.Format)
	}
	_ = Sort(rows, cfg.Sort)
	if cfg.Top > 0 && len(rows) > cfg.Top {
		rows = rows[:cfg.Top]
	}
	if cfg.Format == "table" {
		fmt.Fprintf(w, "Codes %s to %s (UTC), sorted by %s\n\n",
			from.Format(time.DateOnly), to.Format(time.DateOnly), cfg.Sort)
	}
	return writers[cfg.Format](w, rows)
}

// StartRefresher runs RunRefresher(every) in the background until ctx
// ends or the returned stop is called; stop waits for it to finish.
func (c *Client) StartRefresher(ctx context.Context, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.RunRefresher(ctx, every) // nil once ctx ends
	}()
	return func() { cancel(); <-done }
}
