package codeops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/codesync"
	"github.com/heldsway/heldsway/connectors/ingest"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// SyncConfig says what `heldsway codes sync` pushes, or imports.
type SyncConfig struct {
	// Remotes are the stores to sync (Remotes reads them). Required.
	Remotes []codesync.Remote
	// Codes are the codes to push (names, normalised here); empty pushes
	// those Filter selects.
	Codes  []string
	Filter registry.Filter
	// Import reads the stores' coupons into the registry instead of
	// pushing. Default false.
	Import bool
	// ImportAffiliate owns imported codes. Default
	// codesync.DefaultImportAffiliate.
	ImportAffiliate string
	// DryRun looks up and reports, changing nothing. Default false.
	DryRun bool
	// DeleteInactive deletes inactive codes from the stores instead of
	// deactivating them. Default false.
	DeleteInactive bool
	// Attempts of one code on one store. Default codesync's.
	Attempts int
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *SyncConfig) EnsureDefaults() {
	if c.ImportAffiliate == "" {
		c.ImportAffiliate = codesync.DefaultImportAffiliate
	}
}

// Validate reports whether c can run. It does not change c.
func (c *SyncConfig) Validate() error {
	if len(c.Remotes) == 0 {
		return &ConfigError{errors.New("codeops: no stores to sync")}
	}
	return nil
}

// Remotes reads the stores with a sync block from the stores file.
func Remotes(storesFile string) ([]codesync.Remote, error) {
	if storesFile == "" {
		return nil, &ConfigError{errors.New("--stores-file is required")}
	}
	stores, err := ingest.LoadStores(storesFile)
	if err != nil {
		return nil, &ConfigError{err}
	}
	remotes, err := ingest.SyncRemotes(stores)
	if err != nil {
		return nil, &ConfigError{err}
	}
	return remotes, nil
}

// Sync pushes the selected codes to cfg.Remotes (or, with cfg.Import,
// imports the stores' coupons) and writes each change and a summary to
// out. The outcome of each code is recorded in its platform state when c
// has a writer.
func (c *Codes) Sync(ctx context.Context, out io.Writer, cfg SyncConfig) error {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	scfg := codesync.Config{Remotes: cfg.Remotes, DryRun: cfg.DryRun, DeleteInactive: cfg.DeleteInactive, Retry: codesync.RetryPolicy{Attempts: cfg.Attempts}, Logger: c.Logger.Named("sync")}
	if c.Writer != nil {
		scfg.Recorder = c.Writer
	}
	s, err := codesync.New(scfg, c.Registry)
	if err != nil {
		return &ConfigError{err}
	}
	defer func() { _ = s.Close(context.Background()) }()
	if cfg.Import {
		return c.importCoupons(ctx, out, s, cfg)
	}
	keys, err := selection(c.Registry, cfg.Filter, cfg.Codes)
	if err != nil {
		return &ConfigError{err}
	}
	start := time.Now()
	rep, err := s.Run(ctx, keys)
	for _, r := range rep.Results {
		if r.Action != codesync.ActionUnchanged && r.Action != codesync.ActionAbsent || r.Err != nil {
			fmt.Fprintln(out, r.String())
		}
	}
	acts := make([]string, 0, len(rep.Counts))
	for a, n := range rep.Counts {
		acts = append(acts, fmt.Sprintf("%d %s", n, a))
	}
	sort.Strings(acts)
	mode := ""
	if cfg.DryRun {
		mode = " (dry run: nothing changed)"
	}
	fmt.Fprintf(out, "%d codes on %d stores: %s in %s%s\n", rep.Codes, len(cfg.Remotes), strings.Join(acts, ", "), time.Since(start).Round(time.Millisecond), mode)
	if err != nil {
		return err
	}
	return rep.Err()
}

// importCoupons reads every store's coupons into the registry.
func (c *Codes) importCoupons(ctx context.Context, out io.Writer, s *codesync.Syncer, cfg SyncConfig) error {
	var w codesync.Applier
	if c.Writer != nil {
		w = c.Writer
	}
	rep, err := s.Import(ctx, w, codesync.ImportOptions{Affiliate: cfg.ImportAffiliate, DryRun: cfg.DryRun})
	if rep != nil {
		for _, it := range rep.Items {
			line := fmt.Sprintf("%s/%s %s: %s", it.Platform, it.Store, it.Code, it.Action)
			if it.Reason != "" {
				line += ": " + it.Reason
			}
			fmt.Fprintln(out, line)
		}
		fmt.Fprintf(out, "%d store coupons: %d created, %d linked, %d known, %d skipped; %d written, %d conflicts\n",
			rep.Listed, rep.Created, rep.Linked, rep.Known, rep.Skipped, rep.Written, len(rep.Conflicts))
	}
	return err
}

// selection returns the codes to sync: the named ones (which need not
// exist: a deleted code's store copies are deleted), else those the
// filter selects.
func selection(reg registry.Lookup, f registry.Filter, named []string) ([]string, error) {
	if len(named) == 0 {
		sel := registry.Select(reg, f)
		keys := make([]string, len(sel))
		for i := range sel {
			keys[i] = sel[i].Code
		}
		return keys, nil
	}
	keys := make([]string, 0, len(named))
	for _, n := range named {
		k, err := promocode.Normalize(n)
		if err != nil {
			return nil, fmt.Errorf("code %q: %w", n, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
