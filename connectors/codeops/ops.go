package codeops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
)

// Import creates or updates codes from the CSV in (named name in errors),
// writes the report to out (JSON with asJSON) and returns the import's
// error, or "N of M rows failed".
func (c *Codes) Import(ctx context.Context, in io.Reader, name string, opts csvfile.ImportOptions, out io.Writer, asJSON bool) error {
	start := time.Now()
	rep, err := csvfile.Import(ctx, in, c.Registry, c.Writer, opts)
	if errors.Is(err, csvfile.ErrFormat) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if rep == nil {
		return err
	}
	csvfile.WriteReport(out, rep, asJSON, time.Since(start))
	return rep.Err(err)
}

// Apply creates or updates codes from sheet (codes generate), writes the
// report to out and returns the error, or "N of M rows failed".
func (c *Codes) Apply(ctx context.Context, sheet *csvfile.Sheet, opts csvfile.ImportOptions, out io.Writer, asJSON bool) error {
	start := time.Now()
	rep, err := csvfile.Apply(ctx, sheet, c.Registry, c.Writer, opts)
	if rep == nil {
		return err
	}
	csvfile.WriteReport(out, rep, asJSON, time.Since(start))
	return rep.Err(err)
}

// ListConfig selects and formats the codes List writes.
type ListConfig struct {
	Filter registry.Filter
	// Format is "table" or "json". Default "table".
	Format string
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *ListConfig) EnsureDefaults() {
	if c.Format == "" {
		c.Format = "table"
	}
}

// Validate reports whether c can be listed. It does not change c.
func (c *ListConfig) Validate() error {
	if c.Format != "table" && c.Format != "json" {
		return &ConfigError{fmt.Errorf("--format %q: want table or json", c.Format)}
	}
	return nil
}

// List writes the selected codes to out and, for a table, their count to
// errOut.
func (c *Codes) List(out, errOut io.Writer, cfg ListConfig) error {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	sel := registry.Select(c.Registry, cfg.Filter)
	if cfg.Format == "json" {
		return csvfile.WriteJSON(out, sel)
	}
	if err := csvfile.WriteTable(out, sel); err != nil {
		return err
	}
	fmt.Fprintf(errOut, "%d codes\n", len(sel))
	return nil
}

// Export writes the selected codes as CSV (the import format) to the file
// named file, or to stdout when file is "" or "-".
func (c *Codes) Export(stdout io.Writer, f registry.Filter, file string) error {
	sel := registry.Select(c.Registry, f)
	if file == "" || file == "-" {
		return csvfile.WriteCSV(stdout, sel)
	}
	out, err := os.Create(file)
	if err != nil {
		return &ConfigError{err}
	}
	if err := csvfile.WriteCSV(out, sel); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	c.Logger.Info("exported codes", zap.Int("codes", len(sel)), zap.String("file", file))
	return nil
}

// Bulk makes inactive the codes pick chooses (codes deactivate, codes
// expire): it writes each code to out, then applies the changes unless
// dryRun, and says how many changed. Codes changed meanwhile are skipped
// and reported as an error.
func (c *Codes) Bulk(ctx context.Context, out io.Writer, dryRun bool, pick func(registry.Lookup) []registry.Change) error {
	changes := pick(c.Registry)
	for _, ch := range changes {
		fmt.Fprintln(out, ch.Code)
	}
	if dryRun || len(changes) == 0 {
		fmt.Fprintf(out, "%d codes would become inactive\n", len(changes))
		return nil
	}
	res, err := c.Writer.Apply(ctx, changes, registry.ApplyOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d codes made inactive\n", res.Written)
	if len(res.Conflicts) > 0 {
		return fmt.Errorf("%d codes changed meanwhile and were skipped; run again", len(res.Conflicts))
	}
	return nil
}
