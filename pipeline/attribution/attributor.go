package attribution

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/heldsway/heldsway/schemas"
)

// PruneSlack is how much older than the longest window, relative to the
// event time of the order being processed, a click may be before it is
// dropped. It keeps the clicks an older order still needs when it arrives
// after a newer one of the same customer: a webhook the platform retries
// (Stripe retries for up to three days, Shopify and Paddle for hours to
// days) or an order replayed by a reconciliation job. The window itself is
// judged exactly; MaxClicks bounds the state either way.
const PruneSlack = 7 * 24 * time.Hour

// CodeLookup returns the registry entry of a normalised code, as stage 1's
// global codes table holds it.
type CodeLookup func(code string) (schemas.Code, bool)

// AffiliateLookup reports whether the registry knows an affiliate (it
// owns a code) and whether any of its codes is active. An affiliate known
// with no active code has left the program: its clicks do not qualify.
type AffiliateLookup func(affiliateID string) (known, active bool)

// Attributor is stage 1's logic: it keeps a customer's touches and decides
// orders. It holds no state of its own; every method takes the customer
// state the stage loaded and updates it in place for the stage to store.
// now is the processing time, written as DecidedAt and used for the grace
// period only: every window is judged in event time.
type Attributor struct {
	p          *Program
	affiliates AffiliateLookup
}

// active reports whether aff may earn: not known to the registry with
// only inactive codes.
func (a *Attributor) active(aff string) bool {
	if a.affiliates == nil {
		return true
	}
	known, active := a.affiliates(aff)
	return active || !known
}

// SetAffiliates sets the affiliate lookup (nil: every affiliate counts as
// active). Call it before the first decision.
func (a *Attributor) SetAffiliates(f AffiliateLookup) { a.affiliates = f }

// New returns an Attributor for a program that passed Validate (Parse and
// Load validate; NewProgram is valid).
func New(p *Program) *Attributor { return &Attributor{p: p} }

// Program returns the program the Attributor decides by.
func (a *Attributor) Program() *Program { return a.p }

// Click records a click in the customer's touches and returns revised
// candidates for orders decided within the grace period whose event time
// is not before the click's, when the click changes their decision (each
// with Version+1). A duplicate (event id or click id already kept) changes
// nothing and returns nil. The error is a decided order's snapshot that
// cannot be read (see Customer.UseSnapshots); st is then not to be stored.
func (a *Attributor) Click(st *Customer, c schemas.Click, lookup CodeLookup, now time.Time) ([]Candidate, error) {
	if st.seen(c.EventID) || slices.ContainsFunc(st.Clicks, func(t ClickTouch) bool { return t.ClickID == c.ClickID }) {
		return nil, nil
	}
	st.markSeen(c.EventID)
	t := ClickTouch{ClickID: c.ClickID, At: c.OccurredAt.UTC(), Bot: c.IsBot, Seen: now.UTC()}
	if c.PageType != nil {
		t.PageType = *c.PageType
	}
	if c.AffiliateID != nil {
		t.AffiliateID = *c.AffiliateID
	}
	if c.Code != nil && *c.Code != "" {
		t.Code = *c.Code
		if entry, ok := lookupCode(lookup, t.Code); ok {
			if t.AffiliateID == "" {
				t.AffiliateID = entry.AffiliateID
			}
			t.NotAllowed = !allowedToPromote(entry, t.AffiliateID)
		}
	}
	// No pruning by this click's event time: a backlog read topic by topic
	// can bring a customer's clicks days ahead of their orders, and the
	// orders still need the older clicks. Orders prune (they arrive in
	// their partition's order); MaxClicks bounds the rest.
	st.addClick(t)
	st.pruneRecent(now, a.p.MaxWindow())

	var out []Candidate
	for i := range st.Recent {
		d := &st.Recent[i]
		if t.At.After(d.OccurredAt) || now.After(d.DecidedAt.Add(a.p.Defaults.Grace)) {
			continue // after the order, or seen too late to revise it
		}
		if !st.ForgotClicksUntil.IsZero() && !d.OccurredAt.Add(-a.p.MaxWindow()).After(st.ForgotClicksUntil) {
			// Clicks this order's window covers were dropped since it was
			// decided (a newer order pruned them): deciding again would
			// lose them, so the decision stands.
			continue
		}
		snap, err := st.snapshot(d)
		if err != nil {
			return nil, err
		}
		in := &input{order: snap.Order, codes: snap.Codes, facts: snap.Facts, clicks: visible(st.Clicks, d.DecidedAt, a.p.Defaults.Grace), version: d.Version + 1, now: now,
			lookup: lookup, affiliates: a.affiliates, hold: d.Hold}
		cand := a.candidate(in)
		if g := KeyHash(cand.digest()); g != d.Digest {
			if cand.Code != "" && cand.AffiliateClicked && t.AffiliateID == cand.AffiliateID {
				// Did the version before, without this click, have one
				// from the code's owner?
				before := *in
				before.clicks = slices.DeleteFunc(slices.Clone(in.clicks), func(c ClickTouch) bool { return c.ClickID == t.ClickID })
				ev := a.evaluate(&before) // what candidate's AffiliateClicked reads
				cand.ClickArrived = !(ev.valid >= 0 && ev.clicked)
			}
			d.Version, d.Digest = in.version, g
			d.published(&cand)
			out = append(out, cand)
		}
	}
	return out, nil
}

// Order decides an order and records it in the customer's state: the
// order counts as a past order, and a valid code as redeemed by the
// customer (for once-per-customer; a use refused later by stage 2's usage
// limit still counts, as stage 1 cannot see it). ok is false for a
// duplicate: an event id already seen, or an order (platform, store, order
// id) already decided under another event id; the first decision stands.
//
// A subscription payment that says neither its cycle nor its start (a
// Stripe or Paddle renewal) is decided with StartedAt filled in from the
// customer's state: the start of the subscription as its payments seen so
// far tell (see Customer.Subscriptions). A subscription seen for the first
// time is started by this payment, even when it is in fact a renewal whose
// earlier payments this state never saw (its first payment came before
// the state kept subscriptions, went to another customer key, or its
// subscription was forgotten past MaxSubscriptions): it then earns for the
// rule's recurring months from this payment on, never for ever. That is
// the conservative answer that still pays a first payment whose platform
// does not say it is the first. A payment that says its cycle is judged by
// the cycle, as the platform counted it; every payment with an id updates
// the remembered start. The outcome depends only on the state and the
// order, so a replay decides the same.
//
// An order already decided and still kept for revisions (Customer.Recent:
// the attribution window, at most MaxRecent orders) that arrives again
// with changed money (currency, subtotal, discount, shipping, tax, total)
// or codes, under any event id, is an update (Shopify orders/updated or
// orders/edited, WooCommerce order.updated): it is decided again with the
// new content, keeping the first decision's event time, facts and
// registry snapshot of the codes it already had, and returned as a
// candidate with Version+1. See Unapplied for an update that comes later.
//
// The error is a decided order's snapshot that cannot be read (see
// Customer.UseSnapshots); st is then not to be stored.
func (a *Attributor) Order(st *Customer, o schemas.Order, lookup CodeLookup, now time.Time) (cand Candidate, ok bool, err error) {
	key := OrderKey(o.Platform, o.StoreID, o.OrderID)
	st.pruneRecent(now, a.p.MaxWindow())
	if i := st.recentIndex(key); i >= 0 && st.Recent[i].Content != contentHash(o) {
		d := &st.Recent[i]
		snap, err := st.snapshot(d)
		if err != nil {
			return Candidate{}, false, err
		}
		if OrderChanged(snap.Order, o) {
			st.markSeen(o.EventID)
			return a.update(st, d, snap, o, lookup, now), true, nil
		}
	}
	if st.seen(o.EventID) || st.hasOrder(key) {
		return Candidate{}, false, nil
	}
	st.markSeen(o.EventID)
	o.OccurredAt = o.OccurredAt.UTC()
	var prevSub *SubscriptionStart // the subscription before this payment
	if o.Subscription != nil && o.Subscription.ID != "" {
		if p := st.subscription(o.Subscription.ID); p != nil {
			cp := *p
			prevSub = &cp
		}
	}
	if o.Subscription != nil {
		sub := *o.Subscription
		start := st.subscriptionStart(sub, o.OccurredAt)
		if sub.Cycle == 0 && sub.StartedAt == nil {
			sub.StartedAt = &start
		}
		o.Subscription = &sub
	}
	st.pruneClicks(o.OccurredAt.Add(-a.p.MaxWindow() - PruneSlack))

	in := &input{order: o, facts: Facts{PriorOrder: st.OrdersSeen > 0}, clicks: visible(st.Clicks, now, a.p.Defaults.Grace), version: 1, now: now,
		lookup: lookup, affiliates: a.affiliates}
	for _, ac := range o.Codes {
		if st.redeemed(ac.Code) && !slices.Contains(in.facts.Redeemed, ac.Code) {
			in.facts.Redeemed = append(in.facts.Redeemed, ac.Code)
		}
		if e, found := lookupCode(lookup, ac.Code); found && in.entry(ac.Code) == nil {
			in.codes = append(in.codes, e)
		}
	}
	// A standing credit of an affiliate that left the program (all its
	// codes inactive) no longer applies: the order is decided by its
	// touches.
	switch months := a.p.Defaults.LifetimeMonths; {
	case o.Subscription != nil && len(o.Codes) == 0 && prevSub != nil && prevSub.AffiliateID != "" && a.active(prevSub.AffiliateID):
		in.standing, in.standingMethod = &standingCredit{prevSub.AffiliateID, prevSub.Code}, MethodSubscription
	case months > 0 && st.FirstAffiliate != "" && a.active(st.FirstAffiliate) && !o.OccurredAt.Before(st.FirstCreditAt) &&
		o.OccurredAt.Before(addMonths(st.FirstCreditAt, int(months))):
		in.standing, in.standingMethod = &standingCredit{st.FirstAffiliate, st.FirstCode}, MethodCustomer
	}
	cand = a.candidate(in)

	// Remember who earned a subscription's first payment, and the
	// customer's first credited order (with lifetime attribution on).
	if aff, code := cand.credited(); aff != "" {
		if o.Subscription != nil && o.Subscription.ID != "" && prevSub == nil {
			if s := st.subscription(o.Subscription.ID); s != nil {
				s.AffiliateID, s.Code = aff, code
			}
		}
		if a.p.Defaults.LifetimeMonths > 0 && st.FirstAffiliate == "" {
			st.FirstAffiliate, st.FirstCode, st.FirstCreditAt = aff, code, o.OccurredAt
		}
	}

	st.Orders = appendBounded(st.Orders, PastOrder{Key: KeyHash(key), At: o.OccurredAt, Sum: contentHash(o)}, MaxOrders)
	st.OrdersSeen++
	if cand.Code != "" && !st.redeemed(cand.Code) {
		st.Redeemed = appendBounded(st.Redeemed, cand.Code, MaxRedeemed)
	}
	// A standing credit outranks every touch, so a late click never
	// revises such an order: it is not kept for revisions.
	if in.standing == nil {
		st.addDecided(Decided{
			Key: KeyHash(key), OccurredAt: o.OccurredAt, Version: 1, DecidedAt: now,
			Digest: KeyHash(cand.digest()), Content: contentHash(o),
			snap: &Snapshot{Order: o, Codes: in.codes, Facts: in.facts, Last: finalOf(&cand)}, dirty: true,
		})
	}
	return cand, true, nil
}

// ErrOrderUpdateLate is Unapplied's error.
var ErrOrderUpdateLate = errors.New("attribution: order delivered again after its revision window: not applied")

// Unapplied returns an error wrapping ErrOrderUpdateLate for an order
// Order refused that arrived under an event id not seen before, for an
// order decided earlier and no longer kept for revisions (older than the
// longest window, pushed out of Recent by MaxRecent newer ones, or
// credited by a standing credit), whose money or codes differ from what
// was last decided: it cannot be decided again, so it is not applied, and
// the stage dead-letters it with the reason rather than dropping it. A
// redelivery of a seen event id, the same content again, and an order
// remembered without a fingerprint (state written before it was kept)
// are plain duplicates (nil).
func (a *Attributor) Unapplied(st *Customer, o schemas.Order, _ time.Time) error {
	key := OrderKey(o.Platform, o.StoreID, o.OrderID)
	if st.seen(o.EventID) || st.recentIndex(key) >= 0 {
		return nil
	}
	h := KeyHash(key)
	i := slices.IndexFunc(st.Orders, func(p PastOrder) bool { return p.Key == h })
	if i < 0 {
		return nil
	}
	// The same money and codes (a fulfilment or tag update) is a plain
	// duplicate; so is an order remembered without its fingerprint (state
	// written before it was kept), which cannot be compared.
	if sum := st.Orders[i].Sum; sum == 0 || sum == contentHash(o) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrOrderUpdateLate, schemas.OrderRef(o.Platform, o.StoreID, o.OrderID))
}

// contentHash is the KeyHash of what OrderChanged compares: equal hashes
// mean the same money and codes (up to a 2^-64 chance), so a redelivery
// is told from an update without reading the decided order's snapshot.
func contentHash(o schemas.Order) uint64 {
	b := make([]byte, 0, 96)
	b = fmt.Appendf(b, "%s|%d|%d|%d|%d|%d", o.Currency, o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total)
	for _, c := range o.Codes {
		b = fmt.Appendf(b, "|%d:%s=%d", len(c.Code), c.Code, c.Amount)
	}
	return xxhash.Sum64(b)
}

// OrderChanged reports whether b changes a's money (currency, subtotal,
// discount, shipping, tax, total) or codes (the codes and their amounts).
func OrderChanged(a, b schemas.Order) bool {
	if a.Currency != b.Currency || a.Subtotal != b.Subtotal || a.Discount != b.Discount ||
		a.Shipping != b.Shipping || a.Tax != b.Tax || a.Total != b.Total || len(a.Codes) != len(b.Codes) {
		return true
	}
	for i := range a.Codes {
		if a.Codes[i].Code != b.Codes[i].Code || a.Codes[i].Amount != b.Codes[i].Amount {
			return true
		}
	}
	return false
}

// update decides a kept order again with o's money and codes (see Order).
func (a *Attributor) update(st *Customer, d *Decided, snap *Snapshot, o schemas.Order, lookup CodeLookup, now time.Time) Candidate {
	o.OccurredAt = snap.Order.OccurredAt
	o.Subscription = snap.Order.Subscription
	codes := make([]schemas.Code, 0, len(o.Codes))
	facts := Facts{PriorOrder: snap.Facts.PriorOrder}
	for _, ac := range o.Codes {
		if slices.ContainsFunc(codes, func(c schemas.Code) bool { return c.Code == ac.Code }) {
			continue
		}
		if i := slices.IndexFunc(snap.Codes, func(c schemas.Code) bool { return c.Code == ac.Code }); i >= 0 {
			codes = append(codes, snap.Codes[i])
		} else if e, found := lookupCode(lookup, ac.Code); found {
			codes = append(codes, e)
		}
		if slices.Contains(snap.Facts.Redeemed, ac.Code) ||
			!slices.ContainsFunc(snap.Order.Codes, func(x schemas.AppliedCode) bool { return x.Code == ac.Code }) && st.redeemed(ac.Code) {
			facts.Redeemed = append(facts.Redeemed, ac.Code)
		}
	}
	in := &input{order: o, codes: codes, facts: facts, clicks: visible(st.Clicks, d.DecidedAt, a.p.Defaults.Grace), version: d.Version + 1, now: now,
		lookup: lookup, affiliates: a.affiliates, hold: d.Hold}
	cand := a.candidate(in)
	d.snap, d.dirty = &Snapshot{Order: o, Codes: codes, Facts: facts, Last: finalOf(&cand)}, true
	d.Version, d.Digest, d.Content = in.version, KeyHash(cand.digest()), contentHash(o)
	if i := slices.IndexFunc(st.Orders, func(p PastOrder) bool { return p.Key == d.Key }); i >= 0 {
		st.Orders[i].Sum = d.Content
	}
	if cand.Code != "" && !st.redeemed(cand.Code) {
		st.Redeemed = appendBounded(st.Redeemed, cand.Code, MaxRedeemed)
	}
	return cand
}

func lookupCode(lookup CodeLookup, code string) (schemas.Code, bool) {
	if lookup == nil {
		return schemas.Code{}, false
	}
	return lookup(code)
}

// candidate decides in both ways.
func (a *Attributor) candidate(in *input) Candidate {
	ev := a.evaluate(in)
	o := in.order
	c := Candidate{
		OrderKey:   OrderKey(o.Platform, o.StoreID, o.OrderID),
		Version:    in.version,
		OccurredAt: o.OccurredAt,
		Fallback:   a.decide(ev, false),
	}
	if ev.valid >= 0 {
		e := ev.codes[ev.valid].entry
		c.Code, c.AffiliateID, c.MaxUses, c.AffiliateClicked = e.Code, e.AffiliateID, e.MaxUses, ev.clicked
		c.RequiresClick = e.RequiresClick
		with := a.decide(ev, true)
		with.applyHold(in.hold)
		c.WithCode = &with
	}
	return c
}
