package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/codeadmin"
	"github.com/heldsway/heldsway/connectors/codeops"
	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/pipeline/kafkaenv"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// codesFlags are shared by the `heldsway codes` subcommands.
type codesFlags struct {
	k           kafkaFlags
	waitTimeout time.Duration
	sync        syncFlags
}

// register adds the flags of a codes subcommand; write is whether it
// changes the registry (and so can create the topic and sync stores).
func (f *codesFlags) register(c *cobra.Command, write bool) {
	role := kafkaReader
	if write {
		role = kafkaClient
	}
	f.k.register(c, role)
	c.Flags().DurationVar(&f.waitTimeout, "registry-timeout", time.Minute, "how long to wait for the code registry to load from Kafka")
	if write {
		f.sync.register(c, true)
	}
}

// codesEnv is an open registry over the command's Kafka environment.
type codesEnv struct {
	*codeops.Codes
	log *zap.Logger
	env *kafkaenv.Env
}

func (e *codesEnv) Close() {
	e.Codes.Close()
	e.env.Close()
	_ = e.log.Sync()
}

// openCodes connects to Kafka (the broker at --kafka-listen unless
// --brokers is given), loads the registry and, with write, prepares a
// writer.
func openCodes(ctx context.Context, g *globalFlags, f *codesFlags, write bool) (*codesEnv, error) {
	log, err := g.logger()
	if err != nil {
		return nil, err
	}
	env, err := openKafka(ctx, g, &f.k, log, false)
	if err != nil {
		return nil, fmt.Errorf("%w (is `heldsway broker` or `heldsway up` running, or --brokers set?)", err)
	}
	c, err := codeops.Open(ctx, codeops.Config{
		Conn: env.Conn, Topic: env.Topics.Codes, Serde: env.Serde, WaitTimeout: f.waitTimeout, Write: write,
		Sync:   codeops.Sync{Enabled: f.sync.enabled, StoresFile: f.sync.storesFile, Attempts: f.sync.attempts},
		Logger: log,
	})
	if err != nil {
		env.Close()
		_ = log.Sync()
		return nil, err
	}
	return &codesEnv{Codes: c, log: log, env: env}, nil
}

func newCodesCmd(g *globalFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "codes",
		Short: "Manage the promotion-code registry: import, export, list, generate, retire",
		Long: `The code registry says which promotion code belongs to which affiliate and
under what rules. It lives in the compacted topic <prefix>.codes.v1, keyed by
the normalised code (trimmed, NFKC, upper case), so every processor sees the
same registry.

The subcommands load the registry from Kafka (the embedded broker at
--kafka-listen unless --brokers is given), wait until it is current, and
write changes in one Kafka transaction each. The CSV format is described in
docs/codes-csv.md; export and import use the same columns.`,
	}
	c.AddCommand(
		newCodesImportCmd(g),
		newCodesExportCmd(g),
		newCodesListCmd(g),
		newCodesGenerateCmd(g),
		newCodesDeactivateCmd(g),
		newCodesExpireCmd(g),
		newCodesDeleteCmd(g),
		newCodesServeCmd(g),
		newCodesSyncCmd(g),
	)
	return c
}

// importFlags are the options shared by import and generate.
type importFlags struct {
	atomic        bool
	dryRun        bool
	platforms     []string
	requireKnown  bool
	allowReassign bool
	jsonOut       bool
	progress      bool
}

func (f *importFlags) register(c *cobra.Command) {
	fs := c.Flags()
	fs.BoolVar(&f.atomic, "atomic", false, "write nothing unless every row is valid")
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate and report without writing")
	fs.StringSliceVar(&f.platforms, "platform", nil, "platforms the codes are synced to (stripe, paddle, shopify, woocommerce): codes they reject are errors")
	fs.BoolVar(&f.requireKnown, "require-known-affiliates", false, "reject affiliates that hold no code yet and have no affiliate_name in the file")
	fs.BoolVar(&f.allowReassign, "allow-reassign", false, "let rows move existing codes to another affiliate")
	fs.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&f.progress, "progress", false, "show a progress bar on stderr (default: only on a terminal)")
}

func (f *importFlags) options() (csvfile.ImportOptions, error) {
	opts := csvfile.ImportOptions{
		Atomic: f.atomic, DryRun: f.dryRun, Platforms: f.platforms,
		RequireKnownAffiliates: f.requireKnown, AllowReassign: f.allowReassign,
	}
	if f.progress || term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = codeops.NewProgressBar(os.Stderr).Update
	}
	if err := opts.Validate(); err != nil {
		return opts, usageError{err}
	}
	return opts, nil
}

func newCodesImportCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	imf := &importFlags{}
	var rule string
	c := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Create or update codes from a CSV file (- for stdin)",
		Long: `Create or update codes from a CSV file. Columns are found by header name;
code and affiliate_id are required. A row for an existing code updates it:
columns the file lacks keep their values, a present but empty cell resets
the value. Every failing row is reported with its line and field.

Without --atomic the valid rows are written and the others reported; with
--atomic nothing is written unless every row is valid. The exit code is 1
when any row failed. See docs/codes-csv.md for the format.`,
		Example: `  heldsway codes import launch.csv --dry-run
  heldsway codes import launch.csv --atomic --platform stripe
  heldsway codes import affiliates.csv --rule '{first}{discount}'   # generate blank codes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := imf.options()
			if err != nil {
				return err
			}
			if rule != "" {
				if opts.Rule, err = csvfile.ParseRule(rule); err != nil {
					return usageError{err}
				}
			}
			in, err := codeops.OpenInput(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			e, err := openCodes(cmd.Context(), g, cf, !opts.DryRun)
			if err != nil {
				return err
			}
			defer e.Close()
			return e.Import(cmd.Context(), in, args[0], opts, cmd.OutOrStdout(), imf.jsonOut)
		},
	}
	cf.register(c, true)
	imf.register(c)
	c.Flags().StringVar(&rule, "rule", "", "generate codes for rows with an empty code cell with this naming rule, e.g. '{first}{discount}'")
	return c
}

// filterFlags select codes for list and export.
type filterFlags struct{ f registry.Filter }

func (ff *filterFlags) register(c *cobra.Command) {
	fs := c.Flags()
	fs.StringVar(&ff.f.Affiliate, "affiliate", "", "only codes of this affiliate id")
	fs.StringVar(&ff.f.Coupon, "coupon", "", "only codes of this coupon")
	fs.StringVar(&ff.f.Status, "status", "", "only codes with this status (active, paused, inactive)")
	fs.StringVar(&ff.f.Platform, "platform", "", "only codes synced to this platform")
	fs.StringVar(&ff.f.Prefix, "prefix", "", "only codes starting with this")
}

func newCodesExportCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	ff := &filterFlags{}
	var out string
	c := &cobra.Command{
		Use:   "export",
		Short: "Write codes as CSV (the import format) to stdout or --out",
		Example: `  heldsway codes export --out codes.csv
  heldsway codes export --affiliate aff_123`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openCodes(cmd.Context(), g, cf, false)
			if err != nil {
				return err
			}
			defer e.Close()
			return e.Export(cmd.OutOrStdout(), ff.f, out)
		},
	}
	cf.register(c, false)
	ff.register(c)
	c.Flags().StringVar(&out, "out", "", "file to write (default stdout)")
	return c
}

func newCodesListCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	ff := &filterFlags{}
	var format string
	c := &cobra.Command{
		Use:     "list",
		Short:   "List codes as a table or JSON",
		Example: `  heldsway codes list --affiliate aff_123 --format json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lc := codeops.ListConfig{Filter: ff.f, Format: format}
			if err := lc.Validate(); err != nil {
				return err
			}
			e, err := openCodes(cmd.Context(), g, cf, false)
			if err != nil {
				return err
			}
			defer e.Close()
			return e.List(cmd.OutOrStdout(), cmd.ErrOrStderr(), lc)
		},
	}
	cf.register(c, false)
	ff.register(c)
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return c
}

func newCodesGenerateCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	imf := &importFlags{}
	var (
		rule, from, affiliate, name, email string
		set                                []string
		d                                  = map[string]*string{}
	)
	c := &cobra.Command{
		Use:   "generate",
		Short: "Generate memorable codes for one affiliate or a CSV list of affiliates",
		Long: `Generate a code for an affiliate from a naming rule, or for every affiliate
of a CSV file (--from; the import format, with the code column absent or
empty). An affiliate that already holds a code of the coupon keeps it, so
generating again for all affiliates only adds codes for new ones.

Rule placeholders: {first} {last} {email} {discount} {random} {random:N};
other text is kept. Random characters avoid look-alikes (no 0/O/1/I/L) and
are derived from the affiliate id, so the same registry and the same input
give the same codes. A taken code gets two more such characters.`,
		Example: `  heldsway codes generate --affiliate aff_1 --name "Sarah Lee" --rule '{first}{discount}' --discount-value 10
  heldsway codes generate --affiliate aff_2 --name "John Doe" --rule 'PARTNER-{first}-{random:2}' --coupon partners
  heldsway codes generate --from affiliates.csv --rule '{first}{last}{discount}' --discount-value 15 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			gen := codeops.Generate{Rule: rule, From: from, Affiliate: affiliate, Name: name, Email: email, Columns: d, Set: set}
			if err := gen.Validate(); err != nil {
				return err
			}
			opts, err := imf.options()
			if err != nil {
				return err
			}
			if opts, err = gen.Options(opts); err != nil {
				return err
			}
			sheet, err := gen.Sheet()
			if err != nil {
				return err
			}
			if msg := codeops.TrackingOnlyNotice(sheet, opts.Defaults); msg != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), msg)
			}
			e, err := openCodes(cmd.Context(), g, cf, !opts.DryRun)
			if err != nil {
				return err
			}
			defer e.Close()
			return e.Apply(cmd.Context(), sheet, opts, cmd.OutOrStdout(), imf.jsonOut)
		},
	}
	cf.register(c, true)
	imf.register(c)
	fs := c.Flags()
	fs.StringVar(&rule, "rule", "", "naming rule, e.g. '{first}{discount}', 'PARTNER-{first}-{random:2}', '{first}{last}{discount}'")
	fs.StringVar(&from, "from", "", "CSV of affiliates (import format: affiliate_id, affiliate_name, affiliate_email, ...)")
	fs.StringVar(&affiliate, "affiliate", "", "affiliate id to generate a code for")
	fs.StringVar(&name, "name", "", "the affiliate's full name ({first}, {last})")
	fs.StringVar(&email, "email", "", "the affiliate's email ({email}); not stored")
	column := func(flag, col, usage string) {
		v := new(string)
		d[col] = v
		fs.StringVar(v, flag, "", usage+"; for --from, used when the file has no such column")
	}
	column("coupon", "coupon", "coupon id (default derived from the discount, e.g. percent-10)")
	column("discount-type", "discount_type", "percent or fixed (default percent)")
	column("discount-value", "discount_value", "discount: percent (10, 12.5) or amount in currency")
	column("currency", "currency", "ISO-4217 currency of fixed amounts and min order")
	column("commission-type", "commission_type", "percent or fixed")
	column("commission-value", "commission_value", "commission: percent of net or amount per order")
	column("status", "status", "active, paused or inactive (default active)")
	fs.StringSliceVar(&set, "set", nil, "other column=value defaults, e.g. --set valid_until=2026-12-31 --set requires_click=yes")
	return c
}

func newCodesDeactivateCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	var affiliate string
	var dryRun bool
	c := &cobra.Command{
		Use:     "deactivate --affiliate ID",
		Short:   "Make every code of an affiliate inactive",
		Example: `  heldsway codes deactivate --affiliate aff_123`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(affiliate) == "" {
				return usageError{errors.New("--affiliate is required")}
			}
			return runBulk(cmd, g, cf, dryRun, func(l registry.Lookup) []registry.Change { return registry.Deactivate(l, affiliate) })
		},
	}
	cf.register(c, true)
	c.Flags().StringVar(&affiliate, "affiliate", "", "affiliate id")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list the codes without changing them")
	return c
}

func newCodesExpireCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	var before string
	var dryRun bool
	c := &cobra.Command{
		Use:   "expire --before DATE",
		Short: "Make inactive every code whose validity ended before DATE",
		Long: `Make inactive every active or paused code whose valid_until is before DATE
(an ISO-8601 date, meaning its start in UTC, or a date-time), so platforms
stop accepting it and listings stop showing it as live.`,
		Example: `  heldsway codes expire --before 2026-05-01`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := csvfile.ParseTime(before, false)
			if err != nil {
				return usageError{fmt.Errorf("--before: %w", err)}
			}
			return runBulk(cmd, g, cf, dryRun, func(l registry.Lookup) []registry.Change { return registry.Expire(l, t) })
		},
	}
	cf.register(c, true)
	c.Flags().StringVar(&before, "before", "", "date or date-time (required)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list the codes without changing them")
	return c
}

func runBulk(cmd *cobra.Command, g *globalFlags, cf *codesFlags, dryRun bool, pick func(registry.Lookup) []registry.Change) error {
	e, err := openCodes(cmd.Context(), g, cf, !dryRun)
	if err != nil {
		return err
	}
	defer e.Close()
	return e.Bulk(cmd.Context(), cmd.OutOrStdout(), dryRun, pick)
}

func newCodesDeleteCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	c := &cobra.Command{
		Use:   "delete CODE",
		Short: "Delete a code from the registry (prefer deactivate: deleting drops its history)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := promocode.Normalize(args[0])
			if err != nil {
				return usageError{err}
			}
			e, err := openCodes(cmd.Context(), g, cf, true)
			if err != nil {
				return err
			}
			defer e.Close()
			return e.Writer.Delete(cmd.Context(), code, registry.AnyVersion)
		},
	}
	cf.register(c, true)
	return c
}

func newCodesServeCmd(g *globalFlags) *cobra.Command {
	cf := &codesFlags{}
	var (
		addr      string
		tokenFile string
		maxImport int64
		platforms []string
		timeout   time.Duration
	)
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the code registry admin API under /v1/codes",
		Long: `Serve the registry over HTTP with the admin API's bearer token (the same
token as the ingest APIs: --api-token-file, HELDSWAY_API_TOKEN, or the one
generated under <data-dir>/secrets).

  GET    /v1/codes?affiliate=&coupon=&status=&platform=&prefix=
  GET    /v1/codes/export                 CSV
  POST   /v1/codes/import?dry_run=1&atomic=1   text/csv body -> JSON report
  POST   /v1/codes/generate               {"rule", "affiliates":[{"id","name","email"}], "defaults":{}}
  POST   /v1/codes/deactivate             {"affiliate_id"}
  POST   /v1/codes/expire                 {"before": "2026-05-01"}
  GET|PUT|DELETE /v1/codes/{code}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openCodes(cmd.Context(), g, cf, true)
			if err != nil {
				return err
			}
			defer e.Close()
			token, err := g.generatedSecret(e.log, "HELDSWAY_API_TOKEN", tokenFile, "api-token")
			if err != nil {
				return err
			}
			srv, err := edge.New(edge.Config{Addr: addr, MaxBodyBytes: maxImport, RequestTimeout: timeout, Logger: e.log.Named("http")})
			if err != nil {
				return usageError{err}
			}
			h := &codeadmin.Handlers{Registry: e.Registry, Writer: e.Writer, Platforms: platforms, MaxImportBytes: maxImport, Logger: e.log.Named("admin")}
			h.Register(srv, token)
			return srv.Run(cmd.Context())
		},
	}
	cf.register(c, true)
	fs := c.Flags()
	fs.StringVar(&addr, "admin-addr", "127.0.0.1:8081", "address the admin API listens on")
	fs.StringVar(&tokenFile, "api-token-file", "", "file holding the bearer token (else HELDSWAY_API_TOKEN, else generated under <data-dir>/secrets)")
	fs.Int64Var(&maxImport, "max-import-bytes", 64<<20, "largest accepted import body")
	fs.StringSliceVar(&platforms, "platform", nil, "platforms the codes are synced to; imports reject codes they would refuse")
	fs.DurationVar(&timeout, "request-timeout", 2*time.Minute, "bound on one request (large imports)")
	return c
}
