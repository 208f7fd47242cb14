package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/heldsway/heldsway/codes/csvfile"
	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/codeadmin"
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

// codesEnv is an open registry, and a writer when the command writes.
type codesEnv struct {
	log *zap.Logger
	env *kafkaenv.Env
	reg *registry.Registry
	w   *registry.Writer

	stopSync func() // flushes the writer's Syncer (--sync)
}

func (e *codesEnv) Close() {
	if e.stopSync != nil {
		e.stopSync()
	}
	if e.w != nil {
		e.w.Close()
	}
	if e.reg != nil {
		e.reg.Close()
	}
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
	e := &codesEnv{log: log, env: env}
	e.reg, err = registry.NewRegistry(registry.RegistryConfig{Topic: env.Topics.Codes, Serde: env.Serde, Conn: env.Conn}, log.Named("codes"))
	if err != nil {
		e.Close()
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, f.waitTimeout)
	defer cancel()
	if err := e.reg.WaitCaughtUp(wctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("loading the code registry from %s: %w", env.Topics.Codes, err)
	}
	if write {
		e.w, e.stopSync, err = newCodesWriter(e.reg, registry.WriterConfig{Conn: env.Conn}, &f.sync, log)
		if err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
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
		opts.Progress = newProgressBar(os.Stderr).update
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
			in, err := openInput(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			e, err := openCodes(cmd.Context(), g, cf, !opts.DryRun)
			if err != nil {
				return err
			}
			defer e.Close()
			start := time.Now()
			rep, err := csvfile.Import(cmd.Context(), in, e.reg, e.w, opts)
			if errors.Is(err, csvfile.ErrFormat) {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if rep != nil {
				printReport(cmd.OutOrStdout(), rep, imf.jsonOut, time.Since(start))
			}
			if err != nil {
				return err
			}
			if !rep.OK() {
				return fmt.Errorf("%d of %d rows failed", rep.Failed, rep.Rows)
			}
			return nil
		},
	}
	cf.register(c, true)
	imf.register(c)
	c.Flags().StringVar(&rule, "rule", "", "generate codes for rows with an empty code cell with this naming rule, e.g. '{first}{discount}'")
	return c
}

func openInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, usageError{err}
	}
	return f, nil
}

func printReport(w io.Writer, rep *csvfile.Report, asJSON bool, took time.Duration) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	mode := ""
	if rep.DryRun {
		mode = " (dry run: nothing written)"
	} else if rep.Atomic && rep.Failed > 0 {
		mode = " (atomic: nothing written)"
	}
	fmt.Fprintf(w, "%d rows: %d created, %d updated, %d unchanged, %d failed; %d written in %s%s\n",
		rep.Rows, rep.Created, rep.Updated, rep.Unchanged, rep.Failed, rep.Written, took.Round(time.Millisecond), mode)
	for _, r := range rep.Results {
		if r.Generated || r.Action != csvfile.ActionFailed {
			fmt.Fprintf(w, "line %d: %s %s -> %s\n", r.Line, r.Action, r.AffiliateID, r.Code)
		}
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "error: %v\n", e)
	}
	for _, e := range rep.Warnings {
		fmt.Fprintf(w, "warning: %v\n", e)
	}
	if n := rep.WarningsTotal - len(rep.Warnings); n > 0 {
		fmt.Fprintf(w, "... and %d more warnings\n", n)
	}
	if rep.SyncError != "" {
		fmt.Fprintf(w, "warning: written, but syncing to platforms failed: %s\n", rep.SyncError)
	}
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
			sel := registry.Select(e.reg, ff.f)
			if out == "" || out == "-" {
				return csvfile.WriteCSV(cmd.OutOrStdout(), sel)
			}
			f, err := os.Create(out)
			if err != nil {
				return usageError{err}
			}
			if err := csvfile.WriteCSV(f, sel); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("writing %s: %w", out, err)
			}
			e.log.Info("exported codes", zap.Int("codes", len(sel)), zap.String("file", out))
			return nil
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
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("--format %q: want table or json", format)}
			}
			e, err := openCodes(cmd.Context(), g, cf, false)
			if err != nil {
				return err
			}
			defer e.Close()
			sel := registry.Select(e.reg, ff.f)
			out := cmd.OutOrStdout()
			if format == "json" {
				entries := make([]csvfile.Entry, len(sel))
				for i := range sel {
					entries[i] = csvfile.EntryOf(&sel[i])
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tAFFILIATE\tCOUPON\tDISCOUNT\tSTATUS\tVALID UNTIL\tPLATFORMS\tVERSION")
			for i := range sel {
				en := csvfile.EntryOf(&sel[i])
				disc := en.DiscountValue + "%"
				if en.DiscountType == registry.Fixed {
					disc = en.DiscountValue + " " + en.Currency
				}
				var pl []string
				for _, p := range en.Platforms {
					pl = append(pl, p.Platform+":"+p.Status)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", en.DisplayCode, en.AffiliateID, en.Coupon, disc, en.Status, dash(en.ValidUntil), dash(strings.Join(pl, ",")), en.Version)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d codes\n", len(sel))
			return nil
		},
	}
	cf.register(c, false)
	ff.register(c)
	c.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
			if rule == "" {
				return usageError{errors.New("--rule is required")}
			}
			if (from == "") == (affiliate == "") {
				return usageError{errors.New("give --affiliate or --from, not both")}
			}
			opts, err := imf.options()
			if err != nil {
				return err
			}
			if opts.Rule, err = csvfile.ParseRule(rule); err != nil {
				return usageError{err}
			}
			opts.Results = true
			opts.Defaults = map[string]string{}
			for col, v := range d {
				if *v != "" {
					opts.Defaults[col] = *v
				}
			}
			for _, kv := range set {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return usageError{fmt.Errorf("--set %q: want column=value", kv)}
				}
				opts.Defaults[strings.TrimSpace(k)] = v
			}
			if err := opts.Validate(); err != nil {
				return usageError{err}
			}
			var sheet *csvfile.Sheet
			if from != "" {
				in, err := openInput(from)
				if err != nil {
					return err
				}
				defer in.Close()
				if sheet, err = csvfile.ReadCSV(in); err != nil {
					return fmt.Errorf("%s: %w", from, err)
				}
			} else if sheet, err = csvfile.SheetOf(map[string]string{"affiliate_id": affiliate, "affiliate_name": name, "affiliate_email": email}); err != nil {
				return err
			}
			if msg := trackingOnlyNotice(sheet, opts.Defaults); msg != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), msg)
			}
			e, err := openCodes(cmd.Context(), g, cf, !opts.DryRun)
			if err != nil {
				return err
			}
			defer e.Close()
			start := time.Now()
			rep, err := csvfile.Apply(cmd.Context(), sheet, e.reg, e.w, opts)
			if rep != nil {
				printReport(cmd.OutOrStdout(), rep, imf.jsonOut, time.Since(start))
			}
			if err != nil {
				return err
			}
			if !rep.OK() {
				return fmt.Errorf("%d of %d rows failed", rep.Failed, rep.Rows)
			}
			return nil
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
	for _, col := range []struct{ flag, col, usage string }{
		{"coupon", "coupon", "coupon id (default derived from the discount, e.g. percent-10)"},
		{"discount-type", "discount_type", "percent or fixed (default percent)"},
		{"discount-value", "discount_value", "discount: percent (10, 12.5) or amount in currency"},
		{"currency", "currency", "ISO-4217 currency of fixed amounts and min order"},
		{"commission-type", "commission_type", "percent or fixed"},
		{"commission-value", "commission_value", "commission: percent of net or amount per order"},
		{"status", "status", "active, paused or inactive (default active)"},
	} {
		v := new(string)
		d[col.col] = v
		fs.StringVar(v, col.flag, "", col.usage+"; for --from, used when the file has no such column")
	}
	fs.StringSliceVar(&set, "set", nil, "other column=value defaults, e.g. --set valid_until=2026-12-31 --set requires_click=yes")
	return c
}

// trackingOnlyNotice is what codes generate says when the codes get no
// discount (no --discount-value and no discount_value column): they are
// tracking-only, which Stripe and Paddle cannot hold.
func trackingOnlyNotice(sheet *csvfile.Sheet, defaults map[string]string) string {
	if sheet.Has("discount_value") || strings.TrimSpace(defaults["discount_value"]) != "" {
		return ""
	}
	return "note: no --discount-value: the codes give no discount (tracking only). " +
		"Shopify and WooCommerce take them; Stripe and Paddle refuse a zero discount, so " +
		"`heldsway codes sync` reports them there as failed (discount_value: a tracking-only code cannot be synced)."
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
	changes := pick(e.reg)
	out := cmd.OutOrStdout()
	for _, c := range changes {
		fmt.Fprintln(out, c.Code)
	}
	if dryRun || len(changes) == 0 {
		fmt.Fprintf(out, "%d codes would become inactive\n", len(changes))
		return nil
	}
	res, err := e.w.Apply(cmd.Context(), changes, registry.ApplyOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d codes made inactive\n", res.Written)
	if len(res.Conflicts) > 0 {
		return fmt.Errorf("%d codes changed meanwhile and were skipped; run again", len(res.Conflicts))
	}
	return nil
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
			return e.w.Delete(cmd.Context(), code, registry.AnyVersion)
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
			srv, err := edge.New(edge.Config{Addr: addr, MaxBodyBytes: maxImport, RequestTimeout: timeout}, e.log.Named("http"))
			if err != nil {
				return usageError{err}
			}
			h := &codeadmin.Handlers{Registry: e.reg, Writer: e.w, Platforms: platforms, MaxImportBytes: maxImport, Logger: e.log.Named("admin")}
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

// progressBar draws "stage [#####-----] 45% 45000/100000" on one line of a
// terminal (or any writer, with --progress), at most ten times a second.
type progressBar struct {
	w     io.Writer
	last  time.Time
	stage string
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w} }

func (p *progressBar) update(stage string, done, total int) {
	now := time.Now()
	final := done >= total
	if stage == p.stage && !final && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.stage, p.last = stage, now
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%-8s [%s%s] %3.0f%% %d/%d", stage, strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100, done, total)
	if final {
		fmt.Fprintln(p.w)
	}
}
