package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/codesync"
	"github.com/heldsway/heldsway/connectors/ingest"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// syncFlags turn on pushing code changes to the stores.
type syncFlags struct {
	enabled    bool
	storesFile string
	attempts   int
}

// register adds --sync and --sync-attempts, and --stores-file where the
// command does not already have it.
func (s *syncFlags) register(c *cobra.Command, withStoresFile bool) {
	f := c.Flags()
	f.BoolVar(&s.enabled, "sync", false, "push code changes to the stores with a sync block in the stores file (Shopify, WooCommerce, Stripe, Paddle)")
	f.IntVar(&s.attempts, "sync-attempts", 5, "tries of one code on one store before its sync state is failed (429 and 5xx are retried with backoff, honouring Retry-After)")
	if withStoresFile {
		f.StringVar(&s.storesFile, "stores-file", "", "YAML file of connected stores (see heldsway ingest); stores with a sync block get the codes")
	}
}

// newCodesWriter returns the registry's writer for the codes command and,
// with --sync, the stores of --stores-file that get its changes; stop ends
// the sync (a no-op without it).
func newCodesWriter(reg *registry.Registry, cfg registry.WriterConfig, sf *syncFlags, log *zap.Logger) (w *registry.Writer, stop func(), err error) {
	stop = func() {}
	cfg.Logger = log.Named("codes")
	if !sf.enabled {
		w, err = registry.NewWriter(reg, cfg)
		return w, stop, err
	}
	if sf.storesFile == "" {
		return nil, stop, usageError{errors.New("--sync needs --stores-file")}
	}
	stores, err := ingest.LoadStores(sf.storesFile)
	if err != nil {
		return nil, stop, usageError{err}
	}
	remotes, err := ingest.SyncRemotes(stores)
	if err != nil {
		return nil, stop, usageError{fmt.Errorf("--sync: %w", err)}
	}
	w, s, err := codesync.NewWriter(reg, cfg, codesync.Config{Remotes: remotes, Retry: codesync.RetryPolicy{Attempts: sf.attempts}, Logger: log.Named("sync")})
	if err != nil {
		return nil, stop, usageError{err}
	}
	log.Info("syncing code changes to stores", zap.Int("stores", len(remotes)))
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			log.Warn("stopping code sync; `heldsway codes sync` catches up", zap.Error(err))
		}
	}
	return w, stop, nil
}

func newCodesSyncCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	ff := &filterFlags{}
	var (
		storesFile     string
		only           []string
		importCoupons  bool
		importAffil    string
		dryRun         bool
		deleteInactive bool
		attempts       int
	)
	c := &cobra.Command{
		Use:   "sync [CODE...]",
		Short: "Push codes to the stores (Shopify, WooCommerce, Stripe, Paddle), or import theirs",
		Long: `Create, update, deactivate or delete each selected code (all by default, or
the CODEs given, or those --affiliate/--coupon/--status/--prefix select) in
every store with a sync block in the stores file, and record the outcome in
the code's platform state (synced, pending, deleted or failed with the last
error; see "heldsway codes list").

Every code is looked up in the store first, so running sync again, or after
a crash, never makes a second remote code; a store already as defined gets
no write. Rate limits (429) and server errors are retried with backoff,
honouring Retry-After. Codes a platform refuses (Paddle: letters and digits
up to 32; Stripe: letters, digits and '-') fail without a request.

Paused and inactive codes are deactivated in the stores (deleted with
--delete-inactive). On Stripe, WooCommerce and Paddle a code waits for its
valid_from (state pending): run sync periodically, or run ingest with
--sync, which rechecks pending and failed codes every 10 minutes.

--import reads every store's coupons into the registry instead: new codes go
to --import-affiliate ("unassigned") until reassigned; codes the registry
has are linked; coupons with rules the registry cannot hold (product
restrictions, free shipping, ...) are skipped and listed.

The stores file (see heldsway ingest --help) gives each store to sync a
sync block and an API credential (api_key_env / api_key_file): Shopify
Admin API access token, WooCommerce "ck_...:cs_...", Stripe secret key,
Paddle API key.`,
		Example: `  heldsway codes sync --stores-file stores.yaml
  heldsway codes sync --stores-file stores.yaml SARAH10 JOHN15 --dry-run
  heldsway codes sync --stores-file stores.yaml --import --dry-run`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if storesFile == "" {
				return usageError{errors.New("--stores-file is required")}
			}
			stores, err := ingest.LoadStores(storesFile)
			if err != nil {
				return usageError{err}
			}
			remotes, err := ingest.SyncRemotes(stores)
			if err != nil {
				return usageError{err}
			}
			e, err := openCodes(cmd.Context(), g, cf, !dryRun)
			if err != nil {
				return err
			}
			defer e.Close()
			cfg := codesync.Config{Remotes: remotes, DryRun: dryRun, DeleteInactive: deleteInactive, Retry: codesync.RetryPolicy{Attempts: attempts}, Logger: e.log.Named("sync")}
			if e.w != nil {
				cfg.Recorder = e.w
			}
			s, err := codesync.New(cfg, e.reg)
			if err != nil {
				return usageError{err}
			}
			defer func() { _ = s.Close(context.Background()) }()
			out := cmd.OutOrStdout()
			if importCoupons {
				var w codesync.Applier
				if e.w != nil {
					w = e.w
				}
				rep, err := s.Import(cmd.Context(), w, codesync.ImportOptions{Affiliate: importAffil, DryRun: dryRun})
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
			keys, err := syncSelection(e.reg, ff.f, append(args, only...))
			if err != nil {
				return usageError{err}
			}
			start := time.Now()
			rep, err := s.Run(cmd.Context(), keys)
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
			if dryRun {
				mode = " (dry run: nothing changed)"
			}
			fmt.Fprintf(out, "%d codes on %d stores: %s in %s%s\n", rep.Codes, len(remotes), strings.Join(acts, ", "), time.Since(start).Round(time.Millisecond), mode)
			if err != nil {
				return err
			}
			return rep.Err()
		},
	}
	cf.k.register(c, kafkaClient)
	c.Flags().DurationVar(&cf.waitTimeout, "registry-timeout", time.Minute, "how long to wait for the code registry to load from Kafka")
	ff.register(c)
	fs := c.Flags()
	fs.StringVar(&storesFile, "stores-file", "", "YAML file of connected stores; stores with a sync block get the codes (required)")
	fs.StringSliceVar(&only, "code", nil, "only these codes (also as arguments)")
	fs.BoolVar(&importCoupons, "import", false, "import the stores' coupons into the registry instead of pushing")
	fs.StringVar(&importAffil, "import-affiliate", codesync.DefaultImportAffiliate, "affiliate id owning imported codes")
	fs.BoolVar(&dryRun, "dry-run", false, "look up and report what would change, changing nothing")
	fs.BoolVar(&deleteInactive, "delete-inactive", false, "delete inactive codes from the stores instead of deactivating them")
	fs.IntVar(&attempts, "sync-attempts", 5, "tries of one code on one store before its sync state is failed")
	return c
}

// syncSelection returns the codes to sync: the named ones (which must
// exist, unless deleted: then the stores' copies are deleted), else those
// the filter selects.
func syncSelection(reg *registry.Registry, f registry.Filter, named []string) ([]string, error) {
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
