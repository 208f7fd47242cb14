package csvfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// A column of the CSV format, also the field names of the JSON form.
type column int

const (
	colCode column = iota
	colAffiliateID
	colAffiliateName
	colAffiliateEmail
	colCoupon
	colDiscountType
	colDiscountValue
	colCurrency
	colValidFrom
	colValidUntil
	colMaxUses
	colOncePerCustomer
	colMinOrder
	colFirstOrderOnly
	colRequiresClick
	colAllowedAffiliates
	colCommissionType
	colCommissionValue
	colRecurringMonths
	colStatus
	numCols
)

var colName = [numCols]string{
	registry.FieldCode,
	registry.FieldAffiliateID,
	"affiliate_name",
	"affiliate_email",
	registry.FieldCoupon,
	registry.FieldDiscountType,
	registry.FieldDiscountValue,
	registry.FieldCurrency,
	"valid_from",
	registry.FieldValidUntil,
	registry.FieldMaxUses,
	"once_per_customer",
	registry.FieldMinOrder,
	"first_order_only",
	"requires_click",
	registry.FieldAllowedAffiliates,
	registry.FieldCommissionType,
	registry.FieldCommissionValue,
	registry.FieldRecurringMonths,
	registry.FieldStatus,
}

// Columns are the CSV columns in export order. Import finds them by header
// name (case-insensitive, trimmed) in any order; code and affiliate_id are
// required (code may be left out when generating).
var Columns = colName[:]

func columnByName(name string) (column, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, c := range colName {
		if c == n {
			return column(i), true
		}
	}
	return 0, false
}

// fields are the cells of one row (or one JSON body) by column; has says
// which columns the input carries at all. A column the input does not carry
// keeps the existing value on update and the default on create; a carried
// but empty cell sets the default (unset, false, unlimited).
type fields struct {
	val [numCols]string
	has [numCols]bool
}

func (f *fields) get(c column) (string, bool) { return strings.TrimSpace(f.val[c]), f.has[c] }

func (f *fields) set(c column, v string) { f.val[c], f.has[c] = v, true }

// decoder turns fields into a code definition, collecting field errors.
type decoder struct {
	f    *fields
	errs []registry.FieldError
	// quiet are fields whose problem an error already explains.
	quiet map[string]bool
}

func (d *decoder) fail(c column, format string, args ...any) {
	d.errs = append(d.errs, registry.FieldError{Field: colName[c], Message: fmt.Sprintf(format, args...)})
}

// decode applies f on top of base (the existing code, or a new code with
// defaults) and returns the result. The code itself is not set here.
func decode(f *fields, base schemas.Code) (schemas.Code, []registry.FieldError) {
	d := &decoder{f: f, quiet: map[string]bool{}}
	c := base
	if v, ok := f.get(colAffiliateID); ok {
		c.AffiliateID = v
	}
	if v, ok := f.get(colAffiliateName); ok {
		c.AffiliateName = optString(v)
	}
	if v, ok := f.get(colCurrency); ok {
		c.Currency = nil
		if v != "" {
			cur, _, err := money.Currency(v)
			if err != nil {
				d.fail(colCurrency, "%q is not an ISO-4217 currency code", v)
			} else {
				c.Currency = &cur
			}
		}
	}
	d.discount(&c)
	if v, ok := f.get(colCoupon); ok {
		c.CouponID = v
	}
	if c.CouponID == "" {
		c.CouponID = registry.DefaultCouponID(c.DiscountType, c.DiscountValue, c.Currency)
	}
	if v, ok := f.get(colStatus); ok {
		c.Status = strings.ToLower(v)
		if v == "" {
			c.Status = registry.StatusActive
		}
	}
	if v, ok := f.get(colValidFrom); ok {
		c.ValidFrom = d.time(colValidFrom, v, false)
	}
	if v, ok := f.get(colValidUntil); ok {
		c.ValidUntil = d.time(colValidUntil, v, true)
	}
	if v, ok := f.get(colMaxUses); ok {
		c.MaxUses = nil
		if v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				d.fail(colMaxUses, "%q is not a whole number", v)
			} else {
				c.MaxUses = &n
			}
		}
	}
	if v, ok := f.get(colMinOrder); ok {
		c.MinOrder = nil
		if v != "" {
			if c.Currency == nil {
				d.fail(colMinOrder, "needs currency")
				d.quiet[colName[colCurrency]] = true
			} else if n, err := money.Parse(v, *c.Currency); err != nil {
				d.fail(colMinOrder, "%q is not an amount in %s", v, *c.Currency)
			} else {
				c.MinOrder = &n
			}
		}
	}
	d.bool(colOncePerCustomer, &c.OncePerCustomer)
	d.bool(colFirstOrderOnly, &c.FirstOrderOnly)
	d.bool(colRequiresClick, &c.RequiresClick)
	if v, ok := f.get(colAllowedAffiliates); ok {
		c.AllowedAffiliates = splitList(v)
	}
	d.commission(&c)
	errs := d.errs
	// Report semantic problems only for fields that parsed, so one bad
	// cell gives one error.
	bad := d.quiet
	for _, e := range errs {
		bad[e.Field] = true
	}
	for _, e := range registry.Validate(&c) {
		if !bad[e.Field] && e.Field != colName[colCode] {
			errs = append(errs, e)
			bad[e.Field] = true
		}
	}
	return c, errs
}

func (d *decoder) discount(c *schemas.Code) {
	t, hasT := d.f.get(colDiscountType)
	v, hasV := d.f.get(colDiscountValue)
	if !hasT && !hasV {
		return
	}
	if hasT {
		c.DiscountType = strings.ToLower(t)
		if t == "" {
			c.DiscountType = registry.Percent
		}
	}
	if !hasV {
		if hasT && c.DiscountType != registry.Percent && c.DiscountType != registry.Fixed {
			d.fail(colDiscountType, "%q: want percent or fixed", t)
		}
		return
	}
	if v == "" {
		c.DiscountValue = 0
		return
	}
	c.DiscountValue, _ = d.amount(colDiscountValue, colDiscountType, c.DiscountType, v, c.Currency)
}

// amount parses a percent (to basis points) or a fixed amount (to minor
// units of cur).
func (d *decoder) amount(valCol, typeCol column, typ, v string, cur *string) (int64, bool) {
	switch typ {
	case registry.Percent:
		bp, err := money.ParseScale(v, 2)
		if err != nil {
			d.fail(valCol, "%q is not a percentage (e.g. 10 or 12.5)", v)
			return 0, false
		}
		return bp, true
	case registry.Fixed:
		if cur == nil {
			d.fail(valCol, "a fixed amount needs currency")
			d.quiet[colName[colCurrency]] = true
			return 0, false
		}
		n, err := money.Parse(v, *cur)
		if err != nil {
			d.fail(valCol, "%q is not an amount in %s", v, *cur)
			return 0, false
		}
		return n, true
	default:
		d.fail(typeCol, "%q: want percent or fixed", typ)
		return 0, false
	}
}

func (d *decoder) commission(c *schemas.Code) {
	t, hasT := d.f.get(colCommissionType)
	v, hasV := d.f.get(colCommissionValue)
	m, hasM := d.f.get(colRecurringMonths)
	if !hasT && !hasV && !hasM {
		return
	}
	var r schemas.CommissionRule
	if c.Commission != nil {
		r = *c.Commission
	}
	if hasT {
		r.Type = strings.ToLower(t)
	}
	if hasV && v == "" && (!hasT || t == "") {
		// Both cleared: the program's default commission applies.
		c.Commission = nil
		if hasM && m != "" {
			d.fail(colRecurringMonths, "needs commission_type and commission_value")
		}
		return
	}
	if r.Type == "" {
		d.fail(colCommissionType, "required with commission_value")
		return
	}
	if hasV {
		if v == "" {
			d.fail(colCommissionValue, "required with commission_type")
			return
		}
		n, ok := d.amount(colCommissionValue, colCommissionType, r.Type, v, c.Currency)
		if !ok {
			return
		}
		r.Value = n
	} else if c.Commission == nil {
		d.fail(colCommissionValue, "required with commission_type")
		return
	}
	r.Currency = nil
	if r.Type == registry.Fixed {
		if c.Currency != nil {
			cur := *c.Currency
			r.Currency = &cur
		}
	}
	if hasM {
		r.RecurringMonths = 0
		if m != "" {
			n, err := strconv.ParseInt(m, 10, 32)
			if err != nil {
				d.fail(colRecurringMonths, "%q is not a whole number", m)
				return
			}
			r.RecurringMonths = int32(n)
		}
	}
	c.Commission = &r
}

func (d *decoder) bool(col column, dst *bool) {
	v, ok := d.f.get(col)
	if !ok {
		return
	}
	b, err := parseBool(v)
	if err != nil {
		d.fail(col, "%v", err)
		return
	}
	*dst = b
}

func (d *decoder) time(col column, v string, endOfDay bool) *time.Time {
	if v == "" {
		return nil
	}
	t, err := ParseTime(v, endOfDay)
	if err != nil {
		d.fail(col, "%v", err)
		return nil
	}
	return &t
}

// parseBool accepts true/false, yes/no, 1/0 in any case; empty is false.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "1", "y":
		return true, nil
	case "false", "no", "0", "n", "":
		return false, nil
	}
	return false, fmt.Errorf("%q: want true/false, yes/no or 1/0", v)
}

// Layouts accepted for date-times without a zone; they are read as UTC.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// ParseTime reads an ISO-8601 date or date-time. A date alone means the
// start of that day in UTC, or with endOfDay the last millisecond of that
// day in UTC (so "valid_until 2026-03-31" includes all of March 31 UTC).
// Date-times take an offset (RFC 3339: "2026-03-01T09:00:00+01:00") or are
// read as UTC. The result is UTC, truncated to milliseconds.
func ParseTime(v string, endOfDay bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			t = t.Add(24*time.Hour - time.Millisecond)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC().Truncate(time.Millisecond), nil
	}
	for _, l := range localLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 date (2026-03-31) or date-time (2026-03-31T18:00:00Z)", v)
}

func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// splitList splits a list of ids separated by ';', ',' or spaces.
func splitList(v string) []string {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' })
	if len(parts) == 0 {
		return nil
	}
	return parts
}

// cells renders c as one CSV row in Columns order; importing the row
// yields c again.
func cells(c *schemas.Code) []string {
	row := make([]string, numCols)
	row[colCode] = c.DisplayCode
	row[colAffiliateID] = c.AffiliateID
	row[colAffiliateName] = deref(c.AffiliateName)
	row[colCoupon] = c.CouponID
	row[colDiscountType] = c.DiscountType
	row[colDiscountValue] = formatAmount(c.DiscountType, c.DiscountValue, c.Currency)
	row[colCurrency] = deref(c.Currency)
	row[colValidFrom] = registry.FormatTime(c.ValidFrom, false)
	row[colValidUntil] = registry.FormatTime(c.ValidUntil, true)
	if c.MaxUses != nil {
		row[colMaxUses] = strconv.FormatInt(*c.MaxUses, 10)
	}
	row[colOncePerCustomer] = strconv.FormatBool(c.OncePerCustomer)
	if c.MinOrder != nil && c.Currency != nil {
		row[colMinOrder] = money.Format(*c.MinOrder, *c.Currency)
	}
	row[colFirstOrderOnly] = strconv.FormatBool(c.FirstOrderOnly)
	row[colRequiresClick] = strconv.FormatBool(c.RequiresClick)
	row[colAllowedAffiliates] = strings.Join(c.AllowedAffiliates, ";")
	if r := c.Commission; r != nil {
		row[colCommissionType] = r.Type
		row[colCommissionValue] = formatAmount(r.Type, r.Value, r.Currency)
		row[colRecurringMonths] = strconv.Itoa(int(r.RecurringMonths))
	}
	row[colStatus] = c.Status
	return row
}

func formatAmount(typ string, v int64, cur *string) string {
	if typ == registry.Fixed && cur != nil {
		return money.Format(v, *cur)
	}
	return registry.FormatBP(v)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// trimPkg drops the package prefix ("promocode: ", "registry: ",
// "csvfile: ") of an error for messages that already name the field.
func trimPkg(err error) string {
	s := err.Error()
	for _, p := range []string{"promocode: ", "registry: ", "csvfile: "} {
		if t, ok := strings.CutPrefix(s, p); ok {
			return t
		}
	}
	return s
}
