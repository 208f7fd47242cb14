package conversion

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/eventtime"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/urlscrub"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Platform is the platform name of orders reported through this API.
const Platform = "api"

// DefaultStore is the store id used when a request names none.
const DefaultStore = "default"

// OrderRequest is the body of POST /v1/conversions.
type OrderRequest struct {
	OrderID      string               `json:"order_id"`
	StoreID      string               `json:"store_id"`
	Currency     string               `json:"currency"`
	Subtotal     *int64               `json:"subtotal"`
	Discount     int64                `json:"discount"`
	Shipping     int64                `json:"shipping"`
	Tax          int64                `json:"tax"`
	Total        *int64               `json:"total"`
	Codes        []string             `json:"codes"`
	Customer     CustomerRequest      `json:"customer"`
	VisitorID    string               `json:"visitor_id"`
	ClickID      string               `json:"click_id"`
	LandingURL   string               `json:"landing_url"`
	Subscription *SubscriptionRequest `json:"subscription"`
	OccurredAt   *time.Time           `json:"occurred_at"`
}

// CustomerRequest identifies the buyer. The email is hashed at the edge and
// never published.
type CustomerRequest struct {
	Email      string `json:"email"`
	ID         string `json:"id"`
	FirstOrder *bool  `json:"first_order"`
}

// SubscriptionRequest marks the order as a subscription payment.
type SubscriptionRequest struct {
	ID        string     `json:"id"`
	Cycle     int32      `json:"cycle"`
	StartedAt *time.Time `json:"started_at"`
}

// RefundRequest is the body of POST /v1/refunds.
type RefundRequest struct {
	RefundID   string     `json:"refund_id"`
	OrderID    string     `json:"order_id"`
	StoreID    string     `json:"store_id"`
	Currency   string     `json:"currency"`
	Amount     *int64     `json:"amount"`
	Total      int64      `json:"total"`
	Full       bool       `json:"full"`
	Reason     string     `json:"reason"`
	OccurredAt *time.Time `json:"occurred_at"`
}

func id(field, v string, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			return "", fmt.Errorf("%s is required", field)
		}
		return "", nil
	}
	if len(v) > 128 {
		return "", fmt.Errorf("%s: longer than 128 bytes", field)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%s: contains a control character", field)
		}
	}
	return v, nil
}

func eventTime(field string, t *time.Time, now time.Time) (time.Time, error) {
	if t == nil {
		return now, nil
	}
	// Events far in the past or future are refused rather than silently
	// credited to the wrong window.
	u := t.UTC().Truncate(time.Millisecond)
	if err := eventtime.Check(field, u, now); err != nil {
		return time.Time{}, err
	}
	return u, nil
}

func ptr[T any](v T) *T { return &v }

// ToOrder validates r and maps it to a canonical order.
func (r *OrderRequest) ToOrder(h *identity.Hasher, now time.Time) (*schemas.Order, error) {
	orderID, err := id("order_id", r.OrderID, true)
	if err != nil {
		return nil, err
	}
	store, err := id("store_id", r.StoreID, false)
	if err != nil {
		return nil, err
	}
	if store == "" {
		store = DefaultStore
	}
	cur, _, err := checkout.Currency(r.Currency)
	if err != nil {
		return nil, err
	}
	if r.Subtotal == nil {
		return nil, errors.New("subtotal is required (minor units)")
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"subtotal", *r.Subtotal}, {"discount", r.Discount}, {"shipping", r.Shipping}, {"tax", r.Tax}} {
		if err := amount(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if r.Discount > *r.Subtotal {
		return nil, fmt.Errorf("discount %d exceeds subtotal %d", r.Discount, *r.Subtotal)
	}
	total := *r.Subtotal - r.Discount + r.Shipping + r.Tax
	if err := amount("subtotal - discount + shipping + tax", total); err != nil {
		return nil, err
	}
	if r.Total != nil {
		if err := amount("total", *r.Total); err != nil {
			return nil, err
		}
		if d := *r.Total - total; d > TotalTolerance(total) || -d > TotalTolerance(total) {
			return nil, fmt.Errorf("total %d differs from subtotal - discount + shipping + tax = %d by %d, more than the tolerance %d", *r.Total, total, d, TotalTolerance(total))
		}
		total = *r.Total
	}
	occurred, err := eventTime("occurred_at", r.OccurredAt, now)
	if err != nil {
		return nil, err
	}
	if len(r.Codes) > 10 {
		return nil, fmt.Errorf("codes: %d codes, at most 10", len(r.Codes))
	}
	applied := make([]schemas.AppliedCode, 0, len(r.Codes))
	seen := map[string]bool{}
	for i, c := range r.Codes {
		n, err := promocode.Normalize(c)
		if err != nil {
			return nil, fmt.Errorf("codes[%d]: %w", i, err)
		}
		if !seen[n] {
			seen[n] = true
			applied = append(applied, schemas.AppliedCode{Code: n})
		}
	}
	if len(applied) == 1 {
		applied[0].Amount = r.Discount
	}
	visitor, err := id("visitor_id", r.VisitorID, false)
	if err != nil {
		return nil, err
	}
	click, err := id("click_id", r.ClickID, false)
	if err != nil {
		return nil, err
	}
	custID, err := id("customer.id", r.Customer.ID, false)
	if err != nil {
		return nil, err
	}
	if len(r.Customer.Email) > 320 {
		return nil, errors.New("customer.email: longer than 320 bytes")
	}
	if len(r.LandingURL) > 2048 {
		return nil, errors.New("landing_url: longer than 2048 bytes")
	}
	// Published without what may identify the buyer: query parameters
	// outside the allowlist, fragment, userinfo (urlscrub).
	landing, err := urlscrub.Scrub(r.LandingURL)
	if err != nil {
		return nil, fmt.Errorf("landing_url: %w", err)
	}
	c := checkout.Checkout{
		Platform:    Platform,
		Store:       store,
		OrderID:     orderID,
		SourceEvent: "conversion",
		Currency:    cur,
		Subtotal:    *r.Subtotal,
		Discount:    r.Discount,
		Shipping:    r.Shipping,
		Tax:         r.Tax,
		Total:       total,
		Codes:       applied,
		VisitorID:   visitor,
		ClickID:     click,
		Email:       r.Customer.Email,
		CustomerID:  custID,
		FirstOrder:  r.Customer.FirstOrder,
		LandingURL:  landing,
		OccurredAt:  occurred,
		ReceivedAt:  now,
	}
	if s := r.Subscription; s != nil {
		sid, err := id("subscription.id", s.ID, true)
		if err != nil {
			return nil, err
		}
		if s.Cycle < 0 {
			return nil, fmt.Errorf("subscription.cycle: %d is negative", s.Cycle)
		}
		sub := &schemas.Subscription{ID: sid, Cycle: s.Cycle}
		if s.StartedAt != nil {
			st, err := eventTime("subscription.started_at", s.StartedAt, now)
			if err != nil {
				return nil, err
			}
			sub.StartedAt = ptr(st)
		}
		c.Subscription = sub
	}
	return checkout.Build(c, h)
}

// ToRefund validates r and maps it to a canonical refund.
func (r *RefundRequest) ToRefund(now time.Time) (*schemas.Refund, error) {
	refundID, err := id("refund_id", r.RefundID, true)
	if err != nil {
		return nil, err
	}
	orderID, err := id("order_id", r.OrderID, true)
	if err != nil {
		return nil, err
	}
	store, err := id("store_id", r.StoreID, false)
	if err != nil {
		return nil, err
	}
	if store == "" {
		store = DefaultStore
	}
	cur, _, err := checkout.Currency(r.Currency)
	if err != nil {
		return nil, err
	}
	if r.Amount == nil {
		return nil, errors.New("amount is required (refunded merchandise, minor units)")
	}
	if err := amount("amount", *r.Amount); err != nil {
		return nil, err
	}
	if err := amount("total", r.Total); err != nil {
		return nil, err
	}
	total := r.Total
	if total == 0 {
		total = *r.Amount
	}
	occurred, err := eventTime("occurred_at", r.OccurredAt, now)
	if err != nil {
		return nil, err
	}
	if len(r.Reason) > checkout.MaxReason {
		return nil, fmt.Errorf("reason: longer than %d bytes", checkout.MaxReason)
	}
	return checkout.BuildRefund(checkout.Refund{
		Platform:   Platform,
		Store:      store,
		OrderID:    orderID,
		RefundID:   refundID,
		Currency:   cur,
		Amount:     *r.Amount,
		Total:      total,
		Full:       r.Full,
		Reason:     r.Reason,
		OccurredAt: occurred,
		ReceivedAt: now,
	})
}
