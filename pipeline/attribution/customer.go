package attribution

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"

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
// arrives, so a later decision does not depend on registry changes. The
// click's event id is kept only as a hash in Customer.Seen.
type ClickTouch struct {
	ClickID     string
	AffiliateID string // the click's, else its code's owner
	Code        string
	At          time.Time
	Bot         bool
	PageType    string
	// NotAllowed: the click carries a code and its affiliate is not
	// allowed to promote it.
	NotAllowed bool
	// Seen is when the click reached the processor: its Kafka record's
	// timestamp. A click counts for an order only when it was seen no
	// later than the order's decision plus the grace period, whichever of
	// the two the processor happened to read first.
	Seen time.Time
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
	Key uint64    // KeyHash of the order key
	At  time.Time // its event time
	// Sum is the contentHash of the order's money and codes as last
	// decided, so that a delivery after its revision window can be told
	// apart from an update (0 in state converted from earlier formats).
	Sum uint64
}

// KeyHash is the 64-bit hash the customer state keeps in place of an id
// (order keys, event ids, digests): fixed width, so a customer's value does
// not grow with the platforms' id lengths. Two different ids of one
// customer share a hash with probability about 2^-64 per pair.
func KeyHash(s string) uint64 { return xxhash.Sum64String(s) }

// Facts are what a decision knew about the customer before the order.
type Facts struct {
	// PriorOrder: the customer had placed an order before this one.
	PriorOrder bool `json:"o,omitempty"`
	// Redeemed are the codes of this order the customer had redeemed
	// before.
	Redeemed []string `json:"r,omitempty"`
}

// Decided is the hot fingerprint of an order decided recently: enough to
// tell whether a late click may revise it. What deciding it again needs
// (the order, the registry entries of its codes as they were, the facts)
// is its Snapshot, stored apart under the customer's key and Key, written
// once when the order is decided and read only when a click arrives that
// may revise it.
type Decided struct {
	Key        uint64    // KeyHash of the order key
	OccurredAt time.Time // the order's event time
	Version    int32
	DecidedAt  time.Time // processing time of version 1
	Digest     uint64    // KeyHash of the latest version's digest
	Content    uint64    // contentHash of the order's money and codes
	Hold       byte      // the leak hold stage 2 asked for (HoldNone, ...)

	snap  *Snapshot // loaded or new; nil until needed
	dirty bool      // snap is to be written
}

// Snapshot is what deciding an order again needs, as it was decided.
type Snapshot struct {
	Order schemas.Order
	Codes []schemas.Code
	Facts Facts
	// Last is the decision stage 1 published last for the order, when it
	// publishes the order's decisions itself (Candidate.Final): a leak
	// hold is applied to it as it stands, without deciding the order
	// again (its clicks may have been forgotten since).
	Last *Decision
}

// SnapshotSource reads a decided order's snapshot stored apart from the
// customer's hot value (what Customer.FlushSnapshots wrote under key).
type SnapshotSource func(key uint64) (data []byte, found bool, err error)

// ErrSnapshotMissing: a decided order's snapshot is needed and its store
// does not have it.
var ErrSnapshotMissing = errors.New("attribution: decided order's snapshot missing")

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
// stores it with Marshal, and the snapshots of its decided orders apart
// with FlushSnapshots.
type Customer struct {
	// Clicks ascending by event time, then click id.
	Clicks []ClickTouch
	// Orders are the latest past orders, ascending by arrival.
	Orders []PastOrder
	// OrdersSeen counts every order ever recorded (for first-order-only
	// when the platform does not say).
	OrdersSeen int64
	// Redeemed are codes the customer redeemed (a valid code at stage 1),
	// oldest first.
	Redeemed []string
	// Recent are the fingerprints of orders decided within the longest
	// window (not those a standing credit decided), oldest first: late
	// clicks revise them within the grace period, order updates while they
	// are kept.
	Recent []Decided
	// Seen are KeyHashes of the latest event ids, oldest first.
	Seen []uint64
	// Subscriptions are the starts of the customer's subscriptions, least
	// recently paid first, at most one per id.
	Subscriptions []SubscriptionStart
	// ForgotClicksUntil is the event time of the latest non-bot click
	// dropped from Clicks (pruned behind a newer order, or past
	// MaxClicks). A decided order whose window reaches back to it cannot
	// be decided again faithfully: a late click does not revise it.
	ForgotClicksUntil time.Time
	// FirstAffiliate and FirstCode credited the customer's first credited
	// order, at FirstCreditAt (its event time): with the program's
	// lifetime_months, later orders within that many months are credited
	// to them (method customer).
	FirstAffiliate string
	FirstCode      string
	FirstCreditAt  time.Time

	snaps   SnapshotSource
	dropped []uint64 // keys of decided orders forgotten since FlushSnapshots
}

// UseSnapshots tells the customer where its decided orders' snapshots
// are stored (see FlushSnapshots). Without it, a snapshot not in memory
// is ErrSnapshotMissing.
func (c *Customer) UseSnapshots(src SnapshotSource) { c.snaps = src }

// snapshot returns d's snapshot, reading it from the store when it is not
// in memory.
func (c *Customer) snapshot(d *Decided) (*Snapshot, error) {
	if d.snap != nil {
		return d.snap, nil
	}
	if c.snaps == nil {
		return nil, ErrSnapshotMissing
	}
	b, found, err := c.snaps(d.Key)
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading decided order %016x: %w", d.Key, err)
	case !found:
		return nil, fmt.Errorf("%w: order %016x", ErrSnapshotMissing, d.Key)
	}
	s, err := UnmarshalSnapshot(b)
	if err != nil {
		return nil, err
	}
	d.snap = &s
	return d.snap, nil
}

// FlushSnapshots hands the store every snapshot to write (put) and every
// key to delete (del) since the last call: the snapshots of orders decided
// since, and the keys of decided orders forgotten since.
func (c *Customer) FlushSnapshots(put func(key uint64, value []byte), del func(key uint64)) {
	for _, k := range c.dropped {
		if !slices.ContainsFunc(c.Recent, func(d Decided) bool { return d.Key == k }) {
			del(k)
		}
	}
	c.dropped = c.dropped[:0]
	for i := range c.Recent {
		d := &c.Recent[i]
		if d.dirty {
			put(d.Key, d.snap.Marshal())
			d.dirty = false
		}
	}
}

// OrderKey identifies an order across platforms and stores.
func OrderKey(platform, storeID, orderID string) string {
	return schemas.ID(platform, storeID, orderID)
}

func (c *Customer) seen(id string) bool { return id != "" && slices.Contains(c.Seen, KeyHash(id)) }

func (c *Customer) markSeen(id string) {
	if id == "" {
		return
	}
	c.Seen = appendBounded(c.Seen, KeyHash(id), MaxSeen)
}

func (c *Customer) hasOrder(key string) bool {
	h := KeyHash(key)
	return slices.ContainsFunc(c.Orders, func(o PastOrder) bool { return o.Key == h })
}

// addDecided records a decided order, forgetting the oldest past
// MaxRecent.
func (c *Customer) addDecided(d Decided) {
	c.Recent = append(c.Recent, d)
	if n := len(c.Recent); n > MaxRecent {
		for _, x := range c.Recent[:n-MaxRecent] {
			c.dropped = append(c.dropped, x.Key)
		}
		c.Recent = slices.Delete(c.Recent, 0, n-MaxRecent)
	}
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
	h := KeyHash(key)
	return slices.IndexFunc(c.Recent, func(d Decided) bool { return d.Key == h })
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

// pruneRecent drops decided orders decided more than keep before now.
func (c *Customer) pruneRecent(now time.Time, keep time.Duration) {
	c.Recent = slices.DeleteFunc(c.Recent, func(d Decided) bool {
		if now.Sub(d.DecidedAt) > keep {
			c.dropped = append(c.dropped, d.Key)
			return true
		}
		return false
	})
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

// Marshal encodes the customer's hot value (binary format 0x03; see
// codec.go): ids as 64-bit hashes, decided orders as fingerprints. The
// decided orders' snapshots are stored apart (FlushSnapshots).
func (c *Customer) Marshal() ([]byte, error) {
	e := stateEnc{b: make([]byte, 0, 64+48*len(c.Clicks)+40*len(c.Recent)+8*(len(c.Orders)+len(c.Seen)))}
	e.b = append(e.b, formatCustomer)
	e.count(len(c.Clicks))
	for i := range c.Clicks {
		t := &c.Clicks[i]
		e.str(t.ClickID)
		e.str(t.AffiliateID)
		e.str(t.Code)
		e.varint(t.At.UnixMilli())
		var flags byte
		if t.Bot {
			flags |= 1
		}
		if t.NotAllowed {
			flags |= 2
		}
		if t.PageType != "" {
			flags |= 4
		}
		if !t.Seen.IsZero() {
			flags |= 8
		}
		e.b = append(e.b, flags)
		if t.PageType != "" {
			e.str(t.PageType)
		}
		if !t.Seen.IsZero() {
			// Seen as milliseconds after At (the record reaches Kafka after
			// the click happened), which is short.
			e.varint(t.Seen.UnixMilli() - t.At.UnixMilli())
		}
	}
	e.count(len(c.Orders))
	for _, o := range c.Orders {
		e.u64(o.Key)
		e.varint(o.At.UnixMilli())
		e.u64(o.Sum)
	}
	e.varint(c.OrdersSeen)
	e.strs(c.Redeemed)
	e.count(len(c.Recent))
	for i := range c.Recent {
		d := &c.Recent[i]
		e.u64(d.Key)
		e.varint(d.OccurredAt.UnixMilli())
		e.uvarint(uint64(d.Version))
		e.varint(d.DecidedAt.UnixMilli())
		e.u64(d.Digest)
		e.u64(d.Content)
		e.b = append(e.b, d.Hold)
	}
	e.count(len(c.Seen))
	for _, h := range c.Seen {
		e.u64(h)
	}
	e.count(len(c.Subscriptions))
	for _, s := range c.Subscriptions {
		e.str(s.ID)
		e.time(s.Start)
		e.str(s.AffiliateID)
		e.str(s.Code)
	}
	e.time(c.ForgotClicksUntil)
	e.str(c.FirstAffiliate)
	e.str(c.FirstCode)
	e.time(c.FirstCreditAt)
	return e.b, nil
}

// ErrCorrupt is wrapped by the Unmarshal errors of every state struct.
var ErrCorrupt = errors.New("attribution: corrupt state")

// maxDecidedCodes bounds the registry entries one decided order keeps.
const maxDecidedCodes = 100

// UnmarshalCustomer decodes what Customer.Marshal wrote (or what earlier
// versions wrote: JSON, or binary format 0x02 with decided orders whole,
// whose snapshots are then written apart on the next FlushSnapshots) and
// checks the bounds, the click order and the subscription ids, so a
// decoded state is always one the Attributor could have produced the
// shape of.
func UnmarshalCustomer(data []byte) (Customer, error) {
	var c Customer
	var err error
	if len(data) > 0 && (data[0] == formatJSON || data[0] == formatBinary) {
		c, err = decodeLegacy(data)
	} else {
		err = c.decode(data)
	}
	if err != nil {
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
		if r.Version < 1 {
			return Customer{}, fmt.Errorf("%w: decided order version %d", ErrCorrupt, r.Version)
		}
	}
	return c, nil
}

// maxMillis bounds the times the state encodes (year 9999), so decoded
// times stay in time.Time's range and re-encode the same.
const maxMillis = 253402300799999

func (d *stateDec) millis() time.Time {
	v := d.varint()
	if d.err == nil && (v > maxMillis || v < -maxMillis) {
		d.fail(fmt.Errorf("time %d ms out of range", v))
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func (c *Customer) decode(data []byte) error {
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatCustomer {
		return fmt.Errorf("unknown format byte %#x", f)
	}
	if n := d.count(MaxClicks); n > 0 {
		c.Clicks = make([]ClickTouch, n)
		for i := range c.Clicks {
			t := &c.Clicks[i]
			t.ClickID = d.str()
			t.AffiliateID = d.str()
			t.Code = d.str()
			t.At = d.millis()
			var flags byte
			if d.err == nil {
				if len(d.b) == 0 {
					d.fail(errTruncated)
				} else {
					flags, d.b = d.b[0], d.b[1:]
				}
			}
			if flags > 15 {
				d.fail(fmt.Errorf("click flags %#x", flags))
			}
			t.Bot, t.NotAllowed = flags&1 != 0, flags&2 != 0
			if flags&4 != 0 {
				if t.PageType = d.str(); d.err == nil && t.PageType == "" {
					d.fail(errors.New("an empty page type is written as none"))
				}
			}
			if flags&8 != 0 {
				delta := d.varint()
				if d.err == nil && (delta > 2*maxMillis || delta < -2*maxMillis) {
					d.fail(fmt.Errorf("seen delta %d out of range", delta))
				}
				if d.err == nil {
					ms := t.At.UnixMilli() + delta
					if ms > maxMillis || ms < -maxMillis {
						d.fail(fmt.Errorf("seen time %d ms out of range", ms))
					}
					t.Seen = time.UnixMilli(ms).UTC()
				}
			}
		}
	}
	if n := d.count(MaxOrders); n > 0 {
		c.Orders = make([]PastOrder, n)
		for i := range c.Orders {
			c.Orders[i] = PastOrder{Key: d.u64(), At: d.millis(), Sum: d.u64()}
		}
	}
	c.OrdersSeen = d.varint()
	c.Redeemed = d.strs(MaxRedeemed)
	if n := d.count(MaxRecent); n > 0 {
		c.Recent = make([]Decided, n)
		for i := range c.Recent {
			r := &c.Recent[i]
			r.Key = d.u64()
			r.OccurredAt = d.millis()
			v := d.uvarint()
			if d.err == nil && v > math.MaxInt32 {
				d.fail(fmt.Errorf("decided version %d", v))
			}
			r.Version = int32(v)
			r.DecidedAt = d.millis()
			r.Digest = d.u64()
			r.Content = d.u64()
			if r.Hold = d.format(); d.err == nil && r.Hold > HoldReject {
				d.fail(fmt.Errorf("hold level %d", r.Hold))
			}
		}
	}
	if n := d.count(MaxSeen); n > 0 {
		c.Seen = make([]uint64, n)
		for i := range c.Seen {
			c.Seen[i] = d.u64()
		}
	}
	if n := d.count(MaxSubscriptions); n > 0 {
		c.Subscriptions = make([]SubscriptionStart, n)
		for i := range c.Subscriptions {
			c.Subscriptions[i] = SubscriptionStart{ID: d.str(), Start: d.time(), AffiliateID: d.str(), Code: d.str()}
		}
	}
	c.ForgotClicksUntil = d.time()
	c.FirstAffiliate = d.str()
	c.FirstCode = d.str()
	c.FirstCreditAt = d.time()
	return d.end()
}

// Marshal encodes the snapshot (binary format 0x04).
func (s *Snapshot) Marshal() []byte {
	e := stateEnc{b: make([]byte, 0, 256)}
	e.b = append(e.b, formatSnapshot)
	e.record(&s.Order)
	e.count(len(s.Codes))
	for j := range s.Codes {
		e.record(&s.Codes[j])
	}
	e.boolean(s.Facts.PriorOrder)
	e.strs(s.Facts.Redeemed)
	e.boolean(s.Last != nil)
	if s.Last != nil {
		e.decision(s.Last)
	}
	if e.err != nil {
		// The order and codes were decoded from Avro records that passed
		// validation, so they encode; a failure here is a programming
		// error the stage's decode of the snapshot will report.
		return []byte{formatSnapshot}
	}
	return e.b
}

// UnmarshalSnapshot decodes what Snapshot.Marshal wrote.
func UnmarshalSnapshot(data []byte) (Snapshot, error) {
	var s Snapshot
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatSnapshot {
		d.fail(fmt.Errorf("unknown format byte %#x", f))
	}
	d.record(&s.Order)
	if m := d.count(maxDecidedCodes); m > 0 {
		s.Codes = make([]schemas.Code, m)
		for j := range s.Codes {
			d.record(&s.Codes[j])
		}
	}
	s.Facts.PriorOrder = d.boolean()
	s.Facts.Redeemed = d.strs(maxDecidedCodes)
	if d.boolean() {
		last := d.decision()
		s.Last = &last
	}
	if err := d.end(); err != nil {
		return Snapshot{}, fmt.Errorf("%w: decoding decided order: %v", ErrCorrupt, err)
	}
	return s, nil
}
