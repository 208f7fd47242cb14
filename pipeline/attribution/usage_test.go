package attribution

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// refUsage is the reference model of CodeUsage: a code's count and its
// latest MaxUsageOrders orders in a slice, oldest first (the layout of
// earlier versions, kept in one value).
type refUsage struct {
	uses   int64
	orders []UsedOrder
}

func (r *refUsage) resolve(c Candidate) (Decision, bool) {
	i := slices.IndexFunc(r.orders, func(o UsedOrder) bool { return o.Key == c.OrderKey })
	var prev *UsedOrder
	if i >= 0 {
		prev = &r.orders[i]
	}
	d, rec, ok := ResolveUse(c, r.uses, prev)
	switch {
	case !ok:
		return Decision{}, false
	case prev != nil:
		*prev = rec
	default:
		if rec.Consumed {
			r.uses++
		}
		r.orders = appendBounded(r.orders, rec, MaxUsageOrders)
	}
	return d, true
}

// TestCodeUsageMatchesReference drives CodeUsage over a real state store
// and the reference model with the same candidates (new orders past the
// ring's size, revisions, duplicates, orders forgotten and seen again) and
// requires the same decisions, counts and remembered orders.
func TestCodeUsageMatchesReference(t *testing.T) {
	limit := int64(1500)
	cand := func(order, version int) Candidate {
		key := fmt.Sprintf("o%d", order)
		with := Decision{}
		with.Attribution.OrderID, with.Attribution.Method = key, MethodCode
		fb := Decision{}
		fb.Attribution.OrderID, fb.Attribution.Method = key, MethodNone
		return Candidate{OrderKey: key, Version: int32(version), Code: "C", MaxUses: &limit, WithCode: &with, Fallback: fb}
	}
	var ref refUsage
	st := openStoreState(t)
	u := CodeUsage{State: st}
	step := 0
	check := func(c Candidate) {
		t.Helper()
		step++
		d1, ok1 := ref.resolve(c)
		st.begin()
		d2, ok2, err := u.Resolve(c)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		cnt, err := u.Counter("C")
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		st.commit(t)
		if ok1 != ok2 || d1.Attribution.Method != d2.Attribution.Method || ref.uses != cnt.Uses {
			t.Fatalf("step %d %s v%d: reference (%v, %s, uses %d) != stored (%v, %s, uses %d)", step, c.OrderKey, c.Version,
				ok1, d1.Attribution.Method, ref.uses, ok2, d2.Attribution.Method, cnt.Uses)
		}
	}
	for i := range 2000 {
		check(cand(i, 1))
		switch {
		case i%7 == 0:
			check(cand(i, 2)) // revision
		case i%11 == 0:
			check(cand(i, 1)) // duplicate
		case i%13 == 0 && i > 1100:
			check(cand(i-1100, 1)) // forgotten by both: resolved again
		}
	}
	if ref.uses != limit {
		t.Fatalf("uses %d, want the limit %d", ref.uses, limit)
	}
	st.begin()
	defer st.commit(t)
	remembered := 0
	for i := range 2000 {
		key := fmt.Sprintf("o%d", i)
		b, found, err := st.Get([]byte(KeyUsedOrder + "C\x00" + key))
		if err != nil {
			t.Fatal(err)
		}
		j := slices.IndexFunc(ref.orders, func(o UsedOrder) bool { return o.Key == key })
		if found != (j >= 0) {
			t.Fatalf("order %s: stored %v, reference %v", key, found, j >= 0)
		}
		if !found {
			continue
		}
		remembered++
		o, err := UnmarshalUsed(key, b)
		if err != nil || o != ref.orders[j] {
			t.Fatalf("order %s: stored %+v (%v), reference %+v", key, o, err, ref.orders[j])
		}
	}
	if remembered != len(ref.orders) {
		t.Fatalf("stored remembers %d orders, reference %d", remembered, len(ref.orders))
	}
}

func TestUnmarshalUsageRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"unknown format", []byte{2, 0, 0}},
		{"truncated", []byte{1, 5}},
		{"trailing", append(UsageCounter{Uses: 1, Resolved: 1}.Marshal(), 0)},
		{"more uses than orders", UsageCounter{Uses: 2, Resolved: 1}.Marshal()},
		{"overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0}},
	} {
		if _, err := UnmarshalUsageCounter(tc.b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("counter %s: err %v, want ErrCorrupt", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"version 0", []byte{1, 0, 0}},
		{"consumed 2", []byte{1, 1, 2}},
		{"version over int32", append(append([]byte{1}, []byte{0x80, 0x80, 0x80, 0x80, 0x08}...), 0)},
		{"trailing", []byte{1, 1, 0, 0}},
	} {
		if _, err := UnmarshalUsed("k", tc.b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("used %s: err %v, want ErrCorrupt", tc.name, err)
		}
	}
}

// TestCodeUsageConvertsLegacy reads counters in the JSON format of earlier
// versions (one value per code) from a real state store: the uses carry
// over, a remembered order is still a duplicate or a revision, and a new
// order takes the slot of the oldest once the ring is full.
func TestCodeUsageConvertsLegacy(t *testing.T) {
	limit := int64(5)
	cand := func(order string, version int32) Candidate {
		with := Decision{}
		with.Attribution.OrderID, with.Attribution.Method = order, MethodCode
		fb := Decision{}
		fb.Attribution.OrderID, fb.Attribution.Method = order, MethodNone
		return Candidate{OrderKey: order, Version: version, Code: "C", MaxUses: &limit, WithCode: &with, Fallback: fb}
	}
	full := legacyUsage{Uses: 2000}
	for i := range MaxUsageOrders {
		full.Orders = append(full.Orders, UsedOrder{Key: fmt.Sprintf("f%d", i), Version: 1, Consumed: true})
	}
	for _, tc := range []struct {
		name     string
		legacy   legacyUsage
		resolve  Candidate
		wantOK   bool
		wantMeth string
		want     UsageCounter // after resolve
		gone     string       // an order forgotten by resolve
	}{
		{"duplicate of a remembered order",
			legacyUsage{Uses: 2, Orders: []UsedOrder{{Key: "a", Version: 1, Consumed: true}, {Key: "b", Version: 2, Consumed: true}}},
			cand("b", 2), false, "", UsageCounter{Uses: 2, Resolved: 2}, ""},
		{"revision keeps its consumed use",
			legacyUsage{Uses: 2, Orders: []UsedOrder{{Key: "a", Version: 1, Consumed: true}, {Key: "b", Version: 2, Consumed: true}}},
			cand("b", 3), true, MethodCode, UsageCounter{Uses: 2, Resolved: 2}, ""},
		{"revision of a fallback stays on it",
			legacyUsage{Uses: 5, Orders: []UsedOrder{{Key: "c0", Version: 1, Consumed: true}, {Key: "c1", Version: 1, Consumed: true},
				{Key: "c2", Version: 1, Consumed: true}, {Key: "c3", Version: 1, Consumed: true}, {Key: "c4", Version: 1, Consumed: true},
				{Key: "a", Version: 1}}},
			cand("a", 2), true, MethodNone, UsageCounter{Uses: 5, Resolved: 6}, ""},
		{"new order counts a use",
			legacyUsage{Uses: 1, Orders: []UsedOrder{{Key: "a", Version: 1, Consumed: true}}},
			cand("n", 1), true, MethodCode, UsageCounter{Uses: 2, Resolved: 2}, ""},
		{"full ring: a new order evicts the oldest", full,
			cand("n", 1), true, MethodNone, UsageCounter{Uses: 2000, Resolved: 2049}, "f0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStoreState(t)
			b, err := json.Marshal(tc.legacy)
			if err != nil {
				t.Fatal(err)
			}
			st.begin()
			st.Set([]byte(KeyUsageCounter+"C"), b)
			st.commit(t)

			st.begin()
			u := CodeUsage{State: st}
			d, ok, err := u.Resolve(tc.resolve)
			if err != nil {
				t.Fatal(err)
			}
			st.commit(t)
			if ok != tc.wantOK || (ok && d.Attribution.Method != tc.wantMeth) {
				t.Fatalf("resolved (%v, %s), want (%v, %s)", ok, d.Attribution.Method, tc.wantOK, tc.wantMeth)
			}
			st.begin()
			defer st.commit(t)
			cnt, err := u.Counter("C")
			if err != nil || cnt != tc.want {
				t.Fatalf("counter %+v (%v), want %+v", cnt, err, tc.want)
			}
			for _, o := range tc.legacy.Orders {
				_, found, err := st.Get([]byte(KeyUsedOrder + "C\x00" + o.Key))
				if err != nil {
					t.Fatal(err)
				}
				if found != (o.Key != tc.gone) {
					t.Fatalf("order %s remembered %v after conversion", o.Key, found)
				}
			}
		})
	}
}
