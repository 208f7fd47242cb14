package csvfile

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// ImportOptions control Plan and Import.
type ImportOptions struct {
	// Atomic writes nothing unless every row is valid (and, when writing,
	// none conflicts). Default false: valid rows are written and the
	// others reported.
	Atomic bool
	// DryRun validates and reports without writing. Default false.
	DryRun bool
	// Platforms the program syncs codes to: a code they would reject is an
	// error. The platforms a code is already synced to are always checked.
	// When neither names any platform, every platform is checked and
	// problems are warnings. Default none.
	Platforms []string
	// RequireKnownAffiliates rejects rows whose affiliate_id holds no code
	// in the registry and has no affiliate_name in this file. Default
	// false: any affiliate id is accepted (a new affiliate is introduced by
	// its first code).
	RequireKnownAffiliates bool
	// AllowReassign lets a row move an existing code to another affiliate.
	// Default false: that is an error, the usual sign of a typo.
	AllowReassign bool
	// Rule generates a code for rows with an empty code cell (or a file
	// without a code column). An affiliate that already holds a code of
	// the row's coupon keeps it instead. Default nil: code is required.
	Rule *Rule
	// Defaults are cell values (by column name) for columns the file does
	// not carry, e.g. {"discount_type": "percent", "discount_value": "10"}.
	Defaults map[string]string
	// Results lists every row's outcome in the report, not only failures.
	// Default false.
	Results bool
	// Progress, when set, is called as rows are validated ("validate") and
	// written ("write").
	Progress func(stage string, done, total int)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Validate checks the options.
func (o *ImportOptions) Validate() error {
	for _, p := range o.Platforms {
		if !registry.KnownPlatform(p) {
			return fmt.Errorf("%w: %q (want one of %s)", registry.ErrUnknownPlatform, p, strings.Join(registry.Platforms, ", "))
		}
	}
	for k := range o.Defaults {
		if _, ok := columnByName(k); !ok {
			return fmt.Errorf("csvfile: default for unknown column %q", k)
		}
	}
	return nil
}

// Actions a row can end in.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionUnchanged = "unchanged"
	ActionFailed    = "failed"
)

// RowError is one problem with one row. Line is the file line the row
// starts on (the header is line 1).
type RowError struct {
	Line    int    `json:"line"`
	Code    string `json:"code,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e RowError) Error() string {
	s := fmt.Sprintf("line %d", e.Line)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Message
}

// RowResult is the outcome of one row.
type RowResult struct {
	Line        int    `json:"line"`
	Code        string `json:"code"`
	AffiliateID string `json:"affiliate_id"`
	Action      string `json:"action"`
	Generated   bool   `json:"generated,omitempty"`
}

// maxWarnings bounds the warnings a report lists.
const maxWarnings = 100

// Report says what an import did, or would do, row by row.
type Report struct {
	DryRun    bool `json:"dry_run"`
	Atomic    bool `json:"atomic"`
	Rows      int  `json:"rows"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	Failed    int  `json:"failed"`
	// Written is the number of records produced to the registry topic.
	Written  int        `json:"written"`
	Errors   []RowError `json:"errors,omitempty"`
	Warnings []RowError `json:"warnings,omitempty"`
	// WarningsTotal counts warnings, including those not listed.
	WarningsTotal int         `json:"warnings_total,omitempty"`
	Results       []RowResult `json:"results,omitempty"`
	// SyncError is set when the changes were written but the platform
	// syncer failed; the syncer retries from the registry.
	SyncError string `json:"sync_error,omitempty"`
}

// OK reports whether every row succeeded.
func (r *Report) OK() bool { return r.Failed == 0 }

func (r *Report) warn(e RowError) {
	r.WarningsTotal++
	if len(r.Warnings) < maxWarnings {
		r.Warnings = append(r.Warnings, e)
	}
}

// Import reads a CSV file and applies it to the registry through w (see
// Plan for the rules). With DryRun, or a nil w, nothing is written. With
// Atomic, nothing is written when any row fails. The error is about the
// file (ErrFormat) or about writing; row problems are in the report.
func Import(ctx context.Context, r io.Reader, l registry.Lookup, w *registry.Writer, opts ImportOptions) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s, err := ReadCSV(r)
	if err != nil {
		return nil, err
	}
	return Apply(ctx, s, l, w, opts)
}

// Apply plans s against l and writes the changes through w (nil: dry run).
func Apply(ctx context.Context, s *Sheet, l registry.Lookup, w *registry.Writer, opts ImportOptions) (*Report, error) {
	changes, lines, rep := Plan(l, s, opts)
	if opts.DryRun || w == nil {
		rep.DryRun = true
		return rep, nil
	}
	if opts.Atomic && rep.Failed > 0 || len(changes) == 0 {
		return rep, nil
	}
	var progress func(done, total int)
	if opts.Progress != nil {
		progress = func(done, total int) { opts.Progress("write", done, total) }
	}
	res, err := w.Apply(ctx, changes, registry.ApplyOptions{Atomic: opts.Atomic, Progress: progress})
	if err != nil {
		return rep, err
	}
	rep.Written = res.Written
	if res.SyncErr != nil {
		rep.SyncError = res.SyncErr.Error()
	}
	for _, c := range res.Conflicts {
		line := lines[c.Code]
		rep.Errors = append(rep.Errors, RowError{Line: line, Code: c.Code, Field: "code", Message: c.Error()})
		rep.Failed++
		if ch := changes[slices.IndexFunc(changes, func(ch registry.Change) bool { return ch.Code == c.Code })]; ch.Base == 0 {
			rep.Created--
		} else {
			rep.Updated--
		}
		for i := range rep.Results {
			if rep.Results[i].Line == line {
				rep.Results[i].Action = ActionFailed
			}
		}
	}
	if opts.Atomic && len(res.Conflicts) > 0 {
		rep.Created, rep.Updated = 0, 0
	}
	slices.SortStableFunc(rep.Errors, func(a, b RowError) int { return a.Line - b.Line })
	return rep, nil
}

// planner holds the state of one Plan.
type planner struct {
	l    registry.Lookup
	opts ImportOptions
	rep  *Report

	seen      map[string]int  // normalised code -> first line
	fileCodes map[string]bool // every valid code named in the file
	declared  map[string]bool // affiliates with affiliate_name in the file
	known     map[string]bool // cache of registry affiliate lookups
	coupons   map[string]couponRef
	held      map[[2]string]string // affiliate, coupon -> code, for generation
}

// couponRef is the discount a coupon was first seen with.
type couponRef struct {
	typ   string
	value int64
	cur   string
	where string
}

// Plan validates every row of s against the registry view l and returns
// the changes to write, the line of each change's code, and the report.
// Nothing is written. Rules:
//
//   - code is normalised (Normalize); a code twice in the file (in any
//     case) fails on its later lines.
//   - a row for an existing code updates it (columns the file lacks keep
//     their values; Platforms are never touched); otherwise it creates it.
//   - a row may not move a code to another affiliate unless AllowReassign.
//   - with RequireKnownAffiliates, an affiliate must hold a code already
//     or carry affiliate_name somewhere in the file.
//   - the codes of one coupon share its discount (type, value, currency).
//   - a code must suit the platforms it is synced to (see Platforms).
//   - a row that changes nothing is "unchanged" and not written.
//
// With Atomic and any failed row, the returned changes are empty.
func Plan(l registry.Lookup, s *Sheet, opts ImportOptions) ([]registry.Change, map[string]int, *Report) {
	rep := &Report{Atomic: opts.Atomic, DryRun: opts.DryRun, Rows: len(s.rows)}
	p := &planner{
		l: l, opts: opts, rep: rep,
		seen:      make(map[string]int, len(s.rows)),
		fileCodes: make(map[string]bool, len(s.rows)),
		declared:  map[string]bool{},
		known:     map[string]bool{},
		coupons:   map[string]couponRef{},
		held:      map[[2]string]string{},
	}
	var defaults fields
	for k, v := range opts.Defaults {
		if c, ok := columnByName(k); ok && !s.has[c] {
			defaults.set(c, v)
		}
	}
	for i := range s.rows {
		f := &s.rows[i].f
		if v, ok := f.get(colCode); ok && v != "" {
			if n, err := promocode.Normalize(v); err == nil {
				p.fileCodes[n] = true
			}
		}
		if name, _ := f.get(colAffiliateName); name != "" {
			id, _ := f.get(colAffiliateID)
			p.declared[id] = true
		}
	}
	changes := make([]registry.Change, 0, len(s.rows))
	lines := make(map[string]int, len(s.rows))
	for i := range s.rows {
		row := &s.rows[i]
		for c := range numCols {
			if defaults.has[c] {
				row.f.set(c, defaults.val[c])
			}
		}
		ch, res, ok := p.row(row)
		if opts.Results {
			rep.Results = append(rep.Results, res)
		}
		if ok && ch.Value != nil {
			changes = append(changes, ch)
			lines[ch.Code] = row.line
		}
		if opts.Progress != nil && (i+1)%1000 == 0 {
			opts.Progress("validate", i+1, len(s.rows))
		}
	}
	if opts.Progress != nil {
		opts.Progress("validate", len(s.rows), len(s.rows))
	}
	if opts.Atomic && rep.Failed > 0 {
		changes = nil
	}
	return changes, lines, rep
}

// row plans one row; ok is false when it failed.
func (p *planner) row(row *sheetRow) (registry.Change, RowResult, bool) {
	f := &row.f
	res := RowResult{Line: row.line}
	var errs []registry.FieldError
	fail := func(field, format string, args ...any) {
		errs = append(errs, registry.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if row.width != nil {
		fail("", "%v", row.width)
	}
	res.AffiliateID, _ = f.get(colAffiliateID)
	raw, _ := f.get(colCode)
	generate := raw == "" && p.opts.Rule != nil
	var code string
	switch {
	case generate:
	case raw == "":
		fail(colName[colCode], "required")
	default:
		n, err := promocode.Normalize(raw)
		if err != nil {
			fail(colName[colCode], "%s", trimPkg(err))
			break
		}
		code = n
		if first, dup := p.seen[n]; dup {
			fail(colName[colCode], "%q duplicates line %d (codes are compared case-insensitively)", raw, first)
		} else {
			p.seen[n] = row.line
		}
	}
	res.Code = code
	existing, exists := schemas.Code{}, false
	if code != "" {
		existing, exists = p.l.Get(code)
	}
	base := existing
	if !exists {
		base = schemas.Code{DiscountType: registry.Percent, Status: registry.StatusActive}
	}
	c, ferrs := decode(f, base)
	errs = append(errs, ferrs...)
	if generate && len(errs) == 0 {
		if held, ok := p.holds(c.AffiliateID, c.CouponID); ok {
			res.Code, res.Action = held, ActionUnchanged
			p.rep.Unchanged++
			return registry.Change{}, res, true
		}
		email, _ := f.get(colAffiliateEmail)
		g, err := p.opts.Rule.Generate(Affiliate{ID: c.AffiliateID, Name: deref(c.AffiliateName), Email: email},
			DiscountText(c.DiscountType, c.DiscountValue, c.Currency), p.taken)
		if err != nil {
			fail(colName[colCode], "%s", trimPkg(err))
		} else {
			code, raw, res.Code, res.Generated = g, g, g, true
			p.seen[g] = row.line
		}
	}
	c.Code, c.DisplayCode = code, raw
	if exists && existing.AffiliateID != c.AffiliateID && !p.opts.AllowReassign {
		fail(colName[colAffiliateID], "code %s belongs to affiliate %q, not %q (reassigning needs --allow-reassign)", code, existing.AffiliateID, c.AffiliateID)
	}
	if p.opts.RequireKnownAffiliates && c.AffiliateID != "" && !p.knownAffiliate(c.AffiliateID) {
		fail(colName[colAffiliateID], "unknown affiliate %q: it holds no code in the registry and has no affiliate_name in this file", c.AffiliateID)
	}
	if code != "" {
		p.checkPlatforms(row.line, &c, &errs)
	}
	if len(errs) == 0 {
		p.checkCoupon(row.line, code, &c, &errs)
	}
	if len(errs) > 0 {
		res.Action = ActionFailed
		p.rep.Failed++
		for _, e := range errs {
			p.rep.Errors = append(p.rep.Errors, RowError{Line: row.line, Code: code, Field: e.Field, Message: e.Message})
		}
		return registry.Change{}, res, false
	}
	p.held[[2]string{c.AffiliateID, c.CouponID}] = code
	if exists {
		if registry.SameDefinition(&existing, &c) {
			res.Action = ActionUnchanged
			p.rep.Unchanged++
			return registry.Change{}, res, true
		}
		res.Action = ActionUpdate
		p.rep.Updated++
		return registry.Change{Code: code, Base: existing.Version, Value: &c}, res, true
	}
	res.Action = ActionCreate
	p.rep.Created++
	return registry.Change{Code: code, Base: 0, Value: &c}, res, true
}

// taken reports whether a generated candidate is in use.
func (p *planner) taken(code string) bool {
	if _, ok := p.seen[code]; ok || p.fileCodes[code] {
		return true
	}
	_, ok := p.l.Get(code)
	return ok
}

// holds returns a code affiliate already holds in coupon, in the registry
// or earlier in the file.
func (p *planner) holds(affiliate, coupon string) (string, bool) {
	if c, ok := p.held[[2]string{affiliate, coupon}]; ok {
		return c, true
	}
	for _, c := range p.l.ByAffiliate(affiliate) {
		if c.CouponID == coupon {
			return c.Code, true
		}
	}
	return "", false
}

func (p *planner) knownAffiliate(id string) bool {
	if p.declared[id] {
		return true
	}
	k, ok := p.known[id]
	if !ok {
		k = len(p.l.ByAffiliate(id)) > 0
		p.known[id] = k
	}
	return k
}

func (p *planner) checkPlatforms(line int, c *schemas.Code, errs *[]registry.FieldError) {
	var must []string
	must = append(must, p.opts.Platforms...)
	for _, s := range c.Platforms {
		if !slices.Contains(must, s.Platform) {
			must = append(must, s.Platform)
		}
	}
	if len(must) == 0 {
		for _, pl := range registry.Platforms {
			if err := registry.CheckPlatform(c.Code, pl); err != nil {
				p.rep.warn(RowError{Line: line, Code: c.Code, Field: colName[colCode], Message: trimPkg(err)})
			}
		}
		return
	}
	for _, pl := range must {
		if err := registry.CheckPlatform(c.Code, pl); err != nil {
			*errs = append(*errs, registry.FieldError{Field: colName[colCode], Message: trimPkg(err)})
		}
	}
}

// checkCoupon enforces that the codes of a coupon share its discount.
func (p *planner) checkCoupon(line int, code string, c *schemas.Code, errs *[]registry.FieldError) {
	cur := ""
	if c.DiscountType == registry.Fixed {
		cur = deref(c.Currency)
	}
	ref, ok := p.coupons[c.CouponID]
	if !ok {
		ref = couponRef{c.DiscountType, c.DiscountValue, cur, fmt.Sprintf("line %d", line)}
		for _, rc := range p.l.ByCoupon(c.CouponID) {
			if !p.fileCodes[rc.Code] && rc.Code != code {
				rcur := ""
				if rc.DiscountType == registry.Fixed {
					rcur = deref(rc.Currency)
				}
				ref = couponRef{rc.DiscountType, rc.DiscountValue, rcur, "code " + rc.Code + " in the registry"}
				break
			}
		}
		p.coupons[c.CouponID] = ref
	}
	if ref.typ != c.DiscountType || ref.value != c.DiscountValue || ref.cur != cur {
		*errs = append(*errs, registry.FieldError{Field: colName[colDiscountValue], Message: fmt.Sprintf(
			"coupon %q gives %s (%s); this row gives %s: codes of one coupon share its discount",
			c.CouponID, describe(ref.typ, ref.value, ref.cur), ref.where, describe(c.DiscountType, c.DiscountValue, cur))})
	}
}

func describe(typ string, v int64, cur string) string {
	if typ == registry.Fixed {
		return formatAmount(typ, v, &cur) + " " + cur
	}
	return registry.FormatBP(v) + "%"
}
