package checkout

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// MaxReason is the longest refund reason published, in bytes; BuildRefund
// cuts a longer one on a rune boundary.
const MaxReason = 1024

// Refund is one refund as a platform reports it, in neutral terms:
// amounts already in minor units of Currency, ids as the platform gives
// them. The platform reads its payload into a Refund (field names,
// decimal formats, how it tells a full refund) and BuildRefund does the
// rest, as Build does for orders.
type Refund struct {
	// Platform names the platform ("shopify"). Required.
	Platform string
	// Store names the store within the platform.
	Store string
	// OrderID is the id the refunded order was published with. Required.
	OrderID string
	// RefundID is the platform's refund id. Required.
	RefundID string
	// Currency is the ISO 4217 code, any case. Required.
	Currency string
	// Amount is the refunded merchandise net of discount, without tax or
	// shipping; Total is everything returned to the buyer. Both in minor
	// units of Currency, each within [0, money.Max].
	Amount, Total int64
	// Full says the whole order was refunded.
	Full bool
	// Reason is the merchant's or buyer's reason; "" when none. Cut to
	// MaxReason bytes.
	Reason string
	// CustomerKey is the refunded order's customer key when the platform
	// delivers the refund with its order; "" otherwise.
	CustomerKey string
	// OccurredAt is when the refund was made, already checked against the
	// server clock (eventtime). Required.
	OccurredAt time.Time
	// ReceivedAt is when HeldSway received it.
	ReceivedAt time.Time
}

// BuildRefund validates r and returns the canonical refund, its event id
// by EventID. Errors wrap ErrCheckout and name the field, the same for
// every platform.
func BuildRefund(r Refund) (*schemas.Refund, error) {
	if r.Platform == "" || r.OrderID == "" || r.RefundID == "" {
		return nil, fmt.Errorf("%w: platform, order id and refund id are required", ErrCheckout)
	}
	cur, _, err := Currency(r.Currency)
	if err != nil {
		return nil, err
	}
	if err := InRange("amount", r.Amount); err != nil {
		return nil, err
	}
	if err := InRange("total", r.Total); err != nil {
		return nil, err
	}
	if r.OccurredAt.IsZero() {
		return nil, fmt.Errorf("%w: the refund's time is missing", ErrCheckout)
	}
	return &schemas.Refund{
		EventID:     EventID(EventKey{Platform: r.Platform, Store: r.Store, OrderID: r.OrderID, RefundID: r.RefundID}),
		RefundID:    r.RefundID,
		OrderID:     r.OrderID,
		Platform:    r.Platform,
		StoreID:     r.Store,
		Currency:    cur,
		Amount:      r.Amount,
		Total:       r.Total,
		Full:        r.Full,
		Reason:      Optional(truncate(r.Reason, MaxReason)),
		CustomerKey: Optional(r.CustomerKey),
		OccurredAt:  r.OccurredAt,
		ReceivedAt:  r.ReceivedAt,
	}, nil
}

// Currency is code as an ISO 4217 code in upper case, with its number of
// decimal places; the error wraps ErrCheckout and money.ErrCurrency. A
// platform that needs the decimal places to read its amounts calls it
// before Build or BuildRefund, which check the currency the same way.
func Currency(code string) (string, int, error) {
	cur, exp, err := money.Currency(code)
	if err != nil {
		return "", 0, fmt.Errorf("%w: currency: %w", ErrCheckout, err)
	}
	return cur, exp, nil
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
