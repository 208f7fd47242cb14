package schemas

import "time"

// The types mirror avro/*.avsc field for field (snake_case on the wire).
// Optional fields are pointers (nil is null). Times travel as
// timestamp-millis and decode as UTC; empty slices and maps decode as nil.

// Click is a visit through an affiliate's tracking link or a server-side
// tracker, published on the clicks topic keyed by visitor id.
type Click struct {
	EventID       string    `json:"event_id"`
	ClickID       string    `json:"click_id"`
	VisitorID     string    `json:"visitor_id"`
	Code          *string   `json:"code"`
	AffiliateID   *string   `json:"affiliate_id"`
	DestinationID *string   `json:"destination_id"`
	LandingURL    *string   `json:"landing_url"`
	Referrer      *string   `json:"referrer"`
	PageType      *string   `json:"page_type"`
	IPHash        *string   `json:"ip_hash"`
	UserAgent     *string   `json:"user_agent"`
	IsBot         bool      `json:"is_bot"`
	BotReason     *string   `json:"bot_reason"`
	Source        string    `json:"source"`
	OccurredAt    time.Time `json:"occurred_at"`
	ReceivedAt    time.Time `json:"received_at"`
}

// AppliedCode is one code applied to an order.
type AppliedCode struct {
	Code     string  `json:"code"`
	Amount   int64   `json:"amount"`
	RemoteID *string `json:"remote_id"`
}

// Customer identifies who placed an order, in the forms the processor can
// join on. Key is the partitioning key (see Customer key precedence in
// docs/contract.md).
type Customer struct {
	Key        string  `json:"key"`
	VisitorID  *string `json:"visitor_id"`
	ClickID    *string `json:"click_id"`
	EmailHash  *string `json:"email_hash"`
	CustomerID *string `json:"customer_id"`
	FirstOrder *bool   `json:"first_order"`
}

// Subscription marks an order as a subscription payment.
type Subscription struct {
	ID        string     `json:"id"`
	Cycle     int32      `json:"cycle"`
	StartedAt *time.Time `json:"started_at"`
}

// Order is a completed checkout. Amounts are minor units of Currency.
type Order struct {
	EventID       string        `json:"event_id"`
	OrderID       string        `json:"order_id"`
	Platform      string        `json:"platform"`
	StoreID       string        `json:"store_id"`
	SourceEvent   string        `json:"source_event"`
	Currency      string        `json:"currency"`
	Subtotal      int64         `json:"subtotal"`
	Discount      int64         `json:"discount"`
	Shipping      int64         `json:"shipping"`
	Tax           int64         `json:"tax"`
	Total         int64         `json:"total"`
	Codes         []AppliedCode `json:"codes"`
	Customer      Customer      `json:"customer"`
	Subscription  *Subscription `json:"subscription"`
	LandingURL    *string       `json:"landing_url"`
	CodeAppliedAt *time.Time    `json:"code_applied_at"`
	OccurredAt    time.Time     `json:"occurred_at"`
	ReceivedAt    time.Time     `json:"received_at"`
}

// Refund is money returned on an order. Amount is the refunded merchandise
// net of discount, the base commission is reversed on.
type Refund struct {
	EventID     string    `json:"event_id"`
	RefundID    string    `json:"refund_id"`
	OrderID     string    `json:"order_id"`
	Platform    string    `json:"platform"`
	StoreID     string    `json:"store_id"`
	Currency    string    `json:"currency"`
	Amount      int64     `json:"amount"`
	Total       int64     `json:"total"`
	Full        bool      `json:"full"`
	Reason      *string   `json:"reason"`
	CustomerKey *string   `json:"customer_key"`
	OccurredAt  time.Time `json:"occurred_at"`
	ReceivedAt  time.Time `json:"received_at"`
}

// CommissionRule says what an affiliate earns for an order.
type CommissionRule struct {
	Type            string  `json:"type"`  // percent or fixed
	Value           int64   `json:"value"` // basis points for percent, minor units for fixed
	Currency        *string `json:"currency"`
	RecurringMonths int32   `json:"recurring_months"`
}

// PlatformSync is the state of a code in one store platform.
type PlatformSync struct {
	Platform  string     `json:"platform"`
	StoreID   string     `json:"store_id"`
	RemoteID  *string    `json:"remote_id"`
	Status    string     `json:"status"`
	LastError *string    `json:"last_error"`
	SyncedAt  *time.Time `json:"synced_at"`
}

// Code is a code registry entry.
type Code struct {
	EventID           string          `json:"event_id"`
	Code              string          `json:"code"`
	DisplayCode       string          `json:"display_code"`
	CouponID          string          `json:"coupon_id"`
	AffiliateID       string          `json:"affiliate_id"`
	AffiliateName     *string         `json:"affiliate_name"`
	DiscountType      string          `json:"discount_type"`
	DiscountValue     int64           `json:"discount_value"`
	Currency          *string         `json:"currency"`
	Status            string          `json:"status"`
	ValidFrom         *time.Time      `json:"valid_from"`
	ValidUntil        *time.Time      `json:"valid_until"`
	MaxUses           *int64          `json:"max_uses"`
	OncePerCustomer   bool            `json:"once_per_customer"`
	MinOrder          *int64          `json:"min_order"`
	FirstOrderOnly    bool            `json:"first_order_only"`
	AllowedAffiliates []string        `json:"allowed_affiliates"`
	RequiresClick     bool            `json:"requires_click"`
	Commission        *CommissionRule `json:"commission"`
	Platforms         []PlatformSync  `json:"platforms"`
	Version           int64           `json:"version"`
	UpdatedAt         time.Time       `json:"updated_at"`
}

// Share is one affiliate's part of split credit.
type Share struct {
	AffiliateID string  `json:"affiliate_id"`
	Code        *string `json:"code"`
	ClickID     *string `json:"click_id"`
	WeightBP    int32   `json:"weight_bp"`
	Commission  int64   `json:"commission"`
}

// Touch is a click or code considered for an order, and why it did or did
// not win.
type Touch struct {
	Kind        string    `json:"kind"` // click or code
	AffiliateID *string   `json:"affiliate_id"`
	Code        *string   `json:"code"`
	ClickID     *string   `json:"click_id"`
	At          time.Time `json:"at"`
	Qualified   bool      `json:"qualified"`
	Won         bool      `json:"won"`
	Reason      *string   `json:"reason"`
}

// Attribution says who is credited for an order. A later record for the same
// order with a higher Version supersedes earlier ones.
type Attribution struct {
	EventID         string    `json:"event_id"`
	OrderID         string    `json:"order_id"`
	Platform        string    `json:"platform"`
	StoreID         string    `json:"store_id"`
	Version         int32     `json:"version"`
	Status          string    `json:"status"`
	Rule            string    `json:"rule"`
	Method          string    `json:"method"`
	AffiliateID     *string   `json:"affiliate_id"`
	Code            *string   `json:"code"`
	ClickID         *string   `json:"click_id"`
	CustomerKey     string    `json:"customer_key"`
	Currency        string    `json:"currency"`
	OrderTotal      int64     `json:"order_total"`
	NetAmount       int64     `json:"net_amount"`
	Commission      int64     `json:"commission"`
	Reasons         []string  `json:"reasons"`
	Shares          []Share   `json:"shares"`
	Touches         []Touch   `json:"touches"`
	OrderOccurredAt time.Time `json:"order_occurred_at"`
	DecidedAt       time.Time `json:"decided_at"`
}

// Adjustment is a signed change to commission already credited.
type Adjustment struct {
	EventID            string    `json:"event_id"`
	OrderID            string    `json:"order_id"`
	Platform           string    `json:"platform"`
	StoreID            string    `json:"store_id"`
	RefundID           *string   `json:"refund_id"`
	AffiliateID        string    `json:"affiliate_id"`
	Code               *string   `json:"code"`
	Amount             int64     `json:"amount"`
	Currency           string    `json:"currency"`
	Reason             string    `json:"reason"`
	AttributionVersion int32     `json:"attribution_version"`
	OccurredAt         time.Time `json:"occurred_at"`
	DecidedAt          time.Time `json:"decided_at"`
}

// Flag is a fraud signal about an order or a code.
type Flag struct {
	EventID     string            `json:"event_id"`
	Type        string            `json:"type"`
	Severity    string            `json:"severity"`
	OrderID     *string           `json:"order_id"`
	Platform    *string           `json:"platform"`
	StoreID     *string           `json:"store_id"`
	Code        *string           `json:"code"`
	AffiliateID *string           `json:"affiliate_id"`
	Evidence    map[string]string `json:"evidence"` // encoded in key order
	OccurredAt  time.Time         `json:"occurred_at"`
	DetectedAt  time.Time         `json:"detected_at"`
}

// DeadLetter is input that could not be processed, with the reason.
type DeadLetter struct {
	EventID    string    `json:"event_id"`
	Source     string    `json:"source"`
	Stage      string    `json:"stage"`
	Partition  *int32    `json:"partition"`
	Offset     *int64    `json:"offset"`
	Key        []byte    `json:"key"`   // nil is null; a non-nil empty key stays empty
	Value      []byte    `json:"value"` // empty decodes as nil
	Reason     string    `json:"reason"`
	OccurredAt time.Time `json:"occurred_at"`
}
