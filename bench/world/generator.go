package world

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Config describes a world. Zero fields take the defaults stated on each
// (EnsureDefaults).
type Config struct {
	// Seed makes the world reproducible. Default 1.
	Seed uint64
	// Events is how many input events (clicks, orders, refunds) Next
	// returns. Default 200000.
	Events int
	// Customers is the size of the returning-customer population.
	// Default Events/8 (at least 100).
	Customers int
	// Affiliates is the number of partners, 40% podcasts (code only), 40%
	// link partners and 20% coupon sites. Default Events/5000 clamped to
	// [30, 5000], which keeps each code's hourly redemptions about the same
	// at every scale.
	Affiliates int
	// Start is the event time of the first session. Default 2026-01-01.
	Start time.Time
	// Span is the event time the sessions cover. Default 60 days.
	Span time.Duration
	// StuffingRate is the share of sessions that are coupon stuffing.
	// Default 0.01.
	StuffingRate float64
	// InjectionRate is the share of sessions with an injected click.
	// Default 0.01.
	InjectionRate float64
	// Leaks is how many podcast codes leak to an aggregator. Default
	// max(1, Events/200000).
	Leaks int
	// BotRate is the share of sessions with a bot click. Default 0.15.
	BotRate float64
	// RefundRate is the share of orders refunded (half fully, half a
	// third). Default 0.08.
	RefundRate float64
	// SubscriptionRate is the share of podcast orders that start a monthly
	// subscription (renewals follow). Default 0.1.
	SubscriptionRate float64
	// RedeliveryRate is the share of orders delivered twice (same event
	// id). Default 0.02.
	RedeliveryRate float64
	// IDOffset shifts the numbers behind every id the world makes
	// (customers, fresh customers, clicks, orders, and so refunds and
	// subscriptions): a world whose offset is at least another world's
	// NextIDOffset shares no id with it, so both can feed one processor
	// and one oracle. Default 0.
	IDOffset int
	// LeakSkip: leaks take podcast codes from the last one backwards,
	// passing over the last LeakSkip first, so that a second world can
	// leak codes the first did not. Default 0.
	LeakSkip int
}

// EnsureDefaults fills zero fields.
func (c *Config) EnsureDefaults() {
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Events == 0 {
		c.Events = 200_000
	}
	if c.Customers == 0 {
		c.Customers = max(100, c.Events/8)
	}
	if c.Affiliates == 0 {
		c.Affiliates = min(5000, max(30, c.Events/5000))
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Span == 0 {
		c.Span = 60 * 24 * time.Hour
	}
	if c.StuffingRate == 0 {
		c.StuffingRate = 0.01
	}
	if c.InjectionRate == 0 {
		c.InjectionRate = 0.01
	}
	if c.Leaks == 0 {
		c.Leaks = max(1, c.Events/200_000)
	}
	if c.BotRate == 0 {
		c.BotRate = 0.15
	}
	if c.RefundRate == 0 {
		c.RefundRate = 0.08
	}
	if c.SubscriptionRate == 0 {
		c.SubscriptionRate = 0.1
	}
	if c.RedeliveryRate == 0 {
		c.RedeliveryRate = 0.02
	}
}

// Validate checks c after EnsureDefaults.
func (c *Config) Validate() error {
	switch {
	case c.Events < 100:
		return fmt.Errorf("world: events %d: at least 100", c.Events)
	case c.Customers < 1:
		return errors.New("world: customers must be positive")
	case c.Affiliates < 10:
		return fmt.Errorf("world: affiliates %d: at least 10", c.Affiliates)
	case c.LeakSkip < 0:
		return fmt.Errorf("world: leak skip %d is negative", c.LeakSkip)
	case c.IDOffset < 0 || c.IDOffset > 1e8:
		return fmt.Errorf("world: id offset %d outside [0, 1e8]", c.IDOffset)
	case c.Span < 24*time.Hour:
		return fmt.Errorf("world: span %v: at least 24h", c.Span)
	}
	for _, r := range []float64{c.StuffingRate, c.InjectionRate, c.BotRate, c.RefundRate, c.SubscriptionRate, c.RedeliveryRate} {
		if r < 0 || r > 0.5 {
			return fmt.Errorf("world: rate %v outside [0, 0.5]", r)
		}
	}
	return nil
}

// PartnerKind is how an affiliate promotes.
type PartnerKind uint8

// Partner kinds.
const (
	Podcast     PartnerKind = iota // says a code; its customers never click
	LinkPartner                    // links; its code requires a click
	CouponSite                     // lists its own code behind a link
)

// Affiliate is one partner and its code.
type Affiliate struct {
	ID   string
	Kind PartnerKind
	Code schemas.Code
}

// Kind is an event's topic.
type Kind uint8

// Event kinds.
const (
	KindClick Kind = iota
	KindOrder
	KindRefund
)

// Label is the truth about an order.
type Label uint8

// Labels. LabelNone is legitimate traffic.
const (
	LabelNone      Label = iota
	LabelStuffing        // code_without_click expected
	LabelInjection       // click_injection expected
	LabelLeak            // a redemption of a leaked code
)

func (l Label) String() string {
	return [...]string{"none", "stuffing", "injection", "leak"}[l]
}

// Event is one input event. Exactly one of Click, Order and Refund is set.
type Event struct {
	Kind   Kind
	At     time.Time // event time
	Key    string    // Kafka key
	Click  *schemas.Click
	Order  *schemas.Order
	Refund *schemas.Refund
	Label  Label // orders only
	seq    uint64
}

// Value is the record Event carries.
func (e *Event) Value() any {
	switch e.Kind {
	case KindClick:
		return e.Click
	case KindOrder:
		return e.Order
	}
	return e.Refund
}

// Platform and store of every generated order.
const (
	Platform = "api"
	StoreID  = "bench"
)

// leak is a planned aggregator leak of a podcast code.
type leak struct {
	aff   int
	start time.Time
	size  int
	done  bool
}

// Generator yields a world's events in event-time order.
type Generator struct {
	cfg     Config
	r       *rand.Rand
	affs    []Affiliate
	byKind  [3][]int
	active  [3][]int // partners never restricted, for fraud the labels must see
	pending evHeap
	seq     uint64
	pushed  int
	emitted int
	next    time.Time // start of the next session
	spacing time.Duration
	orders  int
	clicks  int
	fresh   uint64
	leaks   []leak
}

// New returns a generator for cfg (defaults applied).
func New(cfg Config) (*Generator, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), next: cfg.Start,
		orders: cfg.IDOffset, clicks: cfg.IDOffset, fresh: uint64(cfg.IDOffset)}
	for i := 0; i < cfg.Affiliates; i++ {
		kind := LinkPartner
		switch i % 5 {
		case 0, 1:
			kind = Podcast
		case 4:
			kind = CouponSite
		}
		a := newAffiliate(i, kind, cfg.Start)
		restrict(&a, i, cfg)
		g.affs = append(g.affs, a)
		g.byKind[kind] = append(g.byKind[kind], i)
		if a.Code.Status == "active" && a.Code.ValidUntil == nil {
			g.active[kind] = append(g.active[kind], i)
		}
	}
	// About 2.6 events per session.
	sessions := max(1, int(float64(cfg.Events)/2.6))
	g.spacing = max(time.Millisecond, cfg.Span/time.Duration(sessions))
	// A leak is a burst well above its code's hourly baseline.
	perHour := float64(time.Hour/g.spacing) * 0.42 / float64(len(g.byKind[Podcast]))
	size := max(60, int(10*perHour))
	for i := 0; i < cfg.Leaks && i < len(g.byKind[Podcast]); i++ {
		at := cfg.Start.Add(time.Duration(float64(cfg.Span) * (0.5 + 0.4*float64(i)/float64(max(1, cfg.Leaks)))))
		p := g.byKind[Podcast]
		g.leaks = append(g.leaks, leak{aff: p[len(p)-1-(i+cfg.LeakSkip)%len(p)], start: at.Truncate(time.Hour).Add(7 * time.Minute), size: size})
	}
	return g, nil
}

func newAffiliate(i int, kind PartnerKind, start time.Time) Affiliate {
	prefix := [...]string{"P", "L", "C"}[kind]
	code := fmt.Sprintf("%s%05d", prefix, i)
	c := schemas.Code{
		Code: code, DisplayCode: code, CouponID: "bench", AffiliateID: fmt.Sprintf("aff-%05d", i),
		DiscountType: "percent", DiscountValue: 1000, Status: "active", RequiresClick: kind != Podcast,
		Commission: &schemas.CommissionRule{Type: "percent", Value: int64(500 + 125*(i%13)), RecurringMonths: [...]int32{0, 1, 12}[i%3]},
		Version:    1, UpdatedAt: start,
	}
	c.EventID = schemas.ID(c.Code, "1")
	return Affiliate{ID: c.AffiliateID, Kind: kind, Code: c}
}

// restrict makes some partners' codes unusable, so that the world has
// clicks through links that must not qualify (and orders with codes that
// must not validate): a link partner that left the program (its only code
// inactive), a link partner whose code expires in the middle of the span,
// and a coupon site whose code is paused. Podcasts (the leaks) are never
// restricted.
func restrict(a *Affiliate, i int, cfg Config) {
	switch i % 20 {
	case 7: // link partner (i%5 == 2)
		a.Code.Status = "inactive"
	case 13: // link partner (i%5 == 3)
		until := cfg.Start.Add(cfg.Span / 2)
		a.Code.ValidUntil = &until
	case 14: // coupon site (i%5 == 4)
		a.Code.Status = "paused"
	}
}

// Usable reports whether a's code is active and valid at t: its clicks
// then qualify and its code validates.
func (a *Affiliate) Usable(t time.Time) bool {
	return a.Code.Status == "active" && (a.Code.ValidUntil == nil || !t.After(*a.Code.ValidUntil))
}

// Affiliates lists the partners; their codes are the registry.
func (g *Generator) Affiliates() []Affiliate { return g.affs }

// Config is the configuration with defaults applied.
func (g *Generator) Config() Config { return g.cfg }

// NextIDOffset is the IDOffset from which another world shares no id with
// this one's events so far: past its customers and every order and fresh
// customer it made (some made ahead of Next, e.g. subscription renewals).
func (g *Generator) NextIDOffset() int {
	return max(g.cfg.IDOffset+g.cfg.Customers, g.orders, int(g.fresh))
}

// Emitted is how many events Next has returned.
func (g *Generator) Emitted() int { return g.emitted }

// Next returns the next event in event-time order; false when the world
// has returned Config.Events events.
func (g *Generator) Next() (*Event, bool) {
	for g.emitted < g.cfg.Events {
		if g.pending.Len() > 0 && (!g.pending[0].At.After(g.next) || g.pushed >= g.cfg.Events+g.cfg.Events/4) {
			e := heap.Pop(&g.pending).(*Event)
			g.emitted++
			return e, true
		}
		if g.pushed >= g.cfg.Events+g.cfg.Events/4 {
			return nil, false
		}
		g.session()
	}
	return nil, false
}

func (g *Generator) push(e *Event) {
	e.At = e.At.UTC().Truncate(time.Millisecond)
	g.seq++
	e.seq = g.seq
	g.pushed++
	heap.Push(&g.pending, e)
}

// VisitorID is the visitor id of customer n: "v" and 26 base32 characters,
// the format of the click redirect's hs_vid.
func VisitorID(n uint64) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := make([]byte, 27)
	b[0] = 'v'
	for i := 26; i >= 1; i-- {
		b[i] = alphabet[n&31]
		n >>= 5
	}
	return string(b)
}

func (g *Generator) customer() string {
	return VisitorID(uint64(g.cfg.IDOffset + g.r.IntN(g.cfg.Customers)))
}

// freshCustomer is a customer with no history: fraud is injected on them
// so that its label is exact.
func (g *Generator) freshCustomer() string {
	g.fresh++
	return VisitorID(1<<60 | g.fresh)
}

func (g *Generator) pick(kind PartnerKind) int {
	ids := g.byKind[kind]
	return ids[g.r.IntN(len(ids))]
}

// pickActive picks a partner whose code is never restricted: injected
// fraud must be detectable for its label to be exact.
func (g *Generator) pickActive(kind PartnerKind) int {
	ids := g.active[kind]
	return ids[g.r.IntN(len(ids))]
}

func (g *Generator) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)))
}

func (g *Generator) click(v string, aff int, at time.Time, bot bool) {
	g.clicks++
	cid := fmt.Sprintf("%s.c%012d", v, g.clicks)
	a := g.affs[aff]
	code, id := a.Code.Code, a.ID
	c := &schemas.Click{EventID: schemas.ID("click", cid), ClickID: cid, VisitorID: v, AffiliateID: &id,
		IsBot: bot, Source: "redirect", OccurredAt: at.UTC().Truncate(time.Millisecond)}
	if a.Kind != Podcast && (a.Code.Status != "inactive" || g.clicks%2 == 0) {
		// A partner that left sends half its clicks without a code (a
		// server-side tracker): affiliate_inactive, not link_code_inactive.
		c.Code = &code
	}
	if bot {
		why := "user_agent"
		c.BotReason = &why
	}
	c.ReceivedAt = c.OccurredAt
	g.push(&Event{Kind: KindClick, At: at, Key: v, Click: c})
}

// order places an order; code is -1 for none. It returns the order.
func (g *Generator) order(v string, at time.Time, code int, appliedAt *time.Time, label Label) *schemas.Order {
	g.orders++
	at = at.UTC().Truncate(time.Millisecond)
	o := &schemas.Order{OrderID: fmt.Sprintf("o%09d", g.orders), Platform: Platform, StoreID: StoreID, SourceEvent: "conversion",
		Currency: "EUR", Subtotal: int64(1999 + g.r.IntN(28000)), OccurredAt: at, ReceivedAt: at,
		Customer: schemas.Customer{Key: v, VisitorID: &v}}
	if code >= 0 {
		o.Discount = o.Subtotal / 10
		o.Codes = []schemas.AppliedCode{{Code: g.affs[code].Code.Code, Amount: o.Discount}}
		if appliedAt != nil {
			t := appliedAt.UTC().Truncate(time.Millisecond)
			o.CodeAppliedAt = &t
		}
	}
	o.Total = o.Subtotal - o.Discount
	o.EventID = schemas.ID(Platform, StoreID, o.OrderID, "conversion")
	g.push(&Event{Kind: KindOrder, At: at, Key: v, Order: o, Label: label})
	if g.r.Float64() < g.cfg.RedeliveryRate {
		dup := *o
		g.push(&Event{Kind: KindOrder, At: at.Add(time.Second), Key: v, Order: &dup, Label: label})
	}
	if g.r.Float64() < g.cfg.RefundRate {
		net := o.Subtotal - o.Discount
		amount, full := net/3, g.r.IntN(2) == 0
		if full {
			amount = net
		}
		rat := at.Add(g.between(24*time.Hour, 10*24*time.Hour))
		rf := &schemas.Refund{RefundID: "r-" + o.OrderID, OrderID: o.OrderID, Platform: Platform, StoreID: StoreID, Currency: "EUR",
			Amount: amount, Total: amount, Full: full, OccurredAt: rat.Truncate(time.Millisecond), ReceivedAt: rat.Truncate(time.Millisecond)}
		rf.EventID = schemas.ID(Platform, StoreID, "refund", rf.RefundID)
		g.push(&Event{Kind: KindRefund, At: rat, Key: schemas.OrderRef(Platform, StoreID, o.OrderID), Refund: rf})
	}
	return o
}

// session generates one session starting at g.next and advances g.next.
func (g *Generator) session() {
	start := g.next
	g.next = g.next.Add(g.spacing)
	// Every event returned so far is at or before start: a burst due
	// before the next session begins after them.
	for i := range g.leaks {
		if l := &g.leaks[i]; !l.done && !l.start.After(g.next) {
			l.done = true
			g.leakBurst(l)
		}
	}
	r := g.r.Float64()
	switch {
	case r < g.cfg.StuffingRate:
		// A link partner's click-required code, no click at all.
		g.order(g.freshCustomer(), start.Add(g.between(time.Minute, time.Hour)), g.pickActive(LinkPartner), nil, LabelStuffing)
		return
	case r < g.cfg.StuffingRate+g.cfg.InjectionRate:
		// A genuine link click days earlier, then an extension's click
		// seconds before checkout steals the order.
		v := g.freshCustomer()
		at := start.Add(g.between(24*time.Hour, 5*24*time.Hour))
		g.click(v, g.pickActive(LinkPartner), start.Add(time.Minute), false)
		g.click(v, g.pickActive(CouponSite), at.Add(-g.between(time.Second, 8*time.Second)), false)
		g.order(v, at, -1, nil, LabelInjection)
		return
	}
	v := g.customer()
	var at time.Time
	switch r = g.r.Float64(); {
	case r < 0.28: // podcast: a code heard on air, no click
		at = start.Add(g.between(time.Minute, time.Hour))
		aff := g.pick(Podcast)
		o := g.order(v, at, aff, nil, LabelNone)
		if g.r.Float64() < g.cfg.SubscriptionRate {
			o.Subscription = &schemas.Subscription{ID: "sub-" + o.OrderID, Cycle: 1}
			// Half the subscriptions renew without the code (a Stripe
			// coupon with duration once, a Paddle renewal): credited by
			// subscription id to the first payment's affiliate.
			renewCode := aff
			if g.r.IntN(2) == 0 {
				renewCode = -1
			}
			for cycle := int32(2); cycle <= 3; cycle++ {
				rn := g.order(v, at.Add(time.Duration(cycle-1)*30*24*time.Hour), renewCode, nil, LabelNone)
				rn.Subscription = &schemas.Subscription{ID: "sub-" + o.OrderID, Cycle: cycle}
			}
		}
	case r < 0.52: // link partner: clicks over days, then checkout
		aff := g.pick(LinkPartner)
		at = start.Add(g.between(24*time.Hour, 7*24*time.Hour))
		n := 1 + g.r.IntN(3)
		for k := 0; k < n; k++ {
			g.click(v, aff, start.Add(time.Duration(k)*(at.Sub(start)-2*time.Minute)/time.Duration(n)), false)
		}
		code := -1
		if g.r.IntN(5) < 2 {
			code = aff
		}
		g.order(v, at, code, nil, LabelNone)
	case r < 0.66: // coupon site: a click minutes before using its code
		aff := g.pick(CouponSite)
		at = start.Add(g.between(time.Hour, 2*time.Hour))
		g.click(v, aff, at.Add(-g.between(5*time.Minute, 30*time.Minute)), false)
		g.order(v, at, aff, nil, LabelNone)
	case r < 0.80: // cross-channel: link click, podcast code, coupon-site click
		at = start.Add(g.between(2*24*time.Hour, 10*24*time.Hour))
		g.click(v, g.pick(LinkPartner), start.Add(g.between(0, 12*time.Hour)), false)
		applied := at.Add(-g.between(15*time.Minute, 25*time.Minute))
		g.click(v, g.pick(CouponSite), at.Add(-g.between(3*time.Minute, 12*time.Minute)), false)
		g.order(v, at, g.pick(Podcast), &applied, LabelNone)
	default: // organic: no touch of its own
		at = start.Add(g.between(time.Minute, time.Hour))
		g.order(v, at, -1, nil, LabelNone)
	}
	if g.r.Float64() < g.cfg.BotRate {
		bot := at.Add(-g.between(15*time.Second, 5*time.Minute))
		if bot.Before(start) {
			bot = start
		}
		g.click(v, g.r.IntN(len(g.affs)), bot, true)
	}
}

// leakBurst posts a leaked code's redemptions by new customers over 30
// minutes.
func (g *Generator) leakBurst(l *leak) {
	for i := 0; i < l.size; i++ {
		at := l.start.Add(time.Duration(i) * 30 * time.Minute / time.Duration(l.size))
		g.order(g.freshCustomer(), at, l.aff, nil, LabelLeak)
	}
}

// evHeap orders events by event time, then by creation.
type evHeap []*Event

func (h evHeap) Len() int { return len(h) }
func (h evHeap) Less(i, j int) bool {
	if c := h[i].At.Compare(h[j].At); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h evHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *evHeap) Push(x any)   { *h = append(*h, x.(*Event)) }
func (h *evHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
