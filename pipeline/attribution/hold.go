package attribution

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/heldsway/heldsway/pipeline/fraud"
)

// Stage 1 publishes the decision of an order whose code has no usage
// limit itself (Candidate.Final), so stage 2, which alone sees every
// redemption of a code, gets a compact Redeemed record for its leak
// detector instead of a candidate. When the detector holds a redemption
// (the one that opened a leak episode, or one during the episode), stage 2
// sends a Hold back to stage 1, keyed by the customer, and stage 1
// publishes the next version of the order with the hold applied
// (Attributor.Hold): stage 1 owns an order's versions, so a hold and a
// late click or an update never publish the same version twice.

// Leak hold levels, as Decided and Hold keep them.
const (
	HoldNone   = 0
	HoldReview = 1 // pending_review with flag:code_leak
	HoldReject = 2 // rejected (the leak flag's severity is reject)
)

// applyHold marks the decision as stage 2's leak detector asked, as
// stage 2 does for the orders it decides: the reason flag:code_leak, and
// the status pending_review (or rejected, earning nothing, for a reject
// hold) unless it is already worse or unattributed.
func (d *Decision) applyHold(h byte) {
	if h == HoldNone || d.Attribution.Method == MethodNone {
		return
	}
	a := &d.Attribution
	a.Reasons = append(a.Reasons, ReasonFlagPrefix+"code_leak")
	switch {
	case h == HoldReject:
		a.Status = StatusRejected
		a.Commission = 0
		for i := range a.Shares {
			a.Shares[i].Commission = 0
		}
	case a.Status == StatusApproved:
		a.Status = StatusPendingReview
	}
}

// Final returns the decision stage 1 can publish itself: the only one a
// candidate without a valid code has, and the one with the code when the
// code has no usage limit (stage 2 could pick nothing else). ok is false
// when stage 2 must resolve the usage limit.
func (c *Candidate) Final() (Decision, bool) {
	switch {
	case c.slim():
		return *c.WithCode, true
	case c.Code == "":
		return c.Fallback, true
	}
	return Decision{}, false
}

// Redeemed is what stage 2's leak detector needs of a redemption stage 1
// decided itself, and where to send a hold (the customer key of stage 1's
// partition).
type Redeemed struct {
	Code, AffiliateID        string
	Platform, StoreID, Order string
	OccurredAt               time.Time
	AffiliateClicked         bool
	RequiresClick            bool
	CustomerKey              string
	// Correction: the order, counted before as a redemption without a
	// click from the code's owner, has one now (a click that reached
	// stage 1 after the order); the detector counts it as clicked.
	Correction bool
}

// Redeemed returns the redemption of a candidate with a valid code, for
// stage 2, with the customer key of the stage-1 record it came from.
func (c *Candidate) Redeemed(customerKey string) Redeemed {
	a := c.WithCode.Attribution
	return Redeemed{Code: c.Code, AffiliateID: c.AffiliateID, Platform: a.Platform, StoreID: a.StoreID, Order: a.OrderID,
		OccurredAt: c.OccurredAt, AffiliateClicked: c.AffiliateClicked, RequiresClick: c.RequiresClick, CustomerKey: customerKey}
}

// Redemption is the leak detector's view.
func (r *Redeemed) Redemption() fraud.Redemption {
	return fraud.Redemption{Code: r.Code, AffiliateID: r.AffiliateID,
		Order:            fraud.OrderRef{OrderID: r.Order, Platform: r.Platform, StoreID: r.StoreID, OccurredAt: r.OccurredAt},
		AffiliateClicked: r.AffiliateClicked, RequiresClick: r.RequiresClick}
}

// Marshal encodes the record for the internal topic (format 0x06).
func (r *Redeemed) Marshal() []byte {
	e := stateEnc{b: make([]byte, 0, 96)}
	e.b = append(e.b, formatRedeemed)
	e.str(r.Code)
	e.str(r.AffiliateID)
	e.str(r.Platform)
	e.str(r.StoreID)
	e.str(r.Order)
	e.time(r.OccurredAt)
	e.boolean(r.AffiliateClicked)
	e.boolean(r.RequiresClick)
	e.str(r.CustomerKey)
	e.boolean(r.Correction)
	return e.b
}

// IsRedeemed reports whether an internal record is a Redeemed (else a
// Candidate).
func IsRedeemed(data []byte) bool { return len(data) > 0 && data[0] == formatRedeemed }

// UnmarshalRedeemed decodes what Redeemed.Marshal wrote.
func UnmarshalRedeemed(data []byte) (Redeemed, error) {
	var r Redeemed
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatRedeemed {
		d.fail(fmt.Errorf("unknown format byte %#x", f))
	}
	r.Code = d.str()
	r.AffiliateID = d.str()
	r.Platform = d.str()
	r.StoreID = d.str()
	r.Order = d.str()
	r.OccurredAt = d.time()
	r.AffiliateClicked = d.boolean()
	r.RequiresClick = d.boolean()
	r.CustomerKey = d.str()
	if len(d.b) > 0 { // records written before corrections have no flag
		r.Correction = d.boolean()
	}
	if err := d.end(); err != nil {
		return Redeemed{}, fmt.Errorf("%w: decoding redemption: %v", ErrCorrupt, err)
	}
	if r.Code == "" || r.CustomerKey == "" {
		return Redeemed{}, fmt.Errorf("%w: redemption without a code or a customer key", ErrCorrupt)
	}
	return r, nil
}

// Hold is stage 2's request that stage 1 hold an order it published.
type Hold struct {
	OrderKey string // OrderKey(platform, store, order id)
	Level    byte   // HoldReview or HoldReject
}

// Marshal encodes the hold for the internal topic (format 0x07).
func (h *Hold) Marshal() []byte {
	e := stateEnc{b: make([]byte, 0, 48)}
	e.b = append(e.b, formatHold, h.Level)
	e.str(h.OrderKey)
	return e.b
}

// UnmarshalHold decodes what Hold.Marshal wrote.
func UnmarshalHold(data []byte) (Hold, error) {
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatHold {
		d.fail(fmt.Errorf("unknown format byte %#x", f))
	}
	var h Hold
	h.Level = d.format()
	h.OrderKey = d.str()
	if err := d.end(); err != nil {
		return Hold{}, fmt.Errorf("%w: decoding hold: %v", ErrCorrupt, err)
	}
	if (h.Level != HoldReview && h.Level != HoldReject) || h.OrderKey == "" {
		return Hold{}, fmt.Errorf("%w: hold level %d for order %q", ErrCorrupt, h.Level, h.OrderKey)
	}
	return h, nil
}

// ErrHoldUnknownOrder is Attributor.Hold's error for an order the
// customer's state no longer keeps (decided longer than the window ago,
// or pushed out by MaxRecent newer orders): it cannot be decided again.
var ErrHoldUnknownOrder = errors.New("attribution: leak hold for an order no longer kept for revisions")

// ErrHoldUnreproducible is Attributor.Hold's error for an order whose
// clicks were forgotten since it was decided: its decision cannot be made
// again as it was, so the hold must be applied by hand (the stage
// dead-letters the hold with this reason; the code_leak flag is
// published either way).
var ErrHoldUnreproducible = errors.New("attribution: leak hold for an order whose clicks were since forgotten: hold it by hand")

// Hold applies stage 2's leak hold to a decided order: it is decided again
// with the hold and returned as a candidate with Version+1, and every
// later revision keeps the hold. ok is false when the order is already
// held at that level or more (a hold delivered again).
func (a *Attributor) Hold(st *Customer, h Hold, lookup CodeLookup, now time.Time) (cand Candidate, ok bool, err error) {
	i := st.recentIndex(h.OrderKey)
	if i < 0 {
		return Candidate{}, false, fmt.Errorf("%w: %s", ErrHoldUnknownOrder, h.OrderKey)
	}
	d := &st.Recent[i]
	if d.Hold >= h.Level {
		return Candidate{}, false, nil
	}
	snap, err := st.snapshot(d)
	if err != nil {
		return Candidate{}, false, err
	}
	if last := snap.Last; last != nil && last.Attribution.Version == d.Version {
		// The decision published last, held as it stands: the hold
		// changes its status and reasons, not its credit.
		held := cloneDecision(*last)
		held.applyHold(h.Level)
		a := &held.Attribution
		a.Version = d.Version + 1
		a.EventID = AttributionID(a.Platform, a.StoreID, a.OrderID, a.Version)
		a.DecidedAt = now
		// Final publishes WithCode (no usage limit: a held order's code
		// has none, or stage 2 would have decided it).
		cand = Candidate{OrderKey: h.OrderKey, Version: a.Version, OccurredAt: d.OccurredAt, WithCode: &held}
		d.Hold, d.Version, d.Digest = h.Level, a.Version, KeyHash(cand.digest())
		d.published(&cand)
		return cand, true, nil
	}
	if !st.ForgotClicksUntil.IsZero() && !d.OccurredAt.Add(-a.p.MaxWindow()).After(st.ForgotClicksUntil) {
		// Clicks the order's window covers were dropped since it was
		// decided (newer orders pruned them): deciding it again would
		// credit it differently, so the hold is not applied here.
		return Candidate{}, false, fmt.Errorf("%w: %s", ErrHoldUnreproducible, h.OrderKey)
	}
	in := &input{order: snap.Order, codes: snap.Codes, facts: snap.Facts, clicks: visible(st.Clicks, d.DecidedAt, a.p.Defaults.Grace),
		version: d.Version + 1, now: now, lookup: lookup, affiliates: a.affiliates, hold: h.Level}
	cand = a.candidate(in)
	d.Hold, d.Version, d.Digest = h.Level, in.version, KeyHash(cand.digest())
	d.published(&cand)
	return cand, true, nil
}

// finalOf is the decision stage 1 publishes for a candidate, nil when
// stage 2 decides it.
func finalOf(c *Candidate) *Decision {
	if d, ok := c.Final(); ok {
		return &d
	}
	return nil
}

// published records c, a new version of d's order, as the decision
// published last (the snapshot is then written again).
func (d *Decided) published(c *Candidate) {
	if d.snap == nil {
		return // not loaded: not changed by this version
	}
	d.snap.Last, d.dirty = finalOf(c), true
}

// cloneDecision copies a decision deeply enough that changing the copy's
// status, reasons and commissions leaves the original as it was.
func cloneDecision(d Decision) Decision {
	d.Attribution.Reasons = slices.Clone(d.Attribution.Reasons)
	d.Attribution.Shares = slices.Clone(d.Attribution.Shares)
	d.Flags = slices.Clone(d.Flags)
	return d
}
