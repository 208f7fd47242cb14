package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Bounds of the per-customer state. The oldest entries go first.
const (
	// MaxClicks is how many clicks a customer keeps (the latest by event
	// time), bot clicks included.
	MaxClicks = 50
	// MaxBotClicks is how many of those may be bot clicks: bots are kept
	// only to report them, and must not push real clicks out.
	MaxBotClicks = 10
	// MaxOrders is how many past order ids are kept to recognise an order
	// delivered again under another event id.
	MaxOrders = 50
	// MaxRedeemed is how many redeemed codes are kept for
	// once-per-customer.
	MaxRedeemed = 100
	// MaxRecent is how many decided orders are kept for late clicks.
	MaxRecent = 20
	// MaxSeen is how many event ids are kept to drop duplicates (clicks
	// are also recognised by click id, orders by platform, store and order
	// id, so this only needs to cover redeliveries in quick succession).
	MaxSeen = 64
	// MaxSubscriptions is how many subscriptions a customer keeps the start
	// of, for renewals that do not say their cycle (the least recently
	// paid goes first).
	MaxSubscriptions = 20
)

// ClickTouch is a click as a customer's state keeps it. AffiliateID and
// NotAllowed are resolved against the code registry when the click
// arrives, so a later decision does not depend on registry changes.
type ClickTouch struct {
	EventID     string    `json:"e"`
	ClickID     string    `json:"i"`
	AffiliateID string    `json:"a,omitempty"` // the click's, else its code's owner
	Code        string    `json:"c,omitempty"`
	At          time.Time `json:"t"`
	Bot         bool      `json:"b,omitempty"`
	PageType    string    `json:"p,omitempty"`
	// NotAllowed: the click carries a code and its affiliate is not
	// allowed to promote it.
	NotAllowed bool `json:"n,omitempty"`
	// Seen is when the click reached the processor: its Kafka record's
	// timestamp. A click counts for an order only when it was seen no
	// later than the order's decision plus the grace period, whichever of
	// the two the processor happened to read first.
	Seen time.Time `json:"s,omitempty"`
}

// visible returns the clicks an order decided at decidedAt may count: those
// seen no later than grace after it. The result does not depend on whether
// the processor read the click or the order first, so a backlog read in any
// interleaving reaches the same final decisions.
func visible(clicks []ClickTouch, decidedAt time.Time, grace time.Duration) []ClickTouch {
	limit := decidedAt.Add(grace)
	out := clicks
	for i, c := range clicks {
		if !c.Seen.IsZero() && c.Seen.After(limit) {
			out = make([]ClickTouch, 0, len(clicks)-1)
			out = append(out, clicks[:i]...)
			for _, c := range clicks[i+1:] {
				if c.Seen.IsZero() || !c.Seen.After(limit) {
					out = append(out, c)
				}
			}
			break
		}
	}
	return out
}

// PastOrder is an order the customer placed.
type PastOrder struct {
	Key string    `json:"k"` // OrderKey
	At  time.Time `json:"t"`
	// Sum fingerprints the order's money and codes as last decided
	// (orderSum), so that a delivery after its revision window can be
	// told apart from an update ("" in state written before it was kept).
	Sum string `json:"m,omitempty"`
}

// Facts are what a decision knew about the customer before the order.
type Facts struct {
	// PriorOrder: the customer had placed an order before this one.
	PriorOrder bool `json:"o,omitempty"`
	// Redeemed are the codes of this order the customer had redeemed
	// before.
	Redeemed []string `json:"r,omitempty"`
}

// Decided is an order decided within the grace period: enough to decide
// it again when a late click arrives. Codes snapshots the registry entries
// of its codes as they were, so only the click changes the outcome.
type Decided struct {
	Order     schemas.Order  `json:"o"`
	Codes     []schemas.Code `json:"c,omitempty"`
	Facts     Facts          `json:"f"`
	Version   int32          `json:"v"`
	DecidedAt time.Time      `json:"d"` // processing time of version 1
	Digest    string         `json:"g"`
}

// SubscriptionStart is when one of a customer's subscriptions started, as
// far as its payments the customer's state saw tell (see
// Attributor.Order).
type SubscriptionStart struct {
	ID    string    `json:"i"`
	Start time.Time `json:"t"`
	// AffiliateID and Code credited the subscription's first payment
	// (Code empty for a click without one): its renewals that carry no
	// code are credited to them (method subscription). Empty when the
	// first payment was credited to nobody or was not seen.
	AffiliateID string `json:"a,omitempty"`
	Code        string `json:"c,omitempty"`
}

// Customer is stage 1's state for one customer key. The zero value is a
// customer never seen. Attributor methods update it in place; the stage
// stores it with Marshal.
type Customer struct {
	// Clicks ascending by event time, then click id.
	Clicks []ClickTouch `json:"c,omitempty"`
	// Orders are the latest past orders, ascending by arrival.
	Orders []PastOrder `json:"o,omitempty"`
	// OrdersSeen counts every order ever recorded (for first-order-only
	// when the platform does not say).
	OrdersSeen int64 `json:"n,omitempty"`
	// Redeemed are codes the customer redeemed (a valid code at stage 1),
	// oldest first.
	Redeemed []string `json:"r,omitempty"`
	// Recent are orders decided within the longest window (not those a
	// standing credit decided): late clicks revise them within the grace
	// period, order updates while they are kept.
	Recent []Decided `json:"d,omitempty"`
	// Seen are the latest event ids, oldest first.
	Seen []string `json:"s,omitempty"`
	// Subscriptions are the starts of the customer's subscriptions, least
	// recently paid first, at most one per id.
	Subscriptions []SubscriptionStart `json:"u,omitempty"`
	// ForgotClicksUntil is the event time of the latest non-bot click
	// dropped from Clicks (pruned behind a newer order, or past
	// MaxClicks). A decided order whose window reaches back to it cannot
	// be decided again faithfully: a late click does not revise it.
	ForgotClicksUntil time.Time `json:"f,omitempty"`
	// FirstAffiliate and FirstCode credited the customer's first credited
	// order, at FirstCreditAt (its event time): with the program's
	// lifetime_months, later orders within that many months are credited
	// to them (method customer).
	FirstAffiliate string    `json:"fa,omitempty"`
	FirstCode      string    `json:"fc,omitempty"`
	FirstCreditAt  time.Time `json:"ft,omitempty"`
}

// hasCredits reports whether the state holds what the third binary
// version appends: subscription credits or a first credit.
func (c *Customer) hasCredits() bool {
	return c.FirstAffiliate != "" || slices.ContainsFunc(c.Subscriptions, func(s SubscriptionStart) bool { return s.AffiliateID != "" }) ||
		slices.ContainsFunc(c.Orders, func(o PastOrder) bool { return o.Sum != "" })
}

// OrderKey identifies an order across platforms and stores.
func OrderKey(platform, storeID, orderID string) string {
	return schemas.ID(platform, storeID, orderID)
}

func (c *Customer) seen(id string) bool { return id != "" && slices.Contains(c.Seen, id) }

func (c *Customer) markSeen(id string) {
	if id == "" {
		return
	}
	c.Seen = appendBounded(c.Seen, id, MaxSeen)
}

func (c *Customer) hasOrder(key string) bool {
	return slices.ContainsFunc(c.Orders, func(o PastOrder) bool { return o.Key == key })
}

// subscription returns the kept entry of subscription id, or nil.
func (c *Customer) subscription(id string) *SubscriptionStart {
	if i := slices.IndexFunc(c.Subscriptions, func(x SubscriptionStart) bool { return x.ID == id }); i >= 0 {
		return &c.Subscriptions[i]
	}
	return nil
}

// recentIndex returns the index of the kept decided order with key, or -1.
func (c *Customer) recentIndex(key string) int {
	return slices.IndexFunc(c.Recent, func(d Decided) bool {
		return OrderKey(d.Order.Platform, d.Order.StoreID, d.Order.OrderID) == key
	})
}

func (c *Customer) redeemed(code string) bool { return slices.Contains(c.Redeemed, code) }

// addClick inserts t in event-time order and enforces the bounds.
func (c *Customer) addClick(t ClickTouch) {
	i, _ := slices.BinarySearchFunc(c.Clicks, t, compareClicks)
	c.Clicks = slices.Insert(c.Clicks, i, t)
	bots := 0
	for _, x := range c.Clicks {
		if x.Bot {
			bots++
		}
	}
	for i := 0; bots > MaxBotClicks && i < len(c.Clicks); {
		if c.Clicks[i].Bot {
			c.Clicks = slices.Delete(c.Clicks, i, i+1)
			bots--
			continue
		}
		i++
	}
	if n := len(c.Clicks); n > MaxClicks {
		c.forget(c.Clicks[:n-MaxClicks])
		c.Clicks = slices.Delete(c.Clicks, 0, n-MaxClicks)
	}
}

// forget records that the clicks are being dropped.
func (c *Customer) forget(clicks []ClickTouch) {
	for _, x := range clicks {
		if !x.Bot && x.At.After(c.ForgotClicksUntil) {
			c.ForgotClicksUntil = x.At
		}
	}
}

func compareClicks(a, b ClickTouch) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	switch {
	case a.ClickID < b.ClickID:
		return -1
	case a.ClickID > b.ClickID:
		return 1
	}
	return 0
}

// pruneClicks drops clicks older than horizon (event time).
func (c *Customer) pruneClicks(horizon time.Time) {
	i := 0
	for i < len(c.Clicks) && c.Clicks[i].At.Before(horizon) {
		i++
	}
	c.forget(c.Clicks[:i])
	c.Clicks = slices.Delete(c.Clicks, 0, i)
}

// pruneRecent drops decided orders older than grace (processing time).
// pruneRecent drops decided orders older than keep before now. Records
// read out of time order (a backlog fetched topic by topic) may still
// bring clicks seen within the grace period of an order read long before,
// so decided orders are kept for the attribution window (and at most
// MaxRecent of them), not just the grace period.
func (c *Customer) pruneRecent(now time.Time, keep time.Duration) {
	c.Recent = slices.DeleteFunc(c.Recent, func(d Decided) bool { return now.Sub(d.DecidedAt) > keep })
}

// maxCycleMonths caps the cycle a start is estimated back from, so that a
// nonsensical cycle cannot move a time out of the range the state encodes.
const maxCycleMonths = 1200

// subscriptionStart records a payment of subscription s at event time at
// and returns the subscription's start: the earliest of what this payment
// says (its StartedAt; else, with a cycle above 1, at moved back one month
// per earlier cycle; else at itself: the first payment seen starts it) and
// the start remembered from the customer's earlier payments. The
// subscription becomes the most recently paid; past MaxSubscriptions the
// least recently paid is forgotten. A payment without an id is its own
// start and is not remembered. Times are kept to the millisecond, as the
// state encodes them, so a decision does not depend on whether the state
// was stored in between.
func (c *Customer) subscriptionStart(s schemas.Subscription, at time.Time) time.Time {
	start := at
	switch {
	case s.StartedAt != nil:
		if s.StartedAt.Before(at) {
			start = *s.StartedAt
		}
	case s.Cycle > 1:
		start = addMonths(at, -int(min(s.Cycle, maxCycleMonths)-1))
	}
	start = time.UnixMilli(start.UnixMilli()).UTC()
	if s.ID == "" {
		return start
	}
	entry := SubscriptionStart{ID: s.ID}
	if i := slices.IndexFunc(c.Subscriptions, func(x SubscriptionStart) bool { return x.ID == s.ID }); i >= 0 {
		entry = c.Subscriptions[i]
		if prev := entry.Start; prev.Before(start) {
			start = prev
		}
		c.Subscriptions = slices.Delete(c.Subscriptions, i, i+1)
	}
	entry.Start = start
	c.Subscriptions = appendBounded(c.Subscriptions, entry, MaxSubscriptions)
	return start
}

func appendBounded[T any](s []T, v T, n int) []T {
	s = append(s, v)
	if len(s) > n {
		s = slices.Delete(s, 0, len(s)-n)
	}
	return s
}

// Marshal encodes the customer state for storage (binary; see codec.go).
func (c *Customer) Marshal() ([]byte, error) {
	e := stateEnc{b: make([]byte, 0, 256)}
	e.b = append(e.b, formatBinary)
	e.count(len(c.Clicks))
	for i := range c.Clicks {
		t := &c.Clicks[i]
		e.str(t.EventID)
		e.str(t.ClickID)
		e.str(t.AffiliateID)
		e.str(t.Code)
		e.time(t.At)
		e.boolean(t.Bot)
		e.str(t.PageType)
		e.boolean(t.NotAllowed)
		e.time(t.Seen)
	}
	e.count(len(c.Orders))
	for _, o := range c.Orders {
		e.str(o.Key)
		e.time(o.At)
	}
	e.varint(c.OrdersSeen)
	e.strs(c.Redeemed)
	e.count(len(c.Recent))
	for i := range c.Recent {
		d := &c.Recent[i]
		e.record(&d.Order)
		e.count(len(d.Codes))
		for j := range d.Codes {
			e.record(&d.Codes[j])
		}
		e.boolean(d.Facts.PriorOrder)
		e.strs(d.Facts.Redeemed)
		e.varint(int64(d.Version))
		e.time(d.DecidedAt)
		e.str(d.Digest)
	}
	e.strs(c.Seen)
	// Appended after the fields of the first binary version, and only when
	// there are any: a value without them is one that version wrote.
	credits := c.hasCredits()
	if len(c.Subscriptions) > 0 || !c.ForgotClicksUntil.IsZero() || credits {
		e.count(len(c.Subscriptions))
		for _, s := range c.Subscriptions {
			e.str(s.ID)
			e.time(s.Start)
		}
	}
	if !c.ForgotClicksUntil.IsZero() || credits {
		e.time(c.ForgotClicksUntil)
	}
	// The third version appends the credits, after a forgotten-clicks
	// time that may then be zero.
	if credits {
		for _, s := range c.Subscriptions {
			e.str(s.AffiliateID)
			e.str(s.Code)
		}
		e.str(c.FirstAffiliate)
		e.str(c.FirstCode)
		e.time(c.FirstCreditAt)
		for _, o := range c.Orders {
			e.str(o.Sum)
		}
	}
	if e.err != nil {
		return nil, fmt.Errorf("encoding customer: %w", e.err)
	}
	return e.b, nil
}

// ErrCorrupt is wrapped by the Unmarshal errors of every state struct.
var ErrCorrupt = errors.New("attribution: corrupt state")

// maxDecidedCodes bounds the registry entries one decided order keeps.
const maxDecidedCodes = 100

// UnmarshalCustomer decodes what Customer.Marshal wrote (or what earlier
// versions wrote: JSON, or the binary value without subscriptions) and
// checks the bounds, the click order and the subscription ids, so a
// decoded state is always one the Attributor could have produced the
// shape of.
func UnmarshalCustomer(data []byte) (Customer, error) {
	var c Customer
	if len(data) > 0 && data[0] == formatJSON {
		if err := json.Unmarshal(data, &c); err != nil {
			return Customer{}, fmt.Errorf("%w: decoding customer: %v", ErrCorrupt, err)
		}
	} else if err := c.decode(data); err != nil {
		return Customer{}, fmt.Errorf("%w: decoding customer: %v", ErrCorrupt, err)
	}
	switch {
	case len(c.Clicks) > MaxClicks, len(c.Orders) > MaxOrders, len(c.Redeemed) > MaxRedeemed,
		len(c.Recent) > MaxRecent, len(c.Seen) > MaxSeen, len(c.Subscriptions) > MaxSubscriptions:
		return Customer{}, fmt.Errorf("%w: customer over its bounds", ErrCorrupt)
	case c.OrdersSeen < 0:
		return Customer{}, fmt.Errorf("%w: negative order count", ErrCorrupt)
	}
	if !slices.IsSortedFunc(c.Clicks, compareClicks) {
		return Customer{}, fmt.Errorf("%w: clicks out of order", ErrCorrupt)
	}
	for i, s := range c.Subscriptions {
		if s.ID == "" || slices.ContainsFunc(c.Subscriptions[:i], func(x SubscriptionStart) bool { return x.ID == s.ID }) {
			return Customer{}, fmt.Errorf("%w: subscription id %q empty or repeated", ErrCorrupt, s.ID)
		}
	}
	for _, r := range c.Recent {
		if r.Version < 1 || len(r.Codes) > maxDecidedCodes || len(r.Facts.Redeemed) > maxDecidedCodes {
			return Customer{}, fmt.Errorf("%w: decided order version %d, %d codes", ErrCorrupt, r.Version, len(r.Codes))
		}
	}
	return c, nil
}

func (c *Customer) decode(data []byte) error {
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatBinary {
		return fmt.Errorf("unknown format byte %#x", f)
	}
	if n := d.count(MaxClicks); n > 0 {
		c.Clicks = make([]ClickTouch, n)
		for i := range c.Clicks {
			t := &c.Clicks[i]
			t.EventID = d.str()
			t.ClickID = d.str()
			t.AffiliateID = d.str()
			t.Code = d.str()
			t.At = d.time()
			t.Bot = d.boolean()
			t.PageType = d.str()
			t.NotAllowed = d.boolean()
			t.Seen = d.time()
		}
	}
	if n := d.count(MaxOrders); n > 0 {
		c.Orders = make([]PastOrder, n)
		for i := range c.Orders {
			c.Orders[i] = PastOrder{Key: d.str(), At: d.time()}
		}
	}
	c.OrdersSeen = d.varint()
	c.Redeemed = d.strs(MaxRedeemed)
	if n := d.count(MaxRecent); n > 0 {
		c.Recent = make([]Decided, n)
		for i := range c.Recent {
			r := &c.Recent[i]
			d.record(&r.Order)
			if m := d.count(maxDecidedCodes); m > 0 {
				r.Codes = make([]schemas.Code, m)
				for j := range r.Codes {
					d.record(&r.Codes[j])
				}
			}
			r.Facts.PriorOrder = d.boolean()
			r.Facts.Redeemed = d.strs(maxDecidedCodes)
			v := d.varint()
			if d.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
				d.fail(fmt.Errorf("decided version %d", v))
			}
			r.Version = int32(v)
			r.DecidedAt = d.time()
			r.Digest = d.str()
		}
	}
	c.Seen = d.strs(MaxSeen)
	// A value written before subscriptions were kept ends here.
	if d.err == nil && len(d.b) > 0 {
		if n := d.count(MaxSubscriptions); n > 0 {
			c.Subscriptions = make([]SubscriptionStart, n)
			for i := range c.Subscriptions {
				c.Subscriptions[i] = SubscriptionStart{ID: d.str(), Start: d.time()}
			}
		}
	}
	if d.err == nil && len(d.b) > 0 {
		if c.ForgotClicksUntil = d.time(); d.err == nil && c.ForgotClicksUntil.IsZero() && len(d.b) == 0 {
			d.fail(fmt.Errorf("a zero forgotten-clicks time is written as nothing"))
		}
	}
	if d.err == nil && len(d.b) > 0 {
		for i := range c.Subscriptions {
			c.Subscriptions[i].AffiliateID = d.str()
			c.Subscriptions[i].Code = d.str()
		}
		c.FirstAffiliate = d.str()
		c.FirstCode = d.str()
		c.FirstCreditAt = d.time()
		for i := range c.Orders {
			c.Orders[i].Sum = d.str()
		}
		if d.err == nil && !c.hasCredits() {
			d.fail(fmt.Errorf("credits written without any"))
		}
	}
	return d.end()
}
