package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/heldsway/heldsway/connectors/codeops"
	"github.com/heldsway/heldsway/connectors/codesync"
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
			remotes, err := codeops.Remotes(storesFile)
			if err != nil {
				return err
			}
			e, err := openCodes(cmd.Context(), g, cf, !dryRun)
			if err != nil {
				return err
			}
			defer e.Close()
			return e.Sync(cmd.Context(), cmd.OutOrStdout(), codeops.SyncConfig{
				Remotes: remotes, Codes: append(args, only...), Filter: ff.f, Import: importCoupons, ImportAffiliate: importAffil,
				DryRun: dryRun, DeleteInactive: deleteInactive, Attempts: attempts,
			})
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
