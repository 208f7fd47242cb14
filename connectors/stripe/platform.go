package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/eventtime"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

// Name is the platform name in events and paths.
const Name = "stripe"

// Metadata keys (and custom data keys) that carry HeldSway ids into a
// checkout.
const (
	MetaVisitorID = "heldsway_vid"
	MetaClickID   = "heldsway_cid"
)

// PaymentInvoices finds the invoice a payment intent paid, "" when it paid
// none. From API version 2025-03-31 a charge or refund no longer names its
// invoice, so this is how a subscription refund finds its order.
type PaymentInvoices interface {
	InvoiceForPayment(ctx context.Context, storeID, paymentIntentID string) (string, error)
}

// Config configures the Stripe platform.
type Config struct {
	// Topics names the orders and refunds topics. Required.
	Topics schemas.Topics
	// Hasher hashes customer emails. Required.
	Hasher *identity.Hasher
	// Tolerance is how far a signed timestamp may be from the receive time.
	// Default 5m, Stripe's own default.
	Tolerance time.Duration
	// Promotions resolves promotion code ids to codes. Required; usually a
	// Chain of the code registry's synced ids and a *Client.
	Promotions PromotionCodes
	// Invoices expands an invoice's bare discount ids. Optional: when nil,
	// invoice discounts not already expanded in the payload are skipped.
	Invoices InvoiceDiscounts
	// Payments links a refunded payment intent to its invoice. Optional:
	// when nil, refunds of charges that do not name their invoice link by
	// payment intent.
	Payments PaymentInvoices
	// ResolveTimeout bounds the lookups one delivery makes. Default 10s.
	ResolveTimeout time.Duration
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Topics.Orders == "" || c.Topics.Refunds == "" {
		return errors.New("stripe: orders and refunds topics are required")
	}
	if c.Hasher == nil {
		return errors.New("stripe: a Hasher is required")
	}
	if c.Promotions == nil {
		return errors.New("stripe: a promotion code resolver is required")
	}
	if c.Tolerance < 0 || c.ResolveTimeout < 0 {
		return errors.New("stripe: negative tolerance or resolve timeout")
	}
	return nil
}

// Platform is Stripe's webhook scheme.
type Platform struct{ cfg Config }

var _ webhook.Platform = (*Platform)(nil)

// New returns the platform for cfg, defaults applied. Call cfg.Validate
// first: a Platform built from an invalid Config rejects deliveries rather
// than panic.
func New(cfg Config) *Platform {
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 5 * time.Minute
	}
	if cfg.ResolveTimeout == 0 {
		cfg.ResolveTimeout = 10 * time.Second
	}
	return &Platform{cfg: cfg}
}

// Name implements webhook.Platform.
func (p *Platform) Name() string { return Name }

// StoreHint implements webhook.Platform. Stripe names the account only in
// the body, so every store's secret is tried.
func (p *Platform) StoreHint(http.Header) string { return "" }

// PreVerify implements webhook.PreVerifier: a request without the
// signature header is refused before its body is read.
func (p *Platform) PreVerify(h http.Header, _ int64) error { return signature.Present(h) }

// Verify implements webhook.Platform.
func (p *Platform) Verify(secret string, h http.Header, body []byte, now time.Time) error {
	return signature.Verify(secret, h, body, now, p.cfg.Tolerance)
}

// Parse implements webhook.Platform. Errors wrap webhook.ErrPayload, or
// ErrTemporary when a lookup failed and a redelivery may succeed.
func (p *Platform) Parse(d webhook.Delivery) (webhook.Result, error) {
	if p.cfg.Topics.Orders == "" || p.cfg.Topics.Refunds == "" || p.cfg.Promotions == nil {
		return webhook.Result{}, fmt.Errorf("%w: stripe platform is not configured", ErrTemporary)
	}
	var ev event
	if err := json.Unmarshal(d.Body, &ev); err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "decoding event: %v", err)
	}
	if ev.ID == "" || ev.Type == "" || (ev.Object != "" && ev.Object != "event") {
		return webhook.Result{}, webhook.PayloadError(Name, "not an event: missing id or type")
	}
	ctx, cancel := context.WithTimeout(d.Context(), p.cfg.ResolveTimeout)
	defer cancel()
	switch ev.Type {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded":
		return p.checkoutSession(ctx, d, ev)
	case "invoice.paid", "invoice.payment_succeeded":
		return p.invoice(ctx, d, ev)
	case "charge.refunded":
		return p.chargeRefunded(ctx, d, ev)
	case "refund.created", "refund.updated":
		return p.refundEvent(ctx, d, ev)
	}
	return webhook.Result{Ignored: "stripe event type " + clip(ev.Type) + " is not used"}, nil
}

// clip bounds a string taken from a payload before it goes into a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func decodeObject(ev event, want string, v any) error {
	if len(ev.Data.Object) == 0 {
		return webhook.PayloadError(Name, "%s event has no data.object", clip(ev.Type))
	}
	if err := json.Unmarshal(ev.Data.Object, v); err != nil {
		return webhook.PayloadError(Name, "decoding %s: %v", want, err)
	}
	return nil
}

// eventTime is the event's created time, or fallback (the object's own
// created) when the event has none, checked against the server clock now.
func eventTime(ev event, fallback int64, now time.Time) (time.Time, error) {
	field, t := "created", ev.Created
	if t <= 0 {
		field, t = "data.object.created", fallback
	}
	if t <= 0 || t > 1<<40 {
		return time.Time{}, webhook.PayloadError(Name, "event %s has no valid created time", clip(ev.ID))
	}
	return checkTime(field, t, now)
}

// checkTime converts Unix seconds and checks them against now (eventtime's
// window).
func checkTime(field string, secs int64, now time.Time) (time.Time, error) {
	t := timeUnix(secs)
	if err := eventtime.Check(field, t, now); err != nil {
		return time.Time{}, webhook.PayloadError(Name, "%w", err)
	}
	return t, nil
}

func orDefault(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}

func strOr(ps ...*string) string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return *p
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

// ids finds our visitor and click ids in metadata (first map that has a
// well-formed one wins) and in a client_reference_id.
func ids(clientRef string, metas ...map[string]string) (visitor, click string) {
	for _, m := range metas {
		if v := strings.TrimSpace(m[MetaVisitorID]); visitor == "" && identity.ValidVisitorID(v) {
			visitor = v
		}
		if c := strings.TrimSpace(m[MetaClickID]); click == "" {
			if _, ok := identity.VisitorFromClickID(c); ok {
				click = c
			}
		}
	}
	ref := strings.TrimSpace(clientRef)
	if _, ok := identity.VisitorFromClickID(ref); ok && click == "" {
		click = ref
	} else if identity.ValidVisitorID(ref) && visitor == "" {
		visitor = ref
	}
	return visitor, click
}

// orderInput is what both order sources give.
type orderInput struct {
	ev                                       event
	orderID, currency                        string
	subtotal, discount, shipping, tax, total int64
	email, customerID, visitor, click        string
	codes                                    []schemas.AppliedCode
	subscription                             *schemas.Subscription
	occurredAt                               time.Time
}

func (p *Platform) order(d webhook.Delivery, in orderInput) (webhook.Result, error) {
	o, err := checkout.Build(checkout.Checkout{
		Platform:        Name,
		Store:           d.Store.ID,
		OrderID:         in.orderID,
		SourceEvent:     in.ev.Type,
		Currency:        in.currency,
		Subtotal:        in.subtotal,
		Discount:        in.discount,
		Shipping:        in.shipping,
		Tax:             in.tax,
		Total:           in.total,
		Codes:           in.codes,
		VisitorID:       in.visitor,
		ClickID:         in.click,
		Email:           in.email,
		CustomerID:      in.customerID,
		KeyByCustomerID: true,
		Subscription:    in.subscription,
		OccurredAt:      in.occurredAt,
		ReceivedAt:      d.Now,
	}, p.cfg.Hasher)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "%w", err)
	}
	return webhook.Result{Events: []publish.Event{{Topic: p.cfg.Topics.Orders, Key: o.Customer.Key, Value: o}}}, nil
}

func timeUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }
