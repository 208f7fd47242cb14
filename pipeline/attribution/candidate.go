package attribution

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/heldsway/heldsway/pipeline/fraud"
	"github.com/heldsway/heldsway/schemas"
)

// Candidate is stage 1's output for one order version, sent to stage 2
// keyed by Code: the decision with the code and the fallback without it,
// for when the code's global usage limit is reached.
type Candidate struct {
	OrderKey string `json:"k"` // OrderKey(platform, store, order id)
	Version  int32  `json:"v"`
	// Code is the order's valid code (the first that passed stage 1's
	// checks); empty when there is none, and then WithCode is nil and
	// Fallback is the decision.
	Code        string `json:"c,omitempty"`
	AffiliateID string `json:"a,omitempty"` // the code's owner
	// MaxUses is the code's global usage limit when decided; nil is
	// unlimited.
	MaxUses *int64 `json:"m,omitempty"`
	// AffiliateClicked: the customer had a non-bot click from the code's
	// owner in the window (the leak detector's no-click ratio).
	AffiliateClicked bool `json:"ac,omitempty"`
	// RequiresClick: the code is a link partner's (registry flag), so the
	// leak detector's no-click ratio applies to it.
	RequiresClick bool `json:"rc,omitempty"`
	// ClickArrived is set on a revision that a click from the code's owner
	// caused, when the version before had none (AffiliateClicked was
	// false): stage 2's leak detector counted that redemption as unclicked
	// and is sent a correction (with the candidate itself, when stage 2
	// decides it). Encoded as a trailing flag, only when set.
	ClickArrived bool      `json:"-"`
	OccurredAt   time.Time `json:"t"`
	WithCode     *Decision `json:"w,omitempty"`
	Fallback     Decision  `json:"f"`
}

// digest summarises the decisions stage 2 can pick: the fallback matters
// only without a code or when the code has a usage limit.
func (c *Candidate) digest() string {
	if c.WithCode == nil {
		return c.Fallback.digest()
	}
	if c.MaxUses == nil {
		return c.WithCode.digest()
	}
	return c.WithCode.digest() + "||" + c.Fallback.digest()
}

// credited returns the affiliate (and code) the candidate credits when
// the code is used, else by its fallback; a split credits its first share.
func (c *Candidate) credited() (affiliate, code string) {
	d := c.Fallback
	if c.WithCode != nil {
		d = *c.WithCode
	}
	a := d.Attribution
	if d.Attribution.Status == StatusRejected || a.Method == MethodNone {
		return "", ""
	}
	if a.AffiliateID != nil {
		affiliate = *a.AffiliateID
	} else if len(a.Shares) > 0 {
		affiliate = a.Shares[0].AffiliateID
	}
	if a.Code != nil && (a.AffiliateID == nil || len(a.Shares) == 0) {
		code = *a.Code
	}
	if a.Method == MethodClick && a.Code == nil && a.ClickID != nil {
		// A click credit keeps the link's code, which its rule follows.
		for _, t := range a.Touches {
			if t.Won && t.Code != nil {
				code = *t.Code
			}
		}
	}
	return affiliate, code
}

// Resolve is stage 2's choice for a candidate given the code's uses so far
// (excluding this order): the with-code decision, consuming a use, unless
// MaxUses is set and usesSoFar >= MaxUses; then the fallback, which stage
// 1 built with the code's touch invalid for usage_limit_reached.
func Resolve(c Candidate, usesSoFar int64) (Decision, bool) {
	if c.WithCode == nil {
		return c.Fallback, false
	}
	if c.MaxUses != nil && usesSoFar >= *c.MaxUses {
		return c.Fallback, false
	}
	return *c.WithCode, true
}

// Redemption is the leak detector's view of the candidate; ok is false when
// the order has no valid code.
func (c Candidate) Redemption() (r fraud.Redemption, ok bool) {
	if c.Code == "" {
		return fraud.Redemption{}, false
	}
	a := c.Fallback.Attribution
	if c.WithCode != nil {
		a = c.WithCode.Attribution
	}
	return fraud.Redemption{
		Code:             c.Code,
		AffiliateID:      c.AffiliateID,
		Order:            fraud.OrderRef{OrderID: a.OrderID, Platform: a.Platform, StoreID: a.StoreID, OccurredAt: c.OccurredAt},
		AffiliateClicked: c.AffiliateClicked,
		RequiresClick:    c.RequiresClick,
	}, true
}

// Marshal encodes the candidate for the internal topic (binary; see
// codec.go). A candidate whose code has no usage limit is written without
// its fallback (format 0x05), which stage 2 never picks: about half the
// bytes.
func (c *Candidate) Marshal() ([]byte, error) {
	e := stateEnc{b: make([]byte, 0, 512)}
	slim := c.slim()
	if slim {
		e.b = append(e.b, formatCandidateSlim)
	} else {
		e.b = append(e.b, formatBinary)
	}
	e.str(c.OrderKey)
	e.varint(int64(c.Version))
	e.str(c.Code)
	e.str(c.AffiliateID)
	e.boolean(c.MaxUses != nil)
	if c.MaxUses != nil {
		e.varint(*c.MaxUses)
	}
	e.boolean(c.AffiliateClicked)
	e.boolean(c.RequiresClick)
	e.time(c.OccurredAt)
	e.boolean(c.WithCode != nil)
	if c.WithCode != nil {
		e.decision(c.WithCode)
	}
	if !slim {
		e.decision(&c.Fallback)
	}
	if c.ClickArrived {
		// Trailing and only when set: candidates without it are what
		// versions before it wrote and read.
		e.boolean(true)
	}
	if e.err != nil {
		return nil, fmt.Errorf("encoding candidate: %w", e.err)
	}
	return e.b, nil
}

// slim reports whether stage 2 can only pick WithCode: a valid code
// without a usage limit (Resolve, ResolveUse).
func (c *Candidate) slim() bool { return c.WithCode != nil && c.MaxUses == nil }

// maxDecisionFlags bounds the flags of one decoded decision.
const maxDecisionFlags = 100

func (e *stateEnc) decision(d *Decision) {
	e.record(&d.Attribution)
	e.count(len(d.Flags))
	for i := range d.Flags {
		e.record(&d.Flags[i])
	}
}

func (d *stateDec) decision() Decision {
	var out Decision
	d.record(&out.Attribution)
	if n := d.count(maxDecisionFlags); n > 0 {
		out.Flags = make([]schemas.Flag, n)
		for i := range out.Flags {
			d.record(&out.Flags[i])
		}
	}
	return out
}

// UnmarshalCandidate decodes what Candidate.Marshal wrote (or the JSON of
// earlier versions).
func UnmarshalCandidate(data []byte) (Candidate, error) {
	var c Candidate
	if len(data) > 0 && data[0] == formatJSON {
		if err := json.Unmarshal(data, &c); err != nil {
			return Candidate{}, fmt.Errorf("%w: decoding candidate: %v", ErrCorrupt, err)
		}
	} else if err := c.decode(data); err != nil {
		return Candidate{}, fmt.Errorf("%w: decoding candidate: %v", ErrCorrupt, err)
	}
	if len(data) > 0 && data[0] == formatCandidateSlim && !c.slim() {
		return Candidate{}, fmt.Errorf("%w: candidate without a fallback has a usage limit or no code", ErrCorrupt)
	}
	if c.Version < 1 || (c.WithCode != nil) != (c.Code != "") {
		return Candidate{}, fmt.Errorf("%w: candidate version %d, code %q", ErrCorrupt, c.Version, c.Code)
	}
	if len(c.Fallback.Flags) > maxDecisionFlags || (c.WithCode != nil && len(c.WithCode.Flags) > maxDecisionFlags) {
		return Candidate{}, fmt.Errorf("%w: candidate with over %d flags", ErrCorrupt, maxDecisionFlags)
	}
	return c, nil
}

func (c *Candidate) decode(data []byte) error {
	d := stateDec{b: data}
	f := d.format()
	if d.err == nil && f != formatBinary && f != formatCandidateSlim {
		return fmt.Errorf("unknown format byte %#x", f)
	}
	c.OrderKey = d.str()
	v := d.varint()
	if d.err == nil && (v < math.MinInt32 || v > math.MaxInt32) {
		return fmt.Errorf("version %d", v)
	}
	c.Version = int32(v)
	c.Code = d.str()
	c.AffiliateID = d.str()
	if d.boolean() {
		m := d.varint()
		c.MaxUses = &m
	}
	c.AffiliateClicked = d.boolean()
	c.RequiresClick = d.boolean()
	c.OccurredAt = d.time()
	if d.boolean() {
		w := d.decision()
		c.WithCode = &w
	}
	if f != formatCandidateSlim {
		c.Fallback = d.decision()
	}
	if len(d.b) > 0 && d.err == nil {
		c.ClickArrived = d.boolean()
	}
	return d.end()
}

// MaxUsageOrders bounds the orders CodeUsage remembers per code.
const MaxUsageOrders = 1024

// UsedOrder is an order stage 2 resolved for a code.
type UsedOrder struct {
	Key      string `json:"k"`
	Version  int32  `json:"v"`
	Consumed bool   `json:"c,omitempty"`
}

// ResolveUse is stage 2's usage step for one candidate. uses is the code's
// count so far and prev the order's record, nil when the code has not
// resolved the order before. It returns the decision and the order's new
// record; the caller adds a use when prev is nil and rec.Consumed.
//
// A candidate for an order already resolved keeps that order's outcome: a
// duplicate (same or lower version) returns ok false and must not be
// published again; a revision that had consumed a use keeps it without
// consuming another (its code was already redeemed), and one that had
// fallen back stays on the fallback.
func ResolveUse(c Candidate, uses int64, prev *UsedOrder) (d Decision, rec UsedOrder, ok bool) {
	if prev == nil {
		d, consumed := Resolve(c, uses)
		return d, UsedOrder{Key: c.OrderKey, Version: c.Version, Consumed: consumed}, true
	}
	if c.Version <= prev.Version {
		return Decision{}, UsedOrder{}, false
	}
	rec = *prev
	rec.Version = c.Version
	if rec.Consumed && c.WithCode != nil {
		return *c.WithCode, rec, true
	}
	return c.Fallback, rec, true
}
