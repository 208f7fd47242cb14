package attribution

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// marshal is what Customer.Marshal wrote before the hot/cold split
// (format 0x02), kept to test the upgrade.
func (c *legacyCustomer) marshal(t testing.TB) []byte {
	e := stateEnc{b: []byte{formatBinary}}
	e.count(len(c.Clicks))
	for _, x := range c.Clicks {
		e.str(x.EventID)
		e.str(x.ClickID)
		e.str(x.AffiliateID)
		e.str(x.Code)
		e.time(x.At)
		e.boolean(x.Bot)
		e.str(x.PageType)
		e.boolean(x.NotAllowed)
		e.time(x.Seen)
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
	if len(c.Subscriptions) > 0 || !c.ForgotClicksUntil.IsZero() {
		e.count(len(c.Subscriptions))
		for _, s := range c.Subscriptions {
			e.str(s.ID)
			e.time(s.Start)
		}
	}
	if !c.ForgotClicksUntil.IsZero() {
		e.time(c.ForgotClicksUntil)
	}
	if e.err != nil {
		t.Fatal(e.err)
	}
	return e.b
}

const legacyOrderID = "order-0123456789abcdef"

// legacySeed is a customer as the version before the hot/cold split kept
// it, with a decided order a late click revises.
func legacySeed() (legacyCustomer, schemas.Code) {
	code := schemas.Code{Code: "C", AffiliateID: "x", Status: "active"}
	o := schemas.Order{EventID: "e3", OrderID: legacyOrderID, Platform: "p", StoreID: "s", Currency: "USD", Subtotal: 1000, Total: 1000,
		Customer: schemas.Customer{Key: "cust"}, OccurredAt: t0}
	return legacyCustomer{
		Clicks: []legacyClick{
			{EventID: "e1", ClickID: "k1", AffiliateID: "y", At: t0.Add(-time.Hour), PageType: "cart", Seen: t0.Add(-time.Hour)},
			{EventID: "e2", ClickID: "k2", Code: "C", AffiliateID: "x", Bot: true, At: t0.Add(-time.Minute), Seen: t0},
		},
		Orders:        []legacyPastOrder{{Key: OrderKey("p", "s", legacyOrderID), At: t0}},
		OrdersSeen:    1,
		Redeemed:      []string{"C"},
		Recent:        []legacyDecided{{Order: o, Version: 1, DecidedAt: t0, Digest: "unattributed|none||||0"}},
		Seen:          []string{"e1", "e2", "e3"},
		Subscriptions: []SubscriptionStart{{ID: "sub_1", Start: t0.Add(-24 * time.Hour)}},
	}, code
}

// TestLegacyCustomerUpgrade: a customer stored as JSON or in binary format
// 0x02 (decided orders whole) decodes to the same state; its decided
// orders' snapshots are written apart on the next store, and a late click
// read after the upgrade revises an order decided before it.
func TestLegacyCustomerUpgrade(t *testing.T) {
	l, code := legacySeed()
	asJSON, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	asBinary := l.marshal(t)
	fromJSON, err := UnmarshalCustomer(asJSON)
	if err != nil {
		t.Fatal(err)
	}
	fromBinary, err := UnmarshalCustomer(asBinary)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromBinary) {
		t.Fatalf("JSON and binary decode differently:\n%+v\n%+v", fromJSON, fromBinary)
	}
	st := fromBinary
	if len(st.Orders) != 1 || st.Orders[0].Key != KeyHash(OrderKey("p", "s", legacyOrderID)) || len(st.Seen) != 3 || !st.seen("e2") {
		t.Fatalf("ids not carried over as hashes: %+v", st)
	}
	snaps := snapStore{}
	st = snaps.store(t, &st)
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots written on the first store, want 1", len(snaps))
	}
	a := New(NewProgram())
	lookup := func(c string) (schemas.Code, bool) { return code, c == code.Code }
	// A click before the order, read within the grace period: the order,
	// unattributed when decided, is credited to the click's affiliate.
	revs, err := a.Click(&st, schemas.Click{EventID: "e9", ClickID: "k9", AffiliateID: ptr("z"), OccurredAt: t0.Add(-30 * time.Minute)}, lookup, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 1 || revs[0].Version != 2 || deref(revs[0].Fallback.Attribution.AffiliateID) != "z" {
		t.Fatalf("revisions %+v, want version 2 of o credited to z", revs)
	}
	// The first binary version wrote customers without subscriptions: such
	// a value is a prefix of the 0x02 value, and decodes with none.
	noSubs := l
	noSubs.Subscriptions = nil
	v1 := noSubs.marshal(t)
	if !bytes.HasPrefix(asBinary, v1) {
		t.Fatal("the value without subscriptions is not a prefix")
	}
	for n := range asBinary {
		c, err := UnmarshalCustomer(asBinary[:n])
		switch {
		case n == len(v1) && (err != nil || c.Subscriptions != nil):
			t.Fatalf("the first binary version's value: %v, %+v", err, c.Subscriptions)
		case n != len(v1) && err == nil:
			t.Fatalf("a truncation to %d bytes decoded", n)
		}
	}
}

// TestCustomerCodec: the hot value round-trips, encodes stably, holds no
// decided order's snapshot, and every truncation is refused.
func TestCustomerCodec(t *testing.T) {
	st, _, _, _ := seedState(t)
	b := mustMarshal(t, st.Marshal)
	if b[0] != formatCustomer {
		t.Fatalf("format %#x", b[0])
	}
	back, err := UnmarshalCustomer(b)
	if err != nil {
		t.Fatal(err)
	}
	if b2 := mustMarshal(t, back.Marshal); !bytes.Equal(b, b2) {
		t.Fatalf("unstable encoding:\n%x\n%x", b, b2)
	}
	st.snaps, back.snaps = nil, nil
	for i := range st.Recent {
		st.Recent[i].snap, st.Recent[i].dirty = nil, false
	}
	if !reflect.DeepEqual(st, back) {
		t.Fatalf("round trip changed the value:\n%+v\n%+v", st, back)
	}
	for n := range b {
		if _, err := UnmarshalCustomer(b[:n]); err == nil {
			t.Fatalf("a truncation to %d bytes decoded", n)
		}
	}
	l, _ := legacySeed()
	upgraded, err := UnmarshalCustomer(l.marshal(t))
	if err != nil {
		t.Fatal(err)
	}
	// The hot value keeps ids as hashes and no order snapshot.
	if hot := mustMarshal(t, upgraded.Marshal); bytes.Contains(hot, []byte(legacyOrderID)) || bytes.Contains(hot, []byte("USD")) {
		t.Fatalf("hot value %q holds the decided order", hot)
	}
}

// TestSnapshotMissing: a late click that needs a snapshot the store lacks
// is an error, not a silent no-revision.
func TestSnapshotMissing(t *testing.T) {
	a := New(NewProgram())
	var st Customer
	if _, ok, _ := a.Order(&st, schemas.Order{EventID: "e1", OrderID: "o1", Platform: "p", StoreID: "s", Currency: "USD", Subtotal: 100, Total: 100, OccurredAt: t0}, nil, t0); !ok {
		t.Fatal("order not decided")
	}
	back, err := UnmarshalCustomer(mustMarshal(t, st.Marshal))
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Click(&back, schemas.Click{EventID: "c1", ClickID: "k1", AffiliateID: ptr("x"), OccurredAt: t0.Add(-time.Minute)}, nil, t0)
	if !errors.Is(err, ErrSnapshotMissing) {
		t.Fatalf("got %v, want ErrSnapshotMissing", err)
	}
}

// TestSlimCandidate: a candidate whose code has no usage limit travels
// without its fallback, and stage 2 resolves and observes it as before.
func TestSlimCandidate(t *testing.T) {
	a := New(NewProgram())
	code := schemas.Code{Code: "C", AffiliateID: "x", Status: "active"}
	lookup := func(c string) (schemas.Code, bool) { return code, c == code.Code }
	var st Customer
	cand, ok, _ := a.Order(&st, schemas.Order{EventID: "e1", OrderID: "o1", Platform: "p", StoreID: "s", Currency: "USD",
		Subtotal: 1000, Total: 1000, Codes: []schemas.AppliedCode{{Code: "C"}}, OccurredAt: t0}, lookup, t0)
	if !ok || cand.WithCode == nil || cand.MaxUses != nil {
		t.Fatalf("candidate %+v", cand)
	}
	slim := mustMarshal(t, cand.Marshal)
	limited := cand
	limited.MaxUses = new(int64)
	full := mustMarshal(t, limited.Marshal)
	if slim[0] != formatCandidateSlim || full[0] != formatBinary || len(slim) >= len(full) {
		t.Fatalf("slim %d bytes (format %#x), with fallback %d (format %#x)", len(slim), slim[0], len(full), full[0])
	}
	back, err := UnmarshalCandidate(slim)
	if err != nil {
		t.Fatal(err)
	}
	d, consumed := Resolve(back, 1<<40)
	if !consumed || !reflect.DeepEqual(d, *cand.WithCode) {
		t.Fatalf("resolved %+v (consumed %v), want the with-code decision", d, consumed)
	}
	r1, _ := cand.Redemption()
	r2, _ := back.Redemption()
	if !reflect.DeepEqual(r1, r2) || r2.Order.OrderID != "o1" {
		t.Fatalf("redemption %+v, want %+v", r2, r1)
	}
	// A slim value that claims a usage limit is corrupt.
	bad := append([]byte{formatCandidateSlim}, full[1:]...)
	if _, err := UnmarshalCandidate(bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
}

// TestCandidateClickArrived: ClickArrived travels to stage 2 as a
// trailing flag written only when set, so a candidate without it is
// byte for byte what versions before it wrote, and theirs still decode.
func TestCandidateClickArrived(t *testing.T) {
	a := New(NewProgram())
	max := int64(5)
	code := schemas.Code{Code: "C", AffiliateID: "x", Status: "active", MaxUses: &max}
	lookup := func(c string) (schemas.Code, bool) { return code, c == code.Code }
	var st Customer
	cand, ok, _ := a.Order(&st, schemas.Order{EventID: "e1", OrderID: "o1", Platform: "p", StoreID: "s", Currency: "USD",
		Subtotal: 1000, Total: 1000, Codes: []schemas.AppliedCode{{Code: "C"}}, OccurredAt: t0}, lookup, t0)
	if !ok || cand.MaxUses == nil {
		t.Fatalf("candidate %+v", cand)
	}
	for _, slim := range []bool{false, true} {
		c := cand
		if slim {
			c.MaxUses = nil
		}
		plain := mustMarshal(t, c.Marshal)
		c.ClickArrived = true
		arrived := mustMarshal(t, c.Marshal)
		if len(arrived) != len(plain)+1 || !bytes.Equal(arrived[:len(plain)], plain) {
			t.Fatalf("slim %v: with ClickArrived %d bytes, without %d: want one trailing byte", slim, len(arrived), len(plain))
		}
		for _, tc := range []struct {
			data []byte
			want bool
		}{{plain, false}, {arrived, true}} {
			back, err := UnmarshalCandidate(tc.data)
			if err != nil || back.ClickArrived != tc.want {
				t.Fatalf("slim %v: decoded ClickArrived %v (err %v), want %v", slim, back.ClickArrived, err, tc.want)
			}
		}
		if _, err := UnmarshalCandidate(append(slices.Clone(arrived), 1)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("slim %v: a second trailing byte: got %v, want ErrCorrupt", slim, err)
		}
	}
}
