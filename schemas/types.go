package schemas

import "time"

// The types mirror avro/*.avsc field for field (snake_case on the wire).
// Optional fields are pointers (nil is null). Times travel as
// timestamp-millis and decode as UTC; empty slices and maps decode as nil.

// Click is a visit through an affiliate's tracking link or a server-side
// tracker, published on the clicks topic keyed by visitor id.
type Click struct {
	EventID       string
	ClickID       string
	VisitorID     string
	Code          *string
	AffiliateID   *string
	DestinationID *string
	LandingURL    *string
	Referrer      *string
	PageType      *string
	IPHash        *string
	UserAgent     *string
	IsBot         bool
	BotReason     *string
	Source        string
	OccurredAt    time.Time
	ReceivedAt    time.Time
}

// AppliedCode is one code applied to an order.
type AppliedCode struct {
	Code     string
	Amount   int64
	RemoteID *string
}

// Customer identifies who placed an order, in the forms the processor can
// join on. Key is the partitioning key (see Customer key precedence in the
// README).
type Customer struct {
	Key        string
	VisitorID  *string
	ClickID    *string
	EmailHash  *string
	CustomerID *string
	FirstOrder *bool
}

// Subscription marks an order as a subscription payment.
type Subscription struct {
	ID        string
	Cycle     int32
	StartedAt *time.Time
}

// Order is a completed checkout. Amounts are minor units of Currency.
type Order struct {
	EventID       string
	OrderID       string
	Platform      string
	StoreID       string
	SourceEvent   string
	Currency      string
	Subtotal      int64
	Discount      int64
	Shipping      int64
	Tax           int64
	Total         int64
	Codes         []AppliedCode
	Customer      Customer
	Subscription  *Subscription
	LandingURL    *string
	CodeAppliedAt *time.Time
	OccurredAt    time.Time
	ReceivedAt    time.Time
}

// Refund is money returned on an order. Amount is the refunded merchandise
// net of discount, the base commission is reversed on.
type Refund struct {
	EventID     string
	RefundID    string
	OrderID     string
	Platform    string
	StoreID     string
	Currency    string
	Amount      int64
	Total       int64
	Full        bool
	Reason      *string
	CustomerKey *string
	OccurredAt  time.Time
	ReceivedAt  time.Time
}

// CommissionRule says what an affiliate earns for an order.
type CommissionRule struct {
	Type            string // percent or fixed
	Value           int64  // basis points for percent, minor units for fixed
	Currency        *string
	RecurringMonths int32
}

// PlatformSync is the state of a code in one store platform.
type PlatformSync struct {
	Platform  string
	StoreID   string
	RemoteID  *string
	Status    string
	LastError *string
	SyncedAt  *time.Time
}

// Code is a code registry entry.
type Code struct {
	EventID           string
	Code              string
	DisplayCode       string
	CouponID          string
	AffiliateID       string
	AffiliateName     *string
	DiscountType      string
	DiscountValue     int64
	Currency          *string
	Status            string
	ValidFrom         *time.Time
	ValidUntil        *time.Time
	MaxUses           *int64
	OncePerCustomer   bool
	MinOrder          *int64
	FirstOrderOnly    bool
	AllowedAffiliates []string
	RequiresClick     bool
	Commission        *CommissionRule
	Platforms         []PlatformSync
	Version           int64
	UpdatedAt         time.Time
}

// Share is one affiliate's part of split credit.
type Share struct {
	AffiliateID string
	Code        *string
	ClickID     *string
	WeightBP    int32
	Commission  int64
}

// Touch is a click or code considered for an order, and why it did or did
// not win.
type Touch struct {
	Kind        string // click or code
	AffiliateID *string
	Code        *string
	ClickID     *string
	At          time.Time
	Qualified   bool
	Won         bool
	Reason      *string
}

// Attribution says who is credited for an order. A later record for the same
// order with a higher Version supersedes earlier ones.
type Attribution struct {
	EventID         string
	OrderID         string
	Platform        string
	StoreID         string
	Version         int32
	Status          string
	Rule            string
	Method          string
	AffiliateID     *string
	Code            *string
	ClickID         *string
	CustomerKey     string
	Currency        string
	OrderTotal      int64
	NetAmount       int64
	Commission      int64
	Reasons         []string
	Shares          []Share
	Touches         []Touch
	OrderOccurredAt time.Time
	DecidedAt       time.Time
}

// Adjustment is a signed change to commission already credited.
type Adjustment struct {
	EventID            string
	OrderID            string
	Platform           string
	StoreID            string
	RefundID           *string
	AffiliateID        string
	Code               *string
	Amount             int64
	Currency           string
	Reason             string
	AttributionVersion int32
	OccurredAt         time.Time
	DecidedAt          time.Time
}

// Flag is a fraud signal about an order or a code.
type Flag struct {
	EventID     string
	Type        string
	Severity    string
	OrderID     *string
	Platform    *string
	StoreID     *string
	Code        *string
	AffiliateID *string
	Evidence    map[string]string // encoded in key order
	OccurredAt  time.Time
	DetectedAt  time.Time
}

// DeadLetter is input that could not be processed, with the reason.
type DeadLetter struct {
	EventID    string
	Source     string
	Stage      string
	Partition  *int32
	Offset     *int64
	Key        []byte // nil is null; a non-nil empty key stays empty
	Value      []byte // empty decodes as nil
	Reason     string
	OccurredAt time.Time
}
