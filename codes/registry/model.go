package registry

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Statuses of a code.
const (
	StatusActive   = "active"   // redeemable and credited
	StatusPaused   = "paused"   // temporarily not credited; kept on platforms
	StatusInactive = "inactive" // retired: deactivated, expired or removed
)

// Discount and commission types.
const (
	Percent = "percent" // value in basis points: 1000 = 10%
	Fixed   = "fixed"   // value in minor units of a currency
)

// Sync statuses of a code on one platform (schemas.PlatformSync.Status),
// written by the platform syncer.
const (
	SyncPending = "pending"
	SyncSynced  = "synced"
	SyncFailed  = "failed"
	SyncDeleted = "deleted"
)

// Limits on values.
const (
	// MaxPercentBP is 100% in basis points.
	MaxPercentBP = 10_000
	// MaxRecurringMonths bounds CommissionRule.RecurringMonths.
	MaxRecurringMonths = 120
)

// The fields Validate names in a FieldError: the CSV columns (and JSON
// fields) of package codes/csvfile that hold them.
const (
	FieldCode              = "code"
	FieldAffiliateID       = "affiliate_id"
	FieldCoupon            = "coupon"
	FieldDiscountType      = "discount_type"
	FieldDiscountValue     = "discount_value"
	FieldCurrency          = "currency"
	FieldValidUntil        = "valid_until"
	FieldMaxUses           = "max_uses"
	FieldMinOrder          = "min_order"
	FieldAllowedAffiliates = "allowed_affiliates"
	FieldCommissionType    = "commission_type"
	FieldCommissionValue   = "commission_value"
	FieldRecurringMonths   = "recurring_months"
	FieldStatus            = "status"
)

// FieldError is one problem with one field of a code. Field is the CSV
// column name (one of the Field constants, or another column of
// csvfile.Columns), so the same error reads well for CSV rows and JSON
// bodies.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// EventID returns the deterministic event id of version of code.
func EventID(code string, version int64) string {
	return schemas.ID(code, strconv.FormatInt(version, 10))
}

// Validate checks the definition of c (everything a person or a file sets;
// not Version, EventID or UpdatedAt) and returns every problem found.
func Validate(c *schemas.Code) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if n, err := promocode.Normalize(c.DisplayCode); err != nil {
		add(FieldCode, "%v", trimPkg(err))
	} else if n != c.Code {
		add(FieldCode, "%q is not the normalised form of %q (%q)", c.Code, c.DisplayCode, n)
	}
	if strings.TrimSpace(c.AffiliateID) == "" {
		add(FieldAffiliateID, "required")
	} else if c.AffiliateID != strings.TrimSpace(c.AffiliateID) {
		add(FieldAffiliateID, "has leading or trailing spaces")
	}
	if c.CouponID == "" {
		add(FieldCoupon, "required")
	}
	if c.Currency != nil {
		if cur, _, err := money.Currency(*c.Currency); err != nil || cur != *c.Currency {
			add(FieldCurrency, "%q is not an upper-case ISO-4217 code", *c.Currency)
		}
	}
	switch c.DiscountType {
	case Percent:
		if c.DiscountValue > MaxPercentBP {
			add(FieldDiscountValue, "%s%% is over 100%%", FormatBP(c.DiscountValue))
		}
	case Fixed:
		if c.Currency == nil {
			add(FieldCurrency, "required for a fixed discount")
		}
	default:
		add(FieldDiscountType, "%q: want percent or fixed", c.DiscountType)
	}
	if c.DiscountValue < 0 {
		add(FieldDiscountValue, "must not be negative")
	}
	switch c.Status {
	case StatusActive, StatusPaused, StatusInactive:
	default:
		add(FieldStatus, "%q: want active, paused or inactive", c.Status)
	}
	if c.ValidFrom != nil && c.ValidUntil != nil && c.ValidUntil.Before(*c.ValidFrom) {
		add(FieldValidUntil, "%s is before valid_from %s", FormatTime(c.ValidUntil, true), FormatTime(c.ValidFrom, false))
	}
	if c.MaxUses != nil && *c.MaxUses < 1 {
		add(FieldMaxUses, "%d: must be at least 1 (leave empty for unlimited)", *c.MaxUses)
	}
	if c.MinOrder != nil {
		if *c.MinOrder < 0 {
			add(FieldMinOrder, "must not be negative")
		}
		if c.Currency == nil {
			add(FieldCurrency, "required with min_order")
		}
	}
	for _, a := range c.AllowedAffiliates {
		if strings.TrimSpace(a) == "" || a != strings.TrimSpace(a) {
			add(FieldAllowedAffiliates, "empty or space-padded affiliate id %q", a)
		}
	}
	if r := c.Commission; r != nil {
		switch r.Type {
		case Percent:
			if r.Value > MaxPercentBP {
				add(FieldCommissionValue, "%s%% is over 100%%", FormatBP(r.Value))
			}
		case Fixed:
			if r.Currency == nil {
				add(FieldCurrency, "required for a fixed commission")
			}
		default:
			add(FieldCommissionType, "%q: want percent or fixed", r.Type)
		}
		if r.Value < 0 {
			add(FieldCommissionValue, "must not be negative")
		}
		if r.RecurringMonths < 0 || r.RecurringMonths > MaxRecurringMonths {
			add(FieldRecurringMonths, "%d: want 0 to %d", r.RecurringMonths, MaxRecurringMonths)
		}
	}
	return errs
}

// trimPkg drops the "promocode: " prefix of an error for messages that
// already name the field.
func trimPkg(err error) string {
	return strings.TrimPrefix(err.Error(), "promocode: ")
}

// DefaultCouponID names the coupon of a code imported without one, from its
// discount: "percent-10", "percent-12.5", "fixed-5.00-usd". Codes with the
// same discount share the coupon.
func DefaultCouponID(discountType string, value int64, currency *string) string {
	if discountType == Fixed && currency != nil {
		return "fixed-" + money.Format(value, *currency) + "-" + strings.ToLower(*currency)
	}
	return discountType + "-" + FormatBP(value)
}

// FormatBP renders basis points as a percentage without trailing zeros:
// 1000 is "10", 1250 "12.5".
func FormatBP(bp int64) string {
	s := money.Format(bp, "USD") // two decimals, sign handled
	if bp == 0 {
		return "0"
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Clone returns a deep copy of c.
func Clone(c *schemas.Code) schemas.Code {
	out := *c
	out.AffiliateName = clonePtr(c.AffiliateName)
	out.Currency = clonePtr(c.Currency)
	out.ValidFrom = clonePtr(c.ValidFrom)
	out.ValidUntil = clonePtr(c.ValidUntil)
	out.MaxUses = clonePtr(c.MaxUses)
	out.MinOrder = clonePtr(c.MinOrder)
	out.AllowedAffiliates = slices.Clone(c.AllowedAffiliates)
	if c.Commission != nil {
		r := *c.Commission
		r.Currency = clonePtr(r.Currency)
		out.Commission = &r
	}
	if c.Platforms != nil {
		out.Platforms = make([]schemas.PlatformSync, len(c.Platforms))
		for i, p := range c.Platforms {
			p.RemoteID = clonePtr(p.RemoteID)
			p.LastError = clonePtr(p.LastError)
			p.SyncedAt = clonePtr(p.SyncedAt)
			out.Platforms[i] = p
		}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// SameDefinition reports whether a and b define the same code: every field
// but EventID, Version, UpdatedAt and Platforms (the sync state) is equal.
// A change that keeps the definition needs no push to the platforms.
func SameDefinition(a, b *schemas.Code) bool {
	return a.Code == b.Code && a.DisplayCode == b.DisplayCode && a.CouponID == b.CouponID &&
		a.AffiliateID == b.AffiliateID && eqPtr(a.AffiliateName, b.AffiliateName) &&
		a.DiscountType == b.DiscountType && a.DiscountValue == b.DiscountValue &&
		eqPtr(a.Currency, b.Currency) && a.Status == b.Status &&
		eqTime(a.ValidFrom, b.ValidFrom) && eqTime(a.ValidUntil, b.ValidUntil) &&
		eqPtr(a.MaxUses, b.MaxUses) && a.OncePerCustomer == b.OncePerCustomer &&
		eqPtr(a.MinOrder, b.MinOrder) && a.FirstOrderOnly == b.FirstOrderOnly &&
		slices.Equal(a.AllowedAffiliates, b.AllowedAffiliates) && a.RequiresClick == b.RequiresClick &&
		eqCommission(a.Commission, b.Commission)
}

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func eqCommission(a, b *schemas.CommissionRule) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.Value == b.Value && eqPtr(a.Currency, b.Currency) && a.RecurringMonths == b.RecurringMonths
}

// Active reports whether c can be redeemed at t: status active and t inside
// the validity window (valid_from inclusive, valid_until inclusive).
func Active(c *schemas.Code, t time.Time) bool {
	if c.Status != StatusActive {
		return false
	}
	if c.ValidFrom != nil && t.Before(*c.ValidFrom) {
		return false
	}
	if c.ValidUntil != nil && t.After(*c.ValidUntil) {
		return false
	}
	return true
}

// Allowed reports whether affiliate may promote c: its owner, or one of
// AllowedAffiliates.
func Allowed(c *schemas.Code, affiliate string) bool {
	return affiliate == c.AffiliateID || slices.Contains(c.AllowedAffiliates, affiliate)
}

// FormatTime renders a validity time as the CSV format writes it
// (csvfile.ParseTime is its inverse): a whole day as a date, the end of a
// day (23:59:59.999 UTC) as that date when endOfDay is set, anything else
// as an RFC 3339 date-time in UTC.
func FormatTime(t *time.Time, endOfDay bool) string {
	if t == nil {
		return ""
	}
	u := t.UTC()
	day := u.Truncate(24 * time.Hour)
	if !endOfDay && u.Equal(day) || endOfDay && u.Equal(day.Add(24*time.Hour-time.Millisecond)) {
		return day.Format(time.DateOnly)
	}
	if u.Nanosecond() != 0 {
		return u.Format("2006-01-02T15:04:05.000Z07:00")
	}
	return u.Format(time.RFC3339)
}
