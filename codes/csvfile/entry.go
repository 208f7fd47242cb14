package csvfile

import (
	"fmt"
	"strings"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Entry is the JSON form of a code, as the admin API and `heldsway codes
// list --format json` show it: the CSV columns with the same names and the
// same text values, plus the registry's bookkeeping. Sending an Entry back
// (PUT /v1/codes/{code}) changes nothing.
type Entry struct {
	Code              string          `json:"code"`
	DisplayCode       string          `json:"display_code"`
	AffiliateID       string          `json:"affiliate_id"`
	AffiliateName     string          `json:"affiliate_name,omitempty"`
	Coupon            string          `json:"coupon"`
	DiscountType      string          `json:"discount_type"`
	DiscountValue     string          `json:"discount_value"`
	Currency          string          `json:"currency,omitempty"`
	ValidFrom         string          `json:"valid_from,omitempty"`
	ValidUntil        string          `json:"valid_until,omitempty"`
	MaxUses           string          `json:"max_uses,omitempty"`
	OncePerCustomer   bool            `json:"once_per_customer"`
	MinOrder          string          `json:"min_order,omitempty"`
	FirstOrderOnly    bool            `json:"first_order_only"`
	RequiresClick     bool            `json:"requires_click"`
	AllowedAffiliates []string        `json:"allowed_affiliates,omitempty"`
	CommissionType    string          `json:"commission_type,omitempty"`
	CommissionValue   string          `json:"commission_value,omitempty"`
	RecurringMonths   string          `json:"recurring_months,omitempty"`
	Status            string          `json:"status"`
	Platforms         []PlatformEntry `json:"platforms,omitempty"`
	Version           int64           `json:"version"`
	EventID           string          `json:"event_id"`
	UpdatedAt         time.Time       `json:"updated_at"`
}

// PlatformEntry is the JSON form of a code's state on one platform.
type PlatformEntry struct {
	Platform  string     `json:"platform"`
	StoreID   string     `json:"store_id"`
	RemoteID  string     `json:"remote_id,omitempty"`
	Status    string     `json:"status"`
	LastError string     `json:"last_error,omitempty"`
	SyncedAt  *time.Time `json:"synced_at,omitempty"`
}

// EntryOf returns the JSON form of c.
func EntryOf(c *schemas.Code) Entry {
	row := cells(c)
	e := Entry{
		Code:              c.Code,
		DisplayCode:       c.DisplayCode,
		AffiliateID:       c.AffiliateID,
		AffiliateName:     row[colAffiliateName],
		Coupon:            c.CouponID,
		DiscountType:      c.DiscountType,
		DiscountValue:     row[colDiscountValue],
		Currency:          row[colCurrency],
		ValidFrom:         row[colValidFrom],
		ValidUntil:        row[colValidUntil],
		MaxUses:           row[colMaxUses],
		OncePerCustomer:   c.OncePerCustomer,
		MinOrder:          row[colMinOrder],
		FirstOrderOnly:    c.FirstOrderOnly,
		RequiresClick:     c.RequiresClick,
		AllowedAffiliates: c.AllowedAffiliates,
		CommissionType:    row[colCommissionType],
		CommissionValue:   row[colCommissionValue],
		RecurringMonths:   row[colRecurringMonths],
		Status:            c.Status,
		Version:           c.Version,
		EventID:           c.EventID,
		UpdatedAt:         c.UpdatedAt,
	}
	for _, p := range c.Platforms {
		e.Platforms = append(e.Platforms, PlatformEntry{
			Platform: p.Platform, StoreID: p.StoreID, RemoteID: deref(p.RemoteID),
			Status: p.Status, LastError: deref(p.LastError), SyncedAt: p.SyncedAt,
		})
	}
	return e
}

// readOnly are Entry fields a request may carry back but cannot set.
var readOnly = map[string]bool{"display_code": true, "platforms": true, "version": true, "event_id": true, "updated_at": true}

// SheetOf builds a sheet from rows given as column name -> cell value, as
// if read from a CSV file (row i on line i+2). Entry's read-only fields
// (display_code, platforms, version, event_id, updated_at) are ignored; any
// other unknown name fails with ErrFormat.
func SheetOf(rows ...map[string]string) (*Sheet, error) {
	s := &Sheet{}
	for i, m := range rows {
		row := sheetRow{line: i + 2}
		for k, v := range m {
			if readOnly[k] {
				continue
			}
			c, ok := columnByName(k)
			if !ok {
				return nil, fmt.Errorf("%w: unknown field %q (known: %s)", ErrFormat, k, strings.Join(Columns, ", "))
			}
			row.f.set(c, v)
			s.has[c] = true
		}
		s.rows = append(s.rows, row)
	}
	// Like a CSV file, a sheet carries a column for every row.
	for i := range s.rows {
		for c := range numCols {
			if s.has[c] {
				s.rows[i].f.has[c] = true
			}
		}
	}
	return s, nil
}
