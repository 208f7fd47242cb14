package world

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Rules the oracle knows, in the order of Outcome indexes.
var Rules = []string{"coupon_priority", "click_priority", "last_touch", "first_touch"}

// RuleIndex returns the index of rule in Rules, or -1.
func RuleIndex(rule string) int { return slices.Index(Rules, rule) }

// Methods of an expected outcome, as in Attribution.method.
const (
	MethodNone  = "none"
	MethodCode  = "code"
	MethodClick = "click"
	// MethodSubscription: a renewal without a code, credited to the
	// affiliate that earned its subscription's first payment.
	MethodSubscription = "subscription"
)

// Outcome is who should be credited for an order and what they earn.
type Outcome struct {
	Affiliate  string // empty for none
	Method     string
	Commission int64
}

// OracleConfig is the program the processor runs, as the oracle needs it.
type OracleConfig struct {
	// Window is the attribution window. Default 720h.
	Window time.Duration
	// DefaultCommission is the program's commission when the credited
	// affiliate does not own the order's code.
	DefaultCommission schemas.CommissionRule
	// InjectionThreshold is the click_injection threshold. Default 10s.
	InjectionThreshold time.Duration
}

type click struct {
	at  int64 // unix ms
	aff int32
}

// subCredit is who earned a subscription's first payment under each rule
// (affiliate index, -1 for nobody).
type subCredit [4]int32

type expect struct {
	label    Label
	net      int64
	want     [4]Outcome
	refunded int64
	full     bool
	code     string
	at       int64
}

// Oracle computes the expected outputs of the events it observes.
type Oracle struct {
	cfg     OracleConfig
	affs    []Affiliate
	affIdx  map[string]int32
	codes   map[string]int32 // code -> affiliate index
	clicks  map[string][]click
	orders  []*expect // by order number (o%09d)
	leakAt  map[string]int64
	subs    map[string]subCredit // subscription id -> first payment's credit
	labels  [4]int
	maxSeen int64
}

// NewOracle returns an oracle over the generator's affiliates.
func NewOracle(affs []Affiliate, cfg OracleConfig) *Oracle {
	if cfg.Window == 0 {
		cfg.Window = 720 * time.Hour
	}
	if cfg.InjectionThreshold == 0 {
		cfg.InjectionThreshold = 10 * time.Second
	}
	o := &Oracle{cfg: cfg, affs: affs, affIdx: map[string]int32{}, codes: map[string]int32{}, clicks: map[string][]click{}, leakAt: map[string]int64{},
		subs: map[string]subCredit{}}
	for i, a := range affs {
		o.affIdx[a.ID] = int32(i)
		o.codes[a.Code.Code] = int32(i)
	}
	return o
}

func orderNumber(id string) (int, bool) {
	if len(id) < 2 || id[0] != 'o' {
		return 0, false
	}
	n, err := strconv.Atoi(id[1:])
	return n, err == nil && n > 0
}

// Observe feeds one generated event, in the generator's order.
func (o *Oracle) Observe(e *Event) {
	ms := e.At.UnixMilli()
	o.maxSeen = max(o.maxSeen, ms)
	switch e.Kind {
	case KindClick:
		c := e.Click
		if c.IsBot || c.AffiliateID == nil {
			return // bots never qualify
		}
		// A click through the link of a code that is not active and valid
		// at the click, or of a partner that left the program, never
		// qualifies (link_code_*, affiliate_inactive). Every partner has
		// one code, which its links carry.
		if a := &o.affs[o.affIdx[*c.AffiliateID]]; !a.Usable(c.OccurredAt) {
			return
		}
		cs := o.clicks[e.Key]
		// Drop what no later order can use, to bound memory.
		horizon := ms - (o.cfg.Window + 24*time.Hour).Milliseconds()
		i := 0
		for i < len(cs) && cs[i].at < horizon {
			i++
		}
		o.clicks[e.Key] = append(cs[i:], click{at: c.OccurredAt.UnixMilli(), aff: o.affIdx[*c.AffiliateID]})
	case KindOrder:
		n, ok := orderNumber(e.Order.OrderID)
		if !ok {
			return
		}
		for len(o.orders) <= n {
			o.orders = append(o.orders, nil)
		}
		if o.orders[n] != nil {
			return // a redelivery
		}
		x := o.expect(e)
		o.orders[n] = x
		o.labels[x.label]++
		if x.label == LabelLeak {
			if t, ok := o.leakAt[x.code]; !ok || x.at < t {
				o.leakAt[x.code] = x.at
			}
		}
	case KindRefund:
		n, ok := orderNumber(e.Refund.OrderID)
		if !ok || n >= len(o.orders) || o.orders[n] == nil {
			return
		}
		x := o.orders[n]
		x.refunded += e.Refund.Amount
		x.full = x.full || e.Refund.Full || x.refunded >= x.net
	}
}

// expect evaluates every rule for an order from the customer's clicks.
func (o *Oracle) expect(e *Event) *expect {
	ord := e.Order
	at := ord.OccurredAt.UnixMilli()
	x := &expect{label: e.Label, net: max(0, ord.Subtotal-ord.Discount), at: at}
	code, owner := "", int32(-1)
	if len(ord.Codes) > 0 {
		if a, ok := o.codes[ord.Codes[0].Code]; ok && o.affs[a].Usable(ord.OccurredAt) {
			code, owner = ord.Codes[0].Code, a
		}
	}
	// A renewal without a code is credited to whoever earned its
	// subscription's first payment, under each rule.
	var standing *subCredit
	if s := ord.Subscription; s != nil && len(ord.Codes) == 0 {
		if sc, ok := o.subs[s.ID]; ok {
			standing = &sc
		}
	}
	x.code = code
	codeAt := at
	if ord.CodeAppliedAt != nil {
		codeAt = ord.CodeAppliedAt.UnixMilli()
	}
	var q []click // qualifying: not after the order, at most the window old
	for _, c := range o.clicks[e.Key] {
		if c.at <= at && at-c.at <= o.cfg.Window.Milliseconds() {
			q = append(q, c)
		}
	}
	slices.SortStableFunc(q, func(a, b click) int { return int(a.at - b.at) })
	byCode := func() (int32, string) { return owner, MethodCode }
	for ri := range Rules {
		aff, method := int32(-1), MethodNone
		switch {
		case len(q) == 0 && owner >= 0:
			aff, method = byCode()
		case len(q) == 0:
		case Rules[ri] == "coupon_priority" && owner >= 0:
			aff, method = byCode()
		case Rules[ri] == "last_touch" && owner >= 0 && codeAt >= q[len(q)-1].at:
			aff, method = byCode()
		case Rules[ri] == "first_touch":
			aff, method = q[0].aff, MethodClick
		default:
			aff, method = q[len(q)-1].aff, MethodClick
		}
		if standing != nil {
			aff, method = standing[ri], MethodSubscription
			if aff < 0 {
				aff, method = -1, MethodNone
			}
		}
		out := Outcome{Method: method}
		if aff >= 0 {
			out.Affiliate = o.affs[aff].ID
			// The affiliate earns by its code's rule whether credited
			// through the code or through a click on its link (every
			// partner's clicks carry its own code); a podcast has no
			// clicks but bots, so a click credit always has a code.
			rule := o.cfg.DefaultCommission
			if o.affs[aff].Code.Commission != nil {
				rule = *o.affs[aff].Code.Commission
			}
			out.Commission = commission(rule, x.net, ord.Subscription)
		}
		x.want[ri] = out
	}
	if s := ord.Subscription; s != nil && s.Cycle == 1 {
		var sc subCredit
		for ri := range Rules {
			sc[ri] = o.affIdx[x.want[ri].Affiliate]
			if x.want[ri].Affiliate == "" {
				sc[ri] = -1
			}
		}
		o.subs[s.ID] = sc
	}
	return x
}

// commission is rule applied to net, independently of package
// attribution: basis points rounded half to even; a subscription payment
// earns while its cycle is within the rule's recurring months (the first
// payment only when 0).
func commission(rule schemas.CommissionRule, net int64, sub *schemas.Subscription) int64 {
	if sub != nil && sub.Cycle > 0 {
		if rule.RecurringMonths <= 0 && sub.Cycle != 1 || rule.RecurringMonths > 0 && sub.Cycle > rule.RecurringMonths {
			return 0
		}
	}
	if rule.Type != "percent" {
		return rule.Value
	}
	return halfEven(net*rule.Value, 10000)
}

// halfEven is a/d rounded half to even, for a >= 0, d > 0.
func halfEven(a, d int64) int64 {
	q, r := a/d, a%d
	if 2*r > d || 2*r == d && q%2 == 1 {
		q++
	}
	return q
}

// Got is what the pipeline published for one order: its latest
// attribution and the sum of its adjustments.
type Got struct {
	Affiliate  string
	Method     string
	Commission int64
	Adjusted   int64
	Version    int32
	// Reasons of the latest attribution: "flag:<type>" marks the order
	// held for a fraud pattern. Flags published for a version a late click
	// later superseded stay on the flags topic as evidence, but payout
	// systems act on the latest attribution, and so does the score.
	Reasons []string
}

// Observed is the pipeline's output, collected by the harness.
type Observed struct {
	Orders map[string]*Got
	Flags  []schemas.Flag
}

// Mismatch is one order whose attribution differs from the truth.
type Mismatch struct {
	OrderID string  `json:"order_id"`
	Label   string  `json:"label"`
	Want    Outcome `json:"want"`
	Got     *Got    `json:"got"`
}

// FraudScore is precision and recall of one fraud pattern.
type FraudScore struct {
	Pattern   string  `json:"pattern"`
	FlagType  string  `json:"flag_type"`
	Labelled  int     `json:"labelled"`
	Flagged   int     `json:"flagged"`
	TruePos   int     `json:"true_positives"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// LeakScore is how quickly a leaked code was flagged.
type LeakScore struct {
	Code string `json:"code"`
	// Detected is false when no code_leak flag followed the leak.
	Detected bool `json:"detected"`
	// EventDelay is the event time from the first leaked redemption to
	// the redemption that raised the flag.
	EventDelay time.Duration `json:"event_delay_ns"`
	// Redemptions is how many leaked redemptions happened until then.
	Redemptions int `json:"redemptions_until_flag"`
}

// Score is the comparison of one run with the truth.
type Score struct {
	Rule             string       `json:"rule"`
	Orders           int          `json:"orders"`
	NonFraud         int          `json:"non_fraud_orders"`
	Correct          int          `json:"correct"`
	Missing          int          `json:"missing"`
	Accuracy         float64      `json:"accuracy"`
	PayableChecked   int          `json:"payable_checked"`
	PayableCorrect   int          `json:"payable_correct"`
	Mismatches       []Mismatch   `json:"mismatches,omitempty"`
	Fraud            []FraudScore `json:"fraud"`
	Leaks            []LeakScore  `json:"leaks"`
	ExtraAttribution int          `json:"attributions_for_unknown_orders"`
}

// Score compares a run under rule with the truth. Accuracy counts the
// non-fraud orders whose latest attribution credits the expected affiliate
// (or none) with the expected commission.
func (o *Oracle) Score(rule string, obs Observed) (Score, error) {
	ri := RuleIndex(rule)
	if ri < 0 {
		return Score{}, fmt.Errorf("world: the oracle does not know rule %q", rule)
	}
	s := Score{Rule: rule}
	flagged := map[string]map[string]bool{} // type -> order id
	var leakFlags []schemas.Flag
	for _, f := range obs.Flags {
		if f.Type == "code_leak" {
			leakFlags = append(leakFlags, f)
		}
	}
	for id, g := range obs.Orders {
		for _, r := range g.Reasons {
			if t, ok := strings.CutPrefix(r, "flag:"); ok && t != "code_leak" {
				if flagged[t] == nil {
					flagged[t] = map[string]bool{}
				}
				flagged[t][id] = true
			}
		}
	}
	labelledOrders := map[Label]map[string]bool{LabelStuffing: {}, LabelInjection: {}}
	for n, x := range o.orders {
		if x == nil {
			continue
		}
		id := fmt.Sprintf("o%09d", n)
		s.Orders++
		if m := labelledOrders[x.label]; m != nil {
			m[id] = true
		}
		if x.label != LabelNone {
			continue
		}
		s.NonFraud++
		want := x.want[ri]
		got := obs.Orders[id]
		switch {
		case got == nil:
			s.Missing++
			if len(s.Mismatches) < 10 {
				s.Mismatches = append(s.Mismatches, Mismatch{OrderID: id, Label: x.label.String(), Want: want})
			}
			continue
		case got.Affiliate == want.Affiliate && got.Commission == want.Commission && (got.Method == MethodNone) == (want.Method == MethodNone):
			// When a click and the code of the same affiliate compete, the
			// method is a matter of presentation: who earns what is the truth.
			s.Correct++
		default:
			if len(s.Mismatches) < 10 {
				s.Mismatches = append(s.Mismatches, Mismatch{OrderID: id, Label: x.label.String(), Want: want, Got: got})
			}
			continue
		}
		if x.refunded > 0 {
			s.PayableChecked++
			wantAdj := int64(0)
			switch {
			case want.Commission == 0:
			case x.full:
				wantAdj = -want.Commission
			default:
				wantAdj = -halfEven(want.Commission*x.refunded, x.net)
			}
			if got.Adjusted == wantAdj {
				s.PayableCorrect++
			}
		}
	}
	for id := range obs.Orders {
		if n, ok := orderNumber(id); !ok || n >= len(o.orders) || o.orders[n] == nil {
			s.ExtraAttribution++
		}
	}
	if s.NonFraud > 0 {
		s.Accuracy = float64(s.Correct) / float64(s.NonFraud)
	}
	for _, p := range []struct {
		label Label
		typ   string
	}{{LabelStuffing, "code_without_click"}, {LabelInjection, "click_injection"}} {
		fs := FraudScore{Pattern: p.label.String(), FlagType: p.typ, Labelled: len(labelledOrders[p.label]), Flagged: len(flagged[p.typ])}
		for id := range flagged[p.typ] {
			if labelledOrders[p.label][id] {
				fs.TruePos++
			}
		}
		fs.Precision, fs.Recall = ratio(fs.TruePos, fs.Flagged), ratio(fs.TruePos, fs.Labelled)
		s.Fraud = append(s.Fraud, fs)
	}
	leak := FraudScore{Pattern: LabelLeak.String(), FlagType: "code_leak", Labelled: len(o.leakAt), Flagged: len(leakFlags)}
	codes := make([]string, 0, len(o.leakAt))
	for c := range o.leakAt {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, f := range leakFlags {
		if f.Code == nil {
			continue
		}
		if start, ok := o.leakAt[*f.Code]; ok && f.OccurredAt.UnixMilli() >= start {
			leak.TruePos++
		}
	}
	for _, c := range codes {
		start := o.leakAt[c]
		ls := LeakScore{Code: c}
		first := int64(-1)
		for _, f := range leakFlags {
			if f.Code != nil && *f.Code == c && f.OccurredAt.UnixMilli() >= start && (first < 0 || f.OccurredAt.UnixMilli() < first) {
				first = f.OccurredAt.UnixMilli()
			}
		}
		if first >= 0 {
			ls.Detected = true
			ls.EventDelay = time.Duration(first-start) * time.Millisecond
			for _, x := range o.orders {
				if x != nil && x.label == LabelLeak && x.code == c && x.at <= first {
					ls.Redemptions++
				}
			}
		}
		s.Leaks = append(s.Leaks, ls)
	}
	detected := 0
	for _, l := range s.Leaks {
		if l.Detected {
			detected++
		}
	}
	leak.Precision, leak.Recall = ratio(leak.TruePos, leak.Flagged), ratio(detected, leak.Labelled)
	s.Fraud = append(s.Fraud, leak)
	return s, nil
}

// Labelled returns how many distinct orders carry each label.
func (o *Oracle) Labelled() map[string]int {
	out := map[string]int{}
	for l, n := range o.labels {
		out[Label(l).String()] = n
	}
	return out
}

// Expected returns the expected outcome of an order under rule.
func (o *Oracle) Expected(orderID, rule string) (Outcome, Label, bool) {
	n, ok := orderNumber(orderID)
	ri := RuleIndex(rule)
	if !ok || ri < 0 || n >= len(o.orders) || o.orders[n] == nil {
		return Outcome{}, 0, false
	}
	return o.orders[n].want[ri], o.orders[n].label, true
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
