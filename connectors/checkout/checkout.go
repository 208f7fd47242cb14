package checkout

import (
	"errors"
	"fmt"
	"time"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// ErrCheckout is wrapped by every error Build returns.
var ErrCheckout = errors.New("checkout: invalid checkout")

// Checkout is one paid checkout as a platform reports it, in neutral
// terms: amounts already in minor units of Currency, ids as the platform
// gives them. The platform reads its payload into a Checkout (what only it
// knows: field names, decimal formats, where it keeps HeldSway's ids) and
// Build does the rest.
type Checkout struct {
	// Platform names the platform ("shopify"). Required.
	Platform string
	// Store names the store within the platform.
	Store string
	// OrderID is the platform's order id. Required.
	OrderID string
	// Occurrence distinguishes deliveries of one order that are events of
	// their own; see EventKey. Usually empty.
	Occurrence []string
	// SourceEvent is the platform's name of what was delivered (a topic,
	// an event type).
	SourceEvent string
	// Currency is the ISO 4217 code, any case. Required.
	Currency string
	// Subtotal, Discount, Shipping, Tax and Total are in minor units of
	// Currency, each within [0, money.Max].
	Subtotal, Discount, Shipping, Tax, Total int64
	// Codes are the discount codes applied, normalised (see Codes).
	Codes []schemas.AppliedCode
	// VisitorID and ClickID are HeldSway's ids carried into checkout,
	// already checked to have the shapes HeldSway issues; "" when absent.
	VisitorID, ClickID string
	// Email is the buyer's email. It is published only as the token of
	// Build's Hasher.
	Email string
	// CustomerID is the platform's customer id; "" for a guest.
	CustomerID string
	// KeyByCustomerID lets CustomerID key the customer when neither
	// HeldSway id nor an email does: true where one platform customer is
	// one buyer across orders (Stripe and Paddle customer objects).
	KeyByCustomerID bool
	// FirstOrder says whether this is the buyer's first order; nil when
	// the platform does not say.
	FirstOrder *bool
	// LandingURL is the first page of the buyer's session, already
	// scrubbed of what may identify the buyer (urlscrub); "" when unknown.
	LandingURL string
	// Subscription is set for a subscription payment.
	Subscription *schemas.Subscription
	// OccurredAt is when the order was placed, already checked against
	// the server clock (eventtime). Required.
	OccurredAt time.Time
	// ReceivedAt is when HeldSway received it.
	ReceivedAt time.Time
}

// Build validates c and returns the canonical order: its event id by
// EventID, its customer key by identity.CustomerKey. h hashes the email;
// nil publishes no email token. Errors wrap ErrCheckout and name the
// field.
func Build(c Checkout, h *identity.Hasher) (*schemas.Order, error) {
	if c.Platform == "" || c.OrderID == "" {
		return nil, fmt.Errorf("%w: platform and order id are required", ErrCheckout)
	}
	cur, _, err := Currency(c.Currency)
	if err != nil {
		return nil, err
	}
	for _, a := range []struct {
		name string
		v    int64
	}{{"subtotal", c.Subtotal}, {"discount", c.Discount}, {"shipping", c.Shipping}, {"tax", c.Tax}, {"total", c.Total}} {
		if err := InRange(a.name, a.v); err != nil {
			return nil, err
		}
	}
	for i, ac := range c.Codes {
		if ac.Code == "" {
			return nil, fmt.Errorf("%w: codes[%d] is empty", ErrCheckout, i)
		}
		if err := InRange(fmt.Sprintf("codes[%d].amount", i), ac.Amount); err != nil {
			return nil, err
		}
	}
	if c.OccurredAt.IsZero() {
		return nil, fmt.Errorf("%w: the order's time is missing", ErrCheckout)
	}
	emailHash := ""
	if h != nil {
		emailHash = h.Email(c.Email)
	}
	customerRef := ""
	if c.KeyByCustomerID && c.CustomerID != "" {
		customerRef = schemas.OrderRef(c.Platform, c.Store, c.CustomerID)
	}
	orderRef := schemas.OrderRef(c.Platform, c.Store, c.OrderID)
	return &schemas.Order{
		EventID:     EventID(EventKey{Platform: c.Platform, Store: c.Store, OrderID: c.OrderID, Occurrence: c.Occurrence}),
		OrderID:     c.OrderID,
		Platform:    c.Platform,
		StoreID:     c.Store,
		SourceEvent: c.SourceEvent,
		Currency:    cur,
		Subtotal:    c.Subtotal,
		Discount:    c.Discount,
		Shipping:    c.Shipping,
		Tax:         c.Tax,
		Total:       c.Total,
		Codes:       c.Codes,
		Customer: schemas.Customer{
			Key:        identity.CustomerKey(c.VisitorID, c.ClickID, emailHash, customerRef, orderRef),
			VisitorID:  Optional(c.VisitorID),
			ClickID:    Optional(c.ClickID),
			EmailHash:  Optional(emailHash),
			CustomerID: Optional(c.CustomerID),
			FirstOrder: c.FirstOrder,
		},
		Subscription: c.Subscription,
		LandingURL:   Optional(c.LandingURL),
		OccurredAt:   c.OccurredAt,
		ReceivedAt:   c.ReceivedAt,
	}, nil
}

// InRange checks an amount in minor units is within [0, money.Max].
func InRange(name string, v int64) error {
	if v < 0 || v > money.Max {
		return fmt.Errorf("%w: %s %d is out of range", ErrCheckout, name, v)
	}
	return nil
}

// Add is a + b, or an error when the sum exceeds money.Max. a and b are
// non-negative.
func Add(a, b int64) (int64, error) {
	if s := a + b; s <= money.Max {
		return s, nil
	}
	return 0, fmt.Errorf("sum exceeds %d minor units", money.Max)
}

// Optional is s as an optional field of a schemas record: nil when empty.
func Optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// OptionalPtr is Optional for a field a payload may leave out or null.
func OptionalPtr(s *string) *string {
	if s == nil {
		return nil
	}
	return Optional(*s)
}
