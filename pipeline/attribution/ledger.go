package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Adjustment reasons.
const (
	AdjustRefund        = "refund"         // the order is now fully reversed
	AdjustPartialRefund = "partial_refund" // part of the commission reversed
	AdjustRevision      = "revision"       // a new attribution version re-based the reversals
)

// MaxLedgerRefunds bounds the refunds one order's ledger keeps.
const MaxLedgerRefunds = 1000

// LedgerRefund is a refund as the ledger keeps it.
type LedgerRefund struct {
	RefundID   string    `json:"i"`
	Amount     int64     `json:"a"`
	Full       bool      `json:"f,omitempty"`
	Currency   string    `json:"c"`
	OccurredAt time.Time `json:"t"`
}

// Adjusted is the sum of the adjustments emitted to one affiliate of an
// order, over every attribution version.
type Adjusted struct {
	AffiliateID string  `json:"a"`
	Code        *string `json:"c,omitempty"`
	Sum         int64   `json:"s"`
}

// OrderLedger is stage 3's state for one order: its latest attribution,
// every refund seen (held until the attribution arrives), and what the
// adjustments emitted so far add up to per affiliate.
//
// The money invariant, kept after every call, for every affiliate X:
//
//	credit(X) + Adjusted(X) = credit(X) - reversal(X)
//
// where credit(X) is X's commission in the latest attribution (0 when X is
// not in it) and reversal(X) is the refunded share of credit(X): all of it
// when a refund was full or the refunds add up to at least NetAmount,
// else credit(X) * refunded / NetAmount rounded half to even. Reversals are
// computed from the cumulative refunds, not refund by refund, so rounding
// never accumulates, the total reversed never exceeds what was earned, and
// the refund that completes the order takes the remainder.
//
// Attribution records supersede by version (schemas.Attribution), so
// consumers count an order's latest commission plus its adjustments. A
// revision therefore withdraws the old affiliate's credit by itself; the
// ledger emits "revision" adjustments that bring each affiliate's sum to
// its new target: the old affiliate gets back the reversals it had (its
// net becomes 0) and the new one has the refunds so far applied.
type OrderLedger struct {
	Attribution *schemas.Attribution `json:"a,omitempty"`
	Refunds     []LedgerRefund       `json:"r,omitempty"`
	Adjusted    []Adjusted           `json:"d,omitempty"`
}

// Revise applies a new attribution version. An attribution with a version
// not above the current one is a duplicate or stale and changes nothing.
// The first attribution applies held refunds one by one (each adjustment
// names its refund); a later version emits one "revision" adjustment per
// affiliate whose sum changes. now is written as DecidedAt.
func Revise(l OrderLedger, a schemas.Attribution, now time.Time) ([]schemas.Adjustment, OrderLedger) {
	if l.Attribution != nil && a.Version <= l.Attribution.Version {
		return nil, l
	}
	l = l.clone()
	first := l.Attribution == nil
	// The ledger reads the credit (affiliate, code, commission, shares)
	// and the order's identity, currency and net amount: the touches and
	// reasons, most of an attribution's bytes, are not kept.
	a.Touches, a.Reasons = nil, nil
	l.Attribution = &a
	if !first {
		return l.settle(len(l.Refunds), nil, now), l
	}
	var out []schemas.Adjustment
	for i := range l.Refunds {
		out = append(out, l.settle(i+1, &l.Refunds[i], now)...)
	}
	return out, l
}

// Reverse applies a refund: the adjustments (negative amounts) that bring
// each credited affiliate's reversals to its share of the cumulative
// refunds. A refund id already seen changes nothing. Before the
// attribution arrives the refund is only held. A refund in another
// currency than the attribution's reverses only when Full (its amount is
// not comparable); the stage dead-letters a partial one (CheckRefund,
// ForeignRefunds) instead of applying it. now is written as DecidedAt.
func Reverse(l OrderLedger, r schemas.Refund, now time.Time) ([]schemas.Adjustment, OrderLedger) {
	if slices.ContainsFunc(l.Refunds, func(x LedgerRefund) bool { return x.RefundID == r.RefundID }) ||
		len(l.Refunds) >= MaxLedgerRefunds {
		return nil, l
	}
	l = l.clone()
	l.Refunds = append(l.Refunds, LedgerRefund{
		RefundID: r.RefundID, Amount: max(0, r.Amount), Full: r.Full, Currency: r.Currency, OccurredAt: r.OccurredAt.UTC(),
	})
	if l.Attribution == nil {
		return nil, l
	}
	return l.settle(len(l.Refunds), &l.Refunds[len(l.Refunds)-1], now), l
}

// ErrRefundCurrency is returned for a partial refund in another currency
// than its order: its amount cannot be compared with the order's, so it
// is dead-lettered with the reason rather than reversing nothing.
var ErrRefundCurrency = errors.New("attribution: partial refund in another currency than its order")

// CheckRefund returns an error wrapping ErrRefundCurrency when r is a
// partial refund in another currency than the ledger's attribution (nil
// before the attribution arrives: the refund is held, and ForeignRefunds
// names it once the attribution is known). A full refund reverses
// everything whatever its currency.
func (l OrderLedger) CheckRefund(r schemas.Refund) error {
	if l.Attribution == nil || r.Full || r.Currency == l.Attribution.Currency {
		return nil
	}
	return fmt.Errorf("%w: refund %s is in %s, order %s/%s/%s in %s", ErrRefundCurrency,
		r.RefundID, r.Currency, l.Attribution.Platform, l.Attribution.StoreID, l.Attribution.OrderID, l.Attribution.Currency)
}

// ForeignRefunds returns the held partial refunds in another currency
// than the attribution, each with the error CheckRefund gives for it: the
// first attribution of an order that was refunded before it was decided
// applies none of them.
func (l OrderLedger) ForeignRefunds() ([]LedgerRefund, []error) {
	if l.Attribution == nil {
		return nil, nil
	}
	var out []LedgerRefund
	var errs []error
	for _, r := range l.Refunds {
		if err := l.CheckRefund(schemas.Refund{RefundID: r.RefundID, Currency: r.Currency, Full: r.Full}); err != nil {
			out = append(out, r)
			errs = append(errs, err)
		}
	}
	return out, errs
}

// ledgerCredit is one affiliate's credit in the latest attribution.
type ledgerCredit struct {
	affiliate string
	code      *string
	amount    int64
}

func (l *OrderLedger) credits() []ledgerCredit {
	a := l.Attribution
	if len(a.Shares) > 0 {
		out := make([]ledgerCredit, 0, len(a.Shares))
		for _, s := range a.Shares {
			out = append(out, ledgerCredit{s.AffiliateID, s.Code, s.Commission})
		}
		return out
	}
	if a.AffiliateID == nil {
		return nil
	}
	return []ledgerCredit{{*a.AffiliateID, a.Code, a.Commission}}
}

// refunded returns whether the first n refunds reverse everything, and
// else the refunded amount (at most NetAmount).
func (l *OrderLedger) refunded(n int) (full bool, amount int64) {
	a := l.Attribution
	for _, r := range l.Refunds[:n] {
		if r.Full {
			return true, 0
		}
		if r.Currency != a.Currency {
			continue
		}
		amount += r.Amount
		if amount >= a.NetAmount && amount > 0 {
			return true, 0
		}
	}
	return false, amount
}

// settle brings every affiliate's adjusted sum to its target under the
// first n refunds, emitting the differences; trigger is the refund that
// caused it, nil for a revision.
func (l *OrderLedger) settle(n int, trigger *LedgerRefund, now time.Time) []schemas.Adjustment {
	a := l.Attribution
	full, amount := l.refunded(n)
	targets := map[string]int64{}
	codes := map[string]*string{}
	order := []string{}
	for _, c := range l.credits() {
		t := int64(0)
		switch {
		case c.amount <= 0:
		case full:
			t = -c.amount
		case a.NetAmount > 0:
			t = -MulDivHalfEven(c.amount, amount, a.NetAmount)
		}
		if _, dup := targets[c.affiliate]; !dup {
			order = append(order, c.affiliate)
		}
		targets[c.affiliate] += t
		codes[c.affiliate] = c.code
	}
	for _, x := range l.Adjusted {
		if _, ok := targets[x.AffiliateID]; !ok {
			targets[x.AffiliateID] = 0
			codes[x.AffiliateID] = x.Code
			order = append(order, x.AffiliateID)
		}
	}
	reason, trig := AdjustRevision, "revision"
	var refundID *string
	if trigger != nil {
		reason, trig = AdjustPartialRefund, "refund:"+trigger.RefundID
		if full {
			reason = AdjustRefund
		}
		refundID = ptr(trigger.RefundID)
	}
	var out []schemas.Adjustment
	for _, aff := range order {
		i := slices.IndexFunc(l.Adjusted, func(x Adjusted) bool { return x.AffiliateID == aff })
		if i < 0 {
			l.Adjusted = append(l.Adjusted, Adjusted{AffiliateID: aff, Code: codes[aff]})
			i = len(l.Adjusted) - 1
		}
		delta := targets[aff] - l.Adjusted[i].Sum
		if delta == 0 {
			continue
		}
		l.Adjusted[i].Sum += delta
		if codes[aff] != nil {
			l.Adjusted[i].Code = codes[aff]
		}
		occurred := a.OrderOccurredAt
		if trigger != nil {
			occurred = trigger.OccurredAt
		}
		out = append(out, schemas.Adjustment{
			EventID:            AdjustmentID(a.Platform, a.StoreID, a.OrderID, a.Version, trig, aff),
			OrderID:            a.OrderID,
			Platform:           a.Platform,
			StoreID:            a.StoreID,
			RefundID:           refundID,
			AffiliateID:        aff,
			Code:               l.Adjusted[i].Code,
			Amount:             delta,
			Currency:           a.Currency,
			Reason:             reason,
			AttributionVersion: a.Version,
			OccurredAt:         occurred,
			DecidedAt:          now,
		})
	}
	return out
}

// AdjustmentID is the deterministic event id of the adjustment to an
// affiliate caused by trigger ("refund:<id>" or "revision") under
// attribution version v.
func AdjustmentID(platform, storeID, orderID string, v int32, trigger, affiliateID string) string {
	return schemas.ID(platform, storeID, orderID, "adjustment", strconv.Itoa(int(v)), trigger, affiliateID)
}

func (l OrderLedger) clone() OrderLedger {
	return OrderLedger{Attribution: l.Attribution, Refunds: slices.Clone(l.Refunds), Adjusted: slices.Clone(l.Adjusted)}
}

// Marshal encodes the ledger for storage (binary; see codec.go).
func (l *OrderLedger) Marshal() ([]byte, error) {
	e := stateEnc{b: make([]byte, 0, 256)}
	e.b = append(e.b, formatBinary)
	e.boolean(l.Attribution != nil)
	if l.Attribution != nil {
		e.record(l.Attribution)
	}
	e.count(len(l.Refunds))
	for _, r := range l.Refunds {
		e.str(r.RefundID)
		e.varint(r.Amount)
		e.boolean(r.Full)
		e.str(r.Currency)
		e.time(r.OccurredAt)
	}
	e.count(len(l.Adjusted))
	for _, a := range l.Adjusted {
		e.str(a.AffiliateID)
		e.boolean(a.Code != nil)
		if a.Code != nil {
			e.str(*a.Code)
		}
		e.varint(a.Sum)
	}
	if e.err != nil {
		return nil, fmt.Errorf("encoding ledger: %w", e.err)
	}
	return e.b, nil
}

// UnmarshalOrderLedger decodes what OrderLedger.Marshal wrote (or the JSON
// of earlier versions).
func UnmarshalOrderLedger(data []byte) (OrderLedger, error) {
	var l OrderLedger
	if len(data) > 0 && data[0] == formatJSON {
		if err := json.Unmarshal(data, &l); err != nil {
			return OrderLedger{}, fmt.Errorf("%w: decoding ledger: %v", ErrCorrupt, err)
		}
	} else if err := l.decode(data); err != nil {
		return OrderLedger{}, fmt.Errorf("%w: decoding ledger: %v", ErrCorrupt, err)
	}
	if len(l.Refunds) > MaxLedgerRefunds || len(l.Adjusted) > MaxLedgerRefunds {
		return OrderLedger{}, fmt.Errorf("%w: ledger over its bounds", ErrCorrupt)
	}
	return l, nil
}

func (l *OrderLedger) decode(data []byte) error {
	d := stateDec{b: data}
	if f := d.format(); d.err == nil && f != formatBinary {
		return fmt.Errorf("unknown format byte %#x", f)
	}
	if d.boolean() {
		l.Attribution = new(schemas.Attribution)
		d.record(l.Attribution)
	}
	if n := d.count(MaxLedgerRefunds); n > 0 {
		l.Refunds = make([]LedgerRefund, n)
		for i := range l.Refunds {
			r := &l.Refunds[i]
			r.RefundID = d.str()
			r.Amount = d.varint()
			r.Full = d.boolean()
			r.Currency = d.str()
			r.OccurredAt = d.time()
		}
	}
	if n := d.count(MaxLedgerRefunds); n > 0 {
		l.Adjusted = make([]Adjusted, n)
		for i := range l.Adjusted {
			a := &l.Adjusted[i]
			a.AffiliateID = d.str()
			if d.boolean() {
				c := d.str()
				a.Code = &c
			}
			a.Sum = d.varint()
		}
	}
	return d.end()
}
