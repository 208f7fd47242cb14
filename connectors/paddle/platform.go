package paddle

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
	"github.com/heldsway/heldsway/schemas/money"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Name is the platform name in events and paths.
const Name = "paddle"

// Custom data keys that carry HeldSway ids into a checkout.
const (
	MetaVisitorID = "heldsway_vid"
	MetaClickID   = "heldsway_cid"
)

// Config configures the Paddle platform.
type Config struct {
	// Topics names the orders and refunds topics. Required.
	Topics schemas.Topics
	// Hasher hashes personal data. Paddle webhooks carry none today; kept
	// for symmetry with the other platforms. Optional.
	Hasher *identity.Hasher
	// Tolerance is how far a signed ts may be from the receive time.
	// Default 5m (see the package doc for why not Paddle's 5s).
	Tolerance time.Duration
	// Discounts resolves discount ids to codes. Required; usually a Chain of
	// the code registry's synced ids and a *Client.
	Discounts Discounts
	// ResolveTimeout bounds the lookups one delivery makes. Default 10s.
	ResolveTimeout time.Duration
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Topics.Orders == "" || c.Topics.Refunds == "" {
		return errors.New("paddle: orders and refunds topics are required")
	}
	if c.Discounts == nil {
		return errors.New("paddle: a discount resolver is required")
	}
	if c.Tolerance < 0 || c.ResolveTimeout < 0 {
		return errors.New("paddle: negative tolerance or resolve timeout")
	}
	return nil
}

// Platform is Paddle Billing's webhook scheme.
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

// StoreHint implements webhook.Platform: Paddle names no store in headers.
func (p *Platform) StoreHint(http.Header) string { return "" }

// PreVerify implements webhook.PreVerifier: a request without the
// signature header is refused before its body is read.
func (p *Platform) PreVerify(h http.Header, _ int64) error { return signature.Present(h) }

// Verify implements webhook.Platform.
func (p *Platform) Verify(secret string, h http.Header, body []byte, now time.Time) error {
	return signature.Verify(secret, h, body, now, p.cfg.Tolerance)
}

// notification is the webhook envelope.
type notification struct {
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	OccurredAt     string          `json:"occurred_at"`
	NotificationID string          `json:"notification_id"`
	Data           json.RawMessage `json:"data"`
}

type transaction struct {
	ID             string          `json:"id"`
	Status         string          `json:"status"`
	CustomerID     *string         `json:"customer_id"`
	CurrencyCode   string          `json:"currency_code"`
	Origin         string          `json:"origin"`
	SubscriptionID *string         `json:"subscription_id"`
	DiscountID     *string         `json:"discount_id"`
	CustomData     json.RawMessage `json:"custom_data"`
	BillingPeriod  *struct {
		StartsAt string `json:"starts_at"`
	} `json:"billing_period"`
	Discount *struct {
		ID   string  `json:"id"`
		Code *string `json:"code"`
	} `json:"discount"`
	Details *struct {
		Totals *struct {
			Subtotal string `json:"subtotal"`
			Discount string `json:"discount"`
			Tax      string `json:"tax"`
			Total    string `json:"total"`
		} `json:"totals"`
	} `json:"details"`
}

type adjustment struct {
	ID            string  `json:"id"`
	Action        string  `json:"action"`
	Type          *string `json:"type"`
	Status        string  `json:"status"`
	TransactionID string  `json:"transaction_id"`
	Reason        *string `json:"reason"`
	CurrencyCode  string  `json:"currency_code"`
	Totals        *struct {
		Subtotal     string `json:"subtotal"`
		Total        string `json:"total"`
		CurrencyCode string `json:"currency_code"`
	} `json:"totals"`
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Parse implements webhook.Platform. Errors wrap webhook.ErrPayload, or
// ErrTemporary when a lookup failed and a redelivery may succeed.
func (p *Platform) Parse(d webhook.Delivery) (webhook.Result, error) {
	if p.cfg.Topics.Orders == "" || p.cfg.Topics.Refunds == "" || p.cfg.Discounts == nil {
		return webhook.Result{}, fmt.Errorf("%w: paddle platform is not configured", ErrTemporary)
	}
	var n notification
	if err := json.Unmarshal(d.Body, &n); err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "decoding notification: %v", err)
	}
	if n.EventID == "" || n.EventType == "" {
		return webhook.Result{}, webhook.PayloadError(Name, "not a notification: missing event_id or event_type")
	}
	switch n.EventType {
	case "transaction.completed":
		return p.transaction(d, n)
	case "adjustment.created", "adjustment.updated":
		return p.adjustment(d, n)
	}
	return webhook.Result{Ignored: "paddle event type " + clip(n.EventType) + " is not used"}, nil
}

// occurredAt is the notification's occurred_at (the event's own time: an
// adjustment's, not its transaction's), checked against the server clock
// now (eventtime's window).
func occurredAt(n notification, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, n.OccurredAt)
	if err != nil {
		return time.Time{}, webhook.PayloadError(Name, "occurred_at %q: %v", clip(n.OccurredAt), err)
	}
	t = t.UTC()
	if err := eventtime.Check("occurred_at", t, now); err != nil {
		return time.Time{}, webhook.PayloadError(Name, "%w", err)
	}
	return t, nil
}

// minor parses a lowest-denomination integer string.
func minor(name, s string) (int64, error) {
	if s == "" || strings.ContainsAny(s, ".-+") {
		return 0, webhook.PayloadError(Name, "%s %q is not a non-negative integer", name, clip(s))
	}
	v, err := money.ParseScale(s, 0)
	if err != nil {
		return 0, webhook.PayloadError(Name, "%s: %v", name, err)
	}
	return v, nil
}

// ids reads heldsway_vid / heldsway_cid from custom_data (any JSON object;
// non-string values are ignored).
func ids(raw json.RawMessage) (visitor, click string) {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return "", ""
	}
	if v, ok := m[MetaVisitorID].(string); ok && identity.ValidVisitorID(strings.TrimSpace(v)) {
		visitor = strings.TrimSpace(v)
	}
	if c, ok := m[MetaClickID].(string); ok {
		if _, ok := identity.VisitorFromClickID(strings.TrimSpace(c)); ok {
			click = strings.TrimSpace(c)
		}
	}
	return visitor, click
}

func (p *Platform) transaction(d webhook.Delivery, n notification) (webhook.Result, error) {
	var tx transaction
	if err := json.Unmarshal(n.Data, &tx); err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "decoding transaction: %v", err)
	}
	if !strings.HasPrefix(tx.ID, "txn_") {
		return webhook.Result{}, webhook.PayloadError(Name, "transaction.completed data is not a transaction")
	}
	if tx.Status != "completed" {
		return webhook.Result{Ignored: "transaction status " + clip(tx.Status) + " is not completed"}, nil
	}
	if tx.Origin == "subscription_payment_method_change" {
		return webhook.Result{Ignored: "payment method change is not an order"}, nil
	}
	if tx.Details == nil || tx.Details.Totals == nil {
		return webhook.Result{}, webhook.PayloadError(Name, "transaction %s has no details.totals", clip(tx.ID))
	}
	tt := tx.Details.Totals
	var amounts [4]int64
	for i, a := range []struct{ name, v string }{{"subtotal", tt.Subtotal}, {"discount", tt.Discount}, {"tax", tt.Tax}, {"total", tt.Total}} {
		v, err := minor(a.name, a.v)
		if err != nil {
			return webhook.Result{}, err
		}
		amounts[i] = v
	}
	cur, _, err := checkout.Currency(tx.CurrencyCode)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "%w", err)
	}
	at, err := occurredAt(n, d.Now)
	if err != nil {
		return webhook.Result{}, err
	}
	c := checkout.Checkout{
		Platform:        Name,
		Store:           d.Store.ID,
		OrderID:         tx.ID,
		SourceEvent:     n.EventType,
		Currency:        cur,
		Subtotal:        amounts[0],
		Discount:        amounts[1],
		Tax:             amounts[2],
		Total:           amounts[3],
		CustomerID:      deref(tx.CustomerID),
		KeyByCustomerID: true,
		OccurredAt:      at,
		ReceivedAt:      d.Now,
	}
	if id := checkout.OptionalPtr(tx.DiscountID); id != nil {
		code, err := p.code(d.Context(), d.Store.ID, tx)
		if err != nil {
			return webhook.Result{}, err
		}
		if code != "" {
			c.Codes = []schemas.AppliedCode{{Code: code, Amount: c.Discount, RemoteID: id}}
		}
	}
	if c.Subscription, err = subscription(tx, d.Now); err != nil {
		return webhook.Result{}, err
	}
	c.VisitorID, c.ClickID = ids(tx.CustomData)
	// Paddle webhooks carry no email: nothing to hash.
	o, err := checkout.Build(c, nil)
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "%w", err)
	}
	return webhook.Result{Events: []publish.Event{{Topic: p.cfg.Topics.Orders, Key: o.Customer.Key, Value: o}}}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// subscription is the Subscription of a transaction: nil without a
// subscription_id. Origin web or api (the checkout or API transaction that
// created the subscription) is its first payment: Cycle 1, StartedAt the
// billing period's start when that is a valid time within eventtime's
// window of now. Every other origin (subscription_recurring renewals,
// subscription_update, subscription_charge, and any origin Paddle adds)
// leaves Cycle 0 and StartedAt nil: only a payment known to be the first
// may say so, as a first payment always earns; stage 1 judges the others
// from the subscription's start it remembers. A transaction whose origin
// names a subscription but has no subscription_id is refused: published as
// a one-off order it would earn on every renewal.
func subscription(tx transaction, now time.Time) (*schemas.Subscription, error) {
	id := checkout.OptionalPtr(tx.SubscriptionID)
	if id == nil {
		if strings.HasPrefix(tx.Origin, "subscription_") {
			return nil, webhook.PayloadError(Name, "transaction %s has origin %s but no subscription_id", clip(tx.ID), clip(tx.Origin))
		}
		return nil, nil
	}
	s := &schemas.Subscription{ID: *id}
	if tx.Origin != "web" && tx.Origin != "api" {
		return s, nil
	}
	s.Cycle = 1
	if tx.BillingPeriod != nil {
		if t, err := time.Parse(time.RFC3339Nano, tx.BillingPeriod.StartsAt); err == nil && eventtime.Check("billing_period.starts_at", t, now) == nil {
			t = t.UTC()
			s.StartedAt = &t
		}
	}
	return s, nil
}

// code returns the normalised code of the transaction's discount, "" when
// the discount has no code.
func (p *Platform) code(parent context.Context, storeID string, tx transaction) (string, error) {
	id := *tx.DiscountID
	var code string
	if tx.Discount != nil && tx.Discount.ID == id {
		if tx.Discount.Code == nil || *tx.Discount.Code == "" {
			return "", nil
		}
		code = *tx.Discount.Code
	} else {
		ctx, cancel := context.WithTimeout(parent, p.cfg.ResolveTimeout)
		defer cancel()
		c, err := p.cfg.Discounts.Code(ctx, storeID, id)
		switch {
		case err == nil && c == "":
			return "", nil
		case err == nil:
			code = c
		case errors.Is(err, ErrNotFound) && !IsTemporary(err):
			code = id
		case IsTemporary(err):
			return "", fmt.Errorf("resolving discount %s: %w", clip(id), err)
		default:
			return "", fmt.Errorf("%w: resolving discount %s: %w", ErrTemporary, clip(id), err)
		}
	}
	norm, err := promocode.Normalize(code)
	if err != nil {
		// Not a code HeldSway could have issued: keep the id so RemoteID
		// can still be matched.
		if norm, err = promocode.Normalize(id); err != nil {
			return "", webhook.PayloadError(Name, "discount id %q: %v", clip(id), err)
		}
	}
	return norm, nil
}

func (p *Platform) adjustment(d webhook.Delivery, n notification) (webhook.Result, error) {
	var a adjustment
	if err := json.Unmarshal(n.Data, &a); err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "decoding adjustment: %v", err)
	}
	if !strings.HasPrefix(a.ID, "adj_") {
		return webhook.Result{}, webhook.PayloadError(Name, "%s data is not an adjustment", clip(n.EventType))
	}
	if a.Action != "refund" {
		return webhook.Result{Ignored: "adjustment action " + clip(a.Action) + " is not a refund"}, nil
	}
	if a.Status != "approved" {
		return webhook.Result{Ignored: "refund status " + clip(a.Status) + ": published once approved"}, nil
	}
	if a.TransactionID == "" {
		return webhook.Result{}, webhook.PayloadError(Name, "adjustment %s has no transaction_id", clip(a.ID))
	}
	if a.Totals == nil {
		return webhook.Result{}, webhook.PayloadError(Name, "adjustment %s has no totals", clip(a.ID))
	}
	amt, err := minor("subtotal", a.Totals.Subtotal)
	if err != nil {
		return webhook.Result{}, err
	}
	total, err := minor("total", a.Totals.Total)
	if err != nil {
		return webhook.Result{}, err
	}
	curCode := a.CurrencyCode
	if curCode == "" {
		curCode = a.Totals.CurrencyCode
	}
	at, err := occurredAt(n, d.Now)
	if err != nil {
		return webhook.Result{}, err
	}
	store := d.Store.ID
	rf, err := checkout.BuildRefund(checkout.Refund{
		Platform:   Name,
		Store:      store,
		OrderID:    a.TransactionID,
		RefundID:   a.ID,
		Currency:   curCode,
		Amount:     amt,
		Total:      total,
		Full:       a.Type != nil && *a.Type == "full",
		Reason:     deref(a.Reason),
		OccurredAt: at,
		ReceivedAt: d.Now,
	})
	if err != nil {
		return webhook.Result{}, webhook.PayloadError(Name, "%w", err)
	}
	return webhook.Result{Events: []publish.Event{{Topic: p.cfg.Topics.Refunds, Key: schemas.OrderRef(Name, store, a.TransactionID), Value: rf}}}, nil
}
