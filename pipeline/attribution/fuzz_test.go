package attribution

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// seedState builds real states to seed the fuzzers with.
// The fourth result is the code's usage in the JSON of earlier versions
// (converted by CodeUsage when read).
func seedState(t testing.TB) (Customer, Candidate, OrderLedger, []byte) {
	p := NewProgram()
	p.Defaults.Commission = Commission{Type: "percent", Value: 1000}
	a := New(p)
	maxUses := int64(3)
	reg := map[string]schemas.Code{"C": {Code: "C", AffiliateID: "x", Status: "active", MaxUses: &maxUses, RequiresClick: true}}
	lookup := func(c string) (schemas.Code, bool) { e, ok := reg[c]; return e, ok }
	var st Customer
	page := "cart"
	a.Click(&st, schemas.Click{EventID: "e1", ClickID: "k1", AffiliateID: ptr("y"), PageType: &page, OccurredAt: t0.Add(-time.Hour)}, lookup, t0)
	a.Click(&st, schemas.Click{EventID: "e2", ClickID: "k2", Code: ptr("C"), IsBot: true, OccurredAt: t0.Add(-time.Minute)}, lookup, t0)
	cand, _, _ := a.Order(&st, schemas.Order{EventID: "e3", OrderID: "o", Platform: "p", StoreID: "s", Currency: "USD",
		Subtotal: 1000, Codes: []schemas.AppliedCode{{Code: "C"}}, OccurredAt: t0}, lookup, t0)
	// Two subscriptions: a renewal that says nothing (its start is
	// remembered) and a payment at a known cycle.
	a.Order(&st, schemas.Order{EventID: "e4", OrderID: "o4", Platform: "p", StoreID: "s", Currency: "USD", Subtotal: 500,
		Subscription: &schemas.Subscription{ID: "sub_1"}, OccurredAt: t0.Add(time.Minute)}, lookup, t0.Add(time.Minute))
	a.Order(&st, schemas.Order{EventID: "e5", OrderID: "o5", Platform: "p", StoreID: "s", Currency: "USD", Subtotal: 500,
		Subscription: &schemas.Subscription{ID: "sub_2", Cycle: 3}, OccurredAt: t0.Add(2 * time.Minute)}, lookup, t0.Add(2*time.Minute))
	u := CodeUsage{State: memState{}}
	d, _, err := u.Resolve(cand)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := json.Marshal(legacyUsage{Uses: 1, Orders: []UsedOrder{{Key: cand.OrderKey, Version: cand.Version, Consumed: true}}})
	if err != nil {
		t.Fatal(err)
	}
	_, l := Reverse(OrderLedger{}, schemas.Refund{RefundID: "r", Amount: 10, Currency: "USD"}, t0)
	_, l = Revise(l, d.Attribution, t0)
	return st, cand, l, legacy
}

func mustMarshal(t testing.TB, f func() ([]byte, error)) []byte {
	b, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzUnmarshalCustomer(f *testing.F) {
	st, _, _, _ := seedState(f)
	f.Add(mustMarshal(f, st.Marshal))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"c":[{"e":"a","i":"b","t":"2024-01-01T00:00:00Z"},{"e":"a","i":"a","t":"2023-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"n":-1}`))
	f.Add([]byte(`{"u":[{"i":"s","t":"2024-01-01T00:00:00Z"},{"i":"s","t":"2023-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"u":[{"i":"","t":"2024-01-01T00:00:00Z"}]}`))
	noSubs := st
	noSubs.Subscriptions = nil
	f.Add(mustMarshal(f, noSubs.Marshal)) // as the first binary version wrote it
	a := New(NewProgram())
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := UnmarshalCustomer(data)
		if err != nil {
			return
		}
		b1 := mustMarshal(t, c.Marshal)
		c2, err := UnmarshalCustomer(b1)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if b2 := mustMarshal(t, c2.Marshal); !bytes.Equal(b1, b2) {
			t.Fatalf("unstable encoding:\n%s\n%s", b1, b2)
		}
		// Any decodable state can be used.
		a.Click(&c2, schemas.Click{EventID: "z1", ClickID: "z1", AffiliateID: ptr("q"), OccurredAt: t0}, nil, t0)
		a.Order(&c2, schemas.Order{EventID: "z2", OrderID: "z2", OccurredAt: t0}, nil, t0)
		for i, s := range []schemas.Subscription{{ID: "z"}, {ID: "z", Cycle: 1 << 30}, {}} {
			id := fmt.Sprintf("z3-%d", i)
			a.Order(&c2, schemas.Order{EventID: id, OrderID: id, OccurredAt: t0, Subscription: &s}, nil, t0)
		}
		if _, err := UnmarshalCustomer(mustMarshal(t, c2.Marshal)); err != nil {
			t.Fatalf("state after use: %v", err)
		}
	})
}

func FuzzUnmarshalCandidate(f *testing.F) {
	_, cand, _, _ := seedState(f)
	f.Add(mustMarshal(f, cand.Marshal))
	f.Add([]byte(`{"v":1,"f":{"a":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := UnmarshalCandidate(data)
		if err != nil {
			return
		}
		b1 := mustMarshal(t, c.Marshal)
		c2, err := UnmarshalCandidate(b1)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if b2 := mustMarshal(t, c2.Marshal); !bytes.Equal(b1, b2) {
			t.Fatalf("unstable encoding")
		}
		if _, _, err := (CodeUsage{State: memState{}}).Resolve(c2); err != nil {
			t.Fatalf("resolving a decoded candidate: %v", err)
		}
		Resolve(c2, 5)
	})
}

func FuzzUnmarshalOrderLedger(f *testing.F) {
	_, _, l, _ := seedState(f)
	f.Add(mustMarshal(f, l.Marshal))
	f.Add([]byte(`{"a":{"NetAmount":0,"Commission":-5,"Shares":[{"AffiliateID":"x","Commission":-1}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := UnmarshalOrderLedger(data)
		if err != nil {
			return
		}
		b1 := mustMarshal(t, l.Marshal)
		l2, err := UnmarshalOrderLedger(b1)
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if b2 := mustMarshal(t, l2.Marshal); !bytes.Equal(b1, b2) {
			t.Fatalf("unstable encoding")
		}
		Reverse(l2, schemas.Refund{RefundID: "fz", Amount: 1 << 40, Currency: "USD"}, t0)
	})
}

// FuzzCodeUsageConvert reads a code's usage in the JSON of earlier
// versions: CodeUsage converts it or returns ErrCorrupt, and the entries
// it writes decode and serve a new order.
func FuzzCodeUsageConvert(f *testing.F) {
	_, cand, _, legacy := seedState(f)
	f.Add(legacy)
	f.Add([]byte(`{"u":-1}`))
	f.Add([]byte(`{"u":3000,"o":[{"k":"a","v":1,"c":true},{"k":"a","v":2}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] != '{' {
			return // not the earlier format
		}
		st := memState{KeyUsageCounter + "C": data}
		u := CodeUsage{State: st}
		cnt, err := u.Counter("C")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := u.Counter("C")
		if err != nil || again != cnt {
			t.Fatalf("converted counter %+v read back as %+v, %v", cnt, again, err)
		}
		for k, v := range st {
			if key, ok := strings.CutPrefix(k, KeyUsedOrder+"C\x00"); ok {
				if _, err := UnmarshalUsed(key, v); err != nil {
					t.Fatalf("converted order %q: %v", key, err)
				}
			}
		}
		c := cand
		c.OrderKey = "new order"
		if _, ok, err := u.Resolve(c); err != nil || !ok {
			t.Fatalf("resolving a new order after conversion: ok %v, %v", ok, err)
		}
	})
}

func FuzzParseProgram(f *testing.F) {
	example, err := os.ReadFile("testdata/program.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(""))
	f.Add([]byte("defaults: {rule: split, window: 1h}\ncodes: {\" x \": {window: 2h}, X: {}}"))
	f.Add([]byte("defaults:\n  commission: {type: fixed, value: 5}\n"))
	f.Add([]byte("defaults:\n  leak: {bucket: 1ms}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed program does not validate: %v", err)
		}
		for aff := range p.Affiliates {
			if s := p.Settings(aff, ""); s.Window <= 0 || !s.Rule.Valid() {
				t.Fatalf("settings for %q: %+v", aff, s)
			}
		}
		if p.MaxWindow() < p.Defaults.Window {
			t.Fatal("max window below the default")
		}
	})
}

func FuzzUnmarshalUsage(f *testing.F) {
	f.Add(UsageCounter{Uses: 3, Resolved: 1 << 40}.Marshal())
	f.Add(UsedOrder{Version: 7, Consumed: true}.MarshalUsed())
	f.Add([]byte{1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		if u, err := UnmarshalUsageCounter(data); err == nil {
			u2, err := UnmarshalUsageCounter(u.Marshal())
			if err != nil || u2 != u {
				t.Fatalf("counter round trip: %+v -> %+v, %v", u, u2, err)
			}
			if s := u.Slot(); s < 0 || s >= MaxUsageOrders {
				t.Fatalf("slot %d", s)
			}
		}
		if o, err := UnmarshalUsed("k", data); err == nil {
			o2, err := UnmarshalUsed("k", o.MarshalUsed())
			if err != nil || o2 != o {
				t.Fatalf("used order round trip: %+v -> %+v, %v", o, o2, err)
			}
		}
	})
}

// snapStore keeps decided orders' snapshots apart from the customer's hot
// value, as the processor's state does.
type snapStore map[uint64][]byte

// store writes st as the processor does (its snapshots, then its hot
// value) and returns the customer read back, reading snapshots from s.
func (s snapStore) store(t testing.TB, st *Customer) Customer {
	t.Helper()
	st.FlushSnapshots(func(k uint64, b []byte) { s[k] = b }, func(k uint64) { delete(s, k) })
	c, err := UnmarshalCustomer(mustMarshal(t, st.Marshal))
	if err != nil {
		t.Fatal(err)
	}
	c.UseSnapshots(func(k uint64) ([]byte, bool, error) { b, ok := s[k]; return b, ok, nil })
	return c
}
