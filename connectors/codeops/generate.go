package codeops

import (
	"errors"
	"fmt"
	"strings"

	"github.com/heldsway/heldsway/codes/csvfile"
)

// Generate says what `heldsway codes generate` makes codes for: one
// affiliate (Affiliate, Name, Email) or every row of a CSV file (From),
// named by Rule, with column defaults for what the rows lack.
type Generate struct {
	// Rule is the naming rule, e.g. "{first}{discount}". Required.
	Rule string
	// From is a CSV file of affiliates ("-" for stdin). Exactly one of
	// From and Affiliate is required.
	From string
	// Affiliate, Name and Email describe the one affiliate.
	Affiliate, Name, Email string
	// Columns are column defaults by column name; nil and "" values are
	// unset.
	Columns map[string]*string
	// Set are more defaults, each "column=value"; they win over Columns.
	Set []string
}

// Validate checks what needs no parsing: a rule, and one source of
// affiliates. It does not change g.
func (g *Generate) Validate() error {
	if g.Rule == "" {
		return &ConfigError{errors.New("--rule is required")}
	}
	if (g.From == "") == (g.Affiliate == "") {
		return &ConfigError{errors.New("give --affiliate or --from, not both")}
	}
	return nil
}

// Options returns opts with the parsed rule, the column defaults and
// per-row results set, validated.
func (g *Generate) Options(opts csvfile.ImportOptions) (csvfile.ImportOptions, error) {
	var err error
	if opts.Rule, err = csvfile.ParseRule(g.Rule); err != nil {
		return opts, &ConfigError{err}
	}
	opts.Results = true
	opts.Defaults = map[string]string{}
	for col, v := range g.Columns {
		if v != nil && *v != "" {
			opts.Defaults[col] = *v
		}
	}
	for _, kv := range g.Set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return opts, &ConfigError{fmt.Errorf("--set %q: want column=value", kv)}
		}
		opts.Defaults[strings.TrimSpace(k)] = v
	}
	if err := opts.Validate(); err != nil {
		return opts, &ConfigError{err}
	}
	return opts, nil
}

// Sheet reads the affiliates: the From file, or the one affiliate.
func (g *Generate) Sheet() (*csvfile.Sheet, error) {
	if g.From == "" {
		return csvfile.SheetOf(map[string]string{"affiliate_id": g.Affiliate, "affiliate_name": g.Name, "affiliate_email": g.Email})
	}
	in, err := OpenInput(g.From)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	sheet, err := csvfile.ReadCSV(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", g.From, err)
	}
	return sheet, nil
}

// TrackingOnlyNotice is what codes generate says when the codes get no
// discount (no --discount-value and no discount_value column): they are
// tracking-only, which Stripe and Paddle cannot hold.
func TrackingOnlyNotice(sheet *csvfile.Sheet, defaults map[string]string) string {
	if sheet.Has("discount_value") || strings.TrimSpace(defaults["discount_value"]) != "" {
		return ""
	}
	return "note: no --discount-value: the codes give no discount (tracking only). " +
		"Shopify and WooCommerce take them; Stripe and Paddle refuse a zero discount, so " +
		"`heldsway codes sync` reports them there as failed (discount_value: a tracking-only code cannot be synced)."
}
