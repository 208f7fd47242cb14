package attribution

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/heldsway/heldsway/schemas"
)

// t0 is the origin scenario times are written against: at=-2h is two hours
// before it, and output times print as offsets ("T0-2h").
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// TestScenarios runs testdata/*: events in, records out. Regenerate the
// expected output with `go test ./pipeline/attribution -run TestScenarios -rewrite`.
//
// Commands (arguments are key=value; times are offsets from T0 or RFC 3339):
//
//	program            input: program.yaml (the default program until given)
//	code CODE aff=A [status=] [valid-from=] [valid-until=] [max-uses=] [once]
//	     [min-order=] [currency=] [first-order] [requires-click]
//	     [allowed=(B,C)] [commission=percent:1000|fixed:500:EUR[:months]]
//	click id= [aff=] [code=] at= [bot] [page=] [event=] [now=]
//	order id= at= [codes=(A,B)] [subtotal=10000] [discount=0] [currency=USD]
//	      [first=true|false] [applied-at=] [cycle=] [started=] [sub=] [event=] [now=]
//	                   cycle=, started= or sub= make it a subscription payment
//	                   (of subscription sub, default "sub")
//	resolve uses=N     resolves the last candidate (Resolve)
//	redeem             passes every candidate so far through stage 2's usage
//	                   step, as the processor does (see scenario.redeem), over
//	                   a real state store kept for the file (again: the earlier
//	                   ones are duplicates)
//	attribution [last] | [v= net= aff= commission=] | [v= net= shares=(A:600,B:400)]
//	                   feeds the ledger (last: the last resolved decision)
//	refund id= amount= [full] [currency=USD] [at=]
//	ledger             prints the ledger's sums per affiliate
//	reset              starts a new order ledger
//	reset-customer     forgets the customer
//	state              prints the customer's state
//
// The clock (processing time) only moves forward: now= sets it, otherwise
// each event moves it to the event's time when that is later.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if strings.HasSuffix(path, ".yaml") {
			return
		}
		if strings.Contains(filepath.ToSlash(path), "/fuzz/") {
			return // go test fuzz corpora, not scenarios
		}
		s := &scenario{prog: NewProgram(), registry: map[string]schemas.Code{}, clock: t0.Add(-48 * time.Hour), snaps: snapStore{}}
		s.attr = New(s.prog)
		s.attr.SetAffiliates(s.affiliates)
		s.openUsage = func() *storeState { return openStoreState(t) }
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return s.run(t, d)
		})
	})
}

type scenario struct {
	prog     *Program
	attr     *Attributor
	registry map[string]schemas.Code
	customer Customer
	// snaps holds the decided orders' snapshots: the customer is stored
	// and read back after every record, as the processor does.
	snaps snapStore
	clock time.Time
	cands []Candidate
	last  *Decision
	// usage is stage 2's usage state in a real state store, opened by
	// openUsage at the first redeem.
	usage     *storeState
	openUsage func() *storeState
	ledger    OrderLedger
}

// affiliates derives the affiliate lookup from the scenario's registry.
func (s *scenario) affiliates(aff string) (known, active bool) {
	for _, c := range s.registry {
		if c.AffiliateID == aff {
			known = true
			active = active || c.Status == "active"
		}
	}
	return known, active
}

func (s *scenario) lookup(code string) (schemas.Code, bool) {
	c, ok := s.registry[code]
	return c, ok
}

type args map[string][]string

func parseArgs(d *datadriven.TestData) args {
	a := args{}
	for _, c := range d.CmdArgs {
		a[c.Key] = c.Vals
	}
	return a
}

func (a args) str(t *testing.T, k, def string) string {
	v, ok := a[k]
	if !ok || len(v) == 0 {
		return def
	}
	if len(v) != 1 {
		t.Fatalf("%s: want one value, got %v", k, v)
	}
	return v[0]
}

func (a args) int(t *testing.T, k string, def int64) int64 {
	v := a.str(t, k, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return n
}

func (a args) has(k string) bool { _, ok := a[k]; return ok }

func (a args) time(t *testing.T, k string) *time.Time {
	v := a.str(t, k, "")
	if v == "" {
		return nil
	}
	tm := parseTime(t, v)
	return &tm
}

func parseTime(t *testing.T, v string) time.Time {
	if v == "0" {
		return t0
	}
	if d, err := time.ParseDuration(v); err == nil {
		return t0.Add(d)
	}
	tm, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t.Fatalf("time %q: %v", v, err)
	}
	return tm
}

func fmtTime(tm time.Time) string {
	d := tm.Sub(t0)
	switch {
	case d == 0:
		return "T0"
	case d > 0:
		return "T0+" + shortDur(d)
	}
	return "T0-" + shortDur(-d)
}

func shortDur(d time.Duration) string {
	s := d.String()
	s = strings.Replace(s, "m0s", "m", 1)
	s = strings.Replace(s, "h0m", "h", 1)
	return s
}

func (s *scenario) advance(t *testing.T, a args, event time.Time) {
	if n := a.time(t, "now"); n != nil {
		s.clock = *n
		return
	}
	if event.After(s.clock) {
		s.clock = event
	}
}

func (s *scenario) run(t *testing.T, d *datadriven.TestData) string {
	a := parseArgs(d)
	switch d.Cmd {
	case "program":
		p, err := Parse([]byte(d.Input))
		if err != nil {
			return "error: " + err.Error()
		}
		s.prog, s.attr = p, New(p)
		s.attr.SetAffiliates(s.affiliates)
		return "ok"
	case "code":
		s.registry[d.CmdArgs[0].Key] = codeFromArgs(t, d.CmdArgs[0].Key, a)
		return "ok"
	case "click":
		at := parseTime(t, a.str(t, "at", "0"))
		s.advance(t, a, at)
		c := schemas.Click{
			EventID: a.str(t, "event", "ev-"+a.str(t, "id", "")), ClickID: a.str(t, "id", ""),
			OccurredAt: at, IsBot: a.has("bot"),
		}
		if v := a.str(t, "aff", ""); v != "" {
			c.AffiliateID = &v
		}
		if v := a.str(t, "code", ""); v != "" {
			c.Code = &v
		}
		if v := a.str(t, "page", ""); v != "" {
			c.PageType = &v
		}
		dup := s.customer.seen(c.EventID) || containsClick(s.customer.Clicks, c.ClickID)
		revs, err := s.attr.Click(&s.customer, c, s.lookup, s.clock)
		if err != nil {
			d.Fatalf(t, "click: %v", err)
		}
		s.customer = s.snaps.store(t, &s.customer)
		var b strings.Builder
		if dup {
			b.WriteString("duplicate\n")
		}
		for _, r := range revs {
			s.cands = append(s.cands, r)
			b.WriteString(fmtCandidate(r))
		}
		if b.Len() == 0 {
			return "ok"
		}
		return b.String()
	case "order":
		at := parseTime(t, a.str(t, "at", "0"))
		s.advance(t, a, at)
		o := schemas.Order{
			EventID: a.str(t, "event", "ev-"+a.str(t, "id", "")), OrderID: a.str(t, "id", ""),
			Platform: "shopify", StoreID: "shop", Currency: a.str(t, "currency", "USD"),
			Subtotal: a.int(t, "subtotal", 10000), Discount: a.int(t, "discount", 0),
			OccurredAt: at, Customer: schemas.Customer{Key: "cust"},
		}
		o.Total = o.Subtotal - o.Discount
		for _, c := range a["codes"] {
			o.Codes = append(o.Codes, schemas.AppliedCode{Code: c})
		}
		if v := a.str(t, "first", ""); v != "" {
			b := v == "true"
			o.Customer.FirstOrder = &b
		}
		o.CodeAppliedAt = a.time(t, "applied-at")
		if a.has("cycle") || a.has("started") || a.has("sub") {
			o.Subscription = &schemas.Subscription{ID: a.str(t, "sub", "sub"), Cycle: int32(a.int(t, "cycle", 0)), StartedAt: a.time(t, "started")}
		}
		c, ok, err := s.attr.Order(&s.customer, o, s.lookup, s.clock)
		if err != nil {
			d.Fatalf(t, "order: %v", err)
		}
		s.customer = s.snaps.store(t, &s.customer)
		if !ok {
			if err := s.attr.Unapplied(&s.customer, o, s.clock); err != nil {
				return "error: " + err.Error()
			}
			return "duplicate"
		}
		s.cands = append(s.cands, c)
		return fmtCandidate(c)
	case "resolve":
		if len(s.cands) == 0 {
			d.Fatalf(t, "no candidate")
		}
		dec, consumed := Resolve(s.cands[len(s.cands)-1], a.int(t, "uses", 0))
		s.last = &dec
		return fmt.Sprintf("consumed=%v\n%s", consumed, fmtDecision("", dec))
	case "redeem":
		if s.usage == nil {
			s.usage = s.openUsage()
		}
		var b strings.Builder
		for _, c := range s.cands {
			dec, ok, uses := s.redeem(t, c)
			if !ok {
				fmt.Fprintf(&b, "%s v%d: duplicate\n", c.Fallback.Attribution.OrderID, c.Version)
				continue
			}
			s.last = &dec
			fmt.Fprintf(&b, "%s v%d: uses=%d %s\n", c.Fallback.Attribution.OrderID, c.Version, uses, summary(dec.Attribution))
		}
		return b.String()
	case "attribution":
		var att schemas.Attribution
		if a.has("last") {
			att = s.last.Attribution
		} else {
			att = schemas.Attribution{
				OrderID: "o1", Platform: "shopify", StoreID: "shop", Version: int32(a.int(t, "v", 1)),
				Currency: "USD", NetAmount: a.int(t, "net", 10000), Status: StatusApproved, OrderOccurredAt: t0,
			}
			if aff := a.str(t, "aff", ""); aff != "" {
				att.AffiliateID = &aff
				att.Commission = a.int(t, "commission", 0)
			}
			for _, sh := range a["shares"] {
				aff, amt, _ := strings.Cut(sh, ":")
				n, _ := strconv.ParseInt(amt, 10, 64)
				att.Shares = append(att.Shares, schemas.Share{AffiliateID: aff, Commission: n})
				att.Commission += n
			}
		}
		adjs, l := Revise(s.ledger, att, s.clock)
		s.ledger = l
		return fmtAdjustments(adjs)
	case "refund":
		r := schemas.Refund{
			RefundID: a.str(t, "id", ""), OrderID: "o1", Amount: a.int(t, "amount", 0), Full: a.has("full"),
			Currency: a.str(t, "currency", "USD"), OccurredAt: parseTime(t, a.str(t, "at", "0")),
		}
		adjs, l := Reverse(s.ledger, r, s.clock)
		s.ledger = l
		return fmtAdjustments(adjs)
	case "reset-customer":
		s.customer, s.snaps = Customer{}, snapStore{}
		return "ok"
	case "reset":
		s.ledger = OrderLedger{}
		return "ok"
	case "ledger":
		var b strings.Builder
		if s.ledger.Attribution != nil {
			fmt.Fprintf(&b, "attribution v%d commission=%d net=%d\n", s.ledger.Attribution.Version, s.ledger.Attribution.Commission, s.ledger.Attribution.NetAmount)
		}
		for _, r := range s.ledger.Refunds {
			fmt.Fprintf(&b, "refund %s amount=%d full=%v %s\n", r.RefundID, r.Amount, r.Full, r.Currency)
		}
		for _, x := range s.ledger.Adjusted {
			fmt.Fprintf(&b, "adjusted %s sum=%d\n", x.AffiliateID, x.Sum)
		}
		return b.String()
	case "state":
		var b strings.Builder
		for _, c := range s.customer.Clicks {
			fmt.Fprintf(&b, "click %s aff=%s at=%s bot=%v\n", c.ClickID, c.AffiliateID, fmtTime(c.At), c.Bot)
		}
		fmt.Fprintf(&b, "orders=%d redeemed=%v recent=%d seen=%d\n", s.customer.OrdersSeen, s.customer.Redeemed, len(s.customer.Recent), len(s.customer.Seen))
		for _, sub := range s.customer.Subscriptions {
			fmt.Fprintf(&b, "subscription %s start=%s\n", sub.ID, fmtTime(sub.Start))
		}
		return b.String()
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}

func containsClick(cs []ClickTouch, id string) bool {
	for _, c := range cs {
		if c.ClickID == id {
			return true
		}
	}
	return false
}

func codeFromArgs(t *testing.T, code string, a args) schemas.Code {
	c := schemas.Code{
		Code: code, DisplayCode: code, AffiliateID: a.str(t, "aff", ""), Status: a.str(t, "status", "active"),
		ValidFrom: a.time(t, "valid-from"), ValidUntil: a.time(t, "valid-until"),
		OncePerCustomer: a.has("once"), FirstOrderOnly: a.has("first-order"), RequiresClick: a.has("requires-click"),
		AllowedAffiliates: a["allowed"],
	}
	if a.has("max-uses") {
		n := a.int(t, "max-uses", 0)
		c.MaxUses = &n
	}
	if a.has("min-order") {
		n := a.int(t, "min-order", 0)
		c.MinOrder = &n
	}
	if v := a.str(t, "currency", ""); v != "" {
		c.Currency = &v
	}
	if v := a["commission"]; len(v) > 0 {
		parts := strings.Split(v[0], ":")
		r := schemas.CommissionRule{Type: parts[0]}
		r.Value, _ = strconv.ParseInt(parts[1], 10, 64)
		if len(parts) > 2 && parts[2] != "" {
			r.Currency = &parts[2]
		}
		if len(parts) > 3 {
			m, _ := strconv.Atoi(parts[3])
			r.RecurringMonths = int32(m)
		}
		c.Commission = &r
	}
	return c
}

func fmtCandidate(c Candidate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "candidate %s v%d", c.Fallback.Attribution.OrderID, c.Version)
	if c.Code != "" {
		fmt.Fprintf(&b, " code=%s owner=%s clicked=%v", c.Code, c.AffiliateID, c.AffiliateClicked)
		if c.MaxUses != nil {
			fmt.Fprintf(&b, " max-uses=%d", *c.MaxUses)
		}
	}
	b.WriteString("\n")
	if c.WithCode != nil {
		b.WriteString(fmtDecision("with-code: ", *c.WithCode))
		b.WriteString(fmtDecision("fallback: ", c.Fallback))
	} else {
		b.WriteString(fmtDecision("", c.Fallback))
	}
	return b.String()
}

func summary(a schemas.Attribution) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s rule=%s method=%s", a.Status, a.Rule, a.Method)
	if a.AffiliateID != nil {
		fmt.Fprintf(&b, " aff=%s", *a.AffiliateID)
	}
	if a.Code != nil {
		fmt.Fprintf(&b, " code=%s", *a.Code)
	}
	if a.ClickID != nil {
		fmt.Fprintf(&b, " click=%s", *a.ClickID)
	}
	fmt.Fprintf(&b, " net=%d commission=%d", a.NetAmount, a.Commission)
	return b.String()
}

func fmtDecision(prefix string, d Decision) string {
	var b strings.Builder
	a := d.Attribution
	fmt.Fprintf(&b, "%s%s\n", prefix, summary(a))
	if len(a.Reasons) > 0 {
		fmt.Fprintf(&b, "  reasons: %s\n", strings.Join(a.Reasons, ", "))
	}
	for _, s := range a.Shares {
		fmt.Fprintf(&b, "  share %s weight=%d commission=%d", s.AffiliateID, s.WeightBP, s.Commission)
		if s.Code != nil {
			fmt.Fprintf(&b, " code=%s", *s.Code)
		}
		if s.ClickID != nil {
			fmt.Fprintf(&b, " click=%s", *s.ClickID)
		}
		b.WriteString("\n")
	}
	for _, t := range a.Touches {
		id := deref(t.Code)
		if t.Kind == "click" {
			id = deref(t.ClickID)
		}
		fmt.Fprintf(&b, "  touch %s %s aff=%s at=%s", t.Kind, id, deref(t.AffiliateID), fmtTime(t.At))
		if t.Qualified {
			b.WriteString(" qualified")
		}
		if t.Won {
			b.WriteString(" won")
		}
		if t.Reason != nil {
			fmt.Fprintf(&b, " (%s)", *t.Reason)
		}
		b.WriteString("\n")
	}
	for _, f := range d.Flags {
		fmt.Fprintf(&b, "  flag %s %s", f.Type, f.Severity)
		keys := make([]string, 0, len(f.Evidence))
		for k := range f.Evidence {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, f.Evidence[k])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func fmtAdjustments(adjs []schemas.Adjustment) string {
	if len(adjs) == 0 {
		return "no adjustments"
	}
	var b strings.Builder
	for _, x := range adjs {
		fmt.Fprintf(&b, "adjustment %s amount=%d reason=%s v%d", x.AffiliateID, x.Amount, x.Reason, x.AttributionVersion)
		if x.RefundID != nil {
			fmt.Fprintf(&b, " refund=%s", *x.RefundID)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// redeem is the processor's path for candidate c, in one transaction on
// the scenario's state store: a candidate stage 1 publishes itself (no
// valid code, or a code without a usage limit) counts a use of its code at
// its first version (CodeUsage.Count, the processor's observe); any other
// goes through CodeUsage.Resolve (its redeem). uses is the code's count
// after it.
func (s *scenario) redeem(t *testing.T, c Candidate) (d Decision, ok bool, uses int64) {
	t.Helper()
	s.usage.begin()
	defer s.usage.commit(t)
	u := CodeUsage{State: s.usage}
	var err error
	if final, isFinal := c.Final(); isFinal {
		d, ok = final, true
		if c.Code != "" && c.Version == 1 {
			err = u.Count(c.Code)
		}
	} else {
		d, ok, err = u.Resolve(c)
	}
	if err != nil {
		t.Fatalf("redeeming %s v%d: %v", c.OrderKey, c.Version, err)
	}
	cnt, err := u.Counter(c.Code)
	if err != nil {
		t.Fatalf("reading the usage of %q: %v", c.Code, err)
	}
	return d, ok, cnt.Uses
}
